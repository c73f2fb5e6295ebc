#!/usr/bin/env python3
"""--tar: tar shards of samples (KEY.EXT + KEY.json) from a real nginx and
the misbehaving server, read back by other people's readers - GNU tar and
Python's tarfile, webdataset's grouping of consecutive members by key -
byte-exact against what was served: rotation, failures (no partial body
anywhere, KEY.json with the error), names, and what is refused.
--warc-file: WARC records read by Webrecorder's warcio (npm, tests/node)
and parsed member by member here, every digest recomputed."""
import glob
import json
import os
import re
import signal
import subprocess
import time

from pki import make_pki
from harness import (EXTRA_ARGS, RINGFETCH, WRAPPER, Skip, body_of, case, main, nothing_held_past_the_end, run,
                     small_disk, start_badserver, start_nginx, tmpdir)
from readers import WARCIO, cdx_is_warcios, gnu_tar_lists, samples, sha1_b32, warc_records

WWW = tmpdir()
FILES = {}
for i in range(40):
    ext = ("jpg", "txt", "bin", "json")[i % 4]
    data = os.urandom(i * 997 % 70000)
    FILES[f"f{i}.{ext}"] = data
    with open(os.path.join(WWW, f"f{i}.{ext}"), "wb") as f:
        f.write(data)
with open(os.path.join(WWW, "noext"), "wb") as f:
    f.write(b"plain")
BIG = os.urandom(3 * 1024 * 1024 + 77)  # beyond what a WARC record keeps in memory
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
PORT = start_nginx(WWW)
BASE = f"http://127.0.0.1:{PORT}"
PKI = make_pki(tmpdir())
TLS = start_nginx(WWW, v6=False, tls=(PKI["server"], PKI["key"]))
BAD = start_badserver()
BADURL = f"http://127.0.0.1:{BAD}"


def url_list(lines):
    path = os.path.join(tmpdir(), "urls")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def fill_the_disk(out, fmt):
    """40 URLs (about 0.8 MB) into an archive on a disk with room for half:
    the disk is taken as regions are handed out, so a sample or record
    that does not fit fails (the file named) before a byte of it is
    written, and every file ends whole - no .part - holding nothing past
    its end.  The files, each read whole."""
    names = sorted(FILES)
    args = {"tar": ["--tar", "{shard:03}.tar", "--shard-size", "3"],
            "warc": ["--warc-file", "f", "--warc-max-size", "60k", "--warc-compression", "none"]}[fmt]
    code, _, err = run(["-j", "4", "--retry", "0", "-P", out] + args + [f"{BASE}/{n}" for n in names])
    assert code == 3 and "No space left on device" in err, (code, err[-2000:])
    named = {"tar": r"--tar: \S+/\d{3}\.tar\.part: ", "warc": r"--warc-file: \S+/f-\d{5}\.warc\.part: "}[fmt]
    assert re.search(r"/f\d+\.\w+: No space left on device \(" + named, err), err[-2000:]
    done = sorted(os.listdir(out))
    assert done and all(n.endswith("." + fmt) for n in done), done
    nothing_held_past_the_end(out)
    if fmt == "tar":
        shards, groups = samples(os.path.join(out, "*.tar"))
        assert groups, shards
        for key, members, shard in groups:
            meta = json.loads(members["json"])
            body = [v for e, v in members.items() if e != "json"]
            if "error" in meta:
                assert not body, (key, meta)
            else:
                assert body == [FILES[names[int(key)]]], (shard, key)
        gnu_tar_lists(shards)
    else:
        responses = 0
        for n in done:
            for f, block in warc_records(os.path.join(out, n)):
                if f["WARC-Type"] == "response":
                    responses += 1
                    assert block.partition(b"\r\n\r\n")[2] == FILES[f["WARC-Target-URI"].rsplit("/", 1)[1]]
        assert responses, done


def interrupted(args, done):
    """Run ringfetch, send SIGINT once `done` URLs are reported (the rest
    hang): it must end with 130."""
    j = os.path.join(tmpdir(), "r.json")
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + args + ["--json", j], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(j) and open(j).read().count('"type":"result"') >= done:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # the hanging ones are under way too
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (p.returncode, err)


