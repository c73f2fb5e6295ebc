#!/usr/bin/env python3
"""bench/run.py - ringfetch next to the tools a user would pick instead.

Called by bench/run (which installs and builds everything).  Generates the
data in tmpfs, starts nginx with one worker pinned to CPU 1 (the clients run
on CPU 0), and runs every workload for every tool RUNS times, interleaved.
Reports medians of wall time, client CPU time (user+sys) and peak RSS (GNU
time), each tool's wall-time ratio to ringfetch, and every run's output is
checked (file count and total bytes).  Also: wrk's request rate on the small
file, and syscalls per file (strace -c -f on a smaller run).

Workloads:
  1  20 000 x 16 KiB over HTTP, -j 64
  2  4 x 256 MiB over HTTP, 4 at once; plus the raw recv+write loop
  3  = 1 over HTTPS
  4  = 2 over HTTPS
"""
import argparse
import os
import re
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
RAWLOOP = os.path.join(BUILD, "bench", "rawloop")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def pinned(cpu, cmd):
    return ["taskset", "-c", str(cpu)] + cmd if os.cpu_count() > 1 else cmd


def measure(cmd, cwd, cpu=0):
    """(wall s, user+sys s, peak RSS MiB) through GNU time; the command
    pinned to cpu (None: not pinned)."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%U %S %M"] +
                       (pinned(cpu, cmd) if cpu is not None else cmd),
                       cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr.decode()[-800:]}")
    user, sys_, rss = tf.read().split()[-3:]
    return wall, float(user) + float(sys_), int(rss) / 1024.0


def tree_stats(d):
    n = size = 0
    for root, _, files in os.walk(d):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(root, f))
    return n, size


class Origin:
    def __init__(self, base, https):
        self.base = base
        self.www = os.path.join(base, "www")
        self.port = 20000 + os.getpid() % 20000 + (1 if https else 0)
        conf = os.path.join(base, f"nginx-{https}.conf")
        tls = ""
        self.tls_args = {}
        if https:
            from pki import make_pki
            pki = make_pki(base)
            tls = (f" ssl; ssl_certificate {pki['server']}; ssl_certificate_key {pki['key']};"
                   " ssl_session_cache shared:b:1m")
            ca = pki["ca"]
            self.tls_args = {"ringfetch": ["--cacert", ca], "curl": ["--cacert", ca],
                             "wget2": [f"--ca-certificate={ca}"],
                             "aria2": [f"--ca-certificate={ca}"], "go": ["-cacert", ca]}
        with open(conf, "w") as f:
            f.write(f"""daemon on; user root; worker_processes 1; worker_cpu_affinity 10;
error_log {base}/error-{https}.log; pid {base}/nginx-{https}.pid;
worker_rlimit_nofile 20000;
events {{ worker_connections 10000; }}
http {{ access_log off; keepalive_requests 1000000; sendfile on;
  server {{ listen 127.0.0.1:{self.port} backlog=8192{tls}; root {self.www};
    location /slow/ {{ limit_rate 4k; }}
    location = /sink {{ return 204; }} }} }}
