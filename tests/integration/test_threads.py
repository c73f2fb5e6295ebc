#!/usr/bin/env python3
"""Threads (-t N): N rings on N threads, one run.  Against real nginx and the
misbehaving server's connection counter: every file byte-exact, a single
origin's list spread over every thread, --max-per-host held across threads
(the origin counts its concurrent connections), same-named URLs never
sharing a .part, one JSON stream of whole lines with one summary, SIGINT
stopping every thread and leaving .part files -c completes, a name looked up
once for all threads (a stub resolver counts the queries)."""
import glob
import json
import os
import re
import signal
import subprocess
import time

from harness import (EXTRA_ARGS, RINGFETCH, WRAPPER, Skip, case, dns_queries, http_get, listdir, main,
                     nothing_held_past_the_end, run, run_with_dns, sha256, sha256_file, small_disk, start_badserver,
                     start_dnsstub, start_nginx, stats, tmpdir)
from readers import WARCIO, cdx_is_warcios, gnu_tar_lists, samples, warc_records

WWW = tmpdir()
SMALL = {}
for i in range(300):
    SMALL[f"f{i}"] = os.urandom(2000 + 37 * i)
    with open(os.path.join(WWW, f"f{i}"), "wb") as f:
        f.write(SMALL[f"f{i}"])
SAME = []
for i in range(40):
    os.makedirs(os.path.join(WWW, f"d{i}"))
    SAME.append(os.urandom(50000 + i))
    with open(os.path.join(WWW, f"d{i}", "same.bin"), "wb") as f:
        f.write(SAME[-1])
BIG = os.urandom(6 << 20)
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
PORT = start_nginx(WWW, v6=False)
BASE = f"http://127.0.0.1:{PORT}"
BAD = start_badserver()


def records(stdout):
    lines = stdout.decode().splitlines()
    recs = [json.loads(l) for l in lines if l.strip()]  # every line whole JSON
    assert sum(r["type"] == "summary" for r in recs) == 1 and recs[-1]["type"] == "summary", lines[-3:]
    return recs[:-1], recs[-1]


@case
def a_single_origin_list_spreads_over_every_thread():
    """300 files from one origin with -t 2: byte-exact, both threads carried
    a fair share, one summary that counts them all."""
    out = tmpdir()
    lst = os.path.join(tmpdir(), "urls.txt")
    with open(lst, "w") as f:
        f.write("".join(f"{BASE}/f{i}\n" for i in range(300)))
    code, body, err = run(["-t", "2", "-j", "16", "-P", out, "-i", lst, "--json", "-", "-q"], timeout=120)
    assert code == 0, err
    recs, summary = records(body)
    assert len(recs) == 300 and summary["downloaded"] == 300, summary
    by_thread = {}
    for r in recs:
        by_thread[r["thread"]] = by_thread.get(r["thread"], 0) + 1
    assert set(by_thread) == {0, 1} and min(by_thread.values()) >= 60, by_thread
    assert listdir(out) == sorted(SMALL), listdir(out)[:5]
    for name, data in SMALL.items():
        assert sha256_file(os.path.join(out, name)) == sha256(data), name


@case
def max_per_host_holds_across_threads():
    """12 slow responses, -t 2 -j 8: with --max-per-host 2 the origin never
    sees more than 2 connections at once (1 with --max-per-host 1); without
    a cap it sees more."""
    urls = [f"http://127.0.0.1:{BAD}/slow/{n}" for n in range(12)]
    for cap in ("2", "1"):
        http_get(BAD, "/reset-stats")
        code, body, err = run(["-t", "2", "-j", "8", "--max-per-host", cap, "-P", tmpdir(), "--json", "-",
                               "-q"] + urls, timeout=120)
        assert code == 0, err
        recs, _ = records(body)
        assert len(recs) == 12 and all(r["ok"] for r in recs), recs
        assert stats(BAD)["max_concurrent"] == int(cap), (cap, stats(BAD))
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-t", "2", "-j", "8", "-P", tmpdir(), "-q"] + urls, timeout=120)
    assert code == 0, err
    assert stats(BAD)["max_concurrent"] >= 4, stats(BAD)


