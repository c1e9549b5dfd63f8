# Módulo 4 — PyTorch. `make lab` para estudar, `make test` para a suíte de testes,
# `make test-student` para o curso onde o aluno o encontra: os notebooks num navegador de
# verdade (`make test-browser`, precisa do Chromium) e num ambiente como o do Colab.
# `make export-student DEST=../pasta` escreve o repositório público dos alunos (sem soluções).
# VENV escolhe onde fica o ambiente (padrão: .venv).
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export VENV

.PHONY: env lab test test-browser test-student build grade export-student

env:
	@scripts/ensure-env.sh

lab: env
	$(BIN)/python scripts/lab.py meus_notebooks

test: env
	$(BIN)/python -m pytest

# One JupyterLab and one Chromium for the whole run: no xdist workers.
test-browser: env
	$(BIN)/python -m pytest -m browser -n 0 tests/test_browser.py

test-student: env
	$(BIN)/python -m pytest -m "browser or student" -n 0 tests/test_browser.py tests/test_colab.py

build: env
	$(BIN)/python -m instructor build $(ID)

# make grade (todas as aulas com entregas) ou make grade ID=01_requires_grad; ARGS=--force etc.
grade: env
	$(BIN)/python -m instructor grade $(ID) $(ARGS)

export-student: env
	@test -n "$(DEST)" || (echo "uso: make export-student DEST=../modulo4-pytorch-alunos" >&2; exit 2)
	$(BIN)/python -m instructor export-student "$(DEST)"
