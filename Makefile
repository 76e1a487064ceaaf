# RaMBO in Swift. The two commands: `make course` and `make test`.
SWIFT ?= swift
OUT   ?= out

.PHONY: all setup build course quick test bench docs book-check clean

all: course

## setup: install gnuplot-nox, dataset-fashion-mnist and the ORL faces if missing (quiet when present)
setup:
	@bash scripts/setup.sh

build:
	$(SWIFT) build -c release

## course: run every chapter into $(OUT)/chNN and write the course book $(OUT)/index.html (and $(OUT)/index.md)
course: setup build
	$(SWIFT) run -c release course --out $(OUT)

## quick: the same with tiny sizes (seconds per chapter)
quick: setup build
	$(SWIFT) run -c release course --quick --out $(OUT)

## book-check: load every page of the book in headless Chromium; fail on a broken image or a console message
book-check:
	@bash scripts/book-check.sh $(OUT)

## docs: DocC documentation of the Rambo library into $(OUT)/docs (the book links to it)
docs:
	@bash scripts/docs.sh $(OUT)/docs

## test: the whole test suite (release build; chapters run in --quick mode)
test: setup
	$(SWIFT) test -c release

## bench: forward + backward timings, n = 1e3 … 1e8, one thread, median of CPU time (make bench BENCH_MAX=1e7 to stop earlier)
BENCH       ?= .build/release/rambo-bench
BENCH_SIZES ?= 1000 10000 100000 1000000 10000000 100000000
BENCH_MAX   ?= 100000000
bench: build
	@printf '%-12s %10s %6s %12s %12s %12s %9s %10s\n' op n rows median_ms min_ms max_ms ns/item peak_MB
	@run() { json=$$($(BENCH) --clock cpu --json "$$@") || exit 1; echo "$$json" | awk -F'[:,{}]' \
	  '{ for (i = 2; i < NF; i += 2) { k = $$i; gsub(/[" ]/, "", k); v[k] = $$(i+1); gsub(/[" ]/, "", v[k]) } \
	  printf "%-12s %10d %6d %12.3f %12.3f %12.3f %9.2f %10.1f\n", v["op"], v["n"], v["rows"], v["median_ms"], \
	  v["min_ms"], v["max_ms"], v["ns_per_item"], v["peak_rss_mb"] }'; }; \
	for op in rank rank_backward ap_loss; do \
	  for n in $(BENCH_SIZES); do \
	    if awk "BEGIN { exit !($$n <= $(BENCH_MAX)) }"; then run --op $$op --n $$n --repeats $$( [ $$n -ge 100000000 ] && echo 5 || echo 9 ); fi; \
	  done; \
	done; \
	for n in 1000 10000 100000; do run --op recall_loss --n $$n --rows 100 --repeats 7; done; \
	for n in 1000 10000 100000 1000000; do run --op map_loss --n $$n --rows 20 --repeats 7; done

clean:
	rm -rf .build $(OUT)