""")
        subprocess.run(["nginx", "-c", conf, "-p", base], check=True)
        self.pidfile = os.path.join(base, f"nginx-{https}.pid")
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        time.sleep(0.3)

    def stop(self):
        if os.path.exists(self.pidfile):
            subprocess.run(["kill", open(self.pidfile).read().strip()])


def commands(tool, urls, lists, out, j, origin):
    """The command line of one tool for one workload."""
    extra = origin.tls_args.get(tool, [])
    if tool == "ringfetch":
        return [RINGFETCH, "-q", "-j", str(j), "-P", out, "-i", lists["plain"]] + extra
    if tool == "curl":
        return ["curl", "-s", "--parallel", "--parallel-max", str(j), "-K", lists["curl"]] + extra
    if tool == "wget2":
        return ["wget2", "-q", f"--max-threads={j}", "--no-robots", "-P", out, "-i",
                lists["plain"]] + extra
    if tool == "aria2":
        return ["aria2c", "-q", "-j", str(j), "-d", out, "-i", lists["plain"],
                "--allow-overwrite=true", "--auto-file-renaming=false", "--file-allocation=none",
                "--summary-interval=0", "--console-log-level=error"] + extra
    if tool == "go":
        return [GOFETCH, "-j", str(j), "-o", out] + extra + [lists["plain"]]
    raise ValueError(tool)


def write_lists(base, name, urls):
    plain = os.path.join(base, f"{name}.txt")
    curl = os.path.join(base, f"{name}.curl")
    with open(plain, "w") as f:
        f.write("".join(u + "\n" for u in urls))
    with open(curl, "w") as f:
        for u in urls:
            f.write(f'url = "{u}"\noutput = "{u.rsplit("/", 1)[1]}"\n')
    return {"plain": plain, "curl": curl}


def syscalls_per_file(tool_cmd, out, nfiles):
    """strace -c -f total syscalls divided by files."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".strace")
    subprocess.run(["strace", "-f", "-c", "-o", tf.name] + tool_cmd, cwd=out,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = 0
    for line in tf.read().splitlines():
        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+\s+)?total$", line)
        if m:
            total = int(m.group(1))
    return total / nfiles if nfiles else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="1,2,3,4")
    ap.add_argument("--tools", default="ringfetch,curl,wget2,aria2,go")
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--no-strace", action="store_true")
    args = ap.parse_args()
    only = {int(x) for x in args.only.split(",")}
    tools = args.tools.split(",")

    base = tempfile.mkdtemp(prefix="rf-bench-", dir="/dev/shm")
    origins = []
    report = []
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        blob = os.urandom(16384)
        for i in range(args.small):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
        chunk = os.urandom(1 << 20)
        for i in range(4):
            with open(os.path.join(www, f"big{i}.bin"), "wb") as f:
                for _ in range(args.big_mib):
                    f.write(chunk)
        plain = Origin(base, False)
        origins.append(plain)
        tls = Origin(base, True) if only & {3, 4} else None
        if tls:
            origins.append(tls)
        out = os.path.join(base, "out")

        cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                             stdout=subprocess.PIPE, text=True).stdout.strip()
        report.append(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ")
        report.append(f"Machine: {os.cpu_count()} CPUs ({cpu}), kernel {os.uname().release}, "
                      f"nginx 1 worker on CPU 1, clients on CPU 0, data and output in tmpfs  ")
        report.append(f"Command: `./bench/run {' '.join(sys.argv[1:])}` (medians of {args.runs} "
                      f"interleaved runs)\n")

        workloads = []
        for num, origin, small in ((1, plain, True), (2, plain, False), (3, tls, True), (4, tls, False)):
            if num not in only:
                continue
            if small:
                urls = [f"{origin.url}/s/f{i}" for i in range(args.small)]
                expect, j = (args.small, args.small * 16384), 64
                name = f"{args.small} x 16 KiB over {'HTTPS' if num == 3 else 'HTTP'}, -j 64"
            else:
                urls = [f"{origin.url}/big{i}.bin" for i in range(4)]
                expect, j = (4, 4 * args.big_mib << 20), 4
                name = f"4 x {args.big_mib} MiB over {'HTTPS' if num == 4 else 'HTTP'}, 4 at once"
            lists = write_lists(base, f"w{num}", urls)
            cmds = {t: commands(t, urls, lists, out, j, origin) for t in tools}
            if num == 2:
                cmds["raw recv+write loop"] = [RAWLOOP, "127.0.0.1", str(origin.port), out] + [
                    f"/big{i}.bin" for i in range(4)]
            workloads.append((num, name, cmds, expect, small))

        chart = []
        for num, name, cmds, expect, small in workloads:
            res = {t: [] for t in cmds}
            for _ in range(args.runs):
                for tool, cmd in cmds.items():
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    res[tool].append(measure(cmd, out))
                    got = tree_stats(out)
                    if got != expect:
                        raise RuntimeError(f"{tool} on workload {num}: got {got}, want {expect}")
            rf_wall = statistics.median(r[0] for r in res["ringfetch"])
            rf_cpu = statistics.median(r[1] for r in res["ringfetch"])
            report.append(f"\n### Workload {num}: {name}\n")
            report.append("| tool | wall s | CPU s | peak RSS MiB | files/s | MiB/s | wall / ringfetch | CPU / ringfetch |")
            report.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for tool, runs in res.items():
                wall = statistics.median(r[0] for r in runs)
                cpu_s = statistics.median(r[1] for r in runs)
                rss = statistics.median(r[2] for r in runs)
                n, size = expect
                report.append(f"| {tool} | {wall:.3f} | {cpu_s:.3f} | {rss:.1f} | {n / wall:.0f} | "
                              f"{size / wall / 2**20:.0f} | {wall / rf_wall:.2f} | {cpu_s / rf_cpu:.2f} |")
                chart.append((f"W{num}", tool, wall / rf_wall))
            print("\n".join(report[-len(res) - 3:]), flush=True)

            if small and num == 1:
                wrk = subprocess.run(pinned(0, ["wrk", "-t1", "-c64", "-d5s", f"{cmds_url(cmds)}"]),
                                     stdout=subprocess.PIPE, text=True).stdout
                m = re.search(r"Requests/sec:\s+([\d.]+)", wrk)
                if m:
                    rate = float(m.group(1))
                    rf_rate = args.small / rf_wall
                    report.append(f"\nwrk -t1 -c64 on the same 16 KiB file (discarding): "
                                  f"{rate:.0f} req/s; ringfetch (writing every file): "
                                  f"{rf_rate:.0f} files/s = {100 * rf_rate / rate:.0f}% of wrk.")
                    print(report[-1], flush=True)
            if small and not args.no_strace:
                nfiles = 2000
                sub_urls = os.path.join(base, "strace.txt")
                sub_curl = os.path.join(base, "strace.curl")
                with open(lists_of(cmds)["plain"]) as f, open(sub_urls, "w") as g:
                    g.writelines(f.readlines()[:nfiles])
                with open(lists_of(cmds)["curl"]) as f, open(sub_curl, "w") as g:
                    g.writelines(f.readlines()[:2 * nfiles])
                sub = {"plain": sub_urls, "curl": sub_curl}
                origin = plain if num == 1 else tls
                line = []
                for tool in tools:
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    per = syscalls_per_file(commands(tool, [], sub, out, 64, origin), out, nfiles)
                    line.append(f"{tool} {per:.1f}")
                report.append(f"\nSyscalls per file (strace -c -f, {nfiles} files): " + ", ".join(line) + ".")
                print(report[-1], flush=True)

        if not args.no_write:
            write_results(report, chart)
    finally:
        for o in origins:
            o.stop()
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)


