#!/usr/bin/env python3
"""Proxies: a real tinyproxy (Debian's; with and without Basic auth) in front
of nginx over HTTP and HTTPS, and badserver playing a misbehaving proxy.

Asserted: bodies byte-exact through the proxy; the proxy's own log shows
each request went through it (absolute-form GET for http://, CONNECT for
https://) or did not (no_proxy); the environment variables curl reads, and
only those; TLS inside a tunnel checked against the origin; 407 and every
way of refusing or breaking a tunnel reported as a proxy error (exit 9)
within its timeout; pooled connections to the proxy; the proxy's password
never printed and never sent to an origin."""
import os
import re
import socket

from harness import (body_of, case, free_port, http_get, main, run, sha256, sha256_file,
                     start_badserver, start_nginx, start_tinyproxy, stats, tmpdir)
from pki import make_pki

PKI = make_pki(tmpdir())
CA = ["--cacert", PKI["ca"]]
WWW = tmpdir()
os.makedirs(os.path.join(WWW, "many"))
FILES = {}
for i in range(60):
    FILES[i] = os.urandom(i * 977 % 9000 + 1)
    with open(os.path.join(WWW, "many", f"f{i}.bin"), "wb") as f:
        f.write(FILES[i])
BIG = os.urandom(3 << 20)
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
TLS = start_nginx(WWW, tls=(PKI["server"], PKI["key"]), v6=False)
WRONG = start_nginx(WWW, tls=(PKI["wrong"], PKI["wrong_key"]), v6=False)
PLAIN = start_nginx(WWW, f"location /to-tls {{ return 301 https://localhost:{TLS}/many/f2.bin; }}",
                    v6=False)
SECRET = "pr0xy-S3cret"
TP, TP_LOG = start_tinyproxy()
TPA, TPA_LOG = start_tinyproxy(auth=("alice", SECRET))
BAD = start_badserver()                                   # a misbehaving proxy
BAD_TLS = start_badserver(tls=(PKI["server"], PKI["key"]))  # an origin that logs credentials
NO_PROXY_ENV = {k: v for k, v in os.environ.items()}


def fetch(args, env=None, timeout=60):
    """Run with only the given proxy variables; the secret is never printed."""
    out = tmpdir()
    e = dict(NO_PROXY_ENV)
    e.update(env or {})
    code, stdout, err = run(["--retry", "0", "-P", out] + list(args), env=e, timeout=timeout)
    assert SECRET not in err and SECRET.encode() not in stdout, f"secret printed: {err}"
    return code, err, out


def log_has(log, text):
    with open(log, errors="replace") as f:
        return f.read().count(text)


def same(out, name, data):
    return sha256_file(os.path.join(out, name)) == sha256(data)


@case
def http_through_tinyproxy():
    """http:// URLs go to the proxy in absolute form; the bodies arrive whole."""
    urls = [f"http://127.0.0.1:{PLAIN}/many/f{i}.bin?c=plain" for i in range(20)]
    code, err, out = fetch(["-x", f"http://127.0.0.1:{TP}", "-j", "4"] + urls)
    assert code == 0, err
    for i in range(20):
        assert same(out, f"f{i}.bin", FILES[i]), i
        assert log_has(TP_LOG, f"GET http://127.0.0.1:{PLAIN}/many/f{i}.bin?c=plain HTTP/1.1") == 1, i


@case
def https_through_tinyproxy_tunnel():
    """https:// URLs go through CONNECT; TLS inside is against the origin."""
    urls = [f"https://localhost:{TLS}/big.bin"] + [f"https://localhost:{TLS}/many/f{i}.bin"
                                                    for i in range(10)]
    before = log_has(TP_LOG, f"CONNECT localhost:{TLS} HTTP/1.1")
    code, err, out = fetch(CA + ["-x", f"127.0.0.1:{TP}", "-j", "3"] + urls)
    assert code == 0, err
    assert same(out, "big.bin", BIG)
    for i in range(10):
        assert same(out, f"f{i}.bin", FILES[i]), i
    tunnels = log_has(TP_LOG, f"CONNECT localhost:{TLS} HTTP/1.1") - before
    assert 1 <= tunnels <= 3, f"{tunnels} tunnels for 11 URLs at -j 3: connections not reused"


