#!/usr/bin/env python3
"""Names that survive re-runs (README "Output files", "Re-runs"): a file
belongs to one URL, provably (its user.xdg.origin.url record); names follow
the list, never completion order; -c, -N and --no-clobber take only a URL's
own file; a 206 of another version is never spliced onto a .part; the three
HTTP-date forms; JSON that is JSON whatever the bytes; bad list lines get
records.  Run against tests/servers/badserver.py's /versioned/ resource."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import (Skip, body_of, case, http_get, listdir, main, run, run_with_hosts, start_badserver,
                     tmpdir)

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"
ORIGIN = "user.xdg.origin.url"
_keys = iter(range(10**6))
MIB = 1 << 20


def key(prefix="k"):
    return f"{prefix}{next(_keys)}x"


def body(url):
    """What /versioned/KEY/N?v=V serves for url."""
    path, _, query = url.partition("?")
    k, n = path.split("/")[-2:]
    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
    return body_of(int(n), q.get("v", "v1") + k)


def log(k):
    return [l for l in http_get(BAD, f"/log/{k}").splitlines() if l]


def records(stdout):
    recs = [json.loads(l) for l in stdout.decode().splitlines() if l.strip()]
    assert recs and recs[-1]["type"] == "summary", recs
    return recs[:-1], recs[-1]


def check_dir(out, recs, urls, users=()):
    """Every URL's bytes under the name its record gives; every file's bytes
    those of the URL its origin record names; nothing else left but .part."""
    assert sorted(r["url"] for r in recs) == sorted(urls), recs
    paths = [r["path"] for r in recs]
    assert len(set(paths)) == len(paths), paths
    for r in recs:
        assert r["ok"], r
        with open(r["path"], "rb") as f:
            assert f.read() == body(r["url"]), r
    for name in listdir(out):
        p = os.path.join(out, name)
        if name.endswith(".part") or name in users:
            continue
        origin = os.getxattr(p, ORIGIN).decode()
        with open(p, "rb") as f:
            assert f.read() == body(origin), (name, origin)


MODES = [[], ["-c"], ["-N"], ["-nc"], ["--split", "2"], ["-c", "--split", "2"]]


@case
def rerun_matrix_same_named_urls():
    """Every combination of two runs over the modes, with three URLs of one
    name (4 MiB each, so --split 2 cuts them) and a file of the user's under
    that name: each run leaves every URL's own bytes under its record's name
    and the user's file untouched; the careful modes give each URL the name
    it had before."""
    n = 4 * MIB
    for i, first in enumerate(MODES):
        for j, second in enumerate(MODES):
            out = tmpdir()
            with open(os.path.join(out, str(n)), "wb") as f:
                f.write(b"the user's own")
            urls = [f"{URL}/versioned/{key('m')}/{n}" for _ in range(3)]
            names = None
            for mode in (first, second):
                code, stdout, err = run(mode + ["-j", "4", "-P", out, "--json", "-"] + urls, timeout=120)
                assert code == 0, (mode, err)
                recs, summary = records(stdout)
                check_dir(out, recs, urls, users=[str(n)])
                by_url = {r["url"]: r["path"] for r in recs}
                if names and mode and mode != ["--split", "2"]:
                    assert by_url == names, (first, second, by_url, names)
                names = by_url
            with open(os.path.join(out, str(n)), "rb") as f:
                assert f.read() == b"the user's own", (first, second)
            shutil.rmtree(out)  # 36 of them would fill a test filesystem


@case
def names_follow_the_list_not_completion_order():
    """Same-named URLs of which the first is the slowest: names by list
    position, the same with -j 1 and -j 16, a note for each suffix, and -c
    afterwards keeps every URL on its name (the issue's dl?id=N case)."""
    ks = [key("o") for _ in range(5)]
    urls = [f"{URL}/versioned/{k}/{30000 + 0}?id={i}" for i, k in enumerate(ks)]
    results = {}
    for jobs in ("1", "16"):
        out = tmpdir()
        code, stdout, err = run(["-j", jobs, "-P", out, "--json", "-"] + urls)
        assert code == 0, err
        recs, _ = records(stdout)
        check_dir(out, recs, urls)
        results[jobs] = {r["url"]: os.path.basename(r["path"]) for r in recs}
        assert [results[jobs][u] for u in urls] == ["30000"] + [f"30000.{i}" for i in range(1, 5)]
        assert err.count("note: saved as 30000.") == 4, err
        assert "(30000: an earlier URL of this run has that name)" in err, err
        for mode in (["-c"], ["-N"], ["-nc"]):
            code, stdout, err = run(mode + ["-j", jobs, "-P", out, "--json", "-"] + urls[::-1])
            assert code == 0, err
            recs, _ = records(stdout)
            check_dir(out, recs, urls)
            assert {r["url"]: os.path.basename(r["path"]) for r in recs} == results[jobs], mode
            # -N after a plain run: no ETag kept, the mtime is the download's
            # time, so the server may send the file again (nginx: exact
            # If-Modified-Since); -c and -nc never fetch a complete file
            assert mode == ["-N"] or all(r["skipped"] for r in recs), recs
    assert results["1"] == results["16"]


@case
def json_path_is_the_real_name():
    """--json path names the file written, suffix included; -w too."""
    out = tmpdir()
    k = key()
    with open(os.path.join(out, "777"), "wb") as f:
        f.write(b"mine")
    code, stdout, err = run(["-P", out, "--json", "-", f"{URL}/versioned/{k}/777"])
    assert code == 0, err
    recs, _ = records(stdout)
    assert recs[0]["path"] == os.path.join(out, "777.1"), recs
    assert os.getxattr(recs[0]["path"], ORIGIN).decode() == f"{URL}/versioned/{k}/777"


@case
def origin_record_has_no_credentials():
    out = tmpdir()
    k = key()
    code, _, err = run(["-P", out, f"http://alice:s3cret@127.0.0.1:{BAD}/versioned/{k}/300#frag"])
    assert code == 0, err
    assert os.getxattr(os.path.join(out, "300"), ORIGIN).decode() == f"{URL}/versioned/{k}/300"


@case
def users_file_is_never_taken():
    """-c with a longer or a same-length file of the user's, -N with a newer
    one: never taken as the URL's (the URL gets NAME.1); named with -o, a
    longer one is left alone with an error (curl refuses too)."""
    for mode, content in ((["-c"], b"u" * 9000), (["-c"], b"u" * 6000), (["-N"], b"newer")):
        out, k = tmpdir(), key()
        url = f"{URL}/versioned/{k}/6000"
        path = os.path.join(out, "6000")
        with open(path, "wb") as f:
            f.write(content)
        os.utime(path, (2e9, 2e9))  # newer than any Last-Modified
        code, _, err = run(mode + ["-P", out, url])
        assert code == 0, (mode, err)
        assert "saved as 6000.1 (6000: the file exists and has no origin record of this URL)" in err, err
        with open(path, "rb") as f:
            assert f.read() == content
        with open(path + ".1", "rb") as f:
            assert f.read() == body(url)
    out, k = tmpdir(), key()
    path = os.path.join(out, "data.bin")
    with open(path, "wb") as f:
        f.write(b"u" * 9000)
    code, _, err = run(["-c", "--retry", "0", "-o", path, f"{URL}/versioned/{k}/6000"])
    assert code == 4 and "holds 9000 bytes, more than the resource has" in err, (code, err)
    with open(path, "rb") as f:
        assert f.read() == b"u" * 9000
    assert listdir(out) == ["data.bin"]


@case
def another_urls_file_is_never_replaced():
    """A file whose record names another URL is not continued, compared or
    skipped for this one, in any mode."""
    for mode in ([], ["-c"], ["-N"], ["-nc"]):
        out, k = tmpdir(), key()
        path = os.path.join(out, "5000")
        with open(path, "wb") as f:
            f.write(b"other")
        os.setxattr(path, ORIGIN, f"{URL}/versioned/other/5000".encode())
        code, _, err = run(mode + ["-P", out, f"{URL}/versioned/{k}/5000"])
        assert code == 0, err
        assert ("another URL's download" in err) == (mode != []), (mode, err)
        with open(path, "rb") as f:
            assert f.read() == b"other"
        assert listdir(out) == ["5000", "5000.1"], listdir(out)


@case
def range_of_another_version_is_never_spliced():
    """A server that ignores If-Range and answers the resume's Range from a
    new version (new strong ETag; or new Last-Modified where that is the
    validator): the file is fetched again whole, never v1 + v2."""
    for etag, validator in (("1", '"v1"'), ("0", None)):
        for datefmt in ("imf", "850", "asctime"):
            if etag == "1" and datefmt != "imf":
                continue
            out, k = tmpdir(), key()
            q = f"etag={etag}&date={datefmt}&ifrange=ignore"
            # the first run leaves a .part of v1 (a reset halfway is not
            # needed: an earlier run's kept .part looks like this)
            v1 = body_of(8000, "v1" + k)
            part = os.path.join(out, "8000.part")
            with open(part, "wb") as f:
                f.write(v1[:3000])
            url = f"{URL}/versioned/{k}/8000?v=v2&{q}"
            os.setxattr(part, ORIGIN, url.encode())
            from badserver import VERSION_TIMES, http_date
            os.setxattr(part, "user.ringfetch.validator",
                        (validator or http_date(VERSION_TIMES["v1"], datefmt)).encode())
            code, _, err = run(["-c", "-P", out, url])
            assert code == 0, err
            assert "another version of the file (its validator changed): restarted from zero" in err, err
            with open(os.path.join(out, "8000"), "rb") as f:
                assert f.read() == body_of(8000, "v2" + k), (etag, datefmt)
            assert [l.split()[0] for l in log(k)] == ["bytes=3000-", "-"], log(k)


@case
def split_segments_of_another_version_are_never_mixed():
    """--split against a server that ignores If-Range and changes version
    after the first request: the job notices the new validator in the
    segments' 206s and the file comes whole, of one version."""
    n = 8 * MIB
    out, k = tmpdir(), key()
    url = f"{URL}/versioned/{k}/{n}?v=v1&then=v2&ifrange=ignore"
    code, _, err = run(["--split", "4", "-P", out, url], timeout=120)
    assert code == 0, err
    with open(os.path.join(out, str(n)), "rb") as f:
        got = f.read()
    assert got in (body_of(n, "v1" + k), body_of(n, "v2" + k)), "a mix of versions"
    assert "changed during the segmented download" in err, err


@case
def all_three_date_forms_stamp_and_revalidate():
    """-N: Last-Modified in IMF-fixdate, RFC 850 and asctime form all become
    the file's mtime; the next -N sends it back as If-Modified-Since and
    gets 304 (no ETag here)."""
    from badserver import VERSION_TIMES
    for datefmt in ("imf", "850", "asctime"):
        out, k = tmpdir(), key()
        url = f"{URL}/versioned/{k}/700?etag=0&date={datefmt}"
        code, _, err = run(["-N", "-P", out, url])
        assert code == 0, err
        assert os.stat(os.path.join(out, "700")).st_mtime == VERSION_TIMES["v1"], datefmt
        code, _, err = run(["-N", "-v", "-P", out, url])
        assert code == 0 and "up to date" in err, (datefmt, err)


@case
def json_stays_json_for_raw_bytes():
    """A URL with raw 0xFF 0xFE bytes: its record is valid UTF-8 JSON (the
    bytes percent-encoded in url), and the file name is valid UTF-8 too."""
    out, k = tmpdir(), key()
    raw = f"{URL}/versioned/{k}/900?x=".encode() + b"\xff\xfe"
    code, stdout, err = run(["-P", out, "--json", "-", os.fsdecode(raw)])
    assert code == 0, err
    text = stdout.decode("utf-8")  # strict: raises on invalid UTF-8
    recs, _ = records(text.encode())
    assert recs[0]["url"].endswith("x=%FF%FE"), recs[0]["url"]
    out, k = tmpdir(), key()
    code, stdout, err = run(["-P", out, "--json", "-", f"{URL}/versioned/{k}/900/5%FF%FE"])
    recs, _ = records(stdout)
    assert recs[0]["ok"], recs
    assert recs[0]["path"] == os.path.join(out, "5%FF%FE"), recs
    assert os.listdir(out) == ["5%FF%FE"]


@case
def bad_list_lines_get_records():
    """Every counted outcome has its record, with its list line."""
    out = tmpdir()
    lst = os.path.join(out, "list.txt")
    k = key()
    with open(lst, "w") as f:
        f.write(f"{URL}/versioned/{k}/100   # a comment after a URL\n"
                "http://[::1/x\n"
                "ftp://host/x\n"
                f"{URL}/versioned/{k}/101\n"
                "  frobnicate=1\n"
                f"{URL}/versioned/{k}/102\n"
                "  out=named.bin    # a comment after an option\n")
    code, stdout, err = run(["-P", out, "--json", "-", "-i", lst])
    assert code == 7, (code, err)
    recs, summary = records(stdout)
    assert summary["failed"] == 3 and summary["downloaded"] == 2, (summary, recs)
    assert len(recs) == 5, recs
    failed = sorted(r["line"] for r in recs if not r["ok"])
    assert failed == [2, 3, 5], recs
    good = {r["line"]: os.path.basename(r["path"]) for r in recs if r["ok"]}
    assert good == {1: "100", 6: "named.bin"}, good


@case
def no_user_xattrs_means_a_clear_refusal():
    """On a filesystem without user xattrs (ramfs) nothing can prove a file
    is a URL's: a plain run works, -c on an existing name is refused with
    a clear error, and nothing is overwritten."""
    mnt = tempfile.mkdtemp(prefix="rf-ramfs-")
    if subprocess.run(["mount", "-t", "ramfs", "none", mnt], capture_output=True).returncode:
        os.rmdir(mnt)
        raise Skip("cannot mount ramfs")
    try:
        k = key()
        url = f"{URL}/versioned/{k}/4000"
        code, _, err = run(["-P", mnt, url])
        assert code == 0, err
        code, stdout, err = run(["-c", "-P", mnt, "--json", "-", url])
        assert code == 3, (code, err)
        assert "its filesystem keeps no user xattrs" in err, err
        recs, _ = records(stdout)
        assert recs[0]["error"]["local"] and not recs[0]["ok"], recs
        with open(os.path.join(mnt, "4000"), "rb") as f:
            assert f.read() == body(url)
        assert os.listdir(mnt) == ["4000"]
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


@case
def curl_and_wget_spellings():
    """-sSL, -sSLf, -C -, --tries, --no-check-certificate and a URL without
    a scheme do what curl and wget users expect."""
    out, k = tmpdir(), key()
    url = f"{URL}/versioned/{k}/1000"
    for flags in (["-sSL"], ["-sSLf"], ["-L", "-f", "-s", "--no-check-certificate"]):
        code, _, err = run(flags + ["-o", os.path.join(out, "x"), url])
        assert code == 0 and err == "", (flags, err)
    part = os.path.join(out, "1000.part")
    with open(part, "wb") as f:
        f.write(body(url)[:400])
    os.setxattr(part, ORIGIN, url.encode())
    code, _, err = run(["-C", "-", "-P", out, url])
    assert code == 0, err
    assert log(k)[-1].startswith("bytes=400-"), log(k)
    code, _, err = run(["-C", "400", "-P", out, url])
    assert code == 2 and "-C takes '-'" in err, err
    code, _, err = run(["--tries", "1", "--retry-delay", "0", f"{URL}/flaky/{key()}/5/503/none"])
    assert code == 6 and "retrying" not in err, err
    code, _, err = run(["--tries", "2", "--retry-delay", "0", "-P", out, f"{URL}/flaky/{key()}/1/503/none"])
    assert code == 0 and err.count("retrying") == 1, err
    code, _, err = run(["--tries", "0", url])
    assert code == 2 and "--tries needs" in err, err
    k = key()
    code, stdout, err = run(["-P", out, "--json", "-", f"127.0.0.1:{BAD}/versioned/{k}/1001"])
    assert code == 0, err
    recs, _ = records(stdout)
    assert recs[0]["url"] == f"http://127.0.0.1:{BAD}/versioned/{k}/1001", recs
    assert "files/s" not in err, err  # one file: no rate of files


@case
def readme_list_example_works_pasted():
    """The README's list example, pasted as it is: every line is accepted
    (comments after URLs and options included); only the network fails."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    block = readme.split("### Input list format", 1)[1].split("```\n", 2)[1]
    assert "out=a-copy.iso" in block and "  # " in block, block
    d = tmpdir()
    lst = os.path.join(d, "list")
    with open(lst, "w") as f:
        f.write(block)
    # "host" is 127.0.0.1 here, whose port 80 nobody serves: refused at once
    code, stdout, err = run_with_hosts(["127.0.0.1 host"], ["--retry", "0", "-P", d, "--json", "-",
                                                             "-i", lst])
    assert f"{lst}:" not in err and code == 4, (code, err)
    recs, summary = records(stdout)
    assert [r["line"] for r in recs] == [2, 7] and summary["failed"] == 2, recs


main()
