#!/usr/bin/env python3
"""Segmented downloads (--split N): one file over several connections with
Range requests into one .part, against nginx (HTTP and HTTPS) and badserver's
/capped/ resource, whose connections are each capped in bandwidth (this
machine has no netem) and which can change under the download.

Asserted: the file is byte-exact and gets its name only when whole; the
server really saw N ranged requests (and more when a slow connection's
segment is halved for a free one); a server without ranges, a small file
and a file without validator go over one connection; a file that changes
mid-way is fetched again whole; an interrupted download leaves its .part
with the segment state and -c finishes every segment without fetching
again what landed; checksums cover the whole file."""
import os
import signal
import subprocess
import time

from harness import (RINGFETCH, WRAPPER, EXTRA_ARGS, body_of, case, http_get, listdir, main, run,
                     sha256, sha256_file, start_badserver, start_nginx, tmpdir)
from pki import make_pki

PKI = make_pki(tmpdir())
WWW = tmpdir()
BIG = os.urandom(24 << 20)
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
with open(os.path.join(WWW, "small.bin"), "wb") as f:
    f.write(BIG[:3 << 20])
LOGDIR = tmpdir()
NGX = start_nginx(WWW, f"location /norange/ {{ max_ranges 0; alias {WWW}/; }}", v6=False)
NGX_TLS = start_nginx(WWW, tls=(PKI["server"], PKI["key"]), v6=False)
BAD = start_badserver()
MIB = 1 << 20


def fetch(*args, timeout=120):
    out = tmpdir()
    code, stdout, err = run(["--retry", "1", "--retry-delay", "0.2", "-P", out] + list(args),
                            timeout=timeout)
    return code, stdout, err, out


def ranges(key):
    """The (Range, If-Range) of every request badserver saw for key."""
    lines = [l for l in http_get(BAD, f"/log/{key}").split("\n") if l]
    return [tuple(None if x == "-" else x for x in l.split(" ", 1)) for l in lines]


@case
def split_against_nginx():
    code, _, err, out = fetch("--split", "4", f"http://127.0.0.1:{NGX}/big.bin")
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    assert listdir(out) == ["big.bin"], listdir(out)
    assert "segments" in err, err


@case
def split_over_https_with_checksum():
    want = sha256(BIG)
    code, stdout, err, out = fetch("--cacert", PKI["ca"], "--split", "3", "--checksum",
                                   f"sha-256={want}", "--print-digest", "sha-256",
                                   f"https://localhost:{NGX_TLS}/big.bin")
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == want
    assert stdout.decode().startswith(want), stdout
    code, _, err, out = fetch("--cacert", PKI["ca"], "--split", "3", "--checksum", "sha-256=" + "0" * 64,
                              f"https://localhost:{NGX_TLS}/big.bin")
    assert code == 8, (code, err)
    assert listdir(out) == [], listdir(out)


@case
def segments_are_ranged_requests():
    """8 MiB at 4 MiB/s per connection, --split 4: the leader's 200 plus three
    ranged requests with If-Range, and the file whole."""
    n = 8 * MIB
    code, _, err, out = fetch("--split", "4", f"http://127.0.0.1:{BAD}/capped/seg4/{n}?rate={4 * MIB}")
    assert code == 0, err
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n))
    log = ranges("seg4")
    assert log[0] == (None, None), log
    # the last is the final resume of the complete .part (416)
    assert log[-1] == (f"bytes={n}-", None), log
    ranged = [r for r in log[1:-1] if r[0]]
    assert len(ranged) >= 3 and all(r[1] == '"v1"' for r in ranged), log
    starts = sorted(int(r[0][6:].split("-")[0]) for r in ranged)
    assert starts[:3] == [2 * MIB, 4 * MIB, 6 * MIB], starts


@case
def a_free_connection_takes_half_of_the_largest_segment():
    """The leader's connection runs at a quarter of the others': when they
    finish, its segment is halved (and halved again) for them."""
    n = 16 * MIB
    code, _, err, out = fetch("--split", "4",
                              f"http://127.0.0.1:{BAD}/capped/steal/{n}?rate={8 * MIB}&slowfirst=1")
    assert code == 0, err
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n))
    log = ranges("steal")
    starts = [int(r[0][6:].split("-")[0]) for r in log if r[0]]
    inside_first = [s for s in starts if 0 < s < 4 * MIB]
    assert inside_first, f"nothing taken from the slow first segment: {log}"


