# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3

.PHONY: install run test test-fast openapi screenshots

$(VENV)/.installed: requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt -e .
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/paddles-mongo serve-local

# The whole suite on the real wire server (the proof), then the fast tier.
test: install
	$(VENV)/bin/python -m pytest -v tests
	$(MAKE) test-fast

# The fast tier: unit, integration and docs tests in-process on mongomock (wire-only tests,
# marked `wire`, deselected).
test-fast: install
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider --backend=mongomock \
		tests/unit tests/integration tests/docs

# docs/ui/*.png: the main web pages of the browser tests' lab, for docs/ui.md.
screenshots: install
	PADDLES_UI_SCREENSHOTS=docs/ui $(VENV)/bin/python -m pytest -q -p no:cacheprovider \
		tests/e2e/test_web_pages.py -k every_link

# docs/openapi.json is what the code documents (tests/integration/test_openapi.py checks it).
openapi: install
	PADDLES_MONGO_URI=mongodb://127.0.0.1:1/unused $(VENV)/bin/python -c "import json; \
	from paddles_mongo import create_app; \
	print(json.dumps(create_app().test_client().get('/openapi.json').get_json(), indent=2, sort_keys=True))" \
	> docs/openapi.json
