#!/usr/bin/env python3
"""bench/ab.py OLD NEW [--runs N] - two ringfetch binaries, same workloads
[--out DIR] [--only W1,W2,W3,L1].

For checking that a change did not slow the hot paths: W1 20 000 x 16 KiB
over HTTP, W2 2 x 256 MiB over HTTP, W3 20 000 x 16 KiB over HTTPS, all from
a loopback nginx with one worker, -j 64, output in /dev/shm, the two
binaries interleaved (which goes first alternates: the second of a pair
runs a few per cent slower), medians of wall time and of CPU time (user+sys of the
client, its threads and its io-wq workers) and NEW/OLD ratios.  L1 is the
load generator (bench/load.py's L1): `ringfetch bench` with 64 keep-alive
connections for 3 s on a 1 KiB file over HTTP - requests per second (higher
is better) and client CPU per request.  Build the
old one from a commit with e.g.:

  git worktree add /tmp/old REV && (cd /tmp/old && meson setup build && ninja -C build)
  python3 bench/ab.py /tmp/old/build/ringfetch build/ringfetch

Uses the test harness for nginx and the test CA (tests/integration).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import _cleanup, start_nginx, tmpdir  # noqa: E402
from pki import make_pki  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--out", default="/dev/shm/rf-ab-out",
                    help="where the files go (a directory on the filesystem to measure; "
                         "it is removed between runs)")
    ap.add_argument("--only", default="W1,W2,W3,L1", help="workloads, by their first word")
    a = ap.parse_args()
    www = "/dev/shm/rf-ab-www"
    shutil.rmtree(www, ignore_errors=True)
    os.makedirs(www)
    with open(os.path.join(www, "f.bin"), "wb") as f:
        f.write(os.urandom(16384))
    with open(os.path.join(www, "1k"), "wb") as f:
        f.write(os.urandom(1024))
    for i in range(2):
        with open(os.path.join(www, f"big{i}.bin"), "wb") as f:
            f.write(os.urandom(1 << 20) * 256)
    pki = make_pki(tmpdir())
    port = start_nginx(www, v6=False)
    tport = start_nginx(www, v6=False, tls=(pki["server"], pki["key"]))

    def url_list(base, n):
        p = os.path.join(tmpdir(), "list")
        with open(p, "w") as f:
            for i in range(n):
                f.write(f"{base}/f.bin\n  out=f{i}\n")
        return p

    work = {
        "W1 20000 x 16 KiB http": ["-i", url_list(f"http://127.0.0.1:{port}", 20000)],
        "W2 2 x 256 MiB http": [f"http://127.0.0.1:{port}/big0.bin",
                                f"http://127.0.0.1:{port}/big1.bin"],
        "W3 20000 x 16 KiB https": ["--cacert", pki["ca"], "-i",
                                    url_list(f"https://127.0.0.1:{tport}", 20000)],
        "L1 bench 1 KiB http, 64 connections": ["bench", "-q", "-c", "64", "-d", "3s",
                                                 f"http://127.0.0.1:{port}/1k"],
    }
    work = {k: v for k, v in work.items() if k.split()[0] in a.only.split(",")}
    rps = {}
    report = os.path.join(tmpdir(), "bench.json")
    times = {}
    out = a.out
    try:
        for run in range(a.runs):
            for name, args in work.items():
                # the second of two back-to-back runs measures a few per cent
                # slower (an A/A test shows it): alternate which goes first
                pair = (("old", a.old), ("new", a.new))
                for which, exe in pair if run % 2 == 0 else pair[::-1]:
                    shutil.rmtree(out, ignore_errors=True)
                    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    t0 = time.time()
                    load = args[0] == "bench"
                    cmd = [exe] + args[:-1] + ["--json", report, args[-1]] if load else \
                        [exe, "-q", "-j", "64", "-P", out] + args
                    p = subprocess.run(cmd, stdout=subprocess.DEVNULL if load else None)
                    wall = time.time() - t0
                    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
                    times.setdefault((name, which), []).append(wall)
                    times.setdefault((name, which + " cpu"), []).append(cpu)
                    if p.returncode != 0:
                        sys.exit(f"{which} failed on {name} (exit {p.returncode})")
                    if load:
                        with open(report) as f:
                            r = json.load(f)
                        rps.setdefault((name, which), []).append(r["requests_per_s"])
                        times[(name, which + " cpu")][-1] /= max(1, r["requests"]) / 1e6
        def med(key):
            return sorted(times[key])[a.runs // 2]
        for name in work:
            if (name, "old") in rps:
                o = sorted(rps[(name, "old")])[a.runs // 2]
                n = sorted(rps[(name, "new")])[a.runs // 2]
                oc, nc = med((name, "old cpu")), med((name, "new cpu"))
                print(f"{name}: requests/s old {o:.0f}, new {n:.0f}, new/old {n / o:.2f}; "
                      f"cpu per request old {oc:.2f} us, new {nc:.2f} us, new/old {nc / oc:.2f}")
                continue
            o, n = med((name, "old")), med((name, "new"))
            oc, nc = med((name, "old cpu")), med((name, "new cpu"))
            print(f"{name}: wall old {o:.3f} s, new {n:.3f} s, new/old {n / o:.2f}; "
                  f"cpu old {oc:.3f} s, new {nc:.3f} s, new/old {nc / oc:.2f}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(www, ignore_errors=True)
        for fn in reversed(_cleanup):
            fn()


main()