@case
def one_connection_when_splitting_cannot_help():
    # no Accept-Ranges (nginx with max_ranges 0)
    code, _, err, out = fetch("--split", "4", f"http://127.0.0.1:{NGX}/norange/big.bin")
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    assert "segments" not in err, err
    # Accept-Ranges: bytes, but ranged requests get the whole file: the
    # job stops and the file comes whole over one connection
    n = 6 * MIB
    code, _, err, out = fetch("--split", "4", f"http://127.0.0.1:{BAD}/norange/nr/{n}")
    assert code == 0, err
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n))
    assert listdir(out) == [str(n)], listdir(out)
    assert "changed" in err, err
    # small: under two segments of 2 MiB
    n = 3 * MIB
    code, _, err, out = fetch("--split", "4", f"http://127.0.0.1:{BAD}/capped/small/{n}")
    assert code == 0, err
    assert ranges("small") == [(None, None)], ranges("small")
    code, _, err, out = fetch("--split", "8", f"http://127.0.0.1:{NGX}/small.bin")
    assert code == 0 and sha256_file(os.path.join(out, "small.bin")) == sha256(BIG[:3 << 20]), err


@case
def a_file_that_changes_is_fetched_again_whole():
    n = 8 * MIB
    code, _, err, out = fetch("--split", "4",
                              f"http://127.0.0.1:{BAD}/capped/chg/{n}?rate={4 * MIB}&changing=1")
    assert code == 0, err
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n, "v2")), "mixed versions"
    assert "changed" in err, err
    assert listdir(out) == [str(n)], listdir(out)


@case
def a_server_that_caps_its_ranges():
    """Each 206 carries at most 1 MiB (Content-Range says so): every segment
    goes on from where its answer stopped until it is whole."""
    n = 8 * MIB
    code, _, err, out = fetch("--retry", "0", "--split", "4",
                              f"http://127.0.0.1:{BAD}/capped/maxr/{n}?maxrange={MIB}")
    assert code == 0, err
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n))
    ranged = [r for r in ranges("maxr") if r[0] and not r[0].endswith("-")]
    assert len(ranged) >= 6, ranged  # 6 MiB of children's segments, 1 MiB a time


@case
def interrupted_then_continued_with_c():
    """SIGINT half-way: the .part stays with its segments in an xattr; -c
    fetches only what had not landed, in every segment."""
    n = 16 * MIB
    url = f"http://127.0.0.1:{BAD}/capped/resume/{n}?rate={2 * MIB}"
    out = tmpdir()
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + ["-q", "--split", "4", "-P", out, url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, (p.returncode, err)
    part = os.path.join(out, f"{n}.part")
    assert listdir(out) == [f"{n}.part"], listdir(out)
    state = os.getxattr(part, "user.ringfetch.segments").decode()
    assert state.startswith(f"ringfetch-segments 1 {n}\n"), state
    landed = sum(int(l.split()[1]) - int(l.split()[0]) for l in state.split("\n")[2:] if l)
    assert 0 < landed < n, state
    # the same file under another log key (its origin record says so)
    url = f"http://127.0.0.1:{BAD}/capped/resume2/{n}?rate={2 * MIB}"
    os.setxattr(part, "user.xdg.origin.url", url.encode())
    code, _, err2 = run(["-c", "--split", "4", "-P", out, url], timeout=60)
    assert code == 0, err2
    assert sha256_file(os.path.join(out, str(n))) == sha256(body_of(n))
    assert listdir(out) == [str(n)], listdir(out)
    fetched = 0
    log = ranges("resume2")
    assert all(r[0] for r in log), log
    for rng, _ in log:
        a, _, b = rng[6:].partition("-")
        fetched += (int(b) if b else n - 1) - int(a) + 1
    assert fetched <= n - landed + 2 * MIB, (fetched, n - landed, state)


@case
def list_line_split_option():
    n = 8 * MIB
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        f.write(f"http://127.0.0.1:{BAD}/capped/listsplit/{n}?rate={8 * MIB}\n  split=4\n")
        f.write(f"http://127.0.0.1:{BAD}/capped/nosplit/{n}\n")
    code, _, err, out = fetch("-i", lst)
    assert code == 0, err
    assert len([r for r in ranges("listsplit") if r[0]]) >= 3, ranges("listsplit")
    assert ranges("nosplit") == [(None, None)], ranges("nosplit")
    code, _, err, _ = fetch("--split", "0", f"http://127.0.0.1:{NGX}/big.bin")
    assert code == 2 and "--split needs a number" in err, err


if __name__ == "__main__":
    main()
