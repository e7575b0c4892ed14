"""Which replica owns an object: rendezvous (highest-random-weight) hashing, pure.

Each member scores each object by a hash of the pair; the highest score owns it. Every
replica that knows the same members computes the same owner with no coordination, and a
member joining or leaving moves only the objects it wins or held (about 1/N of them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def score(member: str, key: str) -> int:
    """The weight of `member` for `key`: 64 bits of BLAKE2b over both, stable across
    processes and Python versions (unlike hash())."""
    digest = hashlib.blake2b(f"{member}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(key: str, members: Iterable[str]) -> str | None:
    """The member that owns `key` among `members`; None when there are none. Ties (a
    64-bit collision) go to the greater name, so every replica agrees."""
    return max(members, key=lambda member: (score(member, key), member), default=None)