@case
def verbose_shows_the_route():
    code, err, _ = fetch(CA + ["-v", "-x", f"http://127.0.0.1:{TP}", f"https://localhost:{TLS}/many/f1.bin"])
    assert code == 0, err
    lines = err.splitlines()
    url = f"https://localhost:{TLS}/many/f1.bin"
    assert f"* {url}: trying proxy 127.0.0.1:{TP}" in lines, err
    assert f"* {url}: tunnel to localhost:{TLS} open through proxy 127.0.0.1:{TP}" in lines, err
    assert f"* {url}: TLS handshake done (new session)" in lines, err


@case
def tls_name_is_checked_against_the_origin():
    """The certificate must name the origin, never the proxy: wrong.example's
    certificate at localhost fails through a tunnel as it does directly."""
    code, err, _ = fetch(CA + ["-x", f"http://127.0.0.1:{TP}", f"https://localhost:{WRONG}/many/f1.bin"])
    assert code == 5, (code, err)
    assert log_has(TP_LOG, f"CONNECT localhost:{WRONG} HTTP/1.1") >= 1


@case
def redirect_from_http_to_https_both_through_the_proxy():
    code, err, out = fetch(CA + ["-x", f"http://127.0.0.1:{TP}", f"http://127.0.0.1:{PLAIN}/to-tls?c=r"])
    assert code == 0, err
    assert same(out, "to-tls", FILES[2])
    assert log_has(TP_LOG, f"GET http://127.0.0.1:{PLAIN}/to-tls?c=r HTTP/1.1") == 1


@case
def environment_variables_as_curl_reads_them():
    """http_proxy (lower case only), https_proxy / HTTPS_PROXY, all_proxy /
    ALL_PROXY as the fallback for both."""
    px = f"http://127.0.0.1:{TP}"
    for var, scheme, tag in [("http_proxy", "http", "e1"), ("https_proxy", "https", "e2"),
                             ("HTTPS_PROXY", "https", "e3"), ("all_proxy", "http", "e4"),
                             ("ALL_PROXY", "https", "e5")]:
        port = PLAIN if scheme == "http" else TLS
        url = f"{scheme}://localhost:{port}/many/f3.bin?c={tag}"
        before = log_has(TP_LOG, f"CONNECT localhost:{TLS} ")
        code, err, out = fetch(CA + [url], env={var: px})
        assert code == 0, (var, err)
        assert same(out, "f3.bin", FILES[3])
        if scheme == "http":
            assert log_has(TP_LOG, f"GET {url} HTTP/1.1") == 1, var
        else:
            assert log_has(TP_LOG, f"CONNECT localhost:{TLS} ") == before + 1, var
    # HTTP_PROXY is not read (a CGI request header "Proxy:" sets it: httpoxy)
    url = f"http://localhost:{PLAIN}/many/f4.bin?c=upper"
    code, err, out = fetch([url], env={"HTTP_PROXY": px})
    assert code == 0, err
    assert log_has(TP_LOG, url) == 0, "HTTP_PROXY was used"
    # http_proxy is not used for https:// URLs
    before = log_has(TP_LOG, f"CONNECT localhost:{TLS} ")
    code, err, out = fetch(CA + [f"https://localhost:{TLS}/many/f4.bin"], env={"http_proxy": px})
    assert code == 0, err
    assert log_has(TP_LOG, f"CONNECT localhost:{TLS} ") == before


