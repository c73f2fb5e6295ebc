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

from harness import case, listdir, main, run, start_nginx, tmpdir
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
