# Sourced by mqnamesrv and mqbroker: sets $bin to the ferrocket binary: $FERROCKET_BIN, else
# `ferrocket` next to the script or in ../target/release, else the one on PATH.
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ -n "${FERROCKET_BIN:-}" ]; then
    bin=$FERROCKET_BIN
elif [ -x "$dir/ferrocket" ]; then
    bin=$dir/ferrocket
elif [ -x "$dir/../target/release/ferrocket" ]; then
    bin=$dir/../target/release/ferrocket
else
    bin=ferrocket
fi
