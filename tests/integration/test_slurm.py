#!/usr/bin/env python3
"""Scale-out on a real scheduler: a one-node Slurm (Debian's slurm-wlm and
munge, its daemons started here, no systemd) runs docs/recipes.md's Slurm
array recipe exactly as written (only LIST, DATA and REPORTS come from the
environment, as the recipe allows) over a list on a real nginx: the shards
are disjoint and together the list, byte-exact; the recipe's jq merge gives
the totals; a task re-submitted the usual way (sbatch --array=2) and one
requeued (scontrol requeue) re-fetch nothing; a strided array leaves shards
out and the merge says which.  Skipped (exit 77) only where Slurm cannot
start, with the reason.  The node says it has 32 CPUs (config_overrides)
so the 16 tasks of 2 CPUs each run at once, as on a cluster."""
import json
import os
import shutil
import subprocess
import sys
import time

from harness import (ROOT, RINGFETCH, Skip, case, free_port, main, run_cleanup, sha256, sha256_file, start_nginx,
                     tmpdir)

WORK = tmpdir()
os.chmod(WORK, 0o755)
PROCS = []


def recipe_block(heading):
    text = open(os.path.join(ROOT, "docs", "recipes.md")).read()
    return text.split(heading)[1].split("```sh")[1].split("```")[0]


