#!/usr/bin/env python3
"""Politeness: --limit-rate (all transfers together) and --limit-rate-per-host
(each origin), token buckets that hold the next receive while the loop
sleeps in its ring wait.  Against two real nginx origins on loopback, which
would deliver these files in tens of milliseconds unlimited: the measured
rate over about 5 s must be within 10 % of the limit, and the files whole."""
import os
import time

from harness import case, main, run, sha256, sha256_file, start_nginx, tmpdir

WWW = tmpdir()
FIVE = os.urandom(5 << 20)
TEN = os.urandom(10 << 20)
with open(os.path.join(WWW, "five.bin"), "wb") as f:
    f.write(FIVE)
with open(os.path.join(WWW, "ten.bin"), "wb") as f:
    f.write(TEN)
A = start_nginx(WWW, v6=False)
B = start_nginx(WWW, v6=False)


def timed(args):
    out = tmpdir()
    t0 = time.monotonic()
    code, _, err = run(["-q", "-P", out] + args, timeout=120)
    return code, err, time.monotonic() - t0, out


def within(seconds, want, what):
    assert abs(seconds - want) <= 0.1 * want, f"{what}: {seconds:.2f} s, want {want} s +- 10 %"


@case
def total_rate_is_kept():
    """10 MiB at --limit-rate 2M: 5 s."""
    code, err, secs, out = timed(["--limit-rate", "2M", f"http://127.0.0.1:{A}/ten.bin"])
    assert code == 0, err
    within(secs, 5.0, "10 MiB at 2 MiB/s")
    assert sha256_file(os.path.join(out, "ten.bin")) == sha256(TEN)


@case
def total_rate_is_shared_by_every_origin():
    """5 MiB from each of two origins at --limit-rate 2M in total: 5 s."""
    code, err, secs, out = timed(["--limit-rate", "2M", f"http://127.0.0.1:{A}/five.bin",
                                  f"http://127.0.0.1:{B}/five.bin"])
    assert code == 0, err
    within(secs, 5.0, "2 x 5 MiB at 2 MiB/s in total")
    names = sorted(os.listdir(out))
    assert names == ["five.bin", "five.bin.1"], names
    for n in names:
        assert sha256_file(os.path.join(out, n)) == sha256(FIVE)


@case
def per_host_rate_is_kept_for_each_origin():
    """5 MiB from each of two origins at --limit-rate-per-host 1M: the two go
    side by side, 5 s (one limit for both would take 10 s)."""
    code, err, secs, out = timed(["--limit-rate-per-host", "1M", f"http://127.0.0.1:{A}/five.bin",
                                  f"http://127.0.0.1:{B}/five.bin"])
    assert code == 0, err
    within(secs, 5.0, "2 x 5 MiB at 1 MiB/s per origin")
    for n in os.listdir(out):
        assert sha256_file(os.path.join(out, n)) == sha256(FIVE)


@case
def bad_rates_are_usage_errors():
    for opt, bad in (("--limit-rate", "fast"), ("--limit-rate", "0"), ("--limit-rate", "-5k"),
                     ("--limit-rate-per-host", "2X")):
        code, _, err = run([opt, bad, f"http://127.0.0.1:{A}/five.bin"])
        assert code == 2 and f"{opt} needs bytes per second" in err, (opt, bad, code, err)


main()
