# Módulo 4 — PyTorch. `make lab` para estudar, `make test` para a suíte de testes,
# `make test-browser` para os notebooks num navegador de verdade (precisa do Chromium).
# VENV escolhe onde fica o ambiente (padrão: .venv).
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export VENV

.PHONY: env lab test test-browser build grade

env:
	@scripts/ensure-env.sh

lab: env
	$(BIN)/python scripts/lab.py meus_notebooks

test: env
	$(BIN)/python -m pytest

# One JupyterLab and one Chromium for the whole run: no xdist workers.
test-browser: env
	$(BIN)/python -m pytest -m browser -n 0 tests/test_browser.py

build: env
	$(BIN)/python -m instructor build $(ID)

grade: env
	@test -n "$(ID)" || (echo "uso: make grade ID=01_requires_grad" >&2; exit 2)
	$(BIN)/python -m instructor grade $(ID)