@case
def max_per_host_with_a_server_that_closes_every_connection():
    """Every response ends with the server's close (a close-delimited
    body): with -t 2 --max-per-host 1 the place goes from thread to thread
    (or back to the same one) 30 times, never two at once, nothing left
    waiting."""
    http_get(BAD, "/reset-stats")
    urls = [f"http://127.0.0.1:{BAD}/closebody?{n}" for n in range(30)]
    code, body, err = run(["-t", "2", "-j", "8", "--max-per-host", "1", "--discard", "--json", "-", "-q"] + urls,
                          timeout=60)
    assert code == 0, err
    recs, _ = records(body)
    assert len(recs) == 30 and all(r["ok"] and r["bytes"] == 5000 for r in recs), recs[:2]
    assert stats(BAD)["max_concurrent"] == 1, stats(BAD)


@case
def injected_faults_with_threads_and_a_cap_end_and_keep_files_whole():
    """Allocation failures, short socket ops and errors injected now and
    then (RINGFETCH_FAULTS) under -t 2 --max-per-host 2: every run ends (a
    request that fails before taking its connection passes its turn on),
    failures are reported, every file not reported is whole."""
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        f.write("".join(f"{BASE}/f{i}\n" for i in range(60)))
    for seed in range(51, 57):
        out = tmpdir()
        env = dict(os.environ, RINGFETCH_FAULTS=f"{seed}:3:seqm")
        code, _, err = run(["-t", "2", "--max-per-host", "2", "-j", "16", "-P", out, "-i", lst, "--timeout", "10",
                            "--retry", "1", "--retry-delay", "0.01"], env=env, timeout=120)
        assert code in (0, 3, 4), (seed, code, err[-2000:])
        failed = set(re.findall(r"/(f\d+): ", err))
        for name in listdir(out):
            if not name.endswith(".part") and name not in failed:
                assert sha256_file(os.path.join(out, name)) == sha256(SMALL[name]), (seed, name)


@case
def rate_limits_hold_across_threads():
    """Two 2 MiB files of one origin over 2 threads at --limit-rate-per-host
    1M take about 4 s (one limit for both threads, not one each), and at
    --limit-rate 1M the same.  (Timed: not under valgrind, whose start alone
    takes a second; test_rate.py is not in that suite either.)"""
    if WRAPPER:
        raise Skip("timed: not under a wrapper")
    two = os.path.join(WWW, "two.bin")
    if not os.path.exists(two):
        with open(two, "wb") as f:
            f.write(os.urandom(2 << 20))
    for opt in ("--limit-rate-per-host", "--limit-rate"):
        out = tmpdir()
        t0 = time.monotonic()
        code, _, err = run(["-t", "2", "-j", "2", opt, "1M", "-P", out, "-q", f"{BASE}/two.bin?a",
                            f"{BASE}/two.bin?b"], timeout=60)
        secs = time.monotonic() - t0
        assert code == 0, err
        # one bucket per thread would take 2 s: the floor is what shows the
        # limit is shared (a busy machine only makes it slower)
        assert 3.6 <= secs <= 6.0, f"{opt} 1M over two threads: {secs:.2f} s, want 4 s (3.6 to 6)"
        assert listdir(out) == ["two.bin", "two.bin.1"]


