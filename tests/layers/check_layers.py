#!/usr/bin/env python3
"""check_layers.py SRC - the engine's calls run one way.

Builds the cross-file call graph of SRC/*.c and checks, as TAP: every file
has a layer, every call goes to a lower layer, and there is no circle.
File A calls file B when A names a non-static function defined in B, or a
static inline function of B's header (B.h for B.c); a static inline of a
header that belongs to no file (engine.h, sink_stage.h, list.h, ...) is
followed: its caller calls what it calls.
The layers, top to bottom (README "Layout" and docs/DESIGN-NOTES.md):
"""
import os
import re
import sys

LAYERS = [
    ("api", ["client.c", "bench.c"]),             # fetch client (run loop, settles slots);
                                                  # load generator (its own connections)
    ("bench counts", ["bench_tally.c"]),          # the load generator's per-URL, per-second tallies
    ("slot", ["slot.c"]),                         # one transfer's state machine
    ("sessions", ["session.c"]),                  # HTTP/2 sessions: a connection under many streams
    ("body", ["sink.c", "splice.c"]),             # the body stage every sink shares; splicing
    ("sink kinds", ["sink_file.c", "sink_fd.c", "sink_consume.c",  # each kind behind sink.h's table,
                    "sink_decode.c", "sink_archive.c", "sink_warc.c"]),  # and the transform stage (decoding)
    ("body digests", ["sink_digest.c"]),          # checksums over the body
    ("archive formats", ["warc_file.c"]),         # WARC files: names, warcinfo, -c's read back
    ("archives", ["archive.c"]),                  # an archive's files: regions, rotation, ends; tar's
    ("policy", ["outcome.c", "pool.c", "split.c"]),  # what an attempt leads to, connection pool,
                                                  # segmented downloads
    ("requests", ["queue.c"]),                    # requests and the ready queue
    ("connection", ["conn.c"]),                   # the socket, CONNECT tunnel and TLS under a transfer
    ("routes", ["proxy.c"]),                      # direct or through a proxy (proxy URLs, no_proxy)
    ("services", ["dns.c", "auth.c", "naming.c"]),
    ("resolvers", ["resolver_ares.c", "resolver_system.c"]),  # DNS behind resolver.h
    ("framing", ["http2.c"]),                     # HTTP/2 frames (nghttp2), fields by http1.c's rules
    ("threads", ["group.c", "crew.c"]),           # what a client's threads share; the threads themselves
    ("leaves", ["http1.c", "tls.c", "hosts.c", "addrlist.c", "url.c", "netrc.c", "digest.c", "hdr.c", "namecache.c", "origin.c", "decode.c", "cookies.c", "output.c",
                "ratelimit.c", "schedule.c", "tar.c", "warc.c"]),
    ("field values", ["fields.c"]),               # HTTP field values every protocol reads alike
    ("base", ["errors.c", "loop.c", "addrlist.c"]),
    ("kernel paths", ["loop_epoll.c"]),            # the epoll backend under loop.c's ops
    ("ring resources", ["bufring.c", "fixtab.c"]), # receive pool (both paths); registered file table
    ("faults", ["fault.c"]),                      # fault injection switch (debug builds)
]
__doc__ += "".join(f"  {name}: {' '.join(files)}\n" for name, files in LAYERS)
RANK = {f: len(LAYERS) - i for i, (_, files) in enumerate(LAYERS) for f in files}


TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"' + r"|'(?:\\.|[^'\\\n])*'" + r"|/\*.*?\*/|//[^\n]*", re.S)


def strip(code):
    """Code without comments, string and character literals, in one pass
    (so "http://" is a string, not a comment, and '"' opens nothing)."""
    def blank(m):
        t = m.group(0)
        if t.startswith("/*"):
            return " " + "\n" * t.count("\n")
        if t.startswith("//"):
            return " "
        return '""' if t[0] == '"' else "' '"
    return TOKEN.sub(blank, code)


INLINE = re.compile(r"\bstatic\s+inline\b[^;{]*?\b([A-Za-z_]\w*)\s*\([^;{)]*\)\s*\{")


