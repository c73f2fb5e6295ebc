#!/usr/bin/env python3
"""Downloads from a real nginx (and the echo/statistics paths of badserver):
content, names, collisions, lists, keep-alive, per-host cap, CLI behaviour."""
import json
import os
import shutil
import tempfile
import resource
import stat
import subprocess

from harness import (Skip, body_of, case, ipv6_available, listdir, main, run, sha256,
                     sha256_file, start_badserver, start_nginx, stats, tmpdir, EXTRA_ARGS, RINGFETCH)

WWW = tmpdir()
os.makedirs(os.path.join(WWW, "many"))
FILES = {}
for i in range(500):
    data = os.urandom(i * 37 % 5000)
    FILES[f"many/f{i}.bin"] = data
    with open(os.path.join(WWW, "many", f"f{i}.bin"), "wb") as f:
        f.write(data)
BIG = os.urandom(1 << 20) * 48  # 48 MiB
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
with open(os.path.join(WWW, "sp ace.txt"), "wb") as f:
    f.write(b"space\n")
with open(os.path.join(WWW, "index.html"), "wb") as f:
    f.write(b"<p>index</p>\n")
with open(os.path.join(WWW, "empty.txt"), "wb") as f:
    pass
SLOW_N, SLOW_SIZE = 4096, 8192  # trickled at 4 KB/s: about 2 s each
os.makedirs(os.path.join(WWW, "slow"))
SLOW = os.urandom(SLOW_SIZE)
for i in range(SLOW_N):
    with open(os.path.join(WWW, "slow", f"s{i}.bin"), "wb") as f:
        f.write(SLOW)
PORT = start_nginx(WWW, extra_locations="location /slow/ { limit_rate 4k; }")
BASE = f"http://127.0.0.1:{PORT}"
BAD = start_badserver()
BADURL = f"http://127.0.0.1:{BAD}"


def no_part_files(d):
    for root, _, names in os.walk(d):
        for n in names:
            assert not n.endswith(".part"), f"stray {os.path.join(root, n)}"


@case
def single_file_content_matches():
    out = tmpdir()
    code, _, err = run(["-P", out, f"{BASE}/big.bin"])
    assert code == 0, err
    assert listdir(out) == ["big.bin"]
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    assert "1 ok, 0 failed" in err, err


@case
def file_io_auto_names_the_filesystem_and_path():
    out = tempfile.mkdtemp(prefix="rf-test-", dir="/dev/shm")
    try:
        code, _, err = run(["--file-io", "auto", "-P", out, f"{BASE}/big.bin"])
        assert code == 0, err
        assert "file I/O inline (auto: tmpfs)" in err, err
        assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    # wherever the temporary directories are (tests/integration/on_fs.py)
    out = tmpdir()
    kind = subprocess.run(["stat", "-f", "-c", "%T", out], stdout=subprocess.PIPE,
                          text=True).stdout.strip()
    want = {"ext2/ext3": "inline (auto: ext4)", "xfs": "inline (auto: xfs)",
            "overlayfs": "inline (auto: overlay)",
            "tmpfs": "inline (auto: tmpfs)"}.get(kind, "ring (auto: unknown filesystem)")
    code, _, err = run(["--file-io", "auto", "-P", out, f"{BASE}/big.bin"])
    assert code == 0 and f"file I/O {want}" in err, (kind, err)
    for mode in ("ring", "inline"):
        out = tmpdir()
        code, _, err = run(["--file-io", mode, "-P", out, f"{BASE}/big.bin"])
        assert code == 0 and f"file I/O {mode}, " in err, err
        assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    code, _, err = run(["--file-io", "fast", f"{BASE}/big.bin"])
    assert code == 2 and "--file-io takes ring, inline or auto, not 'fast'" in err, err
    code, _, err = run(["--tmpfile", "maybe", f"{BASE}/big.bin"])
    assert code == 2 and "--tmpfile takes on, off or auto, not 'maybe'" in err, err


@case
def unnamed_small_files_get_their_names_last():
    """--tmpfile on: small bodies are linked to their names (NAME.N when
    taken, never replacing); a NAME.part of unknown origin left from before
    is left alone (the URL takes NAME.1); nothing else is left."""
    out = tmpdir()
    small = [n for n in FILES if len(FILES[n]) <= 256 * 1024][:3]
    assert small
    with open(os.path.join(out, os.path.basename(small[0])), "wb") as f:
        f.write(b"mine")
    with open(os.path.join(out, os.path.basename(small[1]) + ".part"), "wb") as f:
        f.write(b"stale")
    for mode in ("ring", "inline"):
        code, _, err = run(["--file-io", mode, "--tmpfile", "on", "-P", out] +
                           [f"{BASE}/{n}" for n in small])
        assert code == 0 and f"small files unnamed + link" in err, err
    names = listdir(out)
    stale = os.path.basename(small[1]) + ".part"
    assert [n for n in names if n.endswith(".part")] == [stale], names
    with open(os.path.join(out, stale), "rb") as f:
        assert f.read() == b"stale"
    names.remove(stale)
    first, second = (os.path.basename(n) for n in small[:2])
    with open(os.path.join(out, first), "rb") as f:
        assert f.read() == b"mine"
    for n in small:
        base = os.path.basename(n)
        copies = [x for x in names if x == base or x.startswith(base + ".")]
        for x in copies:
            if x == first:
                continue
            with open(os.path.join(out, x), "rb") as f:
                assert f.read() == FILES[n], x
        assert len(copies) == (3 if base == first else 2), (base, copies)


