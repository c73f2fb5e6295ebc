#!/usr/bin/env python3
"""badserver.py - a deliberately misbehaving HTTP/1.1 server for ringfetch tests.

Each path is one behaviour (see ROUTES).  Start it with a port of 0 and it
prints the port it got on stdout ("PORT n"), then serves until killed.
Connection statistics are kept for tests that check keep-alive reuse and the
per-host cap: GET /stats answers "accepted=N max_concurrent=M" and /reset-stats
zeroes them.

With "--tls CERT KEY" it speaks TLS on the same paths (and counts resumed
sessions in /stats); closing without close_notify is what its close does,
/closebody-notify ends its close-delimited body with close_notify.

Python standard library only; one thread per connection.
"""
import functools
import hashlib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

LOCK = threading.Lock()
HITS = {}     # key -> requests seen (per-key behaviours like "fail twice")
RANGES = {}   # key -> list of (Range, If-Range) request headers seen
STATS = {"accepted": 0, "current": 0, "max_concurrent": 0, "resumed": 0}
CREDS = []    # (path, Authorization, Cookie, Proxy-Authorization) of every request
PROXYLOG = [] # (request line, Proxy-Authorization) of requests made to it as a proxy


@functools.lru_cache(maxsize=16)
def body_of(n, seed="ringfetch"):
    """Deterministic pseudo-random bytes, the same in the tests."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def head(status, reason, headers=()):
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def ok(body, extra=()):
    return head(200, "OK", [("Content-Length", len(body))] + list(extra)) + body


def chunked(parts):
    out = b""
    for p in parts:
        out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n\r\n"


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return None
            if not data:
                return None
            self.buf += data
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return raw

    def send(self, data):
        self.sock.sendall(data)

    def pace(self, n, rate):
        """n more bytes went out on a connection capped at rate bytes/s."""
        now = time.monotonic()
        if not hasattr(self, "paced"):
            self.paced, self.pace_t0 = 0, now
        self.paced += n
        ahead = self.pace_t0 + self.paced / rate - now
        if ahead > 0:
            time.sleep(ahead)

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close_notify(self):
        if isinstance(self.sock, ssl.SSLSocket):
            try:
                self.sock.unwrap()
            except (OSError, ValueError):
                pass


# Each handler gets (conn, path, raw_request) and returns True to keep the
# connection open for another request, False to close it.

def h_ok(c, path, raw):
    # /ok/[DIRS/]N[/TAIL]: body_of(N), N the last all-digit segment
    n = int([seg for seg in path.split("?")[0].split("/") if seg.isdigit()][-1])
    c.send(ok(body_of(n)))
    return True


def h_slow(c, path, raw):
    time.sleep(0.3)
    c.send(ok(body_of(100)))
    return True


def h_chunked(c, path, raw):
    b = body_of(10000)
    parts = [b[:1], b[1:4000], b[4000:4001], b[4001:]]
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]) + chunked(parts))
    return True


def h_bigchunked(c, path, raw):
    # /bigchunked/N: body_of(N) in chunks of 16 KiB (no length known ahead)
    b = body_of(int(path.split("/")[2]))
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]) +
           chunked([b[i:i + 16384] for i in range(0, len(b), 16384)]))
    return True


def h_closebody(c, path, raw):
    c.send(head(200, "OK", [("Connection", "close")]) + body_of(5000))
    return False


def h_closebody_notify(c, path, raw):
    c.send(head(200, "OK", [("Connection", "close")]) + body_of(5000))
    c.close_notify()
    return False


def h_truncated(c, path, raw):
    c.send(head(200, "OK", [("Content-Length", 1000)]) + body_of(1000)[:500])
    return False


def h_truncated_chunked(c, path, raw):
    b = body_of(3000)
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]) + b"bb8\r\n" + b[:1000])
    return False


def h_badchunk(c, path, raw):
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]) + b"zz\r\nhello\r\n0\r\n\r\n")
    return False


def h_reset(c, path, raw):
    c.send(head(200, "OK", [("Content-Length", 100000)]) + body_of(100000)[:20000])
    time.sleep(0.05)
    c.reset()
    return None


def h_silent(c, path, raw):
    time.sleep(30)
    return False


def h_silent_mid(c, path, raw):
    c.send(head(200, "OK", [("Content-Length", 1000)]) + body_of(1000)[:10])
    time.sleep(30)
    return False


def h_trickle(c, path, raw):
    c.send(head(200, "OK", [("Content-Length", 100000)]))
    for i in range(300):
        try:
            c.send(b"x")
        except OSError:
            return False
        time.sleep(0.1)
    return False


def h_status(c, path, raw):
    code = int(path.split("/")[2])
    reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 410: "Gone",
               500: "Internal Server Error", 503: "Service Unavailable"}
    body = b"error page\n"
    c.send(head(code, reasons.get(code, "Whatever"), [("Content-Length", len(body))]) + body)
    return True


def h_status_big(c, path, raw):
    # an error with a body too large to drain: the client must not save it
    body = body_of(300000)
    c.send(head(500, "Internal Server Error", [("Content-Length", len(body))]) + body)
    return True


def h_redirect(c, path, raw):
    n = int(path.split("/")[2])
    loc = f"/redirect/{n - 1}" if n > 0 else "/ok/123"
    c.send(head(302, "Found", [("Location", loc), ("Content-Length", 0)]))
    return True


def h_loop(c, path, raw):
    loc = "/loop-b" if path == "/loop-a" else "/loop-a"
    body = b"moved"
    c.send(head(301, "Moved Permanently", [("Location", loc), ("Content-Length", len(body))]) + body)
    return True


def h_rel(c, path, raw):
    # relative reference: /dir/sub/rel -> ../../ok/77?x=1 -> /ok/77?x=1
    c.send(head(307, "Temporary Redirect", [("Location", "../../ok/77?x=1"), ("Content-Length", 0)]))
    return True


def h_noloc(c, path, raw):
    c.send(head(302, "Found", [("Content-Length", 0)]))
    return True


def h_giant_header(c, path, raw):
    c.send(head(200, "OK", [("X-Big", "a" * 100000), ("Content-Length", 2)]) + b"hi")
    return False


def h_many_headers(c, path, raw):
    hs = [(f"X-H{i}", "v") for i in range(300)] + [("Content-Length", 2)]
    c.send(head(200, "OK", hs) + b"hi")
    return False


def h_interim(c, path, raw):
    b = body_of(321)
    c.send(b"HTTP/1.1 100 Continue\r\n\r\n"
           b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n" + ok(b))
    return True


def h_204(c, path, raw):
    c.send(head(204, "No Content"))
    return True


def h_echo(c, path, raw):
    c.send(ok(raw + b"\r\n"))
    return True


def h_kaclose(c, path, raw):
    # looks keep-alive, but the server closes right after: the next request
    # on this connection meets a closed socket
    c.send(ok(body_of(64)))
    time.sleep(0.05)
    return False


def h_garbage(c, path, raw):
    c.send(b"this is not http\r\n\r\n")
    return False


def h_bigextra(c, path, raw):
    # a large response (spliced by the client) followed by junk
    c.send(ok(body_of(3_000_000)) + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad")
    return True


def h_extra(c, path, raw):
    # a complete response followed by bytes nobody asked for
    c.send(ok(body_of(10)) + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad")
    return True


def header(raw, name):
    for line in raw.decode(errors="replace").split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def hit(key, raw):
    with LOCK:
        HITS[key] = HITS.get(key, 0) + 1
        RANGES.setdefault(key, []).append((header(raw, "range"), header(raw, "if-range")))
        return HITS[key]


def serve_ranged(c, raw, body, etag, honour=True, slow=0.0, rate=0, maxrange=0):
    """A resource with a strong ETag that answers Range ("bytes=A-" and
    "bytes=A-B") and If-Range like nginx.  slow: a pause per 16 KiB; rate:
    this connection's bandwidth cap in bytes/s (over its whole life, as a
    real link's share would be)."""
    rng, if_range = header(raw, "range"), header(raw, "if-range")
    start = end = None
    if honour and rng and rng.startswith("bytes=") and "-" in rng and "," not in rng:
        a, _, b = rng[6:].partition("-")
        if (if_range is None or if_range == etag) and a.isdigit() and (b == "" or b.isdigit()):
            start = int(a)
            end = min(int(b), len(body) - 1) if b else len(body) - 1
            if maxrange:  # a server that caps its 206s (Content-Range says so)
                end = min(end, start + maxrange - 1)
    common = [("ETag", etag), ("Accept-Ranges", "bytes")]
    if start is not None and (start >= len(body) or end < start):
        c.send(head(416, "Range Not Satisfiable",
                    common + [("Content-Range", f"bytes */{len(body)}"), ("Content-Length", 0)]))
        return True
    if start is not None:
        part = body[start:end + 1]
        c.send(head(206, "Partial Content", common + [
            ("Content-Range", f"bytes {start}-{end}/{len(body)}"),
            ("Content-Length", len(part))]))
    else:
        part = body
        c.send(head(200, "OK", common + [("Content-Length", len(part))]))
    if not slow and not rate:
        c.send(part)
        return True
    step = 16384
    for i in range(0, len(part), step):
        c.send(part[i:i + step])
        if rate:
            c.pace(min(step, len(part) - i), rate)
        else:
            time.sleep(slow)
    return True


