#!/usr/bin/env python3
"""test_dns.py - names on the ring: c-ares driven by the loop, the cache,
the look-ahead, and what the resolver's misbehaviour becomes.

Every run is in a private mount namespace whose /etc/resolv.conf names only
tests/servers/dnsstub.py on a loopback address of its own and whose
/etc/hosts is the test's: no query leaves the machine.  The origin is
Debian's nginx on 127.0.0.1 only (not ::1), so an address of another
127/8 host or ::1 on its port refuses.
"""
import json
import os
import signal
import subprocess
import time

from harness import (EXTRA_ARGS, RINGFETCH, WRAPPER, Skip, case, dns_queries, json_results, main, read_file, run_with_dns,
                     sha256, start_badserver, start_dnsstub, start_nginx, tmpdir)

_origin = {}


def origin():
    """(nginx port, its root) serving f (16 KiB) and big (1 MiB)."""
    if not _origin:
        root = tmpdir()
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(os.urandom(16384))
        with open(os.path.join(root, "big"), "wb") as f:
            f.write(os.urandom(1 << 20))
        _origin["port"] = start_nginx(root, v6=False)
        _origin["root"] = root
    return _origin["port"], _origin["root"]


def url(host, name="f"):
    return f"http://{host}:{origin()[0]}/{name}"


def summary(stdout):
    return [json.loads(l) for l in stdout.decode().splitlines() if l.strip()][-1]


def records_by_url(stdout):
    return {r["url"]: r for r in json_results(stdout)}


def write_list(urls):
    path = os.path.join(tmpdir(), "list")
    with open(path, "w") as f:
        f.write("".join(u + "\n" for u in urls))
    return path


@case
def many_hosts_one_query_each_and_all_fetched():
    """1000 URLs on 500 names behind a 2 ms resolver: every file arrives,
    each name is asked once per family however many URLs share it (and
    never again: no answer was lost to a full socket buffer and asked
    again after a timeout), and hundreds of names are in flight at once."""
    dns, _, log = start_dnsstub({"default": {"suffix": ".test", "a": ["127.0.0.1"], "ttl": 300}},
                                delay_ms=2)
    urls = [url(f"h{i:05d}.test") for i in range(500)] * 2
    code, stdout, err = run_with_dns(dns, ["-q", "-j", "64", "-o", "/dev/null", "--json", "-",
                                           "-i", write_list(urls)])
    assert code == 0, err
    recs = json_results(stdout)
    assert len(recs) == 1000 and all(r["ok"] for r in recs), err
    q = dns_queries(log)
    assert len({n for n, _, _ in q}) == 500, len({n for n, _, _ in q})
    assert len(q) == 1000, f"{len(q)} queries for 500 names (A and AAAA each once)"
    s = summary(stdout)["dns"]
    assert s["resolver"] == "c-ares" and s["lookups"] == 500 and s["failures"] == 0, s
    assert s["peak_inflight"] >= 200, s  # the look-ahead asked far ahead of the 16 slots


@case
def lookups_are_hidden_behind_transfers():
    """With names read ahead, a URL whose turn comes after the first few
    waited nothing for its name: its time.dns is about zero."""
    dns, _, _ = start_dnsstub({"default": {"suffix": ".test", "a": ["127.0.0.1"]}}, delay_ms=50)
    urls = [url(f"ahead{i}.test") for i in range(100)]
    code, stdout, err = run_with_dns(dns, ["-q", "-j", "4", "--discard", "--json", "-",
                                           "-i", write_list(urls)])
    assert code == 0, err
    waits = sorted(r["time"]["dns"] for r in json_results(stdout))
    assert waits[-1] >= 0.04, waits[-5:]  # the first ones did wait for the 50 ms answer
    assert sum(w < 0.01 for w in waits) >= 80, waits


