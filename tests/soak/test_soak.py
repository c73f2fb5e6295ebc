#!/usr/bin/env python3
"""Soak: 250 000 requests through the library (tests/soak/soak.c) against
nginx while a helper kills client connections at random with `ss -K`.
Every file is either complete and byte-exact or reported failed, none is
lost or reported twice, no descriptor leaks, resident memory stays flat."""
import hashlib
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Skip, case, listdir, main, start_nginx, tmpdir  # noqa: E402

SOAK = os.environ["SOAK"]
REQUESTS = int(os.environ.get("SOAK_REQUESTS", "250000"))
WWW = tmpdir()
FILES = {}
for i in range(201):
    size = (i * 7919) % 60000
    if i in (40, 141):
        size = 1_200_000 + i  # large: big buffers and splice
    data = hashlib.sha256(str(i).encode()).digest() * (size // 32 + 1)
    FILES[f"s{i}.bin"] = data[:size]
    with open(os.path.join(WWW, f"s{i}.bin"), "wb") as f:
        f.write(data[:size])
MANIFEST = os.path.join(tmpdir(), "manifest")
with open(MANIFEST, "w") as f:
    for name, data in FILES.items():
        f.write(f"{name} {len(data)} {hashlib.sha256(data).hexdigest()}\n")
PORT = start_nginx(WWW)
RESULT = {}


def killer(stop, kills):
    """Kill the client sockets of a random window of local ports, often."""
    while not stop.is_set():
        time.sleep(random.uniform(0.005, 0.04))
        lo = random.randint(32768, 60000)
        p = subprocess.run(["ss", "-K", "-t", "dst", "127.0.0.1", "dport", "=", f":{PORT}",
                            "and", "sport", ">", f":{lo}", "and", "sport", "<", f":{lo + 1500}"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        kills[0] += max(0, len(p.stdout.splitlines()) - 1)


@case
def soak_run_with_connections_killed():
    if subprocess.run(["ss", "-h"], stdout=subprocess.DEVNULL).returncode != 0:
        raise Skip("no ss")
    out = tmpdir()
    stop, kills = threading.Event(), [0]
    t = threading.Thread(target=killer, args=(stop, kills))
    t.start()
    t0 = time.time()
    try:
        p = subprocess.run([SOAK, f"http://127.0.0.1:{PORT}", MANIFEST, out, str(REQUESTS)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=1200)
    finally:
        stop.set()
        t.join()
    RESULT.update(out=out, stdout=p.stdout, stderr=p.stderr, code=p.returncode)
    print(f"# {REQUESTS} requests in {time.time() - t0:.1f} s, {kills[0]} connections killed",
          flush=True)
    assert kills[0] > 50, f"only {kills[0]} connections were killed"


@case
def soak_library_checks():
    if not RESULT:
        raise Skip("the run did not happen")
    lines = RESULT["stdout"].splitlines()
    for line in lines:
        if line.startswith(("ok", "not ok")):
            print("# " + line, flush=True)
    bad = [l for l in lines if l.startswith("not ok")]
    assert not bad and RESULT["code"] == 0, (bad, RESULT["stderr"][-2000:])


@case
def soak_files_complete_or_absent():
    if not RESULT:
        raise Skip("the run did not happen")
    out = RESULT["out"]
    expected = set()
    failed = 0
    for line in RESULT["stdout"].splitlines():
        if not line.startswith("# FILE "):
            continue
        _, _, idx, state, path = line.split(" ", 4)
        name = path.rsplit("-", 1)[1]
        if state == "ok":
            expected.add(os.path.basename(path))
            with open(path, "rb") as f:
                assert f.read() == FILES[name], f"{path} is not byte-exact"
        else:
            failed += 1
            assert not os.path.exists(path), f"{path} exists although it failed"
    assert len(expected) + failed == (REQUESTS + 19) // 20
    assert set(listdir(out)) == expected, "stray files: " + str(set(listdir(out)) - expected)


main()
