#!/usr/bin/env python3
"""HTTP/2: nginx (http2 over TLS by ALPN, and h2c with prior knowledge),
nghttpd (Debian's nghttp2-server), h2o, Apache's mod_http2, and
tests/servers/h2bad.py breaking the protocol's rules.  Each case asserts content by SHA-256, which protocol
nginx's access log says each request came over and on how many
connections, the exit status and the message."""
import json
import os
import shutil
import subprocess
import time

from harness import (EXTRA_ARGS, NGINX_LOGS, RINGFETCH, WRAPPER, Skip, case, free_port, listdir, main, run,
                     sha256, sha256_file,
                     start_nginx, start_script_server, start_tinyproxy, tmpdir, wait_port, _cleanup, _stop,
                     ROOT)
from pki import make_pki

PKI = make_pki(tmpdir())
CA = ["--cacert", PKI["ca"]]
WWW = tmpdir()
os.makedirs(os.path.join(WWW, "many"))
FILES = {}
for i in range(300):
    data = os.urandom(i * 131 % 40000)
    FILES[f"f{i}.bin"] = data
    with open(os.path.join(WWW, "many", f"f{i}.bin"), "wb") as f:
        f.write(data)
BIG = os.urandom(1 << 20) * 24
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
TEXT = b"compressible, cookie-setting text\n" * 4000
with open(os.path.join(WWW, "t.txt"), "wb") as f:
    f.write(TEXT)
EXTRA = """
    location /redir { return 302 /many/f7.bin; }
    location = /set { add_header Set-Cookie "h2c=yes; Path=/"; return 200 "set\\n"; }
    location = /echo-cookie { return 200 "$http_cookie\\n"; }
    location /missing-page { return 404 "gone\\n"; }
    location /slowly { limit_rate 200k; alias %s/big.bin; }
""" % WWW
GZIP = "gzip on; gzip_types text/plain; gzip_min_length 10;"
H2 = start_nginx(WWW, EXTRA, tls=(PKI["server"], PKI["key"]), http2=True, http_extra=GZIP)
H2C = start_nginx(WWW, EXTRA, http2=True, v6=False)
H1 = start_nginx(WWW, EXTRA, tls=(PKI["server"], PKI["key"]), v6=False)
H2BAD = os.path.join(ROOT, "tests", "servers", "h2bad.py")


def log_lines(port):
    """nginx's access log: (protocol, status, uri, connection) per request."""
    time.sleep(0.05)  # nginx writes a request's line when it is done
    out = []
    with open(NGINX_LOGS[port]) as f:
        for line in f:
            proto, status, uri, conn, _ = line.split()
            out.append((proto, int(status), uri, conn))
    return out


def log_mark(port):
    return len(log_lines(port))


def fetch(urls, *opts, timeout=60):
    out = tmpdir()
    code, stdout, err = run(["--retry", "0"] + list(opts) + ["-P", out] + list(urls), timeout=timeout)
    return code, err, out


def same_files(out, names):
    for n in names:
        assert sha256_file(os.path.join(out, n)) == sha256(FILES[n]), n


@case
def https_offers_h2_and_many_files_share_one_connection():
    mark = log_mark(H2)
    names = [f"f{i}.bin" for i in range(300)]
    code, err, out = fetch([f"https://localhost:{H2}/many/{n}" for n in names], *CA, "-j", "64")
    assert code == 0, err
    same_files(out, names)
    lines = log_lines(H2)[mark:]
    assert len(lines) == 300 and {p for p, *_ in lines} == {"HTTP/2.0"}, lines[:3]
    assert len({c for *_, c in lines}) == 1, "one connection carries every stream"
    assert "TLS handshakes 1 (0 resumed)" in err, err


@case
def max_per_host_one_over_two_threads_is_one_h2_connection():
    """-t 2 --max-per-host 1: the thread without the connection hands its
    requests to the one with it; nginx sees one connection carry (nearly)
    all 300, where passing the one place back and forth would take dozens."""
    mark = log_mark(H2)
    names = [f"f{i}.bin" for i in range(300)]
    code, err, out = fetch([f"https://localhost:{H2}/many/{n}" for n in names], *CA, "-j", "64", "-t", "2",
                           "--max-per-host", "1")
    assert code == 0, err
    same_files(out, names)
    lines = log_lines(H2)[mark:]
    assert len(lines) == 300 and {p for p, *_ in lines} == {"HTTP/2.0"}, lines[:3]
    # one connection carries them; a second may follow when the thread that
    # held it ran out of work first and closed it (never two at once: cap 1)
    conns = {c for *_, c in lines}
    assert len(conns) <= 2 and max(sum(c == k for *_, c in lines) for k in conns) >= 250, \
        f"{len(conns)} connections for 300 streams"