@case
def empty_body_gives_empty_file():
    out = tmpdir()
    code, _, err = run(["-P", out, f"{BASE}/empty.txt"])
    assert code == 0, err
    assert os.path.getsize(os.path.join(out, "empty.txt")) == 0


@case
def many_files_from_list_j64():
    out = tmpdir()
    lst = os.path.join(out, "..", os.path.basename(out) + ".list")
    with open(lst, "w") as f:
        for name in FILES:
            f.write(f"{BASE}/{name}\n")
    code, _, err = run(["-j", "64", "-P", out, "-i", lst])
    os.unlink(lst)
    assert code == 0, err
    assert len(listdir(out)) == len(FILES)
    for name, data in FILES.items():
        with open(os.path.join(out, os.path.basename(name)), "rb") as f:
            assert f.read() == data, name
    assert f"{len(FILES)} ok, 0 failed" in err


@case
def list_from_stdin():
    out = tmpdir()
    code, _, err = run(["-P", out, "-i", "-"], stdin=f"{BASE}/many/f1.bin\n{BASE}/many/f2.bin\n".encode())
    assert code == 0, err
    assert listdir(out) == ["f1.bin", "f2.bin"]


@case
def ipv6_literal():
    if not ipv6_available():
        raise Skip("no IPv6 on loopback")
    out = tmpdir()
    code, _, err = run(["-P", out, f"http://[::1]:{PORT}/many/f3.bin"])
    assert code == 0, err
    with open(os.path.join(out, "f3.bin"), "rb") as f:
        assert f.read() == FILES["many/f3.bin"]


@case
def localhost_from_etc_hosts():
    out = tmpdir()
    code, _, err = run(["-P", out, f"http://localhost:{PORT}/many/f4.bin"])
    assert code == 0, err
    assert listdir(out) == ["f4.bin"]


@case
def same_name_never_overwritten():
    out = tmpdir()
    with open(os.path.join(out, "f5.bin"), "wb") as f:
        f.write(b"precious")
    code, _, err = run(["-P", out, f"{BASE}/many/f5.bin", f"{BASE}/many/f5.bin?again"])
    assert code == 0, err
    assert listdir(out) == ["f5.bin", "f5.bin.1", "f5.bin.2"]
    with open(os.path.join(out, "f5.bin"), "rb") as f:
        assert f.read() == b"precious"
    for n in ("f5.bin.1", "f5.bin.2"):
        with open(os.path.join(out, n), "rb") as f:
            assert f.read() == FILES["many/f5.bin"]


@case
def planted_part_symlink_is_not_followed():
    """A .part planted as a symlink must not redirect the download."""
    out, elsewhere = tmpdir(), tmpdir()
    victim = os.path.join(elsewhere, "victim")
    with open(victim, "wb") as f:
        f.write(b"keep me")
    os.symlink(victim, os.path.join(out, "f9.bin.part"))
    # a name from the URL: the planted .part is someone else's, never used
    code, _, err = run(["--retry", "0", "-P", out, f"{BASE}/many/f9.bin"])
    assert code == 0 and "saved as f9.bin.1 (f9.bin: its .part exists and is not a regular file)" in err, err
    # a name given with -o: the engine's open refuses to follow it
    code, _, err = run(["--retry", "0", "-o", os.path.join(out, "f9.bin"), f"{BASE}/many/f9.bin"])
    assert code == 3, (code, err)
    assert "Too many levels of symbolic links (open" in err, err
    with open(victim, "rb") as f:
        assert f.read() == b"keep me"
    assert listdir(out) == ["f9.bin.1", "f9.bin.part"] and os.path.islink(os.path.join(out, "f9.bin.part"))


@case
def dir_through_a_symlink_stays_inside():
    out, elsewhere = tmpdir(), tmpdir()
    os.symlink(elsewhere, os.path.join(out, "link"))
    lst = os.path.join(tmpdir(), "l.txt")
    with open(lst, "w") as f:
        f.write(f"{BASE}/many/f11.bin\n  dir=link/sub\n{BASE}/many/f12.bin\n")
    code, _, err = run(["-P", out, "-i", lst])
    assert code == 7, (code, err)
    assert f"{BASE}/many/f11.bin: dir= leads outside the output directory" in err, err
    assert listdir(elsewhere) == [], listdir(elsewhere)  # not even a directory
    assert not os.path.exists(os.path.join(elsewhere, "sub", "f11.bin"))
    assert sorted(listdir(out)) == ["f12.bin", "link"]


