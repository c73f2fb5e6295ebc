#!/usr/bin/env python3
"""Cookies (README "Cookies"): -b FILE|NAME=VALUE and --cookie-jar FILE in
the Netscape format curl and wget use; RFC 6265's domain, path, Secure,
expiry and public-suffix rules; cookies set by a redirect go with the next
hop when it is theirs; never to another site; never printed.  Host names
(a.test, b.a.test, other.test, x.example.co.uk) are 127.0.0.1 in a private
/etc/hosts; tests/servers/badserver.py sets cookies (/hdr) and logs each
request's Cookie (/creds)."""
import os
import stat
import time
import urllib.parse

from harness import case, http_get, main, run, run_with_hosts, start_badserver, tmpdir
from pki import make_pki

BAD = start_badserver()
PKI = make_pki(tmpdir())
TLS = start_badserver(tls=(PKI["server"], PKI["key"]))
HOSTS = ["127.0.0.1 a.test b.a.test other.test x.example.co.uk y.example.co.uk"]
SECRET = "s3cr3tC00kie"


def url(host, n, *set_cookies, status=None, location=None):
    """/hdr/N on host, answering with these Set-Cookie values."""
    q = [("h", "Set-Cookie:" + v) for v in set_cookies]
    if location:
        q.append(("h", "Location:" + location))
    # every byte percent-encoded: a secret in a Set-Cookie is not readable in the URL
    qs = "&".join(f"{k}=" + "".join(f"%{b:02X}" for b in v.encode()) for k, v in q)
    if status:
        qs += f"&s={status}"
    return f"http://{host}:{BAD}/hdr/{n}" + (f"?{qs}" if qs else "")


def sent(port=BAD, tls=False):
    """{N: cookie sent} for the /hdr/N requests since last asked."""
    out = {}
    for row in filter(None, http_get(port, "/creds", tls=tls).splitlines()):
        path, _, cookie, _ = row.split("|")
        if path.startswith("/hdr/"):
            out.setdefault(int(path.split("/")[2]), []).append(None if cookie == "-" else cookie)
    return {n: v[0] if len(v) == 1 else v for n, v in out.items()}


def fetch(args, jar=None):
    d = tmpdir()
    jar = jar or os.path.join(d, "jar")
    code, out, err = run_with_hosts(HOSTS, ["--discard", "-j", "1", "--cookie-jar", jar] + args)
    assert code == 0, err
    return jar, err


def jar_lines(jar):
    return [l for l in open(jar).read().splitlines() if l and not l.startswith("# ")]


@case
def domain_and_host_only_rules():
    """A Domain cookie goes to the host and its subdomains, a host-only one
    to its host only, neither to another site; a Domain that does not cover
    the host, or is a public suffix (".test" by the "*" rule, "co.uk"), is
    refused."""
    sent()
    fetch(["-j", "1",
           url("a.test", 1, "dom=1; Domain=a.test", "host=2", "wide=3; Domain=.test",
               "foreign=4; Domain=other.test"),
           url("x.example.co.uk", 2, "psl=5; Domain=co.uk", "site=6; Domain=example.co.uk"),
           url("a.test", 10), url("b.a.test", 11), url("other.test", 12),
           url("y.example.co.uk", 13)])
    got = sent()
    assert got[1] is None and got[2] is None, got
    assert got[10] == "dom=1; host=2", got
    assert got[11] == "dom=1", got
    assert got[12] is None, got
    assert got[13] == "site=6", got


@case
def path_rules_and_order():
    """Path=/hdr/2 goes to /hdr/2 and below, not to /hdr/20; the default
    path is the setter's directory; longer paths come first."""
    sent()
    fetch([url("a.test", 2, "deep=1; Path=/hdr/2", "root=2; Path=/"),
           url("a.test", 3), url("a.test", 20), url("a.test", 2)])
    got = sent()
    assert got[3] == "root=2", got
    assert got[20] == "root=2", got
    assert got[2][1] == "deep=1; root=2", got