@case
def no_proxy_lists():
    px = f"http://127.0.0.1:{TP}"
    direct = [("127.0.0.1", "127.0.0.1"), ("127.0.0.0/8", "127.0.0.1"), ("localhost", "localhost"),
              (".localhost", "localhost"), ("*", "127.0.0.1"), ("example.com, 127.0.0.1:80", "127.0.0.1"),
              ("LOCALHOST.", "localhost")]
    for n, (entry, host) in enumerate(direct):
        url = f"http://{host}:{PLAIN}/many/f5.bin?c=np{n}"
        code, err, out = fetch([url], env={"http_proxy": px, "no_proxy": entry})
        assert code == 0, err
        assert log_has(TP_LOG, url) == 0, f"no_proxy={entry!r} did not exempt {host}"
    proxied = [("example.com", "127.0.0.1"), ("10.0.0.0/8", "127.0.0.1"), ("host", "localhost"),
               ("127.0.0.2", "127.0.0.1"), ("calhost", "localhost")]
    for n, (entry, host) in enumerate(proxied):
        url = f"http://{host}:{PLAIN}/many/f5.bin?c=p{n}"
        code, err, out = fetch([url], env={"NO_PROXY": entry, "http_proxy": px})
        assert code == 0, err
        assert log_has(TP_LOG, url) == 1, f"no_proxy={entry!r} exempted {host}"
    # --noproxy wins over no_proxy; -x "" wins over http_proxy
    url = f"http://127.0.0.1:{PLAIN}/many/f5.bin?c=flag"
    code, err, _ = fetch(["--noproxy", "127.0.0.1", url], env={"http_proxy": px, "no_proxy": "other"})
    assert code == 0 and log_has(TP_LOG, url) == 0, err
    url = f"http://127.0.0.1:{PLAIN}/many/f5.bin?c=empty"
    code, err, _ = fetch(["-x", "", url], env={"http_proxy": px})
    assert code == 0 and log_has(TP_LOG, url) == 0, err
    # https:// and no_proxy
    before = log_has(TP_LOG, f"CONNECT localhost:{TLS} ")
    code, err, _ = fetch(CA + [f"https://localhost:{TLS}/many/f5.bin"],
                         env={"https_proxy": px, "no_proxy": "localhost"})
    assert code == 0 and log_has(TP_LOG, f"CONNECT localhost:{TLS} ") == before, err


@case
def proxy_credentials():
    """Basic from the proxy URL or --proxy-user; 407 without or with wrong ones."""
    good = f"http://alice:{SECRET}@127.0.0.1:{TPA}"
    for url, name in [(f"http://127.0.0.1:{PLAIN}/many/f6.bin", "f6.bin"),
                      (f"https://localhost:{TLS}/many/f7.bin", "f7.bin")]:
        code, err, out = fetch(CA + ["-x", good, url])
        assert code == 0, err
        assert same(out, name, FILES[int(name[1])])
        code, err, out = fetch(CA + ["-x", f"127.0.0.1:{TPA}", "--proxy-user", f"alice:{SECRET}", url])
        assert code == 0, err
        code, err, out = fetch(CA + ["-x", f"http://127.0.0.1:{TPA}", url])
        assert code == 9, (code, err)
        assert "proxy authentication required" in err and "none were given" in err, err
        assert os.listdir(out) == [], os.listdir(out)
        # tinyproxy answers wrong credentials with 401, not 407: through a
        # tunnel that is still the proxy's refusal; in absolute form it
        # cannot be told from the origin's own 401
        code, err, out = fetch(CA + ["-x", f"http://alice:wrong-{SECRET}@127.0.0.1:{TPA}", url])
        if url.startswith("https"):
            assert code == 9 and "refused CONNECT" in err and "401" in err, (code, err)
        else:
            assert code == 6 and "401" in err, (code, err)
        assert os.listdir(out) == [], os.listdir(out)
        code, err, out = fetch(CA + [url], env={"all_proxy": good})
        assert code == 0, err


@case
def proxy_credentials_never_reach_an_origin():
    """Through a tunnel the origin sees no Proxy-Authorization; a no_proxy
    origin gets none either; the proxy itself gets it."""
    good = f"http://alice:{SECRET}@127.0.0.1:{TPA}"
    http_get(BAD_TLS, "/creds", tls=True)
    code, err, _ = fetch(["-k", "-x", good, f"https://localhost:{BAD_TLS}/ok/100"])
    assert code == 0, err
    rows = http_get(BAD_TLS, "/creds", tls=True).split()
    assert rows and all(r.endswith("|-") for r in rows), rows
    # badserver as the proxy: the proxy sees it, the direct origin does not
    px = f"http://bob:{SECRET}@127.0.0.1:{BAD}"
    http_get(BAD, "/proxylog")
    http_get(BAD, "/creds")
    code, err, _ = fetch(["-x", px, "--noproxy", "127.0.0.1", f"http://origin.test/ok/10",
                          f"http://127.0.0.1:{BAD}/ok/20"])
    assert code == 0, err
    log = http_get(BAD, "/proxylog").split("\n")
    assert any(l.startswith("GET http://origin.test/ok/10 HTTP/1.1|Basic ") for l in log), log
    direct = [r for r in http_get(BAD, "/creds").split() if r.startswith("/ok/20")]
    assert direct == ["/ok/20|-|-|-"], direct