@case
def errors_in_words_and_the_others_go_on():
    """NXDOMAIN, SERVFAIL, REFUSED and a silent server each fail their own
    URL with words naming the cause (exit 4); the URLs of good names in the
    same run are fetched, and before the silent name gives up."""
    dns, _, _ = start_dnsstub({
        "default": {"suffix": ".test", "a": ["127.0.0.1"]},
        "names": {"nx.test": {"mode": "nxdomain"}, "sf.test": {"mode": "servfail"},
                  "rf.test": {"mode": "refused"}, "quiet.test": {"mode": "silent"}}})
    urls = [url("quiet.test"), url("nx.test"), url("sf.test"), url("rf.test")] + \
        [url(f"good{i}.test") for i in range(10)]
    code, stdout, err = run_with_dns(dns, ["-j", "4", "--retry", "0", "--discard", "--json", "-",
                                           "-i", write_list(urls)])
    assert code == 4, (code, err)
    recs = json_results(stdout)
    by = {r["url"]: r for r in recs}
    def detail(host):
        return by[url(host)]["error"]["detail"]
    assert detail("nx.test") == "nx.test: no such host (NXDOMAIN)", by[url("nx.test")]
    assert detail("sf.test") == f"sf.test: DNS server {dns} answered SERVFAIL"
    assert detail("rf.test") == f"rf.test: DNS server {dns} refused the query"
    assert detail("quiet.test") == f"quiet.test: DNS lookup timed out after 2 attempts ({dns})"
    for i in range(10):
        assert by[url(f"good{i}.test")]["ok"], by[url(f"good{i}.test")]
    # the silent name's record is the last: nothing waited for it
    assert recs[-1]["url"] == url("quiet.test"), [r["url"] for r in recs]
    assert "could not resolve host (nx.test: no such host (NXDOMAIN))" in err, err


@case
def truncated_answer_is_asked_again_over_tcp_and_every_address_is_tried():
    """A UDP answer with TC set is asked again over TCP; its 20 addresses,
    of which the first 19 refuse, are all tried (no cap of 8)."""
    port, root = origin()
    addrs = [f"127.0.0.{i}" for i in range(2, 21)] + ["127.0.0.1"]
    dns, _, log = start_dnsstub({"names": {"tc.test": {"mode": "truncate", "a": addrs}}})
    out = tmpdir()
    code, _, err = run_with_dns(dns, ["-q", "-4", "--retry", "0", "-P", out, url("tc.test")])
    assert code == 0, err
    assert read_file(os.path.join(out, "f")) == read_file(os.path.join(root, "f"))
    assert ("tc.test", "1", "tcp") in dns_queries(log), dns_queries(log)


@case
def ten_addresses_first_nine_refuse():
    port, root = origin()
    addrs = [f"127.0.0.{i}" for i in range(2, 11)] + ["127.0.0.1"]
    dns, _, _ = start_dnsstub({"names": {"ten.test": {"a": addrs}}})
    out = tmpdir()
    code, _, err = run_with_dns(dns, ["-q", "--retry", "0", "-P", out, url("ten.test")])
    assert code == 0, err
    assert read_file(os.path.join(out, "f")) == read_file(os.path.join(root, "f"))


@case
def cname_chain_is_followed():
    dns, _, _ = start_dnsstub({"names": {"alias.test": {"cname": "mid.test"},
                                         "mid.test": {"cname": "final.test"},
                                         "final.test": {"a": ["127.0.0.1"], "ttl": 60}}})
    code, _, err = run_with_dns(dns, ["-v", "--discard", url("alias.test")])
    assert code == 0, err
    assert "name alias.test: 127.0.0.1 (c-ares answer" in err, err


@case
def dead_ipv6_address_falls_back_to_ipv4():
    """AAAA names ::1 (nothing listens there on the port), A 127.0.0.1."""
    dns, _, _ = start_dnsstub({"names": {"v6dead.test": {"a": ["127.0.0.1"], "aaaa": ["::1"]}}})
    code, _, err = run_with_dns(dns, ["-v", "--retry", "0", "--discard", url("v6dead.test")])
    assert code == 0, err
    assert "trying [::1]" in err and f"connected to 127.0.0.1:{origin()[0]}" in err, err


