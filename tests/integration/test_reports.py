#!/usr/bin/env python3
"""What scripts read and what users see around the engine: --json records
(validated against the schema README "Reports" documents), -w/--write-out,
--discard, -nc, --shard (N processes: the union is the list, the shards are
disjoint), retry notes, digests naming files, and the usage errors."""
import json
import os
import shutil
import subprocess
import time

from harness import (EXTRA_ARGS, RINGFETCH, ROOT, WRAPPER, body_of, case, listdir, main, run,
                     run_with_hosts, sha256, start_badserver, tmpdir)

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"

# README "Reports": every key of a result record and its JSON type(s)
RESULT_SCHEMA = {
    "type": str, "url": str, "final_url": str, "path": (str, type(None)), "ok": bool,
    "status": int, "bytes": int, "resumed_from": int, "skipped": bool, "attempts": int,
    "retries": int, "redirects": int, "reused": bool, "digest": (dict, type(None)),
    "error": (dict, type(None)), "note": str, "exit_status": int, "time": dict,
    "line": (int, type(None)), "content_encoding": str, "decoded": bool,
    "http_version": (str, type(None)),
    "thread": int,
}
TIME_KEYS = {"dns", "connect", "tls", "first_byte", "total"}
SUMMARY_SCHEMA = {"type": str, "downloaded": int, "skipped": int, "failed": int, "bytes": int,
                  "seconds": float, "exit_status": int, "dns": dict, "threads": int,
                  "shard": (dict, type(None))}


def check_record(rec, schema):
    assert set(rec) == set(schema), (sorted(rec), sorted(schema))
    for k, t in schema.items():
        ok = isinstance(rec[k], t) and not (t is int and isinstance(rec[k], bool))
        assert ok or (t is float and isinstance(rec[k], int)), (k, rec[k])


def records(text):
    recs = [json.loads(line) for line in text.splitlines() if line.strip()]
    for r in recs[:-1]:
        check_record(r, RESULT_SCHEMA)
        assert r["type"] == "result"
        assert set(r["time"]) == TIME_KEYS and all(isinstance(v, (int, float)) for v in r["time"].values())
        if r["error"]:
            assert set(r["error"]) == {"code", "message", "detail", "local"}, r["error"]
        if r["digest"]:
            assert set(r["digest"]) == {"algo", "hex"}, r["digest"]
    check_record(recs[-1], SUMMARY_SCHEMA)
    assert recs[-1]["type"] == "summary"
    return recs[:-1], recs[-1]


@case
def json_records_and_summary():
    out = tmpdir()
    with open(os.path.join(out, "existing"), "wb") as f:
        f.write(b"mine")
    report = os.path.join(tmpdir(), "r.json")
    code, _, err = run(["--retry", "0", "-P", out, "--json", report, "--print-digest", "sha-256",
                        f"{URL}/ok/100", f"{URL}/status/404", f"{URL}/redirect/2",
                        f"http://u:secret@127.0.0.1:{BAD}/ok/200"])
    assert code == 6, err
    recs, summary = records(open(report).read())
    by_url = {r["url"]: r for r in recs}
    ok = by_url[f"{URL}/ok/100"]
    assert ok["ok"] and ok["status"] == 200 and ok["bytes"] == 100 and ok["path"] == os.path.join(out, "100")
    assert ok["digest"] == {"algo": "sha-256", "hex": sha256(body_of(100))}, ok
    assert ok["exit_status"] == 0 and ok["time"]["total"] >= ok["time"]["first_byte"] > 0
    bad = by_url[f"{URL}/status/404"]
    assert not bad["ok"] and bad["status"] == 404 and bad["path"] is None and bad["exit_status"] == 6
    assert bad["error"]["code"] == -1007 and bad["error"]["message"] == "HTTP error status"
    red = by_url[f"{URL}/redirect/2"]
    assert red["redirects"] == 3 and red["final_url"] == f"{URL}/ok/123", red
    assert red["path"] == os.path.join(out, "2") and red["bytes"] == 123, red
    assert "http://***@127.0.0.1:%d/ok/200" % BAD in by_url, sorted(by_url)  # redacted
    assert "secret" not in open(report).read()
    assert summary == {**summary, "downloaded": 3, "skipped": 0, "failed": 1, "exit_status": 6}, summary
    assert summary["bytes"] == 100 + 123 + 200


