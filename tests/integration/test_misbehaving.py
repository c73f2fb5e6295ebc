#!/usr/bin/env python3
"""Failures on the wire, from tests/servers/badserver.py: each asserts the exact
outcome - exit status, the error message, the content, and no stray files."""
import os
import socket
import subprocess
import time

from harness import (RINGFETCH, Skip, body_of, case, http_get, ipv6_available, listdir, main, run_with_hosts,
                     run, start_badserver, stats, tmpdir)

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"


def no_retry(opts):
    """Failure cases here test one attempt; retries have their own tests."""
    opts = list(opts)
    return opts if "--retry" in opts else ["--retry", "0"] + opts


def fetch(path, *opts, timeout=60):
    out = tmpdir()
    code, _, err = run(no_retry(opts) + ["-P", out, URL + path], timeout=timeout)
    return code, err, out


def expect_failure(path, code_want, message, *opts):
    code, err, out = fetch(path, *opts)
    assert code == code_want, (code, err)
    assert f"{URL}{path}: {message}" in err, err
    assert listdir(out) == [], listdir(out)  # no final file, no .part
    return err


def expect_body(path, body, name, *opts):
    code, err, out = fetch(path, *opts)
    assert code == 0, (code, err)
    assert listdir(out) == [name], listdir(out)
    with open(os.path.join(out, name), "rb") as f:
        assert f.read() == body
    return err


@case
def truncated_content_length():
    expect_failure("/truncated", 4, "connection closed before the body was complete")


@case
def truncated_chunked():
    expect_failure("/truncated-chunked", 4, "connection closed before the body was complete")


@case
def large_bodies_cut_while_spliced():
    """Large plain bodies are spliced socket -> pipe -> file: a cut, a reset
    and a silent server must end the same way as with recv."""
    expect_failure("/bigcut/6000000/close", 4, "connection closed before the body was complete")
    expect_failure("/bigcut/6000000/reset", 4, "Connection reset by peer")
    t0 = time.time()
    expect_failure("/bigcut/6000000/silent", 4, "timed out waiting for data", "--timeout", "1")
    assert time.time() - t0 < 5


@case
def large_body_same_with_and_without_splice():
    for opts in ([], ["--uring-no-splice"], ["--uring-big-buffer", "0"]):
        expect_body("/ok/5000000", body_of(5000000), "5000000", *opts)


@case
def bad_chunk_size():
    expect_failure("/badchunk", 4, "malformed HTTP response")


@case
def not_http_at_all():
    expect_failure("/garbage", 4, "malformed HTTP response")


@case
def reset_mid_body():
    expect_failure("/reset", 4, "Connection reset by peer")


@case
def silent_server_idle_timeout():
    t0 = time.time()
    expect_failure("/silent", 4, "timed out waiting for data", "--timeout", "1")
    assert 0.9 < time.time() - t0 < 5


@case
def silent_mid_body_idle_timeout():
    t0 = time.time()
    expect_failure("/silent-mid", 4, "timed out waiting for data", "--timeout", "1")
    assert 0.9 < time.time() - t0 < 5


@case
def trickle_hits_max_time():
    t0 = time.time()
    expect_failure("/trickle", 4, "maximum time for the transfer reached", "--max-time", "1.5",
                   "--timeout", "1")
    assert 1.4 < time.time() - t0 < 5


@case
def connect_timeout_on_full_backlog():
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    port = ls.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.2)
    out = tmpdir()
    t0 = time.time()
    code, _, err = run(["--retry", "0", "--connect-timeout", "1", "-P", out,
                        f"http://127.0.0.1:{port}/x"])
    elapsed = time.time() - t0
    for s in fillers:
        s.close()
    ls.close()
    assert code == 4, (code, err)
    assert "connect timed out" in err, err
    assert 0.9 < elapsed < 5, elapsed
    assert listdir(out) == []


