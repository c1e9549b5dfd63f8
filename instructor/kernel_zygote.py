"""A worker's kernel zygote: torch, helpers and IPython imported once, a kernel forked per submission.

A fresh kernel spends most of a lesson-01 grading importing things: IPython, torch, helpers,
matplotlib, and inside the first test cells torch.testing (sympy) and the optimizers
(torch._dynamo). Forked from a process that already holds them, a kernel starts with them.
``python kernel_zygote.py ROOT CONFIG_JSON``, run by path inside the worker's sandbox
(sandbox.py; standard library only until it imports), listens on the socket CONFIG names, inside ROOT.

Each request is one JSON line: the kernel's connection file, working copy, home, limits and
environment. The zygote forks; the child isolates itself and answers with a pidfd (SCM_RIGHTS),
so the grader can signal and watch a process it did not start. Isolation of the child, on top
of the worker's sandbox, gives each kernel what the per-submission sandbox gave it:

- a user and mount namespace of its own, in which a fresh tmpfs covers ROOT (every other
  working copy, the course copies with their solutions, this socket) and /tmp; its own working
  copy and home are bound back at their paths, read-write;
- then a second user and mount namespace: the mounts above are locked, and cannot be undone
  from inside to uncover what they hide;
- a pid namespace of its own, the kernel as its pid 1: it cannot signal the zygote or another
  kernel (a stopped zygote would stall every grading after it), and whatever it starts dies
  with it;
- none of the zygote's open files (its socket, the grader's connection);
- not dumpable (``/proc/PID/root`` of the zygote or of a kernel is closed to the others), the
  memory and CPU limits.

The zygote tests that isolation once at start; if the machine refuses it (no nested user
namespaces), it says so on its first line and the worker starts kernels the usual way.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import random
import resource
import socket
import sys

PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "torch", "torch.nn", "torch.nn.functional",
           "torch.optim", "torch.testing", "torch._dynamo", "torch.utils.data", "numpy", "matplotlib",
           "matplotlib.pyplot", "helpers.checks", "helpers.integrity", "helpers.plots", "helpers.progress",
           "helpers.loaders", "helpers.optim_paths")

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH, PR_SET_DUMPABLE = 2, 4
_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _call(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _new_namespaces(more: int = 0) -> None:
    """A user namespace (same uid and gid, no more rights outside) and a mount namespace."""
    uid, gid = os.geteuid(), os.getegid()
    _call(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | more), "unshare")
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _flags(path: str) -> int:
    """The mount flags a remount must keep (locked ones cannot be dropped in a user namespace)."""
    st = os.statvfs(path).f_flag
    return sum(flag for bit, flag in ((os.ST_RDONLY, MS_RDONLY), (os.ST_NOSUID, MS_NOSUID),
                                      (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC)) if st & bit)


def _under(path: str, folders) -> bool:
    return any(os.path.commonpath([path, folder]) == folder for folder in folders)


def isolate(root: str, stage: str, writable: list[str], readable: list[str]) -> None:
    """Cover ROOT and /tmp, keep only this kernel's folders (and read-only paths under them), lock."""
    _new_namespaces()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV)
    covers = (root, "/tmp")
    keep = [(p, False) for p in writable] + [(p, True) for p in readable if _under(p, covers)]
    for i, (path, _) in enumerate(keep):
        os.mkdir(f"{stage}/{i}")
        _mount(path, f"{stage}/{i}", None, MS_BIND | MS_REC)
    for cover in covers:
        _mount("tmpfs", cover, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for i, (path, read_only) in enumerate(keep):
        os.makedirs(path, exist_ok=True)
        _mount(f"{stage}/{i}", path, None, MS_BIND | MS_REC)
        if read_only and not os.statvfs(path).f_flag & os.ST_RDONLY:
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _flags(path))
    _call(_libc.umount2(stage.encode(), MNT_DETACH), "umount")
    # From here on the mounts above are locked; the next child is pid 1 of a namespace of its own.
    _new_namespaces(CLONE_NEWPID)


def _limits(request: dict) -> None:
    for kind, value in ((resource.RLIMIT_DATA, int(request.get("memory_mb") or 0) << 20),
                        (resource.RLIMIT_CPU, int(request.get("cpu_s") or 0))):
        if value:
            _, hard = resource.getrlimit(kind)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, value))


