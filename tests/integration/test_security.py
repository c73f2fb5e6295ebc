#!/usr/bin/env python3
"""Security: credentials go only where they were given, are never printed;
long options are exact; transfer codings are checked; hostile responses end
with the right error while memory stays flat.  Two badserver instances (A and
B, different ports = different origins) log the credentials they receive."""
import base64
import os
import subprocess
import time
from urllib.parse import quote

from harness import (RINGFETCH, WRAPPER, Skip, body_of, case, http_get, listdir, main, run,
                     start_badserver, tmpdir)
from pki import make_pki

A = start_badserver()
B = start_badserver()
PKI = make_pki(tmpdir())
S = start_badserver(tls=(PKI["server"], PKI["key"]))
URL_A, URL_B, URL_S = (f"http://127.0.0.1:{A}", f"http://127.0.0.1:{B}",
                       f"https://127.0.0.1:{S}")
SECRET = "s3cr3t-Pa55"
BASIC = "Basic " + base64.b64encode(f"alice:{SECRET}".encode()).decode()
COOKIE = "Cookie: session=" + SECRET
PROXY_AUTH = "Proxy-Authorization: Basic " + base64.b64encode(b"p:" + SECRET.encode()).decode()


def creds(port, tls=False):
    """[(path, authorization, cookie, proxy-authorization)] since last asked."""
    rows = []
    for line in filter(None, http_get(port, "/creds", tls).splitlines()):
        path, auth, cookie, pauth = (None if x == "-" else x for x in line.split("|"))
        rows.append((path, auth, cookie, pauth))
    return rows


def clear_logs():
    creds(A), creds(B), creds(S, tls=True)


def goto(base, target):
    return f"{base}/goto?{quote(target, safe='')}"


def fetch(*args, env=None):
    out = tmpdir()
    code, stdout, err = run(["--retry", "0", "-P", out] + list(args), env=env)
    assert SECRET not in err and SECRET.encode() not in stdout, err  # never printed
    return code, err, out


def userinfo(base):
    return base.replace("://", f"://alice:{SECRET}@")


@case
def userinfo_is_basic_auth_for_its_origin():
    clear_logs()
    code, err, out = fetch(userinfo(URL_A) + "/ok/10")
    assert code == 0, err
    assert creds(A) == [("/ok/10", BASIC, None, None)]
    assert listdir(out) == ["10"]


@case
def userinfo_percent_decoded():
    clear_logs()
    code, err, _ = fetch(URL_A.replace("://", "://al%40ice:p%3Ass%20w@") + "/ok/1")
    assert code == 0, err
    want = "Basic " + base64.b64encode(b"al@ice:p:ss w").decode()
    assert creds(A) == [("/ok/1", want, None, None)]


@case
def user_option_and_empty_password():
    clear_logs()
    code, err, _ = fetch("--user", f"alice:{SECRET}", URL_A + "/ok/1")
    assert code == 0, err
    code, err, _ = fetch("--user", "bob", URL_A + "/ok/2")
    assert code == 0, err
    assert creds(A) == [("/ok/1", BASIC, None, None),
                        ("/ok/2", "Basic " + base64.b64encode(b"bob:").decode(), None, None)]


@case
def userinfo_wins_over_user_option_and_header_wins_over_both():
    clear_logs()
    code, err, _ = fetch("--user", "bob:other", userinfo(URL_A) + "/ok/1")
    assert code == 0, err
    code, err, _ = fetch("--user", "bob:other", "-H", "Authorization: Bearer tok",
                         userinfo(URL_A) + "/ok/2")
    assert code == 0, err
    assert creds(A) == [("/ok/1", BASIC, None, None), ("/ok/2", "Bearer tok", None, None)]


