"""nbgrader's Execute with limits per submission, not per cell, and an honest record of what happened.

nbgrader alone gives each cell ``Execute.timeout`` (a loop called by every test cell costs it
once per cell), does not bound memory, caps output by lines (50 lines of 1 MB pass), and turns
a kernel that dies into a notebook where every cell needs manual grading and no point is kept.
``BoundedExecute`` replaces Execute in autograde's pipeline:

- one wall-time budget for the whole notebook: each cell's timeout is what is left of it;
  once spent, the remaining cells are not run;
- memory, CPU time and threads limited in the kernel process (kernel_launcher.py), and the
  kernel optionally in the sandbox (sandbox.py), or forked, limited and isolated by the
  worker's zygote (zygote.py, kernel_zygote.py);
- the kernel killed once the notebook has run: its state is thrown away anyway;
- output capped in bytes for the whole notebook; errors and the stderr that zero a test cell
  are kept (only their size is cut), so a cap never turns a failing test into a passing one;
- when the kernel dies, the cells it ran keep their outputs (and their points) and every cell
  after it gets an error, so a test that never ran can never score;
- after each graded test cell, ``helpers.integrity`` checks, from outside the cell's code
  path (``user_expressions``, which IPython's input transformers do not touch), that the
  checkers and key torch functions are still the originals; a test cell run after they were
  rebound gets an error instead of its points.

Every event goes to ``report_path`` (JSON) for the grader: the cell, what happened, in Portuguese.
"""

from __future__ import annotations

import ast
import json
import math
import sys
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Enum, Integer, List, Unicode

from .kernelwait import wait_in_slices

LAUNCHER = Path(__file__).with_name("kernel_launcher.py")
CUT_NOTE = "\n[saída cortada: a entrega passou do limite de {limit} bytes de saída]\n"
PROBE_INSTALL = "import helpers.integrity as _modulo4_integrity; _modulo4_integrity.install(); del _modulo4_integrity"
PROBE_REPORT = "__import__('helpers.integrity', fromlist=['report']).report(globals(), {expected!r})"


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _size(out: NotebookNode) -> int:
    return len(json.dumps(out, default=str))


class LimitedKernelManager(AsyncKernelManager):
    """Starts the kernel through kernel_launcher.py (limits, sandbox) over Unix sockets, or, given
    a zygote, has it forked there (zygote.py: the same limits and isolation, without the imports)."""

    launcher_limits = Dict().tag(config=True)
    zygote_socket = Unicode("").tag(config=True)
    zygote_request = Dict().tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, str(LAUNCHER), json.dumps(self.launcher_limits), "--", *cmd]

    async def _async_pre_start_kernel(self, **kw):
        if self.zygote_socket and self.provisioner is None:
            from .zygote import ZygoteProvisioner

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ZygoteProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self,
                                                 zygote_socket=self.zygote_socket, request=self.zygote_request)
        return await super()._async_pre_start_kernel(**kw)


