#!/usr/bin/env python3
"""What curl and wget users bring (README "Using it"): -r/--range for one
URL, --max-filesize announced or not, option files (-K, the default
~/.config/ringfetch/config, --no-config).  Run against
tests/servers/badserver.py."""
import os

from harness import body_of, case, http_get, listdir, main, run, start_badserver, tmpdir
from harness import json_results as records, read_file as read

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"
_keys = iter(range(10**6))


def key(prefix="h"):
    return f"{prefix}{next(_keys)}x"


def log(k):
    return [l for l in http_get(BAD, f"/log/{k}").splitlines() if l]




@case
def range_saves_just_those_bytes():
    """-r A-B, A- and -N save exactly the bytes asked for; the file carries
    no origin record (it is not the URL's whole file), so a later -c never
    takes it for a prefix."""
    out = tmpdir()
    k1, k2, k3 = key(), key(), key()
    for spec, k, name in (("10-19", k1, "a"), ("90-", k2, "b"), ("-5", k3, "c")):
        code, _, err = run(["-r", spec, "-o", os.path.join(out, name), f"{URL}/versioned/{k}/100"])
        assert code == 0 and "note" not in err, (spec, err)
    assert read(os.path.join(out, "a")) == body_of(100, "v1" + k1)[10:20]
    assert read(os.path.join(out, "b")) == body_of(100, "v1" + k2)[90:]
    assert read(os.path.join(out, "c")) == body_of(100, "v1" + k3)[95:]
    assert log(k1) == ["bytes=10-19 -"], log(k1)
    code, _, err = run(["-P", out, "-r", "0-49", f"{URL}/versioned/{k1}/100"])
    assert code == 0, err
    assert os.listxattr(os.path.join(out, "100")) == []
    code, _, err = run(["-c", "-P", out, f"{URL}/versioned/{k1}/100"])
    assert code == 0 and "saved as 100.1" in err, err
    assert read(os.path.join(out, "100.1")) == body_of(100, "v1" + k1)
    assert read(os.path.join(out, "100")) == body_of(100, "v1" + k1)[:50]


@case
def range_refusals_and_odd_servers():
    """A range past the end is the server's 416; a 206 that starts
    elsewhere is refused; a server that ignores Range sends the whole
    resource, saved whole with a note; bad specs and combinations are
    usage errors."""
    out = tmpdir()
    code, _, err = run(["-r", "200-300", "-o", os.path.join(out, "x"), f"{URL}/versioned/{key()}/100"])
    assert code == 6 and "416" in err, err
    assert listdir(out) == [], listdir(out)
    code, _, err = run(["-r", "5-9", "-o", os.path.join(out, "whole"), f"{URL}/ok/100"])
    assert code == 0 and "ignored the range" in err, err
    assert read(os.path.join(out, "whole")) == body_of(100)
    code, _, err = run(["-r", "20-", "-o", os.path.join(out, "odd"), f"{URL}/badrange/{key()}/5000"])
    assert code == 4 and "for the range 20-" in err, err
    assert listdir(out) == ["whole"], listdir(out)
    for bad in ("9-3", "a-b", "-", "1-2,5-6", "5"):
        code, _, err = run(["-r", bad, f"{URL}/ok/1"])
        assert code == 2 and "-r needs a byte range" in err, (bad, err)
    for combo in (["-c"], ["-N"], ["--split", "2"]):
        code, _, err = run(["-r", "1-2"] + combo + [f"{URL}/ok/1"])
        assert code == 2 and "-r cannot be combined" in err, (combo, err)
    code, _, err = run(["-r", "1-2", f"{URL}/ok/1", f"{URL}/ok/2"])
    assert code == 2 and "-r takes exactly one URL" in err, err


@case
def range_retry_starts_the_range_again():
    """A ranged transfer cut halfway is retried from the range's start,
    never continued from a .part of another answer."""
    out = tmpdir()
    k = key()
    code, _, err = run(["--retry-delay", "0", "-r", "100-", "-o", os.path.join(out, "r"),
                        f"{URL}/reset-once/{k}/4000"])
    assert code == 0, err
    assert read(os.path.join(out, "r")) == body_of(4000)[100:]
    assert [l.split()[0] for l in log(k)] == ["bytes=100-", "bytes=100-"], log(k)


@case
def max_filesize_announced_or_not():
    """--max-filesize refuses an announced length over it before a byte is
    written, and a chunked or close-delimited body as soon as it crosses
    it; nothing of it is kept; at the limit exactly it is fine."""
    out = tmpdir()
    code, stdout, err = run(["-P", out, "--max-filesize", "1k", "--json", "-", f"{URL}/ok/2000"])
    assert code == 6 and "announces 2000 bytes, more than the limit of 1024" in err, err
    assert records(stdout)[0]["error"]["code"] == -1030 and records(stdout)[0]["exit_status"] == 6, stdout
    for path in ("/endless-chunks", "/closebody"):
        code, _, err = run(["-P", out, "--max-filesize", "1K", path.join([URL, ""])])
        assert code == 6 and "more than the limit of 1024 bytes arrived" in err, (path, err)
    code, _, err = run(["-c", "-P", out, "--max-filesize", "1k", f"{URL}/endless-chunks"])
    assert code == 6, err
    assert listdir(out) == [], listdir(out)
    code, _, err = run(["-P", out, "--max-filesize", "2000", f"{URL}/ok/2000"])
    assert code == 0, err
    code, _, err = run(["-P", out, "--max-filesize", "2000", "--split", "4", f"{URL}/ranged/{key()}/3000"])
    assert code == 6, err
    assert listdir(out) == ["2000"], listdir(out)
    code, _, err = run(["--max-filesize", "lots", f"{URL}/ok/1"])
    assert code == 2 and "--max-filesize needs a size" in err, err


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@case
def config_file_in_curls_format():
    """-K FILE: long names with or without dashes, short ones with theirs,
    '=', ':' or blanks before the value, quoted values with escapes,
    comments, url = URL; read where it stands, so a later option wins."""
    d = tmpdir()
    out = os.path.join(d, "out dir")
    k = write(os.path.join(d, "k"), f"""# fetch options
quiet
--directory = "{out}"
-j 4
url = {URL}/ok/100
  user-agent: "agent \\"x\\" \\\\ y"   # a comment after the value
progress=none
max-redirs 3
""")
    code, _, err = run(["-K", k, "--json", os.path.join(d, "j"), f"{URL}/echo"])
    assert code == 0 and err == "", err
    assert listdir(out) == ["100", "echo"], listdir(out)
    assert b'User-Agent: agent "x" \\ y' in read(os.path.join(out, "echo")), read(os.path.join(out, "echo"))
    code, _, err = run(["--config", k, "-P", os.path.join(d, "later"), f"{URL}/ok/101"])
    assert code == 0, err
    assert listdir(os.path.join(d, "later")) == ["100", "101"], listdir(d)


