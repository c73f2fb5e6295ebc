#!/usr/bin/env python3
"""bench/load.py - `ringfetch bench` next to the load generators a user would
pick instead: wrk, h2load, hey, ab (Debian packages), and a floor: the least
an io_uring loop can do per request (bench/peers/loadfloor.c).

Called by bench/run-load (which installs and builds everything).  nginx runs
one worker pinned to CPU 1; every client runs pinned to CPU 0, one thread,
the same connections, interleaved, RUNS times; medians.  Per tool and
workload: requests/s (the tool's own count over its own time), client CPU
(user+sys, GNU time) per request, and each against wrk's.

Workloads:
  L1  1 KiB over HTTP, 64 connections, keep-alive
  L2  16 KiB over HTTPS, 64 connections, keep-alive
  L3  1 KiB over HTTP, a new connection per request (connections/s)
  L4  1 KiB over HTTPS, a new connection per request (handshakes/s)
  L5  latency at a load the server carries (8 connections): p50/p90/p99 next
      to wrk's, which measures the same thing there
  L6  a server that freezes for 2 s in a 10 s run: the latency spectrum of
      ringfetch (open model, --rate), ringfetch (closed) and wrk, plotted
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import run as bench  # bench/run.py: Origin, bar_chart, pinned

ROOT = bench.ROOT
RINGFETCH = bench.RINGFETCH
FLOOR = os.path.join(ROOT, "build", "bench", "loadfloor")
BENCHSERVER = os.path.join(ROOT, "tests", "servers", "benchserver.py")
WRK_SPECTRUM = os.path.join(ROOT, "bench", "peers", "wrk-spectrum.lua")


def timed(cmd, timeout=120):
    """(stdout text, user+sys seconds) of cmd pinned to CPU 0."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
    p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%U %S"] + bench.pinned(0, cmd),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr[-600:]} {p.stdout[-600:]}")
    u, s = tf.read().split()[-2:]
    return p.stdout + p.stderr, float(u) + float(s)


def parse(tool, out):
    """(requests, seconds) from a tool's report."""
    if tool == "ringfetch":
        m = re.search(r"requests\s+(\d+) in ([\d.]+) s", out)
        return int(m.group(1)), float(m.group(2))
    if tool == "wrk":
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
        secs = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
        return int(m.group(1)), secs
    if tool == "h2load":
        n = re.search(r"requests: \d+ total, \d+ started, (\d+) done", out)
        t = re.search(r"finished in ([\d.]+)(m?s)", out)
        return int(n.group(1)), float(t.group(1)) / (1000 if t.group(2) == "ms" else 1)
    if tool == "hey":
        n = sum(int(x) for x in re.findall(r"\[\d+\]\s+(\d+) responses", out))
        t = re.search(r"Total:\s+([\d.]+) secs", out)
        return n, float(t.group(1))
    if tool == "ab":
        n = re.search(r"Complete requests:\s+(\d+)", out)
        t = re.search(r"Time taken for tests:\s+([\d.]+) seconds", out)
        return int(n.group(1)), float(t.group(1))
    if tool.startswith("floor"):
        m = re.search(r"requests (\d+) seconds ([\d.]+)", out)
        return int(m.group(1)), float(m.group(2))
    raise ValueError(tool)


def command(tool, url, conns, secs, keepalive, ca):
    host, port, path = re.match(r"https?://([^:/]+):(\d+)(/.*)", url).groups()
    https = url.startswith("https")
    if tool == "ringfetch":
        return ([RINGFETCH, "bench", "-q", "-c", str(conns), "-d", f"{secs}s"] +
                (["--no-keepalive"] if not keepalive else []) + (["--cacert", ca] if https else []) +
                [url])
    if tool == "wrk":
        return (["wrk", "-t", "1", "-c", str(conns), "-d", f"{secs}s"] +
                ([] if keepalive else ["-H", "Connection: close"]) + [url])
    if tool == "h2load":
        return None if not keepalive else ["h2load", "--h1", "-t", "1", "-c", str(conns),
                                           "-D", str(secs), url]
    if tool == "hey":
        return (["hey", "-z", f"{secs}s", "-c", str(conns), "-cpus", "1"] +
                ([] if keepalive else ["-disable-keepalive"]) + [url])
    if tool == "ab":
        return (["ab", "-q", "-c", str(conns), "-t", str(secs), "-n", "100000000"] +
                (["-k"] if keepalive else []) + [url])
    if tool.startswith("floor"):
        if https or not keepalive:
            return None
        return [FLOOR, host, port, path, str(conns), str(secs), tool.split("-")[1]]
    raise ValueError(tool)