def h_capped(c, path, raw):
    # /capped/KEY/N?rate=B&delay=MS&slowfirst=1&changing=1&maxrange=M: Range/If-Range
    # (ETag "v1") with this connection capped at B bytes/s, each response
    # delayed MS ms; slowfirst: the first request of KEY at a quarter of B;
    # changing: after the first request the resource is another one (ETag
    # "v2", other bytes), so If-Range "v1" gets the whole new file; maxrange:
    # no 206 longer than M bytes
    base, _, query = path.partition("?")
    _, _, key, n = base.split("/")[:4]
    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
    nth = hit(key, raw)
    rate = int(q.get("rate", "0"))
    if q.get("slowfirst") and nth == 1:
        rate //= 4
    time.sleep(int(q.get("delay", "0")) / 1000)
    if q.get("changing") and nth > 1:
        return serve_ranged(c, raw, body_of(int(n), "v2"), '"v2"', rate=rate)
    return serve_ranged(c, raw, body_of(int(n)), '"v1"', rate=rate, maxrange=int(q.get("maxrange", "0")))


def h_ranged(c, path, raw):
    # /ranged/KEY/N: Range + If-Range against ETag "v1"
    _, _, key, n = path.split("?")[0].split("/")[:4]
    hit(key, raw)
    return serve_ranged(c, raw, body_of(int(n)), '"v1"')


