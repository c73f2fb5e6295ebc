#!/usr/bin/env python3
"""Data safety: checksums, resume (Range / If-Range / validators), retries with
backoff and Retry-After, a full disk, and SIGINT then -c.  Each asserts exact
outcomes: content, exit status, messages, what the server was asked."""
import hashlib
import os
import tempfile
import shutil
import signal
import subprocess
import time

from harness import (RINGFETCH, WRAPPER, Skip, body_of, case, http_get, listdir, main, run, sha256,
                     start_badserver, start_nginx, tmpdir)

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"
WWW = tmpdir()
DATA = os.urandom(300000)
with open(os.path.join(WWW, "data.bin"), "wb") as f:
    f.write(DATA)
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(os.urandom(3 << 20))
NGINX = start_nginx(WWW)
NURL = f"http://127.0.0.1:{NGINX}"
_keys = iter(range(10**6))


def key():
    return f"k{next(_keys)}"


def log(k):
    return [l for l in http_get(BAD, f"/log/{k}").splitlines() if l]


def set_validator(path, value):
    os.setxattr(path, "user.ringfetch.validator", value.encode())


def own(path, url):
    """What an earlier run leaves: the origin record naming url."""
    os.setxattr(path, "user.xdg.origin.url", url.encode())


# ---- checksums ----

@case
def checksum_good():
    out = tmpdir()
    for algo, h in (("sha-256", hashlib.sha256), ("sha-512", hashlib.sha512),
                    ("sha-1", hashlib.sha1), ("md5", hashlib.md5)):
        code, _, err = run(["-o", os.path.join(out, algo), "--checksum",
                            f"{algo}={h(DATA).hexdigest()}", f"{NURL}/data.bin"])
        assert code == 0, (algo, err)
        with open(os.path.join(out, algo), "rb") as f:
            assert f.read() == DATA
    assert len(listdir(out)) == 4


@case
def checksum_bad_keeps_final_name_free():
    out = tmpdir()
    wrong = "0" * 64
    code, _, err = run(["-P", out, "--checksum", f"sha-256={wrong}", f"{NURL}/data.bin"])
    assert code == 8, (code, err)
    assert (f"{NURL}/data.bin: checksum mismatch (expected sha-256 {wrong}, got "
            f"{sha256(DATA)})") in err, err
    assert listdir(out) == [], listdir(out)


@case
def checksum_spec_errors():
    for spec, msg in (("sha-256=abc", "wrong length"), ("crc32=00", "unknown checksum algorithm"),
                      ("sha-256", "sha-256=HEX"), ("md5=" + "zz" * 16, "not hexadecimal")):
        code, _, err = run(["--checksum", spec, f"{NURL}/data.bin"])
        assert code == 2 and msg in err, (spec, err)
    code, body, err = run(["-O", "-", "--print-digest", "sha-256", f"{NURL}/data.bin"])
    assert code == 0 and body == DATA, err
    assert f"{sha256(DATA)}  -\n" in err, err  # stdout holds the body: named "-" as sha256sum does
    code, _, err = run(["-c", "-O", "-", f"{NURL}/data.bin"])
    assert code == 2 and "-c cannot resume stdout" in err, err
    code, _, err = run(["--checksum", "md5=" + "0" * 32, f"{NURL}/a", f"{NURL}/b"])
    assert code == 2 and "--checksum takes exactly one URL" in err, err


@case
def checksums_in_list_and_print_digest():
    out, d = tmpdir(), tmpdir()
    lst = os.path.join(d, "list")
    with open(lst, "w") as f:
        f.write(f"{NURL}/data.bin\n  checksum=sha-256={sha256(DATA)}\n")
        f.write(f"{URL}/ok/777\n  checksum=md5={hashlib.md5(body_of(777)).hexdigest()}\n")
        f.write(f"{URL}/ok/778\n  checksum=md5={'1' * 32}\n")
        f.write(f"{URL}/ok/779\n  checksum=sha-256=123\n")
    code, stdout, err = run(["-P", out, "-i", lst, "--print-digest", "sha-256"])
    assert code == 7, (code, err)  # the bad spec (7) outranks the mismatch (8)
    assert f"{lst}:8: checksum=sha-256=123: checksum has the wrong length" in err, err
    assert f"{URL}/ok/778: checksum mismatch (expected md5 {'1' * 32}" in err, err
    lines = sorted(stdout.decode().splitlines())
    assert lines == sorted([f"{sha256(DATA)}  {out}/data.bin",
                            f"{sha256(body_of(777))}  {out}/777"]), lines
    assert listdir(out) == ["777", "data.bin"]