@case
def reports_say_which_http_each_url_spoke():
    code, stdout, err = run(["--retry", "0", "--json", "-", "--discard", *CA, "-w", "%{http_version}\n",
                             f"https://localhost:{H2}/many/f1.bin", f"https://localhost:{H1}/many/f1.bin",
                             f"https://localhost:{H2}/many/f2.bin"])
    assert code == 0, err
    got = {r["url"].split("/")[2]: r["http_version"] for r in map(json.loads, stdout.decode().splitlines())
           if r["type"] == "result"}
    assert got == {f"localhost:{H2}": "2", f"localhost:{H1}": "1.1"}, got
    assert sorted(err.splitlines()[:3]) == ["1.1", "2", "2"], err


@case
def proxy_tunnel_compressed_bodies_and_cookies_over_h2():
    px, pxlog = start_tinyproxy()
    out = tmpdir()
    jar = os.path.join(tmpdir(), "jar")
    mark = log_mark(H2)
    base = f"https://localhost:{H2}"
    code, _, err = run(["--retry", "0", "-x", f"http://127.0.0.1:{px}", "--compressed", *CA, "-P", out,
                        "--cookie", "", "--cookie-jar", jar, "-j", "1", f"{base}/t.txt", f"{base}/set",
                        f"{base}/echo-cookie"])
    assert code == 0, err
    assert open(os.path.join(out, "t.txt"), "rb").read() == TEXT
    assert open(os.path.join(out, "echo-cookie")).read() == "h2c=yes\n"
    lines = log_lines(H2)[mark:]
    assert [p for p, *_ in lines] == ["HTTP/2.0"] * 3 and len({c for *_, c in lines}) == 1, lines
    assert f"CONNECT localhost:{H2}" in open(pxlog).read()
    assert "h2c\tyes" in open(jar).read()


@case
def verbose_summarises_the_frames():
    code, _, err = run(["-v", "--retry", "0", *CA, "-P", tmpdir(), f"https://localhost:{H2}/many/f200.bin"])
    assert code == 0, err
    n = len(FILES["f200.bin"])
    assert "HTTP/2 session (ALPN h2)" in err and "< HTTP/2 200" in err, err
    assert f"HTTP/2 stream 1: 1 HEADERS and " in err and f"({n} body bytes) received, ended by the server" in err, err


@case
def h2c_with_prior_knowledge():
    mark = log_mark(H2C)
    names = [f"f{i}.bin" for i in range(0, 300, 3)]
    code, err, out = fetch([f"http://127.0.0.1:{H2C}/many/{n}" for n in names] +
                           [f"http://127.0.0.1:{H2C}/big.bin"], "--http2-prior-knowledge", "-j", "16")
    assert code == 0, err
    same_files(out, names)
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    lines = log_lines(H2C)[mark:]
    assert {p for p, *_ in lines} == {"HTTP/2.0"} and len({c for *_, c in lines}) == 1, lines[:3]


@case
def http1_1_is_spoken_when_asked_or_when_the_server_has_no_h2():
    mark = log_mark(H2)
    code, err, out = fetch([f"https://localhost:{H2}/many/f1.bin", f"https://localhost:{H2}/many/f2.bin"],
                           *CA, "--http1.1")
    assert code == 0, err
    same_files(out, ["f1.bin", "f2.bin"])
    assert {p for p, *_ in log_lines(H2)[mark:]} == {"HTTP/1.1"}
    mark = log_mark(H1)
    names = [f"f{i}.bin" for i in range(40)]
    code, err, out = fetch([f"https://localhost:{H1}/many/{n}" for n in names], *CA, "-j", "8")
    assert code == 0, err
    same_files(out, names)
    lines = log_lines(H1)[mark:]
    assert {p for p, *_ in lines} == {"HTTP/1.1"}, lines[:3]
    # the requests waited for the first connection's answer, then went
    # over up to 8 connections of their own
    assert 1 < len({c for *_, c in lines}) <= 8, lines


