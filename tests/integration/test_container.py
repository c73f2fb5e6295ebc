#!/usr/bin/env python3
"""The Containerfile, checked without a container engine (this machine has
none, and no registry to pull debian:12 from; it is Debian 12 itself): its
build stage's commands run as written against this checkout (a release
build installed under a DESTDIR), the installed program fetches from a real
nginx, every package either stage names exists in Debian's archive, and the
image's runtime packages hold every shared library the program loads."""
import os
import re
import shutil
import subprocess

from harness import ROOT, case, main, sha256, sha256_file, start_nginx, tmpdir

TEXT = open(os.path.join(ROOT, "Containerfile")).read()
STAGES = re.split(r"^FROM ", TEXT, flags=re.M)[1:]
assert len(STAGES) == 2, "a build stage and the image"


def runs(stage):
    """The RUN commands of a stage, continuation lines joined."""
    body = stage.replace("\\\n", " ")
    return [l[4:].strip() for l in body.splitlines() if l.startswith("RUN ")]


def packages(stage):
    for cmd in runs(stage):
        m = re.search(r"apt-get install -y --no-install-recommends(.*?)(&&|$)", cmd)
        if m:
            return m.group(1).split()
    return []


@case
def every_package_named_is_in_the_archive():
    for stage in STAGES:
        names = packages(stage)
        assert names, stage[:40]
        p = subprocess.run(["apt-cache", "policy"] + names, capture_output=True, text=True)
        for name in names:
            block = p.stdout.split(f"{name}:\n", 1)
            assert len(block) == 2 and re.search(r"Candidate: (?!\(none\))", block[1].split("\n\n")[0]), \
                f"{name}: not in the archive"


BUILD, INSTALL = tmpdir(), tmpdir()


@case
def the_build_stage_builds_and_installs_as_written():
    """meson setup/ninja/meson install of the build stage, /src, /build and
    /install made this checkout and two scratch directories."""
    cmds = [c for c in runs(STAGES[0]) if "meson" in c]
    assert cmds, "no meson build in the build stage"
    for cmd in cmds:
        cmd = cmd.replace("/src", ROOT).replace("/build", BUILD).replace("/install", INSTALL)
        p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, (cmd, (p.stdout + p.stderr)[-1500:])
    assert os.access(os.path.join(INSTALL, "usr/local/bin/ringfetch"), os.X_OK)


@case
def the_installed_program_fetches_with_the_image_libraries():
    """The installed ringfetch (its library beside it) fetches from nginx;
    each shared library it loads comes from a package the image installs
    (or libc's own, or their dependencies)."""
    exe = os.path.join(INSTALL, "usr/local/bin/ringfetch")
    if not os.path.exists(exe):
        raise AssertionError("the build stage did not install ringfetch (see the case before)")
    libdir = [os.path.join(r, "") for r, _, fs in os.walk(INSTALL) if "libringfetch.so.0" in fs][0]
    env = dict(os.environ, LD_LIBRARY_PATH=libdir)
    www = tmpdir()
    body = os.urandom(100000)
    with open(os.path.join(www, "x.bin"), "wb") as f:
        f.write(body)
    port = start_nginx(www, v6=False)
    out = tmpdir()
    p = subprocess.run([exe, "-q", "-t", "2", "-P", out, f"http://127.0.0.1:{port}/x.bin"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert sha256_file(os.path.join(out, "x.bin")) == sha256(body)
    ldd = subprocess.run(["ldd", exe], env=env, capture_output=True, text=True, check=True).stdout
    image = set(packages(STAGES[1])) | {"libc6", "libunistring2", "libgcc-s1", "libstdc++6"}
    for path in re.findall(r"=> (/\S+)", ldd):
        if path.startswith(INSTALL):
            continue
        real = os.path.realpath(path)
        owner = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        pkg = owner.stdout.split(":")[0]
        assert pkg in image, f"{path} is {pkg}'s, which the image does not install"


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(BUILD, ignore_errors=True)
