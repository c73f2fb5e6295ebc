#!/usr/bin/env python3
"""--compressed (README "Compressed bodies"): gzip, deflate (zlib and raw),
br and zstd asked for and decoded as they stream; saved bytes, digests and
counts are the decoded ones; a corrupt, cut or trailing stream is an error,
never a short file reported ok; a bomb is bounded by --max-filesize;
without --compressed, identity is asked for and a body is saved as sent.
Run against tests/servers/badserver.py's /encoded/ resource (encoded with
zlib and Debian's brotli and zstd tools) and nginx's gzip module."""
import hashlib
import os

from harness import (body_of, case, http_get, listdir, main, run, start_badserver, start_nginx,
                     tmpdir)
from harness import json_results as records, read_file as read

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"
CODINGS = ["gzip", "deflate", "rawdeflate", "br", "zstd"]
_keys = iter(range(10**6))


def key():
    return f"z{next(_keys)}x"




@case
def every_coding_decoded_with_its_digest():
    """Each coding, by Content-Length and chunked, small and larger than
    the receive buffers: the file is the decoded body, --print-digest and
    --checksum are over it, the record says decoded and counts its bytes."""
    d = tmpdir()
    for coding in CODINGS:
        for n in (1, 70000, 600000):
            for te in ("", "&te=chunked"):
                want = body_of(n)
                sha = hashlib.sha256(want).hexdigest()
                out = os.path.join(d, f"{coding}-{n}{te[4:]}")
                code, stdout, err = run(["--compressed", "--checksum", f"sha-256={sha}", "-o", out,
                                         "--json", "-", f"{URL}/encoded/{coding}/{n}?x{te}"])
                assert code == 0, (coding, n, te, err)
                assert read(out) == want, (coding, n, te)
                rec = records(stdout)[0]
                assert rec["decoded"] is True and rec["bytes"] == n, rec
                assert rec["content_encoding"] == ("deflate" if coding == "rawdeflate" else coding), rec


@case
def broken_streams_are_errors_never_files():
    """A stream cut short (framed as complete), with a byte changed (where
    the format checks one: gzip, zlib, zstd), or with bytes after its end is
    RF_EDECODE, exit 6, and no file is left; a coding not decoded here is
    refused the same way."""
    d = tmpdir()
    cases = [(c, "cut") for c in CODINGS] + [(c, "trailing") for c in CODINGS] + \
            [(c, "corrupt") for c in ("gzip", "deflate", "zstd")]
    for coding, mode in cases:
        out = os.path.join(d, f"{coding}-{mode}")
        code, stdout, err = run(["--compressed", "-o", out, "--json", "-",
                                 f"{URL}/encoded/{coding}/200000?mode={mode}"])
        assert code == 6 and "compressed body does not decode" in err, (coding, mode, code, err)
        assert records(stdout)[0]["error"]["code"] == -1031, stdout
        assert listdir(d) == [], (coding, mode, listdir(d))
    code, _, err = run(["--compressed", "-P", d, f"{URL}/encoded/gzip/1000?as=compress",
                        f"{URL}/encoded/gzip/1000?as=gzip,%20br"])
    assert code == 6 and err.count("is not one decoded here") == 2, err
    assert listdir(d) == [], listdir(d)


@case
def concatenated_members_and_frames():
    """gzip members and zstd frames one after another decode to the bodies
    one after another, as gzip -d and zstd -d do."""
    d = tmpdir()
    for coding in ("gzip", "zstd"):
        out = os.path.join(d, coding)
        code, _, err = run(["--compressed", "-o", out, f"{URL}/encoded/{coding}/50000?mode=double"])
        assert code == 0, err
        assert read(out) == body_of(50000) * 2


