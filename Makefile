# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3

.PHONY: install run test

$(VENV)/.installed: requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt -e .
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/paddles-mongo serve-local

test: install
	$(VENV)/bin/python -m pytest -v tests