@case
def json_lines_come_as_urls_finish():
    """--json - on a pipe: the first record arrives while a slow URL still runs."""
    p = subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + ["-q", "--discard", "--max-time", "3", "--json", "-",
                                                                f"{URL}/ok/10", f"{URL}/trickle"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = json.loads(p.stdout.readline())
    still_running = p.poll() is None
    p.communicate(timeout=60)
    assert first["url"] == f"{URL}/ok/10" and still_running


@case
def write_out_variables():
    out = tmpdir()
    fmt = ("%{http_code}|%{response_code}|%{size_download}|%{filename_effective}|%{url_effective}|"
           "%{num_redirects}|%{exitcode}|%{errormsg}|100%%\\n")
    code, stdout, err = run(["--retry", "0", "-P", out, "-w", fmt, f"{URL}/redirect/1"])
    assert code == 0, err
    assert stdout.decode() == f"200|200|123|{out}/1|{URL}/ok/123|2|0||100%\n", stdout
    code, stdout, err = run(["--retry", "0", "-P", out, "-w", "%{json}\\n", f"{URL}/status/503"])
    rec = json.loads(stdout)
    check_record(rec, RESULT_SCHEMA)
    assert rec["status"] == 503 and rec["exit_status"] == 6 and code == 6
    for t in ("time_total", "time_namelookup", "time_connect", "time_appconnect", "time_starttransfer"):
        code, stdout, _ = run(["--discard", "-w", "%{" + t + "}", f"{URL}/ok/5"])
        assert code == 0 and float(stdout) >= 0, (t, stdout)
    code, _, err = run(["-w", "%{nope}", f"{URL}/ok/5"])
    assert code == 2 and "unknown --write-out variable %{nope}" in err, err


@case
def discard_fetches_and_drops():
    d = tmpdir()
    urls = [f"{URL}/ok/{n}" for n in range(1, 30)]
    code, _, err = run(["--discard", "-P", d] + urls, cwd=d)
    assert code == 0 and "29 ok, 0 failed" in err, err
    assert listdir(d) == [], listdir(d)
    code, _, err = run(["-o", "/dev/null"] + urls[:3], cwd=d)
    assert code == 0 and "3 ok, 0 failed" in err and listdir(d) == [], err
    code, _, err = run(["-O", "x.bin"] + urls[:2], cwd=d)
    assert code == 2 and "-O FILE takes one URL" in err, err
    code, _, err = run(["-P", "/dev/null"] + urls[:3], cwd=d)
    assert code == 0 and "3 ok, 0 failed" in err and listdir(d) == [], err
    # curl's -O URL: each URL under its own name, never a file named after a URL
    code, _, err = run(["-P", d, "-O", urls[0], "-O", urls[1], urls[2]], cwd=d)
    assert code == 0 and listdir(d) == ["1", "2", "3"], (err, listdir(d))


@case
def no_clobber_skips_existing_files():
    """-nc skips a URL whose own file (origin record) exists; a file of the
    user's under that name is never taken for it: the URL gets NAME.1."""
    out = tmpdir()
    with open(os.path.join(out, "40"), "wb") as f:
        f.write(b"keep me")
    code, stdout, err = run(["-nc", "-P", out, "--json", "-", f"{URL}/ok/40", f"{URL}/ok/41"])
    assert code == 0, err
    assert open(os.path.join(out, "40"), "rb").read() == b"keep me"
    assert open(os.path.join(out, "40.1"), "rb").read() == body_of(40)
    assert open(os.path.join(out, "41"), "rb").read() == body_of(41)
    recs, summary = records(stdout.decode())
    assert not [r for r in recs if r["skipped"]], recs
    assert f"{URL}/ok/40: note: saved as 40.1 (40: the file exists and has no origin record" in err, err
    for flag in ("-nc", "--no-clobber"):
        code, stdout, err = run([flag, "-P", out, "--json", "-", f"{URL}/ok/40", f"{URL}/ok/41"])
        assert code == 0, err
        recs, summary = records(stdout.decode())
        assert [(r["url"], r["path"], r["skipped"]) for r in recs] == [
            (f"{URL}/ok/40", f"{out}/40.1", True), (f"{URL}/ok/41", f"{out}/41", True)], recs
        assert "2 skipped: the file exists" in err, err
    assert open(os.path.join(out, "40"), "rb").read() == b"keep me"
    assert sorted(os.listdir(out)) == ["40", "40.1", "41"]
    code, _, err = run(["-nc", "-c", f"{URL}/ok/1"])
    assert code == 2, err


@case
def digest_names_the_file_even_when_skipped():
    out = tmpdir()
    code, stdout, err = run(["-P", out, "--print-digest", "sha-256", f"{URL}/ranged/dg/5000"])
    assert code == 0, err
    line = f"{sha256(body_of(5000))}  {out}/5000\n"
    assert stdout.decode() == line, stdout
    code, stdout, err = run(["-c", "-P", out, "--print-digest", "sha-256", f"{URL}/ranged/dg/5000"])
    assert code == 0 and stdout.decode() == line, (stdout, err)
    check = subprocess.run(["sha256sum", "-c"], input=stdout, capture_output=True)
    assert check.returncode == 0, check


@case
def retries_are_announced():
    code, _, err = run(["--retry", "2", "--retry-delay", "0.05", "-P", tmpdir(), f"{URL}/flaky/ann/2/503/none"])
    assert code == 0, err
    notes = [l for l in err.splitlines() if ": retrying in " in l]
    assert len(notes) == 2, err
    assert "(attempt 2 of 3)" in notes[0] and "(attempt 3 of 3)" in notes[1], notes
    assert "retrying in 0.1 s: HTTP 503 (attempt 2 of 3)" in notes[0], notes
    code, _, err = run(["-q", "--retry", "2", "--retry-delay", "0.05", "-P", tmpdir(),
                        f"{URL}/flaky/ann2/2/503/none"])
    assert code == 0 and "retrying" not in err, err
    # curl's -sS: silent, errors shown
    code, _, err = run(["-sS", "--retry", "0", "-P", tmpdir(), f"{URL}/status/404"])
    assert code == 6 and err == f"{URL}/status/404: HTTP 404 Not Found\n", err


@case
def verbose_shows_requests_and_responses_without_secrets():
    out = tmpdir()
    code, _, err = run(["-v", "-j", "1", "-P", out, "-H", "Cookie: c=s3cr3t", "--user", "bob:pa55",
                        f"{URL}/ok/10", f"{URL}/ok/11"])
    assert code == 0, err
    lines = err.splitlines()
    assert f"* {URL}/ok/10: connected to 127.0.0.1:{BAD}" in lines, err
    assert f"* {URL}/ok/11: reusing a kept-alive connection (http://127.0.0.1:{BAD})" in lines, err
    assert "> GET /ok/10 HTTP/1.1" in lines and f"> Host: 127.0.0.1:{BAD}" in lines, err
    assert "> Authorization: ***" in lines and "> Cookie: ***" in lines, err
    assert "s3cr3t" not in err and "pa55" not in err and "Ym9iOnBhNTU" not in err, err
    assert f"* {URL}/ok/10: response" in lines and "< HTTP/1.1 200 OK" in lines, err
    assert "< Content-Length: 10" in lines, err
    # interim responses are shown too
    code, _, err = run(["-v", "-P", out, f"{URL}/interim"])
    assert code == 0 and err.count("< HTTP/1.1 1") >= 1 and "< HTTP/1.1 200 OK" in err, err


@case
def idn_host_names_are_converted():
    """bücher.test is looked up and sent as xn--bcher-kva.test (a private
    /etc/hosts knows only that form)."""
    out = tmpdir()
    code, _, err = run_with_hosts([f"127.0.0.1 xn--bcher-kva.test"],
                                  ["-P", out, f"http://b\u00fccher.test:{BAD}/echo"])
    assert code == 0, err
    with open(os.path.join(out, "echo"), "rb") as f:
        assert f"Host: xn--bcher-kva.test:{BAD}\r\n".encode() in f.read()
    code, _, err = run(["http://a\udcff.test/x".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")])
    assert code == 7 and "not a valid internationalized domain name" in err, (code, err)


@case
def usage_errors_for_directories_and_shards():
    code, _, err = run(["-i", tmpdir()])
    assert code == 2 and "is a directory, not a list of URLs" in err, err
    for bad in ("0/3", "4/3", "x", "1/0", "2/3x"):
        code, _, err = run(["--shard", bad, f"{URL}/ok/1"])
        assert code == 2 and "--shard needs K/N" in err, (bad, err)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "SLURM_"))}
    code, _, err = run(["--shard", "auto", f"{URL}/ok/1"], env=env)
    assert code == 2 and "--shard auto: neither" in err, err


