#!/usr/bin/env python3
"""bench/dns.py - many host names: ringfetch next to curl -Z, aria2c, the Go
peer and wget2, each URL on its own name, behind a resolver that answers
after a fixed delay (or with every name in /etc/hosts).

Called by bench/run-dns (which installs and builds everything).  Each tool
runs in a private mount namespace whose /etc/resolv.conf names only
tests/servers/dnsstub.py (on 127.53.0.1) and whose /etc/hosts is the
run's, so no query leaves the machine.  nginx serves one 16 KiB file under
every path /fN.  Tools run interleaved, RUNS times each; medians of wall
time and peak RSS; every run's output is checked (file count and bytes).

  python3 bench/dns.py [--runs 3] [--hosts 1000,3000,10000] [--delays hosts,2,20]
                       [--tools ringfetch,curl,aria2,go,wget2] [--no-write]
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
BUILD = os.path.join(ROOT, "build")
RINGFETCH = os.path.join(BUILD, "ringfetch")
GOFETCH = os.path.join(BUILD, "bench", "gofetch")
STUB = os.path.join(ROOT, "tests", "servers", "dnsstub.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import harness  # noqa: E402
from run import tree_stats, write_section  # noqa: E402

DNS_ADDR = "127.53.0.1"
SIZE = 16384
J = 64


def start_stub(delay_ms, work):
    zone = os.path.join(work, "zone.json")
    with open(zone, "w") as f:
        f.write('{"default": {"suffix": ".test", "a": ["127.0.0.1"], "ttl": 300}}')
    p = subprocess.Popen([sys.executable, STUB, "--listen", DNS_ADDR, "--zone", zone,
                          "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "READY":
        raise RuntimeError("dnsstub did not start")
    return p


def commands(tool, lists, out):
    if tool == "ringfetch":
        return [RINGFETCH, "-q", "-j", str(J), "-P", out, "-i", lists["plain"]]
    if tool == "curl":
        return ["curl", "-s", "--parallel", "--parallel-max", str(J), "-K", lists["curl"]]
    if tool == "wget2":
        return ["wget2", "-q", f"--max-threads={J}", "--no-robots", "-P", out, "-i",
                lists["plain"]]
    if tool == "aria2":
        return ["aria2c", "-q", "-j", str(J), "-d", out, "-i", lists["plain"],
                "--allow-overwrite=true", "--auto-file-renaming=false", "--file-allocation=none",
                "--summary-interval=0", "--console-log-level=error"]
    if tool == "go":
        return [GOFETCH, "-j", str(J), "-o", out, lists["plain"]]
    raise ValueError(tool)


def measure(cmd, cwd, resolv, hosts):
    """(wall s, peak RSS MiB) of cmd in a namespace with resolv and hosts."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
    script = (f"mount --bind {resolv} /etc/resolv.conf && mount --bind {hosts} /etc/hosts && "
              f'exec /usr/bin/time -o {tf.name} -f "%M" "$@"')
    t0 = time.perf_counter()
    p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr.decode()[-800:]}")
    return wall, int(tf.read().split()[-1]) / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hosts", default="1000,3000,10000")
    ap.add_argument("--delays", default="hosts,2,20")
    ap.add_argument("--tools", default="ringfetch,curl,aria2,go,wget2")
    ap.add_argument("--wget2-max-hosts", type=int, default=1000,
                    help="wget2 resolves one name at a time: only lists this small")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    tools = a.tools.split(",")
    base = tempfile.mkdtemp(prefix="rf-dnsbench-", dir="/dev/shm")
    www = os.path.join(base, "www")
    os.makedirs(www)
    with open(os.path.join(www, "f"), "wb") as f:
        f.write(os.urandom(SIZE))
    port = harness.start_nginx(www, v6=False,
                               extra_locations="location ~ ^/f[0-9]+$ { try_files /f =404; }")
    rows = []
    try:
        for n in [int(x) for x in a.hosts.split(",")]:
            names = [f"h{i:05d}.test" for i in range(n)]
            urls = [f"http://{h}:{port}/f{i}" for i, h in enumerate(names)]
            lists = {"plain": os.path.join(base, f"{n}.txt"), "curl": os.path.join(base, f"{n}.curl")}
            with open(lists["plain"], "w") as f:
                f.write("".join(u + "\n" for u in urls))
            with open(lists["curl"], "w") as f:
                for i, u in enumerate(urls):
                    f.write(f'url = "{u}"\noutput = "f{i}"\n')
            resolv = os.path.join(base, "resolv.conf")
            with open(resolv, "w") as f:
                f.write(f"nameserver {DNS_ADDR}\noptions timeout:2 attempts:2\n")
            for delay in a.delays.split(","):
                hosts = os.path.join(base, f"hosts-{n}-{delay}")
                with open(hosts, "w") as f:
                    f.write("127.0.0.1 localhost\n")
                    if delay == "hosts":
                        f.write("".join(f"127.0.0.1 {h}\n" for h in names))
                stub = start_stub(0 if delay == "hosts" else float(delay), base)
                res = {t: [] for t in tools}
                try:
                    for r in range(a.runs):
                        for t in tools:
                            if t == "wget2" and n > a.wget2_max_hosts:
                                continue
                            out = os.path.join(base, "out")
                            shutil.rmtree(out, ignore_errors=True)
                            os.makedirs(out)
                            wall, rss = measure(commands(t, lists, out), out, resolv, hosts)
                            got = tree_stats(out)
                            if got != (n, n * SIZE):
                                raise RuntimeError(f"{t} left {got}, want {(n, n * SIZE)}")
                            res[t].append((wall, rss))
                            print(f"  {n} hosts, {delay}: {t} run {r + 1}: {wall:.2f} s, "
                                  f"{rss:.1f} MiB", flush=True)
                finally:
                    harness._stop(stub)
                rows.append((n, delay, {t: (statistics.median(w for w, _ in v),
                                            statistics.median(m for _, m in v))
                                        for t, v in res.items() if v}))
    finally:
        harness.run_cleanup()
        shutil.rmtree(base, ignore_errors=True)

    head = "| hosts | resolver | " + " | ".join(tools) + " | ringfetch / fastest peer | vs /etc/hosts |"
    lines = [head, "|" + "---|" * (len(tools) + 4)]
    hosts_wall = {n: r["ringfetch"][0] for n, d, r in rows if d == "hosts" and "ringfetch" in r}
    for n, d, r in rows:
        cells = [f"{r[t][0]:.2f} s" if t in r else "—" for t in tools]
        peers = [r[t][0] for t in r if t != "ringfetch"]
        ratio = f"{r['ringfetch'][0] / min(peers):.2f}x" if peers and "ringfetch" in r else "—"
        vs = f"{r['ringfetch'][0] / hosts_wall[n]:.2f}x" if n in hosts_wall and "ringfetch" in r else "—"
        label = "names in /etc/hosts" if d == "hosts" else f"{d} ms delay"
        lines.append(f"| {n} | {label} | " + " | ".join(cells) + f" | {ratio} | {vs} |")
    rss = {n: r["ringfetch"][1] for n, d, r in rows if "ringfetch" in r and d != "hosts"}
    rss_line = ", ".join(f"{n} hosts {m:.1f} MiB" for n, m in sorted(rss.items()))
    report = "\n".join(lines) + f"\n\nringfetch peak RSS (median, behind the resolver): {rss_line}\n"
    print(report)
    if not a.no_write:
        section = ("<!-- dns:begin -->\n## Many host names (bench/run-dns)\n\n"
                   f"Each URL on its own name `hNNNNN.test`, 16 KiB each, `-j {J}` (or the peer's "
                   "equivalent), behind tests/servers/dnsstub.py answering every query after the "
                   f"delay, or with every name in /etc/hosts; medians of {a.runs} interleaved runs. "
                   "Reproduce: `./bench/run-dns`.\n\n" + report +
                   "\nBefore names went on the ring (two getaddrinfo threads): 10.6 s for 1 000 "
                   "names at 20 ms, 31.6 s for 3 000. The resolver here is a Python process on "
                   "the same two cores: it takes about half a core at 10 000 names (0.49 s of "
                   "CPU), which the /etc/hosts row does not pay; the client's own cost is about "
                   "24 us of CPU per name (docs/DESIGN-NOTES.md, \"DNS: c-ares on the loop\"). "
                   "wget2 resolves one name at a time and runs only the 1 000-name rows.\n"
                   "<!-- dns:end -->\n")
        write_section("<!-- dns:begin -->", "<!-- dns:end -->", section)


if __name__ == "__main__":
    main()
