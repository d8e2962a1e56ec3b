#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). Installs what the tests need, then runs
# formatting, lint and every test. Golden-corpus tests read ../shared/golden or $FERROCKET_GOLDEN.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