@case
def fsync_mode_produces_the_same_files():
    out = tmpdir()
    code, _, err = run(["--fsync", "-j", "4", "-P", out, f"{NURL}/data.bin", f"{URL}/ok/1234",
                        f"{URL}/ok/0"])
    assert code == 0, err
    with open(os.path.join(out, "data.bin"), "rb") as f:
        assert f.read() == DATA
    assert sorted(listdir(out)) == ["0", "1234", "data.bin"]


# ---- resume ----

@case
def resume_with_correct_prefix_and_validator():
    k, out = key(), tmpdir()
    body = body_of(200000)
    part = os.path.join(out, "f.part")
    with open(part, "wb") as f:
        f.write(body[:70000])
    set_validator(part, '"v1"')
    code, _, err = run(["-c", "-o", os.path.join(out, "f"), "--checksum",
                        f"sha-256={sha256(body)}", f"{URL}/ranged/{k}/200000"])
    assert code == 0, err
    assert listdir(out) == ["f"]
    with open(os.path.join(out, "f"), "rb") as f:
        assert f.read() == body
    assert log(k) == ['bytes=70000- "v1"'], log(k)


@case
def resume_prefix_is_verified_by_checksum():
    """A corrupted prefix is not taken on trust: the whole file is hashed."""
    k, out = key(), tmpdir()
    body = body_of(100000)
    part = os.path.join(out, "f.part")
    with open(part, "wb") as f:
        f.write(b"X" + body[1:50000])
    code, _, err = run(["--retry", "0", "-c", "-o", os.path.join(out, "f"), "--checksum",
                        f"sha-256={sha256(body)}", f"{URL}/ranged/{k}/100000"])
    assert code == 8 and "checksum mismatch" in err, (code, err)
    assert "f" not in listdir(out)


@case
def resume_when_server_ignores_range():
    k, out = key(), tmpdir()
    body = body_of(50000)
    part = os.path.join(out, "50000.part")
    with open(part, "wb") as f:
        f.write(b"garbage" * 1000)
    own(part, f"{URL}/norange/{k}/50000")
    code, _, err = run(["-c", "-P", out, f"{URL}/norange/{k}/50000"])
    assert code == 0, err
    with open(os.path.join(out, "50000"), "rb") as f:
        assert f.read() == body
    assert "restarted from zero" in err, err


@case
def resume_when_etag_changed():
    k, out = key(), tmpdir()
    body = body_of(60000)
    part = os.path.join(out, "60000.part")
    with open(part, "wb") as f:
        f.write(b"old version" * 100)
    set_validator(part, '"v0"')
    own(part, f"{URL}/ranged/{k}/60000")
    code, _, err = run(["-c", "-P", out, f"{URL}/ranged/{k}/60000"])
    assert code == 0, err
    with open(os.path.join(out, "60000"), "rb") as f:
        assert f.read() == body
    assert log(k) == ['bytes=1100- "v0"'], log(k)
    assert "restarted from zero" in err, err


@case
def resume_206_with_wrong_content_range():
    k, out = key(), tmpdir()
    part = os.path.join(out, "9000.part")
    with open(part, "wb") as f:
        f.write(body_of(9000)[:3000])
    own(part, f"{URL}/badrange/{k}/9000")
    code, _, err = run(["--retry", "0", "-c", "-P", out, f"{URL}/badrange/{k}/9000"])
    assert code == 4, (code, err)
    assert ("server answered a different range than asked (206 with Content-Range "
            "'bytes 10-8999/9000' for a request from byte 3000)") in err, err
    assert listdir(out) == ["9000.part"]
    with open(part, "rb") as f:
        assert f.read() == body_of(9000)[:3000]  # untouched


@case
def resume_complete_final_file_is_skipped():
    k, out = key(), tmpdir()
    path = os.path.join(out, "5000")
    with open(path, "wb") as f:
        f.write(body_of(5000))
    own(path, f"{URL}/ranged/{k}/5000")
    before = os.stat(path).st_mtime_ns
    code, _, err = run(["-c", "-P", out, f"{URL}/ranged/{k}/5000"])
    assert code == 0, err
    # counted once in the summary; named per file only with -v
    assert "note:" not in err and "(0 downloaded, 1 already complete)" in err, err
    assert listdir(out) == ["5000"] and os.stat(path).st_mtime_ns == before
    code, _, err = run(["-c", "-v", "-P", out, f"{URL}/ranged/{k}/5000"])
    assert code == 0 and "note: already complete" in err, err


