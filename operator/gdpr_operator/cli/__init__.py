"""The `gdpr-operator` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence

from gdpr_operator import __version__

DEFAULT_NAMESPACE = "gdpr-system"


def _events_hub(value: str) -> object:
    """--events-hub: ACCOUNT/REGION, as the model reads it."""
    from gdpr_operator.model import parse_events_hub  # noqa: PLC0415 - the model is light

    try:
        return parse_events_hub(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdpr-operator",
        description="Keep AWS accounts in the state GDPR security monitoring requires.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("GDPR_LOG_FORMAT", "text"),
        help="json: one JSON object per line, for log pipelines (default: $GDPR_LOG_FORMAT "
        "or %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the operator (kopf), with liveness and /metrics")
    run.add_argument(
        "--operator-namespace",
        default=os.environ.get("GDPR_OPERATOR_NAMESPACE", DEFAULT_NAMESPACE),
        help="the operator's own namespace, the only one whose Secrets it reads "
        "(default: $GDPR_OPERATOR_NAMESPACE or %(default)s)",
    )
    run.add_argument(
        "--watch-namespace",
        action="append",
        default=[],
        metavar="NAMESPACE",
        help="watch only this namespace (repeatable; default: every namespace)",
    )
    run.add_argument("--metrics-address", default="0.0.0.0", help="default: %(default)s")
    run.add_argument("--metrics-port", type=int, default=8080, help="default: %(default)s")
    run.add_argument(
        "--liveness",
        default="http://0.0.0.0:8081/healthz",
        help="liveness endpoint URL to serve (default: %(default)s)",
    )
    run.add_argument(
        "--no-leader-election",
        dest="leader_election",
        action="store_false",
        help="act without holding the Lease gdpr-operator in the operator's namespace "
        "(only safe when a single replica runs)",
    )
    run.add_argument(
        "--sharded",
        action="store_true",
        help="every replica acts, each on the GdprMonitorings and AwsAccounts it owns: it "
        "holds a membership Lease in the operator's namespace, and objects are assigned "
        "over the live members by rendezvous hashing of their UID (replaces leader election)",
    )
    run.add_argument(
        "--shard-lease-duration",
        type=_seconds_up_to(300),
        default=15.0,
        metavar="SECONDS",
        help="with --sharded: a member silent this long is gone, its objects pass to the "
        "others; a new member waits this long before it acts (default: %(default).0f)",
    )
    run.add_argument(
        "--aws-read-timeout",
        type=_seconds_up_to(300),
        metavar="SECONDS",
        help="how long one AWS request may take to answer before it is retried (default: 15)",
    )
    run.add_argument(
        "--aws-throttle-patience",
        type=_seconds_up_to(300),
        metavar="SECONDS",
        help="how long a throttled AWS call is tried again before it fails (default: 60)",
    )
    run.add_argument(
        "--account-check-interval",
        type=_seconds_up_to(86400),
        metavar="SECONDS",
        help="how often each Ready AwsAccount's role, identity and ExternalId are checked "
        "again; sooner while one is not Ready (default: 300)",
    )
    run.add_argument(
        "--events-hub",
        type=_events_hub,
        metavar="ACCOUNT/REGION",
        help="forward the drift events of every account-region (events.mode Managed) to "
        "this AwsAccount's region, and poll its one queue (default: a queue per "
        "account-region)",
    )
    for name, verb in (
        ("audit", "an observe-only pass: report, change nothing"),
        ("remediate", "an Enforce pass: repair what is not compliant"),
    ):
        one_pass = commands.add_parser(
            name,
            help=f"{verb}, over the AwsAccounts and GdprMonitorings in FILE; "
            "exit 0 compliant, 1 not, 2 error",
        )
        one_pass.add_argument(
            "-f",
            "--filename",
            required=True,
            metavar="FILE",
            action="append",
            help="YAML or JSON with AwsAccount, GdprMonitoring (and Secret) objects, a List "
            "of them, a directory of such files, or - for standard input (repeatable)",
        )
        one_pass.add_argument("--format", choices=["table", "json"], default="table")
        one_pass.add_argument(
            "--operator-namespace",
            default=os.environ.get("GDPR_OPERATOR_NAMESPACE", DEFAULT_NAMESPACE),
            help="namespace whose Secrets in FILE hold ExternalIds (default: %(default)s)",
        )

    # The sandbox parses its own options (moto stays unimported unless it runs).
    commands.add_parser(
        "sandbox",
        add_help=False,
        help="the local AWS sandbox for demos and tests (see `gdpr-operator sandbox --help`)",
    )

    checks = commands.add_parser(
        "checks",
        help="list the check catalog: id, component, scope, GDPR articles, IAM actions",
    )
    checks.add_argument("--format", choices=["table", "json"], default="table")

    agent = commands.add_parser(
        "agent-config", help="print the CloudWatch agent configuration rendered from presets"
    )
    agent.add_argument(
        "presets",
        nargs="+",
        metavar="PRESET",
        help="linux-system, apache, nginx, windows-system, iis",
    )
    agent.add_argument(
        "--platform",
        choices=["Linux", "Windows"],
        help="needed when the presets cover both platforms",
    )
    agent.add_argument("--group-prefix", help="log group prefix (default: the CRD's, /gdpr)")
    agent.add_argument("--retention-days", type=int, help="default: the CRD's, 365")
    return parser


def _seconds_up_to(limit: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds in (0, limit]."""

    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds in (0, {limit:g}]"
            )
        return value

    return seconds


