#!/usr/bin/env python3
"""bench/archive.py - issue 23's benchmark: W1 (N x 16 KiB over HTTP, -j 64)
into one file per URL, into tar shards (--tar) and into WARC files
(--warc-file gzip, zstd, none), on tmpfs, ext4 and xfs, next to wget
--warc-file and the floor of an archive: wrk's time for the same requests
plus one sequential write of the same bytes.  W1 bodies are random (what
no compressor shrinks, as images and video); W1t has text bodies (HTML-like,
compressible) for the WARC compressors.  W3 is W1 over HTTPS.  And the
memory of --tar and --warc-file at -j 1024 with 1 MiB bodies (peak RSS).

  ./bench/run-archive [--runs 3] [--small 20000] [--fs tmpfs,ext4,xfs] [--write]

ext4 and xfs are made on loop devices over files in /dev/shm (bench/fs.py's
make_fs).  Medians of interleaved runs; every output is checked (file count
and bytes, or the shards' members read back with Python's tarfile).
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fs  # noqa: E402
import run as bench  # noqa: E402

BEGIN, END = "<!-- archive: written by bench/run-archive --write -->", "<!-- /archive -->"


def tar_members(dest):
    n = size = 0
    for root, _, files in os.walk(dest):
        for f in files:
            if f.endswith(".part"):
                raise RuntimeError(f"{f} left behind")
            with tarfile.open(os.path.join(root, f)) as t:
                for m in t.getmembers():
                    if not m.name.endswith(".json"):
                        n += 1
                        size += m.size
    return n, size


def warc_ok(dest, n):
    """The WARC in dest holds n response records (a cheap check: counted
    in the decompressed text)."""
    files = [f for f in os.listdir(dest) if f.startswith("w.warc")]
    if len(files) != 1 or files[0].endswith(".part"):
        return False
    path = os.path.join(dest, files[0])
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE, check=True).stdout
    elif path.endswith(".gz"):
        import gzip
        with gzip.open(path, "rb") as f:
            text = f.read()
    else:
        text = open(path, "rb").read()
    return text.count(b"WARC-Type: response\r\n") == n


def seq_write(path, total):
    """Seconds to write total bytes to one new file, 1 MiB at a time (and
    its CPU): the file work an archive cannot avoid."""
    chunk = os.urandom(1 << 20)
    t0, c0 = time.perf_counter(), time.process_time()
    with open(path, "wb") as f:
        left = total
        while left:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    os.unlink(path)
    return wall, cpu


def timed_rows(tools, dest, runs):
    """Medians of interleaved runs of each tool into dest: {tool: (wall, cpu)}."""
    res = {t: [] for t in tools}
    for _ in range(runs):
        for tool, (cmd, check) in tools.items():
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            res[tool].append(fs.measure(cmd, dest))
            if not check():
                raise RuntimeError(f"{tool}: wrong output")
    return {t: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for t, v in res.items()}


def compressible_and_https(args, base, n, http_url, report, targets):
    """W1t (text bodies over HTTP) and W3 (random bodies over HTTPS) on
    tmpfs: the WARC compressors next to wget's, and the outputs over TLS."""
    made = fs.make_fs("tmpfs", base)
    if not made:
        return
    mnt, cleanup = made
    dest = os.path.join(mnt, "out")
    https = None
    try:
        for section, tls in (("W1t: text bodies over HTTP", False), ("W3: random bodies over HTTPS", True)):
            if tls:
                https = bench.Origin(base, True)
            path, name = ("s/f", "w3") if tls else ("t/t", "w1t")
            url = https.url if tls else http_url
            lists = bench.write_lists(base, name, [f"{url}/{path}{i}" for i in range(n)])
            tls_rf = https.tls_args["ringfetch"] if tls else []
            rf = [bench.RINGFETCH, "-q", "-j", "64", "-P", dest, "-i", lists["plain"]] + tls_rf
            tools = {"ringfetch --warc-file (gzip)": (rf + ["--warc-file", "w"], lambda: warc_ok(dest, n)),
                     "ringfetch --warc-file (zstd)": (rf + ["--warc-file", "w", "--warc-compression", "zstd"],
                                                      lambda: warc_ok(dest, n)),
                     "ringfetch --warc-file (none)": (rf + ["--warc-file", "w", "--warc-compression", "none"],
                                                      lambda: warc_ok(dest, n))}
            if tls:
                tools["ringfetch: a file per URL"] = (rf, lambda: bench.tree_stats(dest) == (n, n * 16384))
                tools["ringfetch --tar (one shard)"] = (rf + ["--tar", "a.tar"],
                                                        lambda: tar_members(dest) == (n, n * 16384))
            if shutil.which("wget"):
                ca = [f"--ca-certificate={https.tls_args['ringfetch'][1]}"] if tls else []
                tools["wget --warc-file (gzip)"] = (["wget", "-q", "-O", "/dev/null", "--warc-file=w", "-i",
                                                     lists["plain"]] + ca, lambda: warc_ok(dest, n))
            med = timed_rows(tools, dest, args.runs)
            report.append(f"\n### {section}, {n} x 16 KiB, -j 64, output on tmpfs\n")
            report.append("| tool | wall s | CPU s | CPU us/file | wall / wget's |")
            report.append("| --- | --- | --- | --- | --- |")
            w = med.get("wget --warc-file (gzip)", (0, 0))[0]
            for tool, (wall, cpu) in med.items():
                report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {1e6 * cpu / n:.0f} | "
                              f"{wall / w if w else 0:.2f} |")
            print("\n".join(report[-len(med) - 3:]), flush=True)
            if w:
                targets.append((f"--warc-file (gzip), {section.split(':')[0]}: wall / wget's",
                                med["ringfetch --warc-file (gzip)"][0] / w, 0.2))
            if tls:
                targets.append(("--warc-file (none), W3: wall / --tar", med["ringfetch --warc-file (none)"][0] /
                                med["ringfetch --tar (one shard)"][0], 1.3))
    finally:
        if https:
            https.stop()
        cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--fs", default="tmpfs,ext4,xfs")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    n = args.small
    base = tempfile.mkdtemp(prefix="rf-archbench-", dir="/dev/shm")
    origin, cleanups = None, []
    report = [f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
              f"Machine: {os.cpu_count()} CPUs, kernel {os.uname().release}, nginx 1 worker on CPU 1, "
              f"clients on CPU 0; ext4/xfs on loop devices over files in /dev/shm  ",
              f"Command: `./bench/run-archive {' '.join(sys.argv[1:])}` (medians of {args.runs} "
              f"interleaved runs)\n"]
    targets = []
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "s"))
        os.makedirs(os.path.join(www, "m"))
        blob = os.urandom(16384)
        os.makedirs(os.path.join(www, "t"))
        words = [w.encode() for w in "the of and to in is for on that with as by this at from or an be are "
                 "was it which not have has page news data item title link class div span href".split()]
        rnd = random.Random(23)
        for i in range(n):
            with open(os.path.join(www, "s", f"f{i}"), "wb") as f:
                f.write(blob)
            text = b"<html><body>"
            while len(text) < 16384:
                text += b"<p class=\"item\">" + b" ".join(rnd.choice(words) for _ in range(12)) + b"</p>\n"
            with open(os.path.join(www, "t", f"t{i}"), "wb") as f:
                f.write(text[:16384])
        mib = os.urandom(1 << 20)
        for i in range(2048):
            with open(os.path.join(www, "m", f"m{i}"), "wb") as f:
                f.write(mib)
        origin = bench.Origin(base, False)
        urls = [f"{origin.url}/s/f{i}" for i in range(n)]
        lists = bench.write_lists(base, "w1", urls)
        out = subprocess.run(bench.pinned(0, ["wrk", "-t1", "-c64", "-d3s", urls[0]]),
                             stdout=subprocess.PIPE, text=True).stdout
        rate = float(out.split("Requests/sec:")[1].split()[0])
        wrk_wall = n / rate
        for kind in args.fs.split(","):
            made = fs.make_fs(kind, base)
            if not made:
                report.append(f"\n### {kind}: skipped (cannot make or mount it here)\n")
                continue
            mnt, cleanup = made
            cleanups.append(cleanup)
            dest = os.path.join(mnt, "out")
            rf = [bench.RINGFETCH, "-q", "-j", "64", "-P", dest, "-i", lists["plain"]]
            tools = {"ringfetch: a file per URL": (rf, lambda: bench.tree_stats(dest) == (n, n * 16384)),
                     "ringfetch --tar (one shard)": (rf + ["--tar", "a.tar"], None),
                     "ringfetch --tar --shard-size 5000": (rf + ["--tar", "s-{shard}.tar", "--shard-size",
                                                                 "5000"], None),
                     "ringfetch --warc-file (gzip)": (rf + ["--warc-file", "w"], lambda: warc_ok(dest, n)),
                     "ringfetch --warc-file (zstd)": (rf + ["--warc-file", "w", "--warc-compression", "zstd"],
                                                      lambda: warc_ok(dest, n)),
                     "ringfetch --warc-file (none)": (rf + ["--warc-file", "w", "--warc-compression", "none"],
                                                      lambda: warc_ok(dest, n))}
            if shutil.which("wget") and kind == args.fs.split(",")[0]:
                # wget writes one file per URL as well as the WARC: -O /dev/null keeps only the WARC
                tools["wget --warc-file (gzip)"] = (["wget", "-q", "-O", "/dev/null", "--warc-file=w", "-i",
                                                     lists["plain"]], lambda: warc_ok(dest, n))
            res = {t: [] for t in tools}
            for _ in range(args.runs):
                for tool, (cmd, check) in tools.items():
                    shutil.rmtree(dest, ignore_errors=True)
                    os.makedirs(dest)
                    subprocess.run(["sync"])
                    res[tool].append(fs.measure(cmd, dest))
                    ok = check() if check else tar_members(dest) == (n, n * 16384)
                    if not ok:
                        raise RuntimeError(f"{tool} on {kind}: wrong output")
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            sw = statistics.median(seq_write(os.path.join(dest, "seq"), n * 16384)[0]
                                   for _ in range(args.runs))
            floor = wrk_wall + sw
            med = {t: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
                   for t, v in res.items()}
            files = med["ringfetch: a file per URL"][0]
            report.append(f"\n### W1 {n} x 16 KiB over HTTP, -j 64, output on {kind}\n")
            report.append("| tool | wall s | CPU s | CPU us/file | wall / a file per URL | "
                          "wall / (wrk + one sequential write) |")
            report.append("| --- | --- | --- | --- | --- | --- |")
            for tool, (wall, cpu) in med.items():
                report.append(f"| {tool} | {wall:.3f} | {cpu:.3f} | {1e6 * cpu / n:.0f} | "
                              f"{wall / files:.2f} | {wall / floor:.2f} |")
            report.append(f"| floor: wrk {n} requests + one sequential write of {n * 16384 >> 20} MiB "
                          f"| {floor:.3f} | | | {floor / files:.2f} | 1.00 |")
            print("\n".join(report[-len(med) - 3:]), flush=True)
            tar = med["ringfetch --tar (one shard)"][0]
            if kind == "ext4":
                targets.append(("--tar on ext4: wall / a file per URL", tar / files, 0.5))
            if "wget --warc-file (gzip)" in med:
                w = med["wget --warc-file (gzip)"][0]
                targets.append((f"--warc-file (gzip) on {kind}: wall / wget's (at least 5x faster)",
                                med["ringfetch --warc-file (gzip)"][0] / w, 0.2))
            targets.append((f"--warc-file (none) on {kind}: wall / --tar", med["ringfetch --warc-file (none)"][0] /
                            tar, 1.3))
            targets.append((f"--tar on {kind}: wall / (wrk + one sequential write)", tar / floor, 1.3))
        # memory: -j 1024, 2048 bodies of 1 MiB into one shard (tmpfs)
        made = fs.make_fs("tmpfs", base)
        if made:
            mnt, cleanup = made
            cleanups.append(cleanup)
            mlist = bench.write_lists(base, "m", [f"{origin.url}/m/m{i}" for i in range(2048)])
            report.append(f"\n### Memory: -j 1024, 2048 x 1 MiB (random) into one archive on tmpfs\n")
            report.append("| output | peak RSS MiB | wall s |")
            report.append("| --- | --- | --- |")
            for what, extra in (("--tar", ["--tar", "m.tar"]), ("--warc-file (gzip)", ["--warc-file", "m"]),
                                ("--warc-file (zstd)", ["--warc-file", "m", "--warc-compression", "zstd"]),
                                ("--warc-file (none)", ["--warc-file", "m", "--warc-compression", "none"])):
                tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
                for f in os.listdir(mnt):
                    os.unlink(os.path.join(mnt, f))
                subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M %e", bench.RINGFETCH, "-q", "-j", "1024",
                                "-P", mnt, "-i", mlist["plain"]] + extra, check=True)
                rss, wall = tf.read().split()[-2:]
                rss = int(rss) / 1024
                report.append(f"| {what} | {rss:.1f} | {float(wall):.2f} |")
                targets.append((f"{what} RSS at -j 1024, 1 MiB bodies (MiB)", rss, 64))
            print("\n".join(report[-7:]), flush=True)
        compressible_and_https(args, base, n, origin.url, report, targets)
        report.append("\n### Targets of issue 23\n")
        report.append("| target | measured | limit | met |")
        report.append("| --- | --- | --- | --- |")
        for what, value, limit in targets:
            report.append(f"| {what} | {value:.2f} | <= {limit:.2f} | {'met' if value <= limit else 'not met'} |")
        print("\n".join(report[-len(targets) - 3:]), flush=True)
        if args.write:
            section = (BEGIN + "\n## Archives: tar shards and WARC files (`./bench/run-archive`)\n\n" +
                       "\n".join(report) +
                       "\n" + END + "\n")
            bench.write_section(BEGIN, END, section)
    finally:
        for c in reversed(cleanups):
            c()
        if origin:
            origin.stop()
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
