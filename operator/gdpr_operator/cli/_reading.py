"""Untrusted input -> YAML documents, within limits, by libyaml (PyYAML's C loader).

Whatever a file holds, reading it takes bounded time and memory: its size, the number of
documents, each document's size and nesting, and how far aliases may expand it are all
limited (the last as Kubernetes' YAML decoder limits it against "billion laughs"); what
breaks a limit is refused before it is built into Python objects.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STDIN = "-"
INPUT_SUFFIXES = (".yaml", ".yml", ".json")
"""What `-f DIR` reads from a directory, as kubectl does."""

MAX_INPUT_BYTES = 4 * 2**20
"""All inputs together: PyYAML builds about a megabyte of dense YAML a second."""
MAX_DOCUMENT_BYTES = 3 * 2**20
"""One document: the API server's default limit on a request body (--max-request-bytes)."""
MAX_OBJECTS = 10_000
"""Documents and List items, all inputs together."""
MAX_DEPTH = 100
"""Nesting of one document (libyaml itself stops flow collections at 1,000)."""

# Alias expansion, as go-yaml (which kubectl and the API server decode YAML with) bounds it:
# up to 99% of a document's nodes may come through aliases while it has at most 400,000,
# down to 10% from 4,000,000 nodes on.
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


class InputError(Exception):
    """The input cannot be used as it is; the message names the file, document and field."""


@dataclass(frozen=True, slots=True)
class Document:
    where: str
    """"FILE: document N", for messages."""
    value: Any


@dataclass(slots=True)
class Budget:
    """What all inputs together may still hold."""

    bytes: int = MAX_INPUT_BYTES
    objects: int = MAX_OBJECTS

    def take_object(self, where: str) -> None:
        self.objects -= 1
        if self.objects < 0:
            raise InputError(f"{where}: more than {MAX_OBJECTS:,} objects in all inputs")


def read_documents(
    arguments: Sequence[str], budget: Budget, stdin: BinaryIO | None = None
) -> Iterator[Document]:
    """The documents of every `-f` argument: a file, every .yaml/.yml/.json file of a
    directory (not its subdirectories), or "-" for standard input. Empty ones are skipped."""
    for argument in arguments:
        for name, text in _sources(argument, budget, stdin or sys.stdin.buffer):
            yield from _documents(name, text, budget)


def _sources(argument: str, budget: Budget, stdin: BinaryIO) -> Iterator[tuple[str, str]]:
    if argument == STDIN:
        yield "<stdin>", _text("<stdin>", _bounded_read(stdin, "<stdin>", budget))
        return
    path = Path(argument)
    try:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in INPUT_SUFFIXES and p.is_file())
            if not files:
                raise InputError(f"{path}: no {', '.join(INPUT_SUFFIXES)} file in the directory")
        else:
            files = [path]
        for file in files:
            with file.open("rb") as stream:
                yield str(file), _text(str(file), _bounded_read(stream, str(file), budget))
    except OSError as error:
        raise InputError(f"{error.filename or path}: {error.strerror or error}") from None


def _bounded_read(stream: BinaryIO, name: str, budget: Budget) -> bytes:
    data = stream.read(budget.bytes + 1)
    budget.bytes -= len(data)
    if budget.bytes < 0:
        raise InputError(f"{name}: all inputs together may hold at most {_mib(MAX_INPUT_BYTES)}")
    return data


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"{name}: line {line}: not UTF-8 text (byte 0x{data[error.start]:02x} at "
            f"offset {error.start})"
        ) from None


def _documents(name: str, text: str, budget: Budget) -> Iterator[Document]:
    loader = yaml.CSafeLoader(text)
    number = 1
    """The document being read."""
    try:
        while loader.check_node():
            where = f"{name}: document {number}"
            budget.take_object(where)
            node = loader.get_node()
            if node is None:  # check_node said there is one
                break
            _check_limits(node, where)
            value = _construct(loader, node, where)
            if value is not None:
                yield Document(where, value)
            number += 1
    except yaml.MarkedYAMLError as error:
        raise InputError(f"{name}: document {number}: {_yaml_problem(error)}") from None
    except yaml.reader.ReaderError as error:  # NUL and other control characters
        line = text.count("\n", 0, error.position) + 1
        raise InputError(
            f"{name}: document {number}: line {line}: {error.reason} (#x{error.character:04x})"
        ) from None
    finally:
        loader.dispose()


def _construct(loader: yaml.CSafeLoader, node: Node, where: str) -> Any:
    try:
        return loader.construct_document(node)
    except ValueError as error:  # an integer of more digits than Python converts
        raise InputError(f"{where}: {str(error).split(';')[0]}") from None


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    parts = [part for part in (error.context, error.problem) if part]
    return at + _one_line(": ".join(parts) or "not YAML")


def _check_limits(root: Node, where: str) -> None:
    """Size, nesting, duplicate keys and alias expansion of one composed document, walked
    once over its nodes (an alias is the same node met again), never expanded."""
    size = root.end_mark.index - root.start_mark.index
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(f"{where}: larger than {_mib(MAX_DOCUMENT_BYTES)} ({size:,} bytes)")
    expanded: dict[int, int] = {}
    """Per node met so far: the nodes it stands for, aliases expanded."""
    height: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            expanded[key] = 1 + sum(expanded[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            open_nodes.discard(key)
            if height[key] > MAX_DEPTH:
                raise InputError(f"{where}: {_at(node)}nested deeper than {MAX_DEPTH} levels")
            continue
        if key in open_nodes:
            raise InputError(f"{where}: {_at(node)}an alias refers to its own anchor")
        if key in expanded:
            continue
        distinct += 1
        if isinstance(node, MappingNode):
            _refuse_duplicate_keys(node, where)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in expanded)
    total = expanded[id(root)]
    through_aliases = total - distinct
    if through_aliases > 100 and total > 1000 and through_aliases / total > _alias_ratio(total):
        raise InputError(
            f"{where}: excessive aliasing: its {distinct:,} nodes expand to {total:,} through "
            "aliases"
        )


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _refuse_duplicate_keys(node: MappingNode, where: str) -> None:
    """As the API server's strict decoding does; the merge key `<<` may repeat."""
    seen: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if isinstance(key, ScalarNode) and key.value != "<<":
            if (key.tag, key.value) in seen:
                raise InputError(f"{where}: {_at(key)}duplicate field {_short(key.value)}")
            seen.add((key.tag, key.value))


def _alias_ratio(total: int) -> float:
    if total <= _ALIAS_RATIO_LOW:
        return 0.99
    if total >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (total - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def _at(node: Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}: "


def _mib(size: int) -> str:
    return f"{size // 2**20} MiB"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
