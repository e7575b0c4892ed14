"""What every client of the layer shares: one data loader and one class per service.

The loader reads and parses each service model once per process, whatever the number of
accounts. The class: botocore builds a new one for every client it creates, with a method and
a lazy docstring per operation; for EC2's 800-odd operations that is about 10 ms of CPU, most
of the cost of the client, and the class becomes garbage in reference cycles when the client
goes. A sweep creates a client per account, region and service, so it paid that again and
again for the same class.

A class depends only on its service model and on the 'creating-client-class' handlers that
shape it. Clients made on the shared loader come from the layer's sessions, which carry
botocore's handlers only (the layer adds none of that kind), so for them the first class
made per (service, API version) is reused. It is made on a session of its own, whose emitter
its docstrings keep alive rather than some layer's hooks. Every other botocore client in the
process is built as botocore builds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.client import ClientCreator
from botocore.loaders import Loader, create_loader
from botocore.session import Session

_botocore_create_client_class: Callable[[Any, str, Any], type] = ClientCreator._create_client_class


@cache
def shared_loader() -> Loader:
    """The layer's botocore data loader; clients made on it share their class per service."""
    loader = create_loader()
    classes = _ClassCache(loader)

    def create_client_class(creator: Any, service_name: str, service_model: Any) -> type:
        if creator._loader is loader:
            return classes.client_class(service_name, service_model)
        return _botocore_create_client_class(creator, service_name, service_model)

    ClientCreator._create_client_class = create_client_class
    return loader


class _ClassCache:
    def __init__(self, loader: Loader) -> None:
        template = Session()
        template.register_component("data_loader", loader)
        self._creator = ClientCreator(
            loader, None, None, template.get_component("event_emitter"), None, None
        )
        self._classes: dict[tuple[str, str], type] = {}
        self._lock = threading.Lock()

    def client_class(self, service_name: str, service_model: Any) -> type:
        key = (service_name, service_model.api_version)
        with self._lock:
            made = self._classes.get(key)
            if made is None:
                made = _botocore_create_client_class(self._creator, service_name, service_model)
                self._classes[key] = made
            return made
