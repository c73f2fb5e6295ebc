#!/usr/bin/env python3
"""bench/fs.py - W1 (N x 16 KiB over HTTP, -j 64) and W2 (4 x 256 MiB, 4 at
once) written to tmpfs, ext4 and xfs: each file path of ringfetch next to
curl, the Go peer, the floor and (W2) the raw recv+write loop.

  ./bench/run-fs [--runs 3] [--small 20000] [--big-mib 256] [--fs tmpfs,ext4,xfs,overlay] [--write]

--write puts the tables, the targets of issue 10 (met / not met) and a chart
(bench/results-fs.png) into their own section of bench/RESULTS.md.

ext4 and xfs are made here on loop devices over files in /dev/shm (so the
device is memory and the filesystem code is what is measured), mounted,
and unmounted and removed afterwards; a filesystem that cannot be made or
mounted is skipped with a visible line.  Per filesystem: ringfetch with
--file-io ring, inline and auto, curl, interleaved, medians of wall time,
client CPU (user+sys, threads and io-wq workers included), CPU per file and
voluntary context switches (GNU time); the floor (bench/peers/floor.c: the
file work alone of the atomic scheme, one thread, plain syscalls); and
wrk's time and CPU for the same number of requests of the same file, so
"floor + wrk" is the limit a fetcher that writes every file can approach.
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

FLOOR = os.path.join(bench.BUILD, "bench", "floor")
TMPFILE_FS = ("ext4", "xfs", "overlay")  # where auto writes small files unnamed (src/client.c)


def measure(cmd, cwd):
    """(wall s, user+sys s, voluntary context switches)."""
    tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%U %S %w"] + bench.pinned(0, cmd),
                       cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {p.stderr.decode()[-800:]}")
    user, sys_, vcs = tf.read().split()[-3:]
    return wall, float(user) + float(sys_), int(vcs)


def interleaved(tools, runs, dest, expect, what):
    """Every tool `runs` times, interleaved, into a fresh dest; every run's
    output checked (file count and bytes).  {tool: [(wall, cpu, vcs), ...]}"""
    res = {t: [] for t in tools}
    for _ in range(runs):
        for tool, cmd in tools.items():
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            subprocess.run(["sync"])
            res[tool].append(measure(cmd, dest))
            got = bench.tree_stats(dest)
            if got != expect:
                raise RuntimeError(f"{tool} {what}: got {got}, want {expect}")
    shutil.rmtree(dest, ignore_errors=True)
    return res


def make_fs(kind, base):
    """A directory on a fresh filesystem of this kind, and its cleanup; None if not here."""
    mnt = tempfile.mkdtemp(prefix=f"mnt-{kind}-", dir=base)
    img = None
    if kind == "tmpfs":
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g", "tmpfs", mnt],
                           stderr=subprocess.PIPE, text=True)
    elif kind == "overlay":  # as in a container: an overlay whose upper layer is ext4
        made = make_fs("ext4", base)
        if not made:
            return None
        lower_fs, lower_cleanup = made
        for d in ("lower", "upper", "work"):
            os.makedirs(os.path.join(lower_fs, d))
        r = subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                            f"lowerdir={lower_fs}/lower,upperdir={lower_fs}/upper,"
                            f"workdir={lower_fs}/work", mnt], stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            lower_cleanup()
            print(f"skipped: overlay: {r.stderr.strip()}", flush=True)
            return None

        def cleanup_overlay():
            subprocess.run(["umount", mnt])
            lower_cleanup()
        return mnt, cleanup_overlay
    else:
        img = mnt + ".img"
        subprocess.run(["truncate", "-s", "4G", img], check=True)
        mk = ["mkfs.ext4", "-q", "-F", img] if kind == "ext4" else ["mkfs.xfs", "-q", "-f", img]
        r = subprocess.run(mk, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        if r.returncode == 0:
            r = subprocess.run(["mount", "-o", "loop", img, mnt], stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print(f"skipped: {kind}: {r.stderr.strip()}", flush=True)
        return None

    def cleanup():
        subprocess.run(["umount", mnt])
        if img:
            os.unlink(img)
    return mnt, cleanup


def w2(args, origin, base, kind, dest, report, targets):
    """4 x big files, 4 at once, against the raw recv+write loop on the same fs."""
    urls = [f"{origin.url}/big{i}.bin" for i in range(4)]
    lists = bench.write_lists(base, "w2", urls)
    tools = {"ringfetch (default)": [bench.RINGFETCH, "-q", "-j", "4", "-P", dest, "-i", lists["plain"]],
             "curl": ["curl", "-s", "--parallel", "--parallel-max", "4", "-K", lists["curl"]],
             "raw recv+write loop": [bench.RAWLOOP, "127.0.0.1", str(origin.port), dest] +
                                    [f"/big{i}.bin" for i in range(4)]}
    tools = {t: c for t, c in tools.items() if os.path.exists(c[0]) or shutil.which(c[0])}
    res = interleaved(tools, args.runs, dest, (4, 4 * args.big_mib << 20), f"W2 on {kind}")
    raw = statistics.median(r[0] for r in res.get("raw recv+write loop", res["ringfetch (default)"]))
    report.append(f"\n### W2 4 x {args.big_mib} MiB over HTTP, 4 at once, output on {kind}\n")
    report.append("| tool | wall s | CPU s | MiB/s | wall / raw loop |")
    report.append("| --- | --- | --- | --- | --- |")
    for tool, runs in res.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {4 * args.big_mib / wall:.0f} | "
                      f"{wall / raw:.2f} |")
    print("\n".join(report[-len(res) - 3:]), flush=True)
    if kind in ("ext4", "xfs") and "raw recv+write loop" in res:
        rf = statistics.median(r[0] for r in res["ringfetch (default)"])
        targets.append((f"W2 on {kind}: wall / raw recv+write loop", rf / raw, 1.0))


def https(args, base, kind, dest, report, targets):
    """W3 (the small files) and W4 (the big ones) over HTTPS."""
    tls = bench.Origin(base, True)  # the same www, its own port
    try:
        for name, urls, j, expect in (
                (f"W3 {args.small} x 16 KiB over HTTPS, -j 64",
                 [f"{tls.url}/s/f{i}" for i in range(args.small)], 64, (args.small, args.small * 16384)),
                (f"W4 4 x {args.big_mib} MiB over HTTPS, 4 at once",
                 [f"{tls.url}/big{i}.bin" for i in range(4)], 4, (4, 4 * args.big_mib << 20))):
            if not args.big_mib and j == 4:
                continue
            lists = bench.write_lists(base, f"tls{j}", urls)
            tools = {t: bench.commands(t, urls, lists, dest, j, tls) for t in ("ringfetch", "curl", "go")
                     if t != "go" or os.path.exists(bench.GOFETCH)}
            res = interleaved(tools, args.runs, dest, expect, f"{name} on {kind}")
            med = {t: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
                   for t, v in res.items()}
            peers = [t for t in med if t != "ringfetch"]
            fastest = min(peers, key=lambda t: med[t][0])
            report.append(f"\n### {name}, output on {kind}\n")
            report.append(f"| tool | wall s | CPU s | wall / fastest peer ({fastest}) |")
            report.append("| --- | --- | --- | --- |")
            for tool, (wall, cpu) in med.items():
                report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {wall / med[fastest][0]:.2f} |")
            print("\n".join(report[-len(med) - 3:]), flush=True)
            targets.append((f"{name.split()[0]} on {kind}: wall / fastest peer ({fastest})",
                            med["ringfetch"][0] / med[fastest][0], 0.6 if j == 64 else None))
    finally:
        tls.stop()


CHART_TOOLS = ["ringfetch (default: auto)", "ringfetch --file-io ring --tmpfile off", "curl", "go",
               "floor: .part + rename", "floor: O_TMPFILE + linkat"]
BEGIN = "<!-- fs: written by bench/run-fs --write; kept by bench/run -->"
END = "<!-- /fs -->"


def write_results(report, chart):
    """The tables, targets and a chart into bench/RESULTS.md, in its own
    section (after bench/run's kept analysis marker, replaced on each run)."""
    png = os.path.join(bench.ROOT, "bench", "results-fs.png")
    data = os.path.join(bench.ROOT, "bench", "results-fs.dat")
    bench.bar_chart(chart, CHART_TOOLS, data, png,
                    "W1, 20 000 x 16 KiB: wall time relative to curl, by output filesystem "
                    "(lower is better)", "wall time / curl", size="1000,440")
    section = (BEGIN + "\n## Output filesystems: tmpfs, ext4, xfs (`./bench/run-fs`)\n\n" +
               "\n".join(report) + "\n\n![W1 by filesystem](results-fs.png)\n" + END + "\n")
    bench.write_section(BEGIN, END, section)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--fs", default="tmpfs,ext4,xfs,overlay")
    ap.add_argument("--big-mib", type=int, default=256, help="W2: 4 files of this size; 0 = skip W2")
    ap.add_argument("--https-on", default="ext4", help="W3/W4 (HTTPS) on these filesystems")
    ap.add_argument("--write", action="store_true",
                    help="write the tables, targets and chart into bench/RESULTS.md")
    args = ap.parse_args()
    n = args.small
    base = tempfile.mkdtemp(prefix="rf-fsbench-", dir="/dev/shm")
    origin = None
    cleanups = []
    targets, chart = [], []
    report = [f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
              f"Machine: {os.cpu_count()} CPUs, kernel {os.uname().release}, nginx 1 worker on "
              f"CPU 1, clients on CPU 0; ext4/xfs on loop devices over files in /dev/shm  ",
              f"Command: `./bench/run-fs {' '.join(sys.argv[1:])}` (medians of {args.runs} "
              f"interleaved runs)\n"]
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        blob = os.urandom(16384)
        for i in range(n):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
        chunk = os.urandom(1 << 20)
        for i in range(4 if args.big_mib else 0):
            with open(os.path.join(www, f"big{i}.bin"), "wb") as f:
                for _ in range(args.big_mib):
                    f.write(chunk)
        origin = bench.Origin(base, False)
        urls = [f"{origin.url}/s/f{i}" for i in range(n)]
        lists = bench.write_lists(base, "w1", urls)
        # wrk: requests/s and CPU per request on the same file
        wrk_cmd = ["wrk", "-t1", "-c64", "-d3s", urls[0]]
        w_wall, w_cpu, _ = measure(wrk_cmd, base)
        out = subprocess.run(bench.pinned(0, ["wrk", "-t1", "-c64", "-d3s", urls[0]]),
                             stdout=subprocess.PIPE, text=True).stdout
        rate = float(out.split("Requests/sec:")[1].split()[0])
        wrk_wall, wrk_cpu = n / rate, w_cpu / (rate * w_wall) * n
        for kind in args.fs.split(","):
            made = make_fs(kind, base)
            if not made:
                report.append(f"\n### {kind}: skipped (cannot make or mount it here)\n")
                continue
            mnt, cleanup = made
            cleanups.append(cleanup)
            dest = os.path.join(mnt, "out")
            tools = {}
            rf = [bench.RINGFETCH, "-q", "-j", "64", "-P", dest, "-i", lists["plain"]]
            tools["ringfetch (default: auto)"] = rf
            for mode in ("ring", "inline"):
                for tf in ("off", "on"):
                    tools[f"ringfetch --file-io {mode} --tmpfile {tf}"] = rf + ["--file-io", mode,
                                                                                "--tmpfile", tf]
            tools["curl"] = ["curl", "-s", "--parallel", "--parallel-max", "64", "-K", lists["curl"]]
            if os.path.exists(bench.GOFETCH):
                tools["go"] = [bench.GOFETCH, "-j", "64", "-o", dest, lists["plain"]]
            tools["floor: .part + rename"] = [FLOOR, dest, str(n), "16384", "part"]
            tools["floor: O_TMPFILE + linkat"] = [FLOOR, dest, str(n), "16384", "tmpfile"]
            res = interleaved(tools, args.runs, dest, (n, n * 16384), f"W1 on {kind}")
            med = {t: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
                       statistics.median(r[2] for r in v)) for t, v in res.items()}
            # the floor of the scheme ringfetch takes by default here
            fl = med["floor: O_TMPFILE + linkat" if kind in TMPFILE_FS else "floor: .part + rename"]
            report.append(f"\n### W1 {n} x 16 KiB over HTTP, -j 64, output on {kind}\n")
            peers = [t for t in ("curl", "go") if t in med]
            fastest = min(peers, key=lambda t: med[t][0])
            frugal = min(peers, key=lambda t: med[t][1])
            report.append(f"| tool | wall s | CPU s | CPU us/file | voluntary ctx switches | "
                          f"wall / fastest peer ({fastest}) | CPU / most frugal peer ({frugal}) | "
                          f"wall / (floor + wrk) | CPU / (floor + wrk) |")
            report.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            cw, cc = med[fastest][0], med[frugal][1]
            for tool, (wall, cpu, vcs) in med.items():
                report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {1e6 * cpu / n:.0f} | {vcs:.0f} | "
                              f"{wall / cw:.2f} | {cpu / cc:.2f} | {wall / (fl[0] + wrk_wall):.2f} | "
                              f"{cpu / (fl[1] + wrk_cpu):.2f} |")
            report.append(f"| wrk, {n} requests (from {rate:.0f} req/s) | {wrk_wall:.3f} | "
                          f"{wrk_cpu:.3f} | {1e6 * wrk_cpu / n:.0f} | | | | | |")
            print("\n".join(report[-len(med) - 4:]), flush=True)
            d_wall, d_cpu = med["ringfetch (default: auto)"][:2]
            if kind in ("ext4", "xfs"):
                targets.append((f"W1 on {kind}: wall / fastest peer ({fastest})", d_wall / cw, 0.85))
                targets.append((f"W1 on {kind}: CPU per file / most frugal peer's ({frugal})",
                                d_cpu / cc, 1.0))
            if kind == "tmpfs":
                targets.append((f"W1 on tmpfs: wall / fastest peer ({fastest})", d_wall / cw, 0.75))
            targets.append((f"W1 on {kind}: CPU / (floor + wrk)", d_cpu / (fl[1] + wrk_cpu), 1.15))
            targets.append((f"W1 on {kind}: wall / (floor + wrk)", d_wall / (fl[0] + wrk_wall), 1.1))
            chart.append((kind, {t: med[t][0] / cw for t in CHART_TOOLS if t in med}))
            if args.big_mib:
                w2(args, origin, base, kind, dest, report, targets)
            if kind in args.https_on.split(","):
                https(args, base, kind, dest, report, targets)
        report.append("\n### Targets of issue 10 (this run; the default, `--file-io auto`)\n")
        report.append("| target | measured | limit | met |")
        report.append("| --- | --- | --- | --- |")
        for what, value, limit in targets:
            report.append(f"| {what} | {value:.2f} | {'<= %.2f' % limit if limit else 'report'} | "
                          f"{'—' if not limit else 'met' if value <= limit else 'not met'} |")
        print("\n".join(report[-len(targets) - 3:]), flush=True)
        if args.write:
            write_results(report, chart)
    finally:
        for c in reversed(cleanups):
            c()
        if origin:
            origin.stop()
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
