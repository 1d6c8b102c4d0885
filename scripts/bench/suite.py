"""The bench suite behind scripts/bench.sh: each part measures one claim of
docs/BENCHMARKS.md and returns table rows (figure, value, target, peer,
ratio, command). Run one part with `scripts/bench.sh PART` (scale, profile,
throughput, locust, server, startup, parser); `scripts/bench.sh` runs them all.

Environment knobs (defaults in brackets): BENCH_STREAMS [15000],
BENCH_LOCUST_STREAMS [1000], BENCH_FLOOR_ROUNDS [3] (rounds of sseload and the floor
readers in the locust part), BENCH_SUBSCRIBERS [10000], BENCH_RATE [10],
BENCH_SERVER_ABBA [1] (0: each server once, sseload first).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT,
    Group,
    Serve,
    counts_of,
    fmt,
    free_port,
    log,
    median,
    outcome_of,
    results,
    sample_until,
    scenario,
    stat_of,
    stop,
    wait_port,
)

HERE = Path(__file__).resolve().parent
DELIVERED = "sseload_server_events_delivered_total"


class Row:
    def __init__(self, part, figure, value, target="", peer="", ratio="", command=""):
        self.cells = [part, figure, value, target, peer, ratio, command]


def run_sseload(ctx, plan, *extra, name):
    """Starts `sseload run` on a plan; returns (process, results path, log path)."""
    out = ctx.out / f"{name}.json"
    logfile = ctx.out / f"{name}.log"
    cmd = [str(ctx.sseload), "run", str(plan), "--quiet", "--results", str(out), *extra]
    proc = subprocess.Popen(cmd, stdout=open(logfile, "w"), stderr=subprocess.STDOUT)
    return proc, out, logfile


def finish(proc, logfile, limit):
    """Waits for a bounded run to end by itself."""
    try:
        proc.wait(limit)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise RuntimeError(f"{proc.args} did not end within {limit} s; see {logfile}")


# ---------------------------------------------------------------- a. scale


SUBSCRIBERS = "sseload_server_subscribers"
WINDOW = 20


def measure_held(proc, server, streams, group, logfile):
    """Samples `group` while `proc` connects `streams` streams to `server`:
    at 2 s (before any connection), when a tenth are connected, when all are
    (the server's subscriber gauge), and WINDOW seconds later; events are
    the server's deliveries over the window."""
    start = time.monotonic()
    marks = {}

    def sample(name):
        user, system = group.cpu_split()
        marks[name] = {
            "cpu": user + system, "user": user, "sys": system,
            "rss": group.rss(), "t": time.monotonic() - start,
            "subs": server.metric(SUBSCRIBERS), "delivered": server.metric(DELIVERED),
            "serve_cpu": server.group.cpu(), "serve_rss": server.group.rss(),
        }

    while time.monotonic() - start < 2:
        time.sleep(0.1)
    sample("baseline")
    deadline = start + 150
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the measured process ended early (exit {proc.returncode}); see {logfile}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {server.metric(SUBSCRIBERS):.0f} of {streams} streams connected in 150 s")
        subs = server.metric(SUBSCRIBERS)
        if "tenth" not in marks and subs >= streams / 10:
            sample("tenth")
        if subs >= streams * 0.995:
            break
        time.sleep(0.5)
    sample("all")
    time.sleep(WINDOW)
    sample("end")
    return marks


def derive(marks, streams):
    a, b = marks["all"], marks["end"]
    span = b["t"] - a["t"]
    events = b["delivered"] - a["delivered"]
    cpu = b["cpu"] - a["cpu"]
    return {
        "streams": b["subs"],
        "connect_s": a["t"] - marks["baseline"]["t"],
        "cpu_percent": 100 * cpu / span,
        "rss_per_stream_kib": (b["rss"] - marks["baseline"]["rss"]) / b["subs"],
        "marginal_kib": (b["rss"] - marks["tenth"]["rss"]) / max(1, b["subs"] - marks["tenth"]["subs"]),
        "rss_mib": b["rss"] / 1024,
        "cpu_s_per_million": 1e6 * cpu / events if events else float("nan"),
        # µs per event equals CPU-s per million events; split by where it is spent.
        "user_us": 1e6 * (b["user"] - a["user"]) / events if events else float("nan"),
        "sys_us": 1e6 * (b["sys"] - a["sys"]) / events if events else float("nan"),
        "events_per_s": events / span,
        "server_rss_mib": b["serve_rss"] / 1024,
        "server_cpu_percent": 100 * (b["serve_cpu"] - a["serve_cpu"]) / span,
    }


def hold_clock_streams(ctx, streams, label):
    """One `sseload run` holding `streams` clock streams with a check on each
    event; CPU and memory of that process over a WINDOW once all are open."""
    server = Serve(ctx.sseload, "--heartbeat", "off", "--max-connections", "19000",
                   logfile=ctx.out / f"{label}-serve.log")
    try:
        plan = scenario(HERE / "scale.yaml", server.base, ctx.out, f"{label}.yaml")
        scale = streams / 15000
        proc, out, logfile = run_sseload(ctx, plan, "--users-scale", f"{scale:.6f}", name=label)
        try:
            marks = measure_held(proc, server, streams, Group(proc.pid), logfile)
        finally:
            stop(proc, grace=30)  # SIGTERM: the run writes what it measured
        report = results(out)
    finally:
        server.close()
    m = derive(marks, streams)
    ok, ko = outcome_of(report, "ts checked")
    conn = counts_of(report, "clock")
    m.update(listens_ok=ok, listens_ko=ko, connect_ko=conn["ko"], reconnects=conn["reconnects"])
    failures = [e for e in report["errors"] if "ts checked" in json.dumps(e)]
    m["check_failures"] = failures
    return m


def part_scale(ctx):
    n = int(os.environ.get("BENCH_STREAMS", "15000"))
    log(f"scale: {n} streams, 1 event/s each, a JSON Path check on each")
    m = hold_clock_streams(ctx, n, "scale")
    ctx.notes.append(
        f"scale: {m['streams']:.0f} streams open after {m['connect_s']:.0f} s, {m['events_per_s']:.0f} events/s received and checked "
        f"over {WINDOW} s, marginal RSS {m['marginal_kib']:.1f} KiB/stream, check failures {len(m['check_failures'])}, "
        f"connects KO {m['connect_ko']}, "
        f"reconnects {m['reconnects']}; run RSS {m['rss_mib']:.0f} MiB; "
        f"server (separate process) RSS {m['server_rss_mib']:.0f} MiB, CPU {m['server_cpu_percent']:.0f} %"
    )
    cmd = f"BENCH_STREAMS={n} scripts/bench.sh scale"
    ctx.data["scale"] = m
    return [
        Row("scale", "streams held by one `sseload run`", f"{m['streams']:.0f}", "15 000", command=cmd),
        Row("scale", "CPU, % of one core", fmt(m["cpu_percent"]), "< 25", command=cmd),
        Row("scale", "RSS growth per stream, KiB", fmt(m["rss_per_stream_kib"]), "< 8", command=cmd),
        Row("scale", "CPU-seconds per million events received + checked", fmt(m["cpu_s_per_million"], 2), "", command=cmd),
    ]


# ---------------------------------------------------------------- b. throughput


def firehose(ctx, plan_name, label):
    server = Serve(ctx.sseload, "--heartbeat", "off", logfile=ctx.out / f"{label}-serve.log")
    try:
        plan = scenario(HERE / plan_name, server.base, ctx.out, f"{label}.yaml")
        proc, out, logfile = run_sseload(ctx, plan, name=label)
        taken = sample_until(proc, [3, 11], {"run": Group(proc.pid), "serve": server.group})
        finish(proc, logfile, 60)
        report = results(out)
    finally:
        server.close()
    steady = [s["events"] for s in report["series"] if 3 < s["second"] <= 11]
    cpu = taken[11]["run"][0] - taken[3]["run"][0]
    events = sum(steady)
    return {
        "events_per_s": median(steady),
        "cpu_cores": cpu / (taken[11]["run"][2] - taken[3]["run"][2]),
        "ns_per_event": 1e9 * cpu / events if events else None,
        "server_cores": (taken[11]["serve"][0] - taken[3]["serve"][0]) / (taken[11]["serve"][2] - taken[3]["serve"][2]),
        "report": report,
    }


def part_throughput(ctx):
    rows = []
    for plan, label, target, what in [
        ("firehose.yaml", "firehose", 1_000_000, "events/s received, no checks"),
        ("firehose-check.yaml", "firehose-check", 300_000, "events/s received, JSON Path check on each"),
    ]:
        log(f"throughput: {plan}")
        m = firehose(ctx, plan, label)
        if label == "firehose-check":
            ok, ko = outcome_of(m["report"], "ts checked")
            ctx.notes.append(f"{label}: listens OK {ok} KO {ko}")
        ctx.notes.append(
            f"{label}: client {m['cpu_cores']:.2f} cores, {m['ns_per_event']:.0f} ns CPU per event; "
            f"server {m['server_cores']:.2f} cores"
        )
        cmd = f"scripts/bench.sh throughput  # sseload run scripts/bench/{plan}"
        rows.append(Row("throughput", what, fmt(m["events_per_s"]), f"≥ {target:,}".replace(",", " "), command=cmd))
        rows.append(Row("throughput", f"CPU per event ({label}), ns", fmt(m["ns_per_event"], 0), "", command=cmd))
    return rows


PROFILE_GROUPS = [
    ("kernel", lambda dso, sym: dso.startswith("[kernel")),
    ("JSON into serde_json::Value", lambda dso, sym: "serde_json::" in sym or "btree" in sym.lower()),
    ("malloc/free/memcpy", lambda dso, sym: dso.startswith("libc") and re.search(r"malloc|free|memmove|memcpy|memcmp|memset", sym)),
    ("checks", lambda dso, sym: "sseload_scenario::check" in sym or "serde_json_path" in sym),
    ("SSE parser", lambda dso, sym: "sseload_proto" in sym),
    ("client", lambda dso, sym: "sseload_client" in sym),
    ("engine + histograms", lambda dso, sym: re.search(r"sseload_engine|sseload_metrics|hdrhistogram", sym)),
    ("clock reads", lambda dso, sym: "clock_gettime" in sym),
    ("tokio", lambda dso, sym: "tokio" in sym),
]


def profile_groups(text):
    """Self time of a `perf report --sort dso,symbol` by group, largest first."""
    totals = {}
    for line in text.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        name = next((n for n, test in PROFILE_GROUPS if test(dso, sym)), "other")
        totals[name] = totals.get(name, 0.0) + pct
    return sorted(totals.items(), key=lambda kv: -kv[1])


def part_profile(ctx):
    """Where the client's time goes on the firehose: `perf record` (cpu-clock,
    call graphs) on the `sseload run` process; symbols written out, grouped in the notes."""
    rows = []
    for plan, label in [("firehose.yaml", "profile-firehose"), ("firehose-check.yaml", "profile-firehose-check")]:
        log(f"profile: perf record on sseload run {plan}")
        server = Serve(ctx.sseload, "--heartbeat", "off", logfile=ctx.out / f"{label}-serve.log")
        data = ctx.out / f"{label}.perf.data"
        try:
            plan_path = scenario(HERE / plan, server.base, ctx.out, f"{label}.yaml")
            proc, _out, logfile = run_sseload(ctx, plan_path, name=label)
            time.sleep(3)
            perf = subprocess.run(
                ["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", str(data),
                 "-p", str(proc.pid), "--", "sleep", "6"],
                capture_output=True, text=True, timeout=60,
            )
            finish(proc, logfile, 60)
        finally:
            server.close()
        if perf.returncode != 0:
            raise RuntimeError(f"perf record failed: {perf.stderr.strip()[-300:]}")
        report = subprocess.run(
            ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--percent-limit", "0.05",
             "-g", "none", "--sort", "dso,symbol"],
            capture_output=True, text=True, timeout=300,
        )
        text = report.stdout
        (ctx.out / f"{label}.txt").write_text(text)
        grouped = ", ".join(f"{name} {pct:.1f} %" for name, pct in profile_groups(text))
        ctx.notes.append(f"{label}, self time by group: {grouped}")
        rows.append(Row("profile", f"perf profile of `sseload run` on {plan}", f"target/bench/{label}.txt (groups in the notes)", "",
                        command="scripts/bench.sh profile"))
    return rows


