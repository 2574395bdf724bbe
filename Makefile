# The two commands a new machine needs (see README.md):
#   make run    build everything and serve on http://localhost:8065 (SQLite + files under ./data)
#   make test   every check and every test, on SQLite and PostgreSQL, with the real clients

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432

.PHONY: run build test check rust-test bench-smoke client-test require-postgres

run: build
	$(TARGET_DIR)/release/conclave serve

build:
	$(CARGO) build --release --locked

test: require-postgres check rust-test bench-smoke client-test

check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The file-storage tests need an S3-compatible server: tests/with-s3.sh runs one (moto).
rust-test:
	bash tests/with-s3.sh $(CARGO) test --workspace --locked

# A tiny run of each benchmark so the tools keep working; it prints numbers, asserts none.
bench-smoke:
	$(CARGO) run --locked -q -p conclave-bench -- posts --backend sqlite --posts 128 --reads 40
	$(CARGO) run --locked -q -p conclave-bench -- posts --backend postgres --posts 128 --reads 40
	$(CARGO) run --locked -q -p conclave-bench -- search --backend sqlite --posts 2000 --reads 3
	$(CARGO) run --locked -q -p conclave-bench -- search --backend postgres --posts 2000 --reads 3
	$(CARGO) build --locked -q -p conclave
	$(CARGO) run --locked -q -p conclave-bench -- connections --connections 200 --users 4 --hold-seconds 1
	$(CARGO) run --locked -q -p conclave-bench -- fanout --members 20 --rate 50 --seconds 2

client-test:
	CONCLAVE_BIN=$(TARGET_DIR)/debug/conclave bash tests/clients/run.sh

# Tests need a real PostgreSQL; a missing one is a failure, never a skip.
require-postgres:
	@command -v pg_isready >/dev/null || { echo "pg_isready not found: install postgresql-client" >&2; exit 1; }
	@pg_isready -q -h $(PG_HOST) -p $(PG_PORT) || { echo "PostgreSQL is not reachable at $(PG_HOST):$(PG_PORT) (user postgres, trust auth); tests need it" >&2; exit 1; }
