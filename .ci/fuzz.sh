#!/usr/bin/env bash
# Fuzzes the SSE parser for about a minute; exits non-zero when the fuzzer finds a crash.
#
# Runs on stable Rust: `--sanitizer none` needs no nightly flags. The committed
# seeds in fuzz/corpus/parse/ are read; new inputs go to a temporary directory,
# so the working tree stays clean. A crashing input is left in
# fuzz/artifacts/parse/ and can be replayed with
#   cargo fuzz run --sanitizer none parse fuzz/artifacts/parse/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

target=parse
seconds="${FUZZ_SECONDS:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing; installing it"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

work_corpus="$(mktemp -d)"
trap 'rm -rf "$work_corpus"' EXIT

# Build first, so the time limit below is spent fuzzing, not compiling.
cargo fuzz build --sanitizer none "$target"
cargo fuzz run --sanitizer none "$target" "$work_corpus" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