@case
def output_file_and_stdout():
    out = tmpdir()
    target = os.path.join(out, "chosen.name")
    with open(target, "wb") as f:
        f.write(b"old")
    code, _, err = run(["-o", target, f"{BASE}/many/f6.bin"])
    assert code == 0, err
    with open(target, "rb") as f:
        assert f.read() == FILES["many/f6.bin"]
    assert listdir(out) == ["chosen.name"]
    code, _, err = run(["-o", "/dev/null", f"{BASE}/big.bin"])
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # written to, never renamed over
    assert not os.path.exists("/dev/null.part")
    code, _, err = run(["-o", out, f"{BASE}/big.bin"])
    assert code == 2 and "is a directory" in err, err
    code, stdout, err = run(["-q", "-O", "-", f"{BASE}/big.bin"])
    assert code == 0, err
    assert sha256(stdout) == sha256(BIG)
    assert err == ""


@case
def names_from_urls_are_safe():
    out = tmpdir()
    inner = os.path.join(out, "inner")
    code, _, err = run(["-P", inner, f"{BASE}/sp%20ace.txt", f"{BASE}/",
                        f"{BADURL}/ok/10/..%2F..%2Fescape", f"{BADURL}/ok/11/%2e%2e"])
    assert code == 0, err
    assert listdir(out) == ["inner"], listdir(out)
    assert listdir(inner) == [".._.._escape", "index.html", "index.html.1", "sp ace.txt"], listdir(inner)
    with open(os.path.join(inner, ".._.._escape"), "rb") as f:
        assert f.read() == body_of(10)


@case
def list_options_and_bad_lines():
    out = tmpdir()
    lst = os.path.join(tmpdir(), "urls.txt")
    with open(lst, "w") as f:
        f.write(f"""# comment line

{BASE}/many/f7.bin
  out=seven.bin
  dir=sub/dir
ftp://example.com/x
  out=never.bin
{BASE}/many/f8.bin
  colour=blue
{BASE}/many/f9.bin
\tdir=../escape
http://[::zz]/bad
{BASE}/many/f10.bin
""")
    code, _, err = run(["-P", out, "-i", lst])
    assert code == 7, (code, err)
    assert f"{lst}:6: bad URL 'ftp://example.com/x': only http:// and https:// are supported" in err, err
    assert f"{lst}:9: unknown option 'colour' (URL skipped)" in err, err
    assert f"{lst}:11: dir=../escape: directory may not contain '..' (URL skipped)" in err, err
    assert f"{lst}:12: bad URL" in err, err
    assert listdir(out) == ["f10.bin", "sub"]
    with open(os.path.join(out, "sub", "dir", "seven.bin"), "rb") as f:
        assert f.read() == FILES["many/f7.bin"]
    assert "2 ok, 4 failed" in err, err


@case
def keep_alive_reuses_one_connection():
    http_get_reset = __import__("harness").http_get
    http_get_reset(BAD, "/reset-stats")
    out = tmpdir()
    urls = [f"{BADURL}/ok/{n}" for n in range(100, 120)]
    code, _, err = run(["-j", "1", "-P", out] + urls)
    assert code == 0, err
    assert stats(BAD)["accepted"] == 1 + 1, stats(BAD)  # ours + the /stats request


@case
def per_host_cap_is_respected():
    http_get = __import__("harness").http_get
    out = tmpdir()
    urls = [f"{BADURL}/slow/{n}" for n in range(12)]
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-j", "8", "--max-per-host", "2", "-P", out] + urls)
    assert code == 0, err
    assert stats(BAD)["max_concurrent"] == 2, stats(BAD)
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-j", "8", "-P", tmpdir()] + urls)
    assert code == 0, err
    assert stats(BAD)["max_concurrent"] >= 6, stats(BAD)


@case
def request_headers_default_and_custom():
    code, body, err = run(["-O", "-", f"{BADURL}/echo"])
    assert code == 0, err
    text = body.decode()
    assert text.startswith("GET /echo HTTP/1.1\r\n"), text
    assert f"Host: 127.0.0.1:{BAD}\r\n" in text
    assert "User-Agent: ringfetch/0.1.0\r\n" in text
    assert "Accept-Encoding: identity\r\n" in text
    code, body, err = run(["-O", "-", "-H", "X-Test: 1", "-H", "Accept:", "-A", "agent/9",
                           f"{BADURL}/echo"])
    assert code == 0, err
    text = body.decode()
    assert "X-Test: 1\r\n" in text and "User-Agent: agent/9\r\n" in text
    assert "Accept:" not in text, text
    code, _, err = run(["-H", "Bad Header", f"{BADURL}/echo"])
    assert code == 2 and "bad header" in err, err


