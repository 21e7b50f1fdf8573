# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3

.PHONY: install run test openapi

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

# docs/openapi.json is what the code documents (tests/integration/test_openapi.py checks it).
openapi: install
	PADDLES_MONGO_URI=mongodb://127.0.0.1:1/unused $(VENV)/bin/python -c "import json; \
	from paddles_mongo import create_app; \
	print(json.dumps(create_app().test_client().get('/openapi.json').get_json(), indent=2, sort_keys=True))" \
	> docs/openapi.json
