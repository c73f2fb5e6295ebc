#!/usr/bin/env python3
"""bench/compare.py - ringfetch next to curl --parallel on one loopback nginx.

Generates the data in tmpfs, starts nginx (one worker) on 127.0.0.1, and runs
each workload for each tool RUNS times, interleaved, writing into tmpfs.
Reports medians of wall time, client CPU (user+sys) and peak RSS, and each
tool's wall-time ratio to ringfetch.  Every run's output is checked (file
count and total bytes).

  python3 bench/compare.py [--runs 5] [--small 20000] [--big-mib 1024] [-j 64] [--https]

--https serves the same files over TLS (a test CA made with openssl; both
tools verify against it with --cacert).

This is the quick comparison of issue 2; the full suite (wget2, aria2, Go,
HTTPS, a raw recv loop) belongs to bench/run.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RINGFETCH = os.path.join(ROOT, "build", "ringfetch")


def measure(cmd, cwd=None):
    """(wall s, user+sys s, peak RSS MiB) of cmd, through GNU time: a child
    forked from this Python process would report Python's RSS as its peak."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
    p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M"] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr.decode()[-500:]}")
    wall, user, sys_, rss = tf.read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss) / 1024.0


def tree_stats(d):
    n = size = 0
    for root, _, files in os.walk(d):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(root, f))
    return n, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--small-size", type=int, default=16384)
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("-j", type=int, default=64)
    ap.add_argument("--https", action="store_true")
    args = ap.parse_args()

    base = tempfile.mkdtemp(prefix="rf-bench-", dir="/dev/shm")
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        blob = os.urandom(args.small_size)
        for i in range(args.small):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
        with open(os.path.join(www, "big.bin"), "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(args.big_mib):
                f.write(chunk)
        port = 20000 + os.getpid() % 20000
        conf = os.path.join(base, "nginx.conf")
        tls_conf, tls_args, curl_tls, scheme = "", [], [], "http"
        if args.https:
            sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
            from pki import make_pki
            pki = make_pki(base)
            tls_conf = (f" ssl; ssl_certificate {pki['server']}; ssl_certificate_key {pki['key']};"
                        " ssl_session_cache shared:b:1m")
            tls_args, curl_tls, scheme = ["--cacert", pki["ca"]], ["--cacert", pki["ca"]], "https"
        with open(conf, "w") as f:
            f.write(f"""daemon on; user root; worker_processes 1;
error_log {base}/error.log; pid {base}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000; sendfile on;
  server {{ listen 127.0.0.1:{port}{tls_conf}; root {www}; }} }}
""")
        subprocess.run(["nginx", "-c", conf, "-p", base], check=True)
        time.sleep(0.3)
        url = f"{scheme}://127.0.0.1:{port}"
        small_list = os.path.join(base, "small.txt")
        with open(small_list, "w") as f:
            for i in range(args.small):
                f.write(f"{url}/s/f{i}\n")
        curl_cfg = os.path.join(base, "small.curl")
        with open(curl_cfg, "w") as f:
            for i in range(args.small):
                f.write(f'url = "{url}/s/f{i}"\noutput = "f{i}"\n')
        big_curl = os.path.join(base, "big.curl")
        with open(big_curl, "w") as f:
            f.write(f'url = "{url}/big.bin"\noutput = "big.bin"\n')

        out = os.path.join(base, "out")
        workloads = {
            f"{args.small} x {args.small_size // 1024} KiB": {
                "ringfetch": [RINGFETCH, "-q", "-j", str(args.j), "-P", out, "-i", small_list] + tls_args,
                "curl": ["curl", "-s", "--parallel", "--parallel-max", str(args.j), "-K", curl_cfg] + curl_tls,
                "expect": (args.small, args.small * args.small_size),
            },
            f"1 x {args.big_mib} MiB": {
                "ringfetch": [RINGFETCH, "-q", "-P", out, f"{url}/big.bin"] + tls_args,
                "curl": ["curl", "-s", "-K", big_curl] + curl_tls,
                "expect": (1, args.big_mib << 20),
            },
        }
        print(f"# {time.strftime('%Y-%m-%d')} nproc={os.cpu_count()} kernel={os.uname().release}")
        print(f"# {' '.join(sys.argv)}")
        for wname, w in workloads.items():
            res = {t: [] for t in ("ringfetch", "curl")}
            for _ in range(args.runs):
                for tool in res:
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    res[tool].append(measure(w[tool], cwd=out))
                    got = tree_stats(out)
                    if got != w["expect"]:
                        raise RuntimeError(f"{tool} {wname}: got {got}, want {w['expect']}")
            print(f"\n## {wname} over {scheme} (-j {args.j}), medians of {args.runs}")
            print("| tool | wall s | CPU s | peak RSS MiB | files/s | MB/s | wall / ringfetch |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            rf_wall = statistics.median(r[0] for r in res["ringfetch"])
            for tool, runs in res.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                rss = statistics.median(r[2] for r in runs)
                n, size = w["expect"]
                print(f"| {tool} | {wall:.3f} | {cpu:.3f} | {rss:.1f} | {n / wall:.0f} | "
                      f"{size / wall / 1e6:.0f} | {wall / rf_wall:.2f} |")
    finally:
        pid = os.path.join(base, "nginx.pid")
        if os.path.exists(pid):
            subprocess.run(["kill", open(pid).read().strip()])
            time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