@case
def usage_errors():
    for args, msg in ((["-j", "0", "http://x/"], "-j needs a number"),
                      (["--bogus", "http://x/"], "unknown option --bogus"),
                      ([], "no URLs given"),
                      (["--timeout", "soon", "http://x/"], "--timeout needs seconds"),
                      (["-o", "a", "http://x/1", "http://x/2"], "-o/-O takes exactly one URL"),
                      (["-j"], "needs a value")):
        code, _, err = run(args)
        assert code == 2, (args, code, err)
        assert msg in err, (args, err)
    code, _, err = run(["-i", "/nonexistent/list"])
    assert code == 2 and "cannot read /nonexistent/list" in err, err
    code, _, err = run(["-P", tmpdir(), f"{BASE}/many/f1.bin", "not a url", "http://", "ftp://h/x"])
    assert code == 7, (code, err)
    # no scheme means http:// (curl's and wget's rule); the host is then bad
    assert "http://not a url: invalid character in host name" in err, err
    assert "http://: empty host" in err, err
    assert "ftp://h/x: " in err, err


@case
def help_lists_every_option_and_version():
    code, out, _ = run(["--help"])
    assert code == 0
    text = out.decode()
    for opt in ("--input-file", "--directory", "--output", "-O", "--jobs", "--max-per-host",
                "--connect-timeout", "--timeout", "--max-time", "--max-redirs", "--header",
                "--user-agent", "--quiet", "--help", "--version", "--cacert", "--capath", "--cert",
                "--key", "--tls-min", "--insecure", "--continue", "--checksum", "--print-digest",
                "--retry", "--retry-delay", "--retry-on-checksum", "--fsync", "--uring-recv-buffer",
                "--uring-big-buffer", "--uring-no-splice", "--progress", "--no-progress"):
        assert opt in text, opt
    code, out, _ = run(["--version"])
    assert code == 0 and out.decode().strip() == "ringfetch 0.1.0"


def peak_rss_kib(args):
    """Peak RSS of one ringfetch run, measured by GNU time (a child forked
    from Python would count Python's own RSS as its peak)."""
    out = os.path.join(tmpdir(), "time")
    env = dict(os.environ)
    # under ASan, freed memory sits in quarantine and looks like growth
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
    subprocess.run(["/usr/bin/time", "-o", out, "-f", "%M", RINGFETCH] + args, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().split()[-1])