@case
def expiry_and_deletion():
    """Max-Age=0 and an Expires in the past delete a cookie; Max-Age wins
    over Expires; a session cookie is written with expiry 0, a persistent
    one with its time."""
    sent()
    jar, _ = fetch([url("a.test", 1, "gone=1", "also=2", "stay=3; Max-Age=3600",
                        "both=4; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
                    url("a.test", 2, "gone=; Max-Age=0", "also=x; Expires=Sun, 06 Nov 1994 08:49:37 GMT"),
                    url("a.test", 3)])
    got = sent()
    assert got[3] == "stay=3; both=4", got
    lines = {l.split("\t")[5]: l.split("\t") for l in jar_lines(jar)}
    assert set(lines) == {"stay", "both"}, lines
    assert abs(int(lines["stay"][4]) - (time.time() + 3600)) < 60, lines
    jar, _ = fetch([url("a.test", 4, "session=1")])
    assert [l.split("\t")[4] for l in jar_lines(jar)] == ["0"], jar_lines(jar)


@case
def redirects_carry_their_cookies_to_their_own_site():
    """A cookie set by a 302 goes with the next hop when the next hop is
    its site, never to another site the redirect leads to."""
    sent()
    fetch([url("a.test", 1, "r=1", status=302, location=url("b.a.test", 2, "r2=2; Domain=a.test")),
           url("a.test", 3, "s=1", status=302, location=url("other.test", 4)),
           url("a.test", 5)])
    got = sent()
    assert got[2] is None, got  # host-only r=1 is a.test's only
    assert got[4] is None, got
    assert got[5] == "r=1; r2=2; s=1", got


@case
def jar_round_trip_in_netscape_format():
    """--cookie-jar writes the Netscape format (mode 0600, HttpOnly marked,
    domain cookies with a dot and TRUE); -b reads it back and the cookies
    go where they belong; a bad line is named FILE:LINE."""
    sent()
    jar, _ = fetch([url("a.test", 1, f"sid={SECRET}; HttpOnly; Max-Age=600", "d=1; Domain=a.test")])
    assert stat.S_IMODE(os.stat(jar).st_mode) == 0o600
    text = open(jar).read()
    assert text.startswith("# Netscape HTTP Cookie File"), text
    rows = sorted(l.split("\t") for l in jar_lines(jar))
    assert rows[0][0] == "#HttpOnly_a.test" and rows[0][1:4] == ["FALSE", "/hdr", "FALSE"], rows
    assert rows[1][:4] == [".a.test", "TRUE", "/hdr", "FALSE"], rows
    sent()
    code, _, err = run_with_hosts(HOSTS, ["--discard", "-b", jar, url("b.a.test", 7), url("a.test", 8)])
    assert code == 0, err
    got = sent()
    assert got[7] == "d=1" and got[8] in (f"sid={SECRET}; d=1", f"d=1; sid={SECRET}"), got
    bad = os.path.join(tmpdir(), "bad")
    with open(bad, "w") as f:
        f.write("# Netscape HTTP Cookie File\n\na.test\tFALSE\t/\n")
    code, _, err = run(["-b", bad, f"http://127.0.0.1:{BAD}/ok/1"])
    assert code == 2 and f"{bad}:3: not a cookie line" in err, err
    code, _, err = run(["-b", os.path.join(tmpdir(), "missing"), f"http://127.0.0.1:{BAD}/ok/1"])
    assert code == 2 and "cannot read cookie file" in err, err


@case
def secure_cookies_need_https():
    """Secure from http:// is refused; from https:// it is stored and sent
    over https only; a plain cookie from https goes to http too (cookies
    know no ports)."""
    sent()
    sent(TLS, tls=True)
    d = tmpdir()
    jar = os.path.join(d, "jar")
    code, _, err = run(["--discard", "-j", "1", "--cacert", PKI["ca"], "--cookie-jar", jar,
                        url("127.0.0.1", 1, "plainsec=1; Secure"),
                        f"https://127.0.0.1:{TLS}/hdr/2?h=" + urllib.parse.quote("Set-Cookie:tls=1; Secure", safe="")
                        + "&h=" + urllib.parse.quote("Set-Cookie:open=2", safe=""),
                        f"https://127.0.0.1:{TLS}/hdr/3", url("127.0.0.1", 4)])
    assert code == 0, err
    assert sent(TLS, tls=True)[3] == "tls=1; open=2"
    assert sent()[4] == "open=2"


@case
def cookies_are_never_printed():
    """-v stars Cookie and Set-Cookie values; -b NAME=VALUE is blanked in
    the process's arguments and goes to the given URL's origin only."""
    sent()
    d = tmpdir()
    code, _, err = run_with_hosts(HOSTS, ["--discard", "-v", "-j", "1", "--cookie-jar", os.path.join(d, "j"),
                                          "-b", f"given={SECRET}",
                                          url("a.test", 1, f"set={SECRET}", status=302,
                                              location=url("other.test", 2)),
                                          url("a.test", 3)])
    assert code == 0, err
    assert SECRET not in err, err
    assert "Set-Cookie: ***" in err and "Cookie: ***" in err, err
    got = sent()
    assert got[1] == f"given={SECRET}", got
    assert got[2] is None, got  # another site: neither the given nor the set cookie
    assert got[3] == f"given={SECRET}; set={SECRET}", got


@case
def hostile_set_cookie_is_bounded():
    """Oversized cookies and names with control bytes are dropped; a
    server cannot make the store grow past its per-domain bound."""
    sent()
    jar, _ = fetch([url("a.test", 1, "bad name=1") + "&big=5000&many=80", url("a.test", 2)])
    got = sent()
    assert got[2].count("=") == 50 and "big=" not in got[2], got[2][:200]
    assert len(jar_lines(jar)) == 50


main()
