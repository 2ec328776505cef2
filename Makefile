# The two commands of the quick start: `make demo` and `make test`. Both work from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

CHROMIUM := /usr/bin/chromium

.PHONY: install demo test bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/madoguchi demo

# The browser tests drive Debian's Chromium (never a browser Playwright downloads); the CJK font makes
# screenshots of Japanese pages readable. Without root, the browser tests skip and say why.
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	@# nginx only to check deploy/nginx/madoguchi.conf with `nginx -t` (tests/test_deploy.py).
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	fi

test: install browser
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench.faq_quality --json
	$(BIN)/python -m bench.faq_latency --json

clean:
	rm -rf $(VENV) instance build *.egg-info
