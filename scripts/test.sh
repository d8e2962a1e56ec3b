#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). Installs what the tests need, then checks
# formatting and lints and runs every test. Golden-corpus tests read ../shared/golden or
# $FERROCKET_GOLDEN and print SKIP when it is absent; the interop tests install their clients
# (scripts/interop-setup.sh) and print SKIP when that is impossible here.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
if ! scripts/interop-setup.sh >/dev/null; then
    echo "WARNING: interop clients could not be installed; interop tests will print SKIP"
fi
# One test at a time inside each test binary: several tests start brokers, extract stores and
# run crash loops; on a 2-core CI machine running them side by side turns timing bounds into
# noise.
skip_log="$PWD/target/test-skips.txt"
mkdir -p target && rm -f "$skip_log"
FERROCKET_SKIP_LOG="$skip_log" cargo test --no-fail-fast -- --test-threads=1
# The #[ignore]d tests that need what a machine may lack run here when it is there; otherwise
# they are listed below with the reason (the harness reports them as ignored, never as passed).
if [ -n "${ROCKETMQ_HOME:-}" ] || docker info >/dev/null 2>&1; then
    FERROCKET_SKIP_LOG="$skip_log" cargo test --test interop_java -- --ignored --test-threads=1
else
    echo "SKIP: tests/interop_java.rs (2 tests: Java 4.9.7 tools, clients and brokers against ferrocket, HA both ways): neither \$ROCKETMQ_HOME (a RocketMQ 4.9.7 bin-release) nor a Docker engine for the apache/rocketmq:4.9.7 image is available" >> "$skip_log"
fi
if [ "${FERROCKET_INTEROP_RUST:-}" = "1" ]; then
    FERROCKET_SKIP_LOG="$skip_log" cargo test --test interop_rust -- --ignored --test-threads=1
else
    echo "SKIP: tests/interop_rust.rs (rocketmq-client-rust): opt-in, a long client build; set FERROCKET_INTEROP_RUST=1" >> "$skip_log"
fi
# A skipped check is not a pass: list every one (tests/ and testkit::skip write them here).
if [ -s "$skip_log" ]; then
    echo
    echo "Skipped here ($(wc -l < "$skip_log") checks could not run on this machine):"
    sort "$skip_log" | uniq -c
fi