@case
def late_ipv4_answer_joins_the_attempts():
    """The AAAA answer (a dead ::1) comes at once, the A answer 400 ms later:
    the transfer, out of addresses, waits for it instead of failing."""
    dns, _, _ = start_dnsstub({"names": {"late4.test": {"a": ["127.0.0.1"], "aaaa": ["::1"],
                                                        "delay_a_ms": 400}}})
    code, _, err = run_with_dns(dns, ["-v", "--retry", "0", "--discard", url("late4.test")])
    assert code == 0, err
    assert "waiting for the other address family" in err, err
    assert f"connected to 127.0.0.1:{origin()[0]}" in err, err


@case
def wrong_id_and_wrong_source_answers_are_ignored():
    """An answer with another query's ID, or from an address that was not
    asked, names 127.0.0.99 (which refuses); the real answer follows."""
    port, root = origin()
    dns, _, _ = start_dnsstub({"names": {
        "badid.test": {"mode": "badid", "a": ["127.0.0.1"], "delay_ms": 30},
        "wrongsrc.test": {"mode": "wrongsrc", "a": ["127.0.0.1"], "delay_ms": 30}}}, other=True)
    out = tmpdir()
    code, stdout, err = run_with_dns(dns, ["-4", "-v", "--retry", "0", "--json", "-", "-P", out,
                                           url("badid.test", "f"), url("wrongsrc.test", "big")])
    assert code == 0, err
    assert "127.0.0.99" not in err, err
    assert read_file(os.path.join(out, "big")) == read_file(os.path.join(root, "big"))


@case
def garbage_and_floods_do_not_stall_others():
    """A server that floods the socket with 2000 junk datagrams before its
    answer is still understood; one that answers only garbage times out in
    words while the other names are fetched."""
    dns, _, _ = start_dnsstub({"default": {"suffix": ".test", "a": ["127.0.0.1"]},
                               "names": {"flood.test": {"mode": "flood", "a": ["127.0.0.1"],
                                                        "delay_ms": 50},
                                         "junk.test": {"mode": "garbage"}}})
    urls = [url("junk.test"), url("flood.test")] + [url(f"fine{i}.test") for i in range(10)]
    code, stdout, err = run_with_dns(dns, ["-4", "-j", "4", "--retry", "0", "--discard",
                                           "--json", "-", "-i", write_list(urls)])
    assert code == 4, (code, err)
    by = records_by_url(stdout)
    assert by[url("flood.test")]["ok"], by[url("flood.test")]
    assert all(by[url(f"fine{i}.test")]["ok"] for i in range(10)), err
    assert "DNS lookup timed out" in by[url("junk.test")]["error"]["detail"], by[url("junk.test")]


