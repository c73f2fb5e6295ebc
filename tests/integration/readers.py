"""Other people's readers of what ringfetch writes, for the tests: GNU tar
and Python's tarfile for tar shards (webdataset's grouping of members into
samples), and for WARC files a parser that checks every record is its own
gzip member with its digests right, plus Webrecorder's warcio (npm, in
tests/node) for its index and CDXJ."""
import base64
import glob
import hashlib
import json
import os
import subprocess
import tarfile
import zlib


def gnu_tar_lists(shards):
    """GNU tar lists every shard, with nothing to say."""
    for s in shards:
        r = subprocess.run(["tar", "-tf", s], capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr, (s, r.stderr)


def samples(pattern):
    """Every shard's members, read as webdataset groups them: consecutive
    members with the same key (the name up to the first '.')."""
    shards = sorted(glob.glob(pattern))
    groups = []
    for s in shards:
        with tarfile.open(s) as t:
            for m in t.getmembers():
                key, ext = m.name.split(".", 1)
                data = t.extractfile(m).read()
                if groups and groups[-1][0] == key and groups[-1][2] == s:
                    groups[-1][1][ext] = data
                else:
                    groups.append((key, {ext: data}, s))
    return shards, groups


WARCIO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "node", "node_modules",
                      ".bin", "warcio")


def warc_records(path):
    """Every record of a WARC file: (fields, block), each checked to be its
    own gzip member (or plain; zstd: the frames as zstd decompresses them,
    and each record's own per its CDXJ line), its digests recomputed."""
    data = open(path, "rb").read()
    if path.endswith(".zst"):
        p = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True)
        assert p.returncode == 0, p.stderr
        cdx = path.rsplit(".warc", 1)[0] + ".cdxj"
        for line in open(cdx) if os.path.exists(cdx) else []:
            j = json.loads(line.split(" ", 2)[2])
            off, n = int(j["offset"]), int(j["length"])
            one = subprocess.run(["zstd", "-dcq"], input=data[off:off + n], capture_output=True).stdout
            assert one.startswith(b"WARC/1.1\r\nWARC-Type: response") and one.endswith(b"\r\n\r\n"), j
            assert j["url"].encode() in one.split(b"\r\n\r\n", 1)[0], j
        data, path = p.stdout, path[:-4]  # parsed as a plain file
    gz = path.endswith(".gz")
    recs = []
    while data:
        if gz:
            d = zlib.decompressobj(31)
            rec = d.decompress(data)
            assert d.eof, "a record is one whole gzip member"
            data = d.unused_data
        else:
            rec, data = data, b""
        while rec:
            head, _, rest = rec.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            assert lines[0] == "WARC/1.1", lines[0]
            f = dict(line.split(": ", 1) for line in lines[1:])
            n = int(f["Content-Length"])
            block, tail, rec = rest[:n], rest[n:n + 4], rest[n + 4:]
            assert tail == b"\r\n\r\n", tail
            assert not gz or not rec, "one record per member"
            sha = lambda b: "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()
            assert f["WARC-Block-Digest"] == sha(block), f
            recs.append((f, block))
    return recs


def cdx_is_warcios(warc):
    """NAME.cdxj beside a WARC file: sorted, and line for line what
    Webrecorder's warcio cdx-index makes of the file."""
    cdx = warc.rsplit(".warc", 1)[0] + ".cdxj"
    ours = open(cdx).read().splitlines()
    assert ours == sorted(ours), cdx
    p = subprocess.run([WARCIO, "cdx-index", warc], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert ours == sorted(p.stdout.splitlines()), (ours, p.stdout)
    return ours


def sha1_b32(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()
