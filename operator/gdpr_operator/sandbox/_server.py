"""Running the sandbox: in a thread of this process, or as `gdpr-operator sandbox`."""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import make_server

from ._agent_sim import AgentSimulator, configured_period
from ._app import SandboxApp
from ._profile import INSTANT, PROFILES, REALISM, profile_named
from ._seeds import LargeEstate, apply_seed

HOST = "127.0.0.1"


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler without a log line per request (benchmarks send tens of thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def running_sandbox(
    port: int = 0,
    seed: str | None = None,
    large: LargeEstate | None = None,
    agent_period: float | None = None,
    *,
    profile: str | None = None,
    time_scale: float | None = None,
) -> Iterator[str]:
    """Serve the sandbox on 127.0.0.1:`port` (0: any free port), seeded with `seed`
    ("demo", "large" shaped by `large`, or None); yields its endpoint URL. Simulated
    CloudWatch agents ship every `agent_period` seconds (default: GDPR_SANDBOX_AGENT_PERIOD,
    else 10; 0: none; see `_agent_sim`). `profile` ("instant" or "aws"; default
    GDPR_SANDBOX_PROFILE, else instant) and `time_scale` are `_profile`'s; the seed is laid
    instantly, then the profile applies.

    moto keeps its state in this process's globals: sandboxes run one at a time per process.
    Loads AWS managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES, set for this process);
    the large seed goes without moto's default EC2 images (MOTO_EC2_LOAD_DEFAULT_AMIS).
    """
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    if seed == "large":
        # Each of the estate's thousands of EC2 backends would otherwise hold moto's default
        # images (~4 MB and 80 ms apiece); its instances need none.
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    chosen = profile_named(profile, time_scale)
    app = SandboxApp()
    # A clean slate; done on entry, not exit: resetting a big estate takes seconds, and in a
    # process running one sandbox only there is nothing to reset here.
    app.reset()
    server = make_server(HOST, port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="gdpr-sandbox", daemon=True)
    thread.start()
    agents = AgentSimulator(configured_period(agent_period))
    agents.start()
    url = f"http://{HOST}:{server.server_port}"
    try:
        if seed is not None:
            # In a thread of its own: the caller may be inside a running event loop.
            with ThreadPoolExecutor(max_workers=1) as seeding:
                seeding.submit(apply_seed, url, seed, large).result()
        REALISM.use(chosen)
        yield url
    finally:
        REALISM.use(profile_named(INSTANT))
        agents.stop()
        server.shutdown()
        server.server_close()
        thread.join()


def serve(
    port: int = 0,
    seed: str | None = None,
    large: LargeEstate | None = None,
    agent_period: float | None = None,
    *,
    profile: str | None = None,
    time_scale: float | None = None,
) -> None:
    """Run the sandbox until interrupted; prints its endpoint URL once it answers."""
    with running_sandbox(
        port, seed, large, agent_period, profile=profile, time_scale=time_scale
    ) as url:
        print(url, flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """`gdpr-operator sandbox [--port N] [--seed demo|large] [--accounts N ...]`."""
    parser = argparse.ArgumentParser(
        prog="gdpr-operator sandbox", description="A local AWS (moto) for demos and tests."
    )
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    parser.add_argument("--seed", choices=["demo", "large"], default=None)
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help="instant (moto as is) or aws (latency, AWS's throttling buckets, eventual "
        "consistency); default: GDPR_SANDBOX_PROFILE, else instant",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="aws profile: latencies and propagation delays times this (default: "
        "GDPR_SANDBOX_TIME_SCALE, else 1)",
    )
    defaults = LargeEstate()
    for name in ("accounts", "regions", "instances", "log_groups"):
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=getattr(defaults, name),
            help=f"large seed: {name}",
        )
    args = parser.parse_args(argv)
    large = LargeEstate(
        accounts=args.accounts,
        regions=args.regions,
        instances=args.instances,
        log_groups=args.log_groups,
    )
    serve(args.port, args.seed, large, profile=args.profile, time_scale=args.time_scale)
    return 0
