"""What a student's `make lab` does to their files, and the environment script's guards."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_notebooks(dest):
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lab.py"), str(dest), "--no-launch"],
        capture_output=True, text=True, check=True,
    ).stdout


def test_lab_runs_as_root_and_hides_the_instructor_tools(monkeypatch, tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import lab
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    assert "--allow-root" in lab.lab_command(tmp_path)
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    assert "--allow-root" not in lab.lab_command(tmp_path)
    disabled = json.loads((REPO / "jupyter" / "aluno" / "labconfig" / "page_config.json").read_text())
    assert "@jupyter/nbgrader:validate-assignment" not in disabled["disabledExtensions"]
    assert disabled["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    server = json.loads((REPO / "jupyter" / "aluno" / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["nbgrader.server_extensions.validate_assignment"] is True


def test_student_notebooks_are_copied_once_and_never_overwritten(tmp_path):
    dest = tmp_path / "meus_notebooks"
    releases = sorted(REPO.glob("release/*/*.ipynb"))
    assert releases, "nenhum notebook em release/"

    first = copy_notebooks(dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in releases)
    assert first.count("novo:") == len(releases)

    work = dest / releases[0].name
    work.write_text("o trabalho do aluno", encoding="utf-8")
    (dest / releases[-1].name).unlink()  # a lesson the student has not started yet

    second = copy_notebooks(dest)
    assert work.read_text(encoding="utf-8") == "o trabalho do aluno"
    assert (dest / releases[-1].name).read_bytes() == releases[-1].read_bytes()
    assert second.count("novo:") == 1


def test_environment_script_refuses_an_old_python_in_portuguese(tmp_path):
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure-env.sh")],
        env={"PATH": "/usr/bin:/bin", "VENV": str(tmp_path / "venv"), "PYTHON": str(fake)},
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "Python 3.11 ou mais novo" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_installed_helpers_are_this_checkouts(tmp_path):
    # Kernels (and nbgrader) import helpers from the environment, not from the repository
    # folder: a reused environment still linked to another checkout would grade old code.
    found = subprocess.run(
        [sys.executable, "-c", "import helpers; print(helpers.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(found).resolve().is_relative_to(REPO.resolve())


def _torch_index(env):
    return subprocess.run(["bash", str(REPO / "scripts" / "torch-index.sh")], env=env,
                          capture_output=True, text=True, check=True)


def test_cpu_wheels_where_there_is_no_nvidia_gpu_and_the_index_answers(tmp_path):
    import functools
    import http.server
    import threading

    (tmp_path / "torch").mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = f"http://127.0.0.1:{server.server_address[1]}"
    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "MODULO4_TORCH_CPU_INDEX": index}
    try:
        assert _torch_index(env).stdout.strip() == f"--extra-index-url {index}"
        gpu = tmp_path / "bin"
        gpu.mkdir()
        (gpu / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
        (gpu / "nvidia-smi").chmod(0o755)
        assert _torch_index({**env, "PATH": f"{gpu}:/usr/bin:/bin"}).stdout == ""  # keep CUDA
    finally:
        server.shutdown()


def test_default_wheels_when_the_cpu_index_cannot_be_reached():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "MODULO4_TORCH_CPU_INDEX": f"http://127.0.0.1:{port}"}
    result = _torch_index(env)
    assert result.stdout == ""
    assert "não respondeu" in result.stderr
