# The two commands of the README. Each sets everything up on a machine with
# only Python 3.9+ (a shared dependency environment, then ./.venv), then runs.
#   make demo   pretrain DILEMMA + MoCo v3 on the built-in shape data, evaluate
#   make test   lint and the test suite
PYTHON ?= python3
VENV_PY := .venv/bin/python
LINT_PATHS := dilemma_mm tools tests configs projects setup.py

.PHONY: env demo test lint format clean

env:
	PYTHON=$(PYTHON) bash tools/setup_env.sh

demo: env
	OMP_NUM_THREADS=2 $(VENV_PY) tools/demo.py

lint: env
	$(VENV_PY) -m flake8 $(LINT_PATHS)
	$(VENV_PY) -m isort --check-only --diff $(LINT_PATHS)
	$(VENV_PY) -m yapf --diff --recursive $(LINT_PATHS)

format: env
	$(VENV_PY) -m isort $(LINT_PATHS)
	$(VENV_PY) -m yapf --in-place --recursive $(LINT_PATHS)

test: lint
	OMP_NUM_THREADS=1 $(VENV_PY) -m pytest -q --durations=15 tests

clean:
	rm -rf .venv dilemma_mm/.mim *.egg-info