@case
def resume_complete_part_is_renamed():
    k, out = key(), tmpdir()
    with open(os.path.join(out, "5001.part"), "wb") as f:
        f.write(body_of(5001))
    own(os.path.join(out, "5001.part"), f"{URL}/ranged/{k}/5001")
    code, _, err = run(["-c", "-P", out, f"{URL}/ranged/{k}/5001"])
    assert code == 0, err
    assert listdir(out) == ["5001"]
    with open(os.path.join(out, "5001"), "rb") as f:
        assert f.read() == body_of(5001)


@case
def resume_shorter_file_from_another_tool():
    """Named with -o (curl's -C - -o), a shorter file without a record is
    continued; under a name from the URL it is never taken for the URL's."""
    k, out = key(), tmpdir()
    with open(os.path.join(out, "8000"), "wb") as f:
        f.write(body_of(8000)[:2500])
    code, _, err = run(["-c", "-o", os.path.join(out, "8000"), f"{URL}/ranged/{k}/8000"])
    assert code == 0, err
    assert "only its length could be checked" in err, err
    assert listdir(out) == ["8000"]
    with open(os.path.join(out, "8000"), "rb") as f:
        assert f.read() == body_of(8000)
    assert log(k) == ["bytes=2500- -"], log(k)
    k, out = key(), tmpdir()
    with open(os.path.join(out, "8000"), "wb") as f:
        f.write(b"mine")
    code, _, err = run(["-c", "-P", out, f"{URL}/ranged/{k}/8000"])
    assert code == 0 and "saved as 8000.1 (8000: the file exists and has no origin record" in err, err
    assert open(os.path.join(out, "8000"), "rb").read() == b"mine"
    assert open(os.path.join(out, "8000.1"), "rb").read() == body_of(8000)
    assert log(k) == ["- -"], log(k)


@case
def without_continue_existing_part_is_not_trusted():
    k, out = key(), tmpdir()
    with open(os.path.join(out, "7000.part"), "wb") as f:
        f.write(b"stale")
    own(os.path.join(out, "7000.part"), f"{URL}/ranged/{k}/7000")
    code, _, err = run(["-P", out, f"{URL}/ranged/{k}/7000"])
    assert code == 0, err
    assert listdir(out) == ["7000"] and log(k) == ["- -"], log(k)


# ---- retries ----

@case
def retry_503_with_retry_after_seconds():
    k, out = key(), tmpdir()
    t0 = time.time()
    code, _, err = run(["-P", out, f"{URL}/flaky/{k}/2/503/1"])
    elapsed = time.time() - t0
    assert code == 0, err
    assert len(log(k)) == 3
    assert 1.8 < elapsed < 6, elapsed  # two Retry-After: 1 waits
    with open(os.path.join(out, "1"), "rb") as f:
        assert f.read() == body_of(100)


@case
def retry_429_with_retry_after_date():
    k, out = key(), tmpdir()
    t0 = time.time()
    code, _, err = run(["-P", out, f"{URL}/flaky/{k}/1/429/date"])
    assert code == 0, err
    assert 0.9 < time.time() - t0 < 5
    assert len(log(k)) == 2


@case
def retries_exhausted_and_not_retried_statuses():
    k, out = key(), tmpdir()
    code, _, err = run(["--retry", "2", "--retry-delay", "0.05", "-P", out,
                        f"{URL}/flaky/{k}/5/500/none"])
    assert code == 6 and "HTTP 500 Unavailable" in err, (code, err)
    assert len(log(k)) == 3  # one try + two retries
    k = key()
    code, _, err = run(["--retry-delay", "0.05", "-P", out, f"{URL}/flaky/{k}/5/404/none"])
    assert code == 6 and len(log(k)) == 1, (code, log(k))
    assert listdir(out) == []


@case
def retry_after_beyond_max_time_is_not_waited_for():
    k, out = key(), tmpdir()
    t0 = time.time()
    code, _, err = run(["--max-time", "3", "-P", out, f"{URL}/flaky/{k}/1/503/100"])
    assert code == 6, (code, err)
    assert "would pass --max-time" in err, err
    assert time.time() - t0 < 2.5