def h_slowranged(c, path, raw):
    # /slowranged/KEY/N: the same, 16 KiB every 20 ms
    _, _, key, n = path.split("?")[0].split("/")[:4]
    hit(key, raw)
    return serve_ranged(c, raw, body_of(int(n)), '"v1"', slow=0.02)


def h_norange(c, path, raw):
    _, _, key, n = path.split("/")[:4]
    hit(key, raw)
    return serve_ranged(c, raw, body_of(int(n)), '"v1"', honour=False)


def h_badrange(c, path, raw):
    # answers 206 but from the wrong offset
    _, _, key, n = path.split("/")[:4]
    hit(key, raw)
    body = body_of(int(n))
    c.send(head(206, "Partial Content", [("Content-Range", f"bytes 10-{len(body) - 1}/{len(body)}"),
                                         ("Content-Length", len(body) - 10)]) + body[10:])
    return True


def h_flaky(c, path, raw):
    # /flaky/KEY/FAILS/STATUS/RETRY-AFTER: FAILS answers STATUS, then 200 body_of(100)
    _, _, key, fails, status, after = path.split("/")[:6]
    n = hit(key, raw)
    if n <= int(fails):
        hs = [("Content-Length", 0)]
        if after == "date":
            hs.append(("Retry-After", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                    time.gmtime(time.time() + 2))))
        elif after != "none":
            hs.append(("Retry-After", after))
        c.send(head(int(status), "Unavailable", hs))
        return True
    c.send(ok(body_of(100)))
    return True


