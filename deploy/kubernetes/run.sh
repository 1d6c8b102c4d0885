#!/usr/bin/env bash
# One distributed sseload run on Kubernetes, start to report:
#
#   1. apply the manifests (kustomization.yaml: image, N, scenario); the two
#      Jobs are created suspended;
#   2. write the run's start time (now + a margin) and id into the ConfigMap
#      `sseload-run`, release the shards Job, wait until every shard is done;
#   3. release the merge Job and wait for its verdict;
#   4. copy the run's directory (shard files, merged.json, report.html,
#      junit.xml, summary.md) out of the results volume.
#
# Usage: deploy/kubernetes/run.sh   (from anywhere; kubectl's current context)
#
# Environment:
#   NAMESPACE   namespace to run in (default: the context's)
#   MARGIN      seconds between now and the shards' start (default 60): must
#               cover scheduling, image pulls and clock skew between this
#               machine and the nodes; a shard that starts late says so
#   OUT         where the run's files are copied (default ./sseload-results)
#   RUN_ID      the run's directory name on the volume (default run-<UTC time>)
#   TIMEOUT     seconds to wait for the shards Job (default 2100: its
#               activeDeadlineSeconds plus the margin and slack)
#
# Exit code: that of `sseload merge`: 0 every assertion passed on the merged
# data, 1 one failed, 2 bad input; 3 when a shard failed (a lost pod, not an
# assertion), so the merged run is partial even though the merge passed;
# 4 when the cluster side failed (a timeout, a Job that did not finish).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
margin="${MARGIN:-60}"
out="${OUT:-./sseload-results}"
timeout="${TIMEOUT:-2100}"
run_id="${RUN_ID:-run-$(date -u +%Y%m%dT%H%M%SZ)}"

k() { kubectl ${NAMESPACE:+--namespace "$NAMESPACE"} "$@"; }
say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$2"; exit "$1"; }

# RFC 3339 in UTC, `seconds` from now (GNU date, then BSD date, then unix
# seconds, which sseload accepts as well).
time_in() {
    local at=$(( $(date +%s) + $1 ))
    date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
        date -u -r "$at" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
        printf '%s\n' "$at"
}

# The types of a Job's true conditions (Complete, Failed, Suspended, ...).
job_conditions() {
    k get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}'
}

# Waits until Job $1 is Complete or Failed, at most $2 seconds; prints which.
# (`kubectl wait --for=condition=complete` alone would wait out the whole
# timeout on a Job that failed.)
wait_job() {
    local job=$1 deadline=$(( $(date +%s) + $2 )) conditions last=0
    while :; do
        conditions="$(job_conditions "$job")"
        case " $conditions " in
            *" Complete "*) echo Complete; return 0 ;;
            *" Failed "*) echo Failed; return 0 ;;
        esac
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo Timeout
            return 0
        fi
        if [ $(( $(date +%s) - last )) -ge 30 ]; then
            last=$(date +%s)
            say "$job: $(k get job "$job" -o jsonpath='active {.status.active}, succeeded {.status.succeeded}, failed {.status.failed}')"
        fi
        sleep 5
    done
}

# One line per shard pod: completion index (0-based), exit code, reason.
shard_outcomes() {
    k get pods -l job-name=sseload-shards -o jsonpath='{range .items[*]}{.metadata.annotations.batch\.kubernetes\.io/job-completion-index}{" "}{.status.containerStatuses[0].state.terminated.exitCode}{" "}{.status.containerStatuses[0].state.terminated.reason}{"\n"}{end}' |
        sort -n
}

fetch_created=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$fetch_created" ]; then
        k delete pod sseload-fetch --ignore-not-found --wait=false >/dev/null || true
    fi
}
trap cleanup EXIT

command -v kubectl >/dev/null || die 4 "kubectl is not installed"

say "run $run_id: applying $here"
# A Job's pod template cannot change: the previous run's Jobs go first.
k delete job sseload-shards sseload-merge --ignore-not-found --wait=true
k delete pod sseload-fetch --ignore-not-found --wait=true
k apply -k "$here"

# The demo server (when kustomization.yaml keeps it) must be up before the
# shards start, or their first connects measure its start-up.
if k get deployment sseload-demo >/dev/null 2>&1; then
    k rollout status deployment/sseload-demo --timeout=300s ||
        die 4 "the demo server did not become ready"
fi

start_at="$(time_in "$margin")"
say "shards start at $start_at (in ${margin}s)"
k create configmap sseload-run \
    --from-literal=start-at="$start_at" \
    --from-literal=run-id="$run_id" \
    --dry-run=client -o yaml | k apply -f -
k patch job sseload-shards --type=merge -p '{"spec":{"suspend":false}}'

shards="$(wait_job sseload-shards "$timeout")"
say "sseload-shards: $shards"
if [ "$shards" = Timeout ]; then
    die 4 "the shards did not finish within ${timeout}s; kubectl describe job sseload-shards"
fi

# Which shards ended how. Exit 1 is a shard's own assertions failing on its
# slice: the merge evaluates them again on the whole run, so it is no loss.
partial=
while read -r index code reason; do
    [ -n "$index" ] || continue
    case "$code" in
        0) ;;
        1) say "shard $((index + 1)): its own assertions failed (the merge decides)" ;;
        2) die 2 "shard $((index + 1)) refused its input; kubectl logs -l job-name=sseload-shards" ;;
        *) partial=1; say "shard $((index + 1)): failed (exit ${code:-none}, ${reason:-no reason}); its last snapshot, if any, is merged" ;;
    esac
done < <(shard_outcomes)
case "$(k get job sseload-shards -o jsonpath='{.status.conditions[?(@.type=="Failed")].reason}')" in
    PodFailurePolicy) die 2 "the shards were stopped on bad input; kubectl logs -l job-name=sseload-shards" ;;
    DeadlineExceeded) partial=1; say "the shards hit activeDeadlineSeconds and were stopped" ;;
esac

say "merging"
k patch job sseload-merge --type=merge -p '{"spec":{"suspend":false}}'
merge="$(wait_job sseload-merge 900)"
k logs job/sseload-merge --tail=-1 || true
code="$(k get pods -l job-name=sseload-merge -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')"
if [ "$merge" = Timeout ] || [ -z "$code" ]; then
    die 4 "the merge did not finish; kubectl describe job sseload-merge"
fi

say "copying /results/$run_id to $out/$run_id"
image="$(k get job sseload-shards -o jsonpath='{.spec.template.spec.containers[0].image}')"
fetch_created=1
sed "s|^\( *image:\) sseload\$|\1 $image|" "$here/fetch-pod.yaml" | k apply -f -
k wait --for=condition=Ready pod/sseload-fetch --timeout=300s
mkdir -p "$out"
k cp "sseload-fetch:/results/$run_id" "$out/$run_id"
say "report: $out/$run_id/report.html"

if [ "$code" = 0 ] && [ -n "$partial" ]; then
    die 3 "the merged assertions passed, but on a partial run (see the shards above)"
fi
exit "$code"
