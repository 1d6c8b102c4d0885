#!/usr/bin/env bash
# Short fuzzing runs of every cargo-fuzz target (about 3 minutes of fuzzing in
# all, after the build); exits non-zero when a target finds a crash or fails
# an oracle. The long runs are done locally: see fuzz/README.md.
#
# Runs on stable Rust: `--sanitizer none` needs no nightly flags. The committed
# seeds in fuzz/corpus/<target>/ are read; new inputs go to a temporary
# directory, so the working tree stays clean. A crashing input is left in
# fuzz/artifacts/<target>/ and can be replayed with
#   cargo fuzz run --sanitizer none <target> fuzz/artifacts/<target>/<file>
#
# FUZZ_SECONDS sets the time per target (default 45); FUZZ_TARGETS picks
# targets (default: all four).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-45}"
targets="${FUZZ_TARGETS:-parse scenario expr server}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing; installing it"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Build everything first, so the time limits below are spent fuzzing.
for target in $targets; do
    cargo fuzz build --sanitizer none "$target"
done

for target in $targets; do
    echo "--- fuzz $target for ${seconds}s"
    dict=()
    if [ -f "fuzz/$target.dict" ]; then
        dict=("-dict=fuzz/$target.dict")
    fi
    mkdir -p "$work/$target"
    cargo fuzz run --sanitizer none "$target" "$work/$target" "fuzz/corpus/$target" -- \
        "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1
done
