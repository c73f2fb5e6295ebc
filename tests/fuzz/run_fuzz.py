#!/usr/bin/env python3
"""run_fuzz.py FUZZER CORPUS SECONDS - replay a seed corpus, then fuzz.

Two TAP points: every committed input runs clean (a regression test: any
crash once found is kept in the corpus), and SECONDS of fuzzing from that
corpus find nothing.  New inputs go to a scratch directory, never into the
committed corpus; a crash input is printed (base64) and left in the build
directory."""
import base64
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

fuzzer, corpus, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
name = os.path.basename(fuzzer)
work = tempfile.mkdtemp(prefix=f"rf-{name}-")
artifacts = os.path.join(os.path.dirname(fuzzer), f"{name}-artifacts") + "/"
os.makedirs(artifacts, exist_ok=True)
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
print("1..2", flush=True)
failed = False


def report(ok, text, log):
    global failed
    print(f"{'ok' if ok else 'not ok'} - {text}", flush=True)
    if not ok:
        failed = True
        for line in log.splitlines()[-40:]:
            print("# " + line)
        for crash in glob.glob(artifacts + "*"):
            with open(crash, "rb") as f:
                print(f"# {crash}: {base64.b64encode(f.read()[:2000]).decode()}")


seeds = sorted(glob.glob(os.path.join(corpus, "*")))
p = subprocess.run([fuzzer, f"-artifact_prefix={artifacts}", "-runs=1"] + seeds, env=env,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
report(p.returncode == 0 and seeds, f"{name}: {len(seeds)} corpus inputs replay clean", p.stdout)

p = subprocess.run([fuzzer, f"-artifact_prefix={artifacts}", f"-max_total_time={seconds}",
                    "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048", work, corpus],
                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                   errors="replace")
runs = re.findall(r"Done (\d+) runs", p.stdout)
report(p.returncode == 0, f"{name}: fuzzed {seconds} s, {runs[-1] if runs else '?'} runs, "
       "nothing found", p.stdout)
shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