TOOLS = ["ringfetch", "wrk", "h2load", "hey", "ab", "floor-recv", "floor-multishot"]


def throughput(args, origin_http, origin_https, ca, report, chart):
    loads = [
        ("L1", "1 KiB over HTTP, keep-alive", f"{origin_http.url}/1k", True),
        ("L2", "16 KiB over HTTPS, keep-alive", f"{origin_https.url}/16k", True),
        ("L3", "1 KiB over HTTP, a connection per request", f"{origin_http.url}/1k", False),
        ("L4", "1 KiB over HTTPS, a connection per request", f"{origin_https.url}/1k", False),
    ]
    for key, what, url, keepalive in loads:
        if args.only and key not in args.only:
            continue
        results = {t: [] for t in TOOLS}
        for r in range(args.runs):
            for tool in TOOLS:
                cmd = command(tool, url, 64, args.seconds, keepalive, ca)
                if not cmd:
                    continue
                try:
                    out, cpu = timed(cmd, timeout=args.seconds * 4 + 60)
                    n, secs = parse(tool, out)
                except Exception as e:  # a peer that cannot do it is reported, not fatal
                    print(f"  {key} {tool}: {e}", file=sys.stderr)
                    continue
                results[tool].append((n / secs, cpu / n * 1e6 if n else float("nan")))
                print(f"  {key} run {r + 1} {tool}: {n / secs:.0f} req/s, "
                      f"{cpu / max(n, 1) * 1e6:.2f} us CPU/req", file=sys.stderr)
        med = {t: (statistics.median(x for x, _ in v), statistics.median(y for _, y in v))
               for t, v in results.items() if v}
        unit = "connections/s" if not keepalive else "requests/s"
        report.append(f"### {key}: {what} (64 connections, one client thread, "
                      f"{args.seconds} s, median of {args.runs})\n")
        report.append(f"| tool | {unit} | client CPU per request | CPU vs wrk | rate vs wrk |")
        report.append("|---|---|---|---|---|")
        w = med.get("wrk")
        for t in TOOLS:
            if t not in med:
                report.append(f"| {t} | n/a | | | |")
                continue
            rate, cpu = med[t]
            report.append(f"| {t} | {rate:,.0f} | {cpu:.2f} us | "
                          f"{cpu / w[1]:.2f} | {rate / w[0]:.2f} |" if w else
                          f"| {t} | {rate:,.0f} | {cpu:.2f} us | | |")
        report.append("")
        for t in TOOLS:
            if t in med and w:
                chart.append((key, t, med[t][1] / w[1]))


