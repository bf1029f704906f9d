# The README's two commands: `make serve` and `make test`. Both set up what they need:
# .venv (the publisher) and .venv-mapper (the RML engine, see docs/decisions.md).
PYTHON ?= python3
VENV   := .venv
MAPPER := .venv-mapper
LOD    := $(VENV)/bin/lod

.PHONY: install build serve test bench bench-serve clean virtuoso

# Debian packages the tests and benchmarks use; installed as root, or with passwordless sudo.
APT_INSTALL = DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo -n ) apt-get install -y -q
APT_UPDATE  = $$( [ "$$(id -u)" = 0 ] || echo sudo -n ) apt-get update -q

install: $(VENV)/.installed $(MAPPER)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# morph-kgc in its own environment, plus our package without dependencies (for lod.normalise).
$(MAPPER)/.installed: mappings/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(MAPPER)
	$(MAPPER)/bin/pip install --quiet --upgrade pip
	$(MAPPER)/bin/pip install --quiet -r mappings/requirements.txt
	$(MAPPER)/bin/pip install --quiet --no-deps -e .
	touch $@

build: install
	$(LOD) build

# Builds a fresh release, then serves it with gunicorn at [server].host:port (lod.toml).
serve: build
	$(LOD) serve

test: install virtuoso
	$(VENV)/bin/pytest

# Virtuoso Open Source (Debian), the remote SPARQL store the end-to-end suite also runs on;
# the tests start their own server on free loopback ports (tests/virtuoso.py).
virtuoso:
	command -v virtuoso-t >/dev/null || $(APT_INSTALL) virtuoso-opensource-7 \
	  || ($(APT_UPDATE) && $(APT_INSTALL) virtuoso-opensource-7)

bench: install
	$(VENV)/bin/python bench/build_phases.py

# Serving benchmark: wrk (Debian) and rdflib-endpoint (its own environment) as the baseline.
bench-serve: install virtuoso .venv-bench/.installed
	command -v wrk >/dev/null || $(APT_INSTALL) wrk || ($(APT_UPDATE) && $(APT_INSTALL) wrk)
	$(VENV)/bin/python bench/serving.py

.venv-bench/.installed: bench/requirements.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet -r bench/requirements.txt
	touch $@

clean:
	rm -rf var bench/out