def _prepare(request: dict) -> None:
    """In the forked child: isolate, limit, then everything the kernel inherits."""
    os.setsid()
    isolate(request["root"], request["stage"], request["writable"], request["readable"])
    _call(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl")
    _limits(request)
    os.environ.update(request.get("env") or {})
    os.environ.pop("JPY_PARENT_PID", None)  # the kernel's parent is not the grader
    os.chdir(request["writable"][0])
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    random.seed()  # the zygote's seeds would otherwise be every kernel's
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if request.get("threads") and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(request["threads"]))


def _run_kernel(request: dict) -> None:
    os.setsid()  # its process group is its own: not the parent's, which a kernel could kill
    from ipykernel import kernelapp

    sys.argv = [kernelapp.__file__, "-f", request["connection_file"]]
    try:
        kernelapp.launch_new_instance(argv=sys.argv[1:])
    finally:
        os._exit(0)


def _become_kernel(request: dict, report: socket.socket) -> None:
    """The forked child prepares, then forks the kernel as pid 1 of its own pid namespace: the
    kernel cannot name, let alone signal, the zygote or another kernel, and whatever it starts
    dies with it. This process stays as the kernel's parent until it exits, and sends the
    grader (through the zygote) the kernel's pidfd."""
    try:
        # A fork keeps every open file: the zygote's listening socket and the grader's
        # connection would let a kernel take the next requests. Only the report stays.
        keep = report.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        _prepare(request)
        kernel = os.fork()
        if kernel == 0:
            report.close()
            _run_kernel(request)
        socket.send_fds(report, [b"ok"], [os.pidfd_open(kernel)])
    except BaseException as err:  # noqa: BLE001 - whatever it is, the grader must hear it
        report.sendall(f"erro: {type(err).__name__}: {err}".encode())
        os._exit(1)
    report.close()
    _, status = os.waitpid(kernel, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _fork_kernel(request: dict) -> tuple[int | None, str]:
    """(pidfd of the new kernel, "ok" or what went wrong)."""
    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        ours.close()
        _become_kernel(request, theirs)
    theirs.close()
    with ours:
        message, fds, _, _ = socket.recv_fds(ours, 4096, 1)
    answer = message.decode() or "erro: o kernel morreu ao se isolar"
    if answer != "ok" or not fds:
        for fd in fds:
            os.close(fd)
        return None, answer
    return fds[0], answer


def _self_test(config: dict) -> str | None:
    """None when a child can isolate itself here; otherwise why not."""
    scratch = os.path.join(config["root"], "teste")
    os.makedirs(scratch, exist_ok=True)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            isolate(config["root"], config["stage"], [scratch], [])
            hidden = not os.path.exists(config["socket"])
            kernel = os.fork()
            if kernel == 0:
                os._exit(0 if os.getpid() == 1 else 3)
            own_pids = os.waitstatus_to_exitcode(os.waitpid(kernel, 0)[1]) == 0
            answer = "ok" if hidden and os.path.isdir(scratch) else "a pasta do zigoto continuou visível"
            os.write(write, (answer if own_pids else "o kernel não ganhou um namespace de pid").encode())
        except BaseException as err:  # noqa: BLE001
            os.write(write, f"{type(err).__name__}: {err}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    return None if answer == "ok" else answer


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _serve(server: socket.socket, config: dict) -> None:
    server.settimeout(1.0)
    while True:
        _reap()
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        with conn:
            conn.settimeout(None)
            request = json.loads(conn.makefile("rb").readline())
            request.update(root=config["root"], stage=config["stage"])
            pidfd, answer = _fork_kernel(request)
            message = json.dumps({"ok": pidfd is not None, "message": answer}).encode() + b"\n"
            if pidfd is None:
                conn.sendall(message)
            else:
                socket.send_fds(conn, [message], [pidfd])
                os.close(pidfd)


def main(argv: list[str]) -> None:
    config = json.loads(argv[2])
    config["root"] = argv[1]
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a kernel imports it itself, and says why
            print(f"aviso: {name} não pré-carregado ({err})", file=sys.stderr)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(config["socket"])
    server.listen(4)
    problem = _self_test(config)
    _call(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl")  # its /proc/PID/root shows every working copy
    print(json.dumps({"pronto": True, "isolamento": problem}), flush=True)
    _serve(server, config)


if __name__ == "__main__":
    main(sys.argv)
