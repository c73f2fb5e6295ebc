#!/usr/bin/env python3
"""check_commits.py ROOT - commit messages read well in `git log --oneline`.

Every commit after the one this rule started from (SINCE) has a subject of
at most 72 characters and, when it says more, a blank line between the
subject and the body.  Skipped (exit 77) where ROOT is no git checkout (a
release tarball) or SINCE is not in its history (a shallow clone).
"""
import subprocess
import sys

SINCE = "4af9b3e"  # the last commit before the rule
LIMIT = 72


def git(root, *args):
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True)


def main():
    root = sys.argv[1]
    if git(root, "rev-parse", "--git-dir").returncode or git(root, "cat-file", "-e", SINCE).returncode:
        print(f"1..0 # SKIP not a git checkout with {SINCE} in its history")
        return 77
    out = git(root, "log", "--format=%h%x00%B%x01", f"{SINCE}..HEAD").stdout
    long, joined = [], []
    n = 0
    for entry in filter(None, (e.strip("\n") for e in out.split("\x01"))):
        h, msg = entry.split("\x00", 1)
        lines = msg.split("\n")
        n += 1
        if len(lines[0]) > LIMIT:
            long.append(f"{h} {len(lines[0])} characters: {lines[0]}")
        if len(lines) > 1 and lines[1].strip():
            joined.append(f"{h}: no blank line after the subject")
    print("1..2")
    print(f"{'not ok' if long else 'ok'} 1 - {n} commit subjects of at most {LIMIT} characters")
    for line in long:
        print("# " + line)
    print(f"{'not ok' if joined else 'ok'} 2 - the detail goes in a body after a blank line")
    for line in joined:
        print("# " + line)
    return 1 if long or joined else 0


sys.exit(main())
