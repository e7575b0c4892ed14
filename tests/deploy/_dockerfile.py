"""The Dockerfile and its build context as a container engine would see them: the stages'
instructions, the final stage's command, user and labels, and the files that .dockerignore
lets into the context."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)
    """(INSTRUCTION, its arguments), continued lines joined, comments dropped."""

    def all(self, instruction: str) -> list[str]:
        return [rest for name, rest in self.instructions if name == instruction]


@dataclass(frozen=True)
class FinalStage:
    entrypoint: list[str]
    cmd: list[str]
    user: str
    copies: list[str]
    labels: dict[str, str]
    runs: list[str]


def stages(dockerfile: Path) -> list[Stage]:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())  # join continued lines
    found: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction, rest = instruction.upper(), rest.strip()
        if instruction == "FROM":
            base, _, name = rest.partition(" AS ")
            found.append(Stage(base.strip(), name.strip()))
        elif found:
            found[-1].instructions.append((instruction, rest))
    return found


def _labels(arguments: list[str]) -> dict[str, str]:
    labels = {}
    for rest in arguments:
        for key, value in re.findall(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S+)', rest):
            labels[key] = json.loads(value) if value.startswith('"') else value
    return labels


def final_stage(dockerfile: Path) -> FinalStage:
    stage = stages(dockerfile)[-1]
    commands = {}
    for instruction in ("ENTRYPOINT", "CMD"):
        [rest] = stage.all(instruction) or [""]
        assert rest, f"{instruction} is required"
        try:
            commands[instruction] = json.loads(rest)
        except json.JSONDecodeError as error:
            raise AssertionError(f"{instruction} must use the exec (JSON) form: {rest}") from error
    return FinalStage(
        entrypoint=commands["ENTRYPOINT"],
        cmd=commands["CMD"],
        user=(stage.all("USER") or [""])[-1],
        copies=stage.all("COPY"),
        labels=_labels(stage.all("LABEL")),
        runs=stage.all("RUN"),
    )


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go's filepath.Match, plus ** for any directories)."""
    assert not set(pattern) & set("[]\\"), f"unsupported .dockerignore pattern {pattern!r}"
    parts = re.split(r"(\*\*/|/\*\*|\*\*|\*|\?)", pattern.strip("/"))
    regex = {"**/": "(?:.*/)?", "/**": "(?:/.*)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(regex.get(part, re.escape(part)) for part in parts))


def in_context(root: Path, dockerignore: Path) -> list[Path]:
    """The files of `root` a build context holds: .dockerignore's patterns in order, the
    last that matches a file or one of its directories deciding ("!" lets it in)."""
    rules = []
    for raw in dockerignore.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keep = line.startswith("!")
            rules.append(
                (keep, line.removeprefix("!").strip("/"), _pattern(line.removeprefix("!")))
            )

    def excluded(relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for keep, _, pattern in rules:
            if any(pattern.fullmatch(prefix) for prefix in prefixes):
                verdict = not keep
        return verdict

    kept = []
    for directory, subdirectories, files in os.walk(root):
        base = Path(directory)
        for name in list(subdirectories):
            relative = (base / name).relative_to(root).as_posix()
            reincluded = any(keep and raw.startswith(f"{relative}/") for keep, raw, _ in rules)
            if excluded(relative) and not reincluded:
                subdirectories.remove(name)  # nothing beneath it is let in
            elif (base / name).is_symlink():
                kept.append(base / name)
        kept += [
            base / name
            for name in files
            if not excluded((base / name).relative_to(root).as_posix())
        ]
    return sorted(kept)


def copy_context(root: Path, dockerignore: Path, destination: Path) -> None:
    """The build context, copied to `destination` (symlinks as symlinks)."""
    for path in in_context(root, dockerignore):
        target = destination / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(path.readlink())
        else:
            shutil.copy2(path, target)
