"""Peak RSS of this process, importing nothing beyond the standard library (a benchmark
measuring a light process must not weigh it down with the AWS layer)."""

from __future__ import annotations


def peak_rss_mb(pid: int | None = None) -> float:
    """This process's peak resident set size (or process `pid`'s), its own only (Linux:
    VmHWM).

    Not getrusage's ru_maxrss: Linux carries that high-water mark over from the parent across
    fork and exec, so a child started by a 185 MB benchmark reports at least 185 MB however
    little it uses itself."""
    with open(f"/proc/{pid or 'self'}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/PID/status: peak RSS is measured on Linux only")
