#!/usr/bin/env python3
"""The progress line in a real terminal: ringfetch runs inside tmux (40 and
120 columns) against badserver's bandwidth-capped resources, and the screen
is captured while it runs and after it ends.  Asserted: one progress line
that never wraps (no line of the screen is cut from it), the files done of
the counted total, the rate and the active/waiting fields where there is
room, error lines on lines of their own, and the summary on its own line
once the progress line is cleared.  Also the log form (not a terminal)."""
import itertools
import os
import re
import shutil
import subprocess
import time

from harness import EXTRA_ARGS, RINGFETCH, Skip, case, main, run, start_badserver, tmpdir

BAD = start_badserver()
URL = f"http://127.0.0.1:{BAD}"
MIB = 1 << 20


_socks = itertools.count()


def tmux_run(width, args, looks=(1.5,)):
    """Run ringfetch in a detached tmux pane of this width; the screen at
    each of the given times and at the end."""
    if not shutil.which("tmux"):
        raise Skip("tmux is not installed")
    # a socket of its own per run: two runs of one width in a case (or a
    # server still exiting) never meet ("server exited unexpectedly")
    sock = f"rf{os.getpid()}-{width}-{next(_socks)}"
    done = os.path.join(tmpdir(), "done")
    cmd = " ".join(["'" + a + "'" for a in [RINGFETCH] + EXTRA_ARGS + args]) + f"; touch {done}; sleep 60"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", str(width), "-y", "20", cmd],
                   check=True, env=dict(os.environ, TERM="xterm"))
    try:
        screens, t0 = [], time.monotonic()
        for t in looks:
            time.sleep(max(0, t0 + t - time.monotonic()))
            screens.append(capture(sock))
        for _ in range(300):
            if os.path.exists(done):
                break
            time.sleep(0.1)
        time.sleep(0.2)
        screens.append(capture(sock))
        return screens
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], stderr=subprocess.DEVNULL)


def capture(sock):
    out = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-J"], capture_output=True,
                         text=True).stdout
    return [line.rstrip() for line in out.splitlines() if line.strip()]


def slow_list(n, size, rate):
    lst = os.path.join(tmpdir(), "urls")
    with open(lst, "w") as f:
        for i in range(n):
            f.write(f"{URL}/capped/p{i}-{time.monotonic_ns()}/{size}?rate={rate}\n")
    return lst


@case
def fits_40_columns():
    lst = slow_list(4, 2 * MIB, MIB)
    during, end = tmux_run(40, ["-j", "2", "-P", tmpdir(), "-i", lst])
    progress = [l for l in during if l.startswith("ringfetch:")]
    assert len(progress) == 1, during
    assert len(progress[0]) < 40, progress
    assert re.match(r"ringfetch: \d+% [0-4]/4 files", progress[0]), progress
    assert all(len(l) < 40 for l in during), during
    summary = [l for l in end if l.startswith("ringfetch: 4 ok, 0 failed")]
    assert len(summary) == 1 and "files," not in summary[0], end


@case
def shows_more_at_120_columns():
    lst = slow_list(4, 2 * MIB, MIB)
    during, end = tmux_run(120, ["-j", "2", "-P", tmpdir(), "-i", lst])
    line = [l for l in during if l.startswith("ringfetch:")]
    assert len(line) == 1, during
    assert re.search(r"\[[#-]{10}\] \d+% [0-4]/4 files, [\d.]+ [KM]B/s", line[0]), line
    assert "2 active" in line[0] and "waiting" in line[0], line
    assert any(l.startswith("ringfetch: 4 ok, 0 failed") for l in end), end


@case
def one_line_for_every_thread():
    """-t 2 -j 4: one progress line counting both threads' transfers (4
    active), then one summary."""
    lst = slow_list(4, 2 * MIB, MIB)
    during, end = tmux_run(120, ["-t", "2", "-j", "4", "-P", tmpdir(), "-i", lst])
    line = [l for l in during if l.startswith("ringfetch:")]
    assert len(line) == 1, during
    assert re.search(r"\d+% [0-4]/4 files", line[0]) and "4 active" in line[0], line
    assert [l for l in end if l.startswith("ringfetch: 4 ok, 0 failed")], end


@case
def errors_get_lines_of_their_own():
    lst = slow_list(2, 2 * MIB, MIB)
    with open(lst, "a") as f:
        f.write(f"{URL}/status/404\n")
    _, end = tmux_run(80, ["-j", "3", "--retry", "0", "-P", tmpdir(), "-i", lst])
    assert f"{URL}/status/404: HTTP 404 Not Found" in end, end
    assert any(l.startswith("ringfetch: 2 ok, 1 failed") for l in end), end


@case
def line_style_and_none():
    lst = slow_list(2, MIB, MIB)
    during, _ = tmux_run(100, ["--progress=line", "-P", tmpdir(), "-i", lst], looks=(0.6,))
    line = [l for l in during if l.startswith("ringfetch:")]
    assert line and "[" not in line[0] and "/2 files" in line[0], during
    during, _ = tmux_run(100, ["--progress=none", "-P", tmpdir(), "-i", lst], looks=(0.6,))
    assert not [l for l in during if l.startswith("ringfetch:")], during
    code, _, err = run(["--progress=fancy", f"{URL}/ok/1"])
    assert code == 2 and "--progress takes bar, line or none" in err, err


@case
def log_form_when_not_a_terminal():
    lst = slow_list(2, MIB, MIB)
    code, _, err = run(["--progress", "-P", tmpdir(), "-i", lst])
    assert code == 0, err
    lines = [l for l in err.splitlines() if "active" in l]
    assert lines and all(l.startswith("ringfetch: ") and "MB/s" in l for l in lines), err


if __name__ == "__main__":
    main()
