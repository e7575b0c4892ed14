"""The few Dockerfile facts the tests need, read from the final stage."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FinalStage:
    entrypoint: list[str]
    cmd: list[str]
    user: str
    copies: list[str]


def final_stage(dockerfile: Path) -> FinalStage:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())  # join continued lines
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    user = ""
    copies: list[str] = []
    for line in lines[last_from:]:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction in ("ENTRYPOINT", "CMD"):
            try:
                value = json.loads(rest)
            except json.JSONDecodeError as error:
                raise AssertionError(
                    f"{instruction} must use the exec (JSON) form: {rest}"
                ) from error
            if instruction == "ENTRYPOINT":
                entrypoint = value
            else:
                cmd = value
        elif instruction == "USER":
            user = rest.strip()
        elif instruction == "COPY":
            copies.append(rest)
    assert entrypoint is not None, "ENTRYPOINT is required"
    assert cmd is not None, "CMD is required"
    return FinalStage(entrypoint, cmd, user, copies)
