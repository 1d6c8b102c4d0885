#!/usr/bin/env bash
# Performance regression check by instruction count (never wall time): a small
# deterministic workload (scripts/bench/instr/main.rs: parse a fixed SSE
# corpus, encode events, evaluate a JSON Path check) runs under
# `valgrind --tool=callgrind`, and each part's instruction count is compared
# with .ci/instructions.baseline.
#
#   bash .ci/instructions.sh                   # check (fails above +TOLERANCE %)
#   INSTR_UPDATE=1 bash .ci/instructions.sh    # write the baseline (commit it)
#
# INSTR_TOLERANCE (percent, default 2). Counts depend on the compiler: the
# baseline records rustc's version, and a different one is refused with a
# request to re-baseline rather than compared.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
baseline=.ci/instructions.baseline
tolerance=${INSTR_TOLERANCE:-2}

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind
fi

work=target/instr
mkdir -p "$work"
sed "s|@ROOT@|$root|g" scripts/bench/instr/Cargo.toml.in > "$work/Cargo.toml"
# The workspace's versions: start from its lock file (cargo drops what this crate does not use).
cp Cargo.lock "$work/Cargo.lock"
CARGO_TARGET_DIR="$work/target" cargo build --release --quiet --manifest-path "$work/Cargo.toml"
bin=$work/target/release/sseload-instr
rustc_version=$(rustc --version)

count() {
    local part=$1 out
    out=$(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.$part.out" "$bin" "$part" 2>"$work/valgrind.$part.log")
    echo "$out" >&2
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$work/valgrind.$part.log"
}

declare -A now
for part in parse encode check; do
    now[$part]=$(count "$part")
    if [ -z "${now[$part]}" ]; then
        echo "instructions: no count for $part; see $work/valgrind.$part.log" >&2
        exit 1
    fi
done

if [ "${INSTR_UPDATE:-0}" = 1 ]; then
    {
        echo "# Instruction counts of scripts/bench/instr (callgrind), written by INSTR_UPDATE=1 bash .ci/instructions.sh"
        echo "rustc $rustc_version"
        for part in parse encode check; do echo "$part ${now[$part]}"; done
    } > "$baseline"
    cat "$baseline"
    exit 0
fi

recorded=$(sed -n 's/^rustc //p' "$baseline")
if [ "$recorded" != "$rustc_version" ]; then
    echo "instructions: the baseline was recorded with $recorded, this is $rustc_version;" >&2
    echo "re-run with INSTR_UPDATE=1 on a known-good commit and commit $baseline" >&2
    exit 1
fi

failed=0
printf '%-8s %14s %14s %9s\n' part baseline now change
for part in parse encode check; do
    was=$(awk -v p="$part" '$1 == p { print $2 }' "$baseline")
    change=$(awk -v a="$was" -v b="${now[$part]}" 'BEGIN { printf "%+.2f", 100 * (b - a) / a }')
    verdict=ok
    if awk -v c="$change" -v t="$tolerance" 'BEGIN { exit !(c > t) }'; then
        verdict="REGRESSION (over +$tolerance %)"
        failed=1
    elif awk -v c="$change" -v t="$tolerance" 'BEGIN { exit !(c < -t) }'; then
        verdict="faster: update the baseline (INSTR_UPDATE=1)"
    fi
    printf '%-8s %14s %14s %8s%%  %s\n' "$part" "$was" "${now[$part]}" "$change" "$verdict"
done
exit "$failed"
