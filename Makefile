# RaMBO in Swift. The two commands: `make course` and `make test`.
SWIFT ?= swift
OUT   ?= out

.PHONY: all setup build course quick test bench clean

all: course

## setup: install gnuplot-nox, dataset-fashion-mnist and the ORL faces if missing (quiet when present)
setup:
	@bash scripts/setup.sh

build:
	$(SWIFT) build -c release

## course: run every chapter into $(OUT)/chNN and write $(OUT)/index.md
course: setup build
	$(SWIFT) run -c release course --out $(OUT)

## quick: the same with tiny sizes (seconds per chapter)
quick: setup build
	$(SWIFT) run -c release course --quick --out $(OUT)

## test: the whole test suite (release build; chapters run in --quick mode)
test: setup
	$(SWIFT) test -c release

## bench: forward + backward timings for n = 1e3 … 1e8 (single thread)
bench: build
	@for op in rank rank_backward ap_loss; do \
	  for n in 1000 10000 100000 1000000 10000000 100000000; do \
	    $(SWIFT) run -c release rambo-bench --op $$op --n $$n --json || exit 1; \
	  done; \
	done

clean:
	rm -rf .build $(OUT)
