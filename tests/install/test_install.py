#!/usr/bin/env python3
"""meson install into a scratch root, then build the README example against
the installed header, library and pkg-config file, and fetch with it."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import ROOT, body_of, case, main, start_badserver, tmpdir  # noqa: E402

BUILD = os.environ["RINGFETCH_BUILD_DIR"]


@case
def installed_library_builds_the_readme_example():
    dest = tmpdir()
    subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    pcs = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs if f == "ringfetch.pc"]
    assert len(pcs) == 1, pcs
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]), PKG_CONFIG_SYSROOT_DIR=dest)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "ringfetch"], env=env, check=True,
                           stdout=subprocess.PIPE, text=True).stdout.split()
    libdir = [f[2:] for f in flags if f.startswith("-L")][0]
    exe = os.path.join(dest, "example")
    subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", "-o", exe,
                    os.path.join(ROOT, "tests", "install", "example.c")] + flags, check=True)
    port = start_badserver()
    out = os.path.join(tmpdir(), "saved")
    p = subprocess.run([exe, f"http://127.0.0.1:{port}/ok/4321", out],
                       env=dict(os.environ, LD_LIBRARY_PATH=libdir), stdout=subprocess.PIPE, text=True)
    assert p.returncode == 0, p.stdout
    with open(out, "rb") as f:
        assert f.read() == body_of(4321)


@case
def man_page_and_completion_are_installed():
    dest = tmpdir()
    subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    found = {f: os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs}
    man = found.get("ringfetch.1")
    assert man and man.endswith(os.path.join("man", "man1", "ringfetch.1")), sorted(found)
    text = subprocess.run(["man", "-l", man], capture_output=True, text=True,
                          env=dict(os.environ, MANWIDTH="80")).stdout
    flat = " ".join(text.split())
    assert "ringfetch - fetch many HTTP/1.1" in flat and "EXIT STATUS" in flat, text[:400]
    assert "@VERSION@" not in open(man).read()
    comp = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs
            if f == "ringfetch" and r.endswith(os.path.join("bash-completion", "completions"))]
    assert len(comp) == 1, comp
    # it loads and completes options (bash-completion's helpers when installed, else a stub)
    script = f"""
type _init_completion >/dev/null 2>&1 || _init_completion() {{ cur=${{COMP_WORDS[COMP_CWORD]}};
  prev=${{COMP_WORDS[COMP_CWORD-1]}}; words=("${{COMP_WORDS[@]}}"); cword=$COMP_CWORD; }}
_filedir() {{ :; }}
source {comp[0]}
COMP_WORDS=(ringfetch --no-cl); COMP_CWORD=1; _ringfetch; echo "${{COMPREPLY[@]}}"
COMP_WORDS=(ringfetch bench --conn); COMP_CWORD=2; _ringfetch; echo "${{COMPREPLY[@]}}"
COMP_WORDS=(ringfetch --io e); COMP_CWORD=2; _ringfetch; echo "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert out.stdout.split("\n")[:3] == ["--no-clobber", "--connections", "epoll"], (out.stdout, out.stderr)


if __name__ == "__main__":
    main()