def shard_run(args, env=None):
    out = tmpdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_", "SLURM_"))}
    e.update(env or {})
    code, _, err = run(["-q", "-P", out] + args, env=e)
    assert code == 0, err
    return set(listdir(out))


@case
def shards_split_a_list_exactly():
    lst = os.path.join(tmpdir(), "urls")
    names = {str(n) for n in range(1, 121)}
    with open(lst, "w") as f:
        f.write("".join(f"{URL}/ok/{n}\n" for n in sorted(names, key=int)))
    for n in (1, 3, 7):
        procs = []
        for k in range(1, n + 1):  # N processes at once, as N machines would
            out = tmpdir()
            procs.append((out, subprocess.Popen(WRAPPER + [RINGFETCH] + EXTRA_ARGS + [
                "-q", "--shard", f"{k}/{n}", "-P", out, "-i", lst])))
        parts = []
        for out, p in procs:
            assert p.wait(60) == 0
            parts.append(set(listdir(out)))
        union = set().union(*parts)
        assert union == names, (n, names - union)
        assert sum(len(p) for p in parts) == len(names), f"shards overlap (N={n})"
        if n == 7:
            assert all(parts), "an empty shard of 120 URLs in 7 is unlikely with a good hash"
    # auto: a Kubernetes Indexed Job and a Slurm array see the same shards
    k8s = [shard_run(["--shard", "auto", "-i", lst],
                     {"JOB_COMPLETION_INDEX": str(i), "JOB_COMPLETIONS": "3"}) for i in range(3)]
    slurm = [shard_run(["--shard", "auto", "-i", lst],
                       {"SLURM_ARRAY_TASK_ID": str(i + 5), "SLURM_ARRAY_TASK_MIN": "5",
                        "SLURM_ARRAY_TASK_COUNT": "3"}) for i in range(3)]
    explicit = [shard_run(["--shard", f"{i + 1}/3", "-i", lst]) for i in range(3)]
    assert k8s == explicit == slurm
    # auto/N: the index from either scheduler, N as written, whatever the array says
    fixed = [shard_run(["--shard", "auto/3", "-i", lst],
                       {"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_MIN": str(i),
                        "SLURM_ARRAY_TASK_COUNT": "1"}) for i in range(3)]
    fixed_k8s = [shard_run(["--shard", "auto/3", "-i", lst], {"JOB_COMPLETION_INDEX": str(i)})
                 for i in range(3)]
    assert fixed == fixed_k8s == explicit
    # what would give wrong shards is refused, with no report written
    for args, env, want in (
            (["--shard", "auto/3"], {"SLURM_ARRAY_TASK_ID": "3"}, "SLURM_ARRAY_TASK_ID is 3, not one of 0 to 2"),
            (["--shard", "auto"], {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2",
                                   "SLURM_ARRAY_TASK_COUNT": "1"}, "one task"),
            (["--shard", "auto"], {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0",
                                   "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"}, "strided")):
        report = os.path.join(tmpdir(), "r.json")
        e = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION"))}
        e.update(env)
        code, _, err = run(["-q", "-P", tmpdir(), "-i", lst, "--json", report] + args, env=e)
        assert code == 2 and want in err, (args, env, code, err)
        assert not os.path.exists(report), "a refused run wrote a report"


