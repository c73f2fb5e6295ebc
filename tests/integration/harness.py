"""harness.py - shared pieces of the integration tests.

Starts real servers on ephemeral loopback ports (Debian's nginx with a
generated config, and tests/servers/badserver.py), runs the ringfetch CLI,
and reports each case in TAP so scripts/test can count cases, not files.
A case is a function decorated with @case; it raises AssertionError (or any
exception) to fail, or Skip to be skipped visibly.
"""
import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RINGFETCH = os.environ.get("RINGFETCH") or os.path.join(ROOT, "build", "ringfetch")
# e.g. "valgrind --error-exitcode=99 ...": every ringfetch run goes through it
WRAPPER = os.environ.get("RINGFETCH_WRAPPER", "").split()
# options every run() gets first, e.g. "--file-io ring" (tests/meson.build
# runs suites once per file path)
EXTRA_ARGS = os.environ.get("RINGFETCH_EXTRA_ARGS", "").split()
BADSERVER = os.path.join(ROOT, "tests", "servers", "badserver.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
from badserver import body_of  # noqa: E402  (the same bytes the server sends)

_cases = []
_cleanup = []


def run_cleanup():
    """Stop the servers and remove the directories this process made; runs
    once, at the end of main() or at any exit (an uncaught error at import,
    a script using these helpers, meson's SIGTERM on a timeout)."""
    while _cleanup:
        try:
            _cleanup.pop()()
        except Exception:
            pass


atexit.register(run_cleanup)

# Tests decide the proxies themselves: a proxy set where CI runs must not
# reroute loopback fetches (test_proxy.py passes its own environment).
for _var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
             "NO_PROXY", "HTTP_PROXY"):
    os.environ.pop(_var, None)
# ... nor a config file of the user who runs them (~/.config/ringfetch/config):
# an empty configuration directory of the run's own
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="rf-xdg-")
atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Skip(Exception):
    pass


def case(fn):
    _cases.append(fn)
    return fn


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def small_disk(kind="tmpfs"):
    """A directory on a disk with about 400 KiB free (a disk that fills): a
    tmpfs, or ext4/xfs on a loop device whose rest a filler takes;
    unmounted after, skipped where it cannot be made."""
    if os.geteuid() != 0:
        raise Skip("mounting a filesystem needs root")
    base = tempfile.mkdtemp(prefix="rf-full-", dir="/dev/shm")
    mnt = os.path.join(base, "mnt")
    os.makedirs(mnt)
    if kind == "tmpfs":
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mnt]).returncode == 0
    else:
        mkfs, size = {"ext4": (["mkfs.ext4", "-q", "-F"], "8M"), "xfs": (["mkfs.xfs", "-q", "-f"], "300M")}[kind]
        img = os.path.join(base, "img")
        subprocess.run(["truncate", "-s", size, img], check=True)
        made = shutil.which(mkfs[0]) and subprocess.run(mkfs + [img], stdout=subprocess.DEVNULL).returncode == 0 \
            and subprocess.run(["mount", "-o", "loop", img, mnt]).returncode == 0
    if not made:
        shutil.rmtree(base, ignore_errors=True)
        raise Skip(f"cannot make or mount {kind} here")
    try:
        if kind != "tmpfs":
            free = shutil.disk_usage(mnt).free
            subprocess.run(["fallocate", "-l", str(max(free - (400 << 10), 0)), os.path.join(mnt, "filler")],
                           check=True)
        out = os.path.join(mnt, "out")
        os.makedirs(out)
        yield out
    finally:
        subprocess.run(["umount", mnt])
        shutil.rmtree(base, ignore_errors=True)


def nothing_held_past_the_end(d):
    """What was taken on disk ahead of the records went back: no file
    holds much more than its size."""
    for n in os.listdir(d):
        st = os.stat(os.path.join(d, n))
        assert st.st_blocks * 512 <= (st.st_size + 4095) // 4096 * 4096 + 65536, (n, st.st_size, st.st_blocks)


