#!/usr/bin/env python3
"""Layouts users know (README "Output files"): wget's --force-directories,
-nH and --cut-dirs; curl's -o joined with -P (--output-dir) and
--create-dirs; -J/--content-disposition with the offered name made safe and
never written over anything.  Run against tests/servers/badserver.py."""
import os
import urllib.parse

from harness import body_of, case, listdir, main, run, start_badserver, tmpdir
from harness import json_results as records

BAD = start_badserver()
HOSTPORT = f"127.0.0.1:{BAD}"
URL = f"http://{HOSTPORT}"
ORIGIN = "user.xdg.origin.url"


def files(d):
    """Every regular file under d, relative, sorted."""
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.relpath(os.path.join(root, n), d) for n in names]
    return sorted(out)



def cd_url(n, value):
    """/hdr/N answering with Content-Disposition: value (raw bytes allowed)."""
    raw = value.encode("latin-1") if isinstance(value, str) else value
    return f"{URL}/hdr/{n}?h=" + urllib.parse.quote(b"Content-Disposition:" + raw, safe="")


@case
def force_directories_mirror_host_and_path():
    """--force-directories saves HOST:PORT/DIR/NAME; dot segments are
    resolved as the server resolves them, encoded ones too, never above the
    output directory; -nH drops the host, --cut-dirs N the first N
    directories (and implies the layout)."""
    out = tmpdir()
    code, _, err = run(["-P", out, "--force-directories", f"{URL}/ok/a/b/100",
                        f"{URL}/ok/./x/../a/c/101", f"{URL}/ok/%2e%2e/%2E%2E/../../102"])
    assert code == 0, err
    assert files(out) == sorted([f"{HOSTPORT}/ok/a/b/100", f"{HOSTPORT}/ok/a/c/101", f"{HOSTPORT}/102"]), files(out)
    with open(os.path.join(out, HOSTPORT, "ok/a/b/100"), "rb") as f:
        assert f.read() == body_of(100)
    out = tmpdir()
    code, _, err = run(["-P", out, "-nH", "--cut-dirs", "1", f"{URL}/ok/a/b/100"])
    assert code == 0, err
    assert files(out) == ["a/b/100"], files(out)
    out = tmpdir()
    code, _, err = run(["-P", out, "--cut-dirs", "9", f"{URL}/ok/a/b/100"])
    assert code == 0, err
    assert files(out) == [f"{HOSTPORT}/100"], files(out)
    code, _, err = run(["-P", out, "--cut-dirs", "x", f"{URL}/ok/a/b/100"])
    assert code == 2 and "--cut-dirs needs a number" in err, err
    code, _, err = run(["-o", os.path.join(out, "f"), "--force-directories", f"{URL}/ok/1"])
    assert code == 2 and "-o/-O names the file itself" in err, err


@case
def force_directories_names_are_safe():
    """Directory segments are made safe as names are: an encoded '/' or a
    control byte becomes '_', and nothing lands outside -P."""
    out = tmpdir()
    code, _, err = run(["-P", out, "-nH", f"{URL}/ok/..%2f..%2fetc/%0a/100"])
    assert code == 0, err
    assert files(out) == ["ok/.._.._etc/_/100"], files(out)


@case
def force_directories_with_list_dir_and_same_names():
    """A list's dir= comes first, then HOST/PATH; the same URL path on two
    list lines still gets two names in list order."""
    out = tmpdir()
    lst = os.path.join(out, "list")
    with open(lst, "w") as f:
        f.write(f"{URL}/ok/a/100\n  dir=mirror\n{URL}/ok/a/100?second\n  dir=mirror\n")
    code, _, err = run(["-P", out, "-i", lst, "-nH", "-j", "4"])
    assert code == 0, err
    assert files(out) == ["list", "mirror/ok/a/100", "mirror/ok/a/100.1"], files(out)
    assert "saved as 100.1" in err, err


