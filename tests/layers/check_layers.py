#!/usr/bin/env python3
"""check_layers.py SRC - the engine's calls run one way.

Builds the cross-file call graph of SRC/*.c (file A calls file B when A
names a non-static function defined in B; static inline helpers in headers
are data accessors and do not count) and checks, as TAP: every file has a
layer below, every call goes to a lower layer, and so there is no circle.
The layers, top to bottom (README "Layout" and docs/DESIGN-NOTES.md):
"""
import os
import re
import sys

LAYERS = [
    ("api", ["client.c", "bench.c"]),             # fetch client (run loop, settles slots);
                                                  # load generator (its own connections)
    ("slot", ["slot.c"]),                         # one transfer's state machine
    ("body", ["sink.c", "splice.c"]),             # where the body goes
    ("policy", ["outcome.c", "pool.c", "split.c"]),  # what an attempt leads to, connection pool,
                                                  # segmented downloads
    ("requests", ["queue.c"]),                    # requests and the ready queue
    ("connection", ["conn.c"]),                   # the socket, CONNECT tunnel and TLS under a transfer
    ("routes", ["proxy.c"]),                      # direct or through a proxy (proxy URLs, no_proxy)
    ("services", ["dns.c", "auth.c", "naming.c"]),
    ("resolvers", ["resolver_ares.c", "resolver_system.c"]),  # DNS behind resolver.h
    ("leaves", ["http1.c", "tls.c", "hosts.c", "addrlist.c", "url.c", "netrc.c", "digest.c", "hdr.c", "namecache.c", "origin.c", "decode.c", "cookies.c",
                "ratelimit.c"]),
    ("base", ["errors.c", "loop.c", "addrlist.c"]),
    ("kernel paths", ["loop_epoll.c"]),            # the epoll backend under loop.c's ops
    ("ring resources", ["bufring.c", "fixtab.c"]), # receive pool (both paths); registered file table
    ("faults", ["fault.c"]),                      # fault injection switch (debug builds)
]
__doc__ += "".join(f"  {name}: {' '.join(files)}\n" for name, files in LAYERS)
RANK = {f: len(LAYERS) - i for i, (_, files) in enumerate(LAYERS) for f in files}


def strip(code):
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    return re.sub(r'"(\\.|[^"\\])*"', '""', code)


def main():
    src = sys.argv[1]
    files = sorted(f for f in os.listdir(src) if f.endswith(".c"))
    text = {f: strip(open(os.path.join(src, f)).read()) for f in files}
    defs = {}
    for f, t in text.items():
        for m in re.finditer(r"^(?!static\b)[A-Za-z_][\w \*]*?\b([A-Za-z_]\w*)\s*\([^;{)]*\)\s*\{",
                             t, re.M):
            defs.setdefault(m.group(1), f)
    edges = {}
    for f, t in text.items():
        for name in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", t)):
            g = defs.get(name)
            if g and g != f:
                edges.setdefault((f, g), []).append(name)
    points = []
    unranked = [f for f in files if f not in RANK]
    points.append((not unranked, "every engine file has a layer" +
                   (f" (missing: {', '.join(unranked)})" if unranked else "")))
    up = [(a, b, sorted(n)) for (a, b), n in sorted(edges.items())
          if a in RANK and b in RANK and RANK[a] <= RANK[b]]
    points.append((not up, f"{len(edges)} cross-file call edges, all downward" +
                   "".join(f"\n{a} -> {b}: {', '.join(n)}" for a, b, n in up)))
    print(f"1..{len(points)}")
    for i, (ok, text_) in enumerate(points, 1):
        lines = text_.split("\n")
        print(f"{'ok' if ok else 'not ok'} {i} - {lines[0]}")
        for line in lines[1:]:
            print("# " + line)
    return 0 if all(ok for ok, _ in points) else 1


sys.exit(main())