# ---------------------------------------------------------------- c. Locust


def locust_hold(ctx, streams, label, seconds=240):
    """Locust (one process) holding `streams` clock streams."""
    server = Serve(ctx.sseload, "--heartbeat", "off", logfile=ctx.out / f"{label}-serve.log")
    totals = ctx.out / f"{label}-totals.json"
    totals.unlink(missing_ok=True)
    env = dict(os.environ, SSE_BENCH_OUT=str(totals), SSE_BENCH_HOLD="3600")
    rate = max(1, streams // 15)
    cmd = [
        str(ctx.venv / "bin" / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
        "-u", str(streams), "-r", str(rate), "-t", f"{seconds}s", "--host", server.base,
        "--only-summary", "--stop-timeout", "0", "--loglevel", "WARNING",
    ]
    logfile = ctx.out / f"{label}.log"
    proc = subprocess.Popen(cmd, stdout=open(logfile, "w"), stderr=subprocess.STDOUT, env=env)
    try:
        try:
            marks = measure_held(proc, server, streams, Group(proc.pid), logfile)
        finally:
            stop(proc, grace=30)
    finally:
        server.close()
    m = derive(marks, streams)
    m["totals"] = json.loads(totals.read_text()) if totals.exists() else {}
    m["cmd"] = cmd
    return m


def hold_command(ctx, cmd_for, streams, label):
    """A process started by `cmd_for(base_url)` that holds `streams` clock
    streams: its CPU (user and system) and memory over a WINDOW, as
    `hold_clock_streams` measures `sseload run`."""
    server = Serve(ctx.sseload, "--heartbeat", "off", "--max-connections", "19000",
                   logfile=ctx.out / f"{label}-serve.log")
    try:
        logfile = ctx.out / f"{label}.log"
        proc = subprocess.Popen(cmd_for(server.base), stdout=open(logfile, "w"), stderr=subprocess.STDOUT)
        try:
            marks = measure_held(proc, server, streams, Group(proc.pid), logfile)
        finally:
            stop(proc)
    finally:
        server.close()
    return derive(marks, streams)


def ladder_readers(ctx, n):
    """The readers below sseload, from the kernel's floor up: (key, label, command for a base URL)."""
    return [
        ("epoll", "epoll + recv only (Python; its system time is the kernel's floor)",
         lambda base: [sys.executable, str(HERE / "floor_epoll.py"), f"{base}/clock", str(n)]),
        ("tokio", "Tokio read loop (a task per stream, `read` and count, no parsing)",
         lambda base: [str(ctx.floor), "tokio", f"{base}/clock", str(n)]),
        ("client", "sseload client alone (HTTP/1.1, SSE parse, an owned event each)",
         lambda base: [str(ctx.floor), "client", f"{base}/clock", str(n)]),
    ]


def per_event(m):
    return f"{m['cpu_s_per_million']:.1f} ({m['user_us']:.1f} + {m['sys_us']:.1f})"


def part_locust(ctx):
    n = int(os.environ.get("BENCH_LOCUST_STREAMS", "1000"))
    rounds = int(os.environ.get("BENCH_FLOOR_ROUNDS", "3"))
    log(f"locust: {n} streams, 1 event/s per stream; sseload and the floor readers {rounds} rounds, interleaved")
    readers = ladder_readers(ctx, n)
    taken = {key: [] for key in ["sseload"] + [k for k, _, _ in readers]}
    for r in range(rounds):
        taken["sseload"].append(hold_clock_streams(ctx, n, f"vs-locust-sseload-{r}"))
        for key, _, cmd_for in readers:
            taken[key].append(hold_command(ctx, cmd_for, n, f"floor-{key}-{r}"))
    theirs = locust_hold(ctx, n, "vs-locust-locust")
    med = {key: middle_round(ms) for key, ms in taken.items()}
    ours = med["sseload"]
    ctx.notes.append(
        f"locust at {n} streams: {theirs['totals']} (events received and checked by the locustfile), "
        f"{theirs['events_per_s']:.0f} events/s sent to it, CPU {theirs['cpu_percent']:.0f} %, "
        f"RSS {theirs['rss_mib']:.0f} MiB, marginal {theirs['marginal_kib']:.1f} KiB/stream; "
        f"sseload at {n} streams (median round): CPU {ours['cpu_percent']:.1f} %, RSS {ours['rss_mib']:.0f} MiB, "
        f"marginal {ours['marginal_kib']:.1f} KiB/stream; every round, µs per event: "
        + "; ".join(f"{k} " + ", ".join(f"{m['cpu_s_per_million']:.1f}" for m in ms) for k, ms in taken.items())
    )
    ctx.data["ladder"] = {"n": n, "rounds": taken, "locust": theirs}
    cmd = f"BENCH_LOCUST_STREAMS={n} scripts/bench.sh locust"
    return locust_rows(ctx, n, ours, theirs, cmd) + ladder_rows(readers, med, ours, theirs, n, cmd)


def middle_round(measures):
    """The round with the median CPU per event."""
    ranked = sorted(measures, key=lambda m: m["cpu_s_per_million"])
    return ranked[len(ranked) // 2]


def locust_rows(ctx, n, ours, theirs, cmd):
    cpu_ratio = theirs["cpu_s_per_million"] / ours["cpu_s_per_million"]
    mem_ratio = theirs["marginal_kib"] / ours["marginal_kib"]
    # At one event per second per stream, a core holds 1e6 / (CPU-s per million) streams.
    ours_per_core = 1e6 / ours["cpu_s_per_million"]
    theirs_per_core = 1e6 / theirs["cpu_s_per_million"]
    big = ctx.data.get("scale")
    if big:  # measured at scale, where fixed costs weigh less
        ours_per_core = 1e6 / big["cpu_s_per_million"]
    return [
        Row("locust", f"CPU-s per million events ({n} streams, 1 event/s, check on each)",
            fmt(ours["cpu_s_per_million"], 2), "", fmt(theirs["cpu_s_per_million"], 1), f"{cpu_ratio:.1f}× less (target ≥ 20×)", cmd),
        Row("locust", f"RSS per stream (marginal, from 10 % to all connected), KiB ({n} streams)",
            fmt(ours["marginal_kib"]), "", fmt(theirs["marginal_kib"]), f"{mem_ratio:.1f}× less", cmd),
        Row("locust", "streams per core at 1 event/s (from CPU per stream)", fmt(ours_per_core, 0), "",
            fmt(theirs_per_core, 0), f"{ours_per_core / theirs_per_core:.1f}× more (target ≥ 20×)", cmd),
    ]


def ladder_rows(readers, med, ours, theirs, n, cmd):
    """CPU per event, user + system µs, from the kernel's floor up to sseload and Locust."""
    rows = []
    for key, label, _ in readers:
        m = med[key]
        rows.append(Row("floor", f"µs per event (user + system), {label}, {n} streams", per_event(m), "",
                        per_event(theirs), f"Locust {theirs['cpu_s_per_million'] / m['cpu_s_per_million']:.1f}× more", cmd))
    rows.append(Row("floor", f"µs per event (user + system), sseload run with a JSON Path check, {n} streams",
                    per_event(ours), "", per_event(theirs),
                    f"{ours['cpu_s_per_million'] / med['tokio']['cpu_s_per_million']:.2f}× the Tokio read loop", cmd))
    bound = theirs["cpu_s_per_million"] / med["epoll"]["sys_us"]
    rows.append(Row("floor", "the most any reader can need less than Locust here (Locust's µs per event / the kernel's)",
                    f"{bound:.1f}×", "≥ 20×", "", "a reader that spends nothing in user space", cmd))
    return rows


# ---------------------------------------------------------------- d. server vs nchan


class Nchan:
    def __init__(self, ctx):
        self.port = free_port()
        self.prefix = (ctx.out / "nginx").resolve()
        for sub in ["", "body", "proxy", "fastcgi", "uwsgi", "scgi"]:
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = (HERE / "nginx.conf.in").read_text()
        conf = conf.replace("@PREFIX@", str(self.prefix)).replace("@PORT@", str(self.port))
        (self.prefix / "nginx.conf").write_text(conf)
        self.out = open(ctx.out / "nginx.log", "w")
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
            stdout=self.out, stderr=subprocess.STDOUT,
        )
        wait_port(self.port)
        self.group = Group(self.proc.pid, with_children=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        stop(self.proc)
        self.out.close()


def fanout_against(ctx, server, label, sub_path, pub_url, fmt_name, subscribers, rate):
    plan = scenario(HERE / "fanout-subscribers.yaml", server.base, ctx.out, f"{label}.yaml")
    scale = subscribers / 10000
    proc, out, logfile = run_sseload(
        ctx, plan, "--set", f"path={sub_path}", "--users-scale", f"{scale:.6f}", name=label
    )
    before = server.group.pss()
    publisher = None
    try:
        taken = sample_until(proc, [0.3, 12.5], {"run": Group(proc.pid)})
        connected = server.group.pss()
        cpu0 = server.group.cpu()
        t0 = time.monotonic()
        publisher = subprocess.run(
            [sys.executable, str(HERE / "publisher.py"), "--url", pub_url, "--format", fmt_name,
             "--rate", str(rate), "--seconds", "20"],
            capture_output=True, text=True, timeout=60,
        )
        server_cpu = (server.group.cpu() - cpu0) / (time.monotonic() - t0)
        finish(proc, logfile, 90)
    finally:
        stop(proc)
    report = results(out)
    published = json.loads(publisher.stdout or "{}")
    counts = counts_of(report, "subscribe")
    opened = max(s["streams"] for s in report["series"])
    window = [s for s in report["series"] if s["events"] > 0]
    busy = len(window)
    del taken
    return {
        "subscribers": opened,
        "published": published.get("published", 0),
        "pub_failed": published.get("failed", 0),
        "delivered": counts["events"],
        "expected": published.get("published", 0) * opened,
        "deliveries_per_s": counts["events"] / max(busy, 1),
        "peak_per_s": max((s["events"] for s in window), default=0),
        "p50": stat_of(report, "subscribe", "delivery_latency", "p50"),
        "p99": stat_of(report, "subscribe", "delivery_latency", "p99"),
        "mem_per_sub_kib": (connected - before) / opened,
        "server_cores": server_cpu,
        "reconnects": counts["reconnects"],
    }


def fanout_ours(ctx, subs, rate, label):
    serve = Serve(ctx.sseload, "--heartbeat", "off", "--max-connections", "19000",
                  logfile=ctx.out / f"{label}-serve.log")
    try:
        return fanout_against(ctx, serve, label, "/topics/bench", serve.base + "/topics/bench", "hub", subs, rate)
    finally:
        serve.close()


def fanout_nchan(ctx, subs, rate, label):
    nchan = Nchan(ctx)
    try:
        return fanout_against(ctx, nchan, label, "/sub/bench", nchan.base + "/pub/bench", "nchan", subs, rate)
    finally:
        nchan.close()


# The figures a server's runs are averaged on.
AVERAGED = ["deliveries_per_s", "p50", "p99", "mem_per_sub_kib", "server_cores"]


def averaged(runs):
    """One server's runs as one: the mean of each figure (None when a run lacks it)."""
    merged = dict(runs[0])
    for key in AVERAGED:
        values = [r[key] for r in runs]
        merged[key] = None if any(v is None for v in values) else sum(values) / len(values)
    return merged


def part_server(ctx):
    subs = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
    rate = float(os.environ.get("BENCH_RATE", "10"))
    # ABBA: the machine's load drifts, and latency moves with it by several
    # times; alternating the order gives both servers the same share of it.
    order = ["sseload serve", "nginx+nchan"]
    if os.environ.get("BENCH_SERVER_ABBA", "1") != "0":
        order += order[::-1]
    log(f"server: {subs} subscribers, {rate} events/s, in the order {', '.join(order)}")
    run = {"sseload serve": fanout_ours, "nginx+nchan": fanout_nchan}
    runs = {who: [] for who in run}
    for k, who in enumerate(order):
        load = os.getloadavg()[0]
        m = run[who](ctx, subs, rate, f"fanout-{'sseload' if who.startswith('sseload') else 'nchan'}-{k}")
        m["load"] = load
        runs[who].append(m)
    for who, ms in runs.items():
        for m in ms:
            ctx.notes.append(
                f"fan-out {who} (load average {m['load']:.1f} at its start): {m['subscribers']} subscribers, "
                f"{m['published']} published ({m['pub_failed']} failed), {m['delivered']} of {m['expected']} delivered, "
                f"p50 {fmt(m['p50'], 2)} ms, p99 {fmt(m['p99'], 2)} ms, {fmt(m['mem_per_sub_kib'])} KiB/subscriber, "
                f"peak {m['peak_per_s']} deliveries/s, server CPU {m['server_cores']:.2f} cores while publishing, "
                f"{m['reconnects']} reconnects"
            )
    ours, theirs = averaged(runs["sseload serve"]), averaged(runs["nginx+nchan"])
    cmd = f"BENCH_SUBSCRIBERS={subs} BENCH_RATE={rate:g} scripts/bench.sh server"

    def ratio(a, b, lower_better=True):
        if not a or not b:
            return "–"
        r = b / a if lower_better else a / b
        return f"{r:.2f}× ({'better' if r >= 1 else 'worse'})"

    return [
        Row("server", f"deliveries/s ({subs} subscribers, {rate:g} events/s; each figure the mean of a server's "
            f"{len(runs['nginx+nchan'])} runs, order {' '.join('A' if w.startswith('sseload') else 'B' for w in order)})",
            fmt(ours["deliveries_per_s"]), "",
            fmt(theirs["deliveries_per_s"]), ratio(ours["deliveries_per_s"], theirs["deliveries_per_s"], False), cmd),
        Row("server", "p50 delivery latency, ms", fmt(ours["p50"], 2), "", fmt(theirs["p50"], 2),
            ratio(ours["p50"], theirs["p50"]), cmd),
        Row("server", "p99 delivery latency, ms", fmt(ours["p99"], 2), "≤ nchan", fmt(theirs["p99"], 2),
            ratio(ours["p99"], theirs["p99"]), cmd),
        Row("server", "memory per subscriber (PSS growth), KiB", fmt(ours["mem_per_sub_kib"]), "≤ nchan",
            fmt(theirs["mem_per_sub_kib"]), ratio(ours["mem_per_sub_kib"], theirs["mem_per_sub_kib"]), cmd),
    ]


# ---------------------------------------------------------------- e. start-up


STARTUP_PLAN = """name: startup
target: {{ base_url: "http://127.0.0.1:{port}" }}
max_duration: 10s
scenarios:
  - name: one
    load: [ {{ at_once_users: 1 }} ]
    steps:
      - sse_connect: {{ name: first, url: /first, reconnect: false }}
"""


def first_connection(cmd, listener, deadline=30.0):
    """Seconds from spawning `cmd` to the first connection it makes to `listener`."""
    import socket

    listener.settimeout(deadline)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn, _ = listener.accept()
        took = time.monotonic() - started
        conn.close()
    except socket.timeout:
        took = None
    finally:
        stop(proc, grace=5)
    return took


def part_startup(ctx):
    import socket

    rounds = 15
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    plan = ctx.out / "startup.yaml"
    plan.write_text(STARTUP_PLAN.format(port=port))
    ours_cmd = [str(ctx.sseload), "run", str(plan), "--quiet"]
    curl_cmd = ["curl", "-s", "-m", "5", f"http://127.0.0.1:{port}/first"]
    locust_cmd = [
        str(ctx.venv / "bin" / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
        "-u", "1", "-r", "1", "-t", "5s", "--host", f"http://127.0.0.1:{port}", "--only-summary",
    ]
    log(f"startup: {rounds} rounds of sseload run and curl, 3 of locust")
    ours, floor, theirs = [], [], []
    for _ in range(rounds):
        ours.append(first_connection(ours_cmd, listener))
        floor.append(first_connection(curl_cmd, listener))
    for _ in range(3):
        theirs.append(first_connection(locust_cmd, listener))
    listener.close()
    ms = lambda xs: 1000 * median([x for x in xs if x is not None])
    cmd = "scripts/bench.sh startup"
    ctx.notes.append(
        f"startup: sseload run rounds (ms) {sorted(round(1000 * x, 1) for x in ours if x)}; "
        f"curl median {ms(floor):.1f} ms"
    )
    return [
        Row("startup", "`sseload run` start to first connection accepted, ms (median of 15)", fmt(ms(ours)),
            "< 50", f"curl {fmt(ms(floor))}; locust {fmt(ms(theirs), 0)}",
            f"{ms(theirs) / ms(ours):.0f}× faster than locust", cmd),
    ]


# ---------------------------------------------------------------- f. parser


def part_parser(ctx):
    log("parser: cargo bench -p sseload-proto --bench parse (about 80 s after the build)")
    cmd = ["cargo", "bench", "-p", "sseload-proto", "--bench", "parse"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    (ctx.out / "parser.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"cargo bench failed; see {ctx.out / 'parser.log'}")
    rows = []
    table = [line for line in done.stdout.splitlines() if re.match(r"^\| (json-100B|multi-line|tiny|64KiB) \|", line)]
    for line in table[:4]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        corpus, ours, sse_stream, es, r1, r2 = cells[:6]
        rows.append(Row("parser", f"{corpus}: MB/s (interleaved median)", ours, "keep the lead",
                        f"sse-stream {sse_stream}; eventsource-stream {es}", f"{r1}× / {r2}×",
                        "cargo bench -p sseload-proto --bench parse"))
    if not rows:
        raise RuntimeError("no comparison table in the parser bench output")
    return rows


# ---------------------------------------------------------------- the table


PARTS = {
    "scale": part_scale,
    "throughput": part_throughput,
    "profile": part_profile,
    "locust": part_locust,
    "server": part_server,
    "startup": part_startup,
    "parser": part_parser,
}


def table(rows, notes, started):
    head = "| part | figure | sseload | target | peer | ratio | command |\n|---|---|---:|---|---|---|---|"
    lines = [
        f"# sseload bench suite, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}",
        "",
        f"Machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}; "
        f"git {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}.",
        "",
        head,
    ]
    lines += ["| " + " | ".join(str(c) for c in r.cells) + " |" for r in rows]
    lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=list(PARTS))
    ap.add_argument("--sseload", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--floor", required=True, help="the read_floor example binary")
    ap.add_argument("--out", default=str(ROOT / "target" / "bench"))
    args = ap.parse_args()
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {unknown}; parts are {list(PARTS)}")
    ctx = argparse.Namespace(sseload=Path(args.sseload), floor=Path(args.floor), venv=Path(args.venv), out=Path(args.out), notes=[], data={})
    ctx.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    rows = []
    failed = []
    for part in args.parts:
        try:
            rows += PARTS[part](ctx)
        except Exception as err:  # one broken part must not hide the others
            failed.append(part)
            ctx.notes.append(f"{part}: FAILED: {err}")
            log(f"{part} failed: {err}")
        (ctx.out / "results.md").write_text(table(rows, ctx.notes, started))
    text = table(rows, ctx.notes, started)
    (ctx.out / "results.md").write_text(text)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