@case
def merging_shard_reports_as_docs_recipes_say():
    """docs/recipes.md's jq commands, run on three shards' --json reports."""
    text = open(os.path.join(ROOT, "docs", "recipes.md")).read()
    block = text.split("## Merging the reports")[1].split("```sh")[1].split("```")[0]
    work = tmpdir()
    os.makedirs(os.path.join(work, "reports"))
    lst = os.path.join(work, "urls")
    with open(lst, "w") as f:
        f.write("".join(f"{URL}/ok/{n}\n" for n in range(1, 41)) + f"{URL}/status/404\n")
    for k in (1, 2, 3):
        run(["-q", "--shard", f"{k}/3", "-P", os.path.join(work, "data"), "-i", lst,
             "--json", os.path.join(work, "reports", f"shard-{k}.json")])
    p = subprocess.run(["bash", "-c", block], cwd=work, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()  # one compact failure, then the totals object
    assert json.loads(lines[0])["url"] == f"{URL}/status/404", p.stdout
    t = json.loads("\n".join(lines[1:]))
    assert t == {"shards": 3, "downloaded": 40, "skipped": 0, "failed": 1, "bytes": sum(range(1, 41))}, t
    # a shard missing, or one reported twice: the merge fails and says which
    reports = os.path.join(work, "reports")
    os.rename(os.path.join(reports, "shard-2.json"), os.path.join(work, "shard-2.json"))
    p = subprocess.run(["bash", "-c", block], cwd=work, capture_output=True, text=True)
    assert p.returncode != 0 and "shards missing: [2]" in p.stderr, (p.returncode, p.stderr)
    shutil.copy(os.path.join(work, "shard-2.json"), os.path.join(reports, "shard-2.json"))
    shutil.copy(os.path.join(work, "shard-2.json"), os.path.join(reports, "shard-2-again.json"))
    p = subprocess.run(["bash", "-c", block], cwd=work, capture_output=True, text=True)
    assert p.returncode != 0 and "reported twice: [2]" in p.stderr, (p.returncode, p.stderr)


if __name__ == "__main__":
    main()
