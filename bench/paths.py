#!/usr/bin/env python3
"""bench/paths.py - one workload through every kernel I/O path ringfetch has,
side by side (the job fio's ioengines do for storage).

Called by bench/paths (which installs and builds what it needs).  nginx runs
one worker pinned to CPU 1, ringfetch on CPU 0; every path is run RUNS times,
interleaved, on each filesystem; medians.  Each run reports itself through
`--io-report=json` (the loop's syscalls by kind, SQEs/CQEs, CPU of every
thread including io-wq workers, context switches, peak RSS), and the files
fetched are counted and sized.

Workloads:
  P1  5 000 x 16 KiB over HTTP, -j 64          (per filesystem)
  P2  2 x 256 MiB over HTTP, -j 2              (per filesystem)
  P3  2 000 x 16 KiB over HTTPS, -j 64         (per filesystem)
  P4  ringfetch bench, 1 KiB, 64 connections, 4 s (no files)
  P5  4 096 x 8 KiB trickled at 4 KB/s each (nginx limit_rate), -j 4096:
      every transfer open at once; what receive memory costs (tmpfs only)
  P6  ringfetch bench, POST of a 64 KiB body answered 204, 16 connections,
      4 s: where zero-copy sends apply

Paths: io_uring with each ring setup (defer-taskrun, the default; coop-taskrun;
plain; sqpoll), io_uring submitting every SQE alone (--uring-submit-batch 1),
with the file ops on the ring (--file-io ring), with large bodies received
instead of spliced (--uring-no-splice), with multishot receives into the
receive pool and with a buffer pair per transfer instead of the pool
(--uring-recv multishot|own), without the registered file table
(--uring-fixed-files off), with ring file writes from registered
buffers (--file-io ring --uring-write-fixed on), with zero-copy request
bodies (--uring-send-zc on, bench), and epoll.

Writes bench/PATHS.md (tables and the command), bench/paths.png (CPU per
unit relative to the default path) and bench/paths.json (every run).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import fs as fsbench  # bench/fs.py: make_fs
import run as bench   # bench/run.py: Origin, bar_chart, pinned, write_lists

ROOT = bench.ROOT
RINGFETCH = bench.RINGFETCH

PATHS = [
    ("uring", ["--io", "uring"]),
    ("uring coop-taskrun", ["--io", "uring", "--uring-setup", "coop-taskrun"]),
    ("uring plain", ["--io", "uring", "--uring-setup", "plain"]),
    ("uring sqpoll", ["--io", "uring", "--uring-setup", "sqpoll"]),
    ("uring submit-batch 1", ["--io", "uring", "--uring-submit-batch", "1"]),
    ("uring file-io ring", ["--io", "uring", "--file-io", "ring"]),
    ("uring no-splice", ["--io", "uring", "--uring-no-splice"]),
    ("uring recv multishot", ["--io", "uring", "--uring-recv", "multishot"]),
    ("uring recv own", ["--io", "uring", "--uring-recv", "own"]),
    ("uring no fixed files", ["--io", "uring", "--uring-fixed-files", "off"]),
    ("uring file-io ring write-fixed", ["--io", "uring", "--file-io", "ring",
                                        "--uring-write-fixed", "on"]),
    ("uring send-zc", ["--io", "uring", "--uring-send-zc", "on"]),
    ("epoll", ["--io", "epoll"]),
]


def run_once(cmd, cwd=None):
    """ringfetch with --io-report=json: (wall s, report dict)."""
    t0 = time.perf_counter()
    p = subprocess.run(bench.pinned(0, cmd), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=900)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr[-500:]}")
    line = [l for l in p.stderr.splitlines() if l.startswith("{\"io_path\"")][-1]
    return wall, json.loads(line)


ANALYSIS_MARK = "<!-- analysis: written by hand, kept by bench/paths -->"

# P5 is about receive memory: the paths that differ there
P5_PATHS = ("uring", "uring recv multishot", "uring recv own", "epoll")


def fetch_workload(args, origin, lists, n_files, size, jobs, kind, dest_base, ca, results, key):
    extra = ["--cacert", ca] if ca else []
    for r in range(args.runs):
        for name, flags in PATHS:
            if name == "uring no-splice" and size < (1 << 20):
                continue  # only large plain bodies are spliced
            if ca and name.startswith("uring recv"):
                continue  # HTTPS keeps its own buffers
            if key == "P5" and name not in P5_PATHS:
                continue
            if name == "uring send-zc":
                continue  # request bodies: bench mode only
            if name == "uring file-io ring write-fixed" and (ca or key == "P5"):
                continue  # HTTPS writes from its own buffers
            dest = tempfile.mkdtemp(dir=dest_base)
            try:
                wall, rep = run_once([RINGFETCH, "-q", "--io-report=json", "-j", str(jobs),
                                      "-P", dest, "-i", lists] + flags + extra)
            except RuntimeError as e:
                print(f"  {key} {kind} {name}: {e}", file=sys.stderr)
                shutil.rmtree(dest, ignore_errors=True)
                continue
            got = bench.tree_stats(dest)
            shutil.rmtree(dest, ignore_errors=True)
            if got != (n_files, n_files * size):
                raise RuntimeError(f"{key} {name}: got {got}")
            rep["wall_s"] = wall
            results.setdefault((key, kind, name), []).append(rep)
            print(f"  {key} {kind} run {r + 1} {name}: {wall:.3f} s, "
                  f"{(rep['user_s'] + rep['sys_s']) / n_files * 1e6:.1f} us CPU/file, "
                  f"{rep['syscalls_total']} syscalls", file=sys.stderr)


def bench_workload(args, origin, results, key, body=None):
    """P4: GET 1 KiB, 64 connections.  P6: POST of a 64 KiB body (nginx
    answers 204), 16 connections: where SEND_ZC applies."""
    url = f"{origin.url}/1k" if not body else f"{origin.url}/sink"
    extra = ["-c", "64"] if not body else ["-c", "16", "-X", "POST", "--body-file", body]
    for r in range(args.runs):
        for name, flags in PATHS:
            if "file-io" in name or name in ("uring no-splice",) or name.startswith("uring recv"):
                continue  # no files, no splice, its own receive buffers in bench mode
            if name == "uring send-zc" and not body:
                continue
            try:
                wall, rep = run_once([RINGFETCH, "bench", "-q", "--io-report=json", "-d",
                                      f"{args.seconds}s"] + extra + flags + [url])
            except RuntimeError as e:
                print(f"  {key} {name}: {e}", file=sys.stderr)
                continue
            rep["wall_s"] = wall
            results.setdefault((key, "-", name), []).append(rep)
            print(f"  {key} run {r + 1} {name}: {rep['requests_per_s']:.0f} req/s, "
                  f"{(rep['user_s'] + rep['sys_s']) / rep['requests'] * 1e6:.2f} us CPU/req",
                  file=sys.stderr)


def units_of(rep):
    return rep.get("files") or rep.get("requests") or 1


def table(results, report, chart):
    keys = sorted({(k, f) for k, f, _ in results})
    what = {"P1": "5 000 x 16 KiB over HTTP, -j 64", "P2": "2 x 256 MiB over HTTP, -j 2",
            "P3": "2 000 x 16 KiB over HTTPS, -j 64", "P4": "bench, 1 KiB, 64 connections",
            "P5": "4 096 x 8 KiB trickled at 4 KB/s each, -j 4096 (all open at once)",
            "P6": "bench, POST of a 64 KiB body (answered 204), 16 connections"}
    for key, kind in keys:
        rows = [(n, results[(key, kind, n)]) for n, _ in PATHS if (key, kind, n) in results]
        unit = "request" if key in ("P4", "P6") else "file"
        report.append(f"### {key}: {what[key]}" + (f", output on {kind}" if kind != "-" else "") + "\n")
        size = {"P1": 16384, "P2": 256 << 20, "P3": 16384, "P4": 1024, "P5": 8192, "P6": 65536}[key]
        report.append(f"| path | wall s | {unit}s/s | MB/s | CPU us per {unit} | syscalls per {unit} | "
                      f"SQEs per enter | io-wq hand-offs per {unit} | ctx switches (vol/invol) | "
                      f"peak RSS MiB |")
        report.append("|---|---|---|---|---|---|---|---|---|---|")
        base = None
        for name, reps in rows:
            med = lambda f: statistics.median(f(r) for r in reps)
            wall = med(lambda r: r["wall_s"])
            rate = med(lambda r: r[f"{unit}s_per_s"])
            cpu = med(lambda r: (r["user_s"] + r["sys_s"]) / units_of(r) * 1e6)
            sysc = med(lambda r: r["syscalls_total"] / units_of(r))
            spe = med(lambda r: r["sqes"] / r["syscalls"]["io_uring_enter"]
                      if r["syscalls"]["io_uring_enter"] else 0)
            vol = med(lambda r: r["voluntary_switches"])
            inv = med(lambda r: r["involuntary_switches"])
            rss = med(lambda r: r["peak_rss_kib"] / 1024)
            punts = med(lambda r: r.get("iowq_punts", -1) / units_of(r))
            punts_s = f"{punts:.2f}" if punts >= 0 else "-"
            report.append(f"| {name} | {wall:.3f} | {rate:,.0f} | {rate * size / 1e6:,.0f} | "
                          f"{cpu:.2f} | {sysc:.2f} | "
                          f"{spe:.1f} | {punts_s} | {vol:.0f}/{inv:.0f} | {rss:.1f} |")
            if base is None:
                base = cpu
            chart.append((f"{key}/{kind}" if kind != "-" else key, name, cpu / base))
        report.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--fs", nargs="*", default=["tmpfs", "ext4"])
    ap.add_argument("--only", nargs="*", help="workloads (P1 ... P6)")
    ap.add_argument("--paths", nargs="*", help="only these paths (names as in the tables)")
    ap.add_argument("--write", action="store_true", help="write bench/PATHS.md, .png, .json")
    args = ap.parse_args()
    if args.paths:
        unknown = set(args.paths) - {n for n, _ in PATHS}
        if unknown:
            ap.error(f"unknown paths: {', '.join(sorted(unknown))}")
        PATHS[:] = [(n, f) for n, f in PATHS if n in args.paths]
    # io-wq hand-offs are counted from the io_uring tracepoints (--io-report)
    if not os.path.exists("/sys/kernel/tracing/events/io_uring") and os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = tempfile.mkdtemp(prefix="rf-paths-", dir="/dev/shm")
    www = os.path.join(base, "www")
    os.makedirs(www)
    small = os.urandom(16384)
    for i in range(5000):
        with open(os.path.join(www, f"s{i}"), "wb") as f:
            f.write(small)
    big = os.urandom(1 << 20) * 256
    for i in range(2):
        with open(os.path.join(www, f"b{i}"), "wb") as f:
            f.write(big)
    with open(os.path.join(www, "1k"), "wb") as f:
        f.write(os.urandom(1024))
    os.makedirs(os.path.join(www, "slow"))
    slow = os.urandom(8192)
    for i in range(4096):
        with open(os.path.join(www, "slow", f"t{i}"), "wb") as f:
            f.write(slow)
    http = bench.Origin(base, False)
    https = bench.Origin(base, True)
    ca = https.tls_args["ringfetch"][1]
    lists = {
        "P1": bench.write_lists(base, "p1", [f"{http.url}/s{i}" for i in range(5000)])["plain"],
        "P2": bench.write_lists(base, "p2", [f"{http.url}/b{i}" for i in range(2)])["plain"],
        "P3": bench.write_lists(base, "p3", [f"{https.url}/s{i}" for i in range(2000)])["plain"],
        "P5": bench.write_lists(base, "p5", [f"{http.url}/slow/t{i}" for i in range(4096)])["plain"],
    }
    want = lambda k: not args.only or k in args.only
    results = {}
    try:
        for kind in args.fs:
            made = fsbench.make_fs(kind, base)
            if not made:
                continue
            mnt, cleanup = made
            try:
                if want("P1"):
                    fetch_workload(args, http, lists["P1"], 5000, 16384, 64, kind, mnt, None,
                                   results, "P1")
                if want("P2"):
                    fetch_workload(args, http, lists["P2"], 2, 256 << 20, 2, kind, mnt, None,
                                   results, "P2")
                if want("P3"):
                    fetch_workload(args, https, lists["P3"], 2000, 16384, 64, kind, mnt, ca,
                                   results, "P3")
                if want("P5") and kind == "tmpfs":
                    fetch_workload(args, http, lists["P5"], 4096, 8192, 4096, kind, mnt, None,
                                   results, "P5")
            finally:
                cleanup()
        if want("P4"):
            bench_workload(args, http, results, "P4")
        if want("P6"):
            body = os.path.join(base, "body64k")
            with open(body, "wb") as f:
                f.write(os.urandom(65536))
            bench_workload(args, http, results, "P6", body)
    finally:
        http.stop()
        https.stop()
        shutil.rmtree(base, ignore_errors=True)
    report = [f"Machine: {os.cpu_count()} CPUs, `{os.uname().release}`; ringfetch on CPU 0, nginx "
              f"(one worker) on CPU 1; medians of {args.runs} interleaved runs.  Made with "
              f"`./bench/paths --runs {args.runs}{' --write' if args.write else ''}`.  "
              f"CPU is user+sys of every thread (io-wq workers included); syscalls are those the "
              f"loop made itself (`--io-report`).\n"]
    chart = []
    table(results, report, chart)
    print("\n".join(report))
    if args.write:
        png = os.path.join(ROOT, "bench", "paths.png")
        rows = [(w, {t: r for ww, t, r in chart if ww == w}) for w in dict.fromkeys(w for w, _, _ in chart)]
        bench.bar_chart(rows, [n for n, _ in PATHS], os.path.join(ROOT, "bench", "paths.dat"), png,
                        "CPU per file or request, relative to the default io_uring path (lower is "
                        "better)", "CPU / default", size="1100,460")
        with open(os.path.join(ROOT, "bench", "paths.json"), "w") as f:
            json.dump([{"workload": k, "fs": fs_, "path": n, "runs": v}
                       for (k, fs_, n), v in sorted(results.items())], f, indent=1)
        md = os.path.join(ROOT, "bench", "PATHS.md")
        kept = ""  # the hand-written analysis after the marker survives reruns
        if os.path.exists(md) and ANALYSIS_MARK in open(md).read():
            kept = open(md).read().split(ANALYSIS_MARK, 1)[1]
        with open(md, "w") as f:
            f.write("# Kernel I/O paths, side by side\n\n" + "\n".join(report) +
                    "\n![CPU per unit relative to the default path](paths.png)\n\n" + ANALYSIS_MARK +
                    kept)


if __name__ == "__main__":
    main()
