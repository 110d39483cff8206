# tis-sim: one idempotent install step shared by every target.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench viz lint golden clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev,analysis]"
	# Solara front-end assets served from the local disk (no CDN needed offline).
	$(PY) -m pip install -q --no-deps solara-assets==1.58.2
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tis-sim sweep experiments/headline.toml --backend local

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py && $(PY) benchmarks/bench_sweep.py

viz: $(STAMP)
	$(VENV)/bin/tis-sim viz

# Refresh the golden baseline after an intended change of model behaviour (commit it).
golden: $(STAMP)
	$(PY) tests/golden.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
