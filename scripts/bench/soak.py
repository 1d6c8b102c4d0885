"""The soak behind scripts/soak.sh: hold the streams, sample both processes
every 10 s, and say whether memory grew after the warm-up."""

import argparse
import csv
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Group, Serve, counts_of, log, outcome_of, results, scenario, stop  # noqa: E402

HERE = Path(__file__).resolve().parent
WARM_UP = 120
PERIOD = 10


def slope(points):
    """Least-squares slope of (t, y) points, per second."""
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    num = sum((t - mt) * (y - my) for t, y in points)
    den = sum((t - mt) ** 2 for t, _ in points)
    return num / den if den else 0.0


def summary(rows, who):
    after = [(r["t"], r[f"{who}_rss_kib"]) for r in rows if r["t"] >= WARM_UP]
    first, last = after[0][1], after[-1][1]
    low, high = min(y for _, y in after), max(y for _, y in after)
    per_min = slope(after) * 60
    return (
        f"| {who} | {first / 1024:.1f} | {last / 1024:.1f} | {low / 1024:.1f} | {high / 1024:.1f} "
        f"| {(last - first) / 1024:+.1f} ({100 * (last - first) / first:+.2f} %) | {per_min:+.1f} |"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sseload", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--streams", type=int, default=10000)
    ap.add_argument("--minutes", type=float, default=10)
    args = ap.parse_args()
    out = Path(args.out)
    total = int(args.minutes * 60)
    server = Serve(args.sseload, "--heartbeat", "15s", logfile=out / "soak-serve.log")
    plan = scenario(HERE / "soak.yaml", server.base, out, "soak.yaml")
    cmd = [args.sseload, "run", str(plan), "--quiet", "--results", str(out / "soak.json"),
           "--duration", f"{total + 20}s", "--users-scale", f"{args.streams / 10000:.6f}"]
    logf = open(out / "soak.log", "w")
    import subprocess

    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    run, serve = Group(proc.pid), server.group
    rows = []
    start = time.monotonic()
    log(f"soak: {args.streams} streams for {args.minutes} min, sampling every {PERIOD} s")
    try:
        for k in range(total // PERIOD + 1):
            time.sleep(max(0.0, start + k * PERIOD - time.monotonic()))
            if proc.poll() is not None:
                raise RuntimeError(f"sseload run ended early (exit {proc.returncode}); see {out / 'soak.log'}")
            row = {
                "t": k * PERIOD,
                "run_rss_kib": run.rss(),
                "run_cpu_s": round(run.cpu(), 2),
                "serve_rss_kib": serve.rss(),
                "serve_cpu_s": round(serve.cpu(), 2),
                "delivered": int(server.metric("sseload_server_events_delivered_total")),
                "subscribers": int(server.metric("sseload_server_subscribers")),
            }
            rows.append(row)
            log(f"soak t={row['t']} s: run {row['run_rss_kib'] / 1024:.1f} MiB, "
                f"serve {row['serve_rss_kib'] / 1024:.1f} MiB, {row['subscribers']} subscribers")
        proc.wait(120)
    finally:
        stop(proc)
        server.close()
        logf.close()
    with open(out / "soak.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = results(out / "soak.json")
    conn = counts_of(report, "clock")
    ok, ko = outcome_of(report, "ts checked")
    after = [r for r in rows if r["t"] >= WARM_UP]
    span = after[-1]["t"] - after[0]["t"]
    lines = [
        f"Soak: {args.streams} streams, {args.minutes:g} min, RSS sampled every {PERIOD} s "
        f"(target/bench/soak.csv); warm-up: the first {WARM_UP} s.",
        "",
        "| process | RSS after warm-up, MiB | RSS at end, MiB | min | max | change | slope, KiB/min |",
        "|---|---:|---:|---:|---:|---:|---:|",
        summary(rows, "run"),
        summary(rows, "serve"),
        "",
        f"Events received by the run: {conn['events']}, reconnects {conn['reconnects']}, "
        f"connects OK {conn['ok']} KO {conn['ko']}, listens OK {ok} KO {ko}; "
        f"CPU after warm-up: run {100 * (after[-1]['run_cpu_s'] - after[0]['run_cpu_s']) / span:.1f} %, "
        f"serve {100 * (after[-1]['serve_cpu_s'] - after[0]['serve_cpu_s']) / span:.1f} % of one core.",
    ]
    text = "\n".join(lines) + "\n"
    (out / "soak.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
