# Two commands do everything on a fresh machine:
#   make run    set up .venv, build the index on first use, serve the bot on http://127.0.0.1:8000/
#   make test   set up .venv with the test tools and run the test suite (doctests included)
# Others: make test-fast (unit tests on the fake embedder), make check (ruff, mypy), make chat (terminal),
# make eval (dev set reports), make bench (performance), make load (load test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run chat test test-fast check setup eval index bench clean

# CPU PyTorch first: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/faqbot serve --host $(HOST) --port $(PORT)

chat: $(STAMP)
	$(BIN)/faqbot chat

# The tests keep compiled modules and pytest's assertion rewrites in __pycache__ even where the
# environment says not to: compiling them afresh is half the time it takes to collect the tests.
test test-fast: export PYTHONDONTWRITEBYTECODE :=

test: $(TEST_STAMP)
	$(BIN)/pytest -q

# The unit tests and doctests on the fake embedder, on WORKERS processes (a test file stays on one,
# so its module fixtures are built once): no real model, browser, PostgreSQL, other process or
# fuzzing (tests/conftest.py marks those kinds; pyproject.toml lists the markers).
WORKERS ?= 2
FAST := not slow and not browser and not postgres and not spawn and not fuzz
test-fast: $(TEST_STAMP)
	$(BIN)/pytest -q -n $(WORKERS) --dist loadfile -m "$(FAST)"

check: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

index: $(STAMP)
	$(BIN)/faqbot index

# The dev set on the shipped corpus, then on the shipped corpus plus the three extra FAQs.
eval: $(STAMP)
	$(BIN)/faqbot eval eval/dev-questions.jsonl --report reports/eval-shipped
	rm -rf build/eval-corpus && mkdir -p build/eval-corpus
	cp corpus/ci-faq.md tests/data/extra/*-faq.md build/eval-corpus/
	$(BIN)/faqbot eval eval/dev-questions.jsonl --corpus build/eval-corpus --index build/eval-index --report reports/eval-combined

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench.py --out reports/bench

clean:
	rm -rf $(VENV) build reports index/CURRENT index/build-* index/.build-*

# Load test on loopback: faqbot serve with the real model, 10,000 questions from 32 clients,
# latency, throughput and the server's memory; writes reports/load/load.json.
.PHONY: load
load: $(TEST_STAMP)
	$(BIN)/python benchmarks/load.py --out reports/load
