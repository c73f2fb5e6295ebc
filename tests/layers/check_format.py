#!/usr/bin/env python3
"""check_format.py ROOT - the C sources are as ROOT/.clang-format says.

Runs clang-format (Debian's, installed by scripts/deps) over src/, src/cli/
and include/ and compares: one TAP point per directory, naming each file
that differs and its first differing line.  `clang-format -i FILE` fixes a
file.
"""
import difflib
import os
import shutil
import subprocess
import sys


def main():
    root = sys.argv[1]
    exe = shutil.which("clang-format") or shutil.which("clang-format-14")
    dirs = ["src", "src/cli", "include"]
    print(f"1..{len(dirs) + 1}")
    print(f"{'ok' if exe else 'not ok'} 1 - clang-format is installed (scripts/deps)")
    if not exe:
        return 1
    failed = 0
    for i, d in enumerate(dirs, 2):
        path = os.path.join(root, d)
        bad = []
        files = sorted(f for f in os.listdir(path) if f.endswith((".c", ".h")))
        for f in files:
            name = os.path.join(path, f)
            with open(name) as fh:
                have = fh.read().splitlines()
            want = subprocess.run([exe, f"--style=file:{os.path.join(root, '.clang-format')}", name],
                                  capture_output=True, text=True, check=True).stdout.splitlines()
            if have != want:
                diff = next((l for l in difflib.unified_diff(have, want, lineterm="", n=0)
                             if l.startswith("@@")), "")
                bad.append(f"{d}/{f} {diff}")
        failed += bool(bad)
        print(f"{'not ok' if bad else 'ok'} {i} - {len(files)} files in {d}/ formatted as .clang-format says")
        for b in bad:
            print(f"# {b} (clang-format -i fixes it)")
    return 1 if failed else 0


sys.exit(main())
