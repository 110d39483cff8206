# tis-sim: one idempotent install step shared by every target.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXTRAS := viz,dask,calibrate,analysis,dev

.PHONY: install run test test-oldest bench viz lint golden clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The package (editable) with every extra, at the exact versions of constraints.txt.
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	# axe-core for the browser test's accessibility check (git-ignored; skipped without npm).
	-command -v npm >/dev/null && npm install -s --no-audit --no-fund --prefix .cache/npm axe-core@4.14.1
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tis-sim sweep experiments/headline.toml --backend local

test: $(STAMP)
	$(PY) -m pytest -q

# The core at the oldest supported versions (the lower bounds of pyproject.toml), in a
# separate venv; needs the package index. The extras' tests are left out.
OLDEST := .venv-oldest
test-oldest:
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q -c constraints-oldest.txt -e . pytest \
		pytest-timeout hypothesis packaging
	$(OLDEST)/bin/python -m pytest -q --ignore=tests/test_app.py --ignore=tests/test_app_parts.py \
		--ignore=tests/test_e2e_browser.py --ignore=tests/test_sweep_dask.py \
		--ignore=tests/test_wheel.py

# Every section runs; the target fails at the end if any section printed FAILS.
bench: $(STAMP)
	status=0; for b in bench_model bench_sweep bench_district; do \
		$(PY) benchmarks/$$b.py || status=1; echo; done; exit $$status

viz: $(STAMP)
	$(VENV)/bin/tis-sim viz

# Refresh the golden baseline after an intended change of model behaviour (commit it).
golden: $(STAMP)
	$(PY) tests/golden.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(OLDEST) .pytest_cache .ruff_cache
