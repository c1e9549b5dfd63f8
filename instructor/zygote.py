"""The worker's side of kernel_zygote.py: start it once per worker, ask it for kernels.

``Zygote.start`` runs the zygote in the worker's sandbox (its own pid namespace, the Python
environment and MNIST read-only, its folder read-write; run by root it keeps root's
capabilities, which each kernel gives up in its own user namespace) and waits for it to have
imported everything. ``ZygoteProvisioner`` is jupyter_client's local
provisioner with one change: the kernel is forked by the zygote instead of started by
``Popen``, and watched and signalled through the pidfd the zygote sends back
(``ForkedKernel``, the few ``Popen`` methods jupyter_client uses).

Where the zygote cannot start or cannot isolate its kernels, ``for_worker`` returns None and
the worker starts each kernel in its own sandbox, as before (bounded.py, kernel_launcher.py).
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Dict, Unicode

from . import sandbox

SERVER = Path(__file__).with_name("kernel_zygote.py")
STAGE = "/run/modulo4-palco"  # an empty tmpfs in the worker's sandbox, where a kernel sets its folders aside
SOCKET = "zigoto.sock"  # in the zygote's folder
START_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 60


class ZygoteError(RuntimeError):
    pass


class ForkedKernel:
    """A kernel the grader did not start: what jupyter_client asks of a ``Popen``, through a pidfd."""

    stdin = stdout = stderr = None

    def __init__(self, pidfd: int):
        self.pidfd = pidfd
        self.pid = None  # in the zygote's pid namespace, not ours
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -1  # not our child: the exit status is the zygote's to read
            os.close(self.pidfd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            select.select([self.pidfd], [], [], timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired("kernel", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    def __init__(self, root: Path, process: subprocess.Popen, isolation_problem: str | None):
        self.root, self.process, self.problem = root, process, isolation_problem
        self.lock = threading.Lock()
        self.key: tuple = ()

    @classmethod
    def start(cls, readable: list[Path], env: dict[str, str], threads: int) -> Zygote:
        root = Path(tempfile.mkdtemp(prefix="modulo4-zigoto-"))
        (root / "matplotlib").mkdir()
        env = {**env, "MPLCONFIGDIR": str(root / "matplotlib"),
               # what ipykernel would set, before matplotlib reads it at import
               "MPLBACKEND": "module://matplotlib_inline.backend_inline",
               **{var: str(threads) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}
        bwrap = sandbox.bwrap_prefix([root], [*readable, SERVER], root, extra=["--tmpfs", STAGE],
                                     drop_caps=False)
        config = {"stage": STAGE, "socket": str(root / SOCKET)}
        process = subprocess.Popen([*bwrap, sys.executable, "-P", str(SERVER), str(root), json.dumps(config)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=root)
        ready = select.select([process.stdout], [], [], START_TIMEOUT_S)[0]
        line = process.stdout.readline() if ready else b""
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            process.kill()
            shutil.rmtree(root, ignore_errors=True)
            raise ZygoteError(f"o zigoto não iniciou (código {process.poll()})") from None
        zygote = cls(root, process, answer.get("isolamento"))
        atexit.register(zygote.close)
        # A Dask worker is a multiprocessing child: it leaves through os._exit, skipping atexit.
        multiprocessing.util.Finalize(zygote, zygote.close, exitpriority=10)
        return zygote

    @property
    def socket(self) -> Path:
        return self.root / SOCKET

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kernel(self, connection_file: str, request: dict) -> ForkedKernel:
        """A new kernel for one working copy (under ``root``), watched through its pidfd.
        ``request``: ``writable`` (working copy first, then home) and ``readable`` folders, ``env``,
        ``memory_mb``, ``cpu_s``, ``threads`` (kernel_zygote.py)."""
        request = {**request, "connection_file": connection_file,
                   "readable": [*request.get("readable", []), str(self.root / "matplotlib")]}
        with self.lock, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(REQUEST_TIMEOUT_S)  # a zygote that stopped answering must not stall the class
            conn.connect(str(self.socket))
            conn.sendall(json.dumps(request).encode() + b"\n")
            try:
                message, fds, _, _ = socket.recv_fds(conn, 65536, 1)
            except TimeoutError:
                self.process.kill()  # the next for_worker starts another
                raise ZygoteError(f"o zigoto não respondeu em {REQUEST_TIMEOUT_S} s") from None
        answer = json.loads(message) if message else {"ok": False, "message": "o zigoto não respondeu"}
        if not answer["ok"] or not fds:
            raise ZygoteError(answer["message"])
        return ForkedKernel(fds[0])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


_zygote: Zygote | None = None
_refused: tuple[tuple, str] | None = None  # (key, why) where the zygote could not isolate kernels


def for_worker(readable: list[Path], env: dict[str, str], threads: int) -> Zygote | None:
    """This worker's zygote, started on first use (and again if it died); None where it cannot
    run or cannot isolate kernels: the caller then starts kernels one by one, as before."""
    global _zygote, _refused
    key = (tuple(map(str, readable)), tuple(sorted(env.items())), threads)
    if _refused is not None and _refused[0] == key:
        return None
    if _zygote is not None and (not _zygote.alive or _zygote.key != key):
        _zygote.close()  # a kernel forked from it would read the old environment
        _zygote = None
    if _zygote is None:
        try:
            _zygote = Zygote.start(readable, env, threads)
        except (OSError, ZygoteError) as err:
            print(f"aviso: kernels sem zigoto ({err})", file=sys.stderr)
            return None
        _zygote.key = key
    if _zygote.problem:  # kept running, it would only hold its memory
        print(f"aviso: kernels sem zigoto, um a um (o zigoto não isola kernels aqui: {_zygote.problem})",
              file=sys.stderr)
        _refused = (key, _zygote.problem)
        _zygote.close()
        _zygote = None
    return _zygote


class ZygoteProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel forked by the worker's zygote."""

    zygote_socket = Unicode()
    request = Dict()

    async def launch_kernel(self, cmd: list[str], **kwargs) -> dict:
        zygote = _zygote if _zygote is not None and str(_zygote.socket) == self.zygote_socket else None
        if zygote is None:
            raise ZygoteError("o zigoto deste processo não está mais no ar")
        self.process = zygote.kernel(self.parent.connection_file, self.request)
        self.pid, self.pgid = None, None
        self.cwd = self.request["writable"][0]
        return self.connection_info