def latency_agreement(args, origin_http, report):
    """L5: both tools in the closed model at 8 connections (not saturating)."""
    url = f"{origin_http.url}/1k"
    rows = {"ringfetch": [], "wrk": []}
    for _ in range(args.runs):
        out, _ = timed([RINGFETCH, "bench", "-q", "-c", "8", "-d", f"{args.seconds}s", "--json",
                        "/tmp/rf-l5.json", url])
        j = json.load(open("/tmp/rf-l5.json"))["latency_us"]["percentiles"]
        rows["ringfetch"].append([j["50"], j["90"], j["99"]])
        out, _ = timed(["wrk", "-t", "1", "-c", "8", "-d", f"{args.seconds}s", "--latency", url])
        vals = []
        for p in ("50%", "90%", "99%"):
            m = re.search(rf"^\s*{re.escape(p)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
            v = float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
            vals.append(v)
        rows["wrk"].append(vals)
    med = {t: [statistics.median(r[i] for r in v) for i in range(3)] for t, v in rows.items()}
    report.append(f"### L5: latency where both measure the same thing (1 KiB, 8 connections, "
                  f"closed model, median of {args.runs})\n")
    report.append("| tool | p50 | p90 | p99 |")
    report.append("|---|---|---|---|")
    for t in ("ringfetch", "wrk"):
        report.append(f"| {t} | " + " | ".join(f"{v:.0f} us" for v in med[t]) + " |")
    report.append("| ringfetch / wrk | " + " | ".join(
        f"{a / b:.2f}" for a, b in zip(med["ringfetch"], med["wrk"])) + " |")
    report.append("")


def freeze(args, report):
    """L6: a 2 s freeze in a 10 s run, three ways; the spectra plotted."""
    p = subprocess.Popen([sys.executable, BENCHSERVER, "0"], stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().split()[1])
    url = f"http://127.0.0.1:{port}/fast"
    d = tempfile.mkdtemp(prefix="rf-l6-")
    files = {}
    notes = []
    try:
        for name, cmd in [
            ("ringfetch --rate 1000 (open model)",
             [RINGFETCH, "bench", "-q", "-c", "16", "-d", "10s", "--rate", "1000"]),
            ("ringfetch (closed model)", [RINGFETCH, "bench", "-q", "-c", "16", "-d", "10s"]),
            ("wrk", ["wrk", "-t", "1", "-c", "16", "-d", "10s", "-s", WRK_SPECTRUM]),
        ]:
            spec = os.path.join(d, re.sub(r"\W+", "_", name) + ".txt")
            t = threading.Timer(4.0, lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{port}/control/freeze?ms=2000", timeout=10).read())
            t.start()
            if cmd[0] == "wrk":
                env = dict(os.environ, WRK_SPECTRUM_OUT=spec)
                out = subprocess.run(bench.pinned(0, cmd + [url]), env=env, check=True,
                                     stdout=subprocess.PIPE, text=True).stdout
                m = re.search(r"timeout (\d+)", out)
                notes.append(f"wrk counted {m.group(1) if m else 0} requests as timeouts "
                             "(its default --timeout is 2 s) and left them out of its latency.")
            else:
                subprocess.run(bench.pinned(0, cmd + ["--percentiles", spec, url]), check=True,
                               stdout=subprocess.DEVNULL)
            t.join()
            files[name] = spec
    finally:
        p.terminate()
    png = os.path.join(ROOT, "bench", "results-load-freeze.png")
    plots = ", ".join(f"\"< awk 'NF==4 && $1+0==$1' {f}\" using 4:1 with lines lw 2 title '{n}'"
                      for n, f in files.items())
    gp = f"""set terminal pngcairo size 900,480 font ",10" noenhanced
set output "{png}"
set title "Latency by percentile, a server frozen for 2 s of a 10 s run (16 connections)"
set logscale x
set xtics ("0%%" 1, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000)
set xlabel "percentile"
set ylabel "latency (ms)"
set grid
set key top left
plot {plots}
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=False)
    report.append("### L6: a server frozen for 2 s of a 10 s run (benchserver, 16 connections)\n")
    report.append("| tool | p50 | p90 | p99 | p99.9 | max |")
    report.append("|---|---|---|---|---|---|")
    for name, f in files.items():
        rows = [l.split() for l in open(f) if re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+", l)]
        def at(q):
            for r in rows:
                if float(r[1]) >= q:
                    return float(r[0])
            return float(rows[-1][0])
        report.append(f"| {name} | " + " | ".join(
            f"{at(q):.2f} ms" for q in (0.5, 0.9, 0.99, 0.999)) + f" | {float(rows[-1][0]):.0f} ms |")
    report.append("\n" + " ".join(notes))
    report.append("\n![latency spectrum, frozen server](results-load-freeze.png)\n")


BEGIN = "<!-- load: written by bench/run-load --write; kept by bench/run -->"
END = "<!-- /load -->"


def write_results(report, chart):
    png = os.path.join(ROOT, "bench", "results-load.png")
    data = os.path.join(ROOT, "bench", "results-load.dat")
    rows = [(w, {t: r for ww, t, r in chart if ww == w}) for w in sorted({w for w, _, _ in chart})]
    bench.bar_chart(rows, TOOLS, data, png,
                    "Client CPU per request relative to wrk (lower is better; wrk = 1)",
                    "CPU per request / wrk", size="1000,440")
    bench.write_section(BEGIN, END, BEGIN + "\n## Load generation: `ringfetch bench` "
                        "(`./bench/run-load`)\n\n" + "\n".join(report) +
                        "\n![CPU per request vs wrk](results-load.png)\n" + END + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="workloads to run (L1 ... L6)")
    ap.add_argument("--write", action="store_true", help="write bench/RESULTS.md's load section")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="rf-load-")
    www = os.path.join(base, "www")
    os.makedirs(www)
    for name, size in (("1k", 1024), ("16k", 16384)):
        with open(os.path.join(www, name), "wb") as f:
            f.write(os.urandom(size))
    http = bench.Origin(base, False)
    https = bench.Origin(base, True)
    ca = https.tls_args["ringfetch"][1]
    report = [f"Machine: {os.cpu_count()} CPUs, `{os.uname().release}`; clients on CPU 0, nginx "
              f"(one worker) on CPU 1.  Reproduce: `./bench/run-load --runs {args.runs} "
              f"--seconds {args.seconds}`.\n"]
    chart = []
    try:
        throughput(args, http, https, ca, report, chart)
        if not args.only or "L5" in args.only:
            latency_agreement(args, http, report)
        if not args.only or "L6" in args.only:
            freeze(args, report)
    finally:
        http.stop()
        https.stop()
    print("\n".join(report))
    if args.write:
        write_results(report, chart)


if __name__ == "__main__":
    main()