@case
def tls_sessions_are_resumed_within_each_thread():
    """HTTPS, -t 2 -j 8, no keep-alive between requests (a new connection
    each): each thread's first handshake is full, the rest resume."""
    from pki import make_pki
    pki = make_pki(tmpdir())
    tls_port = start_nginx(WWW, tls=(pki["server"], pki["key"]), v6=False)
    urls = [f"https://localhost:{tls_port}/f{i}" for i in range(40)]
    code, _, err = run(["-t", "2", "-j", "8", "--cacert", pki["ca"], "-H", "Connection: close", "--discard"] +
                       urls, timeout=120)
    assert code == 0, err
    m = re.search(r"TLS handshakes (\d+) \((\d+) resumed\)", err)
    assert m and int(m.group(1)) == 40 and int(m.group(2)) >= 40 - 2 - 8, err


@case
def same_named_urls_never_share_a_part():
    """40 URLs whose files are all named same.bin, over 2 threads: 40 files
    (same.bin, same.bin.1 ...), each one of the 40 bodies whole, none twice,
    no .part left."""
    out = tmpdir()
    urls = [f"{BASE}/d{i}/same.bin" for i in range(40)]
    code, _, err = run(["-t", "2", "-j", "32", "-P", out, "-q"] + urls, timeout=120)
    assert code == 0, err
    names = listdir(out)
    assert len(names) == 40 and not any(n.endswith(".part") for n in names), names
    got = sorted(sha256_file(os.path.join(out, n)) for n in names)
    assert got == sorted(sha256(b) for b in SAME)


@case
def write_out_lines_stay_whole():
    """-w from two threads: one unbroken line per URL."""
    urls = [f"{BASE}/f{i}" for i in range(200)]
    code, body, err = run(["-t", "2", "-j", "16", "--discard", "-w", "%{http_code} %{url}\\n", "-q"] + urls,
                          timeout=120)
    assert code == 0, err
    lines = body.decode().splitlines()
    assert len(lines) == 200 and all(re.fullmatch(r"200 http://127\.0\.0\.1:\d+/f\d+", l) for l in lines), \
        [l for l in lines if not re.fullmatch(r"200 http://127\.0\.0\.1:\d+/f\d+", l)][:3]
    assert sorted(l.split()[1] for l in lines) == sorted(urls)


@case
def sigint_stops_every_thread_and_c_completes():
    """Four 6 MiB files at --limit-rate 4M over 2 threads, SIGINT after 1 s:
    status 130, no final name, .part files; -c -t 2 then completes each one
    byte-exact."""
    out = tmpdir()
    lst = os.path.join(tmpdir(), "urls.txt")
    with open(lst, "w") as f:
        f.write("".join(f"{BASE}/big.bin?{i}\n  out=b{i}\n" for i in range(4)))
    outs = ["-i", lst]
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + ["-t", "2", "-j", "4", "--limit-rate", "4M", "-P",
                                                               out, "-q"] + outs,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, (p.returncode, err)
    names = listdir(out)
    assert names and all(n.endswith(".part") for n in names), names
    code, _, err = run(["-t", "2", "-j", "4", "-c", "-P", out, "-q"] + outs, timeout=120)
    assert code == 0, err
    assert listdir(out) == ["b0", "b1", "b2", "b3"], listdir(out)
    for n in listdir(out):
        assert sha256_file(os.path.join(out, n)) == sha256(BIG), n


@case
def a_name_is_looked_up_once_for_every_thread():
    """200 URLs of one name over 2 threads: the stub resolver is asked for
    it once per address family, not once per thread."""
    server, _, log = start_dnsstub({"names": {"files.test": {"a": ["127.0.0.1"], "ttl": 300}}}, delay_ms=100)
    urls = [f"http://files.test:{PORT}/f{i}" for i in range(200)]
    code, _, err = run_with_dns(server, ["-t", "2", "-j", "16", "--discard", "-q"] + urls, timeout=120)
    assert code == 0, err
    asked = [q for q in dns_queries(log) if q[0].rstrip(".").lower() == "files.test"]
    types = [q[1] for q in asked]
    assert len(types) == len(set(types)) and len(types) >= 1, asked