@case
def keepalive_per_proxy():
    """40 http:// URLs through the proxy at -j 4 use at most 4 connections to
    it; the origin's name is never resolved here (origin.test does not exist)."""
    http_get(BAD, "/reset-stats")
    urls = [f"http://origin.test/ok/{i + 1}" for i in range(40)]
    code, err, out = fetch(["-x", f"127.0.0.1:{BAD}", "-j", "4"] + urls)
    assert code == 0, err
    for i in range(40):
        assert sha256_file(os.path.join(out, str(i + 1))) == sha256(body_of(i + 1)), i
    st = stats(BAD)
    assert st["accepted"] <= 4 + 1, st  # + the /stats connection


@case
def tunnels_through_badserver_are_reused():
    http_get(BAD, "/reset-stats")
    urls = [f"https://localhost:{TLS}/many/f{i}.bin" for i in range(30)]
    code, err, out = fetch(CA + ["-x", f"127.0.0.1:{BAD}", "-j", "3"] + urls)
    assert code == 0, err
    for i in range(30):
        assert same(out, f"f{i}.bin", FILES[i]), i
    st = stats(BAD)
    assert st["accepted"] <= 3 + 1, st


@case
def misbehaving_proxy():
    """Every way a proxy can refuse or break a tunnel is a proxy error
    (exit 9) that says what happened, within the timeouts."""
    want = {"deny": "refused CONNECT deny.test:443: 403 Forbidden",
            "auth": "proxy authentication required",
            "close": "closed the connection before answering CONNECT",
            "garbage": "is not HTTP",
            "extra": "sent bytes after its answer",
            "huge": "is over 8192 bytes"}
    for host, text in want.items():
        code, err, out = fetch(["-x", f"127.0.0.1:{BAD}", "--connect-timeout", "3",
                                f"https://{host}.test/x"], timeout=20)
        assert code == 9, (host, code, err)
        assert text in err, (host, err)
        assert os.listdir(out) == [], (host, os.listdir(out))
    code, err, _ = fetch(["-x", f"u:{SECRET}@127.0.0.1:{BAD}", "https://auth.test/x"])
    assert code == 9 and "refused the credentials given" in err, (code, err)
    code, err, _ = fetch(["-x", f"127.0.0.1:{BAD}", "http://auth.test/status/407"])
    assert code == 9 and "asks for credentials, none were given" in err, (code, err)
    code, err, _ = fetch(["-x", f"127.0.0.1:{BAD}", "--connect-timeout", "1", "https://silent.test/x"],
                         timeout=20)
    assert code == 4 and f"waiting for proxy 127.0.0.1:{BAD} to open the tunnel" in err, (code, err)


@case
def proxy_unreachable_or_unresolvable():
    port = free_port()
    code, err, _ = fetch(["-x", f"http://127.0.0.1:{port}", "http://origin.test/x"])
    assert code == 4 and f"proxy 127.0.0.1:{port}" in err, (code, err)
    code, err, _ = fetch(["-x", "no-such-proxy.invalid:3128", "http://origin.test/x"])
    assert code == 4 and "proxy no-such-proxy.invalid" in err, (code, err)
    # no port: 1080, as curl
    code, err, _ = fetch(["-x", "127.0.0.1", "http://origin.test/x"])
    assert "proxy 127.0.0.1:1080" in err, err


@case
def bad_proxy_settings_are_usage_errors():
    for spec, text in [(f"socks5://u:{SECRET}@127.0.0.1:1", "socks5:// is not supported"),
                       (f"https://u:{SECRET}@127.0.0.1:1", "https:// is not supported"),
                       (f"http://u:{SECRET}@127.0.0.1:99999", "bad proxy"),
                       (f"http://u:{SECRET}@127.0.0.1:1/path", "no path")]:
        code, err, out = fetch(["-x", spec, "http://127.0.0.1:1/x"])
        assert code == 2 and text in err, (spec, code, err)
    code, err, _ = fetch(["http://127.0.0.1:1/x"], env={"https_proxy": f"socks5h://u:{SECRET}@h:1"})
    assert code == 2 and "https_proxy" in err and "socks5h://" in err, (code, err)
    code, err, _ = fetch(["--proxy-user", "a:b", "http://127.0.0.1:1/x"])
    assert code == 2 and "--proxy-user needs a proxy" in err, err


if __name__ == "__main__":
    main()
