# The two commands of the quick start: `make demo` and `make test`. Both work from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/madoguchi demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench.faq_quality --json
	$(BIN)/python -m bench.faq_latency --json

clean:
	rm -rf $(VENV) instance build *.egg-info