@case
def samples_are_byte_exact_and_read_by_tar_and_tarfile():
    d = tmpdir()
    names = sorted(FILES)
    code, out, err = run(["-j", "16", "-P", d, "--tar", "s/{shard:04}.tar", "--shard-size", "7"] +
                         [f"{BASE}/{n}" for n in names])
    assert code == 0, err
    shards, groups = samples(os.path.join(d, "s", "*.tar"))
    assert [os.path.basename(s) for s in shards] == [f"{i:04}.tar" for i in range(6)], shards
    assert not glob.glob(os.path.join(d, "s", "*.part")), os.listdir(os.path.join(d, "s"))
    assert len(groups) == 40 and sorted(k for k, _, _ in groups) == [f"{i:09}" for i in range(40)], groups
    counts = {}
    for key, members, shard in groups:
        counts[shard] = counts.get(shard, 0) + 1
        meta = json.loads(members["json"])
        name = names[int(key)]
        ext = name.split(".", 1)[1]
        body_ext = "body.json" if ext == "json" else ext
        assert set(members) == {body_ext, "json"}, (key, list(members))
        assert members[body_ext] == FILES[name], (key, name)
        assert meta["key"] == key and meta["url"] == f"{BASE}/{name}" and meta["status"] == 200, meta
        assert meta["size"] == len(FILES[name]) and "error" not in meta, meta
    assert sorted(counts.values()) == [5] + [7] * 5, counts
    # GNU tar: lists and extracts every shard, nothing to say
    for s in shards:
        x = tmpdir()
        p = subprocess.run(["tar", "-xf", s, "-C", x], capture_output=True, text=True)
        assert p.returncode == 0 and not p.stderr, p.stderr
        for f in os.listdir(x):
            key, ext = f.split(".", 1)
            if ext != "json":
                assert open(os.path.join(x, f), "rb").read() == FILES[names[int(key)]], f


@case
def failures_leave_no_partial_body():
    d = tmpdir()
    lst = url_list([f"{BASE}/f1.txt",
                    f"{BADURL}/bigcut/200000/reset",     # half a body, then a reset
                    f"{BADURL}/truncated",               # 500 of 1000 bytes, then the close
                    f"{BADURL}/status/503",
                    f"{BADURL}/truncated-chunked",       # no length, and cut
                    f"{BASE}/noext", "  key=plain-one",
                    f"{BASE}/f2.bin"])
    code, out, err = run(["-j", "4", "--retry", "0", "-P", d, "--tar", "a.tar", "-i", lst])
    assert code != 0, err
    shards, groups = samples(os.path.join(d, "a.tar"))
    assert len(shards) == 1 and not os.path.exists(os.path.join(d, "a.tar.part")), os.listdir(d)
    by_key = {k: m for k, m, _ in groups}
    assert sorted(by_key) == ["000000000", "000000001", "000000002", "000000003", "000000004",
                              "000000006", "plain-one"], sorted(by_key)
    for k in ("000000001", "000000002", "000000003", "000000004"):
        assert list(by_key[k]) == ["json"], (k, list(by_key[k]))  # the metadata alone
        meta = json.loads(by_key[k]["json"])
        assert meta["error"] and meta["key"] == k, meta
    assert json.loads(by_key["000000003"]["json"])["status"] == 503
    assert body_of(3000)[:900] not in open(glob.glob(os.path.join(d, "a.tar"))[0], "rb").read()
    body = [v for k, v in by_key["plain-one"].items() if k != "json"]  # EXT from nginx's type
    assert body == [b"plain"] and by_key["000000000"]["txt"] == FILES["f1.txt"], by_key["plain-one"]
    assert by_key["000000006"]["bin"] == FILES["f2.bin"]
    # no byte of a cut body anywhere in the archive
    raw = open(shards[0], "rb").read()
    assert body_of(200000)[:4096] not in raw and body_of(1000)[:400] not in raw
    p = subprocess.run(["tar", "-tf", shards[0]], capture_output=True, text=True)
    assert p.returncode == 0 and not p.stderr and "PaxHeaders" not in p.stdout, (p.stdout, p.stderr)