@case
def config_file_errors_name_file_and_line():
    """A bad line is a usage error naming FILE:LINE, never its value (it may
    be a password); a missing -K file is an error; -K nests, not forever."""
    d = tmpdir()
    cases = [("jobs = many\n", "k:1: -j needs a number"),
             ("quiet\n\nbogus-opt 3\n", "k:3: unknown option bogus-opt"),
             ("silent yes\n", "k:1: option --silent takes no value"),
             ('user = "alice:s3cret" trailing\n', "k:1: text after the value"),
             ('header = "X-A: b\n', "k:1: unterminated quoted value"),
             ("url\n", "k:1: url needs a value"),
             (f"config = {d}/k\n", "nested more than 4 deep")]
    for text, want in cases:
        k = write(os.path.join(d, "k"), text)
        code, stdout, err = run(["-K", k, "-P", d, f"{URL}/ok/1"])
        assert code == 2 and want in err, (text, err)
        assert "s3cret" not in err and stdout == b"", err
    code, _, err = run(["-K", os.path.join(d, "missing"), f"{URL}/ok/1"])
    assert code == 2 and "cannot read config file" in err, err
    code, _, err = run(["-qK", os.path.join(d, "k"), f"{URL}/ok/1"])
    assert code == 2 and "-K FILE must be an option of its own" in err, err
    # a value that happens to look like -K is a value
    code, _, err = run(["-A", "-Kx", "-o", os.path.join(d, "ua"), f"{URL}/echo"])
    assert code == 0 and b"User-Agent: -Kx" in read(os.path.join(d, "ua")), err


@case
def default_config_and_no_config():
    """$XDG_CONFIG_HOME/ringfetch/config (else ~/.config/ringfetch/config)
    is read first; --no-config skips it; a missing one is no error."""
    d = tmpdir()
    os.makedirs(os.path.join(d, "xdg", "ringfetch"))
    write(os.path.join(d, "xdg", "ringfetch", "config"), f"directory = {d}/fromdefault\nquiet\n")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(d, "xdg"))
    code, _, err = run([f"{URL}/ok/100"], env=env)
    assert code == 0 and err == "", err
    code, _, err = run(["-P", os.path.join(d, "cli"), f"{URL}/ok/101"], env=env)
    assert code == 0, err
    code, _, err = run(["--no-config", "-P", os.path.join(d, "plain"), f"{URL}/ok/102"], env=env)
    assert code == 0 and "1 ok" in err, err
    assert listdir(os.path.join(d, "fromdefault")) == ["100"], listdir(d)
    assert listdir(os.path.join(d, "cli")) == ["101"] and listdir(os.path.join(d, "plain")) == ["102"]
    os.makedirs(os.path.join(d, "home", ".config", "ringfetch"))
    write(os.path.join(d, "home", ".config", "ringfetch", "config"), "jobs = x\n")
    env = dict(os.environ, HOME=os.path.join(d, "home"))
    env.pop("XDG_CONFIG_HOME")
    code, _, err = run(["-P", d, f"{URL}/ok/1"], env=env)
    assert code == 2 and ".config/ringfetch/config:1: -j needs a number" in err, err
    code, _, err = run(["--no-config", "-P", d, f"{URL}/ok/1"], env=env)
    assert code == 0, err


@case
def reports_speak_the_users_units():
    """Sizes and rates typed in powers of 1024 (2M, 2MiB) make the summary
    and the progress log say MiB; typed in powers of 1000 (2MB) or not at
    all, MB; a unit that is neither is a usage error."""
    d = tmpdir()
    for flags, unit in (([], "MB"), (["--limit-rate", "64M"], "MiB"), (["--limit-rate", "64MiB"], "MiB"),
                        (["--limit-rate", "64MB"], "MB"), (["--max-filesize", "1G"], "MiB"),
                        (["--max-filesize", "1GB", "--limit-rate-per-host", "9k"], "MiB")):
        code, _, err = run(flags + ["--progress=line", "-o", os.path.join(d, "f"), f"{URL}/ok/300000"])
        assert code == 0, err
        summary = err.strip().splitlines()[-1]
        assert f" {unit} in " in summary and f" {unit}/s" in summary, (flags, summary)
        other = "MB" if unit == "MiB" else "MiB"
        assert f" {other} " not in err and f" {other}/s" not in err, (flags, err)
    for bad in ("8x", "8MBi", "k", "-3k", "8 M"):
        code, _, err = run(["--limit-rate", bad, f"{URL}/ok/1"])
        assert code == 2 and "--limit-rate needs bytes per second" in err, (bad, err)


main()
