"""Shared pieces of the bench suite: process sampling, servers, runs, tables.

CPU comes from /proc/<pid>/stat (utime + stime of the whole process, every
thread), memory from /proc/<pid>/status (VmRSS) or /proc/<pid>/smaps_rollup
(Pss, for servers made of several processes). Everything listens on 127.0.0.1.
"""

import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_split(pid):
    """(user, system) CPU time of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads), in seconds."""
    return sum(cpu_split(pid))


def rss_kib(pid):
    """Resident set size of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    """Proportional set size (shared pages split among their users), in KiB."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def children(pid):
    """Direct children of a process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


class Group:
    """One measured process, or a master and its workers (nginx)."""

    def __init__(self, pid, with_children=False):
        self.pid = pid
        self.with_children = with_children

    def pids(self):
        return [self.pid] + (children(self.pid) if self.with_children else [])

    def cpu(self):
        return sum(cpu_seconds(p) for p in self.pids())

    def cpu_split(self):
        """(user, system) seconds over the group."""
        splits = [cpu_split(p) for p in self.pids()]
        return sum(u for u, _ in splits), sum(s for _, s in splits)

    def rss(self):
        return sum(rss_kib(p) for p in self.pids())

    def pss(self):
        return sum(pss_kib(p) for p in self.pids())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=20.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {deadline} s")


def stop(proc, grace=10.0):
    """SIGTERM a process we started, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


class Serve:
    """`sseload serve` on a free loopback port, in its own process."""

    def __init__(self, sseload, *args, logfile):
        self.port = free_port()
        self.cmd = [str(sseload), "serve", "--bind", f"127.0.0.1:{self.port}", *args]
        self.out = open(logfile, "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.out, stderr=subprocess.STDOUT)
        wait_port(self.port)
        self.group = Group(self.proc.pid)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def metric(self, name):
        """A counter from the server's /metrics (summed over labels)."""
        import urllib.request

        text = urllib.request.urlopen(self.base + "/metrics", timeout=10).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def close(self):
        stop(self.proc)
        self.out.close()


def scenario(template, base, out_dir, name=None):
    """The committed scenario with its target pointed at `base`."""
    text = Path(template).read_text()
    text, n = re.subn(r'base_url: "http://127\.0\.0\.1:8080"', f'base_url: "{base}"', text)
    if n != 1:
        raise RuntimeError(f"{template}: expected one base_url line to point at the server")
    path = Path(out_dir) / (name or Path(template).name)
    path.write_text(text)
    return path


def sample_until(proc, marks, groups, on_sample=None, period=0.25):
    """Samples CPU and memory of `groups` at the given offsets (seconds after
    `start`), while `proc` runs. Returns {mark: {group: (cpu, rss)}}."""
    start = time.monotonic()
    taken = {}
    pending = sorted(marks)
    while pending:
        now = time.monotonic() - start
        if now >= pending[0]:
            mark = pending.pop(0)
            taken[mark] = {k: (g.cpu(), g.rss(), time.monotonic() - start) for k, g in groups.items()}
            if on_sample:
                on_sample(mark, taken[mark])
            continue
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} ended (exit {proc.returncode}) before {pending[0]} s")
        time.sleep(min(period, pending[0] - now))
    return taken


def results(path):
    return json.loads(Path(path).read_text())


def series_events(report, first, last):
    """Events the run counted from second `first` (inclusive) to `last` (exclusive)."""
    return sum(s["events"] for s in report["series"] if first < s["second"] <= last)


def stat_of(report, name, metric, field):
    for s in report["stats"]:
        if s["scope"] == "name" and s["name"] == name and metric in s["metrics"]:
            return s["metrics"][metric][field]
    return None


def counts_of(report, name):
    for s in report["stats"]:
        if s["scope"] == "name" and s["name"] == name:
            return s["counts"]
    raise KeyError(name)


def outcome_of(report, name):
    for s in report["stats"]:
        if s["scope"] == "name" and s["name"] == name:
            return s["counts"]["ok"], s["counts"]["ko"]
    raise KeyError(name)


def median(values):
    return statistics.median(values)


def cmdline(args):
    return " ".join(shlex.quote(str(a)) for a in args)


def fmt(value, digits=1):
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"
