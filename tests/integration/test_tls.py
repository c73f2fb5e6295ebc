#!/usr/bin/env python3
"""HTTPS: nginx with a test CA, and badserver speaking TLS.  Each case asserts
content by SHA-256, the exit status (5 for TLS failures) and the message."""
import os
import socket
import time

from harness import (body_of, case, http_get, ipv6_available, listdir, main, run, run_with_hosts, sha256,
                     sha256_file, start_badserver, start_nginx, stats, tmpdir)
from pki import make_pki

PKI = make_pki(tmpdir())
CA = ["--cacert", PKI["ca"]]
WWW = tmpdir()
os.makedirs(os.path.join(WWW, "many"))
FILES = {}
for i in range(300):
    data = os.urandom(i * 53 % 7000)
    FILES[f"f{i}.bin"] = data
    with open(os.path.join(WWW, "many", f"f{i}.bin"), "wb") as f:
        f.write(data)
BIG = os.urandom(1 << 20) * 24
with open(os.path.join(WWW, "big.bin"), "wb") as f:
    f.write(BIG)
REDIRECT_TO_PLAIN = "location /to-plain { return 302 http://127.0.0.1:$arg_port/many/f1.bin; }"
TLS = start_nginx(WWW, REDIRECT_TO_PLAIN, tls=(PKI["server"], PKI["key"]))
PLAIN = start_nginx(WWW, "location /to-tls { return 301 https://localhost:$arg_port/many/f2.bin; }")
WRONG = start_nginx(WWW, tls=(PKI["wrong"], PKI["wrong_key"]), v6=False)
EXPIRED = start_nginx(WWW, tls=(PKI["expired"], PKI["expired_key"]), v6=False)
ROGUE = start_nginx(WWW, tls=(PKI["rogue"], PKI["rogue_key"]), v6=False)
MTLS = start_nginx(WWW, tls=(PKI["server"], PKI["key"], PKI["ca"]), v6=False)
TLS12 = start_nginx(WWW, tls=(PKI["server"], PKI["key"]), v6=False, tls_protocols="TLSv1.2")
BAD = start_badserver(tls=(PKI["server"], PKI["key"]))
BASE = f"https://127.0.0.1:{TLS}"
BADURL = f"https://127.0.0.1:{BAD}"


def fetch(urls, *opts, timeout=60):
    out = tmpdir()
    code, _, err = run(["--retry", "0"] + list(opts) + ["-P", out] + list(urls), timeout=timeout)
    return code, err, out


def expect_failure(url, code_want, message, *opts):
    code, err, out = fetch([url], *opts)
    assert code == code_want, (code, err)
    assert f"{url}: {message}" in err, err
    assert listdir(out) == [], listdir(out)


@case
def single_file_over_https():
    code, err, out = fetch([f"{BASE}/big.bin"], *CA)
    assert code == 0, err
    assert sha256_file(os.path.join(out, "big.bin")) == sha256(BIG)
    assert "TLS handshakes 1 (0 resumed)" in err, err


@case
def many_files_one_connection_keep_alive():
    urls = [f"{BASE}/many/{n}" for n in FILES]
    code, err, out = fetch(urls, *CA, "-j", "1")
    assert code == 0, err
    assert len(listdir(out)) == len(FILES)
    for n, data in FILES.items():
        with open(os.path.join(out, n), "rb") as f:
            assert f.read() == data, n
    assert "TLS handshakes 1 (0 resumed)" in err, err


@case
def many_files_j64_with_resumption():
    urls = [f"{BASE}/many/{n}" for n in FILES]
    code, err, out = fetch(urls, *CA, "-j", "64")
    assert code == 0, err
    assert len(listdir(out)) == len(FILES)
    for n, data in FILES.items():
        with open(os.path.join(out, n), "rb") as f:
            assert f.read() == data, n


@case
def dns_name_and_ipv6_literal():
    code, err, out = fetch([f"https://localhost:{TLS}/many/f3.bin"], *CA)
    assert code == 0, err
    if ipv6_available():
        code, err, out = fetch([f"https://[::1]:{TLS}/many/f4.bin"], *CA)
        assert code == 0, err