@case
def redirect_to_other_origin_drops_every_credential():
    """userinfo, -H Authorization/Cookie/Proxy-Authorization: none reaches B."""
    for first in ([userinfo(goto(URL_A, URL_B + "/ok/5"))],
                  ["--user", f"alice:{SECRET}", goto(URL_A, URL_B + "/ok/5")],
                  ["-H", "Authorization: " + BASIC, "-H", COOKIE, "-H", PROXY_AUTH,
                   goto(URL_A, URL_B + "/ok/5")]):
        clear_logs()
        code, err, out = fetch(*first)
        assert code == 0, err
        assert listdir(out) == ["goto"], listdir(out)
        a = creds(A)
        assert len(a) == 1 and (a[0][1] or a[0][2]), a  # A got them
        assert creds(B) == [("/ok/5", None, None, None)], first


@case
def other_port_and_scheme_are_other_origins():
    clear_logs()
    code, err, _ = fetch("--user", f"alice:{SECRET}", "--cacert", PKI["ca"],
                         goto(URL_A, f"https://127.0.0.1:{S}/ok/3"))
    assert code == 0, err
    assert creds(S, tls=True) == [("/ok/3", None, None, None)]


@case
def same_origin_redirect_keeps_credentials():
    clear_logs()
    code, err, _ = fetch("-H", COOKIE, userinfo(goto(URL_A, URL_A + "/ok/7")))
    assert code == 0, err
    cookie = COOKIE.split(": ", 1)[1]
    assert creds(A) == [("/goto", BASIC, cookie, None), ("/ok/7", BASIC, cookie, None)]


@case
def chain_a_b_a_sends_again_at_a_only_when_trusted():
    back = goto(URL_B, URL_A + "/ok/8")
    for trusted in (False, True):
        clear_logs()
        opts = ["--location-trusted"] if trusted else []
        code, err, _ = fetch(*opts, userinfo(goto(URL_A, back)))
        assert code == 0, err
        a, b = creds(A), creds(B)
        assert a[0] == ("/goto", BASIC, None, None), a
        if trusted:
            assert b == [("/goto", BASIC, None, None)], b
            assert a[1] == ("/ok/8", BASIC, None, None), a
        else:
            assert b == [("/goto", None, None, None)], b
            assert a[1] == ("/ok/8", None, None, None), a


@case
def never_over_http_after_https_even_trusted():
    clear_logs()
    code, err, _ = fetch("--location-trusted", "--cacert", PKI["ca"], "-H", COOKIE,
                         userinfo(goto(URL_S, URL_B + "/ok/4")))
    assert code == 0, err
    s = creds(S, tls=True)
    assert s == [("/goto", BASIC, COOKIE.split(": ", 1)[1], None)], s
    assert creds(B) == [("/ok/4", None, None, None)]


@case
def userinfo_in_a_location_is_not_used():
    clear_logs()
    code, err, _ = fetch(goto(URL_A, userinfo(URL_B) + "/ok/6"))
    assert code == 0, err
    assert creds(B) == [("/ok/6", None, None, None)]


@case
def netrc_file_machine_and_default():
    d = tmpdir()
    netrc = os.path.join(d, "netrc")
    with open(netrc, "w") as f:
        f.write("# a comment\nmachine other.example login x password y\n"
                f"machine 127.0.0.1\n  login alice\n  password \"{SECRET}\"\n"
                "macdef init\n  cd /pub\n\ndefault login anon password guest\n")
    clear_logs()
    code, err, _ = fetch("--netrc-file", netrc, URL_A + "/ok/1")
    assert code == 0, err
    assert creds(A) == [("/ok/1", BASIC, None, None)]
    # --netrc reads $HOME/.netrc; default applies to hosts without an entry
    with open(os.path.join(d, ".netrc"), "w") as f:
        f.write("default login anon password guest\n")
    code, err, _ = fetch("--netrc", URL_A + "/ok/2", env=dict(os.environ, HOME=d))
    assert code == 0, err
    guest = "Basic " + base64.b64encode(b"anon:guest").decode()
    assert creds(A) == [("/ok/2", guest, None, None)]
    # a netrc's credentials do not follow a redirect either
    code, err, _ = fetch("--netrc-file", netrc, goto(URL_A, URL_B + "/ok/3"))
    assert code == 0, err
    assert creds(B) == [("/ok/3", None, None, None)]
    code, _, err = run(["-H", "X-A: 1", "--user", "u:p", "--netrc-file", os.path.join(d, "missing"),
                        URL_A + "/ok/1"])
    assert code == 2 and "cannot read netrc file" in err and "missing" in err, (code, err)