@case
def reset_mid_body_then_resumed_retry():
    k, out = key(), tmpdir()
    body = body_of(400000)
    code, _, err = run(["--retry-delay", "0.1", "-P", out, "--checksum",
                        f"sha-256={sha256(body)}", f"{URL}/reset-once/{k}/400000"])
    assert code == 0, err
    with open(os.path.join(out, "400000"), "rb") as f:
        assert f.read() == body
    seen = log(k)
    assert len(seen) == 2 and seen[0] == "- -" and seen[1].startswith("bytes="), seen
    assert seen[1].endswith(' "v1"'), seen


@case
def kept_part_removed_when_the_retry_fails_otherwise():
    """A cut body keeps its .part for the retry; the retry gets a 404 and never
    opens the .part: it must still go (found by fault injection, where the
    retry's open of the .part failed).  With -c it stays for the user."""
    for resume in (False, True):
        k, out = key(), tmpdir()
        opts = ["-c"] if resume else []
        code, _, err = run(["--retry-delay", "0.05", "-P", out] + opts +
                           [f"{URL}/cut-then-gone/{k}/400000"])
        assert code == 6 and "HTTP 404" in err, (code, err)
        assert listdir(out) == (["400000.part"] if resume else []), listdir(out)
        seen = log(k)
        assert len(seen) == 2 and seen[1].startswith("bytes="), seen


@case
def large_reset_then_resumed_retry_spliced():
    """Without a checksum a large plain body is spliced; the resumed retry
    must land at the right offset too."""
    k, out = key(), tmpdir()
    body = body_of(3_000_000)
    code, _, err = run(["--retry-delay", "0.1", "-P", out, f"{URL}/reset-once/{k}/3000000"])
    assert code == 0, err
    with open(os.path.join(out, "3000000"), "rb") as f:
        assert sha256(f.read()) == sha256(body)
    seen = log(k)
    assert len(seen) == 2 and seen[1].startswith("bytes="), seen


@case
def checksum_mismatch_retried_only_when_asked():
    k, out = key(), tmpdir()
    bad = "md5=" + "0" * 32
    code, _, err = run(["--retry-delay", "0.05", "-P", out, "--checksum", bad,
                        f"{URL}/ranged/{k}/1000"])
    assert code == 8 and len(log(k)) == 1, (code, log(k))
    k = key()
    code, _, err = run(["--retry-delay", "0.05", "--retry-on-checksum", "-P", out, "--checksum",
                        bad, f"{URL}/ranged/{k}/1000"])
    assert code == 8 and log(k) == ["- -"] * 3, (code, log(k))
    assert listdir(out) == []


# ---- disk space ----

@case
def full_disk_fails_fast_and_others_continue():
    if os.geteuid() != 0:
        raise Skip("mounting a tmpfs needs root")
    mnt = tmpdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode:
        raise Skip("cannot mount a tmpfs here")
    try:
        code, _, err = run(["--retry", "2", "-P", mnt, f"{NURL}/big.bin", f"{NURL}/data.bin"])
        assert code == 3, (code, err)
        assert (f"{NURL}/big.bin: No space left on device (fallocate {mnt}/big.bin.part)") in err, err
        assert "1 ok, 1 failed" in err, err
        assert listdir(mnt) == ["data.bin"], listdir(mnt)
        with open(os.path.join(mnt, "data.bin"), "rb") as f:
            assert f.read() == DATA
    finally:
        subprocess.run(["umount", mnt])


