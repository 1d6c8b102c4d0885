#!/usr/bin/env bash
# Soak: 10,000 streams of the demo clock (1 event/s each, a JSON Path check
# on every event) held by one `sseload run` against `sseload serve` in
# another process for 10 minutes; the RSS and CPU of both are sampled every
# 10 s into target/bench/soak.csv, and the summary says whether either grew
# after the warm-up (the first 2 minutes).
#
#   scripts/soak.sh                      # 10 minutes, 10,000 streams
#   SOAK_STREAMS=2000 SOAK_MINUTES=2 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p sseload-cli
sseload="${CARGO_TARGET_DIR:-target}/release/sseload"
export PYTHONDONTWRITEBYTECODE=1
exec python3 scripts/bench/soak.py --sseload "$sseload" --out "$out" \
    --streams "${SOAK_STREAMS:-10000}" --minutes "${SOAK_MINUTES:-10}"