@case
def secrets_never_printed():
    """Failures, notes, progress, summary and list errors: grep for the secret
    (fetch() asserts it on every run)."""
    lst = os.path.join(tmpdir(), "list")
    with open(lst, "w") as f:
        f.write(userinfo(URL_A) + "/status/404\n")
        f.write(f"http://alice:{SECRET}@/nohost\n")
        f.write(f"ftp://alice:{SECRET}@h/x\n")
        f.write(userinfo(URL_A) + "/ok/3\n  bogus=1\n")
        # (the Location's own userinfo is in this URL's query, so not the secret)
        f.write(userinfo(goto(URL_A, URL_B.replace("://", "://x:y@") + "/loop-a")) + "\n")
        f.write(f"http://alice:{SECRET}@127.0.0.1:1/refused\n")
    code, err, _ = fetch("--progress", "--user", f"bob:{SECRET}", "-i", lst,
                         userinfo(URL_A) + "/truncated", "-H", COOKIE)
    assert code == 4, (code, err)
    assert "http://***@127.0.0.1:%d/status/404: HTTP 404" % A in err, err
    assert "http://***@/nohost" in err and "ftp://***@h/x" in err, err
    assert "back to" in err or "redirect" in err, err
    code, err, _ = fetch(f"http://alice:{SECRET}@bad host/")
    assert code == 7 and "http://***@bad host/" in err, err
    # the slot trace too
    code, err, _ = fetch(userinfo(URL_A) + "/ok/1", env=dict(os.environ, RINGFETCH_TRACE="1"))
    assert code == 0 and "slot 0" in err and "http://***@" in err, err


@case
def long_options_are_exact():
    for args, want in ((["--user-agen", "x"], "unknown option --user-agen"),
                       (["--head"], "unknown option --head"),
                       ([f"--usr={SECRET}"], "unknown option --usr"),
                       ([f"--quiet={SECRET}"], "option --quiet takes no value")):
        code, _, err = run(args + [URL_A + "/ok/1"])
        assert code == 2 and want in err and SECRET not in err, (args, code, err)
    # --user is --user now, not a prefix of --user-agent
    clear_logs()
    code, err, _ = fetch("--user", f"alice:{SECRET}", URL_A + "/echo")
    assert code == 0, err
    assert creds(A)[0][1] == BASIC