@case
def bodies_of_unknown_length_are_staged():
    # chunked, to the close, decoded (--compressed), and one of 3 MiB: staged
    # in an unnamed file, then copied into the sample's region
    d = tmpdir()
    lst = url_list([f"{BADURL}/chunked", f"{BADURL}/closebody", f"{BADURL}/bigchunked/3145728",
                    f"{BADURL}/gzip", f"{BASE}/f3.json"])
    code, out, err = run(["-j", "5", "--compressed", "-P", d, "--tar", "c/{shard}.tar", "-i", lst])
    assert code == 0, err
    shards, groups = samples(os.path.join(d, "c", "*.tar"))
    bodies = {k: [v for e, v in m.items() if e != "json"] for k, m, _ in groups}
    assert bodies == {"000000000": [body_of(10000)], "000000001": [body_of(5000)],
                      "000000002": [body_of(3145728)], "000000003": [body_of(5000)],
                      "000000004": [FILES["f3.json"]]}, {k: [len(x) for x in v] for k, v in bodies.items()}
    metas = {k: json.loads(m["json"]) for k, m, _ in groups}
    assert metas["000000002"]["size"] == 3145728 and metas["000000003"]["size"] == 5000, metas
    assert os.listdir(os.path.join(d, "c")) == ["0.tar"], os.listdir(os.path.join(d, "c"))


