# RaMBO in Swift. The two commands: `make course` and `make test`.
SWIFT ?= swift
OUT   ?= out

.PHONY: all setup build course quick test lint lint-figures bench docs book-check readmes clean oracle oracle-verify ecosystem check-port

all: course

## setup: install gnuplot-nox, dataset-fashion-mnist, cmark-gfm and libjs-katex if missing (quiet when present)
setup:
	@bash scripts/setup.sh

build:
	$(SWIFT) build -c release

## course: the API documentation into $(OUT)/docs, then every chapter into $(OUT)/chNN and the course book
## $(OUT)/index.html (the chapters as notebooks, glossary, search; and $(OUT)/index.md), which links the docs
course: setup build
	@bash scripts/docs.sh $(OUT)/docs
	$(SWIFT) run -c release course --out $(OUT)

## quick: the same with tiny sizes (seconds per chapter)
quick: setup build
	$(SWIFT) run -c release course --quick --out $(OUT)

## book-check: load every page of the book in headless Chromium (offline): fail on a console message, a broken
## image or asset, unrendered maths, or a notebook page that breaks the book's contract
book-check:
	@bash scripts/book-check.sh $(OUT)

## docs: DocC documentation of the Rambo library into $(OUT)/docs (the book links to it)
docs:
	@bash scripts/docs.sh $(OUT)/docs

## lint-figures: check every figure under $(OUT) (a quick or a full run) against the figure rules
lint-figures:
	$(SWIFT) run -c release course --lint-figures $(OUT)

## readmes: write each notebook chapter's README.md from its main.swift (a test fails on a stale README)
readmes:
	$(SWIFT) run -c release course --readmes

## test: the whole test suite (release build; chapters run in --quick mode)
test: setup
	$(SWIFT) test -c release

## lint: swift-format with the committed .swift-format, no function in Sources/ over 80 lines, and
## docs/architecture.md's table of targets equal to Package.swift's; exit 0 only with zero findings
LINT_PATHS ?= Package.swift Sources Chapters Tests
LONG_FUNCTIONS_ALLOWED ?=
lint:
	$(SWIFT) format lint --strict --parallel -r $(LINT_PATHS)
	@python3 scripts/function-lengths.py --max 80 $(addprefix --allow ,$(LONG_FUNCTIONS_ALLOWED)) Sources
	@python3 scripts/check-architecture.py docs/architecture.md

## bench: ns/item of rank, rank_backward and ap_loss for n = 1e3 … 1e8 (one thread, CPU clock) with the worst/best
## ratio, then ap_loss with two threads on one list (wall clock); make bench BENCH_MAX=1e7 to stop earlier
BENCH     ?= .build/release/rambo-bench
BENCH_MAX ?= 1e8
bench: build
	@uptime
	@for op in rank rank_backward ap_loss; do $(BENCH) --op $$op --sweep --max $(BENCH_MAX) --clock cpu --repeats 9 || exit 1; done
	@$(BENCH) --op ap_loss --sweep --max $(BENCH_MAX) --threads 2 --clock wall --repeats 9 || exit 1
	@for n in 1000 10000 100000; do $(BENCH) --op recall_loss --n $$n --rows 100 --repeats 7 --clock cpu || exit 1; done
	@for n in 1000 10000 100000 1000000; do $(BENCH) --op map_loss --n $$n --rows 20 --repeats 7 --clock cpu || exit 1; done

## oracle: run the authors' code (torch, in a venv outside the repo: RAMBO_ORACLE_VENV, default
## ~/.cache/rambo-oracle/venv) on every official vector + 250 random cases and freeze its answers into
## Tests/ReferenceTests/Fixtures/authors-official.json (the tests then need no torch)
oracle:
	@bash scripts/oracle/run.sh freeze

## oracle-verify: the authors' code as a port: cases --convention official | authors' code | verify
oracle-verify:
	@bash scripts/oracle/run.sh verify

## ecosystem: run pytorch-metric-learning, scikit-learn, torchmetrics, SupRank's BlackBoxAPLoss and torch.sqrt (a
## venv outside the repo: RAMBO_ECOSYSTEM_VENV, default ~/.cache/rambo-ecosystem/venv) on the reference's ops and
## freeze their answers into Tests/ReferenceTests/Fixtures/ecosystem.json (docs/ecosystem.md; the tests need no torch)
ecosystem:
	@bash scripts/ecosystem/run.sh

## check-port: the Python port of SPEC.md against eval on 10,000 fresh random cases, and check.py against verify
## on the corpus of good and bad results files (python3 only)
check-port: build
	python3 Data/reference/port.py fuzz --tool .build/release/rambo-reference --count 10000
	python3 scripts/reference/corpus.py --tool .build/release/rambo-reference

clean:
	rm -rf .build $(OUT)