@case
def user_password_hidden_from_ps():
    """Read the command line once the request has reached the server (so
    after option parsing), while the transfer is still running."""
    if WRAPPER:
        raise Skip("under valgrind /proc/PID/cmdline is valgrind's own copy of the arguments")
    clear_logs()
    conf = os.path.join(tmpdir(), "conf")  # option files shift the words: still found
    with open(conf, "w") as f:
        f.write("quiet\nretry 0\n")
    p = subprocess.Popen(WRAPPER + [RINGFETCH, "-K", conf, "-o", "/dev/null", "-b", f"c={SECRET}",
                                    "--user", f"alice:{SECRET}", URL_A + "/slow/1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cmdline = None
    deadline = time.time() + 30
    while cmdline is None and time.time() < deadline and p.poll() is None:
        if any(row[0] == "/slow/1" for row in creds(A)):
            with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                cmdline = f.read()
        else:
            time.sleep(0.02)
    p.wait(30)
    assert cmdline is not None, "the request never arrived while ringfetch ran"
    assert b"--user" in cmdline and b"-b" in cmdline and SECRET.encode() not in cmdline, cmdline


# ---- codings and framing ----

def expect_failure(path, code_want, message, *opts):
    code, err, out = fetch(*opts, URL_A + path)
    assert code == code_want, (code, err)
    assert f"{URL_A}{path}: {message}" in err, err
    assert listdir(out) == [], listdir(out)
    return err


@case
def transfer_codings_other_than_chunked_refused():
    msg = "response uses a transfer coding that was not asked for"
    expect_failure("/te/gzip,%20chunked", 4, msg + " (Transfer-Encoding: gzip, chunked)")
    expect_failure("/te/foo", 4, msg + " (Transfer-Encoding: foo)")
    expect_failure("/te/chunked,%20chunked", 4, msg)
    # chunked alone, in any case, is fine
    code, err, out = fetch(URL_A + "/te/Chunked")
    assert code == 0, err
    with open(os.path.join(out, "Chunked"), "rb") as f:
        assert f.read() == body_of(3000)


@case
def content_encoding_saved_as_sent():
    import gzip
    code, err, out = fetch(URL_A + "/gzip")
    assert code == 0, err
    with open(os.path.join(out, "gzip"), "rb") as f:
        assert gzip.decompress(f.read()) == body_of(5000)


@case
def framing_errors_name_the_rule():
    expect_failure("/badchunk", 4, "malformed HTTP response (Invalid character in chunk size)")
    expect_failure("/dup-length", 4, "malformed HTTP response (Duplicate Content-Length)")


@case
def long_url_is_bad_input():
    code, err, _ = fetch(URL_A + "/" + "a" * 60000)
    assert code == 7 and "URL too long" in err, (code, err[:300])


# ---- hostile servers: the right error within the timeout, flat memory ----

def run_measured(args, timeout=60):
    """(exit code, stderr, peak RSS in KiB, seconds) of one ringfetch run."""
    import tempfile
    import threading
    out = tmpdir()
    with tempfile.TemporaryFile() as errf:
        t0 = time.time()
        p = subprocess.Popen(WRAPPER + [RINGFETCH, "--retry", "0", "-P", out] + args,
                             stdout=subprocess.DEVNULL, stderr=errf)
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        _, status, ru = os.wait4(p.pid, 0)
        killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        secs = time.time() - t0
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    assert listdir(out) == [], listdir(out)
    return p.returncode, err, ru.ru_maxrss, secs


def flat(rss):
    """Peak RSS of a hostile run stays near what a plain fetch costs (valgrind
    runs measure valgrind, so only the outcome is checked there)."""
    if not WRAPPER:
        assert rss < 40 * 1024, f"peak RSS {rss} KiB"


@case
def endless_interim_responses():
    code, err, rss, secs = run_measured([URL_A + "/endless-1xx"])
    assert code == 4 and "more than 16 interim (1xx) responses" in err, (code, err)
    flat(rss)


@case
def endless_header_lines_byte_by_byte():
    code, err, rss, secs = run_measured([URL_A + "/endless-header"])
    assert code == 4 and ("response header section too large" in err or
                          "too many response header fields" in err), (code, err)
    flat(rss)


@case
def header_section_trickled_slowly():
    code, err, rss, secs = run_measured(["--timeout", "1", URL_A + "/slow-header"])
    assert code == 4 and "response header section incomplete after 1 s" in err, (code, err)
    assert secs < 10, secs
    flat(rss)


@case
def endless_chunks_end_at_max_time():
    for path in ("/endless-chunks", "/endless-chunk-ext"):
        code, err, rss, secs = run_measured(["--max-time", "2", URL_A + path])
        assert code == 4 and "maximum time for the transfer reached" in err, (path, code, err)
        assert secs < 15, secs
        flat(rss)


@case
def content_length_larger_than_the_disk():
    code, err, rss, secs = run_measured([URL_A + "/huge-length"])
    assert code == 3, (code, err)
    assert "No space left on device" in err or "File too large" in err, err
    assert secs < 4, secs
    flat(rss)


main()
