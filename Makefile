# Two commands: `make test` and `make report`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATA_DIR ?= data
OUT_DIR ?= results
ARGS ?=

# The report's scripts, in the report's order; `make report` runs those that exist.
SCRIPTS := $(wildcard p1_q1.py p1_q2_plots.py p1_q3_training_time.py p1_q3_inference_time.py \
                      p2_dropout.py p2_normalization.py p3_profile.py p3_cnn_2_8_16.py)

.PHONY: test report clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

report: $(VENV)/.installed
	@set -e; for s in $(SCRIPTS); do \
		echo "== $$s"; \
		$(PY) $$s --data-dir $(DATA_DIR) --out-dir $(OUT_DIR) $(ARGS); \
	done

clean:
	rm -rf $(OUT_DIR) .pytest_cache __pycache__ tests/__pycache__
