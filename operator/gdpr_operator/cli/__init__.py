"""The `gdpr-operator` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

DEFAULT_NAMESPACE = "gdpr-system"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdpr-operator",
        description="Keep AWS accounts in the state GDPR security monitoring requires.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the operator (kopf), with liveness and /metrics")
    run.add_argument(
        "--operator-namespace",
        default=os.environ.get("GDPR_OPERATOR_NAMESPACE", DEFAULT_NAMESPACE),
        help="the operator's own namespace, the only one whose Secrets it reads "
        "(default: $GDPR_OPERATOR_NAMESPACE or %(default)s)",
    )
    run.add_argument(
        "--watch-namespace", action="append", default=[], metavar="NAMESPACE",
        help="watch only this namespace (repeatable; default: every namespace)",
    )
    run.add_argument("--metrics-address", default="0.0.0.0", help="default: %(default)s")
    run.add_argument("--metrics-port", type=int, default=8080, help="default: %(default)s")
    run.add_argument(
        "--liveness", default="http://0.0.0.0:8081/healthz",
        help="liveness endpoint URL to serve (default: %(default)s)",
    )
    return parser


class _RoutineFilter(logging.Filter):
    """Drops the lines that every timer tick and liveness probe would otherwise print."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Timer 'resync' succeeded")
                    or (record.name == "aiohttp.access" and "/healthz" in message))


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(_RoutineFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    if args.command == "run":
        from gdpr_operator.handlers import RunOptions, run  # noqa: PLC0415 - kopf is heavy

        run(RunOptions(
            operator_namespace=args.operator_namespace,
            watch_namespaces=tuple(args.watch_namespace),
            metrics_address=args.metrics_address,
            metrics_port=args.metrics_port,
            liveness_endpoint=args.liveness,
        ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
