#!/usr/bin/env bash
# Runs a whole RocketMQ deployment layout on this host: NameServer(s) plus every broker of a
# conf set (conf/2m-2s-async, conf/2m-2s-sync, conf/2m-noslave, or any directory of
# broker .properties files), all on loopback.
#
#   scripts/cluster.sh up <set> [dir]     start (waits for every boot line)
#   scripts/cluster.sh down [dir]         stop: brokers (slaves first), then NameServers
#   scripts/cluster.sh status [dir]       what runs, with addresses and pids
#
# <dir> (default ./cluster) holds, per process, the generated config, the store, the log
# (out.log) and the pid. The set's files are used as they are, with what running several
# brokers on one host needs appended: listenPort, storePathRootDir, namesrvAddr,
# brokerIP1/brokerIP2=127.0.0.1. Slaves find their master through the NameServer, as with
# Java's shipped files (no haMasterAddress): same brokerName, brokerId 1.
#
# Environment:
#   FERROCKET_BIN    the binary (default: the newer of target/release/ferrocket and
#                    target/debug/ferrocket, else ferrocket on PATH)
#   NAMESRV_COUNT    how many NameServers (default 1), on ports NAMESRV_PORT, +1, ...
#   NAMESRV_PORT     first NameServer port (default 9876)
#   BROKER_PORT      first broker's listenPort (default 10911); the next broker gets +1000, ...
#                    (each broker also uses listenPort-2, its VIP port, and listenPort+1, HA)
#   BOOT_TIMEOUT     seconds to wait for a boot line (default 60)
#   RUST_LOG         log level of the processes (default info)
set -euo pipefail

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

