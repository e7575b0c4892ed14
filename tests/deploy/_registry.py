"""A local OCI registry (Debian's docker-registry: CNCF Distribution) for `helm push`."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from fixtures.cluster import free_port, http_ok, wait_for
from fixtures.tools import REGISTRY, pinned


@contextlib.contextmanager
def running_registry(directory: Path) -> Iterator[str]:
    """A registry on 127.0.0.1 (plain HTTP), its storage in `directory`; yields host:port."""
    host = f"127.0.0.1:{free_port()}"
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {directory / 'data'}}}}}\n"
        f"http: {{addr: {host}}}\n"
    )
    log = directory / "registry.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(pinned(REGISTRY)), "serve", str(config)], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            "the registry's API",
            lambda: process.poll() is not None or http_ok(f"http://{host}/v2/"),
        )
        assert process.poll() is None, f"the registry exited:\n{log.read_text()}"
        yield host
    finally:
        process.terminate()
        process.wait(timeout=30)
