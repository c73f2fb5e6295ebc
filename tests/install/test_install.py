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


if __name__ == "__main__":
    main()
