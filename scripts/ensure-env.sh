#!/usr/bin/env bash
# Creates the course's Python environment, or reuses it when it is up to date.
#   VENV    where the environment lives (default: .venv in the repository)
#   PYTHON  the Python 3.11+ used to create it (default: python3)
# The environment is reinstalled only when pyproject.toml or constraints.txt change.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${VENV:-.venv}"
python="${PYTHON:-python3}"

hash_files() {
  if command -v sha256sum >/dev/null; then cat "$@" | sha256sum; else cat "$@" | shasum -a 256; fi
}
key=$(hash_files pyproject.toml constraints.txt | cut -c1-16)
stamp="$venv/.modulo4-$key"

if [ ! -f "$stamp" ]; then
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "erro: é preciso Python 3.11 ou mais novo ('$python' não serve). Use PYTHON=python3.12 make ... ou o conda (environment.yml)." >&2
    exit 1
  fi
  echo "Preparando o ambiente em $venv (a primeira vez leva alguns minutos)..."
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  # The extras this pyproject.toml defines: all four here, only "course" in the students'
  # repository (python -m instructor export-student), which has no instructor tools.
  extras=$("$python" -c 'import sys, tomllib
defined = tomllib.load(open("pyproject.toml", "rb"))["project"].get("optional-dependencies", {})
print(",".join(e for e in sys.argv[1:] if e in defined))' course instructor test browser)
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on \
    $(PYTHON="$python" scripts/torch-index.sh) -c constraints.txt -e ".[$extras]"
  rm -f "$venv"/.modulo4-*
  touch "$stamp"
fi

# A reused environment may point at another checkout of the course (CI clones anew):
# re-link the editable install to this one, which takes seconds. The check runs from /,
# since from here the checkout itself would shadow the installed package.
here=$(pwd -P)
python_abs="$(cd "$venv" && pwd -P)/bin/python"
if ! (cd / && "$python_abs" -c "import helpers, pathlib, sys; sys.exit(not str(pathlib.Path(helpers.__file__).resolve()).startswith('$here/'))") 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
fi