@case
def connection_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out = tmpdir()
    code, _, err = run(["--retry", "0", "-P", out, f"http://127.0.0.1:{port}/x"])
    assert code == 4, (code, err)
    assert f"http://127.0.0.1:{port}/x: Connection refused (127.0.0.1:{port})" in err, err


@case
def unknown_host():
    out = tmpdir()
    code, _, err = run(["--connect-timeout", "5", "-P", out, "http://no-such-host.invalid/x"])
    assert code == 4, (code, err)
    assert "http://no-such-host.invalid/x: could not resolve host (no-such-host.invalid:" in err, err


@case
def next_address_after_failure():
    """A name with an IPv6 and an IPv4 address (from a private /etc/hosts in a
    mount namespace); the server listens on one family only, so whichever
    address comes first, one of the two runs must fall through to the next."""
    if not ipv6_available():
        raise Skip("no IPv6 on loopback")
    v6 = start_badserver(v6=True)
    for port in (BAD, v6):
        out = tmpdir()
        code, _, err = run_with_hosts(["::1 dual.test", "127.0.0.1 dual.test"],
                                      ["-P", out, f"http://dual.test:{port}/ok/55"], timeout=30)
        assert code == 0, err
        with open(os.path.join(out, "55"), "rb") as f:
            assert f.read() == body_of(55)


def blackhole_v6(port):
    """[::1]:port drops every SYN: a listener whose accept queue is full and
    never accepted (what a dead AAAA looks like: no answer at all).  Returns
    the sockets to keep open."""
    ls = socket.socket(socket.AF_INET6)
    ls.bind(("::1", port))
    ls.listen(0)
    keep = [ls]
    for _ in range(3):
        f = socket.socket(socket.AF_INET6)
        f.setblocking(False)
        f.connect_ex(("::1", port))
        keep.append(f)
    time.sleep(0.2)
    probe = socket.socket(socket.AF_INET6)
    probe.settimeout(0.5)
    try:
        probe.connect(("::1", port))
        answered = True
    except (socket.timeout, OSError):
        answered = False
    probe.close()
    keep.append(probe)
    if answered:
        for k in keep:
            k.close()
        raise Skip("could not make a port that drops SYNs")
    return keep


@case
def happy_eyeballs_dead_aaaa():
    """The name's IPv6 address leads nowhere (SYNs dropped); its IPv4 address
    works.  Without racing the attempts, the first one would hold the whole
    --connect-timeout and the URL would fail; with a 250 ms stagger the IPv4
    attempt starts and wins."""
    if not ipv6_available():
        raise Skip("no IPv6 on loopback")
    keep = blackhole_v6(BAD)
    try:
        for lines in (["::1 dead6.test", "127.0.0.1 dead6.test"],
                      # two more: refused at once (nothing on 127.0.0.2), then the good one
                      ["::1 dead6.test", "127.0.0.2 dead6.test", "127.0.0.1 dead6.test"]):
            out = tmpdir()
            code, _, err = run_with_hosts(lines, ["--retry", "0", "--connect-timeout", "5", "-P", out,
                                                  f"http://dead6.test:{BAD}/ok/77"], timeout=30)
            assert code == 0, (lines, err)
            with open(os.path.join(out, "77"), "rb") as f:
                assert f.read() == body_of(77)
        # -v shows the race: the dead address first, the live one 250 ms later, which wins
        code, _, err = run_with_hosts(["::1 dead6.test", "127.0.0.1 dead6.test"],
                                      ["-v", "--retry", "0", "--connect-timeout", "5", "-P", tmpdir(),
                                       f"http://dead6.test:{BAD}/ok/7"], timeout=30)
        url = f"http://dead6.test:{BAD}/ok/7"
        tried = [l for l in err.splitlines() if l.startswith(f"* {url}: trying ")]
        assert code == 0 and tried == [f"* {url}: trying [::1]:{BAD}", f"* {url}: trying 127.0.0.1:{BAD}"], err
        assert f"* {url}: connected to 127.0.0.1:{BAD}" in err, err
        # only the dead address: the connect timeout, naming it
        code, _, err = run_with_hosts(["::1 dead6.test"], ["--retry", "0", "--connect-timeout", "1",
                                                           "-P", tmpdir(), f"http://dead6.test:{BAD}/x"])
        assert code == 4 and f"connect timed out ([::1]:{BAD})" in err, (code, err)
    finally:
        for k in keep:
            k.close()


