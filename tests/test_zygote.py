"""The kernel zygote (instructor/zygote.py, kernel_zygote.py): forked kernels are as isolated as
kernels started one by one in their own sandbox, and grading falls back to those where the
zygote cannot run.

Each test asks a real zygote for kernels and runs code in them as a student's notebook would:
what a kernel must not see (other working copies, the zygote's socket, the course copies with
the solutions, through /proc too), what it must not undo (the mounts that hide them), what it
must not reach (the zygote, by signalling its process group). Needs bubblewrap; skipped with
the reason where it cannot run, and a failure where CI requires the sandbox.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from instructor import sandbox, task, zygote
from instructor.classgrade import prepare
from tests.fixtures import submissions as S

if sandbox.unavailable_reason() is not None and os.environ.get("MODULO4_REQUIRE_SANDBOX"):
    raise RuntimeError(f"MODULO4_REQUIRE_SANDBOX está definido, mas {sandbox.unavailable_reason()}")
pytestmark = pytest.mark.skipif(sandbox.unavailable_reason() is not None,
                                reason=f"sem sandbox: {sandbox.unavailable_reason()}")

LID = "01_requires_grad"


@pytest.fixture(scope="module")
def zyg():
    z = zygote.for_worker(task._readable(), dict(os.environ), 1)
    if z is None and os.environ.get("MODULO4_REQUIRE_SANDBOX"):
        pytest.fail(f"o zigoto não isola kernels aqui: {zygote._refused}")
    if z is None:
        pytest.skip("o zigoto não isola kernels nesta máquina")
    yield z
    z.close()


class Kernel:
    """One kernel from the zygote, in a working copy of its own under the zygote's folder."""

    def __init__(self, z: zygote.Zygote):
        self.folder = Path(tempfile.mkdtemp(prefix="modulo4-nota-", dir=z.root))
        self.work, self.home = self.folder / "curso" / "trabalho", self.folder / "kernel"
        self.work.mkdir(parents=True)
        self.home.mkdir()
        (self.folder / "curso" / "gabarito.txt").write_text("solução secreta")
        conn, _ = write_connection_file(str(self.home / "kernel.json"), ip=str(self.home / "kernel"), transport="ipc")
        self.process = z.kernel(conn, {"writable": [str(self.work), str(self.home)], "readable": [],
                                       "env": {"HOME": str(self.home)}, "memory_mb": 4096, "cpu_s": 120,
                                       "threads": 1})
        self.client = BlockingKernelClient(connection_file=conn)
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str):
        """The value of the code's last line (printed as JSON by the code itself)."""
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(json.dumps({"erro": msg["content"]["ename"]}))

        self.client.execute_interactive(code, timeout=60, output_hook=hook)
        return json.loads("".join(out).strip().splitlines()[-1])

    def close(self):
        self.client.stop_channels()
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def kernel(zyg):
    k = Kernel(zyg)
    yield k
    k.close()


def test_a_kernel_sees_its_own_folders_and_nothing_else_of_the_zygote(zyg, kernel):
    other = Kernel(zyg)  # a submission graded next to it
    try:
        seen = kernel.run(f"""
import json, os
root = {str(zyg.root)!r}
mine = os.getcwd()
open('saida.txt', 'w').write('ok'); open(os.path.expanduser('~/h.txt'), 'w').write('ok')
print(json.dumps({{"mine": mine, "root": sorted(os.listdir(root)), "tmp": sorted(os.listdir('/tmp')),
                  "course": sorted(os.listdir(os.path.dirname(mine)))}}))""")
    finally:
        other.close()
    assert seen["mine"] == str(kernel.work)
    assert (kernel.work / "saida.txt").read_text() == "ok" and (kernel.home / "h.txt").read_text() == "ok"
    # Its own copy's folder and matplotlib's settings: not the other copy, not the socket.
    assert seen["root"] == sorted(["matplotlib", kernel.folder.name])
    assert zygote.SOCKET not in seen["root"] and other.folder.name not in seen["root"]
    assert seen["course"] == ["trabalho"]  # the course copy's other files (solutions) are hidden
    assert seen["tmp"] == [zyg.root.name]


def test_the_hidden_folders_stay_hidden_whatever_the_kernel_tries(zyg, kernel):
    seen = kernel.run(f"""
import ctypes, glob, json, os
libc = ctypes.CDLL(None, use_errno=True)
root = {str(zyg.root)!r}
umount = [libc.umount2(p.encode(), 2) for p in ('/tmp', root, os.getcwd())]
through_proc = []
for proc in glob.glob('/proc/[0-9]*/root'):
    try:
        through_proc += os.listdir(proc + root)
    except OSError:
        pass
secrets = glob.glob('/proc/*/root' + root + '/*/curso/gabarito.txt') + glob.glob(root + '/*/curso/gabarito.txt')
try:
    open({str(Path(os.__file__))!r}, 'a').close()
    env_writable = True
except OSError:
    env_writable = False
print(json.dumps({{"umount": umount, "proc": sorted(set(through_proc)), "secrets": secrets,
                  "root": sorted(os.listdir(root)), "env_writable": env_writable}}))""")
    assert all(code != 0 for code in seen["umount"]), "o kernel desmontou o que esconde as outras pastas"
    assert seen["secrets"] == [], "o kernel leu o gabarito de uma cópia do curso"
    assert set(seen["proc"]) <= {"matplotlib", kernel.folder.name}, "por /proc o kernel viu outras pastas"
    assert seen["root"] == sorted(["matplotlib", kernel.folder.name])
    assert seen["env_writable"] is False