@case
def requests_wait_for_the_first_connection_only_while_it_may_succeed():
    """A server that accepts and never speaks: the first connection's TLS
    handshake times out; the requests that waited for it then dial at once,
    together, not one after another."""
    import socket
    import threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    arrived, held = [], []

    def accept():
        while True:
            try:
                conn, _ = ls.accept()
            except OSError:
                return
            arrived.append(time.monotonic())
            held.append(conn)
    threading.Thread(target=accept, daemon=True).start()
    urls = [f"https://127.0.0.1:{port}/{i}" for i in range(8)]
    code, err, out = fetch(urls, *CA, "-j", "8", "--connect-timeout", "1")
    ls.close()
    for conn in held:
        conn.close()
    assert code == 4 and err.count("connect timed out (TLS handshake)") == 8, (code, err)
    # the first alone, then the seven others together (not a second apart)
    assert len(arrived) == 8 and arrived[1] - arrived[0] >= 0.9, arrived
    assert arrived[-1] - arrived[1] < 0.9, [round(t - arrived[0], 3) for t in arrived]


@case
def http2_only_fails_clearly_against_a_server_without_it():
    url = f"https://localhost:{H1}/many/f3.bin"
    code, err, out = fetch([url], *CA, "--http2")
    assert code == 4, (code, err)
    assert f"{url}: HTTP/2 stream or session failed (the server did not agree to HTTP/2" in err, err
    assert listdir(out) == []
    code, _, err = run(["--http2", "--http1.1", url])
    assert code == 2 and "exclude each other" in err, err