@case
def chunked_body():
    expect_body("/chunked", body_of(10000), "chunked")


@case
def close_delimited_body():
    expect_body("/closebody", body_of(5000), "closebody")


@case
def interim_responses_skipped():
    expect_body("/interim", body_of(321), "interim")


@case
def no_content_204():
    expect_body("/204", b"", "204")


@case
def redirect_chain_followed():
    err = expect_body("/redirect/3", body_of(123), "3")
    assert "1 ok, 0 failed" in err


@case
def too_many_redirects():
    expect_failure("/redirect/3", 6, "too many redirects (more than 2)", "--max-redirs", "2")


@case
def redirects_not_followed():
    expect_failure("/redirect/1", 6, "HTTP 302 Found", "--max-redirs", "0")


@case
def redirect_loop():
    expect_failure("/loop-a", 6, f"redirect loop (back to {URL}/loop-a)")


@case
def relative_redirect_resolved():
    expect_body("/dir/sub/rel", body_of(77), "rel")


@case
def redirect_without_location():
    expect_failure("/noloc", 6, "bad redirect (no Location header)")


@case
def error_status_not_saved():
    expect_failure("/status/404", 6, "HTTP 404 Not Found")
    expect_failure("/status/503", 6, "HTTP 503 Service Unavailable")
    expect_failure("/status-big", 6, "HTTP 500 Internal Server Error")


@case
def giant_header_refused():
    expect_failure("/giant-header", 4, "response headers too large")


@case
def too_many_headers_refused():
    expect_failure("/many-headers", 4, "too many response header fields")


@case
def stale_keep_alive_retried_once():
    """The server closes each kept-alive connection after one response:
    every reuse meets a closed socket and must be retried, not failed."""
    out = tmpdir()
    urls = [f"{URL}/kaclose/{i}" for i in range(6)]
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-j", "1", "-P", out] + urls)
    assert code == 0, (code, err)
    assert len(listdir(out)) == 6
    assert stats(BAD)["accepted"] >= 6 + 1


@case
def extra_bytes_after_response_not_reused():
    out = tmpdir()
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-j", "1", "-P", out, f"{URL}/extra", f"{URL}/ok/9"])
    assert code == 0, err
    with open(os.path.join(out, "9"), "rb") as f:
        assert f.read() == body_of(9)
    assert stats(BAD)["accepted"] == 2 + 1, stats(BAD)


@case
def connection_not_reused_after_spliced_body():
    """Junk after a large (spliced) body must not become the next response."""
    out = tmpdir()
    http_get(BAD, "/reset-stats")
    code, _, err = run(["-j", "1", "-P", out, f"{URL}/bigextra", f"{URL}/ok/9"])
    assert code == 0, err
    with open(os.path.join(out, "bigextra"), "rb") as f:
        assert f.read() == body_of(3_000_000)
    with open(os.path.join(out, "9"), "rb") as f:
        assert f.read() == body_of(9)
    assert stats(BAD)["accepted"] == 2 + 1, stats(BAD)


@case
def mixed_results_exit_status_and_summary():
    out = tmpdir()
    code, _, err = run(["--retry", "0", "-P", out, f"{URL}/ok/5", f"{URL}/status/404",
                        f"{URL}/truncated"])
    assert code == 4, (code, err)  # network (4) outranks HTTP status (6)
    assert "1 ok, 2 failed" in err
    assert listdir(out) == ["5"]


if __name__ == "__main__":
    main()
