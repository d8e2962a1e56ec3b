#!/usr/bin/env bash
# Installs the third-party clients the interop tests drive, into target/interop (nothing global):
#   - the official Apache RocketMQ C++ client, as PyPI's `rocketmq` (it bundles librocketmq.so).
# Prints nothing on success but the python path; exits non-zero if an install fails (the interop
# tests then print SKIP with the reason).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/interop/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import rocketmq.client" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "rocketmq==0.4.4"
    "$venv/bin/python" -c "import rocketmq.client"
fi
echo "$venv/bin/python"