def cut_first(c, path, raw):
    """/NAME/KEY/N: the first request's resumable answer is cut by a reset
    halfway (returns None then); later ones get (key, body) back."""
    _, _, key, n = path.split("/")[:4]
    body = body_of(int(n))
    if hit(key, raw) == 1:
        c.send(head(200, "OK", [("ETag", '"v1"'), ("Accept-Ranges", "bytes"),
                                ("Content-Length", len(body))]) + body[:len(body) // 2])
        time.sleep(0.05)
        c.reset()
        return None
    return key, body


def h_reset_once(c, path, raw):
    # /reset-once/KEY/N: cut once, then Range is honoured
    later = cut_first(c, path, raw)
    return later and serve_ranged(c, raw, later[1], '"v1"')


def h_cut_then_gone(c, path, raw):
    # /cut-then-gone/KEY/N: cut once, then 404s
    if cut_first(c, path, raw) is None:
        return None
    msg = b"gone\n"
    c.send(head(404, "Not Found", [("Content-Length", len(msg))]) + msg)
    return True


def h_bigcut(c, path, raw):
    # /bigcut/N/MODE: Content-Length N, half the body, then close|reset|silent
    _, _, n, mode = path.split("/")[:4]
    body = body_of(int(n))
    c.send(head(200, "OK", [("Content-Length", len(body))]) + body[:len(body) // 2])
    if mode == "reset":
        time.sleep(0.05)
        c.reset()
        return None
    if mode == "silent":
        time.sleep(30)
    return False


def h_goto(c, path, raw):
    # /goto?URL: a redirect to any URL (percent-decoded)
    from urllib.parse import unquote
    loc = unquote(path.split("?", 1)[1])
    c.send(head(302, "Found", [("Location", loc), ("Content-Length", 0)]))
    return True


def h_creds(c, path, raw):
    # which credentials did the client send? (every request is logged in serve)
    with LOCK:
        lines = ["|".join(x or "-" for x in row) for row in CREDS]
        CREDS.clear()
    c.send(ok(("\n".join(lines) + "\n").encode(), [("Connection", "close")]))
    return False


def h_te(c, path, raw):
    # /te/VALUE: a Transfer-Encoding nobody asked for (chunked framing when
    # the list ends with chunked, else the body runs to the close)
    from urllib.parse import unquote
    te = unquote(path.split("/")[2])
    b = body_of(3000)
    if te.replace(" ", "").lower().endswith("chunked"):
        c.send(head(200, "OK", [("Transfer-Encoding", te)]) + chunked([b]))
        return True
    c.send(head(200, "OK", [("Transfer-Encoding", te), ("Connection", "close")]) + b)
    return False


def h_gzip(c, path, raw):
    # Content-Encoding: the bytes are the resource as sent; saved as they are
    import gzip
    b = gzip.compress(body_of(5000), mtime=0)
    c.send(ok(b, [("Content-Encoding", "gzip")]))
    return True


def h_dup_length(c, path, raw):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
    return False


def h_endless_1xx(c, path, raw):
    while True:
        c.send(b"HTTP/1.1 100 Continue\r\n\r\n")


def h_endless_header(c, path, raw):
    # header lines forever, each byte in its own segment
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.send(b"HTTP/1.1 200 OK\r\n")
    while True:
        for byte in b"X-Endless: yes\r\n":
            c.send(bytes([byte]))


def h_slow_header(c, path, raw):
    # one header byte every 0.2 s: alive, but the header section never ends
    c.send(b"HTTP/1.1 200 OK\r\n")
    while True:
        c.send(b"X")
        time.sleep(0.2)


def h_endless_chunks(c, path, raw):
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]))
    piece = b"".join(b"1\r\nx\r\n" for _ in range(2000))
    while True:
        c.send(piece)


def h_endless_chunk_ext(c, path, raw):
    # one chunk whose extension never ends
    c.send(head(200, "OK", [("Transfer-Encoding", "chunked")]) + b"5;ext=")
    piece = b"a" * 65536
    while True:
        c.send(piece)


def h_huge_length(c, path, raw):
    # a Content-Length no disk has room for, then a little of it
    c.send(head(200, "OK", [("Content-Length", 10 ** 15)]) + body_of(100000))
    time.sleep(5)
    return False


def h_log(c, path, raw):
    key = path.split("/")[2]
    with LOCK:
        lines = [f"{r or '-'} {i or '-'}" for r, i in RANGES.get(key, [])]
    c.send(ok(("\n".join(lines) + "\n").encode(), [("Connection", "close")]))
    return False


def h_proxylog(c, path, raw):
    with LOCK:
        lines = [f"{line}|{auth or '-'}" for line, auth in PROXYLOG]
        PROXYLOG.clear()
    c.send(ok(("\n".join(lines) + "\n").encode(), [("Connection", "close")]))
    return False


def relay(a, b):
    """Copy a -> b until a ends, then end b's sending side."""
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def proxy_connect(c, target):
    """As a proxy asked for a tunnel: the host name picks the behaviour;
    localhost and 127.0.0.1 get a real tunnel to that port."""
    host, _, port = target.rpartition(":")
    if host == "deny.test":
        body = b"no tunnels for you\n"
        c.send(head(403, "Forbidden", [("Content-Length", len(body))]) + body)
        return False
    if host == "auth.test":
        body = b"credentials please\n"
        c.send(head(407, "Proxy Authentication Required",
                    [("Proxy-Authenticate", 'Basic realm="bad"'), ("Content-Length", len(body))]) + body)
        return False
    if host == "close.test":
        return None
    if host == "garbage.test":
        c.send(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        return False
    if host == "extra.test":
        c.send(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01junk")
        time.sleep(1)
        return False
    if host == "huge.test":
        c.send(b"HTTP/1.1 200 Connection established\r\n")
        try:
            for _ in range(100000):
                c.send(b"X-Pad: " + b"a" * 100 + b"\r\n")
        except OSError:
            pass
        return None
    if host == "silent.test":
        time.sleep(30)
        return None
    if host not in ("localhost", "127.0.0.1"):
        c.send(head(502, "Bad Gateway", [("Content-Length", 0)]))
        return False
    try:
        up = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    except OSError:
        c.send(head(502, "Bad Gateway", [("Content-Length", 0)]))
        return False
    up.settimeout(None)
    c.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if c.buf:
        up.sendall(c.buf)
    t = threading.Thread(target=relay, args=(up, c.sock), daemon=True)
    t.start()
    relay(c.sock, up)
    t.join()
    up.close()
    return None


def h_stats(c, path, raw):
    with LOCK:
        s = "accepted=%d max_concurrent=%d resumed=%d\n" % (
            STATS["accepted"], STATS["max_concurrent"], STATS["resumed"])
    c.send(ok(s.encode(), [("Connection", "close")]))
    return False


def h_reset_stats(c, path, raw):
    with LOCK:
        STATS["accepted"] = 0
        STATS["resumed"] = 0
        STATS["max_concurrent"] = STATS["current"]
    c.send(ok(b"ok\n", [("Connection", "close")]))
    return False


VERSION_TIMES = {"v1": 784111777, "v2": 784198177, "v3": 784284577}  # 1994-11-06 .. 08


def http_date(t, form):
    g = time.gmtime(t)
    if form == "850":
        return time.strftime("%A, %d-%b-%y %H:%M:%S GMT", g)
    if form == "asctime":
        return time.strftime("%a %b ", g) + f"{g.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", g)
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", g)


def h_versioned(c, path, raw):
    # /versioned/KEY/N?v=V&then=W&date=imf|850|asctime&etag=0&ifrange=ignore:
    # version V (body_of(N, V + KEY); W from the
    # second request of KEY on) with ETag "V" (none with etag=0) and Last-Modified (V's
    # date in that form); Range honoured, If-Range honoured unless
    # ifrange=ignore (then any range of the current version is sent: a
    # server that splices versions for a careless client); If-None-Match and
    # If-Modified-Since answered 304
    base, _, query = path.partition("?")
    _, _, key, n = base.split("/")[:4]
    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
    nth = hit(key, raw)
    v = q["then"] if q.get("then") and nth > 1 else q.get("v", "v1")
    body = body_of(int(n), v + key)
    etag = f'"{v}"' if q.get("etag", "1") != "0" else None
    lm = http_date(VERSION_TIMES[v], q.get("date", "imf"))
    common = ([("ETag", etag)] if etag else []) + [("Last-Modified", lm), ("Accept-Ranges", "bytes")]
    inm, ims = header(raw, "if-none-match"), header(raw, "if-modified-since")
    if (inm is not None and etag and inm == etag) or (inm is None and ims == http_date(VERSION_TIMES[v], "imf")):
        c.send(head(304, "Not Modified", common))
        return True
    rng, if_range = header(raw, "range"), header(raw, "if-range")
    same = if_range is None or if_range in (etag, lm) or q.get("ifrange") == "ignore"
    if rng and rng.startswith("bytes=") and same:
        a, _, b = rng[6:].partition("-")
        if a:
            start, end = int(a), (int(b) if b else len(body) - 1)
        else:  # a suffix range: the last b bytes
            start, end = max(0, len(body) - int(b)), len(body) - 1
        if start >= len(body):
            c.send(head(416, "Range Not Satisfiable", common + [("Content-Range", f"bytes */{len(body)}"),
                                                                ("Content-Length", 0)]))
            return True
        end = min(end, len(body) - 1)
        c.send(head(206, "Partial Content", common + [("Content-Range", f"bytes {start}-{end}/{len(body)}"),
                                                      ("Content-Length", end - start + 1)]) + body[start:end + 1])
        return True
    c.send(head(200, "OK", common + [("Content-Length", len(body))]) + body)
    return True


def encode(coding, data):
    """data in a Content-Encoding: zlib for gzip and deflate (zlib format;
    rawdeflate: without its header), the brotli and zstd tools for the
    others (Debian's packages; no Python module needed)."""
    import zlib
    if coding == "gzip":
        z = zlib.compressobj(6, zlib.DEFLATED, 31)
        return z.compress(data) + z.flush()
    if coding in ("deflate", "rawdeflate"):
        z = zlib.compressobj(6, zlib.DEFLATED, 15 if coding == "deflate" else -15)
        return z.compress(data) + z.flush()
    tool = {"br": ["brotli", "-c", "-q", "5"], "zstd": ["zstd", "-c", "-q", "-3"]}[coding]
    return subprocess.run(tool, input=data, stdout=subprocess.PIPE, check=True).stdout


ENCODED = {}
ACCEPT = {}  # KEY: the Accept-Encoding of each request of /encoded/...?key=KEY


def h_accept(c, path, raw):
    # /accept/KEY: the Accept-Encoding values /encoded/...?key=KEY received
    with LOCK:
        lines = [str(v) for v in ACCEPT.get(path.split("/")[2], [])]
    c.send(ok(("\n".join(lines) + "\n").encode(), [("Connection", "close")]))
    return False


def h_encoded(c, path, raw):
    # /encoded/CODING/N?mode=ok|cut|corrupt|trailing|double|bomb&te=chunked&as=NAME:
    # body_of(N) encoded in CODING (rawdeflate is sent as "deflate"); cut: the
    # encoded stream without its last 20 bytes (framed as complete); corrupt:
    # a byte in the middle flipped; trailing: junk after the stream; double:
    # the stream twice in a row (gzip members, zstd frames); bomb: N zero
    # bytes instead of body_of(N); te=chunked: sent in 1000-byte chunks;
    # as=NAME: the Content-Encoding value to send
    base, _, query = path.partition("?")
    _, _, coding, n = base.split("/")[:4]
    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
    mode = q.get("mode", "ok")
    if q.get("key"):  # counted for /log/KEY (Range, If-Range), Accept-Encoding kept
        hit(q["key"], raw)
        with LOCK:
            ACCEPT.setdefault(q["key"], []).append(header(raw, "accept-encoding"))
    key = (coding, n, mode)
    if key not in ENCODED:
        data = bytes(int(n)) if mode == "bomb" else body_of(int(n))
        enc = encode(coding, data)
        if mode == "cut":
            enc = enc[:-20]
        elif mode == "corrupt":
            enc = enc[:len(enc) // 2] + bytes([enc[len(enc) // 2] ^ 0x55]) + enc[len(enc) // 2 + 1:]
        elif mode == "trailing":
            enc += b"trailing junk"
        elif mode == "double":
            enc += enc
        ENCODED[key] = enc
    enc = ENCODED[key]
    name = q.get("as", "deflate" if coding == "rawdeflate" else coding)
    if q.get("key") and q.get("dropfirst") and HITS[q["key"]] == 1:  # cut by a reset halfway
        c.send(head(200, "OK", [("Content-Encoding", name), ("ETag", '"e1"'), ("Accept-Ranges", "bytes"),
                                ("Content-Length", len(enc))]) + enc[:len(enc) // 2])
        time.sleep(0.05)
        c.reset()
        return None
    hs = [("Content-Encoding", name), ("ETag", f'"{coding}{n}{mode}"')]
    if q.get("te") == "chunked":
        c.send(head(200, "OK", hs + [("Transfer-Encoding", "chunked")]) +
               chunked([enc[i:i + 1000] for i in range(0, len(enc), 1000)]))
    else:
        c.send(head(200, "OK", hs + [("Content-Length", len(enc))]) + enc)
    return True


def h_hdr(c, path, raw):
    # /hdr/N?h=Name:Value&h=...&s=STATUS: body_of(N) with the given header
    # fields (percent-decoded to bytes, latin-1: a server's raw bytes pass
    # through), status 200 or STATUS
    import urllib.parse
    base, _, query = path.partition("?")
    n = int(base.split("/")[2])
    pairs = [kv.partition("=")[::2] for kv in query.split("&") if kv]
    extra = [urllib.parse.unquote_to_bytes(v).decode("latin-1").partition(":")[::2] for k, v in pairs if k == "h"]
    status = dict(pairs).get("s", "200")
    if dict(pairs).get("big"):  # big=N: a cookie of N bytes
        extra.append(("Set-Cookie", " big=" + "x" * int(dict(pairs)["big"])))
    for i in range(int(dict(pairs).get("many", "0"))):  # many=N: cookies c0 .. cN-1
        extra.append(("Set-Cookie", f" c{i}=v"))
    body = body_of(n)
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"] + [f"{k}:{v}" for k, v in extra]
    c.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    return True


ROUTES = [
    ("/hdr/", h_hdr), ("/encoded/", h_encoded), ("/accept/", h_accept), ("/ok/", h_ok), ("/slow/", h_slow), ("/chunked", h_chunked), ("/closebody-notify", h_closebody_notify),
    ("/closebody", h_closebody),
    ("/truncated-chunked", h_truncated_chunked), ("/truncated", h_truncated),
    ("/badchunk", h_badchunk), ("/reset-stats", h_reset_stats), ("/reset", h_reset),
    ("/silent-mid", h_silent_mid), ("/silent", h_silent), ("/trickle", h_trickle),
    ("/status-big", h_status_big), ("/status/", h_status), ("/redirect/", h_redirect),
    ("/loop-", h_loop), ("/dir/sub/rel", h_rel), ("/noloc", h_noloc),
    ("/giant-header", h_giant_header), ("/many-headers", h_many_headers),
    ("/interim", h_interim), ("/204", h_204), ("/echo", h_echo), ("/kaclose/", h_kaclose),
    ("/garbage", h_garbage), ("/extra", h_extra), ("/stats", h_stats),
]
# longer prefixes first: "/reset-once/" must not be taken for "/reset"
ROUTES = [
    ("/bigchunked/", h_bigchunked), ("/ranged/", h_ranged), ("/slowranged/", h_slowranged), ("/capped/", h_capped), ("/norange/", h_norange),
    ("/badrange/", h_badrange), ("/flaky/", h_flaky), ("/reset-once/", h_reset_once),
    ("/log/", h_log), ("/bigcut/", h_bigcut), ("/bigextra", h_bigextra),
    ("/cut-then-gone/", h_cut_then_gone), ("/goto?", h_goto), ("/creds", h_creds), ("/te/", h_te), ("/gzip", h_gzip),
    ("/dup-length", h_dup_length), ("/endless-1xx", h_endless_1xx),
    ("/endless-header", h_endless_header), ("/slow-header", h_slow_header),
    ("/endless-chunks", h_endless_chunks), ("/endless-chunk-ext", h_endless_chunk_ext),
    ("/huge-length", h_huge_length), ("/proxylog", h_proxylog), ("/versioned/", h_versioned),
] + ROUTES


def serve(sock, tls_ctx=None):
    if tls_ctx:
        try:
            sock.settimeout(10)
            sock = tls_ctx.wrap_socket(sock, server_side=True)
            sock.settimeout(None)
        except (OSError, ssl.SSLError):
            sock.close()
            return
        if sock.session_reused:
            with LOCK:
                STATS["resumed"] += 1
    with LOCK:
        STATS["accepted"] += 1
        STATS["current"] += 1
        STATS["max_concurrent"] = max(STATS["max_concurrent"], STATS["current"])
    c = Conn(sock)
    try:
        while True:
            raw = c.read_request()
            if raw is None:
                break
            line = raw.split(b"\r\n", 1)[0].decode(errors="replace")
            target = line.split(" ")[1]
            if line.startswith("CONNECT ") or target.startswith("http://"):
                with LOCK:  # a request made to it as a proxy
                    PROXYLOG.append((line, header(raw, "proxy-authorization")))
                if line.startswith("CONNECT "):
                    keep = proxy_connect(c, target)
                    if keep is None or not keep:
                        break
                    continue
                target = "/" + target[len("http://"):].partition("/")[2]
            if not target.startswith("/creds"):
                with LOCK:
                    CREDS.append((target.split("?")[0], header(raw, "authorization"),
                                  header(raw, "cookie"), header(raw, "proxy-authorization")))
            for prefix, fn in ROUTES:
                if target.startswith(prefix):
                    keep = fn(c, target, raw)
                    break
            else:
                body = b"no such path\n"
                c.send(head(404, "Not Found", [("Content-Length", len(body))]) + body)
                keep = True
            if keep is None:
                return
            if not keep:
                break
    except OSError:
        pass
    finally:
        with LOCK:
            STATS["current"] -= 1
        try:
            sock.close()
        except OSError:
            pass


def main():
    tls_ctx = None
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
        del sys.argv[i:i + 3]
    family = socket.AF_INET6 if len(sys.argv) > 2 and sys.argv[2] == "6" else socket.AF_INET
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    ls = socket.socket(family, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    ls.listen(128)
    print("PORT", ls.getsockname()[1], flush=True)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s, tls_ctx), daemon=True).start()


if __name__ == "__main__":
    main()