@case
def sessions_resume_on_later_connections():
    """badserver closes after every response: each URL is a new connection,
    and every one after the first must resume (counted on both sides)."""
    http_get(BAD, "/reset-stats", tls=True)
    urls = [f"{BADURL}/kaclose/{i}" for i in range(5)]
    code, err, out = fetch(urls, *CA, "-j", "1")
    assert code == 0, err
    assert len(listdir(out)) == 5
    assert "TLS handshakes 5 (4 resumed)" in err, err
    assert stats(BAD, tls=True)["resumed"] >= 4, stats(BAD, tls=True)


@case
def chunked_and_close_notify_delimited_bodies():
    code, err, out = fetch([f"{BADURL}/chunked", f"{BADURL}/closebody-notify"], *CA)
    assert code == 0, err
    with open(os.path.join(out, "chunked"), "rb") as f:
        assert f.read() == body_of(10000)
    with open(os.path.join(out, "closebody-notify"), "rb") as f:
        assert f.read() == body_of(5000)


@case
def close_delimited_without_close_notify_is_truncation():
    expect_failure(f"{BADURL}/closebody", 4,
                   "connection closed before the body was complete "
                   "(connection closed without TLS close_notify)", *CA)


@case
def truncated_body_without_close_notify():
    expect_failure(f"{BADURL}/truncated", 4, "connection closed before the body was complete", *CA)


@case
def redirects_between_http_and_https():
    code, err, out = fetch([f"{BASE}/to-plain?port={PLAIN}",
                            f"http://127.0.0.1:{PLAIN}/to-tls?port={TLS}"], *CA)
    assert code == 0, err
    with open(os.path.join(out, "to-plain"), "rb") as f:
        assert f.read() == FILES["f1.bin"]
    with open(os.path.join(out, "to-tls"), "rb") as f:
        assert f.read() == FILES["f2.bin"]


@case
def per_host_cap_over_tls():
    http_get(BAD, "/reset-stats", tls=True)
    urls = [f"{BADURL}/slow/{n}" for n in range(8)]
    code, err, out = fetch(urls, *CA, "-j", "8", "--max-per-host", "2")
    assert code == 0, err
    assert stats(BAD, tls=True)["max_concurrent"] <= 2 + 1  # + the /stats connection


@case
def untrusted_ca_refused():
    expect_failure(f"https://127.0.0.1:{ROGUE}/many/f1.bin", 5,
                   "TLS certificate verification failed (unable to get local issuer certificate)",
                   *CA)


@case
def system_store_does_not_trust_test_ca():
    expect_failure(f"https://127.0.0.1:{TLS}/many/f1.bin", 5,
                   "TLS certificate verification failed (unable to get local issuer certificate)")


@case
def expired_certificate_refused():
    expect_failure(f"https://127.0.0.1:{EXPIRED}/many/f1.bin", 5,
                   "TLS certificate verification failed (certificate has expired)", *CA)


@case
def wrong_host_name_refused():
    expect_failure(f"https://localhost:{WRONG}/many/f1.bin", 5,
                   "TLS certificate verification failed (hostname mismatch)", *CA)
    expect_failure(f"https://127.0.0.1:{WRONG}/many/f1.bin", 5,
                   "TLS certificate verification failed (IP address mismatch)", *CA)


@case
def insecure_skips_verification():
    code, err, out = fetch([f"https://localhost:{WRONG}/many/f5.bin"], "-k")
    assert code == 0, err
    with open(os.path.join(out, "f5.bin"), "rb") as f:
        assert f.read() == FILES["f5.bin"]


@case
def capath_directory():
    d = tmpdir()
    h = os.popen(f"openssl x509 -hash -noout -in {PKI['ca']}").read().strip()
    os.symlink(PKI["ca"], os.path.join(d, h + ".0"))
    code, err, out = fetch([f"{BASE}/many/f6.bin"], "--capath", d)
    assert code == 0, err