@case
def cpus_pins_each_thread_and_its_ring_workers():
    """-t 2 --cpus 1,0 on a slow download: the two loop threads run on CPU 1
    and CPU 0 (their order), and every io-wq worker on one of them."""
    if not {0, 1} <= os.sched_getaffinity(0):
        raise Skip("needs CPUs 0 and 1")
    if WRAPPER:
        raise Skip("threads are valgrind's own under it")
    out = tmpdir()
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + ["-t", "2", "-j", "2", "--cpus", "1,0",
                                                               "--limit-rate", "1M", "-P", out, "-q",
                                                               f"{BASE}/big.bin?x", f"{BASE}/big.bin?y"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        seen = {}
        for tid in os.listdir(f"/proc/{p.pid}/task"):
            try:
                status = open(f"/proc/{p.pid}/task/{tid}/status").read()
            except FileNotFoundError:
                continue
            name = re.search(r"^Name:\s*(\S+)", status, re.M).group(1)
            cpus = re.search(r"^Cpus_allowed_list:\s*(\S+)", status, re.M).group(1)
            seen.setdefault(name, []).append(cpus)
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
    loops = seen.get("ringfetch", [])
    assert sorted(loops) == ["0", "1"], seen
    workers = [c for n, cs in seen.items() if n.startswith("iou-wrk") for c in cs]
    assert all(c in ("0", "1") for c in workers), seen


def url_file(urls):
    path = os.path.join(tmpdir(), "urls.txt")
    with open(path, "w") as f:
        f.write("".join(u + "\n" for u in urls))
    return path


def check_samples(pattern, urls):
    """The tar shards of pattern hold one sample per URL (its key is the
    URL's place in the list), byte-exact; GNU tar lists them quietly."""
    shards, groups = samples(pattern)
    assert sorted(k for k, _, _ in groups) == [f"{i:09}" for i in range(len(urls))], len(groups)
    for key, members, _ in groups:
        meta = json.loads(members["json"])
        name = urls[int(key)].rsplit("/", 1)[1]
        body = [v for ext, v in members.items() if ext != "json"]
        assert meta["url"] == urls[int(key)] and body == [SMALL[name]], key
    gnu_tar_lists(shards)
    return shards, groups


@case
def tar_shards_from_every_thread_and_c_goes_on():
    """--tar over 2 threads: one set of shards numbered in turn, 40 samples
    each, one sample per URL, byte-exact, GNU tar says nothing, both threads
    wrote samples.  Killed half-way, -c -t 2 goes on from the cut shard and
    fetches only what no shard holds."""
    urls = [f"{BASE}/f{i}" for i in range(300)]
    out = tmpdir()
    args = ["-t", "2", "-j", "16", "-P", out, "--tar", "s/{shard:03}.tar", "--shard-size", "40", "-i",
            url_file(urls)]
    code, body, err = run(args + ["--json", "-", "-q"], timeout=120)
    assert code == 0, err
    recs, _ = records(body)
    by_thread = {}
    for r in recs:
        by_thread[r["thread"]] = by_thread.get(r["thread"], 0) + 1
    assert sorted(by_thread) == [0, 1], by_thread
    shards, groups = check_samples(os.path.join(out, "s", "*.tar"), urls)
    assert [os.path.basename(s) for s in shards] == [f"{i:03}.tar" for i in range(8)], shards
    per_shard = {}
    for _, _, shard in groups:
        per_shard[shard] = per_shard.get(shard, 0) + 1
    assert [per_shard[s] for s in shards] == [40] * 7 + [20], per_shard
    # killed once two shards are done; -c with two threads again
    out = tmpdir()
    args = ["-t", "2", "-j", "8", "-P", out, "--tar", "k/{shard:03}.tar", "--shard-size", "40", "-i",
            url_file(urls)]
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + args + ["--limit-rate", "1M", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    kdir = os.path.join(out, "k")
    while time.time() < deadline and len(glob.glob(os.path.join(kdir, "*.tar"))) < 2:
        time.sleep(0.02)
    p.kill()
    p.communicate(timeout=30)
    before = listdir(kdir)
    assert len([n for n in before if n.endswith(".tar")]) >= 2, before  # (and a .part, unless killed between)
    code, body, err = run(args + ["-c", "--json", "-", "-q"], timeout=120)
    assert code == 0, err
    recs, _ = records(body)
    skipped = sum(1 for r in recs if r["skipped"])
    assert len(recs) == 300 and 80 <= skipped < 300, (len(recs), skipped)
    shards, _ = check_samples(os.path.join(out, "k", "*.tar"), urls)
    assert not any(n.endswith(".part") for n in listdir(kdir)), listdir(kdir)


@case
def warc_files_from_every_thread_with_one_record_of_each_payload():
    """--warc-file over 2 threads, rotating at 100K, with -N and --warc-cdx,
    each URL asked twice side by side: files numbered in turn, each record
    naming its own file's warcinfo, one response per payload (the other a
    revisit referring to it), bodies byte-exact, every CDXJ what warcio's
    cdx-index makes of its file."""
    if not os.access(WARCIO, os.X_OK):
        raise Skip("warcio is not installed (scripts/deps puts it into tests/node)")
    urls = [f"{BASE}/f{i}{again}" for i in range(120) for again in ("", "?again")]
    out = tmpdir()
    code, body, err = run(["-t", "2", "-j", "16", "-P", out, "--warc-file", "w/crawl", "--warc-max-size",
                           "100K", "--warc-cdx", "-N", "-i", url_file(urls), "--json", "-", "-q"], timeout=120)
    assert code == 0, err
    recs, _ = records(body)
    assert sorted(set(r["thread"] for r in recs)) == [0, 1], recs[:2]
    names = [n for n in listdir(os.path.join(out, "w")) if n.endswith(".warc.gz")]
    assert len(names) >= 3 and names == [f"crawl-{i:05}.warc.gz" for i in range(len(names))], names
    kept, responses = {}, {}
    for name in names:
        path = os.path.join(out, "w", name)
        cdx_is_warcios(path)
        got = warc_records(path)
        assert got[0][0]["WARC-Type"] == "warcinfo" and got[0][0]["WARC-Filename"] == name, got[0][0]
        info = got[0][0]["WARC-Record-ID"]
        for f, block in got[1:]:
            assert f["WARC-Type"] in ("request", "response", "revisit") and f["WARC-Warcinfo-ID"] == info, f
            if f["WARC-Type"] != "request":
                assert f["WARC-Target-URI"] not in kept, f  # once
                kept[f["WARC-Target-URI"]] = f
            if f["WARC-Type"] == "response":
                uri = f["WARC-Target-URI"]
                assert block.partition(b"\r\n\r\n")[2] == SMALL[uri.rsplit("/", 1)[1].split("?")[0]], uri
                assert f["WARC-Payload-Digest"] not in responses, f  # one response per payload
                responses[f["WARC-Payload-Digest"]] = f
    assert sorted(kept) == sorted(urls), len(kept)
    for f in kept.values():
        if f["WARC-Type"] == "revisit":
            ref = responses[f["WARC-Payload-Digest"]]
            assert (f["WARC-Refers-To-Target-URI"], f["WARC-Refers-To-Date"]) == \
                (ref["WARC-Target-URI"], ref["WARC-Date"]), (f, ref)
    assert len(responses) == 120, len(responses)


@case
def a_full_disk_leaves_every_archive_file_whole_with_threads():
    """Tar shards and WARC files from 2 threads on a disk with room for
    about half (tmpfs, xfs): a sample or record that does not fit fails
    before a byte of it is written, with its file named; every file ends
    whole under its name (no .part) holding nothing past its end; what is
    in them is byte-exact.  With room again, -c -t 2 fetches only what
    failed, and the files hold every URL once."""
    urls = [f"{BASE}/f{i}" for i in range(120)]  # about 500 KB
    for kind in ("tmpfs", "xfs"):
        for fmt, args in (("tar", ["--tar", "{shard:03}.tar", "--shard-size", "10"]),
                          ("warc", ["--warc-file", "w", "--warc-max-size", "50k", "--warc-compression", "none"])):
            with small_disk(kind) as out:
                code, body, err = run(["-t", "2", "-j", "8", "--retry", "0", "-P", out] + args +
                                      ["-i", url_file(urls), "--json", "-", "-q"], timeout=120)
                assert code == 3, (kind, fmt, code, err[-1500:])
                recs, _ = records(body)
                assert sorted(set(r["thread"] for r in recs)) == [0, 1], (kind, fmt)
                names = listdir(out)
                assert names and all(n.endswith("." + fmt) for n in names), (kind, fmt, names)
                nothing_held_past_the_end(out)
                failed = [r for r in recs if r["error"]]
                assert failed and all(r["error"]["message"] == "No space left on device" and
                                      re.match(r"--(tar|warc-file): \S+\.part: ", r["error"]["detail"])
                                      for r in failed), (kind, fmt, [r["error"] for r in failed[:3]])
                kept = 0
                if fmt == "tar":
                    shards, groups = samples(os.path.join(out, "*.tar"))
                    gnu_tar_lists(shards)
                    for key, members, _ in groups:
                        body_ = [v for ext, v in members.items() if ext != "json"]
                        if body_:
                            assert body_ == [SMALL[urls[int(key)].rsplit("/", 1)[1]]], key
                            kept += 1
                else:
                    for n in names:
                        for f, block in warc_records(os.path.join(out, n)):
                            if f["WARC-Type"] == "response":
                                assert block.partition(b"\r\n\r\n")[2] == \
                                    SMALL[f["WARC-Target-URI"].rsplit("/", 1)[1]]
                                kept += 1
                assert kept + len(failed) == len(urls), (kind, fmt, kept, len(failed))
                # room again: -c -t 2 fetches only the failed ones, and the
                # files hold every URL once
                mnt = os.path.dirname(out)
                if kind == "tmpfs":
                    subprocess.run(["mount", "-o", "remount,size=8m", mnt], check=True)
                else:
                    os.unlink(os.path.join(mnt, "filler"))
                code, body, err = run(["-t", "2", "-j", "8", "-c", "-P", out] + args +
                                      ["-i", url_file(urls), "--json", "-", "-q"], timeout=120)
                assert code == 0, (kind, fmt, err[-1500:])
                recs, _ = records(body)
                assert sum(1 for r in recs if not r["skipped"]) == len(failed), (kind, fmt, len(failed))
                names = listdir(out)
                assert all(n.endswith("." + fmt) for n in names), (kind, fmt, names)
                if fmt == "tar":
                    check_samples(os.path.join(out, "*.tar"), urls)
                else:
                    got = [f["WARC-Target-URI"] for n in names for f, _ in warc_records(os.path.join(out, n))
                           if f["WARC-Type"] == "response"]
                    assert sorted(got) == sorted(urls), (kind, len(got))


@case
def a_bad_cpu_list_is_refused():
    """A CPU list that is not one is a usage error; a valid one runs."""
    code, _, err = run(["-t", "2", "--cpus", "0-x", f"{BASE}/f1", "-P", tmpdir()])
    assert code == 2 and "CPU list" in err, (code, err)
    code, _, err = run(["-t", "0", f"{BASE}/f1"])
    assert code == 2 and "-t needs" in err, (code, err)
    out = tmpdir()
    code, _, err = run(["-t", "2", "--cpus", "0", "-P", out, f"{BASE}/f1", f"{BASE}/f2"])
    assert code == 0, err
    assert listdir(out) == ["f1", "f2"]


if __name__ == "__main__":
    main()