@case
def an_interrupted_run_leaves_every_shard_whole():
    # two bodies hang half-way (reserved, partly written) when SIGINT comes
    d = tmpdir()
    lst = url_list([f"{BASE}/f{i}.bin" for i in (2, 6, 10, 14)] +
                   [f"{BADURL}/bigcut/200000/silent", f"{BADURL}/bigcut/300000/silent"] +
                   [f"{BASE}/f{i}.bin" for i in (18, 22, 26, 30)])
    interrupted(["-j", "4", "-P", d, "--tar", "i/{shard}.tar", "--shard-size", "3", "-i", lst], done=8)
    names = sorted(os.listdir(os.path.join(d, "i")))
    assert names and all(n.endswith(".tar") for n in names), names  # every shard ended
    shards, groups = samples(os.path.join(d, "i", "*.tar"))
    keys = [k for k, _, _ in groups]
    assert sorted(keys) == ["000000000", "000000001", "000000002", "000000003", "000000006",
                            "000000007", "000000008", "000000009"], keys  # the cut ones: nothing
    for s in shards:
        raw = open(s, "rb").read()
        assert body_of(200000)[:4096] not in raw and body_of(300000)[:4096] not in raw, s
        r = subprocess.run(["tar", "-tf", s], capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr, r.stderr


@case
def a_killed_run_goes_on_with_c():
    # kill -9 while two bodies hang half-way: a cut NAME.part with holes
    d = tmpdir()
    urls = ([f"{BASE}/f{i}.bin" for i in range(2, 40, 4)] +
            [f"{BADURL}/bigcut/200000/silent"] + [f"{BASE}/f{i}.txt" for i in range(1, 40, 4)])
    lst = url_list(urls)
    args = ["-j", "3", "-P", d, "--tar", "k/{shard}.tar", "--shard-size", "4", "-i", lst]
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(1.5 if not WRAPPER else 6)
    p.kill()
    p.communicate(timeout=30)
    before = sorted(os.listdir(os.path.join(d, "k")))
    assert any(n.endswith(".part") for n in before), before
    # -c: the cut shard goes on from its last whole sample; what is there is
    # not fetched again; the hanging URL now times out and is a failure sample
    j = os.path.join(tmpdir(), "r.json")
    code, out, err = run(args + ["-c", "--timeout", "1", "--json", j], timeout=120)
    assert code == 4, (code, err)
    recs = [json.loads(line) for line in open(j)]
    skipped = [r for r in recs if r.get("type") == "result" and r["skipped"]]
    fetched = [r for r in recs if r.get("type") == "result" and not r["skipped"]]
    assert skipped and len(skipped) + len(fetched) == len(urls), (len(skipped), len(fetched))
    after = sorted(os.listdir(os.path.join(d, "k")))
    assert all(n.endswith(".tar") for n in after), after
    shards, groups = samples(os.path.join(d, "k", "*.tar"))
    keys = [k for k, _, _ in groups]
    assert sorted(keys) == [f"{i:09}" for i in range(len(urls))], keys  # each once
    for k, members, _ in groups:
        meta = json.loads(members["json"])
        if urls[int(k)].startswith(BADURL):
            assert "error" in meta and list(members) == ["json"], meta
        else:
            body = [v for e, v in members.items() if e != "json"]
            assert body == [FILES[urls[int(k)].rsplit("/", 1)[1]]], k
    gnu_tar_lists(shards)
    # once more: everything is there (the failure is fetched again, fails again)
    code, out, err = run(args + ["-c", "--timeout", "1", "--json", j], timeout=120)
    recs = [json.loads(line) for line in open(j) if '"result"' in line]
    assert sum(1 for r in recs if not r["skipped"]) == 1, recs
    # ... and the failure's older sample is voided in place: one sample a URL
    shards, groups = samples(os.path.join(d, "k", "*.tar"))
    keys = [k for k, _, _ in groups]
    assert sorted(keys) == [f"{i:09}" for i in range(len(urls))], keys
    gnu_tar_lists(shards)


@case
def a_failure_fetched_again_leaves_one_sample():
    # run 1: five URLs fail (one in the middle of a shard, one at its end,
    # a whole shard of three); -c fetches them again and they succeed: the
    # failures' samples go, in place (voided; cut off the shard's end, the
    # voids before them too; the shard that held only failures is an empty
    # archive), one sample a URL is left
    d = tmpdir()
    tag = os.urandom(4).hex()
    urls = ([f"{BASE}/f2.bin", f"{BADURL}/flaky/{tag}a/1/503/none", f"{BASE}/f6.bin"] +
            [f"{BASE}/f{i}.bin" for i in (10, 14)] + [f"{BADURL}/flaky/{tag}b/1/503/none"] +
            [f"{BADURL}/flaky/{tag}{c}/1/503/none" for c in "cde"])
    args = ["-j", "1", "--retry", "0", "-P", d, "--tar", "r/{shard}.tar", "--shard-size", "3",
            "-i", url_list(urls)]
    code, out, err = run(args)
    assert code == 6 and err.count("HTTP 503") == 5, (code, err)
    _, groups = samples(os.path.join(d, "r", "*.tar"))
    assert [(k, os.path.basename(s)) for k, _, s in groups] == [(f"{i:09}", f"{i // 3}.tar") for i in range(9)]
    code, out, err = run(args + ["-c"])
    assert code == 0, (code, err)
    shards, groups = samples(os.path.join(d, "r", "*.tar"))
    assert os.path.getsize(os.path.join(d, "r", "2.tar")) == 1024, os.path.getsize(os.path.join(d, "r", "2.tar"))
    keys = [k for k, _, _ in groups]
    assert sorted(keys) == [f"{i:09}" for i in range(9)], keys  # each once
    for k, members, _ in groups:
        meta = json.loads(members["json"])
        assert "error" not in meta, meta
        body = [v for e, v in members.items() if e != "json"]
        want = body_of(100) if urls[int(k)].startswith(BADURL) else FILES[urls[int(k)].rsplit("/", 1)[1]]
        assert body == [want], (k, list(members))
    gnu_tar_lists(shards)


@case
def a_full_disk_leaves_every_finished_shard_whole():
    with small_disk() as out:
        fill_the_disk(out, "tar")


@case
def full_ext4_and_xfs_disks_leave_every_archive_file_whole():
    """The same on real filesystems (loop devices): tar shards and WARC
    files, each on a disk of its own."""
    for kind in ("ext4", "xfs"):
        for fmt in ("tar", "warc"):
            with small_disk(kind) as out:
                fill_the_disk(out, fmt)


@case
def shards_rotate_by_bytes():
    d = tmpdir()
    names = sorted(FILES)
    code, out, err = run(["-j", "8", "-P", d, "--tar", "b-{shard}.tar", "--shard-bytes", "200k"] +
                         [f"{BASE}/{n}" for n in names])
    assert code == 0, err
    shards, groups = samples(os.path.join(d, "b-*.tar"))
    assert len(groups) == 40 and len(shards) >= 5, (len(groups), shards)
    for s in shards[:-1]:  # a shard closes on the sample that takes it past the size
        size = os.path.getsize(s)
        assert size >= 200_000, (s, size)


@case
def what_is_refused_is_named():
    for args, why in ((["--tar", "x-{shard}-{shard}.tar"], "{shard}"),
                      (["--tar", "x.tar", "--shard-size", "3"], "{shard}"),
                      (["--shard-size", "3"], "--tar"),
                      (["--tar", "x.tar", "-N"], "--tar"),
                      (["--tar", "x.tar", "--shard-bytes", "lots"], "--shard-bytes")):
        code, out, err = run(["-P", tmpdir()] + args + [f"{BASE}/f1.txt"])
        assert code == 2 and why in err, (args, code, err)
    # -c over one finished file: nothing to go on from
    d = tmpdir()
    code, out, err = run(["-P", d, "--tar", "one.tar", f"{BASE}/f1.txt"])
    assert code == 0, err
    code, out, err = run(["-P", d, "-c", "--tar", "one.tar", f"{BASE}/f2.bin"])
    assert code == 2 and "complete" in err and "{shard}" in err, (code, err)
    lst = url_list([f"{BASE}/f1.txt", "  key=a.b"])
    code, out, err = run(["-P", tmpdir(), "--tar", "x.tar", "-i", lst])
    assert code != 0 and "key=a.b" in err, err


def dechunk(body):
    out = b""
    while True:
        line, _, body = body.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if not n:
            return out
        out, body = out + body[:n], body[n + 2:]


@case
def warc_records_are_what_was_sent_and_received():
    if not os.access(WARCIO, os.X_OK):
        raise Skip("warcio is not installed (scripts/deps puts it into tests/node)")
    d = tmpdir()
    urls = [f"{BASE}/f{i}.bin" for i in (2, 6, 10, 14)] + [f"{BADURL}/chunked", f"{BADURL}/redirect/1",
                                                           f"{BADURL}/bigcut/200000/reset"]
    code, out, err = run(["-j", "4", "--retry", "0", "-P", d, "--warc-file", "crawl", "-H",
                          "Authorization: Bearer s3cret", "-H", "X-Seen: 1"] + urls)
    assert code == 4, (code, err)
    assert os.listdir(d) == ["crawl.warc.gz"], os.listdir(d)
    path = os.path.join(d, "crawl.warc.gz")
    recs = warc_records(path)
    assert recs[0][0]["WARC-Type"] == "warcinfo" and b"ringfetch" in recs[0][1], recs[0]
    assert b"s3cret" not in recs[0][1] and b"Authorization: ***" in recs[0][1], recs[0][1]
    by_id = {f["WARC-Record-ID"]: (f, b) for f, b in recs}
    responses = [(f, b) for f, b in recs if f["WARC-Type"] == "response"]
    got = {f["WARC-Target-URI"] for f, _ in responses}
    # the cut one is not there; the redirect's hops and final answer are
    assert got == set(urls[:4]) | {f"{BADURL}/chunked", f"{BADURL}/ok/123", f"{BADURL}/redirect/1",
                                   f"{BADURL}/redirect/0"}, got
    hops = [b for f, b in responses if "/redirect/" in f["WARC-Target-URI"]]
    assert all(b.split(b" ")[1].startswith(b"30") and b"\r\nlocation: " in b.lower() for b in hops), hops
    for f, block in responses:
        req_f, req_b = by_id[f["WARC-Concurrent-To"]]
        assert req_f["WARC-Type"] == "request" and req_f["WARC-Concurrent-To"] == f["WARC-Record-ID"]
        assert b"Authorization: ***\r\n" in req_b and b"s3cret" not in req_b and b"X-Seen: 1" in req_b
        assert f["WARC-IP-Address"] == "127.0.0.1" and f["WARC-Date"].endswith("Z"), f
        head, _, body = block.partition(b"\r\n\r\n")
        payload = dechunk(body) if b"chunked" in head.lower() else body
        assert f["WARC-Payload-Digest"] == sha1_b32(payload), f
        uri = f["WARC-Target-URI"]
        if uri.startswith(BASE):
            assert payload == FILES[uri.rsplit("/", 1)[1]], uri
        elif uri.endswith("/chunked"):
            assert payload == body_of(10000) and b"transfer-encoding: chunked" in head.lower()
    # warcio reads it: every record at its member's offset
    p = subprocess.run([WARCIO, "index", path], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    idx = [json.loads(line) for line in p.stdout.splitlines()]
    assert [x["warc-type"] for x in idx] == [f["WARC-Type"] for f, _ in recs], idx
    # uncompressed, credentials kept when asked
    d2 = tmpdir()
    code, out, err = run(["-P", d2, "--warc-file", "plain", "--warc-compression", "none",
                          "--warc-keep-credentials", "-H", "Authorization: Bearer s3cret", urls[0]])
    assert code == 0 and os.listdir(d2) == ["plain.warc"], (code, err, os.listdir(d2))
    recs = warc_records(os.path.join(d2, "plain.warc"))
    assert [f["WARC-Type"] for f, _ in recs] == ["warcinfo", "request", "response"], recs
    assert b"Authorization: Bearer s3cret" in recs[1][1]
    p = subprocess.run([WARCIO, "index", os.path.join(d2, "plain.warc")], capture_output=True, text=True)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 3, (p.stdout, p.stderr)
    for args, why in ((["--warc-file", "x", "--tar", "y.tar"], "--warc-file"),
                      (["--warc-compression", "none"], "--warc-file"),
                      (["--warc-file", "x", "--warc-compression", "zip"], "gzip, zstd or none"),
                      (["--warc-file", "x", "--compressed"], "--compressed")):
        code, out, err = run(["-P", tmpdir()] + args + [urls[0]])
        assert code == 2 and why in err, (args, code, err)


@case
def big_and_error_responses_are_recorded_whole():
    # 3 MiB bodies (with a length and chunked) go through the spill file,
    # compressed piece by piece; a 404 is recorded as the server sent it
    if not os.access(WARCIO, os.X_OK):
        raise Skip("warcio is not installed (scripts/deps puts it into tests/node)")
    n = 3 * 1024 * 1024 + 5
    urls = [f"{BASE}/big.bin?{i}" for i in range(3)] + [f"{BADURL}/bigchunked/{n}", f"{BADURL}/status/404",
                                                        f"{BASE}/f3.json", f"{BADURL}/bigcut/900000/reset"]
    for comp, name in (("gzip", "big.warc.gz"), ("none", "big.warc"), ("zstd", "big.warc.zst")):
        d = tmpdir()
        code, out, err = run(["-j", "8", "--retry", "0", "-P", d, "--warc-file", "big", "--warc-cdx",
                              "--warc-compression", comp] + urls, timeout=120)
        assert code == 4, (code, err)
        assert sorted(os.listdir(d)) == ["big.cdxj", name], os.listdir(d)  # no staging file left behind
        if comp != "zstd":  # warcio does not read zstd WARCs (yet): warc_records checks the CDXJ
            assert len(cdx_is_warcios(os.path.join(d, name))) == 6
        recs = warc_records(os.path.join(d, name))
        responses = {f["WARC-Target-URI"]: (f, b) for f, b in recs if f["WARC-Type"] == "response"}
        assert set(responses) == set(urls[:6]), sorted(responses)  # not the cut one
        for uri, (f, block) in responses.items():
            head, _, body = block.partition(b"\r\n\r\n")
            payload = dechunk(body) if b"chunked" in head.lower() else body
            assert f["WARC-Payload-Digest"] == sha1_b32(payload), (uri, f)
            assert "WARC-Truncated" not in f, f
            if "big.bin" in uri:
                assert payload == BIG, uri
            elif "bigchunked" in uri:
                assert payload == body_of(n) and b"transfer-encoding: chunked" in head.lower()
            elif "status/404" in uri:
                assert block.startswith(b"HTTP/1.1 404"), block[:40]
        if comp == "zstd":
            continue
        p = subprocess.run([WARCIO, "index", os.path.join(d, name)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        assert [json.loads(x)["warc-type"] for x in p.stdout.splitlines()] == [f["WARC-Type"] for f, _ in recs]


@case
def odd_responses_are_recorded_as_a_replay_tool_reads_them():
    # interim 1xx answers are not the record (its first status line is the
    # final one); bytes after a response are not its; a close-delimited body
    # and a gzip-coded one are kept as sent, the payload digest of the coded
    # entity; a header section past the limits fails and is not recorded
    d = tmpdir()
    urls = [f"{BADURL}/interim", f"{BADURL}/extra", f"{BADURL}/closebody", f"{BADURL}/gzip",
            f"{BADURL}/status-big", f"{BADURL}/many-headers"]
    code, out, err = run(["-j", "2", "--retry", "0", "-P", d, "--warc-file", "o", "--warc-cdx"] + urls)
    assert code == 4 and "many-headers: too many response header fields" in err, (code, err)
    recs = warc_records(os.path.join(d, "o.warc.gz"))
    got = {f["WARC-Target-URI"]: (f, b) for f, b in recs if f["WARC-Type"] == "response"}
    assert set(got) == set(urls[:5]), sorted(got)
    f, b = got[f"{BADURL}/status-big"]  # an error's big body is read whole and recorded
    assert b.startswith(b"HTTP/1.1 500") and b.endswith(body_of(300000)), b[:40]
    f, b = got[f"{BADURL}/interim"]
    assert b.startswith(b"HTTP/1.1 200") and b.endswith(body_of(321)) and b" 100 " not in b, b[:80]
    f, b = got[f"{BADURL}/extra"]
    assert b.endswith(body_of(10)) and b"bad" not in b, b
    f, b = got[f"{BADURL}/closebody"]
    assert b.endswith(body_of(5000)) and f["WARC-Payload-Digest"] == sha1_b32(body_of(5000)), f
    f, b = got[f"{BADURL}/gzip"]
    head, _, body = b.partition(b"\r\n\r\n")
    assert b"content-encoding: gzip" in head.lower() and f["WARC-Payload-Digest"] == sha1_b32(body), f
    assert len(cdx_is_warcios(os.path.join(d, "o.warc.gz"))) == 5


@case
def n_records_a_payload_seen_before_as_a_revisit():
    # -N: a 2xx payload recorded before (this run; the files -c reads) is a
    # revisit record (identical-payload-digest), the header section alone,
    # referring to the first; the first stays a response
    d = tmpdir()
    one = [f"{BASE}/f9.txt", f"{BASE}/big.bin", f"{BASE}/f9.txt?again", f"{BASE}/big.bin?again"]
    args = ["-j", "1", "-P", d, "--warc-file", "n", "--warc-cdx", "-N"]
    code, out, err = run(args + one, timeout=120)
    assert code == 0, (code, err)
    two = [f"{BASE}/f9.txt?third", f"{BASE}/f13.txt"]
    code, out, err = run(args + ["-c"] + one + two, timeout=120)
    assert code == 0, (code, err)
    names = sorted(n for n in os.listdir(d) if n.endswith(".warc.gz"))
    assert names == ["n-00001.warc.gz", "n.warc.gz"], os.listdir(d)
    recs = [r for n in names for r in warc_records(os.path.join(d, n))]
    first = {}
    kinds = {}
    for f, block in recs:
        if f["WARC-Type"] == "response":
            first[f["WARC-Payload-Digest"]] = f
        if f["WARC-Type"] in ("response", "revisit"):
            kinds[f["WARC-Target-URI"]] = (f, block)
    assert sorted(kinds) == sorted(one + two), sorted(kinds)  # -c fetched only the new ones
    for uri, (f, block) in kinds.items():
        want = "response" if uri in (one[0], one[1], two[1]) else "revisit"
        assert f["WARC-Type"] == want, (uri, f)
        if want == "revisit":
            ref = first[f["WARC-Payload-Digest"]]
            assert f["WARC-Profile"].endswith("/revisit/identical-payload-digest"), f
            assert (f["WARC-Refers-To-Target-URI"], f["WARC-Refers-To-Date"]) == \
                (ref["WARC-Target-URI"], ref["WARC-Date"]), (f, ref)
            assert block.endswith(b"\r\n\r\n") and block.startswith(b"HTTP/1.1 200"), block[-40:]
            assert f["WARC-Truncated"] == "length" and f["WARC-Block-Digest"] == sha1_b32(block), f
    for n in names:
        cdx_is_warcios(os.path.join(d, n))


@case
def n_never_refers_to_a_record_the_disk_had_no_room_for():
    # -N on a full disk: the first response of a payload (big header
    # fields) finds no room; the next with the same payload is recorded
    # in full, not as a revisit of a record that is nowhere
    with small_disk() as out:
        with open(os.path.join(os.path.dirname(out), "filler"), "wb") as f:
            f.write(b"x" * (336 << 10))  # about 64 KiB left
        big, small = f"{BADURL}/hdr/20000?big=50000", f"{BADURL}/hdr/20000"
        code, _, err = run(["-j", "1", "--retry", "0", "-P", out, "--warc-file", "n", "-N",
                            "--warc-compression", "none", big, small])
        assert code == 3 and f"{big}: No space left on device" in err, (code, err)
        recs = warc_records(os.path.join(out, "n.warc"))
        kinds = [(f["WARC-Type"], f.get("WARC-Target-URI")) for f, _ in recs]
        assert kinds == [("warcinfo", None), ("request", small), ("response", small)], kinds
        assert recs[2][1].partition(b"\r\n\r\n")[2] == body_of(20000)


@case
def warc_files_rotate_and_a_killed_run_goes_on_with_c():
    for comp in ("gzip", "zstd"):
        a_killed_run_goes_on(comp)


def a_killed_run_goes_on(comp):
    ext = {"gzip": ".warc.gz", "zstd": ".warc.zst"}[comp]
    d = tmpdir()
    urls = [f"{BASE}/f{i}.bin?{k}" for k in range(3) for i in range(2, 40, 4)]
    lst = url_list(urls)
    args = ["-j", "3", "-P", d, "--warc-file", "w/crawl", "--warc-max-size", "100K", "--warc-cdx",
            "--warc-compression", comp, "-i", lst]
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + args + ["--limit-rate", "1M"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wd = os.path.join(d, "w")
    deadline = time.time() + 60
    while time.time() < deadline and len(glob.glob(os.path.join(wd, "*" + ext))) < 2:
        time.sleep(0.05)
    p.kill()
    p.communicate(timeout=30)
    before = sorted(os.listdir(wd))
    assert len([n for n in before if n.endswith(ext)]) >= 2, before
    # -c: the cut file goes on from its last whole record; what is recorded is
    # not fetched again
    j = os.path.join(tmpdir(), "r.json")
    code, out, err = run(args + ["-c", "--json", j], timeout=120)
    assert code == 0, (code, err)
    recs = [json.loads(line) for line in open(j)]
    skipped = [r for r in recs if r.get("type") == "result" and r["skipped"]]
    fetched = [r for r in recs if r.get("type") == "result" and not r["skipped"]]
    assert skipped and fetched and len(skipped) + len(fetched) == len(urls), (len(skipped), len(fetched))
    after = sorted(n for n in os.listdir(wd) if not n.endswith(".cdxj"))
    assert after == [f"crawl-{i:05}{ext}" for i in range(len(after))], after
    assert sorted(os.listdir(wd)) == sorted(after + [n.replace(ext, ".cdxj") for n in after])
    seen = []
    for name in after:
        if comp == "gzip":  # the cut one's too: what it held before is indexed
            cdx_is_warcios(os.path.join(wd, name))
        recs = warc_records(os.path.join(wd, name))
        assert recs[0][0]["WARC-Type"] == "warcinfo" and recs[0][0]["WARC-Filename"] == name, recs[0][0]
        info = {f["WARC-Record-ID"] for f, _ in recs if f["WARC-Type"] == "warcinfo"}
        for f, block in recs:
            if f["WARC-Type"] == "response":
                assert f["WARC-Warcinfo-ID"] in info, f
                seen.append(f["WARC-Target-URI"])
                body = block.partition(b"\r\n\r\n")[2]
                assert body == FILES[f["WARC-Target-URI"].rsplit("/", 1)[1].split("?")[0]]
    assert sorted(seen) == sorted(urls), (len(seen), len(urls))  # each once


@case
def warc_files_stay_whole_on_sigint_a_full_disk_and_over_https():
    # HTTPS: the records are the plaintext exchange; big bodies spill too
    d = tmpdir()
    urls = [f"https://localhost:{TLS}/big.bin", f"https://localhost:{TLS}/f6.bin"]
    code, out, err = run(["-P", d, "--cacert", PKI["ca"], "--warc-file", "s"] + urls, timeout=120)
    assert code == 0, err
    recs = warc_records(os.path.join(d, "s.warc.gz"))
    got = {f["WARC-Target-URI"]: b for f, b in recs if f["WARC-Type"] == "response"}
    assert got[urls[0]].partition(b"\r\n\r\n")[2] == BIG and got[urls[1]].endswith(FILES["f6.bin"])
    # SIGINT while two responses hang half-way: every file ends whole, the
    # cut responses are not in them
    lst = url_list([f"{BASE}/f{i}.bin" for i in (2, 6, 10)] +
                   [f"{BADURL}/bigcut/200000/silent", f"{BADURL}/bigcut/900000/silent"] +
                   [f"{BASE}/f{i}.bin" for i in (18, 22, 26)])
    interrupted(["-j", "4", "-P", d, "--warc-file", "i", "--warc-max-size", "30k", "-i", lst], done=6)
    names = sorted(n for n in os.listdir(d) if n.startswith("i-"))
    assert names and all(n.endswith(".warc.gz") for n in names), names
    uris = []
    for n in names:
        uris += [f["WARC-Target-URI"] for f, _ in warc_records(os.path.join(d, n)) if f["WARC-Type"] == "response"]
    assert sorted(uris) == sorted(f"{BASE}/f{i}.bin" for i in (2, 6, 10, 18, 22, 26)), uris
    # a full disk: the records that fit are in whole files, the rest failed
    with small_disk() as out:
        fill_the_disk(out, "warc")


if __name__ == "__main__":
    main()
