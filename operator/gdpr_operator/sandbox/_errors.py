"""The errors the extensions answer with."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class ApiError(ServiceException):
    """An AWS error (code, message), serialised by moto in the service's protocol.

    Defined here rather than raised as moto's own ServiceException: moto looks an error's
    shape up by the module that raised it, and has no service named "core".
    """