def tmpdir():
    d = tempfile.mkdtemp(prefix="rf-test-")
    _cleanup.append(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def ipv6_available():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, host="127.0.0.1", timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


def _stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


NGINX_LOGS = {}  # port -> access log (protocol status uri connection requests-on-it)


def start_nginx(root, extra_locations="", v6=True, tls=None, tls_protocols="TLSv1.2 TLSv1.3",
                http2=False, http_extra=""):
    """nginx serving `root` on a free loopback port; returns the port.
    tls: (certificate, key[, client CA]) to serve HTTPS instead.
    http2: the port speaks HTTP/2 too (TLS: by ALPN; plain: h2c with prior
    knowledge only).  Its access log is NGINX_LOGS[port]."""
    work = tmpdir()
    for _ in range(5):
        port = free_port()
        ssl_flag = (" ssl" if tls else "") + (" http2" if http2 else "")
        listen = f"listen 127.0.0.1:{port}{ssl_flag} backlog=4096;"
        if v6 and ipv6_available():
            listen += f"\n    listen [::1]:{port}{ssl_flag};"
        if tls:
            listen += f"""
    ssl_certificate {tls[0]};
    ssl_certificate_key {tls[1]};
    ssl_protocols {tls_protocols};
    ssl_session_cache shared:rf:1m;
    ssl_session_tickets on;"""
            if len(tls) > 2:
                listen += f"""
    ssl_client_certificate {tls[2]};
    ssl_verify_client on;"""
        conf = f"""
daemon off;
user root;
worker_processes 1;
worker_rlimit_nofile 20000;
error_log {work}/error.log;
pid {work}/nginx.pid;
events {{ worker_connections 10000; }}
http {{
  log_format proto '$server_protocol $status $request_uri $connection $connection_requests';
  access_log {work}/access.log proto;
  keepalive_requests 100000;
  {http_extra}
  types {{ application/octet-stream bin; text/plain txt; }}
  server {{
    {listen}
    root {root};
    {extra_locations}
  }}
}}
"""
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(conf)
        if _start_daemon(["nginx", "-c", os.path.join(work, "nginx.conf"), "-p", work], port):
            NGINX_LOGS[port] = os.path.join(work, "access.log")
            return port
    raise RuntimeError("nginx did not start")


def _start_daemon(cmd, port):
    """Start a server that stays in the foreground and listens on port;
    stopped at exit.  False when it did not come up (the port was taken)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, timeout=5)
        # something answers: make sure it is ours, not another test's server
        # that took the same free port first (ours then exits with "Address
        # already in use")
        time.sleep(0.05)
        if p.poll() is not None:
            raise RuntimeError("exited")
    except RuntimeError:
        _stop(p)
        return False
    _cleanup.append(lambda p=p: _stop(p))
    return True


def start_script_server(script, *args):
    """A tests/servers script that prints "PORT n" when it listens; stopped
    at exit.  Returns the port."""
    p = subprocess.Popen([sys.executable, script, "0"] + list(args), stdout=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        _stop(p)
        raise RuntimeError(f"{os.path.basename(script)} did not start")
    _cleanup.append(lambda: _stop(p))
    return int(line[1])


def start_tinyproxy(auth=None):
    """tinyproxy (Debian's) on a free loopback port, logging each request;
    auth: (user, password) it demands (Basic).  Returns (port, log path)."""
    work = tmpdir()
    for _ in range(5):
        port = free_port()
        log = os.path.join(work, "tinyproxy.log")
        conf = os.path.join(work, "tinyproxy.conf")
        with open(conf, "w") as f:
            f.write(f"Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 512\n"
                    f"Allow 127.0.0.1\nLogFile \"{log}\"\nLogLevel Info\n"
                    f"PidFile \"{work}/tinyproxy.pid\"\n")
            if auth:
                f.write(f"BasicAuth {auth[0]} {auth[1]}\n")
        if _start_daemon(["tinyproxy", "-d", "-c", conf], port):
            return port, log
    raise RuntimeError("tinyproxy did not start")


def start_badserver(v6=False, tls=None):
    """tls: (certificate, key) to speak TLS."""
    return start_script_server(BADSERVER, *((["6"] if v6 else []) +
                                           (["--tls", tls[0], tls[1]] if tls else [])))


def http_get(port, path, tls=False):
    """A plain HTTP GET with the standard library, for server statistics."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except OSError:  # TLS without close_notify
            break
        if not d:
            break
        data += d
    s.close()
    return data.split(b"\r\n\r\n", 1)[1].decode()


def stats(port, tls=False):
    out = {}
    for kv in http_get(port, "/stats", tls).split():
        k, v = kv.split("=")
        out[k] = int(v)
    return out


def run(args, cwd=None, timeout=60, stdin=None, env=None):
    """Run ringfetch; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run(WRAPPER + [RINGFETCH] + EXTRA_ARGS + list(args), cwd=cwd, timeout=timeout, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def run_with_hosts(lines, args, timeout=60):
    """Run ringfetch with a private /etc/hosts holding `lines` (a mount
    namespace); returns (exit code, stdout bytes, stderr text)."""
    if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        raise Skip("cannot create a mount namespace")
    hosts = os.path.join(tmpdir(), "hosts")
    with open(hosts, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    script = f'mount --bind {hosts} /etc/hosts && exec "$0" "$@"'
    p = subprocess.run(["unshare", "-m", "sh", "-c", script] + WRAPPER + [RINGFETCH] + EXTRA_ARGS +
                       list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


DNSSTUB = os.path.join(ROOT, "tests", "servers", "dnsstub.py")


def start_dnsstub(zone, delay_ms=0, other=False):
    """tests/servers/dnsstub.py with `zone` (a dict, see its docstring) on
    port 53 of a loopback address of its own (127.53.x.y, so suites run side
    by side); other: a second address for wrong-source answers.  Returns
    (address, other address or None, query log path)."""
    import json
    import random
    work = tmpdir()
    zpath, log = os.path.join(work, "zone.json"), os.path.join(work, "queries.log")
    with open(zpath, "w") as f:
        json.dump(zone, f)
    open(log, "w").close()
    for _ in range(20):
        addr = f"127.53.{random.randrange(1, 255)}.{random.randrange(1, 254)}"
        oaddr = addr.rsplit(".", 1)[0] + "." + str(int(addr.rsplit(".", 1)[1]) + 1) if other else None
        cmd = [sys.executable, DNSSTUB, "--listen", addr, "--zone", zpath, "--log", log,
               "--delay-ms", str(delay_ms)] + (["--other", oaddr] if other else [])
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.stdout.readline().strip() == "READY":
            _cleanup.append(lambda p=p: _stop(p))
            return addr, oaddr, log
        _stop(p)  # the address was taken: another one
    raise RuntimeError("dnsstub did not start")


def dns_queries(log):
    """The queries the stub saw: a list of (name, type, proto)."""
    with open(log) as f:
        return [tuple(l.split()) for l in f if l.strip()]


def run_with_dns(server, args, hosts=("127.0.0.1 localhost",), resolv_extra="options timeout:1 attempts:2",
                 timeout=60, wrapper=None):
    """Run ringfetch in a private mount namespace whose /etc/resolv.conf
    names only `server` (no query leaves the machine) and whose /etc/hosts
    holds `hosts`; returns (exit code, stdout bytes, stderr text)."""
    if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        raise Skip("cannot create a mount namespace")
    work = tmpdir()
    resolv, hostsf = os.path.join(work, "resolv.conf"), os.path.join(work, "hosts")
    with open(resolv, "w") as f:
        f.write(f"nameserver {server}\n{resolv_extra}\n")
    with open(hostsf, "w") as f:
        f.write("".join(line + "\n" for line in hosts))
    script = (f'mount --bind {resolv} /etc/resolv.conf && mount --bind {hostsf} /etc/hosts && '
              f'exec "$0" "$@"')
    args = list(args)
    head = args[:1] if args[:1] == ["bench"] else []  # a subcommand comes first
    p = subprocess.run(["unshare", "-m", "sh", "-c", script] + (wrapper or WRAPPER) +
                       [RINGFETCH] + head + EXTRA_ARGS + args[len(head):],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def read_file(path):
    """A file's bytes."""
    with open(path, "rb") as f:
        return f.read()


def json_results(stdout):
    """The result records of a --json - run's stdout (its summary checked
    to be last and left out)."""
    import json
    recs = [json.loads(l) for l in stdout.decode().splitlines() if l.strip()]
    assert recs and recs[-1]["type"] == "summary", recs
    return recs[:-1]


def listdir(d):
    return sorted(os.listdir(d))


def main():
    # RF_CASES=name,name runs only those cases (for chasing one case)
    only = [n for n in os.environ.get("RF_CASES", "").split(",") if n]
    cases = [fn for fn in _cases if not only or fn.__name__ in only]
    print(f"1..{len(cases)}", flush=True)
    failed = 0
    for i, fn in enumerate(cases, 1):
        name = fn.__name__
        t0 = time.time()
        try:
            fn()
            print(f"ok {i} - {name} ({time.time() - t0:.2f}s)", flush=True)
        except Skip as e:
            print(f"ok {i} - {name} # SKIP {e}", flush=True)
        except Exception:
            failed += 1
            print(f"not ok {i} - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
    run_cleanup()
    sys.exit(1 if failed else 0)
