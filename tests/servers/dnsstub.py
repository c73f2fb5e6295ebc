#!/usr/bin/env python3
"""dnsstub.py - a small authoritative DNS server for ringfetch tests, with
configurable delays and misbehaviour.  Loopback only.

  dnsstub.py --listen 127.0.0.53 [--port 53] [--other 127.0.0.54]
             [--delay-ms N] --zone ZONE.json [--log FILE]

UDP and TCP on the same port.  Prints "READY" once listening.  Every query
is appended to --log as "NAME TYPE PROTO" (a test counts them).

ZONE.json:
  {"default": {"suffix": ".test", "a": ["127.0.0.1"], "ttl": 300},
   "names": {"NAME": {"a": [...], "aaaa": [...], "cname": "OTHER", "ttl": N,
                      "delay_ms": N, "mode": MODE,
                      "after": {"t": SECONDS, "a": [...]}}}}
A name not listed that ends with default.suffix gets default's answer;
anything else is NXDOMAIN.  "after": from t seconds after the name's first
query, answer those addresses instead (a record that changes mid-run).
"delay_a_ms" / "delay_aaaa_ms": a delay for one type only.

MODE: nxdomain, servfail, refused, silent (never answers), truncate (UDP
answers are empty with TC set; TCP answers whole), badid (first an answer
with a wrong ID naming 127.0.0.99, then the real one), wrongsrc (first an
answer from the --other address naming 127.0.0.99, then the real one),
garbage (only bytes that are no DNS message), flood (2000 junk datagrams,
then the real answer).
"""
import argparse
import heapq
import json
import os
import socket
import struct
import sys
import threading
import time

FIRST = {}          # name -> time of its first query
LOCK = threading.Lock()
QUEUE = []          # (due, seq, sock, data, addr): UDP datagrams to send
QCOND = threading.Condition(LOCK)
SEQ = [0]
LOGF = None


def parse_query(msg):
    """(id, flags, qname, qtype, question bytes) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None
    i, labels = 12, []
    while True:
        if i >= len(msg):
            return None
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(msg):
            return None
        labels.append(msg[i:i + n].decode("ascii", "replace"))
        i += n
    if i + 4 > len(msg):
        return None
    qtype, _ = struct.unpack("!HH", msg[i:i + 4])
    return qid, flags, ".".join(labels).lower(), qtype, msg[12:i + 4]


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(name, rtype, ttl, rdata):
    return encode_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


class Zone:
    def __init__(self, path):
        with open(path) as f:
            z = json.load(f)
        self.default = z.get("default")
        self.names = {k.lower().rstrip("."): v for k, v in z.get("names", {}).items()}

    def lookup(self, name):
        name = name.rstrip(".")
        if name in self.names:
            return self.names[name]
        d = self.default
        if d and name.endswith(d.get("suffix", "\0")):
            return d
        return None

    def answer(self, qid, rd, qname, qtype, question, truncated=False, addr_override=None):
        """(rcode, answer bytes) for a query."""
        rec = self.lookup(qname)
        rcode, answers = 0, []
        if rec is None or rec.get("mode") == "nxdomain":
            rcode = 3
        elif rec.get("mode") == "servfail":
            rcode = 2
        elif rec.get("mode") == "refused":
            rcode = 5
        else:
            name, seen = qname, set()
            while rec is not None and "cname" in rec and name not in seen:
                seen.add(name)
                target = rec["cname"].lower().rstrip(".")
                answers.append(rr(name, 5, rec.get("ttl", 300), encode_name(target)))
                name, rec = target, self.lookup(target)
            if rec is not None and not truncated:
                addrs = rec.get("a", []) if qtype == 1 else rec.get("aaaa", []) if qtype == 28 else []
                after = rec.get("after")
                first = FIRST.setdefault(name, time.monotonic())
                if qtype == 1 and after and time.monotonic() - first >= after["t"]:
                    addrs = after["a"]
                if addr_override is not None and qtype == 1:
                    addrs = [addr_override]
                fam = socket.AF_INET if qtype == 1 else socket.AF_INET6
                for a in addrs:
                    answers.append(rr(name, qtype, rec.get("ttl", 300), socket.inet_pton(fam, a)))
        flags = 0x8000 | 0x0400 | (rd & 0x0100) | 0x0080 | rcode
        if truncated:
            flags |= 0x0200
        hdr = struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0)
        return hdr + question + b"".join(answers)


def log(qname, qtype, proto):
    if LOGF:
        with LOCK:
            LOGF.write(f"{qname} {qtype} {proto}\n")
            LOGF.flush()


def send_later(sock, data, addr, delay):
    with QCOND:
        SEQ[0] += 1
        heapq.heappush(QUEUE, (time.monotonic() + delay, SEQ[0], sock, data, addr))
        QCOND.notify()


def sender():
    while True:
        with QCOND:
            while not QUEUE or QUEUE[0][0] > time.monotonic():
                QCOND.wait(None if not QUEUE else max(0.0, QUEUE[0][0] - time.monotonic()))
            _, _, sock, data, addr = heapq.heappop(QUEUE)
        try:
            sock.sendto(data, addr)
        except OSError:
            pass


def delay_of(rec, qtype, default_ms):
    """Seconds to wait before answering: the type's own delay, the name's, or the server's."""
    key = "delay_a_ms" if qtype == 1 else "delay_aaaa_ms" if qtype == 28 else "-"
    return rec.get(key, rec.get("delay_ms", default_ms)) / 1000.0