@case
def output_joins_directory_and_create_dirs():
    """A relative -o FILE is under -P DIR (curl's --output-dir), created if
    missing; -o's own missing directories need --create-dirs; an absolute
    -o FILE stays where it says."""
    out = tmpdir()
    code, _, err = run(["-P", os.path.join(out, "p"), "-o", "f", f"{URL}/ok/100"])
    assert code == 0, err
    assert files(out) == ["p/f"], files(out)
    code, _, err = run(["-P", os.path.join(out, "p"), "-o", "sub/f", f"{URL}/ok/100"])
    assert code == 3 and "No such file or directory" in err, err
    assert files(out) == ["p/f"], files(out)
    code, _, err = run(["-P", os.path.join(out, "p"), "--create-dirs", "-o", "sub/deeper/f", f"{URL}/ok/101"])
    assert code == 0, err
    code, _, err = run(["-P", os.path.join(out, "p"), "-o", os.path.join(out, "abs"), f"{URL}/ok/102"])
    assert code == 0, err
    code, _, err = run(["--create-dirs", "-o", os.path.join(out, "c/d/e"), f"{URL}/ok/103"])
    assert code == 0, err
    assert files(out) == ["abs", "c/d/e", "p/f", "p/sub/deeper/f"], files(out)
    with open(os.path.join(out, "p/sub/deeper/f"), "rb") as f:
        assert f.read() == body_of(101)


@case
def content_disposition_name_made_safe():
    """-J takes the offered name's last component only, without a leading
    dot or control bytes; filename* (RFC 8187, UTF-8 or ISO-8859-1) wins
    over filename; raw bytes that are not UTF-8 stay %XX; the record and
    the note name the real file; the origin record stays."""
    out = tmpdir()
    urls = [cd_url(100, 'attachment; filename="../../etc/passwd"'),
            cd_url(101, "attachment; filename*=UTF-8''%C3%A9t%C3%A9.txt; filename=plain.txt"),
            cd_url(102, "inline; filename=.bashrc"),
            cd_url(103, 'attachment; filename="a\\\\b\\"c"'),
            cd_url(104, "attachment; filename*=iso-8859-1'en'%E9.bin"),
            cd_url(105, b'attachment; filename="raw\xff.dat"'),
            cd_url(108, "attachment; filename*=UTF-8''ctl%01%7F.dat"),
            cd_url(106, "attachment"),
            cd_url(107, 'attachment; filename=""')]
    code, stdout, err = run(["-J", "-P", out, "--json", "-"] + urls)
    assert code == 0, err
    recs = records(stdout)
    got = {r["url"]: os.path.basename(r["path"]) for r in recs}
    want = ["passwd", "été.txt", "_bashrc", 'b"c', "é.bin", "raw%FF.dat", "ctl__.dat"]
    assert [got[u] for u in urls[:7]] == want, got
    assert got[urls[7]] == "106" and got[urls[8]] == "107", got
    assert sorted(listdir(out)) == sorted(want + ["106", "107"]), listdir(out)
    assert "note: saved as passwd (its Content-Disposition name)" in err, err
    for r in recs:
        with open(r["path"], "rb") as f:
            assert f.read() == body_of(int(r["url"].split("/hdr/")[1].split("?")[0]))
        assert os.getxattr(r["path"], ORIGIN).decode() == r["url"]


@case
def content_disposition_never_overwrites():
    """An offered name that exists, or that another URL of the run has, is
    not taken: the file keeps the URL's own name and the note says why.  A
    re-run with -N replaces the URL's own file under the offered name, never
    a file of the user's."""
    out = tmpdir()
    with open(os.path.join(out, "mine.txt"), "wb") as f:
        f.write(b"the user's own\n")
    urls = [cd_url(100, "attachment; filename=mine.txt"), f"{URL}/ok/200",
            cd_url(101, "attachment; filename=200"), cd_url(102, "attachment; filename=new.txt")]
    code, _, err = run(["-J", "-P", out, "-j", "1"] + urls)
    assert code == 0, err
    assert "kept as 100 (Content-Disposition names it mine.txt: it exists and is never overwritten)" in err, err
    assert "kept as 101 (Content-Disposition names it 200: an earlier URL of this run has that name)" in err, err
    with open(os.path.join(out, "mine.txt"), "rb") as f:
        assert f.read() == b"the user's own\n"
    assert listdir(out) == ["100", "101", "200", "mine.txt", "new.txt"], listdir(out)
    code, _, err = run(["-J", "-N", "-P", out, urls[3]])
    assert code == 0, err
    assert listdir(out) == ["100", "101", "200", "mine.txt", "new.txt"], listdir(out)
    with open(os.path.join(out, "new.txt"), "rb") as f:
        assert f.read() == body_of(102)
    code, _, err = run(["-J", "-o", os.path.join(out, "x"), urls[3]])
    assert code == 2 and "-J names files made from URLs" in err, err


main()
