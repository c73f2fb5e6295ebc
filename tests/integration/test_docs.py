#!/usr/bin/env python3
"""The documentation says what the program does: every option the parser
accepts (src/cli/options.c's tables) is in --help, in the manual page and
in the bash completion, and nothing else is; likewise for `ringfetch bench`.
The README's exit-status table matches the manual's."""
import os
import re
import subprocess
import tempfile

from harness import ROOT, case, main, run

MAN = os.path.join(ROOT, "doc", "ringfetch.1.in")
COMPLETION = os.path.join(ROOT, "doc", "ringfetch.bash")


def help_options(args):
    code, out, err = run(args)
    assert code == 0, err
    opts = set()
    for line in out.decode().splitlines():
        m = re.match(r"^\s{1,6}(-\S.*?)(\s{2,}|$)", line)
        if m:  # an option line: "  -j, --jobs N   ..."
            opts |= set(re.findall(r"(?:^|[ ,])(--?[a-zA-Z0-9][-a-zA-Z0-9.]*)", m.group(1)))
    return opts


def source_options(path, table):
    """Long options from a struct option table, short ones from its SHORT_OPTS."""
    src = open(path).read()
    body = src[src.index(table):]
    body = body[:body.index("{NULL")]
    longs = {"--" + n for n in re.findall(r'\{"([a-z0-9.-]+)",', body)}
    return longs


def man_options(section_start, section_end):
    text = open(MAN).read()
    text = text[text.index(section_start):text.index(section_end)]
    opts = set()
    for line in text.splitlines():
        if line.startswith(".B "):
            opts |= set(re.findall(r"(?:^|[ ,])(\\?-\\?-?[a-zA-Z0-9][-a-zA-Z0-9.\\]*)",
                                   line[3:].replace("\\-", "-")))
    return {o.replace("\\", "") for o in opts if o.startswith("-")}


def completion_options(var):
    text = open(COMPLETION).read()
    m = re.search(var + r'="([^"]*)"', text)
    return set(m.group(1).split())


@case
def fetch_options_agree_everywhere():
    helped = help_options(["--help"])
    parsed = source_options(os.path.join(ROOT, "src", "cli", "options.c"), "long_opts[] = {")
    assert parsed - helped == set(), f"accepted but not in --help: {sorted(parsed - helped)}"
    longs = {o for o in helped if o.startswith("--")}
    assert longs - parsed == set(), f"in --help but not accepted: {sorted(longs - parsed)}"
    man = man_options(".SH OPTIONS", ".SH LIST FORMAT")
    assert man == helped, (sorted(man - helped), sorted(helped - man))
    comp = completion_options("local opts")
    assert comp == helped, (sorted(comp - helped), sorted(helped - comp))


@case
def bench_options_agree_everywhere():
    helped = help_options(["bench", "--help"])
    parsed = source_options(os.path.join(ROOT, "src", "cli", "bench.c"), "long_opts[] = {")
    longs = {o for o in helped if o.startswith("--")}
    assert parsed == longs, (sorted(parsed - longs), sorted(longs - parsed))
    man = man_options(".SH LOAD GENERATION", ".SH ENVIRONMENT")
    assert man == helped, (sorted(man - helped), sorted(helped - man))
    comp = completion_options("local bench_opts")
    assert comp == helped, (sorted(comp - helped), sorted(helped - comp))


@case
def man_tags_hold_name_and_argument_only():
    """Each option's tag line in the manual is its spellings and argument,
    never the start of its description (which man would print as the tag)."""
    bad = []
    for line in open(MAN).read().splitlines():
        if line.startswith(".B \\-"):
            for part in re.sub(r"\\\(aq.*?\\\(aq", "ARG", line[3:]).split(", "):
                if len(part.split()) > 2:
                    bad.append(line)
    assert not bad, bad
    for args in (["--help"], ["bench", "--help"]):
        code, out, _ = run(args)
        for line in out.decode().splitlines():
            m = re.match(r"^\s{1,6}(-.*?)(\s{2,}|$)", line)
            words = re.sub(r"'[^']*'", "ARG", m.group(1)).replace(",", " ").split() if m else []
            prose = [w for w in words if not (w[0] in "-'" or w[0].isupper() or "|" in w)]
            assert not prose, f"{args}: option and text run together: {line!r}"


@case
def completion_works_without_bash_completion():
    """The completion script completes options, values and file names in a
    plain bash that lacks the bash-completion package's helpers."""
    d = tempfile.mkdtemp()
    os.mkdir(os.path.join(d, "somedir"))
    open(os.path.join(d, "somefile"), "w").close()
    script = f"""
set -e
unset -f _init_completion _filedir 2>/dev/null || true
source {COMPLETION}
cd {d}
t() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _ringfetch; echo "${{COMPREPLY[*]}}"; }}
t ringfetch --cut
t ringfetch --io e
t ringfetch -P some
t ringfetch -i some
t ringfetch bench --percent
"""
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["--cut-dirs", "epoll", "somedir", "somedir somefile",
                                     "--percentiles"], (p.stdout, p.stderr)


@case
def exit_statuses_agree():
    man = open(MAN).read()
    readme = open(os.path.join(ROOT, "README.md")).read()
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+) \|$", readme, re.M))
    for code in ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "130"):
        assert code in table, f"README's table lacks {code}"
        assert re.search(rf"\b{code} [A-Za-z]", man.split(".SH EXIT STATUS")[1]), f"man lacks {code}"
    code, out, _ = run(["--help"])
    assert "9 proxy error" in out.decode()


if __name__ == "__main__":
    main()