usage() {
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

find_bin() {
    local release=$root/target/release/ferrocket debug=$root/target/debug/ferrocket
    if [ -n "${FERROCKET_BIN:-}" ]; then
        echo "$FERROCKET_BIN"
    elif [ -x "$release" ] && [ -x "$debug" ] && [ "$debug" -nt "$release" ]; then
        echo "$debug"
    elif [ -x "$release" ]; then
        echo "$root/target/release/ferrocket"
    elif [ -x "$root/target/debug/ferrocket" ]; then
        echo "$root/target/debug/ferrocket"
    else
        command -v ferrocket || { echo "no ferrocket binary: cargo build --release, or set FERROCKET_BIN" >&2; exit 1; }
    fi
}

# wait_for <log> <text> <pid> <name>
wait_for() {
    local log=$1 text=$2 pid=$3 name=$4
    local deadline=$((SECONDS + ${BOOT_TIMEOUT:-60}))
    until grep -qF "$text" "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited before it was up; $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "$name not up within ${BOOT_TIMEOUT:-60}s; $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 0.2
    done
}

# start <name> <dir> <args...>: runs the binary in the background, pid in <dir>/pid.
start() {
    local name=$1 pdir=$2
    shift 2
    mkdir -p "$pdir"
    RUST_LOG=${RUST_LOG:-info} nohup "$bin" "$@" >"$pdir/out.log" 2>&1 </dev/null &
    echo $! >"$pdir/pid"
}

up() {
    local set=$1 dir=$2
    local setdir=$set
    [ -d "$setdir" ] || setdir=$root/conf/$set
    [ -d "$setdir" ] || { echo "no conf set $set (neither ./$set nor conf/$set)" >&2; exit 2; }
    if compgen -G "$dir/*/pid" >/dev/null; then
        echo "$dir already holds a cluster; run: $0 down $dir" >&2
        exit 1
    fi
    bin=$(find_bin)
    mkdir -p "$dir"
    dir=$(CDPATH= cd -- "$dir" && pwd)

    local count=${NAMESRV_COUNT:-1} nsport=${NAMESRV_PORT:-9876} ns=""
    for i in $(seq 0 $((count - 1))); do
        local port=$((nsport + i)) pdir=$dir/namesrv-$i
        mkdir -p "$pdir"
        printf 'listenPort=%s\n' "$port" >"$pdir/namesrv.properties"
        start "namesrv-$i" "$pdir" namesrv -c "$pdir/namesrv.properties"
        ns="${ns:+$ns;}127.0.0.1:$port"
    done
    for i in $(seq 0 $((count - 1))); do
        wait_for "$dir/namesrv-$i/out.log" "The Name Server boot success" "$(cat "$dir/namesrv-$i/pid")" "namesrv-$i"
    done
    echo "$ns" >"$dir/namesrv.addr"

    # Masters first (brokerId 0), so slaves register after them and find their master at once.
    local port=${BROKER_PORT:-10911} files=()
    for f in "$setdir"/*.properties; do
        grep -Eq '^[[:space:]]*brokerRole[[:space:]]*=[[:space:]]*SLAVE' "$f" || files+=("$f")
    done
    for f in "$setdir"/*.properties; do
        grep -Eq '^[[:space:]]*brokerRole[[:space:]]*=[[:space:]]*SLAVE' "$f" && files+=("$f")
    done
    for f in "${files[@]}"; do
        local name pdir
        name=$(basename "$f" .properties)
        pdir=$dir/$name
        mkdir -p "$pdir"
        {
            cat "$f"
            printf '\n# added by scripts/cluster.sh: one host, several brokers\n'
            printf 'listenPort=%s\n' "$port"
            printf 'storePathRootDir=%s\n' "$pdir/store"
            printf 'storePathCommitLog=%s\n' "$pdir/store/commitlog"
            printf 'namesrvAddr=%s\n' "$ns"
            printf 'brokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\n'
        } >"$pdir/broker.properties"
        start "$name" "$pdir" broker -c "$pdir/broker.properties"
        wait_for "$pdir/out.log" "boot success" "$(cat "$pdir/pid")" "$name"
        port=$((port + 1000))
    done
    status "$dir"
}

# The processes of <dir>, brokers (slaves, then masters) before NameServers.
stop_order() {
    local dir=$1 d
    for d in "$dir"/*/; do
        [ -f "$d/pid" ] && [ -f "$d/broker.properties" ] && grep -q 'brokerRole=SLAVE' "$d/broker.properties" && echo "$d"
    done
    for d in "$dir"/*/; do
        [ -f "$d/pid" ] && [ -f "$d/broker.properties" ] && ! grep -q 'brokerRole=SLAVE' "$d/broker.properties" && echo "$d"
    done
    for d in "$dir"/namesrv-*/; do
        [ -f "$d/pid" ] && echo "$d"
    done
    return 0
}

down() {
    local dir=$1 d pid
    [ -d "$dir" ] || { echo "no cluster in $dir" >&2; exit 1; }
    stop_order "$dir" | while read -r d; do
        pid=$(cat "$d/pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            local deadline=$((SECONDS + 30))
            while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
            if kill -0 "$pid" 2>/dev/null; then
                echo "$(basename "$d") did not stop within 30 s: SIGKILL" >&2
                kill -KILL "$pid" 2>/dev/null || true
            fi
            echo "stopped $(basename "$d") (pid $pid)"
        fi
        rm -f "$d/pid"
    done
}

status() {
    local dir=$1 d pid state role port
    for d in "$dir"/*/; do
        [ -f "$d/pid" ] || continue
        pid=$(cat "$d/pid")
        state=down
        kill -0 "$pid" 2>/dev/null && state=up
        if [ -f "$d/broker.properties" ]; then
            role=$(sed -n 's/^[[:space:]]*brokerRole[[:space:]]*=[[:space:]]*//p' "$d/broker.properties" | tail -n 1)
            port=$(sed -n 's/^listenPort=//p' "$d/broker.properties" | tail -n 1)
            printf '%-12s %-4s pid %-7s 127.0.0.1:%s %s\n' "$(basename "$d")" "$state" "$pid" "$port" "${role:-ASYNC_MASTER}"
        else
            port=$(sed -n 's/^listenPort=//p' "$d/namesrv.properties")
            printf '%-12s %-4s pid %-7s 127.0.0.1:%s NameServer\n' "$(basename "$d")" "$state" "$pid" "$port"
        fi
    done
    [ -f "$dir/namesrv.addr" ] && echo "namesrvAddr=$(cat "$dir/namesrv.addr")"
    return 0
}

cmd=${1:-}
case "$cmd" in
    up)
        [ $# -ge 2 ] || usage
        up "$2" "${3:-cluster}"
        ;;
    down) down "${2:-cluster}" ;;
    status) status "${2:-cluster}" ;;
    *) usage ;;
esac