def serve_udp(zone, sock, other, delay):
    while True:
        msg, addr = sock.recvfrom(4096)
        q = parse_query(msg)
        if not q:
            continue
        qid, flags, qname, qtype, question = q
        log(qname, qtype, "udp")
        rec = zone.lookup(qname) or {}
        mode = rec.get("mode")
        d = delay_of(rec, qtype, delay)
        if mode == "silent":
            continue
        if mode == "garbage":
            send_later(sock, b"\x12\x34garbage, not a DNS message", addr, d)
            continue
        if mode == "badid":
            bogus = zone.answer(qid ^ 0x5A5A, flags, qname, qtype, question, addr_override="127.0.0.99")
            send_later(sock, bogus, addr, 0)
        if mode == "wrongsrc" and other is not None:
            bogus = zone.answer(qid, flags, qname, qtype, question, addr_override="127.0.0.99")
            send_later(other, bogus, addr, 0)
        if mode == "flood":
            for i in range(2000):
                send_later(sock, os.urandom(40), addr, 0)
        send_later(sock, zone.answer(qid, flags, qname, qtype, question,
                                     truncated=mode == "truncate"), addr, d)


def serve_tcp_conn(zone, conn, delay):
    try:
        while True:
            hdr = conn.recv(2)
            if len(hdr) < 2:
                return
            n = struct.unpack("!H", hdr)[0]
            msg = b""
            while len(msg) < n:
                chunk = conn.recv(n - len(msg))
                if not chunk:
                    return
                msg += chunk
            q = parse_query(msg)
            if not q:
                return
            qid, flags, qname, qtype, question = q
            log(qname, qtype, "tcp")
            rec = zone.lookup(qname) or {}
            if rec.get("mode") == "silent":
                continue
            time.sleep(delay_of(rec, qtype, delay))
            out = zone.answer(qid, flags, qname, qtype, question)
            conn.sendall(struct.pack("!H", len(out)) + out)
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(zone, lsock, delay):
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_tcp_conn, args=(zone, conn, delay), daemon=True).start()


def main():
    global LOGF
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.53")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--other", default=None)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--log", default=None)
    a = ap.parse_args()
    for h in [a.listen, a.other]:
        if h and not (h.startswith("127.") or h == "::1"):
            sys.exit("dnsstub: loopback addresses only")
    zone = Zone(a.zone)
    if a.log:
        LOGF = open(a.log, "a")
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind((a.listen, a.port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((a.listen, a.port))
    tcp.listen(128)
    other = None
    if a.other:
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind((a.other, a.port))
    threading.Thread(target=sender, daemon=True).start()
    threading.Thread(target=serve_tcp, args=(zone, tcp, a.delay_ms), daemon=True).start()
    print("READY", flush=True)
    serve_udp(zone, udp, other, a.delay_ms)


if __name__ == "__main__":
    main()