def test_a_kernel_holds_no_descriptor_of_the_zygote(kernel):
    """A fork inherits every open file: with the zygote's listening socket a kernel could take
    the grader's next requests."""
    held = kernel.run("""
import json, os, socket
held = []
for fd in map(int, os.listdir('/proc/self/fd')):
    try:
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    try:
        held.append(str(s.getsockname()))
    finally:
        s.close()
print(json.dumps(held))""")
    assert not [name for name in held if name.endswith(zygote.SOCKET)], held


def test_a_kernel_cannot_signal_the_zygote_or_another_kernel(zyg, kernel):
    """A stopped zygote would stall every grading after it: the kernel, pid 1 of a namespace of
    its own, cannot name any process it did not start."""
    other = Kernel(zyg)
    try:
        pid = kernel.run("""
import json, os, signal
for entry in os.listdir('/proc'):  # every process of the worker's sandbox, by its pid there
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            os.kill(int(entry), signal.SIGSTOP)
        except OSError:
            pass
os.killpg(0, signal.SIGSTOP)
print(json.dumps(os.getpid()))""")
        assert pid == 1  # its own pid namespace
        # Had any stop reached them, these would time out.
        assert other.run("print(1 + 1)") == 2
        assert kernel.run("print(2 + 2)") == 4
        again = Kernel(zyg)
        try:
            assert again.run("print(3 + 3)") == 6
        finally:
            again.close()
    finally:
        other.close()
    assert zyg.alive


def _running(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                return True
        except OSError:
            pass
    return False


def test_what_a_kernel_leaves_running_dies_with_it(zyg):
    marker = "987654.5"  # sleep's argument: a process no one else runs
    first = Kernel(zyg)
    first.run(f"""
import json, subprocess
subprocess.Popen(['sleep', '{marker}'], start_new_session=True)  # a daemon, out of its session
print(json.dumps(0))""")
    assert _running(marker)
    first.close()
    second = Kernel(zyg)
    try:
        assert not _running(marker), "o processo deixado pelo kernel anterior ainda roda"
        assert second.run("print(40 + 2)") == 42
    finally:
        second.close()


def test_each_kernel_draws_its_own_random_numbers(zyg, kernel):
    other = Kernel(zyg)
    try:
        code = "import json, random, numpy; print(json.dumps([random.random(), float(numpy.random.rand())]))"
        assert kernel.run(code) != other.run(code)
    finally:
        other.close()


def test_the_grader_interrupts_a_loop_through_the_pidfd(kernel):
    kernel.client.execute("while True:\n    pass")
    while kernel.client.get_iopub_msg(timeout=30)["msg_type"] != "execute_input":
        pass
    time.sleep(1)  # idle, ipykernel ignores SIGINT: the loop must be running
    kernel.process.send_signal(signal.SIGINT)
    reply = kernel.client.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert kernel.process.poll() is None  # interrupted, not killed


def test_a_dead_zygote_is_started_again(zyg):
    old = zyg.process.pid
    zyg.process.kill()
    zyg.process.wait()
    new = zygote.for_worker(task._readable(), dict(os.environ), 1)
    assert new is not None and new.alive and new.process.pid != old
    k = Kernel(new)
    try:
        assert k.run("print(2 * 3)") == 6
    finally:
        k.close()


def test_a_zygote_that_cannot_start_means_no_zygote(monkeypatch, capsys):
    monkeypatch.setattr(zygote, "_zygote", None)
    monkeypatch.setattr(zygote, "SERVER", zygote.SERVER.with_name("nao_existe.py"))
    assert zygote.for_worker(task._readable(), {**os.environ, "X_TESTE": "1"}, 1) is None
    assert "kernels sem zigoto" in capsys.readouterr().err


def test_a_zygote_that_cannot_isolate_is_stopped_said_and_not_started_again(monkeypatch, capsys):
    started = []
    real_start = zygote.Zygote.start.__func__

    def start(cls, *args):
        z = real_start(cls, *args)
        z.problem = "simulado"  # as a machine without nested user namespaces answers
        started.append(z)
        return z

    monkeypatch.setattr(zygote, "_zygote", None)
    monkeypatch.setattr(zygote, "_refused", None)
    monkeypatch.setattr(zygote.Zygote, "start", classmethod(start))
    env = {**os.environ, "X_TESTE": "2"}
    assert zygote.for_worker(task._readable(), env, 1) is None
    assert zygote.for_worker(task._readable(), env, 1) is None
    assert len(started) == 1 and not started[0].alive
    assert "simulado" in capsys.readouterr().err


def test_without_a_zygote_the_worker_sandboxes_each_kernel(tmp_path, monkeypatch):
    """Where nested user namespaces are refused, for_worker gives None: the old path grades."""
    course = S.course_with(tmp_path, [LID])
    lesson = prepare(course, LID)
    monkeypatch.setattr(zygote, "for_worker", lambda *a, **k: None)
    job = task.Job(LID, "ana", lesson.source, lesson.template_db, nbformat.writes(S.honest(LID)).encode(), None,
                   task.Limits(budget_s=300), True, lesson.expected_names, feedback=False)
    result = task.grade_one(job)
    assert result.flags == []
    assert result.grades and all(score == top for score, top in result.grades.values())
    # The kernel has its own pid namespace there too: no solutions through /proc/PID/root.
    from tests.test_sandbox_attacks import COPY_THROUGH_PROC

    attack = S.replace_solution(S.release(LID), S.solution_ids(LID)[0],
                                COPY_THROUGH_PROC.format(course=course, repo=S.REPO))
    result = task.grade_one(dataclasses.replace(job, student="proc", submission=nbformat.writes(attack).encode()))
    assert sum(score or 0 for score, _ in result.grades.values()) == 0, result.grades