class _RoutineFilter(logging.Filter):
    """Drops the lines that every timer tick and liveness probe would otherwise print."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith(("Timer 'resync' succeeded", "Handler 'account_seen' succeeded"))
            or (record.name == "aiohttp.access" and "/healthz" in message)
        )


class _JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{record.msecs:03.0f}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "kubernetes.client.rest")
"""Libraries that log requests and responses whole at debug level: AssumeRole's ExternalId,
the assumed session's keys, Secrets read from the API server. Never below INFO, even with
-v: the aws layer logs each AWS attempt (service, operation, region, status) instead."""


def _configure_logging(verbose: bool, level: int, log_format: str) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        formatter: logging.Formatter = _JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    if not verbose:
        handler.addFilter(_RoutineFilter())
    for wire in WIRE_LOGGERS:
        # botocore narrates every endpoint and credential lookup at INFO: shown with -v only.
        logging.getLogger(wire).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=logging.DEBUG if verbose else level, handlers=[handler])


def _missing_sandbox(error: ModuleNotFoundError) -> bool:
    """Whether `error` means the sandbox is not installed: its own package left out (as in
    the image), or a third-party module of its extra (moto, ...); not a bug of ours."""
    name = error.name or ""
    return name == "gdpr_operator.sandbox" or not name.startswith("gdpr_operator")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, unparsed = parser.parse_known_args(argv)
    if unparsed and args.command != "sandbox":
        parser.error(f"unrecognized arguments: {' '.join(unparsed)}")
    # One-shot commands print a report: only problems belong in their log.
    _configure_logging(
        args.verbose, logging.INFO if args.command == "run" else logging.WARNING, args.log_format
    )
    if args.command == "run":
        from gdpr_operator.aws import AwsSettings  # noqa: PLC0415 - boto3 is heavy too
        from gdpr_operator.handlers import (  # noqa: PLC0415 - kopf is heavy
            ACCOUNT_CHECK_SECONDS,
            RunOptions,
            run,
        )

        run(
            RunOptions(
                operator_namespace=args.operator_namespace,
                watch_namespaces=tuple(args.watch_namespace),
                metrics_address=args.metrics_address,
                metrics_port=args.metrics_port,
                liveness_endpoint=args.liveness,
                leader_election=args.leader_election,
                shard_lease_seconds=args.shard_lease_duration if args.sharded else None,
                aws_settings=AwsSettings(
                    **{
                        setting: value
                        for setting, value in (
                            ("read_timeout", args.aws_read_timeout),
                            ("throttle_patience", args.aws_throttle_patience),
                        )
                        if value is not None
                    }
                ),
                account_check_seconds=args.account_check_interval or ACCOUNT_CHECK_SECONDS,
                events_hub=args.events_hub,
            )
        )
    elif args.command in ("audit", "remediate"):
        # Inputs first: a broken file is refused before boto3 is even imported.
        from gdpr_operator.cli._manifests import InputError, load  # noqa: PLC0415

        try:
            inputs = load(args.filename, args.operator_namespace)
        except InputError as error:
            print(f"gdpr-operator {args.command}: {error}", file=sys.stderr)
            return 2
        from gdpr_operator.cli._audit import run_pass  # noqa: PLC0415

        return run_pass(inputs, enforce=args.command == "remediate", output=args.format)
    elif args.command == "sandbox":
        try:
            # Not `from gdpr_operator import sandbox`: without the package that raises a bare
            # ImportError, not ModuleNotFoundError naming it.
            import gdpr_operator.sandbox as sandbox  # noqa: PLC0415, PLR0402 - moto is heavy
        except ModuleNotFoundError as error:
            if not _missing_sandbox(error):
                raise
            print(
                f"gdpr-operator sandbox: not installed here ({error.name} is missing): it "
                f"needs the sandbox extra, pip install 'gdpr-operator[sandbox]' (the container "
                f"image leaves the sandbox out)",
                file=sys.stderr,
            )
            return 2
        return sandbox.main(unparsed)
    elif args.command == "checks":
        from gdpr_operator.cli._checks import render_catalog  # noqa: PLC0415 - boto3 is heavy

        sys.stdout.write(render_catalog(args.format))
    elif args.command == "agent-config":
        from gdpr_operator.reconcilers.cloudwatch_agent import (  # noqa: PLC0415
            AgentConfigError,
            render_command,
        )

        try:
            print(
                render_command(
                    args.presets,
                    platform=args.platform,
                    group_prefix=args.group_prefix,
                    retention_days=args.retention_days,
                )
            )
        except AgentConfigError as error:
            print(f"gdpr-operator agent-config: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
