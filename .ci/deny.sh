#!/usr/bin/env bash
# cargo deny for sseload: licenses, bans and sources must pass (deny.toml);
# advisories run when the RustSec advisory database can be fetched from
# GitHub, and are reported as skipped (without failing) when it cannot.
# Runs as `bash .ci/deny.sh` from anywhere; well under a minute once
# cargo-deny is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# How long the advisory database may take to answer, in seconds.
ADVISORY_TIMEOUT=${ADVISORY_TIMEOUT:-20}
ADVISORY_DB=https://github.com/rustsec/advisory-db

if ! cargo deny --version >/dev/null 2>&1; then
    echo "cargo-deny is missing: cargo install cargo-deny --locked"
    cargo install cargo-deny --locked
fi
cargo deny --version

# Duplicate versions are warnings; their inclusion graphs are left out here
# (run `cargo deny check bans` to see who pulls each one in).
echo "--- cargo deny check licenses bans sources"
cargo deny --locked check --hide-inclusion-graph licenses bans sources

# Where cargo-deny keeps its copy of the advisory database.
LOCAL_DB="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"

echo "--- cargo deny check advisories"
if timeout "$ADVISORY_TIMEOUT" git ls-remote --exit-code "$ADVISORY_DB" HEAD >/dev/null 2>&1; then
    timeout 300 cargo deny --locked check advisories
elif [ -d "$LOCAL_DB" ] && [ -n "$(ls -A "$LOCAL_DB")" ]; then
    echo "advisories: $ADVISORY_DB is unreachable; checking against the copy in $LOCAL_DB, which may be out of date."
    cargo deny --locked --offline check advisories
else
    echo "advisories: SKIPPED — the RustSec advisory database ($ADVISORY_DB) cannot be reached from this machine (git ls-remote failed or took over ${ADVISORY_TIMEOUT}s) and there is no local copy in $LOCAL_DB."
    echo "advisories: licenses, bans and sources were checked; run 'cargo deny check advisories' where GitHub is reachable."
fi
