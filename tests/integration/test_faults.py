#!/usr/bin/env python3
"""Fault injection (RINGFETCH_FAULTS=SEED:PERCENT:KINDS, see src/fault.h):
short reads, sends, writes and splices, -EINTR/-EAGAIN/-ECONNRESET on
sockets, -EIO/-ENOSPC on file ops, -EMFILE on socket creation, early SQ
flushes, failed allocations.
Whatever the kernel does, every URL either succeeds with a byte-exact file
or fails with a reported reason; no .part is left, nothing hangs, and (in
the ASan build) nothing leaks."""
import os
import re

from harness import case, listdir, main, run, start_badserver, start_nginx, tmpdir
from pki import make_pki

WWW = tmpdir()
FILES = {}
for i in range(120):
    size = (i * 15485863) % 200000 if i % 40 else 3_000_000 + i  # three large ones
    FILES[f"f{i}.bin"] = os.urandom(size)
    with open(os.path.join(WWW, f"f{i}.bin"), "wb") as f:
        f.write(FILES[f"f{i}.bin"])
PKI = make_pki(tmpdir())
PLAIN = start_nginx(WWW, v6=False)
TLS = start_nginx(WWW, v6=False, tls=(PKI["server"], PKI["key"]))
H2 = start_nginx(WWW, v6=False, tls=(PKI["server"], PKI["key"]), http2=True)
H2C = start_nginx(WWW, v6=False, http2=True)


def check_run(base, seed, percent, *opts, kinds="seq"):
    out = tmpdir()
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        for name in FILES:
            f.write(f"{base}/{name}\n  out={name}\n")
    env = dict(os.environ, RINGFETCH_FAULTS=f"{seed}:{percent}:{kinds}")
    code, _, err = run(["-j", "16", "-P", out, "-i", lst, "--timeout", "10"] + list(opts),
                       env=env, timeout=300)
    assert code in (0, 3, 4), (code, err[-3000:])
    failed = set()
    for line in err.splitlines():
        m = re.match(re.escape(base) + r"/(f\d+\.bin): (.+)", line)
        if m and "note:" not in m.group(2) and not m.group(2).startswith("retrying in "):
            failed.add(m.group(1))
        # a list line whose URL could not even be checked (out of memory)
        m = re.search(r"bad URL '" + re.escape(base) + r"/(f\d+\.bin)': Cannot allocate memory",
                      line)
        if m:
            failed.add(m.group(1))
    names = set(listdir(out))
    assert not [n for n in names if n.endswith(".part")], names
    for name, data in FILES.items():
        if name in failed:
            assert name not in names, f"{name} failed but exists"
            continue
        assert name in names, f"{name}: neither saved nor reported failed\n{err[-3000:]}"
        with open(os.path.join(out, name), "rb") as f:
            assert f.read() == data, f"{name} is not byte-exact"
    m = re.search(r"(\d+) ok, (\d+) failed", err)
    assert m and int(m.group(1)) == len(FILES) - len(failed), err[-500:]
    return err


def check_one(url, name, data, seed, kinds, *opts, must_succeed=False):
    """One URL under faults: byte-exact, or a reported failure that left
    nothing behind (no .part, no final name).  Short operations and early
    flushes alone must never make it fail."""
    out = tmpdir()
    env = dict(os.environ, RINGFETCH_FAULTS=f"{seed}:5:{kinds}")
    code, _, err = run(["-P", out, "--timeout", "10"] + list(opts) + [url], env=env, timeout=300)
    # 7: an allocation failed while the CLI checked the URL or made its name
    assert code in ((0,) if must_succeed else (0, 1, 3, 4, 5, 7, 9)), (seed, code, err[-3000:])
    names = listdir(out)
    if code == 0:
        assert names == [name], (seed, names, err[-2000:])
        with open(os.path.join(out, name), "rb") as f:
            assert f.read() == data, f"seed {seed}: not byte-exact"
    else:
        assert names == [], (seed, names, err[-2000:])
        assert url in err or "ringfetch:" in err, err[-2000:]


BIG = FILES["f40.bin"] * 4  # 12 MB: six segments of 2 MiB at most
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)


@case
def split_downloads_under_faults():
    """Segments, their halving and the final resume under short ops, resets,
    write errors and failed allocations, with and without retries."""
    for seed in range(41, 49):  # shorts and early flushes: always whole
        check_one(f"http://127.0.0.1:{PLAIN}/big.bin", "big.bin", BIG, seed, "sq", "--split", "4",
                  "--retry", "0", must_succeed=True)
    for seed in range(49, 57):  # everything: whole, or failed without a trace
        retry = ["--retry", "3", "--retry-delay", "0.01"] if seed % 2 else ["--retry", "0"]
        check_one(f"http://127.0.0.1:{PLAIN}/big.bin", "big.bin", BIG, seed, "seqm",
                  "--split", "4", *retry)
    for seed in range(57, 61):
        check_one(f"https://localhost:{TLS}/big.bin", "big.bin", BIG, seed, "sq", "--split", "3",
                  "--cacert", PKI["ca"], "--retry", "0", must_succeed=True)
        check_one(f"https://localhost:{TLS}/big.bin", "big.bin", BIG, seed, "seqm", "--split", "3",
                  "--cacert", PKI["ca"], "--retry", "2", "--retry-delay", "0.01")


