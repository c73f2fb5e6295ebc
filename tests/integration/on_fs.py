#!/usr/bin/env python3
"""on_fs.py FS TEST.py - run an integration test file with its temporary
directories (outputs included) on a fresh FS (ext4 or xfs) made on a loop
device over a file in /dev/shm, or on an overlay whose upper layer is such
an ext4 (FS overlay: a container's root); unmounted and removed afterwards.  Exit 77
(skipped, visibly) where loop devices or mkfs are not available."""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    kind, test = sys.argv[1], sys.argv[2]
    overlay = kind == "overlay"  # as a container's root: overlay, upper layer on ext4
    mkfs = {"ext4": ["mkfs.ext4", "-q", "-F"], "xfs": ["mkfs.xfs", "-q", "-f"],
            "overlay": ["mkfs.ext4", "-q", "-F"]}[kind]
    if os.geteuid() != 0 or not shutil.which(mkfs[0]):
        print(f"1..0 # SKIP {kind}: needs root and {mkfs[0]}")
        return 77
    base = tempfile.mkdtemp(prefix=f"rf-{kind}-", dir="/dev/shm")
    img, mnt = os.path.join(base, "img"), os.path.join(base, "mnt")
    os.makedirs(mnt)
    subprocess.run(["truncate", "-s", "1G", img], check=True)
    mounted = False
    try:
        if subprocess.run(mkfs + [img], stdout=subprocess.DEVNULL).returncode or \
                subprocess.run(["mount", "-o", "loop", img, mnt]).returncode:
            print(f"1..0 # SKIP cannot make or mount {kind} on a loop device here")
            return 77
        mounted = True
        tmp = mnt
        if overlay:
            for d in ("lower", "upper", "work", "merged"):
                os.makedirs(os.path.join(mnt, d))
            tmp = os.path.join(mnt, "merged")
            if subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                               f"lowerdir={mnt}/lower,upperdir={mnt}/upper,workdir={mnt}/work",
                               tmp]).returncode:
                print("1..0 # SKIP cannot mount an overlay here")
                return 77
        env = dict(os.environ, TMPDIR=tmp)
        return subprocess.run([sys.executable, test], env=env).returncode
    finally:
        if mounted:
            if overlay:
                subprocess.run(["umount", os.path.join(mnt, "merged")], stderr=subprocess.DEVNULL)
            subprocess.run(["umount", mnt])
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
