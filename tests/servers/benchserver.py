#!/usr/bin/env python3
"""benchserver.py PORT - an HTTP/1.1 origin whose timing and failures a load
test can predict, for tests/integration/test_bench.py.  One asyncio thread;
keep-alive; prints "PORT n" when listening (PORT 0: any free port).

  /delay/MS          answers after MS milliseconds (a fixed service time)
  /fast              answers at once
  /flaky?reset=R&e500=E
                     every R-th connection (in accept order) is reset (RST)
                     when its first request arrives; of the requests answered,
                     every E-th gets 500 instead of 200
  /idle-reset?every=K
                     every K-th request of a connection after its first
                     (the 2nd, 2+K-th, ...) is met with a reset (RST) before
                     any answer: how a server's close of an idle kept-alive
                     connection meets the next request sent on it
  /control/freeze?ms=MS
                     from now on for MS ms nothing is answered (requests in
                     flight and new ones wait), as a stalled server
  /status/CODE       answers with that status (404, 500, 503 ...)
  /stats             JSON: requests answered, resets, 500s, connections, the
                     arrival times (monotonic s) of every counted request;
                     per "METHOD /path": requests (by_target), the sha256 of
                     their bodies (body_by_target) and their X- headers
                     (x_headers: "METHOD /path Name: value" -> count)
  /reset-stats       zero the above
Every request but /stats, /reset-stats and /control/* is counted.
"""
import asyncio
import hashlib
import json
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit

BODY = b"x" * 100
STATS = {}
FROZEN_UNTIL = [0.0]
CONNECTIONS = [0]


def reset_stats():
    STATS.update(requests=0, answered=0, resets=0, e500=0, connections=0, times=[],
                 methods={}, bodies=0, body_sha256={}, by_target={}, body_by_target={},
                 x_headers={})
    CONNECTIONS[0] = 0


def response(status, body, keep=True):
    reason = {200: "OK", 500: "Internal Server Error", 404: "Not Found"}.get(status, "Other")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: text/plain\r\n{'' if keep else 'Connection: close' + chr(13) + chr(10)}"
            "\r\n")
    return head.encode() + body


def reset(writer):
    """End the connection with a reset (RST), counted."""
    STATS["resets"] += 1
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def wait_thaw():
    while True:
        left = FROZEN_UNTIL[0] - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(left)


async def handle(reader, writer):
    CONNECTIONS[0] += 1
    STATS["connections"] += 1
    conn_no = CONNECTIONS[0]
    first = True
    served = 0
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            arrived = time.monotonic()
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            url = urlsplit(target)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            path = url.path
            if path == "/stats":
                writer.write(response(200, json.dumps(STATS).encode()))
                await writer.drain()
                continue
            if path == "/reset-stats":
                reset_stats()
                writer.write(response(200, b"ok"))
                await writer.drain()
                continue
            if path == "/control/freeze":
                FROZEN_UNTIL[0] = time.monotonic() + int(q.get("ms", "1000")) / 1000
                writer.write(response(200, b"frozen"))
                await writer.drain()
                continue
            STATS["requests"] += 1
            STATS["times"].append(arrived)
            STATS["methods"][method] = STATS["methods"].get(method, 0) + 1
            key = f"{method} {path}"
            STATS["by_target"][key] = STATS["by_target"].get(key, 0) + 1
            for line in lines[1:]:
                if line.lower().startswith("x-"):
                    hk = f"{key} {line}"
                    STATS["x_headers"][hk] = STATS["x_headers"].get(hk, 0) + 1
            if length:
                bk = STATS["body_by_target"].setdefault(key, {})
                h = hashlib.sha256(body).hexdigest()
                bk[h] = bk.get(h, 0) + 1
            if length:
                STATS["bodies"] += 1
                h = hashlib.sha256(body).hexdigest()
                STATS["body_sha256"][h] = STATS["body_sha256"].get(h, 0) + 1
            status = 200
            if path.startswith("/delay/"):
                await asyncio.sleep(int(path[7:]) / 1000)
            elif path == "/flaky":
                reset_every = int(q.get("reset", "0"))
                if first and reset_every and conn_no % reset_every == 0:
                    reset(writer)
                    return
                e500 = int(q.get("e500", "0"))
                if e500 and (STATS["answered"] + 1) % e500 == 0:
                    status = 500
            elif path.startswith("/status/"):
                status = int(path[8:])
            elif path == "/idle-reset":
                every = int(q.get("every", "1"))
                if served and (served - 1) % every == 0:
                    reset(writer)
                    return
            elif path != "/fast":
                status = 404
            first = False
            await wait_thaw()
            STATS["answered"] += 1
            if status == 500:
                STATS["e500"] += 1
            writer.write(response(status, b"" if method == "HEAD" else BODY))
            await writer.drain()
            served += 1
    finally:
        if not writer.transport.is_closing():
            writer.close()


async def main():
    reset_stats()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
