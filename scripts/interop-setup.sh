#!/usr/bin/env bash
# Installs the third-party clients the interop tests drive, into target/interop or interop/<client>
# (nothing global). `scripts/interop-setup.sh [CLIENT]`, CLIENT one of:
#   cpp  - the official Apache RocketMQ C++ client, as PyPI's `rocketmq` (it bundles
#          librocketmq.so), in a venv; prints the venv's python path;
#   node - ali-ons (npm), `npm ci` in interop/node; prints interop/node;
#   rust - the crates.io `rocketmq-client-rust` scenario (interop/rust), built into
#          target/interop/rust; prints the scenario binary's path. Only with
#          FERROCKET_INTEROP_RUST=1: the client takes long to build (see tests/interop_rust.rs);
#   all  - (the default) every one of them; prints nothing. Fails if any install failed.
# Exits non-zero with the reason on stderr if an install fails (the interop tests then print
# SKIP with that reason).
set -euo pipefail
cd "$(dirname "$0")/.."

setup_cpp() {
    local venv=target/interop/venv
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import rocketmq.client" 2>/dev/null; then
        command -v python3 >/dev/null || { echo "python3 not found" >&2; return 1; }
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "rocketmq==0.4.4"
        "$venv/bin/python" -c "import rocketmq.client"
    fi
    echo "$venv/bin/python"
}

setup_node() {
    command -v node >/dev/null || { echo "node not found" >&2; return 1; }
    command -v npm >/dev/null || { echo "npm not found" >&2; return 1; }
    local dir=interop/node
    # npm ci again only when the lock file changed since the last install.
    if [ ! -f "$dir/node_modules/.package-lock.json" ] \
        || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
    node -e "require('./$dir/node_modules/ali-ons')" >&2
    echo "$dir"
}

setup_rust() {
    if [ "${FERROCKET_INTEROP_RUST:-}" != "1" ]; then
        echo "set FERROCKET_INTEROP_RUST=1 to build the rocketmq-client-rust scenario (a long build)" >&2
        return 1
    fi
    command -v cargo >/dev/null || { echo "cargo not found" >&2; return 1; }
    local target=target/interop/rust
    (cd interop/rust && cargo build --quiet --locked --target-dir "../../$target" >&2)
    echo "$target/debug/ferrocket-interop-rust"
}

case "${1:-all}" in
    cpp) setup_cpp ;;
    node) setup_node ;;
    rust) setup_rust ;;
    all)
        failed=0
        setup_cpp >/dev/null || failed=1
        setup_node >/dev/null || failed=1
        if [ "${FERROCKET_INTEROP_RUST:-}" = "1" ]; then
            setup_rust >/dev/null || failed=1
        fi
        exit $failed
        ;;
    *) echo "unknown client $1 (cpp, node, rust, all)" >&2; exit 2 ;;
esac
