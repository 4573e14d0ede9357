# The two commands of the README: `make book` and `make test`. Both create (or
# reuse) .venv from the pinned requirements.txt and node_modules from
# package-lock.json; nothing is installed by hand. `make unit` is the authors'
# fast loop (no notebook execution).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENDOR := _vendor/vendor/.copied

# Tests that read the built site or the build's executed notebooks.
BUILD_TESTS := tests/test_site.py tests/test_site_reader.py tests/test_stored_outputs.py

.PHONY: setup book lint unit test bench lab clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

$(VENDOR): node_modules/.package-lock.json tools/vendor.py tools/widgets-assets.js $(STAMP)
	$(BIN)/python tools/vendor.py
	touch $@

setup: $(STAMP) $(VENDOR)

## Execute every notebook and build the offline website into _build/html.
book: setup
	$(BIN)/jupyter-book build --all -W -n --keep-going .
	@echo "Website built: open file://$(CURDIR)/_build/html/index.html"
	@echo "(or serve it: $(BIN)/python -m http.server -d _build/html 8000)"

## ruff: lint and formatting of lib/, tests/, tools/ and the notebooks' code.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Library tests, notebook hygiene and lint; executes no notebook (under a minute).
unit: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile $(addprefix --ignore=,$(BUILD_TESTS))

## Everything: lint, the build (which executes every notebook once), the library
## tests, the build's outputs against the stored ones, and the site in Chromium.
test: lint book
	$(BIN)/python -m pytest -n 2 --dist loadfile

## Cold execution time per notebook (empty cache), where it goes, page weights,
## and the chapters' own benchmarks.
bench: book
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/bench_tokenization.py
	$(BIN)/python tools/bench_checkpointing.py
	$(BIN)/python tools/bench_word2vec.py

## Open the notebooks in JupyterLab (live widgets need the running kernel).
lab: setup
	$(BIN)/jupyter lab chapters

clean:
	rm -rf _build _vendor .cache