@case
def interrupt_reports_entries_read_ahead():
    """SIGINT with most of a list read ahead (names looked up) but not begun:
    each such entry has its record (canceled, no attempt), is not counted as
    a failure, and the summary says how many never started."""
    if WRAPPER:
        raise Skip("timing of a signal under a wrapper")
    slow = start_badserver()
    out = tmpdir()
    urls = [f"http://127.0.0.1:{slow}/slow/{i}" for i in range(40)]
    p = subprocess.Popen([RINGFETCH] + EXTRA_ARGS + ["-j", "2", "-P", out, "--json", "-", "-i",
                                                     write_list(urls)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    stdout, err = p.communicate(timeout=20)
    err = err.decode()
    assert p.returncode == 130, (p.returncode, err)
    recs = json_results(stdout)
    assert len(recs) == 40, len(recs)
    unstarted = [r for r in recs if r["attempts"] == 0]
    assert len(unstarted) >= 30, len(unstarted)
    assert all(r["error"]["code"] == -1017 for r in unstarted), unstarted[0]
    done = len([r for r in recs if r["ok"]])
    failed = len(recs) - done - len(unstarted)
    assert f"{done} ok, {failed} failed, {len(unstarted)} not started" in err, err
    assert err.count("canceled") <= failed + 1, err  # no line per entry never begun


@case
def answers_expire_with_their_ttl():
    """A record with TTL 1 changes after the first second: a URL of the name
    that starts later asks again and dials the new address (127.0.0.2,
    which refuses: the failure names it)."""
    dns, _, log = start_dnsstub({"names": {"ttl.test": {"a": ["127.0.0.1"], "ttl": 1,
                                                        "after": {"t": 1.0, "a": ["127.0.0.2"]}}}})
    slow = start_badserver()
    urls = [url("ttl.test")] + [f"http://127.0.0.1:{slow}/slow/{i}" for i in range(6)] + \
        [url("ttl.test", "big")]
    code, stdout, err = run_with_dns(dns, ["-4", "-j", "1", "--retry", "0", "--discard",
                                           "--json", "-", "-i", write_list(urls)])
    by = records_by_url(stdout)
    assert by[url("ttl.test")]["ok"], by
    assert not by[url("ttl.test", "big")]["ok"]
    assert by[url("ttl.test", "big")]["error"]["detail"] == f"127.0.0.2:{origin()[0]}", by
    a_queries = [q for q in dns_queries(log) if q[:2] == ("ttl.test", "1")]
    assert len(a_queries) == 2, a_queries
    assert summary(stdout)["dns"]["expired"] == 1, summary(stdout)


@case
def resolve_pins_a_name_without_asking():
    dns, _, log = start_dnsstub({"names": {"pinned.test": {"a": ["127.0.0.99"]}}})
    port = origin()[0]
    code, _, err = run_with_dns(dns, ["-q", "--resolve", f"pinned.test:{port}:127.0.0.1",
                                      "--discard", url("pinned.test")])
    assert code == 0, err
    assert not dns_queries(log), dns_queries(log)
    # another port is not pinned: asked, and its answer refuses
    code, _, err = run_with_dns(dns, ["-q", "-4", "--retry", "0", "--resolve",
                                      f"pinned.test:{port + 1}:127.0.0.1", "--discard",
                                      url("pinned.test")])
    assert code == 4 and "127.0.0.99" in err, (code, err)


@case
def bench_takes_resolve_pins():
    """ringfetch bench --resolve: the load goes to the pinned address, and
    the name is never asked."""
    dns, _, log = start_dnsstub({"names": {"load.test": {"a": ["127.0.0.99"]}}})
    port = origin()[0]
    report = os.path.join(tmpdir(), "bench.json")
    code, stdout, err = run_with_dns(dns, ["bench", "-q", "-n", "40", "-c", "2", "--json", report,
                                           "--resolve", f"load.test:{port}:127.0.0.1",
                                           url("load.test")])
    assert code == 0, err
    with open(report) as f:
        doc = json.load(f)
    assert doc["requests"] == 40 and doc["status"].get("200") == 40, doc
    assert not dns_queries(log), dns_queries(log)


@case
def hosts_file_comes_first():
    dns, _, log = start_dnsstub({"names": {"both.test": {"a": ["127.0.0.99"]}}})
    code, _, err = run_with_dns(dns, ["-q", "--retry", "0", "--discard", url("both.test")],
                                hosts=["127.0.0.1 localhost", "127.0.0.1 both.test"])
    assert code == 0, err
    assert not dns_queries(log), dns_queries(log)


@case
def search_domains_and_ndots_from_resolv_conf():
    dns, _, log = start_dnsstub({"names": {"short.corp.test": {"a": ["127.0.0.1"]}}})
    code, _, err = run_with_dns(dns, ["-q", "-4", "--retry", "0", "--discard", url("short")],
                                resolv_extra="search corp.test\noptions ndots:1 timeout:1")
    assert code == 0, err
    assert ("short.corp.test", "1", "udp") in dns_queries(log), dns_queries(log)


@case
def dns_servers_replaces_resolv_conf():
    dns, _, _ = start_dnsstub({"names": {"other.test": {"a": ["127.0.0.1"]}}})
    # resolv.conf names an address where nothing listens: -dns-servers wins
    code, _, err = run_with_dns("127.53.255.254", ["-q", "-4", "--retry", "0",
                                                   "--dns-servers", f"{dns}:53",
                                                   "--discard", url("other.test")])
    assert code == 0, err


@case
def address_family_flags():
    dns, _, _ = start_dnsstub({"names": {"only4.test": {"a": ["127.0.0.1"]},
                                         "only6.test": {"aaaa": ["::1"]}}})
    code, _, err = run_with_dns(dns, ["-6", "--retry", "0", "--discard", url("only4.test")])
    assert code == 4 and "no IPv6 address (--ipv6 given)" in err, (code, err)
    code, _, err = run_with_dns(dns, ["-4", "--retry", "0", "--discard", url("only6.test")])
    assert code == 4 and "no IPv4 address (--ipv4 given)" in err, (code, err)
    code, _, err = run_with_dns(dns, ["-4", "-6", url("only4.test")])
    assert code == 2 and "-4 and -6" in err, (code, err)


@case
def connect_timeout_covers_the_lookup():
    """A resolver that never answers, with resolv.conf allowing 3 x 5 s:
    --connect-timeout 1.5 ends the URL, and the run, at once; with
    --resolver system too (glibc's getaddrinfo cannot be cancelled: its
    thread is left behind, not waited for)."""
    dns, _, _ = start_dnsstub({"names": {"never.test": {"mode": "silent"}}})
    for extra in ([], ["--resolver", "system"]):
        t0 = time.monotonic()
        code, _, err = run_with_dns(dns, extra + ["--connect-timeout", "1.5", "--retry", "0",
                                                  "--discard", url("never.test")],
                                    resolv_extra="options timeout:5 attempts:3")
        took = time.monotonic() - t0
        assert code == 4 and "connect timed out (resolving never.test)" in err, (extra, code, err)
        assert took < 5, (extra, took)  # not the 15 s the resolver would take


@case
def system_resolver_still_there():
    port = origin()[0]
    code, stdout, err = run_with_dns("127.53.255.254", ["--resolver", "system", "--discard",
                                                        "--json", "-", url("sys.test")],
                                     hosts=["127.0.0.1 localhost sys.test"])
    assert code == 0, err
    assert summary(stdout)["dns"]["resolver"] == "getaddrinfo", summary(stdout)
    del port


@case
def bad_name_options_are_refused():
    for args, words in [(["--resolve", "nocolon"], "--resolve nocolon: want HOST:PORT:ADDR"),
                        (["--resolve", "h:99999:127.0.0.1"], "want HOST:PORT:ADDR"),
                        (["--resolve", "h:80:notanip"], "want HOST:PORT:ADDR"),
                        (["--dns-servers", "not an address"], "--dns-servers not an address"),
                        (["--resolver", "magic"], "--resolver magic: want ring or system"),
                        (["--dns-max-inflight", "0"], "--dns-max-inflight needs a number")]:
        code, _, err = run_with_dns("127.53.255.254", args + ["http://x.test/"])
        assert code == 2 and words in err, (args, code, err)


@case
def verbose_names_each_lookup_and_summary_counts():
    dns, _, _ = start_dnsstub({"default": {"suffix": ".test", "a": ["127.0.0.1"], "ttl": 77}})
    other = start_badserver()  # a second origin on the same name: no connection to reuse
    code, stdout, err = run_with_dns(dns, ["-v", "-4", "-j", "1", "--discard",
                                           url("v1.test"), f"http://v1.test:{other}/ok/1"])
    assert code == 0, err
    assert "name v1.test: 127.0.0.1 (c-ares answer, TTL 77 s, lookup" in err, err
    assert "name v1.test: 127.0.0.1 (c-ares cache, TTL 77 s" in err, err
    assert "DNS lookups 1 (0 failed), cache hits 1" in err, err


if __name__ == "__main__":
    main()