@case
def full_disk_on_ext4_and_xfs():
    """The same on real filesystems (loop devices), in both file paths: the
    big body fails at its fallocate, the small one (unnamed where auto says
    so) is complete, nothing else is left."""
    if os.geteuid() != 0:
        raise Skip("mounting a loop device needs root")
    for kind, mkfs, size in (("ext4", ["mkfs.ext4", "-q", "-F"], "8M"),
                             ("xfs", ["mkfs.xfs", "-q", "-f"], "300M")):
        if not shutil.which(mkfs[0]):
            raise Skip(f"no {mkfs[0]}")
        base = tempfile.mkdtemp(prefix="rf-full-", dir="/dev/shm")
        img, mnt = os.path.join(base, "img"), os.path.join(base, "mnt")
        os.makedirs(mnt)
        subprocess.run(["truncate", "-s", size, img], check=True)
        if subprocess.run(mkfs + [img], stdout=subprocess.DEVNULL).returncode or \
                subprocess.run(["mount", "-o", "loop", img, mnt]).returncode:
            shutil.rmtree(base, ignore_errors=True)
            raise Skip(f"cannot make or mount {kind} on a loop device here")
        try:
            free = shutil.disk_usage(mnt).free
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:  # leave about 2 MiB: data.bin fits, big.bin not
                f.truncate(0)
            subprocess.run(["fallocate", "-l", str(max(free - (2 << 20), 0)), filler], check=True)
            for mode in ("ring", "inline"):
                out = os.path.join(mnt, mode)
                os.makedirs(out)
                # one at a time: a failed fallocate on ext4 keeps what it
                # got until the .part is unlinked, which would starve the
                # other one if both ran at once
                code, _, err = run(["-j", "1", "--retry", "2", "--file-io", mode, "-P", out,
                                    f"{NURL}/big.bin", f"{NURL}/data.bin"])
                assert code == 3, (kind, mode, code, err)
                assert f"{NURL}/big.bin: No space left on device (fallocate {out}/big.bin.part)" \
                    in err, (kind, err)
                assert listdir(out) == ["data.bin"], (kind, mode, listdir(out), err)
                with open(os.path.join(out, "data.bin"), "rb") as f:
                    assert f.read() == DATA
        finally:
            subprocess.run(["umount", mnt])
            shutil.rmtree(base, ignore_errors=True)


# ---- progress ----

@case
def progress_lines_while_running():
    k, out = key(), tmpdir()
    code, _, err = run(["--progress", "-P", out, f"{URL}/slowranged/{k}/2000000"])
    assert code == 0, err
    lines = [l for l in err.splitlines() if " active, " in l]
    assert len(lines) >= 2, err  # about 2.5 s at one line per second
    assert "0 ok, 0 failed, 1 active, 0 waiting" in lines[0], lines
    assert lines[-1].startswith("ringfetch: 1 ok, 0 failed, 0 active, 0 waiting, 2.0 MB"), lines
    code, _, err = run(["-P", out, f"{URL}/ok/5"])  # not a terminal: off by default
    assert " active, " not in err, err


# ---- signals ----

@case
def sigint_keeps_parts_then_continue_completes():
    if WRAPPER:
        raise Skip("timing of a signal under a wrapper")
    k, out = key(), tmpdir()
    n = 2_000_000
    urls = [f"{URL}/slowranged/{k}/{n}?{i}" for i in range(3)]
    p = subprocess.Popen([RINGFETCH, "-j", "3", "-P", out] + urls, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(0.8)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=20)
    err = err.decode()
    assert p.returncode == 130, (p.returncode, err)
    assert "interrupted" in err and "0 ok, 3 failed" in err, err
    names = listdir(out)
    assert sorted(names) == [f"{n}.1.part", f"{n}.2.part", f"{n}.part"], names
    sizes = [os.path.getsize(os.path.join(out, x)) for x in names]
    assert all(0 < s < n for s in sizes), sizes
    # the three URLs share one name: continue them one at a time so each
    # finds its own .part (the first takes NAME.part, the rest are renamed)
    code, _, err = run(["-c", "-P", out, urls[0]])
    assert code == 0, err
    with open(os.path.join(out, str(n)), "rb") as f:
        assert f.read() == body_of(n)
    assert any(l.startswith("bytes=") for l in log(k)), log(k)


@case
def second_signal_exits_at_once():
    if WRAPPER:
        raise Skip("timing of a signal under a wrapper")
    k, out = key(), tmpdir()
    urls = [f"{URL}/slowranged/{k}/2000000?{i}" for i in range(3)]
    p = subprocess.Popen([RINGFETCH, "-j", "3", "-P", out] + urls, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(0.5)
    # both signals must be pending together: with the process running, the
    # first can stop everything before the second is sent (then a summary is
    # right). Stop it, wait until it is stopped, send both, let it go on.
    p.send_signal(signal.SIGSTOP)
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(f"/proc/{p.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                break
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=20)
    err = err.decode()
    assert p.returncode == 130, (p.returncode, err)
    assert "second signal, exiting now" in err, err
    assert " ok, " not in err, err  # no summary: it did not wait
    assert all(n.endswith(".part") for n in listdir(out)), listdir(out)


if __name__ == "__main__":
    main()