@case
def http2_under_faults():
    """Sessions under many streams (h2 over TLS, h2c): each stream is whole
    or failed without a trace when the session's ops misbehave."""
    for seed in range(71, 75):
        check_run(f"https://127.0.0.1:{H2}", seed, 5, "--retry", "0", "--cacert", PKI["ca"])
        check_run(f"http://127.0.0.1:{H2C}", seed, 5, "--retry", "0", "--http2-prior-knowledge")
    for seed in range(75, 77):  # shorts and early flushes alone lose nothing
        err = check_run(f"https://127.0.0.1:{H2}", seed, 30, "--retry", "0", "--cacert", PKI["ca"],
                        kinds="sq")
        assert "0 failed" in err, err[-2000:]


@case
def proxy_tunnels_under_faults():
    """CONNECT through a proxy (badserver's real tunnel) under the same faults."""
    proxy = start_badserver()
    for seed in range(61, 67):
        check_one(f"https://localhost:{TLS}/f3.bin", "f3.bin", FILES["f3.bin"], seed, "sq",
                  "-x", f"127.0.0.1:{proxy}", "--cacert", PKI["ca"], "--retry", "0", must_succeed=True)
        check_one(f"https://localhost:{TLS}/f3.bin", "f3.bin", FILES["f3.bin"], seed, "seqm",
                  "-x", f"127.0.0.1:{proxy}", "--cacert", PKI["ca"], "--retry", "0")


@case
def plain_http_under_faults():
    for seed in range(1, 11):
        check_run(f"http://127.0.0.1:{PLAIN}", seed, 5, "--retry", "0")


@case
def https_under_faults():
    for seed in range(11, 17):
        check_run(f"https://127.0.0.1:{TLS}", seed, 5, "--retry", "0", "--cacert", PKI["ca"])


@case
def retries_overcome_network_faults():
    """With retries, no network fault is left: what still fails is a local
    file error (-EIO, -ENOSPC, -EMFILE), which is not retried by design."""
    for seed in (21, 22, 23):
        err = check_run(f"http://127.0.0.1:{PLAIN}", seed, 5, "--retry", "8", "--retry-delay",
                        "0.01")
        for line in err.splitlines():
            if line.startswith("http") and "note:" not in line and ": retrying in " not in line:
                assert re.search(r"Input/output error|No space left|Too many open files",
                                 line), line


@case
def ordered_stdout_under_faults():
    """-O -: writes to a pipe come back short; the bytes stay in order."""
    big = [n for n in FILES if len(FILES[n]) > 1_000_000][0]
    for seed in range(31, 37):
        env = dict(os.environ, RINGFETCH_FAULTS=f"{seed}:30:sq")
        code, out, err = run(["--retry", "0", "-O", "-", f"http://127.0.0.1:{PLAIN}/{big}"],
                             env=env, timeout=120)
        assert code == 0 and out == FILES[big], (seed, code, len(out), err)


@case
def short_ops_alone_lose_nothing():
    """Only short operations and early flushes (no failures): every URL must
    succeed, byte-exact, over HTTP and HTTPS, with and without splice."""
    for base, opts in ((f"http://127.0.0.1:{PLAIN}", []),
                       (f"http://127.0.0.1:{PLAIN}", ["--uring-no-splice"]),
                       (f"https://127.0.0.1:{TLS}", ["--cacert", PKI["ca"]])):
        for seed in (41, 42):
            err = check_run(base, seed, 30, "--retry", "0", *opts, kinds="sq")
            assert f"{len(FILES)} ok, 0 failed" in err, err[-2000:]


@case
def heavy_faults_without_splice_or_big_buffers():
    check_run(f"http://127.0.0.1:{PLAIN}", 11, 25, "--retry", "0", "--uring-no-splice",
              "--uring-big-buffer", "0")


@case
def allocation_failures():
    """Kind m: the engine's allocations on a transfer's path fail now and
    then (requests, buffers, connections, TLS objects, names, digests); each
    such URL fails with a reported error, the rest are byte-exact, nothing
    leaks (ASan, valgrind) and nothing crashes."""
    seen_enomem = False
    for base, opts in ((f"http://127.0.0.1:{PLAIN}", ["--print-digest", "sha256"]),
                       (f"https://127.0.0.1:{TLS}", ["--cacert", PKI["ca"]])):
        for seed in (51, 52, 53):
            err = check_run(base, seed, 3, "--retry", "0", *opts, kinds="m")
            seen_enomem |= "Cannot allocate memory" in err
    assert seen_enomem, "no allocation failure was injected"


@case
def everything_at_once():
    check_run(f"https://127.0.0.1:{TLS}", 61, 5, "--retry", "2", "--retry-delay", "0.01",
              "--cacert", PKI["ca"], kinds="seqm")


main()
