#!/usr/bin/env python3
"""bench/http2.py - issue 24's fetch benchmark: N x 16 KiB from one nginx
origin over HTTPS with HTTP/2 on (nginx 1 worker on CPU 1, clients on
CPU 0, data and output in tmpfs), ringfetch over HTTP/2 next to its own
HTTP/1.1 (64 connections, and 1 connection: the same connection count as
its h2 run) and the peers speaking HTTP/2: curl --http2 -Z, wget2 (HTTP/2
by default), and the Go peer with ForceAttemptHTTP2.  Also the 4 x 256 MiB
case (big bodies, 4 streams on one connection vs 4 connections).  And the
load generator: `ringfetch bench -c 4 -m 64` next to `h2load -c 4 -m 64`
on 1 KiB over h2c and over TLS (client CPU per request, requests/s).

  ./bench/run-http2 [--runs 3] [--small 20000] [--big-mib 256] [--write]

Medians of interleaved runs; every output is checked (file count and
bytes); nginx's access log is off, the protocol each tool spoke is checked
once per tool beforehand on a small list (a log that says HTTP/2.0).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

BEGIN, END = "<!-- http2: written by bench/run-http2 --write -->", "<!-- /http2 -->"


class Origin:
    """nginx over HTTPS with http2 on (and a second server block, logging,
    for the protocol check)."""

    def __init__(self, base):
        from pki import make_pki
        pki = make_pki(base)
        self.ca = pki["ca"]
        self.www = os.path.join(base, "www")
        self.port = 20000 + os.getpid() % 20000
        self.logport = self.port + 1
        self.log = os.path.join(base, "proto.log")
        conf = os.path.join(base, "nginx-h2.conf")
        tls = (f" ssl http2; ssl_certificate {pki['server']}; ssl_certificate_key {pki['key']};"
               " ssl_session_cache shared:b:1m")
        with open(conf, "w") as f:
            f.write(f"""daemon on; user root; worker_processes 1; worker_cpu_affinity 10;
error_log {base}/error-h2.log; pid {base}/nginx-h2.pid;
worker_rlimit_nofile 20000;
events {{ worker_connections 10000; }}
http {{ access_log off; keepalive_requests 1000000; sendfile on;
  http2_max_concurrent_streams 128;
  log_format p '$server_protocol $connection';
  server {{ listen 127.0.0.1:{self.port} backlog=8192{tls}; root {self.www}; }}
  server {{ listen 127.0.0.1:{self.port + 2} backlog=8192 http2; root {self.www}; }}
  server {{ listen 127.0.0.1:{self.logport}{tls}; root {self.www}; access_log {self.log} p; }} }}