def inline_functions(src, text):
    """name -> (owner .c file or None, names it calls) for every static
    inline function in SRC/*.h."""
    found = {}
    for h in sorted(f for f in os.listdir(src) if f.endswith(".h")):
        code = strip(open(os.path.join(src, h)).read())
        owner = h[:-2] + ".c"
        owner = owner if owner in text else None
        for m in INLINE.finditer(code):
            depth, i = 1, m.end()
            while depth and i < len(code):
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                i += 1
            body = code[m.end():i]
            found[m.group(1)] = (owner, set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)))
    return found


def circles(files, edges):
    """The strongly connected groups of more than one file (Tarjan)."""
    graph = {f: sorted({b for (a, b) in edges if a == f}) for f in files}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for f in files:
        if f not in index:
            visit(f)
    return out


def main():
    src = sys.argv[1]
    files = sorted(f for f in os.listdir(src) if f.endswith(".c"))
    text = {f: strip(open(os.path.join(src, f)).read()) for f in files}
    defs = {}
    for f, t in text.items():
        for m in re.finditer(r"^(?!static\b)[A-Za-z_][\w \*]*?\b([A-Za-z_]\w*)"
                             r"\s*\([^;{)]*(\([^)]*\)[^;{)]*)*\)\s*\{", t, re.M):
            defs.setdefault(m.group(1), f)
    inlines = inline_functions(src, text)
    edges = {}

    def calls(f, names, seen):
        for name in names:
            g = defs.get(name)
            if name in inlines and name not in seen:
                owner, inner = inlines[name]
                if owner is None:  # nobody's: what it calls, f calls
                    calls(f, inner, seen | {name})
                    continue
                g = owner
            if g and g != f:
                edges.setdefault((f, g), set()).add(name)

    for f, t in text.items():
        calls(f, set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", t)), set())
    points = []
    unranked = [f for f in files if f not in RANK]
    points.append((not unranked, "every engine file has a layer" +
                   (f" (missing: {', '.join(unranked)})" if unranked else "")))
    up = [(a, b, sorted(n)) for (a, b), n in sorted(edges.items())
          if a in RANK and b in RANK and RANK[a] <= RANK[b]]
    points.append((not up, f"{len(edges)} cross-file call edges, all downward" +
                   "".join(f"\n{a} -> {b}: {', '.join(n)}" for a, b, n in up)))
    rings = circles(files, edges)
    points.append((not rings, "no circle of files calling each other" +
                   "".join("\n" + " <-> ".join(g) for g in rings)))
    # X.h is X.c's interface (and its family's, X_*.c: sink.h for the sink
    # kinds): a function it declares is defined there - a declaration
    # elsewhere hides which file a caller really depends on
    stray = []
    for h in sorted(f for f in os.listdir(src) if f.endswith(".h")):
        owner = h[:-2] + ".c"
        if owner not in text:
            continue
        code = strip(open(os.path.join(src, h)).read())
        for m in re.finditer(r"^(?!static\b|typedef\b|#|extern\b)[A-Za-z_][\w \*]*?\b([A-Za-z_]\w*)"
                             r"\s*\([^;{]*\)\s*(?:__attribute__\(\(.*?\)\))?\s*;", code, re.M | re.S):
            name = m.group(1)
            where = next((f for f, t in text.items() if re.search(
                r"^(?!static\b)[A-Za-z_][^\n;(]*\b" + name + r"\s*\([^;{]*\)\s*\{", t, re.M)), "")
            if where != owner and not where.startswith(h[:-2] + "_"):
                stray.append(f"{h}: {name} (defined in {where or 'no file'})")
    points.append((not stray, "every header declares only its own files' functions" +
                   "".join("\n" + x for x in stray)))
    print(f"1..{len(points)}")
    for i, (ok, text_) in enumerate(points, 1):
        lines = text_.split("\n")
        print(f"{'ok' if ok else 'not ok'} {i} - {lines[0]}")
        for line in lines[1:]:
            print("# " + line)
    return 0 if all(ok for ok, _ in points) else 1


sys.exit(main())