@case
def bombs_are_bounded_by_max_filesize():
    """50 MB of zeros in a few KB of each coding: without a limit it is
    written in pieces (memory stays flat); --max-filesize stops it as soon
    as more is decoded, leaving nothing."""
    d = tmpdir()
    for coding in ("gzip", "br", "zstd"):
        out = os.path.join(d, coding)
        code, _, err = run(["--compressed", "-o", out, f"{URL}/encoded/{coding}/50000000?mode=bomb"])
        assert code == 0, err
        assert os.path.getsize(out) == 50000000
        with open(out, "rb") as f:
            assert not any(f.read()), coding
        os.unlink(out)
        code, _, err = run(["--compressed", "--max-filesize", "10M", "-o", out,
                            f"{URL}/encoded/{coding}/50000000?mode=bomb&te=chunked"])
        assert code == 6 and "more than the limit of 10485760 bytes decoded" in err, err
        assert listdir(d) == [], listdir(d)


@case
def stdout_callback_and_discard_paths():
    """Decoded bodies go to stdout in order, and --discard decodes (and so
    checks) them too."""
    code, stdout, err = run(["--compressed", "-o", "-", f"{URL}/encoded/br/300000?te=chunked"])
    assert code == 0 and stdout == body_of(300000), err
    code, _, err = run(["--compressed", "--discard", f"{URL}/encoded/zstd/300000?mode=cut"])
    assert code == 6 and "truncated" in err, err


@case
def what_is_asked_for():
    """--compressed offers the four codings on a whole-body request; a
    resume (-c on a .part) and a range ask for identity; without it every
    request asks for identity and a compressed body is saved as sent."""
    d = tmpdir()
    k = key()
    code, _, err = run(["--compressed", "-o", os.path.join(d, "a"), f"{URL}/encoded/gzip/1000?key={k}"])
    assert code == 0, err
    code, _, err = run(["-o", os.path.join(d, "b"), f"{URL}/encoded/gzip/1000?key={k}"])
    assert code == 0, err
    code, _, err = run(["--compressed", "-r", "0-9", "-o", os.path.join(d, "c"),
                        f"{URL}/encoded/gzip/1000?key={k}"])
    assert code == 0, err
    accepts = http_get(BAD, f"/accept/{k}").splitlines()
    assert accepts == ["gzip, deflate, br, zstd", "identity", "identity"], accepts
    assert read(os.path.join(d, "b"))[:2] == b"\x1f\x8b"  # as sent
    code, stdout, err = run(["-o", os.path.join(d, "e"), "--json", "-", f"{URL}/encoded/br/100"])
    assert code == 0 and records(stdout)[0]["decoded"] is False, stdout


@case
def a_cut_transfer_is_fetched_again_whole():
    """A decoded transfer cut by a reset is retried from zero (its decoded
    .part is never continued with a Range of the encoded bytes), and with
    -c no .part is left for a later run to continue."""
    d = tmpdir()
    k = key()
    out = os.path.join(d, "f")
    code, _, err = run(["--compressed", "--retry-delay", "0", "-o", out,
                        f"{URL}/encoded/gzip/400000?key={k}&dropfirst=1"])
    assert code == 0, err
    assert read(out) == body_of(400000)
    log = http_get(BAD, f"/log/{k}").splitlines()
    assert log == ["- -", "- -"], log  # no Range on the retry
    k = key()
    code, _, err = run(["-c", "--compressed", "--retry", "0", "-P", d,
                        f"{URL}/encoded/gzip/400000?key={k}&dropfirst=1"])
    assert code == 4, err
    assert [n for n in listdir(d) if n.endswith(".part")] == [], listdir(d)


@case
def nginx_gzip_module():
    """nginx compressing on the fly (gzip on, chunked): the decoded file is
    the file nginx serves."""
    root = tmpdir()
    text = b"".join(b"line %d of a compressible text file\n" % i for i in range(20000))
    with open(os.path.join(root, "t.txt"), "wb") as f:
        f.write(text)
    port = start_nginx(root, extra_locations="gzip on; gzip_types text/plain; gzip_min_length 1;")
    d = tmpdir()
    code, stdout, err = run(["--compressed", "-o", os.path.join(d, "t"), "--json", "-",
                             f"http://127.0.0.1:{port}/t.txt"])
    assert code == 0, err
    rec = records(stdout)[0]
    assert rec["content_encoding"] == "gzip" and rec["decoded"] is True, rec
    assert read(os.path.join(d, "t")) == text


main()
