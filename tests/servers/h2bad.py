#!/usr/bin/env python3
"""h2bad.py PORT MODE [--tls CERT KEY] - a deliberately misbehaving HTTP/2
server for ringfetch tests, speaking raw frames (no HTTP/2 library, so it
can break every rule).

It speaks h2 with prior knowledge (h2c), or over TLS with ALPN h2.  Every
request stream gets MODE's answer (see ANSWERS); "ok" answers well.  Start it
with a port of 0: it prints "PORT n" and serves until killed.  GET-only: the
request's header block is not decoded (the answer does not depend on it),
only counted.  Python standard library only; one thread per connection.
"""
import socket
import ssl
import struct
import sys
import threading
import time

DATA, HEADERS, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 5, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
STATS = {"connections": 0, "streams": 0}
LOCK = threading.Lock()


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def hint(n, prefix_bits, first=0):
    """HPACK integer with an N-bit prefix."""
    top = (1 << prefix_bits) - 1
    if n < top:
        return bytes([first | n])
    out = [first | top]
    n -= top
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out)


def hstr(s):
    b = s.encode() if isinstance(s, str) else s
    return hint(len(b), 7) + b


def literal(name, value, index=False):
    """A literal field with a new name, not indexed (or indexed: added to
    the peer's dynamic table)."""
    return (b"\x40" if index else b"\x00") + hstr(name) + hstr(value)


def block(status, fields=()):
    idx = status_index(status)
    first = hint(idx, 7, 0x80) if idx else literal(":status", str(status))
    return first + b"".join(literal(k, v) for k, v in fields)


def status_index(status):
    return {200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14}.get(status, 0)


def body_of(n, seed=0):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


class Conn:
    def __init__(self, sock, mode):
        self.s = sock
        self.mode = mode
        self.buf = b""
        self.wlock = threading.Lock()
        self.answered = 0

    def send(self, data):
        with self.wlock:
            self.s.sendall(data)

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        h = self.read_exact(9)
        length = struct.unpack(">I", b"\0" + h[:3])[0]
        ftype, flags, stream = h[3], h[4], struct.unpack(">I", h[5:9])[0] & 0x7FFFFFFF
        return ftype, flags, stream, self.read_exact(length)

    def serve(self):
        if self.read_exact(len(PREFACE)) != PREFACE:
            return
        settings = b""
        if self.mode == "zerowindow":  # SETTINGS_INITIAL_WINDOW_SIZE 0: no effect on GETs
            settings = struct.pack(">HI", 4, 0)
        if self.mode == "onestream":
            settings = struct.pack(">HI", 3, 1)  # MAX_CONCURRENT_STREAMS 1
        self.send(frame(SETTINGS, 0, 0, settings))
        if self.mode in ("pingflood", "settingsflood"):
            threading.Thread(target=self.flood, daemon=True).start()
        while True:
            ftype, flags, stream, payload = self.read_frame()
            if ftype == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))
            elif ftype == HEADERS:
                with LOCK:
                    STATS["streams"] += 1
                while not flags & END_HEADERS:
                    ftype, flags, _, _ = self.read_frame()
                self.answer(stream)
            elif ftype == GOAWAY:
                return

    def flood(self):
        try:
            while True:
                if self.mode == "pingflood":
                    self.send(frame(PING, 0, 0, b"flooding"))
                else:
                    self.send(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)))
        except OSError:
            pass

    def respond(self, stream, body, fields=()):
        fields = [("content-length", str(len(body)))] + list(fields)
        self.send(frame(HEADERS, END_HEADERS, stream, block(200, fields)))
        for at in range(0, len(body), 16384):
            last = at + 16384 >= len(body)
            self.send(frame(DATA, END_STREAM if last else 0, stream, body[at:at + 16384]))
        if not body:
            self.send(frame(DATA, END_STREAM, stream))

    def answer(self, stream):
        m = self.mode
        self.answered += 1
        if m in ("ok", "zerowindow", "onestream"):
            self.respond(stream, body_of(1000 + stream, stream))
        elif m == "rstone":  # stream 3 alone is reset, the others are served
            if stream == 3:
                self.send(frame(RST_STREAM, 0, stream, struct.pack(">I", 2)))
            else:
                self.respond(stream, body_of(1000 + stream, stream))
        elif m == "rst":  # a reset in the middle of the body
            self.send(frame(HEADERS, END_HEADERS, stream, block(200, [("content-length", "100000")])))
            self.send(frame(DATA, 0, stream, body_of(1000)))
            self.send(frame(RST_STREAM, 0, stream, struct.pack(">I", 2)))  # INTERNAL_ERROR
        elif m == "goaway":  # the first stream of a connection is served, the others refused
            if self.answered == 1:
                first = stream
                time.sleep(0.05)  # let the client's other streams arrive
                self.send(frame(GOAWAY, 0, 0, struct.pack(">II", first, 0)))
                self.respond(first, body_of(1000 + first, first))
                time.sleep(0.2)
                self.s.shutdown(socket.SHUT_RDWR)
        elif m == "window":  # DATA beyond the 64 KiB stream window, at once
            self.send(frame(HEADERS, END_HEADERS, stream, block(200, [("content-length", "200000")])))
            for _ in range(12):
                self.send(frame(DATA, 0, stream, body_of(16384)))
        elif m == "push":  # push was disabled by the client
            self.send(frame(PUSH_PROMISE, END_HEADERS, stream,
                            struct.pack(">I", 2) + block(200) + literal(":path", "/pushed")))
            self.respond(stream, b"x")
        elif m == "bigheaders":  # 160 KiB of header fields in CONTINUATION frames
            blk = block(200) + b"".join(literal(f"x-filler-{i}", "v" * 1000) for i in range(160))
            pieces = [blk[at:at + 16000] for at in range(0, len(blk), 16000)]
            self.send(frame(HEADERS, 0, stream, pieces[0]))
            for i, p in enumerate(pieces[1:]):
                self.send(frame(CONTINUATION, END_HEADERS if i == len(pieces) - 2 else 0, stream, p))
            self.send(frame(DATA, END_STREAM, stream))
        elif m == "hpackbomb":  # one 4000-byte entry in the table, referenced 4000 times
            blk = block(200) + literal("x-bomb", "b" * 4000, index=True) + bytes([0x80 | 62]) * 4000
            self.send(frame(HEADERS, END_HEADERS, stream, blk))
            self.send(frame(DATA, END_STREAM, stream))
        elif m == "continuation":  # a header block that never ends
            self.send(frame(HEADERS, 0, stream, block(200)))
            try:
                while True:
                    self.send(frame(CONTINUATION, 0, stream, literal("x-more", "y" * 100)))
            except OSError:
                return
        elif m == "closedtwice":  # the stream ends, then is reset, then gets DATA
            self.respond(stream, body_of(5000, stream))
            self.send(frame(RST_STREAM, 0, stream, struct.pack(">I", 5)))  # STREAM_CLOSED
            self.send(frame(DATA, END_STREAM, stream, b"late"))
        elif m in ("pingflood", "settingsflood", "silent"):
            pass  # the request is never answered


def handle(sock, mode):
    with LOCK:
        STATS["connections"] += 1
    try:
        Conn(sock, mode).serve()
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    ctx = None
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
        ctx.set_alpn_protocols(["h2"])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(128)
    print("PORT", ls.getsockname()[1], flush=True)
    while True:
        sock, _ = ls.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx:
            try:
                sock = ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                continue
        threading.Thread(target=handle, args=(sock, mode), daemon=True).start()


if __name__ == "__main__":
    main()