@case
def client_certificate():
    url = f"https://127.0.0.1:{MTLS}/many/f7.bin"
    code, err, out = fetch([url], *CA)
    assert code == 6 and f"{url}: HTTP 400 Bad Request" in err, (code, err)
    code, err, out = fetch([url], *CA, "--cert", PKI["client"], "--key", PKI["client_key"])
    assert code == 0, err
    code, err, out = fetch([url], *CA, "--cert", PKI["client"], "--key", PKI["key"])
    assert code == 5 and "key values mismatch" in err, (code, err)
    code, err, out = fetch([url], *CA, "--cert", "/nonexistent.pem")
    assert code == 5 and "cannot read client certificate /nonexistent.pem: No such file or directory" in err, (code, err)


@case
def tls_min_version():
    code, err, out = fetch([f"{BASE}/many/f8.bin"], *CA, "--tls-min", "1.3")
    assert code == 0, err
    url12 = f"https://127.0.0.1:{TLS12}/many/f8.bin"
    code, err, out = fetch([url12], *CA)
    assert code == 0, err
    code, err, out = fetch([url12], *CA, "--tls-min", "1.3")
    assert code == 5 and f"{url12}: TLS error (" in err, (code, err)
    assert listdir(out) == []
    code, _, err = run(["--tls-min", "1.1", f"{BASE}/x"])
    assert code == 2 and "--tls-min takes 1.2 or 1.3" in err, err


@case
def bad_cacert_file():
    code, _, err = run(["--cacert", "/nonexistent/ca.pem", f"{BASE}/x"])
    assert code == 5 and "cannot read CA file /nonexistent/ca.pem: No such file or directory" in err, err


@case
def handshake_never_answered():
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)  # the kernel accepts; nobody ever answers the ClientHello
    port = ls.getsockname()[1]
    t0 = time.time()
    expect_failure(f"https://127.0.0.1:{port}/x", 4, "connect timed out (TLS handshake)",
                   "--connect-timeout", "1")
    assert 0.9 < time.time() - t0 < 5
    ls.close()


@case
def plain_http_server_on_https_port():
    url = f"https://127.0.0.1:{PLAIN}/many/f1.bin"
    code, err, out = fetch([url], *CA)
    assert code == 5, (code, err)
    assert f"{url}: TLS error (" in err and "wrong version number" in err, err
    assert listdir(out) == []


CN_ONLY = start_nginx(WWW, tls=(PKI["cn_only"], PKI["cn_only_key"]), v6=False)
IP_CN = start_nginx(WWW, tls=(PKI["ip_cn"], PKI["ip_cn_key"]), v6=False)
WILD = start_nginx(WWW, tls=(PKI["wildcard"], PKI["wildcard_key"]), v6=False)


@case
def common_name_is_never_checked():
    """RFC 9525: a certificate without subjectAltName names nothing, whatever
    its CN says (OpenSSL falls back to the CN unless told not to)."""
    expect_failure(f"https://localhost:{CN_ONLY}/many/f1.bin", 5,
                   "TLS certificate verification failed (hostname mismatch)", *CA)
    expect_failure(f"https://127.0.0.1:{IP_CN}/many/f1.bin", 5,
                   "TLS certificate verification failed (IP address mismatch)", *CA)


def fetch_with_hosts(names, url):
    """Run ringfetch with a private /etc/hosts mapping names to 127.0.0.1."""
    out = tmpdir()
    code, _, err = run_with_hosts([f"127.0.0.1 {n}" for n in names],
                                  ["--retry", "0", *CA, "-P", out, url])
    return code, err, out


@case
def wildcards_whole_left_label_only():
    names = ["a.wild.test", "a.b.wild.test", "foo.part.test", "wild.test"]
    code, err, out = fetch_with_hosts(names, f"https://a.wild.test:{WILD}/many/f3.bin")
    assert code == 0, err
    assert open(os.path.join(out, "f3.bin"), "rb").read() == FILES["f3.bin"]
    for host in ("a.b.wild.test", "wild.test", "foo.part.test"):
        code, err, out = fetch_with_hosts(names, f"https://{host}:{WILD}/many/f3.bin")
        assert code == 5 and "(hostname mismatch)" in err, (host, code, err)
        assert listdir(out) == []


if __name__ == "__main__":
    main()
