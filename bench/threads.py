#!/usr/bin/env python3
"""bench/threads.py - issue 25's scaling benchmark: ringfetch -t 1 vs -t 2
(and -t auto) on this machine, where the server shares the two cores with
the client (nginx 1 worker, sendfile, not pinned; the client not pinned
either; data and output in tmpfs).

  T1: 4 x 256 MiB over HTTP, each verified with checksum=sha-256 (list
      lines), -j 4: client-bound (nginx sends with sendfile, the client
      receives, writes and hashes), so a second ring on the second core
      should show.
  W1: 20 000 x 16 KiB over HTTP, -j 64, one origin: server-bound here (one
      nginx worker); -t 2 must be no slower.  A --json run says how the
      files spread over the threads.
  A1: 1 000 x 256 KiB of text (base64) into one gzip WARC file, -j 32:
      client-bound (every record compressed on the client): one set of
      files shared by the threads, each compressing on its own.

  ./bench/run-threads [--runs 5] [--big-mib 256] [--small 20000] [--warc 1000] [--write]

Medians of interleaved runs; every output is checked (file count, bytes).
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

BEGIN, END = "<!-- threads: written by bench/run-threads --write -->", "<!-- /threads -->"


class Origin:
    def __init__(self, base):
        self.www = os.path.join(base, "www")
        import socket
        with socket.socket() as s:  # a free port
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        conf = os.path.join(base, "nginx-threads.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon on; user root; worker_processes 1;
error_log {base}/error.log; pid {base}/nginx.pid; worker_rlimit_nofile 20000;
events {{ worker_connections 10000; }}
http {{ access_log off; keepalive_requests 1000000; sendfile on;
  server {{ listen 127.0.0.1:{self.port} backlog=8192; root {self.www}; }} }}
""")
        subprocess.run(["nginx", "-c", conf, "-p", base], check=True)
        self.pidfile = os.path.join(base, "nginx.pid")
        self.url = f"http://127.0.0.1:{self.port}"
        time.sleep(0.3)

    def stop(self):
        if os.path.exists(self.pidfile):
            subprocess.run(["kill", open(self.pidfile).read().strip()])


def warc_records(out):
    """Response records in the WARC file(s) of out (the bodies are base64:
    no record head can be mistaken for one)."""
    n = 0
    for name in os.listdir(out):
        p = subprocess.run(f"zcat '{os.path.join(out, name)}' | grep -a -c '^WARC-Type: response'", shell=True,
                           stdout=subprocess.PIPE, check=True)
        n += int(p.stdout)
    return n