@case
def slots_cost_what_is_used():
    """A -j as large as the descriptor limit allows (65 536 at most) fetching
    one 1 KiB file costs about what -j 16 does: slots are set up when first
    taken, not all at the start (12 KiB each, 780 MB at -j 65536)."""
    if os.environ.get("RINGFETCH_SANITIZED") or os.environ.get("RINGFETCH_WRAPPER"):
        return  # ASan's shadow memory and valgrind's own are not ours to judge
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    j = min(65536, (hard - 64) // 2 if hard != resource.RLIM_INFINITY else 65536)
    url = f"{BASE}/many/f3.bin"
    small = peak_rss_kib(["-q", "-j", "16", "-P", tmpdir(), url])
    large = peak_rss_kib(["-q", "-j", str(j), "-P", tmpdir(), url])
    assert large < small + 8 * 1024 + j // 16, (j, small, large)  # KiB; was ~6.4 KiB per slot


@case
def input_is_read_lazily():
    """Peak RSS for a 50 000-URL list stays within 2x of a 1 000-URL list."""
    d = tmpdir()
    for n in (1000, 50000):
        with open(os.path.join(d, f"{n}.txt"), "w") as f:
            for i in range(n):
                f.write(f"{BASE}/missing/{i}\n")
    small = peak_rss_kib(["-q", "-j", "16", "-P", d, "-i", os.path.join(d, "1000.txt")])
    large = peak_rss_kib(["-q", "-j", "16", "-P", d, "-i", os.path.join(d, "50000.txt")])
    assert large < 2 * small, (small, large)
    assert listdir(d) == ["1000.txt", "50000.txt"]


@case
def memory_flat_whatever_the_file_size():
    """Two receive buffers per slot, reused: a 48 MiB body costs no more
    memory than a 2 KiB one - beyond the capped big-buffer budget, which
    large bodies may use (8 MiB for all slots together)."""
    d = tmpdir()
    small = peak_rss_kib(["-q", "-P", d, f"{BASE}/many/f1.bin"])
    large = peak_rss_kib(["-q", "-P", d, f"{BASE}/big.bin"])
    flat = peak_rss_kib(["-q", "--uring-big-buffer", "0", "-o", os.path.join(d, "b2"),
                         f"{BASE}/big.bin"])
    assert flat < small + 2048, (small, flat)
    assert large < small + 2048 + 2 * 1024, (small, large)  # one slot: 2 x 1 MiB
    assert sha256_file(os.path.join(d, "big.bin")) == sha256(BIG)
    assert sha256_file(os.path.join(d, "b2")) == sha256(BIG)


def with_nofile(soft, hard):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@case
def jobs_4096_raise_the_descriptor_limit():
    """-j 4096 with a soft limit of 1024: ringfetch raises it (to what the
    hard limit allows) and fetches 8192 files with 4096 in flight."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2 * 4096 + 32:
        raise Skip(f"hard open-file limit {hard} is below what -j 4096 needs")
    out = tmpdir()
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        for i in range(8192):
            f.write(f"{BASE}/many/f{i % 500}.bin\n  out=c{i}\n")
    p = subprocess.run([RINGFETCH, "-q", "-j", "4096", "-P", out, "-i", lst],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300,
                       preexec_fn=with_nofile(1024, hard))
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    names = os.listdir(out)
    assert len(names) == 8192, len(names)
    for i in range(0, 8192, 97):
        with open(os.path.join(out, f"c{i}"), "rb") as f:
            assert f.read() == FILES[f"many/f{i % 500}.bin"], i


@case
def jobs_beyond_the_hard_limit_refused_clearly():
    p = subprocess.run([RINGFETCH, "-j", "4096", "-o", "/dev/null", f"{BASE}/many/f1.bin"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                       preexec_fn=with_nofile(256, 256))
    err = p.stderr.decode()
    assert p.returncode == 2, (p.returncode, err)
    assert "-j 4096 needs at least 8224 open files, but the limit is 256" in err, err


@case
def io_uring_refused_falls_back_to_epoll():
    """Docker's default seccomp profile refuses io_uring_setup: by default
    ringfetch says so once and runs on epoll; --io uring fails naming
    io_uring and the likely causes; bench mode falls back the same way."""
    out = tmpdir()
    p = subprocess.run([os.environ["NO_URING"], RINGFETCH, "-P", out, f"{BASE}/many/f1.bin"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode == 77:
        raise Skip("seccomp filters cannot be installed here")
    err = p.stderr.decode()
    assert p.returncode == 0, (p.returncode, err)
    assert err.count("note: io_uring cannot be set up here (Operation not permitted)") == 1, err
    assert "seccomp" in err and "using epoll instead" in err, err
    with open(os.path.join(out, "f1.bin"), "rb") as f:
        assert f.read() == FILES["many/f1.bin"]
    p = subprocess.run([os.environ["NO_URING"], RINGFETCH, "--io", "uring", "-o", "/dev/null",
                        f"{BASE}/empty.txt"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    err = p.stderr.decode()
    assert p.returncode == 1, (p.returncode, err)
    assert "io_uring cannot be set up here (Operation not permitted)" in err, err
    assert "seccomp" in err and "kernel.io_uring_disabled" in err, err
    p = subprocess.run([os.environ["NO_URING"], RINGFETCH, "bench", "-q", "-c", "2", "-n", "20",
                        f"{BASE}/many/f1.bin"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    err = p.stderr.decode()
    assert p.returncode == 0 and "using epoll instead" in err, (p.returncode, err)
    assert "requests   20 in" in p.stdout.decode(), p.stdout


def strace_counts(args):
    """Run ringfetch under strace -f -c; (its --io-report=json, strace's
    counts by syscall)."""
    d = tmpdir()
    trace = os.path.join(d, "strace.txt")
    p = subprocess.run(["strace", "-f", "-c", "-o", trace, RINGFETCH, "--io-report=json", "-q",
                        "-P", os.path.join(d, "out")] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))  # LSan cannot run under ptrace
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stderr.decode().strip().splitlines()[-1])
    counts = {}
    for line in open(trace):
        f = line.split()
        if len(f) >= 5 and f[3].isdigit():
            counts[f[-1]] = int(f[3])
    return report, counts


@case
def io_report_agrees_with_strace():
    if not shutil.which("strace"):
        raise Skip("strace is not installed")
    urls = [f"{BASE}/many/f{i}.bin" for i in range(40)]
    report, counts = strace_counts(["--io", "uring", "-j", "8"] + urls)
    assert report["io_path"].startswith("io_uring"), report
    assert report["files"] == 40, report
    assert abs(report["syscalls"]["io_uring_enter"] - counts["io_uring_enter"]) <= 2, (report, counts)
    report, counts = strace_counts(["--io", "epoll", "-j", "8"] + urls)
    assert report["io_path"] == "epoll" and report["files"] == 40, report
    for ours, theirs in (("epoll_wait", "epoll_pwait2"), ("send", "sendto"), ("recv", "recvfrom"),
                         ("connect", "connect"), ("socket", "socket")):
        assert abs(report["syscalls"][ours] - counts.get(theirs, 0)) <= 2, (ours, report, counts)
    assert "io_uring_enter" not in counts, counts


def tracefs_ready():
    """The io_uring tracepoints' ids, mounting tracefs if it is not (root)."""
    ev = "/sys/kernel/tracing/events/io_uring/io_uring_queue_async_work/id"
    if not os.path.exists(ev) and os.path.isdir("/sys/kernel/tracing"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.exists(ev)


@case
def io_report_counts_iowq_hand_offs():
    """--io-report counts the ops the kernel handed to io-wq workers (the
    io_uring_queue_async_work tracepoint, through perf events): with the file
    ops on the ring every O_CREAT open goes there; done inline, none do."""
    if not tracefs_ready():
        raise Skip("no tracefs with the io_uring events here")
    urls = [f"{BASE}/many/f{i}.bin" for i in range(1, 41)]
    punts = {}
    for mode in ("ring", "inline"):
        code, rep, err = io_report_run(["--io", "uring", "--file-io", mode, "-j", "8", "-P",
                                        tmpdir()] + urls)
        assert code == 0 and rep, err
        if rep["iowq_punts"] < 0:
            raise Skip("perf events are not allowed here: " + err.strip().splitlines()[-1][:200])
        punts[mode] = rep["iowq_punts"]
        assert rep["poll_arms"] >= 0, rep
    assert punts["ring"] >= 40 and punts["inline"] * 4 < punts["ring"], punts


@case
def same_named_files_do_not_probe_every_taken_name():
    """50 URLs with one file name: NAME, NAME.1 ... NAME.49, each found in
    about one try (it was NAME, NAME.1, ... for every file: 1 275 renames)."""
    for tmp in ("off", "on"):
        out = tmpdir()
        urls = [f"{BASE}/many/f1.bin?{i}" for i in range(50)]
        p = subprocess.run([RINGFETCH, "--io-report=json", "-q", "--file-io", "inline", "--tmpfile",
                            tmp, "-j", "8", "-P", out] + urls, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        assert p.returncode == 0, p.stderr
        report = json.loads(p.stderr.decode().strip().splitlines()[-1])
        names = ["f1.bin"] + [f"f1.bin.{i}" for i in range(1, 50)]
        assert sorted(os.listdir(out)) == sorted(names), sorted(os.listdir(out))
        tries = report["syscalls"]["rename"] + report["syscalls"]["link"]
        assert 50 <= tries <= 55, (tmp, report["syscalls"])


def io_report_run(args, preexec_fn=None, timeout=120):
    """(exit status, --io-report=json of a quiet run, stderr)."""
    p = subprocess.run([RINGFETCH, "--io-report=json", "-q"] + EXTRA_ARGS + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, preexec_fn=preexec_fn,
                       env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                                ":quarantine_size_mb=0"))
    err = p.stderr.decode()
    lines = err.strip().splitlines()
    try:
        rep = json.loads(lines[-1]) if lines else None
    except ValueError:
        rep = None
    return p.returncode, rep, err


@case
def receive_memory_follows_data_not_connections():
    """4096 transfers trickling at once (nginx limit_rate 4k), -j 4096: with
    the receive pool (the default) the kernel picks a buffer only when bytes
    arrive, so peak RSS stays under 64 MiB; with a buffer pair per transfer
    (--uring-recv own) it is several times that.  Every file arrives whole."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2 * 4096 + 32:
        raise Skip(f"hard open-file limit {hard} is below what -j 4096 needs")
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        for i in range(SLOW_N):
            f.write(f"{BASE}/slow/s{i}.bin\n")
    rss = {}
    for mode in ("own", "pool"):
        out = tmpdir()
        # the default pool (incremental consumption fills every byte of
        # every buffer in turn: all 16 MiB resident, a trade-off of its own)
        code, rep, err = io_report_run(["--uring-recv", mode, "--uring-recv-inc", "off", "-j", "4096",
                                        "-P", out, "-i", lst],
                                       preexec_fn=with_nofile(hard, hard), timeout=300)
        assert code == 0 and rep, err[-2000:]
        assert rep["files"] == SLOW_N and rep["seconds"] > 1.0, rep  # really slow: all open at once
        assert rep["recv"].startswith("own buffers" if mode == "own" else "pool "), rep
        rss[mode] = rep["peak_rss_kib"]
        assert len(os.listdir(out)) == SLOW_N
        for i in range(0, SLOW_N, 211):
            with open(os.path.join(out, f"s{i}.bin"), "rb") as f:
                assert f.read() == SLOW, i
        shutil.rmtree(out)
    assert rss["pool"] * 3 < rss["own"], rss
    if not os.environ.get("RINGFETCH_SANITIZED"):  # ASan's shadow memory is not ours
        assert rss["pool"] < 64 * 1024, rss


@case
def receive_pool_waits_when_empty():
    """A pool of 2 small buffers for 64 transfers: receives find it empty and
    wait for buffers to come back (counted), on both kernel paths and with
    multishot receives; every file arrives whole."""
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        for i in range(600):
            f.write(f"{BASE}/many/f{i % 500}.bin\n  out=p{i}\n")
    for io, mode, inc in (("uring", "pool", "off"), ("uring", "multishot", "off"),
                          ("uring", "pool", "on"), ("epoll", "pool", "off")):
        out = tmpdir()
        code, rep, err = io_report_run(["--io", io, "--uring-recv", mode, "--uring-recv-inc", inc,
                                        "--uring-recv-pool", "2", "--uring-recv-buffer", "4096",
                                        "-j", "64", "-P", out, "-i", lst])
        if code == 1 and "needs io_uring on Linux" in err:
            continue  # each_receive_mode_runs_as_asked says so, visibly
        assert code == 0 and rep, err
        assert "pool 2 x 4 KiB" in rep["recv"] and rep["pool_waits"] > 0, rep
        for i in range(600):
            with open(os.path.join(out, f"p{i}"), "rb") as f:
                assert f.read() == FILES[f"many/f{i % 500}.bin"], (io, i)
    code, _, err = run(["--uring-recv-pool", "0", f"{BASE}/many/f1.bin"])
    assert code == 2 and "--uring-recv-pool needs a number of buffers" in err, err
    code, _, err = run(["--uring-recv", "big", f"{BASE}/many/f1.bin"])
    assert code == 2 and "--uring-recv takes pool, multishot, own or auto, not 'big'" in err, err


@case
def each_receive_mode_runs_as_asked():
    """--uring-recv own, pool and multishot, and the pool consumed
    incrementally (--uring-recv-inc on), each run as asked (the report names
    it) or fail clearly, never fall back silently.  The files arrive whole
    either way, a large one included."""
    urls = [f"{BASE}/many/f{i}.bin" for i in range(0, 500, 7)] + [f"{BASE}/big.bin"]
    lacking = []
    for mode, inc, want in (("own", "off", "own buffers"), ("pool", "off", "pool "),
                            ("multishot", "off", "multishot pool "), ("pool", "on", "pool "),
                            ("multishot", "on", "multishot pool ")):
        out = tmpdir()
        # small buffers: incremental pieces of one buffer go to several transfers
        code, rep, err = io_report_run(["--io", "uring", "--uring-recv", mode, "--uring-recv-inc", inc,
                                        "--uring-recv-buffer", "16384", "-j", "16", "-P", out] + urls)
        if code == 1 and "needs io_uring on Linux" in err:
            lacking.append(f"{mode} inc {inc}")
            continue
        assert code == 0 and rep, (mode, err)
        assert rep["recv"].startswith(want), (mode, rep)
        assert rep["recv"].endswith(", incremental") == (inc == "on"), (mode, inc, rep)
        for i in range(0, 500, 7):
            with open(os.path.join(out, f"f{i}.bin"), "rb") as f:
                assert f.read() == FILES[f"many/f{i}.bin"], (mode, i)
        assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG), mode
        shutil.rmtree(out)  # 48 MiB each: the suite also runs on small loop-device file systems
    if lacking:
        raise Skip("this kernel lacks: " + ", ".join(lacking))


@case
def timestamping_refetches_only_what_changed():
    """-N: the first fetch stamps the file with Last-Modified (mtime) and the
    ETag (xattr); a second run asks conditionally and nginx's 304 leaves the
    file untouched (same inode); after the resource changes the next run
    replaces the file atomically under the same name (no NAME.1), with the
    new mtime.  -N with -c is a usage error."""
    src = os.path.join(WWW, "mirror.txt")
    with open(src, "wb") as f:
        f.write(b"version one\n")
    os.utime(src, (1_700_000_000, 1_700_000_000))
    out = tmpdir()
    code, _, err = run(["-N", "-P", out, f"{BASE}/mirror.txt"])
    dst = os.path.join(out, "mirror.txt")
    assert code == 0, err
    st = os.stat(dst)
    assert st.st_mtime == 1_700_000_000, st
    try:
        etag = os.getxattr(dst, "user.ringfetch.etag").decode()
        assert etag.startswith('"'), etag
    except OSError:
        pass  # a file system without user xattrs: If-Modified-Since still works
    code, _, err = run(["-N", "-P", out, f"{BASE}/mirror.txt"])
    assert code == 0 and "up to date" in err, err
    assert os.stat(dst).st_ino == st.st_ino and listdir(out) == ["mirror.txt"]
    with open(src, "wb") as f:
        f.write(b"version two, longer\n")
    os.utime(src, (1_700_000_100, 1_700_000_100))
    code, _, err = run(["-N", "-P", out, f"{BASE}/mirror.txt"])
    assert code == 0 and "up to date" not in err, err
    assert listdir(out) == ["mirror.txt"], listdir(out)
    with open(dst, "rb") as f:
        assert f.read() == b"version two, longer\n"
    assert os.stat(dst).st_mtime == 1_700_000_100
    code, _, err = run(["-N", "-c", "-P", out, f"{BASE}/mirror.txt"])
    assert code == 2 and "-N and -c cannot be combined" in err, err


@case
def registered_file_table_as_asked():
    """--uring-fixed-files on: the ring's sockets, and the output files it
    opens (--file-io ring), go into its registered file table (the report
    counts them) and their ops name the slot; the files arrive whole (pool
    receives, a large body spliced into a registered file), and bench mode
    registers its connections.  off: none."""
    urls = [f"{BASE}/many/f{i}.bin" for i in range(0, 500, 5)] + [f"{BASE}/big.bin"]
    for mode, fio in (("on", "inline"), ("on", "ring"), ("off", "ring")):
        out = tmpdir()
        code, rep, err = io_report_run(["--io", "uring", "--uring-fixed-files", mode, "--file-io", fio,
                                        "--tmpfile", "off", "-j", "8", "--max-per-host", "4", "-P",
                                        out] + urls)
        assert code == 0 and rep, (mode, err)
        assert f"registered files {mode}" in rep["variants"], rep  # the report names the variant
        if mode == "off":
            assert rep["fixed_files"] == 0, rep
        elif fio == "inline":
            assert 4 <= rep["fixed_files"] <= 8, rep  # the connections, reused
        else:  # and every output file the ring opened (the large one spliced into it)
            assert 4 + len(urls) <= rep["fixed_files"] <= 8 + len(urls), rep
        for i in range(0, 500, 5):
            with open(os.path.join(out, f"f{i}.bin"), "rb") as f:
                assert f.read() == FILES[f"many/f{i}.bin"], (mode, i)
        assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG), mode
        shutil.rmtree(out)  # 48 MiB each: the suite also runs on small loop-device file systems
        p = subprocess.run([RINGFETCH, "bench", "-q", "--io", "uring", "--uring-fixed-files", mode,
                            "--io-report=json", "-c", "4", "-n", "200", f"{BASE}/many/f3.bin"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert p.returncode == 0, p.stderr
        brep = json.loads(p.stderr.decode().strip().splitlines()[-1])
        assert brep["requests"] == 200 and brep["fixed_files"] == (4 if mode == "on" else 0), brep
    code, _, err = run(["--uring-fixed-files", "maybe", f"{BASE}/many/f1.bin"])
    assert code == 2 and "--uring-fixed-files takes on, off or auto, not 'maybe'" in err, err


@case
def registered_buffers_for_file_writes():
    """--uring-write-fixed on: the receive pool's memory is registered with
    the ring, so body writes from it that go through the ring (--file-io
    ring) are WRITE_FIXED (counted); off: none.  Files arrive whole."""
    urls = [f"{BASE}/many/f{i}.bin" for i in range(0, 500, 5)]
    for mode in ("on", "off"):
        out = tmpdir()
        code, rep, err = io_report_run(["--io", "uring", "--file-io", "ring", "--uring-recv", "pool",
                                        "--uring-write-fixed", mode, "-j", "8", "-P", out] + urls)
        assert code == 0 and rep, (mode, err)
        nonempty = sum(1 for i in range(0, 500, 5) if FILES[f"many/f{i}.bin"])
        if mode == "on":
            assert rep["fixed_writes"] >= nonempty, (nonempty, rep)
        else:
            assert rep["fixed_writes"] == 0, rep
        for i in range(0, 500, 5):
            with open(os.path.join(out, f"f{i}.bin"), "rb") as f:
                assert f.read() == FILES[f"many/f{i}.bin"], (mode, i)


@case
def submit_batch_one_submits_each_sqe_alone():
    """--uring-submit-batch 1: no io_uring_enter carries more than one new SQE
    (by default the SQEs of a pass go together); files still arrive whole."""
    out = tmpdir()
    urls = [f"{BASE}/many/f{i}.bin" for i in range(30)]
    p = subprocess.run([RINGFETCH, "--io", "uring", "--uring-submit-batch", "1", "--io-report=json",
                        "-q", "-j", "8", "-P", out] + urls, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stderr.decode().strip().splitlines()[-1])
    assert rep["sqes"] <= rep["syscalls"]["io_uring_enter"], rep
    assert "submit batch 1," in rep["variants"], rep
    for i in range(30):
        with open(os.path.join(out, f"f{i}.bin"), "rb") as f:
            assert f.read() == FILES[f"many/f{i}.bin"]
    code, _, err = run(["--uring-submit-batch", "x", f"{BASE}/many/f1.bin"])
    assert code == 2 and "--uring-submit-batch needs a number" in err, err


@case
def each_ring_setup_runs_as_asked_or_fails():
    """--uring-setup MODE is that mode or an error, never another one: the
    summary names the mode that ran (fetch), the report too (bench)."""
    names = {"defer-taskrun": "single-issuer+defer-taskrun", "coop-taskrun": "coop-taskrun",
             "plain": "plain", "sqpoll": "sqpoll"}
    lacking = []
    for mode, name in names.items():
        out = tmpdir()
        code, _, err = run(["--io", "uring", "--uring-setup", mode, "-P", out,
                            f"{BASE}/many/f1.bin", f"{BASE}/many/f2.bin"])
        if code == 1 and f"cannot set up an io_uring as {name}" in err:
            lacking.append(mode)
            continue
        assert code == 0 and f", io_uring ({name})" in err, (mode, code, err)
        assert sorted(os.listdir(out)) == ["f1.bin", "f2.bin"]
        p = subprocess.run([RINGFETCH, "bench", "-q", "--uring-setup", mode, "-c", "2", "-n", "50",
                            f"{BASE}/many/f1.bin"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        assert p.returncode == 0 and f"io_uring ({name})" in p.stdout.decode(), (mode, p.stdout)
    if lacking:
        raise Skip("this kernel cannot set up io_uring as " + ", ".join(lacking))


@case
def io_path_is_named_when_asked():
    for io, want in (("epoll", "epoll"), ("uring", "io_uring (")):
        out = tmpdir()
        code, _, err = run(["--io", io, "-P", out, f"{BASE}/many/f1.bin"])
        assert code == 0 and f", {want}" in err, (io, err)
    code, _, err = run(["--io", "kqueue", f"{BASE}/many/f1.bin"])
    assert code == 2 and "--io takes uring, epoll or auto, not 'kqueue'" in err, err


if __name__ == "__main__":
    main()