class BoundedExecute(Execute):
    # nbclient's 4 s wait for a cell's last outputs after its reply is too short on a loaded
    # grading machine (and an interrupted cell's outputs come late).
    iopub_timeout = Integer(30).tag(config=True)
    # A graded kernel's state is thrown away: a graceful shutdown only waited for it (~1 s each).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)
    budget_s = Integer(900, help="Tempo de parede para o notebook inteiro (s).").tag(config=True)
    output_bytes = Integer(2_000_000, help="Saída máxima do notebook inteiro (bytes).").tag(config=True)
    memory_mb = Integer(2048, help="Memória de dados do kernel (MiB).").tag(config=True)
    threads = Integer(0, help="Threads do torch no kernel (0: padrão da biblioteca).").tag(config=True)
    kernel_home = Unicode("", help="Pasta do kernel: conexão, sockets, HOME.").tag(config=True)
    bwrap = List([], help="Prefixo do bubblewrap (vazio: sem sandbox).").tag(config=True)
    zygote_socket = Unicode("", help="Socket do zigoto do worker (vazio: um processo por kernel).").tag(config=True)
    zygote_paths = Dict({}, help="Pastas do kernel no zigoto: writable e readable.").tag(config=True)
    integrity = Bool(True, help="Verifica após cada teste que os verificadores são os originais.").tag(config=True)
    expected_names = Dict({}, help="Nomes que os testes importam: {nome: caminho}.").tag(config=True)
    report_path = Unicode("", help="Onde escrever o relatório (JSON).").tag(config=True)

    # --- the kernel ---------------------------------------------------------------------------
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, LimitedKernelManager):
            km.launcher_limits = {"memory_mb": self.memory_mb, "cpu_s": 2 * self.budget_s + 60,
                                  "threads": self.threads, "bwrap": self.bwrap}
            if self.zygote_socket:
                km.zygote_socket = self.zygote_socket
                km.zygote_request = {**self.zygote_paths, "memory_mb": self.memory_mb,
                                     "cpu_s": 2 * self.budget_s + 60, "threads": self.threads,
                                     "env": {"HOME": self.kernel_home, "PYTHONSAFEPATH": "1"}}
            if self.kernel_home:
                home = Path(self.kernel_home)
                km.transport = "ipc"  # no network in the sandbox: sockets are files in its home
                km.ip = str(home / "kernel")
                km.connection_file = str(home / "kernel.json")
        return km

    # --- the run ------------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        """nbconvert's ExecutePreprocessor.preprocess, with the budget, the crash handling and
        the integrity probe around each cell."""
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.events: list[dict] = []
        self._stopped: str | None = None
        self._out_bytes = 0
        self._cut_cells: set[int] = set()
        if not hasattr(self, "_cell_timeout"):  # Execute.timeout, before _run shortens it
            self._cell_timeout = self.timeout or self.budget_s
        try:
            with self.setup_kernel():
                wait_in_slices(self.kc)
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                self._install_probe()
                deadline = time.monotonic() + self.budget_s
                for index, cell in enumerate(self.nb.cells):
                    self._run(cell, index, deadline)
        except DeadKernelError:
            self._stop(None, "kernel_morreu", "o kernel morreu antes de terminar o notebook")
        self._mark_not_run()
        self.set_widgets_metadata()
        self._write_report()
        return self.nb, self.resources

    def _run(self, cell, index: int, deadline: float) -> None:
        if cell.cell_type != "code" or self._stopped:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            self._stop(index, "tempo_esgotado", f"o notebook passou do tempo total de {self.budget_s} s")
            return
        # Rounded up: a loop then spends the budget to its end, instead of leaving a fraction of
        # a second in which a random number of the next cells (tests included) still run.
        self.timeout = max(1, math.ceil(min(self._cell_timeout, left)))
        try:
            self.execute_cell(cell, index, store_history=True)
        except CellTimeoutError:
            # The outputs did not all arrive (a loaded machine, an interrupted loop): what they
            # would have said is unknown, so the cell cannot count as passed.
            cell.outputs.append(_error("TempoEsgotado", "a célula não terminou de responder a tempo"))
            self._event(index, "tempo_celula", "a célula não terminou de responder a tempo")
            return
        except DeadKernelError:
            cell.outputs.append(_error("KernelMorreu", "o kernel morreu ao executar esta célula "
                                       "(memória, os._exit, falha nativa...)"))
            self._stop(index, "kernel_morreu", "o kernel morreu nesta célula")
            return
        if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
            self._event(index, "tempo_celula", f"a célula passou de {self.timeout} s e foi interrompida")
        if any("can't allocate memory" in str(o.get("evalue", "")) for o in cell.outputs):
            self._event(index, "memoria", f"a célula passou do limite de memória ({self.memory_mb} MiB)")
        if self._is_test(cell):
            self._check_integrity(cell, index)

    def _stop(self, index, code: str, message: str) -> None:
        self._stopped = message
        self._event(index, code, message)

    def _mark_not_run(self) -> None:
        """A test cell with no output scores full points: every cell after a stop gets an error."""
        if not self._stopped:
            return
        for cell in self.nb.cells:
            if cell.cell_type == "code" and "execution_count" in cell and cell.execution_count is None \
                    and not cell.outputs:
                cell.outputs.append(_error("NaoExecutada", f"célula não executada: {self._stopped}"))

    # --- output cap ---------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or not outs or outs[-1] is not out:
            return out
        self._out_bytes += _size(out)
        if self._out_bytes <= self.output_bytes:
            return out
        outs.pop()
        if cell_index not in self._cut_cells:
            self._cut_cells.add(cell_index)
            self._event(cell_index, "saida_cortada", f"a saída passou de {self.output_bytes} bytes e foi cortada")
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=CUT_NOTE.format(limit=self.output_bytes)))
        # What decides a test's score survives the cut, shortened.
        if out.output_type == "error":
            out.traceback = out.traceback[-3:]
            out.evalue = str(out.evalue)[:2000]
            outs.append(out)
        elif out.output_type == "stream" and out.name == "stderr" and not any(
                o.get("name") == "stderr" for o in outs):
            out.text = out.text[:2000]
            outs.append(out)
        return None

    # --- integrity ----------------------------------------------------------------------------
    @staticmethod
    def _is_test(cell) -> bool:
        meta = cell.metadata.get("nbgrader", {})
        return bool(meta.get("grade")) and not meta.get("solution")

    def _install_probe(self) -> None:
        if self.integrity:
            self.wait_for_reply(self.kc.execute(PROBE_INSTALL, silent=True, store_history=False))

    def _check_integrity(self, cell, index: int) -> None:
        if not self.integrity:
            return
        expression = PROBE_REPORT.format(expected=dict(self.expected_names))
        reply = self.wait_for_reply(self.kc.execute("", silent=True, store_history=False,
                                                    user_expressions={"probe": expression}))
        result = (reply or {}).get("content", {}).get("user_expressions", {}).get("probe", {})
        if result.get("status") == "ok":
            try:
                problems = ast.literal_eval(result["data"]["text/plain"])
            except (ValueError, SyntaxError, KeyError):
                problems = ["o relatório de integridade veio ilegível"]
        else:
            problems = [f"a verificação de integridade falhou ({result.get('ename', 'sem resposta')})"]
        if problems:
            cell.outputs.append(_error("Adulteracao", "teste anulado: " + "; ".join(problems)[:2000]))
            self._event(index, "adulteracao", "; ".join(problems)[:500])

    # --- report -------------------------------------------------------------------------------
    def _event(self, index, code: str, message: str) -> None:
        where = None
        if index is not None:
            meta = self.nb.cells[index].metadata.get("nbgrader", {})
            where = meta.get("grade_id") or f"célula {index + 1}"
        self.events.append({"code": code, "cell": where, "message": message})

    def _write_report(self) -> None:
        if self.report_path:
            Path(self.report_path).write_text(json.dumps(self.events, ensure_ascii=False), encoding="utf-8")
