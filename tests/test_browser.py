"""The student notebooks in a real browser: JupyterLab as a student gets it, driven by Chromium.

One JupyterLab server per session, started with the student configuration (jupyter/aluno, as
``make lab`` does) and ``NBGRADER_EXECUTION=validate`` so the lessons' demos shrink; headless
Chromium, through Playwright, runs each notebook with the menu Run → Run All Cells, one after
another. For each lesson:

- the untouched student notebook (release/) reaches its last cell, and every graded test cell
  shows the stub's message, "Exercício ainda não respondido";
- the notebook with the solutions (source/) shows no error and no stderr, its figures as
  images, its widgets rendered, and nbgrader's Validate button without the instructor's tools.

A full-page screenshot of each run goes to tests/artifacts/browser/ (or $BROWSER_ARTIFACTS),
with the times in timings.json. Marked ``browser``: left out of ``make test``, run by
``make test-browser``; skipped where Playwright or Chromium is missing, unless
MODULO4_REQUIRE_BROWSER is set (CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from instructor.layout import REPO, lesson_ids, notebook

LESSONS = lesson_ids()
STUB_MESSAGE = "Exercício ainda não respondido"
# nbgrader's instructor tools, as JupyterLab names them in menus, palette and sidebar.
INSTRUCTOR_TOOLS = ("Formgrader", "Course List", "Create Assignment", "Assignment List")
# How JupyterLab marks an output: errors are rendered as stderr.
STDERR_MIMES = ("application/vnd.jupyter.stderr", "application/vnd.jupyter.error")

SERVER_START_S = 180  # a loaded 2-core machine needs ~30 s
RUN_ALL_S = float(os.environ.get("BROWSER_RUN_TIMEOUT_S", 600))  # one notebook's Run All
SETTLE_S = 30  # widgets and images rendering after the last cell ran
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOT_MAX_HEIGHT = 60000

# One server and one browser for all: run with -n 0 (make test-browser). The xdist group
# would keep them in one worker, but pytest 9.2 ignores the group xdist 3.8 writes into the
# node id, so under `-n 2` each worker starts its own (slower, still correct).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips
    PlaywrightTimeout = TimeoutError


def _missing(reason: str):
    if os.environ.get("MODULO4_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def _chromium() -> str | None:
    candidates = [os.environ.get("MODULO4_CHROMIUM")] if os.environ.get("MODULO4_CHROMIUM") else [
        shutil.which(name) for name in ("chromium", "chromium-browser")
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _artifacts() -> Path:
    folder = Path(os.environ.get("BROWSER_ARTIFACTS") or REPO / "tests" / "artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _record_time(name: str, seconds: float) -> None:
    path = _artifacts() / "timings.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    times[name] = round(seconds, 1)
    path.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------
# The JupyterLab server and the browser, one of each per session.
# ---------------------------------------------------------------------------


@dataclass
class Lab:
    url: str
    token: str
    root: Path  # the server's notebook folder: blank/<id>.ipynb and solved/<id>.ipynb
    log: Path

    def api(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, b""

    def sessions_of(self, path: str) -> list[dict]:
        status, body = self.api("/api/sessions")
        return [s for s in (json.loads(body) if status == 200 else []) if s.get("path") == path]

    def kernel_ready(self, path: str) -> bool:
        """The notebook's kernel is up, idle, and the page is connected to it."""
        kernels = [s.get("kernel") or {} for s in self.sessions_of(path)]
        return any(k.get("execution_state") == "idle" and k.get("connections", 0) > 0 for k in kernels)

    def shut_down_kernel_of(self, path: str) -> None:
        """Ends the notebook's kernel: the next notebook gets the CPU and the memory."""
        for session in self.sessions_of(path):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(folder: Path) -> None:
    """JupyterLab user settings for the test: every cell in the page, no news toast."""
    settings = {
        # Without windowing, all cells are in the DOM (checks) and in the screenshot.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }
    for name, values in settings.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _stop(process: subprocess.Popen, lab: Lab | None) -> None:
    if lab is not None:
        lab.api("/api/shutdown", method="POST")  # also ends the kernels it started
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        _missing("JupyterLab ausente (pip install -e '.[course]')")
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    for lid in LESSONS:
        for folder, kind in (("release", "blank"), ("source", "solved")):
            original = notebook(REPO, folder, lid)
            if original.exists():
                (root / kind).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(original, root / kind / original.name)
    _write_settings(base / "settings")
    (base / "config").mkdir()

    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(
        os.environ,
        # The student's configuration (scripts/lab.py), and nothing from this user's ~/.jupyter.
        JUPYTER_CONFIG_PATH=os.pathsep.join(
            p for p in (str(REPO / "jupyter" / "aluno"), os.environ.get("JUPYTER_CONFIG_PATH")) if p
        ),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        NBGRADER_EXECUTION="validate",
        # The kernels import this checkout's helpers.
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    )
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--ServerApp.token={token}", "--allow-root", f"--notebook-dir={root}",
        f"--LabApp.user_settings_dir={base / 'settings'}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = base / "jupyterlab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=base)
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                if server.api("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                pytest.fail(f"o JupyterLab não respondeu em {SERVER_START_S} s:\n{tail}")
            time.sleep(1)
        yield server
    finally:
        _stop(process, server if process.poll() is None else None)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright ausente (pip install -e '.[browser]')")
    chromium = _chromium()
    if chromium is None:
        _missing("Chromium ausente (apt-get install chromium, ou defina MODULO4_CHROMIUM)")
    args = ["--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=args)
        try:
            yield instance
        finally:
            instance.close()


# ---------------------------------------------------------------------------
# Driving JupyterLab.
# ---------------------------------------------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
VALIDATE = f"{PANEL} .jp-NotebookPanel-toolbar .validate-button"

# The kernel's status and each code cell's prompt: "[*]:" runs now, "[ ]:" waits or never ran.
STATE = """panel => ({
    status: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status,
    prompts: [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim()),
})"""
HALT_S = 10  # idle this long with cells left unrun: Run All stopped at an error
NEVER_STARTED_S = 60  # idle this long and no cell ran nor runs: Run All never started
KERNEL_START_S = 120  # a loaded 2-core machine starts a kernel in 2-10 s


def wait_run_all(page, timeout_s: float) -> dict:
    """Waits for Run All to finish: the last code cell ran, or the run stopped at an error.

    JupyterLab shows queued cells as "[ ]:" like cells that will never run, and the kernel is
    idle for an instant between two cells: an early stop is told by a quiet that lasts.
    """
    panel = page.locator(PANEL)
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while True:
        state = panel.evaluate(STATE)
        prompts, idle = state["prompts"], state["status"] == "idle"
        if state != last:
            last, since = state, time.monotonic()
        ran = [bool(re.fullmatch(r"\[\d+\]:", p)) for p in prompts]
        if idle and ran and ran[-1]:
            return state
        if idle and any(ran) and "[*]:" not in prompts and time.monotonic() - since > HALT_S:
            return state
        if idle and not any(ran) and "[*]:" not in prompts and time.monotonic() - since > NEVER_STARTED_S:
            # JupyterLab clears, without a word, the cells it was asked to run with no kernel.
            raise AssertionError(f"Run All não começou: nenhuma célula rodou em {NEVER_STARTED_S} s, kernel ocioso")
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All não terminou em {timeout_s:.0f} s; kernel {state['status']}, prompts {prompts}")
        page.wait_for_timeout(500)


# Images decoded and widget views drawn (or given up with an error message). A widget view's
# output has no data-mime-type, unlike every other output.
SETTLED = """panel => {
    const images = [...panel.querySelectorAll('.jp-OutputArea-output img')];
    const views = [...panel.querySelectorAll('.jp-OutputArea-output:not([data-mime-type])')];
    return images.every(i => i.complete)
        && views.every(v => v.querySelector('.jupyter-widgets') || /Error/.test(v.innerText));
}"""

CELLS = """panel => [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    prompt: cell.querySelector('.jp-InputArea-prompt')?.textContent.trim() ?? '',
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
        mime: o.dataset.mimeType || '', text: o.innerText.slice(-5000)})),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')]
        .map(i => i.complete && i.naturalWidth > 0),
    widgets: [...cell.querySelectorAll('.jp-OutputArea-output:not([data-mime-type])')]
        .map(v => ({drawn: v.querySelector('.jupyter-widgets') !== null
                    && v.getBoundingClientRect().height > 0,
                    text: v.innerText.slice(0, 300)})),
}))"""


@dataclass
class Run:
    lid: str
    cells: list[dict]  # the notebook's cells (nbformat)
    shown: list[dict]  # what the browser shows for each of them (CELLS)
    validate: bool  # nbgrader's Validate button shows in the notebook's toolbar
    menubar: list[str]
    sidebar: list[str]
    seconds: float

    def code(self) -> list[tuple[int, dict, dict]]:
        return [(i, c, s) for i, (c, s) in enumerate(zip(self.cells, self.shown)) if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _excerpt(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


@pytest.fixture(scope="session")
def jupyter(browser, lab):
    """One browser tab with JupyterLab loaded once (~10-40 s); each notebook opens in it."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    _load(page, lab)
    yield page
    page.close()


def _load(page, lab: Lab) -> None:
    # ?reset: a fresh workspace, nothing reopened from an earlier session.
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    page.wait_for_selector("#jp-menu-panel .lm-MenuBar-item")


def _menu(page, top: str, command: str) -> None:
    """Clicks menu ``top`` of the menu bar, then its item that runs ``command``."""
    page.locator("#jp-menu-panel .lm-MenuBar-item", has_text=re.compile(f"^{top}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def open_notebook(page, lab: Lab, path: str) -> None:
    """File → Open from Path…, then waits for the cells and the kernel.

    The toolbar's kernel indicator says "idle" before any kernel exists, and Run All in that
    window clears every cell without running it: the server's word that the kernel is idle
    and the page connected to it is what counts.
    """
    _menu(page, "File", "filebrowser:open-path")
    page.locator(".jp-Dialog input").fill(path)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell")
    deadline = time.monotonic() + KERNEL_START_S
    while not lab.kernel_ready(path):
        if time.monotonic() > deadline:
            raise AssertionError(f"o kernel de {path} não ficou pronto em {KERNEL_START_S} s: {lab.sessions_of(path)}")
        page.wait_for_timeout(500)
    page.wait_for_selector(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]')


def close_notebook(page, lab: Lab, path: str) -> None:
    """File → Close Tab, discarding the outputs; then its kernel ends (JupyterLab keeps it)."""
    try:
        page.keyboard.press("Escape")
        _menu(page, "File", "application:close")
        discard = page.locator(".jp-Dialog button", has_text="Discard")
        try:
            discard.click(timeout=5_000)
        except PlaywrightTimeout:
            pass  # nothing ran, nothing to discard
        page.wait_for_selector(PANEL, state="detached", timeout=30_000)
    except Exception:
        _load(page, lab)  # a page left in a strange state: the next notebook gets a fresh one
    finally:
        lab.shut_down_kernel_of(path)


def run_all(page, lab: Lab, lid: str, kind: str) -> Run:
    """Opens ``<kind>/<lid>.ipynb``, runs Run → Run All Cells, waits and reads the page."""
    path = f"{kind}/{lid}.ipynb"
    cells = json.loads((lab.root / path).read_text(encoding="utf-8"))["cells"]
    try:
        open_notebook(page, lab, path)
        start = time.monotonic()
        _menu(page, "Run", "runmenu:run-all")
        panel = page.locator(PANEL)
        try:
            wait_run_all(page, RUN_ALL_S)
        except AssertionError:
            page.screenshot(path=str(_artifacts() / f"{lid}-{kind}-timeout.png"))
            raise
        seconds = time.monotonic() - start
        try:
            page.wait_for_function(SETTLED, arg=panel.element_handle(), timeout=SETTLE_S * 1000, polling=500)
        except PlaywrightTimeout:  # the checks say what did not render
            pass
        run = Run(
            lid, cells,
            shown=panel.evaluate(CELLS),
            validate=page.locator(VALIDATE).is_visible(),
            menubar=page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_inner_texts(),
            sidebar=_sidebar(page),
            seconds=seconds,
        )
        _screenshot(page, _artifacts() / f"{lid}-{kind}.png")
        _record_time(f"{lid}-{kind}", seconds)
        return run
    finally:
        close_notebook(page, lab, path)


def _sidebar(page) -> list[str]:
    return [tab.get_attribute("title") or "" for tab in page.locator(".jp-SideBar .lm-TabBar-tab").all()]


def _screenshot(page, path: Path) -> None:
    """The whole notebook: the window grows to the notebook's height, then the picture."""
    open_sidebar = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if open_sidebar.count():
        open_sidebar.click()  # the notebook gets the width of the file browser
    scroller = page.locator(f"{PANEL} .jp-WindowedPanel-outer")
    hidden = scroller.evaluate("s => s.scrollHeight - s.clientHeight")
    height = min(VIEWPORT["height"] + max(hidden, 0), SCREENSHOT_MAX_HEIGHT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        scroller.evaluate("s => { s.scrollTop = 0; }")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)


def _check_shape(run: Run) -> None:
    assert len(run.shown) == len(run.cells), (
        f"a página mostra {len(run.shown)} células de {len(run.cells)}: o JupyterLab virtualizou o notebook?"
    )
    last = run.code()[-1]
    assert re.fullmatch(r"\[\d+\]:", last[2]["prompt"]), (
        f"{run.lid}: Run All não chegou à última célula de código (célula {last[0]}, prompt "
        f"{last[2]['prompt']!r}); parou em: {_first_failure(run)}"
    )


def _first_failure(run: Run) -> str:
    for i, cell, shown in run.code():
        for output in shown["outputs"]:
            if output["mime"] in STDERR_MIMES:
                return f"célula {i} ({_source(cell)[:60]!r}...): {_excerpt(output['text'])}"
    return "nenhum erro visível"


# ---------------------------------------------------------------------------
# The tests.
# ---------------------------------------------------------------------------


def _lesson_param(lid: str):
    return pytest.param(lid, id=lid)


@pytest.mark.parametrize("lid", [_lesson_param(lid) for lid in LESSONS])
def test_blank_notebook_runs_to_the_end_and_every_test_says_not_answered(jupyter, lab, lid):
    release = notebook(REPO, "release", lid)
    assert release.exists(), f"{release} não existe: rode `python -m instructor build {lid}`"
    run = run_all(jupyter, lab, lid, "blank")
    _check_shape(run)
    silent = []
    for i, cell, shown in run.code():
        grading = cell["metadata"].get("nbgrader", {})
        if grading.get("grade") and not grading.get("solution"):
            texts = " ".join(o["text"] for o in shown["outputs"])
            if STUB_MESSAGE not in texts:
                silent.append(f"{grading.get('grade_id')} (célula {i}): {_excerpt(texts, 200)!r}")
    assert not silent, f"{run.lid}: testes sem a mensagem {STUB_MESSAGE!r}:\n" + "\n".join(silent)


@pytest.mark.parametrize("lid", [_lesson_param(lid) for lid in LESSONS])
def test_solved_notebook_runs_clean_with_plots_widgets_and_validate(jupyter, lab, lid):
    source = notebook(REPO, "source", lid)
    assert source.exists(), f"{source} não existe: rode `python -m instructor build {lid}`"
    run = run_all(jupyter, lab, lid, "solved")
    _check_shape(run)
    problems = []

    for i, cell, shown in run.code():
        text = _source(cell)
        where = f"célula {i} ({text.strip().splitlines()[0][:60]!r})" if text.strip() else f"célula {i}"
        if not re.fullmatch(r"\[\d+\]:", shown["prompt"]):
            problems.append(f"{where}: não rodou (prompt {shown['prompt']!r})")
        for output in shown["outputs"]:
            if output["mime"] in STDERR_MIMES:
                problems.append(f"{where}: erro ou stderr: {_excerpt(output['text'])}")
        if not all(shown["images"]):
            problems.append(f"{where}: imagem que não carregou")
        if re.search(r"^plt\.show\(\)", text, re.M) and not shown["images"]:
            problems.append(f"{where}: chama plt.show() e não mostra imagem")
        for view in shown["widgets"]:
            if not view["drawn"]:
                problems.append(f"{where}: widget não desenhado: {view['text']!r}")
        if "ipywidgets" in text and not any(v["drawn"] for v in shown["widgets"]):
            problems.append(f"{where}: usa ipywidgets e não mostra widget")

    plots = any(re.search(r"\bplt\.|\bplot_\w+\(|LivePlot", _source(c)) for _, c, _ in run.code())
    if plots and not any(any(s["images"]) for _, _, s in run.code()):
        problems.append("a aula desenha gráficos e nenhuma imagem apareceu")

    if not run.validate:
        problems.append("sem o botão Validate do nbgrader na barra do notebook")
    if any(label.strip().lower() == "nbgrader" for label in run.menubar):
        problems.append(f"menu Nbgrader do instrutor visível: {run.menubar}")
    for title in run.sidebar:
        if any(tool.lower() in title.lower() for tool in INSTRUCTOR_TOOLS):
            problems.append(f"ferramenta do instrutor na barra lateral: {title!r}")

    assert not problems, f"{run.lid}:\n" + "\n".join(problems)


def test_student_lab_has_validate_and_none_of_the_instructor_tools(jupyter, lab):
    """Every menu, the command palette, the sidebars and the server; and Validate answers."""
    lid = next((lid for lid in LESSONS if (lab.root / "blank" / f"{lid}.ipynb").exists()), None)
    if lid is None:
        pytest.skip("nenhum notebook em release/")
    page, path = jupyter, f"blank/{lid}.ipynb"
    try:
        open_notebook(page, lab, path)
        labels = []
        for item in page.locator("#jp-menu-panel .lm-MenuBar-item").all():
            item.click()
            labels += page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts()
            page.keyboard.press("Escape")
        _menu(page, "View", "apputils:activate-command-palette")
        palette = page.locator(".lm-CommandPalette-itemLabel").all_inner_texts()
        page.keyboard.press("Escape")
        sidebar = _sidebar(page)
        # Validate works, not only shows: nbgrader runs the blank notebook and names a failure.
        page.locator(VALIDATE).click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=RUN_ALL_S * 1000)
        result = dialog.inner_text()
        page.keyboard.press("Escape")
    finally:
        close_notebook(page, lab, path)

    assert len(palette) > 50, "a paleta de comandos não abriu"
    for place, texts in (("menus", labels), ("paleta", palette), ("barra lateral", sidebar)):
        shown = [t for t in texts if any(tool.lower() in t.lower() for tool in INSTRUCTOR_TOOLS)]
        assert not shown, f"ferramentas do instrutor nos {place}: {shown}"
    assert "Validation Results" in result and STUB_MESSAGE in result, f"Validate respondeu: {result[:500]!r}"
    # The server side: nbgrader's instructor handlers are off, the student's Validate is on
    # (GET on a POST-only handler: 405, not 404).
    for endpoint in ("/formgrader", "/formgraders", "/assignments", "/courses"):
        assert lab.api(endpoint)[0] == 404, f"{endpoint} responde: a extensão do instrutor está ligada"
    assert lab.api("/assignments/validate")[0] == 405
