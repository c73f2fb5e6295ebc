#!/usr/bin/env python3
"""The documentation says what the program does: every option the parser
accepts (src/cli/options.c's tables) is in --help, in the manual page and
in the bash completion, and nothing else is; likewise for `ringfetch bench`.
The README's exit-status table matches the manual's."""
import os
import re

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
            opts |= set(re.findall(r"(?:^|[ ,])(--?[a-zA-Z][-a-zA-Z0-9]*)", m.group(1)))
    return opts


def source_options(path, table):
    """Long options from a struct option table, short ones from its SHORT_OPTS."""
    src = open(path).read()
    body = src[src.index(table):]
    body = body[:body.index("{NULL")]
    longs = {"--" + n for n in re.findall(r'\{"([a-z0-9-]+)",', body)}
    return longs


def man_options(section_start, section_end):
    text = open(MAN).read()
    text = text[text.index(section_start):text.index(section_end)]
    opts = set()
    for line in text.splitlines():
        if line.startswith(".B "):
            opts |= set(re.findall(r"(?:^|[ ,])(\\?-\\?-?[a-zA-Z][-a-zA-Z0-9\\]*)",
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
