# The two commands of the README: `make demo` (main job) and `make test` (whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
export MESA_SHADER_CACHE_DIR ?= /tmp/zoo-mesa-cache
export OMP_NUM_THREADS ?= 2

.PHONY: setup setup-test demo test test-slow bench clean

setup:
	bash .ci/setup.sh

setup-test:
	bash .ci/setup.sh --test

# Main job: list the catalog, load the synthetic crowd counter, count the embedded sample image.
demo: setup
	$(VENV)/bin/zoo list --kind checkpoint
	$(VENV)/bin/zoo predict l2hcount-synth --example --out demo-output

# Whole default suite (slow tests excluded; `make test-slow` runs them).
test: setup-test
	HF_HUB_DISABLE_TELEMETRY=1 $(PY) -m pytest -q

test-slow: setup-test
	HF_HUB_DISABLE_TELEMETRY=1 $(PY) -m pytest -q -m slow

bench: setup
	for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