""")
        subprocess.run(["nginx", "-c", conf, "-p", base], check=True)
        self.pidfile = os.path.join(base, "nginx-h2.pid")
        self.url = f"https://127.0.0.1:{self.port}"
        self.h2c_url = f"http://127.0.0.1:{self.port + 2}"
        time.sleep(0.3)

    def stop(self):
        if os.path.exists(self.pidfile):
            subprocess.run(["kill", open(self.pidfile).read().strip()])


def commands(lists, out, j, ca):
    rf = [bench.RINGFETCH, "-q", "-j", str(j), "-P", out, "--cacert", ca, "-i", lists["plain"]]
    return {
        "ringfetch h2": rf,
        "ringfetch h1.1": rf + ["--http1.1"],
        "ringfetch h1.1, 1 conn": rf + ["--http1.1", "--max-per-host", "1"],
        "curl --http2 -Z": ["curl", "-s", "--http2", "--parallel", "--parallel-max", str(j), "--cacert", ca,
                            "-K", lists["curl"]],
        "wget2": ["wget2", "-q", f"--max-threads={j}", "--no-robots", "-P", out,
                  f"--ca-certificate={ca}", "-i", lists["plain"]],
        "go -http2": [bench.GOFETCH, "-j", str(j), "-o", out, "-cacert", ca, "-http2", lists["plain"]],
    }


def protocols(origin, base, out):
    """What each tool speaks to the origin: the log's protocols and the
    number of connections, from 50 files of the list."""
    urls = [f"https://127.0.0.1:{origin.logport}/s/f{i}" for i in range(50)]
    lists = bench.write_lists(base, "proto", urls)
    seen = {}
    for tool, cmd in commands(lists, out, 16, origin.ca).items():
        open(origin.log, "w").close()
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        subprocess.run(cmd, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        time.sleep(0.2)
        lines = [l.split() for l in open(origin.log)]
        seen[tool] = (sorted({p for p, _ in lines}), len({c for _, c in lines}))
    return seen


def load_table(args, origin, report):
    """ringfetch bench -c 4 -m 64 next to h2load -c 4 -m 64 (1 KiB)."""
    import load  # bench/load.py: timed (pinned to CPU 0, GNU time), parse
    rows = {}
    for _ in range(args.runs):
        for name, url in (("h2c", f"{origin.h2c_url}/1k"), ("h2 over TLS", f"{origin.url}/1k")):
            for tool, cmd in (
                    ("ringfetch bench", [bench.RINGFETCH, "bench", "-q", "-c", "4", "-m", "64", "-d",
                                         f"{args.seconds}s", "--cacert", origin.ca, url]),
                    ("h2load", ["h2load", "-t", "1", "-c", "4", "-m", "64", "-D", str(args.seconds), url])):
                out, cpu = load.timed(cmd, timeout=args.seconds * 4 + 60)
                n, secs = load.parse("ringfetch" if tool.startswith("ringfetch") else tool, out)
                rows.setdefault((name, tool), []).append((n / secs, cpu / n * 1e6))
    report.append(f"\n### H3: the load generator, 1 KiB over HTTP/2, -c 4 -m 64, one client thread, "
                  f"{args.seconds} s\n")
    report.append("| workload | tool | requests/s | client CPU per request | CPU vs h2load | rate vs h2load |")
    report.append("| --- | --- | --- | --- | --- | --- |")
    for name in ("h2c", "h2 over TLS"):
        h = rows[(name, "h2load")]
        h_rate = statistics.median(r for r, _ in h)
        h_cpu = statistics.median(c for _, c in h)
        for tool in ("ringfetch bench", "h2load"):
            v = rows[(name, tool)]
            rate = statistics.median(r for r, _ in v)
            cpu = statistics.median(c for _, c in v)
            report.append(f"| {name} | {tool} | {rate:,.0f} | {cpu:.2f} us | {cpu / h_cpu:.2f} | "
                          f"{rate / h_rate:.2f} |")
    print("\n".join(report[-7:]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--seconds", type=int, default=5, help="each load-generator run")
    ap.add_argument("--write", action="store_true", help="write the tables into bench/RESULTS.md")
    args = ap.parse_args()
    base = tempfile.mkdtemp(prefix="rf-bench-h2-", dir="/dev/shm")
    origin = None
    report = []
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        with open(os.path.join(www, "1k"), "wb") as f:
            f.write(os.urandom(1024))
        blob = os.urandom(16384)
        for i in range(args.small):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
        chunk = os.urandom(1 << 20)
        for i in range(4):
            with open(os.path.join(www, f"big{i}.bin"), "wb") as f:
                for _ in range(args.big_mib):
                    f.write(chunk)
        origin = Origin(base)
        out = os.path.join(base, "out")
        seen = protocols(origin, base, out)
        report.append(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ")
        report.append("nginx 1.22 (http2 on, 1 worker on CPU 1), clients on CPU 0, tmpfs  ")
        report.append(f"Command: `./bench/run-http2 {' '.join(sys.argv[1:])}` (medians of {args.runs} "
                      "interleaved runs)  ")
        report.append("Protocol and connections each tool used (50 files, -j 16, nginx's log): " +
                      "; ".join(f"{t}: {'/'.join(p)} on {n}" for t, (p, n) in seen.items()) + "\n")
        print("\n".join(report), flush=True)
        for name, urls, j, expect in (
                (f"H1: {args.small} x 16 KiB over HTTPS, -j 64",
                 [f"{origin.url}/s/f{i}" for i in range(args.small)], 64, (args.small, args.small * 16384)),
                (f"H2: 4 x {args.big_mib} MiB over HTTPS, 4 at once",
                 [f"{origin.url}/big{i}.bin" for i in range(4)], 4, (4, 4 * args.big_mib << 20))):
            lists = bench.write_lists(base, "w", urls)
            cmds = commands(lists, out, j, origin.ca)
            res = {t: [] for t in cmds}
            for _ in range(args.runs):
                for tool, cmd in cmds.items():
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    res[tool].append(bench.measure(cmd, out))
                    got = bench.tree_stats(out)
                    if got != expect:
                        raise RuntimeError(f"{tool}: got {got}, want {expect}")
            rf = statistics.median(r[0] for r in res["ringfetch h2"])
            rf_cpu = statistics.median(r[1] for r in res["ringfetch h2"])
            peers = [t for t in cmds if not t.startswith("ringfetch")]
            fastest = min(statistics.median(r[0] for r in res[t]) for t in peers)
            report.append(f"\n### {name}\n")
            report.append("| tool | wall s | CPU s | peak RSS MiB | files/s | wall / ringfetch h2 | "
                          "CPU / ringfetch h2 |")
            report.append("| --- | --- | --- | --- | --- | --- | --- |")
            for tool, runs in res.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                rss = statistics.median(r[2] for r in runs)
                report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {rss:.1f} | {expect[0] / wall:.0f} | "
                              f"{wall / rf:.2f} | {cpu / rf_cpu:.2f} |")
            report.append(f"\nringfetch h2 / fastest peer: {rf / fastest:.2f}; ringfetch h2 / its "
                          f"HTTP/1.1 on 1 connection: "
                          f"{rf / statistics.median(r[0] for r in res['ringfetch h1.1, 1 conn']):.2f}; "
                          f"/ its HTTP/1.1 on {j} connections: "
                          f"{rf / statistics.median(r[0] for r in res['ringfetch h1.1']):.2f}")
            print("\n".join(report[-len(res) - 5:]), flush=True)
        load_table(args, origin, report)
    finally:
        if origin:
            origin.stop()
        shutil.rmtree(base, ignore_errors=True)
    if args.write:
        path = os.path.join(bench.ROOT, "bench", "RESULTS.md")
        text = open(path).read()
        block = BEGIN + "\n## HTTP/2 fetch (issue 24)\n\n" + "\n".join(report) + "\n" + END
        if BEGIN in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