@case
def redirects_errors_resume_and_checksums_over_streams():
    base = f"https://localhost:{H2}"
    want = hashlib_hex(FILES["f9.bin"])
    code, err, out = fetch([f"{base}/redir", f"{base}/missing-page", f"{base}/many/f9.bin#sha256={want}"],
                           *CA, "-j", "4")
    assert code == 6, (code, err)  # an HTTP error
    assert f"{base}/missing-page: HTTP 404" in err, err
    assert sha256_file(os.path.join(out, "redir")) == sha256(FILES["f7.bin"])
    assert sha256_file(os.path.join(out, "f9.bin")) == sha256(FILES["f9.bin"])
    # resume: a .part with the first half goes on with a Range request
    out = tmpdir()
    with open(os.path.join(out, "big.bin.part"), "wb") as f:
        f.write(BIG[:len(BIG) // 2])
    mark = log_mark(H2)
    code, _, err = run(["-c", "-o", os.path.join(out, "big.bin"), *CA, f"{base}/big.bin"])
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    assert log_lines(H2)[mark:] == [(p, 206, "/big.bin", c) for p, _, _, c in log_lines(H2)[mark:]]
    # a split download: segments are streams of one session
    out = tmpdir()
    mark = log_mark(H2)
    code, _, err = run(["--split", "4", "-P", out, *CA, f"{base}/big.bin"])
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    lines = log_lines(H2)[mark:]
    assert len(lines) >= 4 and {p for p, *_ in lines} == {"HTTP/2.0"}, lines
    assert len({c for *_, c in lines}) == 1, lines


def hashlib_hex(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


@case
def a_slow_reader_holds_back_only_its_own_stream():
    """--limit-rate holds a stream's window shut: the big body comes at the
    limit, with flat memory, while small files on the same connection come
    at once."""
    out = tmpdir()
    names = [f"f{i}.bin" for i in range(20)]
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", os.environ["RINGFETCH"], "--retry", "0",
                          "--limit-rate", "4M", *CA, "-P", out, "--json", "-",
                          f"https://localhost:{H2}/big.bin"] +
                         [f"https://localhost:{H2}/many/{n}" for n in names],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    same_files(out, names)
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    import json
    done = [json.loads(line) for line in stdout.splitlines() if '"type":"result"' in line]
    order = [d["url"].rsplit("/", 1)[1] for d in done]
    assert order[-1] == "big.bin", order  # the small ones did not wait for it
    big = [d for d in done if d["url"].endswith("big.bin")][0]
    assert big["time"]["total"] >= 4.0, big  # 24 MiB at 4 MiB/s: the window held it
    rss_kb = int(err.strip().splitlines()[-1])
    if not os.environ.get("RINGFETCH_SANITIZED") and not os.environ.get("RINGFETCH_WRAPPER"):
        assert rss_kb < 40 * 1024, rss_kb


@case
def max_per_host_counts_connections_and_streams_fill_them():
    mark = log_mark(H2)
    names = [f"f{i}.bin" for i in range(120)]
    code, err, out = fetch([f"https://localhost:{H2}/many/{n}" for n in names], *CA, "-j", "120",
                           "--max-per-host", "1")
    assert code == 0, err
    same_files(out, names)
    lines = log_lines(H2)[mark:]
    assert len({c for *_, c in lines}) == 1 and len(lines) == 120, lines[:3]


def start_h2bad(mode, tls=False):
    args = [mode] + (["--tls", PKI["server"], PKI["key"]] if tls else [])
    return start_script_server(H2BAD, *args)


def fetch_bad(mode, *opts, n=3, tls=False, timeout=30):
    port = start_h2bad(mode, tls)
    scheme = "https" if tls else "http"
    urls = [f"{scheme}://127.0.0.1:{port}/{chr(97 + i)}" for i in range(n)]
    extra = CA if tls else ["--http2-prior-knowledge"]
    code, err, out = fetch(urls, "--timeout", "3", "-j", "4", *extra, *opts, timeout=timeout)
    return code, err, out, urls


@case
def well_behaved_raw_server_and_its_settings():
    for mode in ("ok", "zerowindow", "onestream", "closedtwice"):
        code, err, out, urls = fetch_bad(mode)
        assert code == 0, (mode, err)
        assert sorted(listdir(out)) == ["a", "b", "c"], (mode, listdir(out))
    code, err, out, urls = fetch_bad("ok", tls=True)
    assert code == 0, err
    assert sorted(listdir(out)) == ["a", "b", "c"]


@case
def goaway_sends_unprocessed_streams_to_a_new_connection():
    code, err, out, urls = fetch_bad("goaway", n=6)
    assert code == 0, err
    assert sorted(listdir(out)) == list("abcdef"), listdir(out)
    assert "retr" not in err, err  # not counted as failures


@case
def a_reset_stream_fails_alone_and_mirroring_works():
    code, err, out, urls = fetch_bad("rstone", "-j", "1", n=3)  # streams 1, 3, 5 in order
    assert code == 4, (code, err)
    assert f"{urls[1]}: HTTP/2 stream or session failed (the server reset the stream (INTERNAL_ERROR))" in err
    assert sorted(listdir(out)) == ["a", "c"], listdir(out)
    # -N: the second run asks with If-Modified-Since and nginx answers 304
    out = tmpdir()
    url = f"https://localhost:{H2}/many/f11.bin"
    for note in ("", "up to date"):
        code, stdout, err = run(["-N", "--json", "-", *CA, "-P", out, url])
        assert code == 0, err
        rec = json.loads(stdout.decode().splitlines()[0])
        assert rec["http_version"] == "2" and rec["note"] == note, rec
    same_files(out, ["f11.bin"])


@case
def hostile_servers_end_with_a_clear_error_and_nothing_half_written():
    cases = {
        "rst": "the server reset the stream (INTERNAL_ERROR)",
        "push": "the server sent PUSH_PROMISE, and push is disabled",
        "bigheaders": "HTTP/2 stream or session failed (Too many CONTINUATION frames",
        "continuation": "Too many CONTINUATION frames",
        "hpackbomb": "response headers too large (header section over 64 KiB)",
        "pingflood": "the server flooded the session",
        "settingsflood": "the server flooded the session",
        "silent": "timed out waiting for data",
    }
    for mode, message in cases.items():
        t0 = time.monotonic()
        code, err, out, urls = fetch_bad(mode)
        assert code == 4, (mode, code, err)
        for u in urls:
            assert u + ":" in err, (mode, err)
        assert message in err, (mode, err)
        assert listdir(out) == [], (mode, listdir(out))
        assert time.monotonic() - t0 < 20, mode


@case
def data_beyond_the_window_resets_the_stream():
    # the reader is held by the rate limit, so the window stays shut
    code, err, out, urls = fetch_bad("window", "--limit-rate", "20k", n=1)
    assert code == 4, (code, err)
    assert "beyond the stream's flow-control window" in err, err
    assert listdir(out) == []


@case
def protocol_mismatches_are_named():
    # an h2 server asked HTTP/1.1: its SETTINGS frame is no HTTP/1.1 answer
    port = start_h2bad("ok")
    url = f"http://127.0.0.1:{port}/x"
    code, err, out = fetch([url], "--timeout", "3")
    assert code == 4 and f"{url}:" in err, (code, err)
    assert listdir(out) == []
    # an HTTP/1.1 server spoken to with prior knowledge
    h1plain = start_nginx(WWW, v6=False)
    url = f"http://127.0.0.1:{h1plain}/many/f1.bin"
    code, err, out = fetch([url], "--http2-prior-knowledge", "--timeout", "3")
    assert code == 4 and f"{url}: HTTP/2 stream or session failed" in err, (code, err)
    assert "does not support HTTP/2" in err, err
    assert listdir(out) == []


@case
def nghttpd_serves_the_same_bytes():
    if not shutil.which("nghttpd"):
        raise Skip("nghttpd (nghttp2-server) is not installed")
    port = free_port()
    p = subprocess.Popen(["nghttpd", "-d", WWW, "--no-tls", str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _cleanup.append(lambda p=p: _stop(p))
    wait_port(port)
    tport = free_port()
    q = subprocess.Popen(["nghttpd", "-d", WWW, str(tport), PKI["key"], PKI["server"]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _cleanup.append(lambda q=q: _stop(q))
    wait_port(tport)
    names = [f"f{i}.bin" for i in range(0, 300, 7)]
    code, err, out = fetch([f"http://127.0.0.1:{port}/many/{n}" for n in names] +
                           [f"http://127.0.0.1:{port}/big.bin"], "--http2-prior-knowledge", "-j", "16")
    assert code == 0, err
    same_files(out, names)
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    code, err, out = fetch([f"https://localhost:{tport}/many/{n}" for n in names], *CA, "--http2")
    assert code == 0, err
    same_files(out, names)


def bench(*args, timeout=120):
    """`ringfetch bench ARGS --json F` (the suite's extra options after
    `bench`): (exit code, stderr, result)."""
    out = os.path.join(tmpdir(), "r.json")
    p = subprocess.run(WRAPPER + [RINGFETCH, "bench"] + EXTRA_ARGS + ["-q", "--json", out] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    res = json.load(open(out)) if os.path.exists(out) and os.path.getsize(out) else None
    return p.returncode, p.stderr.decode(errors="replace"), res


@case
def bench_http2_sends_every_request_on_its_streams():
    for port, scheme, extra in ((H2C, "http", []), (H2, "https", CA)):
        mark = log_mark(port)
        url = f"{scheme}://127.0.0.1:{port}/many/f5.bin" if scheme == "http" else \
            f"https://localhost:{port}/many/f5.bin"
        code, err, res = bench("-c", "2", "-m", "16", "-n", "3000", *extra, url)
        assert code == 0, err
        assert res["requests"] == 3000 and res["ok"] == 3000 and res["status"] == {"200": 3000}, res
        assert res["bytes"] == 3000 * len(FILES["f5.bin"]), res["bytes"]
        assert res["http2_streams"] == 16 and res["connects"] == 2, res
        lines = log_lines(port)[mark:]
        assert len(lines) == 3000 and {p for p, *_ in lines} == {"HTTP/2.0"}, lines[:2]
        assert len({c for *_, c in lines}) == 2, "two connections carried every stream"
    # the open model deals its requests over the streams as they fall due
    code, err, res = bench("--http2", "-c", "2", "-m", "8", "--rate", "1000", "-d", "2s",
                           f"http://127.0.0.1:{H2C}/many/f5.bin")
    assert code == 0, err
    # every request due in the 2 s is counted, answered or not (a slow
    # client under valgrind sends late, never fewer)
    due = res["requests"] + res["unsent"] + sum(res["errors"].values())
    assert abs(due - 2000) <= 2 and res["ok"] == res["requests"], res


@case
def bench_http2_counts_failures_and_refuses_what_it_cannot_do():
    port = start_h2bad("rst")
    code, err, res = bench("-c", "1", "-m", "4", "-n", "40", "--timeout", "3", f"http://127.0.0.1:{port}/x")
    assert code != 0, err
    assert res["ok"] == 0 and sum(res["errors"].values()) == 40, res["errors"]
    assert "reset the stream" in json.dumps(res["error_samples"]), res["error_samples"]
    # a server allowing one stream at a time, and one refusing all but the
    # first stream of each connection (GOAWAY): every request is answered
    for mode, n in (("onestream", 200), ("goaway", 12)):
        port = start_h2bad(mode)
        code, err, res = bench("-c", "2", "-m", "8", "-n", str(n), f"http://127.0.0.1:{port}/x")
        assert code == 0 and res["ok"] == n and sum(res["errors"].values()) == 0, (mode, err, res["errors"])
    # POST bodies go as DATA (the raw server answers every stream)
    port = start_h2bad("ok")
    code, err, res = bench("-c", "1", "-m", "4", "-n", "40", "--data", "x" * 5000, f"http://127.0.0.1:{port}/p")
    assert code == 0 and res["ok"] == 40, (err, res and res["errors"])
    code, err, res = bench("-m", "4", "-n", "10", *CA, f"https://localhost:{H1}/many/f1.bin")
    assert code != 0 and "did not agree to HTTP/2" in json.dumps(res["error_samples"]), (err, res)
    code, err, _ = bench("--http2", "--no-keepalive", "-n", "1", f"http://127.0.0.1:{H2C}/")
    assert code == 2 and "keeps its connections" in err, err
    code, err, _ = bench("-m", "101", "-n", "1", f"http://127.0.0.1:{H2C}/")
    assert code == 2 and "-m needs" in err, err


def readable_to_all():
    """h2o and Apache started as root serve as an unprivileged user."""
    for d in (WWW, os.path.join(WWW, "many")):
        os.chmod(d, 0o755)


def start_h2o(tls):
    readable_to_all()
    work = tmpdir()
    port = free_port()
    ssl = (f"\n  ssl:\n    certificate-file: {PKI['server']}\n    key-file: {PKI['key']}"
           if tls else "")
    with open(os.path.join(work, "h2o.conf"), "w") as f:
        f.write(f"""listen:
  port: {port}
  host: 127.0.0.1{ssl}
error-log: {work}/error.log
hosts:
  default:
    paths:
      /:
        file.dir: {WWW}
""")
    p = subprocess.Popen(["h2o", "-c", os.path.join(work, "h2o.conf")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _cleanup.append(lambda p=p: _stop(p))
    wait_port(port)
    return port


def start_apache(tls):
    """Apache httpd with mod_http2 (it drops to www-data: the files are
    made readable to it)."""
    readable_to_all()
    work = tmpdir()
    os.chmod(work, 0o755)
    port = free_port()
    mods = "/usr/lib/apache2/modules"
    tls_conf = (f"LoadModule ssl_module {mods}/mod_ssl.so\nSSLEngine on\n"
                f"SSLCertificateFile {PKI['server']}\nSSLCertificateKeyFile {PKI['key']}\n"
                "Protocols h2 http/1.1\n") if tls else "Protocols h2c http/1.1\n"
    with open(os.path.join(work, "httpd.conf"), "w") as f:
        f.write(f"""LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule http2_module {mods}/mod_http2.so
ServerName localhost
Listen 127.0.0.1:{port}
PidFile {work}/httpd.pid
ErrorLog {work}/error.log
DefaultRuntimeDir {work}
Mutex file:{work} default
User www-data
Group www-data
DocumentRoot {WWW}
<Directory {WWW}>
  Require all granted
</Directory>
{tls_conf}""")
    p = subprocess.Popen(["apache2", "-f", os.path.join(work, "httpd.conf"), "-DFOREGROUND"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _cleanup.append(lambda p=p: _stop(p))
    wait_port(port)
    return port


@case
def h2o_and_apache_serve_the_same_bytes():
    names = [f"f{i}.bin" for i in range(0, 300, 11)]
    for server, start in (("h2o", start_h2o), ("apache2", start_apache)):
        if not shutil.which(server):
            raise Skip(f"{server} is not installed")
        tport, port = start(True), start(False)
        code, stdout, err = run(["--retry", "0", *CA, "-P", tmpdir(), "--http2", "--json", "-", "-j", "8"] +
                                [f"https://localhost:{tport}/many/{n}" for n in names])
        assert code == 0, (server, err)
        assert {json.loads(l).get("http_version") for l in stdout.decode().splitlines()} == {"2", None}
        out = tmpdir()
        code, _, err = run(["--retry", "0", "-P", out, "--http2-prior-knowledge", "-j", "8"] +
                           [f"http://127.0.0.1:{port}/many/{n}" for n in names] +
                           [f"http://127.0.0.1:{port}/big.bin"])
        assert code == 0, (server, err)
        same_files(out, names)
        assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG), server


if __name__ == "__main__":
    main()
