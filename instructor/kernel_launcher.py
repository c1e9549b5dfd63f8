"""Starts one grading kernel inside its limits: ``python kernel_launcher.py LIMITS_JSON -- KERNEL_ARGV...``

Run by path, not as ``-m instructor...``: the kernel's interpreter must not need the course
repository on its path (inside the sandbox the repository is not there). Standard library only.

LIMITS_JSON holds ``memory_mb`` (RLIMIT_DATA: heap and anonymous maps, so a big tensor fails
with "can't allocate memory" while torch's shared libraries still map), ``cpu_s`` (RLIMIT_CPU:
the backstop for a loop the notebook's time budget could not interrupt), ``threads`` (torch's
intra-op threads, so parallel gradings share the cores instead of fighting for them) and
``bwrap`` (the sandbox's argv prefix, or empty: see sandbox.py).
"""

import json
import os
import resource
import signal
import sys


def _limit(kind: int, value: int) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard if hard == resource.RLIM_INFINITY else value))


def main(argv: list[str]) -> None:
    limits = json.loads(argv[1])
    kernel = argv[argv.index("--") + 1 :]
    if limits.get("memory_mb"):
        _limit(resource.RLIMIT_DATA, int(limits["memory_mb"]) << 20)
    if limits.get("cpu_s"):
        _limit(resource.RLIMIT_CPU, int(limits["cpu_s"]))
    if limits.get("threads"):
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(limits["threads"])
    # The kernel's folder is the student's: with it first on sys.path, a submitted helpers/
    # or torch.py would replace the real ones before any check runs.
    os.environ["PYTHONSAFEPATH"] = "1"
    # In the sandbox's pid namespace the kernel's parent is pid 1, which ipykernel's parent
    # poller takes for a dead grader: it would exit at once. Its death comes from bubblewrap.
    if limits.get("bwrap"):
        os.environ.pop("JPY_PARENT_PID", None)
    command = list(limits.get("bwrap") or []) + kernel
    if limits.get("bwrap"):
        # The grader interrupts a cell with SIGINT to the process group: bubblewrap would die
        # of it and take the kernel along. Ignored here, it stays ignored in bubblewrap; the
        # kernel installs its own handler while it runs a cell.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
