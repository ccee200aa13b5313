# Two commands: `make test` and `make report`. Both create .venv on first use.
#   make report DATA_DIR=data OUT_DIR=results   the whole report at its settings, then REPORT.md
#   make report QUICK=1                          a smoke run (few epochs, small subsets)
#   make report SEEDS="1 2 3" DEVICE=cuda        several seeds (mean ± std), a chosen device
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATA_DIR ?= data
OUT_DIR ?= results
SEEDS ?=
DEVICE ?= auto
QUICK ?=

TRAINING := p1_q1.py p1_q2_plots.py p1_q3_training_time.py p1_q3_inference_time.py \
            p2_dropout.py p2_normalization.py p3_cnn_2_8_16.py benchmark.py
FLAGS := --data-dir $(DATA_DIR) --out-dir $(OUT_DIR) $(if $(QUICK),--quick)
TRAIN_FLAGS := $(FLAGS) --device $(DEVICE) $(if $(SEEDS),--seeds $(SEEDS))

.PHONY: test report clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

report: $(VENV)/.installed
	@set -e; for s in $(TRAINING); do \
		echo "== $$s"; $(PY) $$s $(TRAIN_FLAGS); \
	done
	@echo "== p3_profile.py"; $(PY) p3_profile.py $(FLAGS)
	$(PY) build_report.py --out-dir $(OUT_DIR)

clean:
	rm -rf $(OUT_DIR) .pytest_cache __pycache__ tests/__pycache__
