"""The grading kernel's sandbox: bubblewrap, so a submission sees only what it needs.

nbgrader runs a student's code with the grader's rights. Under bubblewrap the kernel sees the
system's programs and libraries and the Python environment read-only, its own working copy
read-write, and nothing else: not the course (``source/`` with the solutions, the gradebook,
other students' folders), not the grader's home, no network (the kernel talks to the grader
over Unix sockets in its working copy: see bounded.py). Only the grader process, outside,
writes the gradebook.

Where bubblewrap is missing or cannot start (no user namespaces), ``available()`` says why and
grading goes on unsandboxed, marked as such in the report.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Debian keeps /bin, /lib... as links into /usr; other systems as directories.
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/opt")


@functools.cache
def unavailable_reason() -> str | None:
    """None when bubblewrap works here; otherwise, in Portuguese, why not and what to do."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap não está instalado (Debian/Ubuntu: `apt-get install bubblewrap`)"
    probe = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--die-with-parent", "true"],
        capture_output=True, text=True, timeout=30,
    )
    if probe.returncode != 0:
        return f"bubblewrap não consegue iniciar aqui ({probe.stderr.strip()[:200]}); " \
               "é preciso root ou namespaces de usuário habilitados (kernel.unprivileged_userns_clone=1)"
    return None


def python_paths() -> list[Path]:
    """What the kernel's interpreter needs to read: the environment and the course package
    (an editable install lives in the course repository, so only its package folder)."""
    import helpers

    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent.parent,
             Path(helpers.__file__).resolve().parent}
    return sorted(p.resolve() for p in paths)


def _system_binds() -> list[str]:
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args


def bwrap_prefix(writable: list[Path], readable: list[Path], home: Path, extra: list[str] = (),
                 drop_caps: bool = True) -> list[str]:
    """The argv prefix that runs a command in the sandbox. ``writable`` folders are bound
    read-write, ``readable`` ones read-only (both at their own paths); ``home`` becomes HOME;
    ``extra``: more bubblewrap options. The zygote keeps root's capabilities (``drop_caps``
    False): its kernels need them to map root into their own user namespace, and drop them there."""
    # A pid namespace of its own: /proc/PID/root of a process outside would show that
    # process's whole filesystem (the course, the solutions). No --new-session: the grader
    # interrupts a timed-out cell by signalling the process group.
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent",
            "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-pid", *extra,
            "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    if drop_caps and os.geteuid() == 0:
        # Run by root, bubblewrap keeps root's capabilities in the sandbox (mount, remount rw...).
        args[1:1] = ["--cap-drop", "ALL"]
    args += _system_binds()
    for path in readable:
        if Path(path).exists():
            args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    args += ["--setenv", "HOME", str(home), "--setenv", "MPLCONFIGDIR", str(home / "matplotlib"),
             "--chdir", str(writable[0])]
    return args