def spread(lst, j, threads, out, more=()):
    """How many files each thread carried in one --json run."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    p = subprocess.run([bench.RINGFETCH, "-q", "-j", str(j), "-t", str(threads), "-P", out, "-i", lst,
                        "--json", "-"] + list(more), stdout=subprocess.PIPE, check=True)
    counts = {}
    for line in p.stdout.decode().splitlines():
        r = json.loads(line)
        if r["type"] == "result":
            counts[r["thread"]] = counts.get(r["thread"], 0) + 1
    return " / ".join(str(counts.get(t, 0)) for t in range(threads))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--warc", type=int, default=1000, help="A1's number of 256 KiB bodies")
    ap.add_argument("--write", action="store_true", help="write the tables into bench/RESULTS.md")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="rf-bench-threads-", dir="/dev/shm")
    origin = None
    report = []
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        blob = os.urandom(16384)
        for i in range(args.small):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
        os.makedirs(os.path.join(www, "t"))
        for i in range(args.warc):
            with open(os.path.join(www, "t", f"p{i}.txt"), "wb") as f:
                f.write(base64.b64encode(os.urandom(196608)))  # 256 KiB, compresses to about 3/4
        digests = []
        for i in range(4):
            h = hashlib.sha256()
            with open(os.path.join(www, f"big{i}.bin"), "wb") as f:
                for _ in range(args.big_mib):
                    chunk = os.urandom(1 << 20)
                    h.update(chunk)
                    f.write(chunk)
            digests.append(h.hexdigest())
        origin = Origin(base)
        out = os.path.join(base, "out")
        big_list = os.path.join(base, "big.txt")
        with open(big_list, "w") as f:
            f.write("".join(f"{origin.url}/big{i}.bin\n  checksum=sha-256={d}\n" for i, d in enumerate(digests)))
        small_list = os.path.join(base, "small.txt")
        with open(small_list, "w") as f:
            f.write("".join(f"{origin.url}/s/f{i}\n" for i in range(args.small)))
        warc_list = os.path.join(base, "warc.txt")
        with open(warc_list, "w") as f:
            f.write("".join(f"{origin.url}/t/p{i}.txt\n" for i in range(args.warc)))
        warc_args = ["--warc-file", "a1", "--warc-max-size", "100G"]
        ncpu = len(os.sched_getaffinity(0))
        report.append(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ")
        report.append(f"{ncpu} CPUs shared by nginx 1.22 (1 worker, sendfile) and the client (neither "
                      "pinned), tmpfs  ")
        report.append(f"Command: `./bench/run-threads {' '.join(sys.argv[1:])}` (medians of {args.runs} "
                      "interleaved runs)\n")
        print("\n".join(report), flush=True)
        for name, lst, j, expect, more in (
                (f"T1: 4 x {args.big_mib} MiB over HTTP, checksum=sha-256 each, -j 4", big_list, 4,
                 (4, 4 * args.big_mib << 20), []),
                (f"W1: {args.small} x 16 KiB over HTTP, -j 64, one origin", small_list, 64,
                 (args.small, args.small * 16384), []),
                (f"A1: {args.warc} x 256 KiB of text into one gzip WARC file, -j 32", warc_list, 32,
                 (1, None), warc_args)):
            variants = {"-t 1": ["-t", "1"], "-t 2": ["-t", "2"], "-t auto": ["-t", "auto"]}
            res = {v: [] for v in variants}
            for _ in range(args.runs):
                for v, extra in variants.items():
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    res[v].append(bench.measure([bench.RINGFETCH, "-q", "-j", str(j), "-P", out, "-i", lst] +
                                                more + extra, out, cpu=None))
                    got = bench.tree_stats(out)
                    if got != expect and not (expect[1] is None and got[0] == expect[0]):
                        raise RuntimeError(f"{v}: got {got}, want {expect}")
                    if more and warc_records(out) != args.warc:
                        raise RuntimeError(f"{v}: the WARC file does not hold {args.warc} responses")
            one = statistics.median(r[0] for r in res["-t 1"])
            size = expect[1] if expect[1] is not None else args.warc * 262144  # A1: the bodies
            shown = len(report)
            report.append(f"\n### {name}\n")
            report.append("| threads | wall s | CPU s | peak RSS MiB | files/s | MB/s | speed-up vs -t 1 |")
            report.append("| --- | --- | --- | --- | --- | --- | --- |")
            for v, runs in res.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                rss = statistics.median(r[2] for r in runs)
                files = expect[0] if not more else args.warc
                report.append(f"| {v} | {wall:.3f} | {cpu:.3f} | {rss:.1f} | {files / wall:.0f} | "
                              f"{size / wall / 1e6:.0f} | {one / wall:.2f} |")
            report.append(f"\nFiles per thread with -t 2 (one --json run): {spread(lst, j, 2, out, more)}")
            print("\n".join(report[shown:]), flush=True)
    finally:
        if origin:
            origin.stop()
        shutil.rmtree(base, ignore_errors=True)
    if args.write:
        bench.write_section(BEGIN, END,
                            BEGIN + "\n## Threads (issue 25)\n\n" + "\n".join(report) + "\n" + END + "\n")


if __name__ == "__main__":
    main()
