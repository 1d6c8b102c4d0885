#!/usr/bin/env bash
# The whole bench suite: installs its peers, builds release binaries, runs
# every comparison and writes a Markdown table to stdout and
# target/bench/results.md (logs, results files and configs beside it).
#
#   scripts/bench.sh                 # every part (about 15 minutes)
#   scripts/bench.sh scale locust    # some parts: scale throughput profile locust server startup parser
#
# Peers: Debian nginx + libnginx-mod-nchan and linux-perf (apt-get), PyPI locust (pip, in a
# venv under target/bench/venv). Everything runs on 127.0.0.1.
# Knobs: BENCH_STREAMS, BENCH_LOCUST_STREAMS, BENCH_FLOOR_ROUNDS, BENCH_SUBSCRIBERS, BENCH_RATE, BENCH_SERVER_ABBA.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/bench
mkdir -p "$out"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v nginx >/dev/null 2>&1 || [ ! -e /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
    echo "bench: installing nginx and libnginx-mod-nchan" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        nginx libnginx-mod-nchan
fi
if ! command -v perf >/dev/null 2>&1; then
    echo "bench: installing linux-perf (for the profile part)" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-perf
fi
# The packaged service is not needed: the suite starts its own nginx.
if command -v systemctl >/dev/null 2>&1; then as_root systemctl stop nginx >/dev/null 2>&1 || true; fi

venv=$out/venv
if [ ! -x "$venv/bin/locust" ]; then
    echo "bench: installing locust into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q locust
fi
"$venv/bin/locust" --version >&2

# The soft open-file limit up to the hard one: 15,000 streams need 15,000 sockets.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 20000 ]; then
    echo "bench: warning: open-file limit $(ulimit -n) is below 20000; the scale and server parts need more" >&2
fi

echo "bench: cargo build --release -p sseload-cli, and the client's read_floor example" >&2
cargo build --release -q -p sseload-cli
cargo build --release -q -p sseload-client --example read_floor
sseload="${CARGO_TARGET_DIR:-target}/release/sseload"
floor="${CARGO_TARGET_DIR:-target}/release/examples/read_floor"

export PYTHONDONTWRITEBYTECODE=1
exec python3 scripts/bench/suite.py --sseload "$sseload" --floor "$floor" --venv "$venv" --out "$out" "$@"
