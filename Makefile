# shopgraph: `make run` serves the API, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test soak install services browser wrk migrate seed schema bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,local]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/shopgraph migrate

seed: migrate
	$(BIN)/shopgraph seed --if-empty --demo-markets

run: seed
	$(BIN)/shopgraph serve

# What the suite needs besides the venv: a PostgreSQL server (started if down) and
# Redis for the shared rate limits (installed with apt-get if missing, started if down).
services:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi
	@command -v redis-server >/dev/null || { \
		echo "installing redis-server (apt-get) for the rate limit tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	}
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
		echo "starting Redis"; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no; \
	fi

# The storefront's browser tests drive Debian's chromium; nothing downloads a browser.
browser:
	@test -x /usr/bin/chromium || { \
		echo "installing chromium (apt-get) for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	}

# The modules are spread over one worker per core (pytest-xdist); a module's tests, on both
# databases, stay on one worker. TEST_WORKERS=0 runs them in this process, one after another.
TEST_WORKERS ?= auto

test: install services browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

# The long runs, not part of `make test`, on SQLite and on PostgreSQL, one summary line per database
# and test at the end: the money model (DESIGN §11), SOAK_EXAMPLES examples of 25 steps; the proof
# that compiled reads answer as the reference executor does (DESIGN §12), SAMENESS_SOAK_EXAMPLES documents.
SOAK_EXAMPLES ?= 500
SAMENESS_SOAK_EXAMPLES ?= 4000

soak: install services
	SHOPGRAPH_MODEL_EXAMPLES=$(SOAK_EXAMPLES) SHOPGRAPH_SAMENESS_EXAMPLES=$(SAMENESS_SOAK_EXAMPLES) \
		$(BIN)/python -m pytest tests/commerce/orders/test_money_model.py tests/graph/core/test_plan_sameness.py -q

# Load benchmarks (issues 15 and 25), not part of `make test`: wrk against SQLite and PostgreSQL,
# each row measured on BENCH_BEFORE (checked out in a throwaway git worktree) and on this tree
# alternately, before/after table in bench/results.md (docs/benchmark.md). BENCH_BEFORE is main
# as issue 25's compiled reads and lean writes began (a rev, or BENCH_ARGS="--before REV").
# BENCH_BEFORE=same BENCH_ARGS="--before-env SHOPGRAPH_COMPILED_READS=0" compares this tree
# with its compiler off; BENCH_BEFORE=none measures this tree alone. BENCH_ARGS=--profile also
# records py-spy profiles (py-spy comes with the `bench` extra, installed here only);
# BENCH_ARGS="--seconds 4 --databases sqlite" makes a short run.
BENCH_BEFORE ?= af1896aa69f78d687564586c9198d47b82fd1775
BENCH_STAMP := $(VENV)/.bench-installed-stamp

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,local,bench]'
	touch $(BENCH_STAMP)

wrk:
	@command -v wrk >/dev/null || { \
		echo "installing wrk (apt-get) for the benchmarks"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	}

bench: install $(BENCH_STAMP) services wrk
	$(BIN)/python -m bench.run --before $(BENCH_BEFORE) $(BENCH_ARGS)

schema: install
	$(BIN)/shopgraph export-schema > schema.graphql

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