def cmds_url(cmds):
    with open(lists_of(cmds)["plain"]) as f:
        return f.readline().strip()


def lists_of(cmds):
    c = cmds["ringfetch"]
    plain = c[c.index("-i") + 1]
    return {"plain": plain, "curl": plain[:-4] + ".curl"}


def bar_chart(rows, columns, data, png, title, ylabel, size="900,420"):
    """A clustered bar chart (gnuplot, if installed): rows of (label,
    {column: value}), one cluster per row; the data also kept in `data`."""
    with open(data, "w") as f:
        f.write("label " + " ".join(f'"{c}"' for c in columns) + "\n")
        for label, vals in rows:
            f.write(label + " " + " ".join(f"{vals.get(c, float('nan')):.3f}" for c in columns) + "\n")
    gp = f"""set terminal pngcairo size {size} font ",10" noenhanced
set output "{png}"
set title "{title}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ylabel "{ylabel}"
set key outside right
set grid ytics
colors = "#9400d3 #009e73 #56b4e9 #e69f00 #f0e442 #0072b2 #e51e10 #000000 #a0a0a0 #ff69b4 #8b4513 #00ced1 #7cfc00 #800000 #000080 #808000"
plot for [i=2:{len(columns) + 1}] "{data}" using i:xtic(1) title columnhead(i) lc rgb word(colors, (i - 2) % 16 + 1)
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=False)


def write_section(begin, end, section):
    """Put section (starting with begin, ending with end) into
    bench/RESULTS.md in place of the old one, or at its end."""
    res = os.path.join(ROOT, "bench", "RESULTS.md")
    text = open(res).read() if os.path.exists(res) else "# Benchmark results\n\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(res, "w") as f:
        f.write(text)


def write_results(report, chart):
    res = os.path.join(ROOT, "bench", "RESULTS.md")
    data = os.path.join(ROOT, "bench", "results.dat")
    png = os.path.join(ROOT, "bench", "results.png")
    workloads = sorted({w for w, _, _ in chart})
    tools = []
    for _, t, _ in chart:
        if t not in tools:
            tools.append(t)
    rows = [(w, {t: r for ww, t, r in chart if ww == w}) for w in workloads]
    bar_chart(rows, tools, data, png, "Wall time relative to ringfetch (lower is better; ringfetch = 1)",
              "wall time / ringfetch")
    # the hand-written analysis after the marker survives a rerun
    marker = "<!-- analysis: kept across reruns -->"
    analysis = ""
    if os.path.exists(res):
        old = open(res).read()
        if marker in old:
            analysis = old[old.index(marker):]
    with open(res, "w") as f:
        f.write("# Benchmark results\n\n")
        f.write("Produced by `./bench/run` (see `bench/run.py` for what each workload does).\n\n")
        f.write("\n".join(report) + "\n\n![wall time relative to ringfetch](results.png)\n\n")
        f.write(analysis or marker + "\n")


if __name__ == "__main__":
    main()