def start_slurm():
    """munged, slurmctld and slurmd on ports of their own; returns the
    environment that reaches them (SLURM_CONF)."""
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "jq"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is not installed (scripts/deps installs slurm-wlm, munge, jq)")
    sock_dir = os.path.join(WORK, "munge")
    os.makedirs(sock_dir, mode=0o755)
    os.chmod(sock_dir, 0o755)  # munged refuses a 0700 socket directory's clients
    key = os.path.join(WORK, "munge.key")
    with open(key, "wb") as f:
        f.write(os.urandom(1024))
    os.chmod(key, 0o400)
    sock = os.path.join(sock_dir, "munge.socket.2")
    PROCS.append(subprocess.Popen(["munged", "-F", f"--key-file={key}", f"--socket={sock}",
                                   f"--pid-file={WORK}/munged.pid", f"--log-file={WORK}/munged.log",
                                   f"--seed-file={WORK}/munge.seed"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for _ in range(50):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    else:
        raise Skip("munged did not start: " + open(f"{WORK}/munged.log").read()[-300:])
    ports = (free_port(), free_port())
    for d in ("state", "spool"):
        os.makedirs(os.path.join(WORK, d))
    conf = os.path.join(WORK, "slurm.conf")
    with open(conf, "w") as f:
        f.write(f"""ClusterName=rftest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={WORK}/state
SlurmdSpoolDir={WORK}/spool
SlurmctldPidFile={WORK}/slurmctld.pid
SlurmdPidFile={WORK}/slurmd.pid
SlurmctldLogFile={WORK}/slurmctld.log
SlurmdLogFile={WORK}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MaxArraySize=1001
SlurmdParameters=config_overrides
NodeName=localhost CPUs=32 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(os.environ, SLURM_CONF=conf)
    for cmd in (["slurmctld", "-D", "-i"], ["slurmd", "-D", "-N", "localhost"]):
        PROCS.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for _ in range(100):
        p = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip() in ("idle", "mixed", "allocated"):
            return env
        if any(q.poll() is not None for q in PROCS):
            break
        time.sleep(0.1)
    logs = "".join(open(f"{WORK}/{n}").read()[-300:] for n in ("slurmctld.log", "slurmd.log")
                   if os.path.exists(f"{WORK}/{n}"))
    raise Skip("Slurm did not start: " + logs.replace("\n", " | "))


def stop_slurm():
    for p in reversed(PROCS):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


WWW = os.path.join(WORK, "www")
os.makedirs(WWW)
BODIES = {}
for i in range(300):
    BODIES[f"u{i}"] = os.urandom(1000 + 97 * i)
    with open(os.path.join(WWW, f"u{i}"), "wb") as f:
        f.write(BODIES[f"u{i}"])
PORT = start_nginx(WWW, v6=False)
LIST = os.path.join(WORK, "urls.txt")
with open(LIST, "w") as f:
    f.write("".join(f"http://127.0.0.1:{PORT}/u{i}\n" for i in range(300)))
try:
    SLURM_ENV = start_slurm()
except Skip as e:
    print(f"1..0 # SKIP {e}")
    stop_slurm()
    run_cleanup()
    sys.exit(77)
JOB = os.path.join(WORK, "fetch.sh")
with open(JOB, "w") as f:
    f.write(recipe_block("## Slurm: an array job").lstrip())
DATA = os.path.join(WORK, "data")


def submit(reports, *sbatch_args):
    """sbatch the recipe (LIST, DATA, REPORTS and ringfetch's directory in
    the environment it exports); wait until the job has left the queue."""
    env = dict(SLURM_ENV, LIST=LIST, DATA=DATA, REPORTS=reports,
               PATH=os.path.dirname(RINGFETCH) + ":" + os.environ["PATH"])
    p = subprocess.run(["sbatch", "--parsable", *sbatch_args, JOB], env=env, cwd=WORK, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    job = p.stdout.strip().split(";")[0]
    wait(job)
    return job


def wait(job):
    for _ in range(1200):
        p = subprocess.run(["squeue", "-h", "-j", job], env=SLURM_ENV, capture_output=True, text=True)
        if p.returncode == 0 and not p.stdout.strip():
            return
        time.sleep(0.25)
    raise AssertionError(f"job {job} still queued after 300 s")


def summaries(reports):
    out = {}
    for name in sorted(os.listdir(reports)):
        lines = open(os.path.join(reports, name)).read().splitlines()
        recs = [json.loads(l) for l in lines]
        assert recs and recs[-1]["type"] == "summary", (name, lines[-1:])
        out[name] = recs
    return out


def merge(reports):
    return subprocess.run(["bash", "-c", recipe_block("## Merging the reports")], cwd=os.path.dirname(reports),
                          capture_output=True, text=True)


REPORTS = os.path.join(WORK, "run1", "reports")  # not made: ringfetch makes it


@case
def the_array_recipe_fetches_the_list_once_in_disjoint_shards():
    """16 tasks as written: 16 reports, shards 1..16 of 16, every URL in
    exactly one, every file byte-exact; the merge's totals are the list."""
    submit(REPORTS)
    reps = summaries(REPORTS)
    assert sorted(reps) == sorted(f"shard-{i}.json" for i in range(16)), sorted(reps)
    seen = []
    for name, recs in reps.items():
        k = int(name[6:-5])
        assert recs[-1]["shard"] == {"index": k + 1, "count": 16}, (name, recs[-1])
        seen += [r["url"] for r in recs[:-1]]
    assert len(seen) == 300 and sorted(seen) == sorted(open(LIST).read().split()), "shards overlap or miss"
    assert sorted(os.listdir(DATA)) == sorted(BODIES)
    for name, body in BODIES.items():
        assert sha256_file(os.path.join(DATA, name)) == sha256(body), name
    p = merge(REPORTS)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    totals = json.loads("\n".join(l for l in lines if not l.startswith("{\"url\"")))
    assert totals == {"shards": 16, "downloaded": 300, "skipped": 0, "failed": 0,
                      "bytes": sum(len(b) for b in BODIES.values())}, totals


@case
def a_resubmitted_or_requeued_task_fetches_nothing_again():
    """sbatch --array=2 (Slurm then says the array has 1 task) still takes
    shard 3 of 16, and with -c reports its files skipped; scontrol requeue of
    a finished task does the same; the merge still adds up to the list."""
    before = {n: os.stat(os.path.join(DATA, n)).st_mtime_ns for n in BODIES}
    old = summaries(REPORTS)["shard-2.json"]
    n2 = len(old) - 1
    submit(REPORTS, "--array=2")
    new = summaries(REPORTS)["shard-2.json"]
    assert new[-1]["shard"] == {"index": 3, "count": 16}, new[-1]
    assert new[-1]["downloaded"] == 0 and new[-1]["skipped"] == n2, new[-1]
    assert sorted(r["url"] for r in new[:-1]) == sorted(r["url"] for r in old[:-1])
    # a whole array again, one task of it requeued once it has run
    job = submit(REPORTS, "--array=5")
    first = os.stat(os.path.join(REPORTS, "shard-5.json")).st_mtime_ns
    p = subprocess.run(["scontrol", "requeue", f"{job}_5"], env=SLURM_ENV, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # a requeued job waits out Slurm's requeue delay first: start it now
    subprocess.run(["scontrol", "update", f"JobId={job}_5", "StartTime=now"], env=SLURM_ENV,
                   capture_output=True, text=True)
    wait(job)
    assert os.stat(os.path.join(REPORTS, "shard-5.json")).st_mtime_ns != first, "the requeued task did not run"
    again = summaries(REPORTS)["shard-5.json"]
    assert again[-1]["shard"] == {"index": 6, "count": 16} and again[-1]["downloaded"] == 0, again[-1]
    assert {n: os.stat(os.path.join(DATA, n)).st_mtime_ns for n in BODIES} == before, "a file was written again"
    p = merge(REPORTS)
    assert p.returncode == 0, p.stderr
    totals = json.loads("\n".join(l for l in p.stdout.splitlines() if not l.startswith("{\"url\"")))
    assert totals["downloaded"] + totals["skipped"] == 300 and totals["failed"] == 0, totals


@case
def a_strided_array_leaves_shards_out_and_the_merge_says_so():
    """--array=0-6:2 runs shards 1, 3, 5 and 7 of 16: the merge fails and
    names the missing ones rather than adding up a part of the list."""
    reports = os.path.join(WORK, "run3", "reports")
    submit(reports, "--array=0-6:2")
    reps = summaries(reports)
    assert sorted(reps) == ["shard-0.json", "shard-2.json", "shard-4.json", "shard-6.json"], sorted(reps)
    p = merge(reports)
    assert p.returncode != 0 and "shards missing: [2,4,6,8,9,10,11,12,13,14,15,16]" in p.stderr, \
        (p.returncode, p.stderr)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_slurm()
