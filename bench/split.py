#!/usr/bin/env python3
"""bench/split.py - one large file over a link that caps each connection.

A 256 MiB file in tmpfs, served by nginx with every response capped at
20 MB/s (limit_rate: what a per-connection traffic shaper or a far-away
server does to one TCP connection), fetched by:

  ringfetch --split 8   eight connections, segments halved as they finish
  ringfetch             one connection
  aria2c -x 8 -s 8      aria2's reason to exist
  curl                  one connection, the usual tool

interleaved, RUNS times each; medians of wall time and client CPU, the ratio
to ringfetch --split 8, and every output checked by size and SHA-256.
Called by bench/run-split (which installs and builds what it needs).
"""
import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (measure, write_section, RINGFETCH)
from harness import sha256_file  # noqa: E402  (tests/integration, on run's path)

SIZE = 256 << 20
CAP = 20_000_000  # bytes/s per connection


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="write the table into bench/RESULTS.md")
    ap.add_argument("--tools", default="split8,ringfetch,aria2,curl")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="rf-split-", dir="/dev/shm")
    try:
        www = os.path.join(base, "www")
        os.makedirs(www)
        data = os.urandom(SIZE)
        with open(os.path.join(www, "big.bin"), "wb") as f:
            f.write(data)
        want = hashlib.sha256(data).hexdigest()
        del data
        port = 20000 + os.getpid() % 20000
        conf = os.path.join(base, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon on; user root; worker_processes 1; worker_cpu_affinity 10;
error_log {base}/error.log; pid {base}/nginx.pid;
events {{ worker_connections 1000; }}
http {{ access_log off; sendfile on;
  server {{ listen 127.0.0.1:{port}; root {www}; limit_rate {CAP}; }} }}
""")
        subprocess.run(["nginx", "-c", conf, "-p", base], check=True)
        time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/big.bin"
        tools = {
            "split8": ("ringfetch --split 8", lambda out: [bench.RINGFETCH, "-q", "--split", "8", "-P", out, url]),
            "ringfetch": ("ringfetch (1 connection)", lambda out: [bench.RINGFETCH, "-q", "-P", out, url]),
            "aria2": ("aria2c -x 8 -s 8", lambda out: [
                "aria2c", "-q", "-x", "8", "-s", "8", "-d", out, "--file-allocation=none",
                "--allow-overwrite=true", "--auto-file-renaming=false", "--summary-interval=0",
                "--console-log-level=error", url]),
            "curl": ("curl (1 connection)", lambda out: ["curl", "-s", "-o", os.path.join(out, "big.bin"), url]),
        }
        chosen = [t for t in args.tools.split(",") if t in tools]
        results = {t: [] for t in chosen}
        for r in range(args.runs):
            for t in chosen:
                out = os.path.join(base, f"out-{t}")
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                wall, cpu, rss = bench.measure(tools[t][1](out), out)
                got = os.path.join(out, "big.bin")
                if os.path.getsize(got) != SIZE or sha256_file(got) != want:
                    raise RuntimeError(f"{t}: wrong output")
                results[t].append((wall, cpu, rss))
                print(f"run {r + 1} {t}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
                shutil.rmtree(out)
        subprocess.run(["kill", open(os.path.join(base, "nginx.pid")).read().strip()])
    finally:
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
    ref = statistics.median(w for w, _, _ in results[chosen[0]])
    lines = ["<!-- split: written by bench/run-split --write; kept by bench/run -->",
             "## One large file over capped connections (`./bench/run-split`)", "",
             f"256 MiB from nginx on loopback, every response capped at 20 MB/s (`limit_rate {CAP}`), "
             f"output to tmpfs; median of {args.runs} interleaved runs; every output checked by SHA-256. "
             f"Reproduce: `./bench/run-split --runs {args.runs}`.", "",
             f"| tool | wall (s) | client CPU (s) | peak RSS (MiB) | wall / {tools[chosen[0]][0]} |",
             "| --- | --- | --- | --- | --- |"]
    for t in chosen:
        w = statistics.median(x[0] for x in results[t])
        c = statistics.median(x[1] for x in results[t])
        m = statistics.median(x[2] for x in results[t])
        lines.append(f"| {tools[t][0]} | {w:.2f} | {c:.2f} | {m:.1f} | {w / ref:.2f} |")
    lines.append("<!-- /split -->")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        bench.write_section(lines[0], lines[-1], section)


if __name__ == "__main__":
    main()
