/*
 * sink.h - where a body goes: the sink interface, and the state of a body's
 * destination embedded in its slot.
 *
 * A sink kind is a table of functions (struct rf__sink_ops), one file per
 * kind: sink_file.c (a file under a final name: .part, resume, rename),
 * sink_fd.c (an open descriptor, in order), sink_consume.c (a callback, or
 * nowhere).  The table is chosen once per request (rf__sink_begin, the one
 * place that looks at rf_request.sink); sink.c is the stage every kind
 * shares - receive buffers handed over in order, digests, the write
 * completions, the end of the body - and calls the kind only through its
 * table.  Between the exchange and the sink sits the transform stage
 * (sink_decode.c: Content-Encoding decoded as it streams).
 *
 * Who writes what: sink.c and the kind's file own these fields; the slot
 * reads a few (the file state while finishing, resume_from for the Range
 * header, skipped and digest_hex for the result).  The file moves through
 * rf__file_state: NONE -> OPENING (or ADOPTING a shorter final file) ->
 * OPEN -> [SYNCING] -> CLOSING -> CLOSED -> RENAMING -> [DIRSYNC] -> DONE on
 * success; CLOSED -> UNLINKING -> DONE, or DONE with the .part kept, on
 * failure.
 */
#ifndef RF_SINK_H
#define RF_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "archive.h"
#include "digest.h"
#include "loop.h"
#include "ringfetch.h"

struct rf__slot;
struct rf__sink;

/* A sink kind.  Every function gets the slot whose body it takes; a
 * failure is recorded in the slot (rf__slot_error), never returned up: the
 * slot winds down when it sees one after any sink call. */
struct rf__sink_ops {
	const char *kind; /* "file", "descriptor", "callback", "discard" */
	bool makes_files; /* writes files under names (the client picks
	                     its file I/O path for them) */
	bool ordered;     /* writes one at a time, in body order, at the
	                     descriptor's position (no offsets) */
	/* The request is valid for this kind (rf_submit): 0, or RF_EINVAL
	 * with *why. */
	int (*check)(const rf_request *rq, const char **why);
	/* Before each attempt: what is on disk, resume, conditions.  NULL:
	 * nothing to prepare. */
	void (*prepare)(rf_client *c, struct rf__slot *s);
	/* The response's header section is accepted (sink.c checked what
	 * every kind needs): open the destination. */
	void (*headers)(rf_client *c, struct rf__slot *s);
	/* Writing kinds: the descriptor body bytes go to now (*positional:
	 * at explicit offsets), or -1 while it is not ready.  NULL for
	 * kinds that consume bytes at once. */
	int (*target)(const struct rf__slot *s, bool *positional);
	/* Consuming kinds: take n body bytes now; 0, an RF_E* error, or
	 * -EAGAIN: not now (the buffer is held, receiving stops when all are;
	 * the kind's next op completion pumps it again). */
	int (*consume)(rf_client *c, struct rf__slot *s, const void *p, size_t n);
	/* A completion of one of the kind's own ops (open, rename, ...).
	 * True when the slot may send its request now (a resumed prefix is
	 * hashed).  NULL: the kind submits no ops of its own. */
	bool (*on_completion)(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res);
	/* The response's bytes as they came off the connection (header
	 * section, transfer coding and all), before anything else sees them;
	 * then, when the parse took fewer, `unread`: the last that many are
	 * not this response's.  NULL: the kind wants the body only. */
	void (*wire)(rf_client *c, struct rf__slot *s, const char *raw, size_t n, size_t unread);
	/* Every byte is written (or the attempt failed, `failed`): the
	 * finishing steps; true when nothing is left to do. */
	bool (*finish)(rf_client *c, struct rf__slot *s, bool failed);
	/* The name messages give the destination. */
	const char *(*shown)(const struct rf__slot *s);
	/* What rf_result.path says after a successful attempt, or NULL
	 * (path: the request's; the slot no longer holds it then). */
	const char *(*final_path)(const struct rf__slot *s, const char *path);
};

extern const struct rf__sink_ops rf__sink_file_ops, rf__sink_fd_ops, rf__sink_callback_ops,
	rf__sink_discard_ops, rf__sink_archive_ops, rf__sink_warc_ops;

enum rf__file_state {
	RF__FILE_NONE,
	RF__FILE_ADOPTING,
	RF__FILE_OPENING,
	RF__FILE_OPEN,
	RF__FILE_SYNCING,
	RF__FILE_CLOSING,
	RF__FILE_CLOSED,
	RF__FILE_RENAMING,
	RF__FILE_LINKING,
	RF__FILE_DIRSYNC,
	RF__FILE_UNLINKING,
	RF__FILE_DONE,
};

struct rf__sink {
	const struct rf__sink_ops *ops; /* the kind, chosen by rf__sink_begin */
	unsigned writes;                /* write ops in flight (splices out included) */
	bool skipped;                   /* RESUME and the final file was complete, or
	                                   MIRROR and the server said 304 */
	/* digests (sink.c) */
	struct rf__digest *dg_check, *dg_print; /* dg_print may equal dg_check */
	bool digest_checked;
	char digest_hex[2 * RF__DIGEST_MAX + 1];
	/* the transform stage (sink_decode.c), rf_client_opts.compressed: the
	 * receive buffers hold the encoded bytes (their `written` counts what
	 * was decoded of them); decoded bytes go out of dec_out one write at a
	 * time, in order */
	struct rf__decoder *dec;
	char *dec_out;
	size_t dec_cap, dec_len, dec_written;
	int64_t dec_off; /* file offset of dec_out[0] */
	bool dec_writing;
	bool dec_full; /* the last step filled dec_out: more may follow */
	/* the file kind (sink_file.c); zero for the others */
	enum rf__file_state file;
	int ffd; /* the .part, or the unnamed file */
	bool fallocating;
	char *part;            /* "<final>.part" or "<final>.<n>.part" */
	bool unnamed;          /* the file is O_TMPFILE: no name until linked */
	bool linked;           /* ... and it now has its final name */
	char fd_path[32];      /* "/proc/self/fd/N", what is linked */
	bool part_resumable;   /* part is "<final>.part", or the one this
	                          request kept: it may be continued */
	int64_t resume_from;   /* bytes on disk this attempt continues */
	bool part_claimed;     /* threads: part is this thread's in the group's
	                          names (group.h), let go when the slot is */
	bool part_on_disk;     /* part held data when this attempt began
	                          (even if it then restarts from zero) */
	bool resume_final;     /* ... and they sit under the final name */
	bool owned;            /* what is continued or compared on disk is
	                          this URL's own (its origin record names it,
	                          origin.h), not only a file the caller named */
	bool range_complete;   /* 416: what is on disk is the whole body */
	bool mirror_have;      /* MIRROR and the final file exists: the
	                          request is conditional on it */
	int64_t mirror_mtime;  /* ... its mtime (unix seconds) */
	char mirror_etag[128]; /* ... the ETag stored on it, or "" */
	char validator[128];   /* If-Range value stored with the .part */
	bool keep_part;        /* failure, but the .part stays (resumable) */
	bool segment;          /* a segment of a split job (split.h): the
	                          .part is shared; it is never truncated,
	                          renamed or unlinked here, and no digest is
	                          taken (the job's final resume does that) */
	int64_t hole_at;       /* first byte a dropped buffer never wrote */
	int pfx_fd;            /* prefix hashing */
	int64_t pfx_off;
	int dir_fd; /* --fsync of the directory */
	char *dirpath;
	bool synced;
	char *target;    /* rename target being tried; the archive kind: its
	                    shard's name */
	unsigned suffix; /* last suffix tried for target */
	/* every writing kind: the target's offset of body byte 0 */
	int64_t base;
	/* the archive kind (sink_archive.c) */
	struct rf__archive_member member; /* the sample's region */
	uint64_t json_at, json_room;      /* KEY.json's header, its text's room */
	char *member_buf;                 /* the header or KEY.json going out */
	size_t member_want;
	bool member_writing;
	unsigned member_step; /* sink_archive.c's steps */
	bool void_tail, member_written_tail, voided;
	/* ... a body of unknown length, staged in an unnamed file first */
	bool staged;
	int stage_fd;          /* -1 until open */
	bool stage_opening;    /* its open is in flight */
	bool stage_reading;    /* a read of it is in flight */
	uint64_t stage_len;    /* the body's length, once complete */
	uint64_t stage_copied; /* bytes of it copied into the shard */
	char *stage_buf;       /* the copy's buffer */
	uint64_t body_at;      /* the shard offset of body byte 0 */
	/* the WARC kind (sink_warc.c): the response as it came, staged in
	 * memory, a big one compressed piece by piece into an unnamed file
	 * (stage_fd); then its records into a region (member) */
	char *warc_buf; /* bytes held, not yet spilled */
	size_t warc_cap, warc_len;
	size_t warc_last; /* bytes the last piece added */
	bool warc_started, warc_truncated;
	int64_t warc_date; /* its first byte (us, UTC) */
	char *warc_uri;    /* the URL asked then (redacted) */
	char *warc_head;   /* -N, spilled: its header section (a revisit's block) */
	size_t warc_head_len;
	char warc_ip[48];                 /* the peer then */
	struct rf__digest *warc_payload;  /* the entity body's SHA-1 */
	struct rf__digest *warc_block;    /* a spilled block's SHA-1 */
	uint32_t warc_crc;                /* ... its CRC-32 */
	uint64_t warc_raw;                /* ... its bytes spilled */
	uint64_t warc_spilled;            /* bytes in the unnamed file */
	bool warc_spilling, warc_opening; /* spilling; its file opening */
	bool warc_writing, warc_reading;  /* an op of the kind in flight */
	size_t warc_want;                 /* the write's length */
	char *warc_out;                   /* what goes out (or the copy's buffer) */
	size_t warc_out_len;              /* ... its length */
	char *warc_tail;                  /* a spilled record's last bytes */
	size_t warc_tail_len;
	uint64_t warc_at, warc_copied; /* the region's next offset; copied so far */
	size_t warc_copy;              /* the copy buffer's size (0: none) */
	bool warc_direct;              /* a body with a length spilled from the receive buffers */
	size_t warc_dup;               /* ... its first bytes, staged with the headers */
	const char *warc_direct_p;     /* ... the held buffer a write goes out from */
	size_t warc_direct_off;        /* ... how far it is out */
	unsigned warc_step;            /* sink_warc.c's steps */
	char warc_referred[40];        /* -N: the payload later records refer to this one for */
	bool warc_whole;               /* its region is written whole */
};

/* ---- sink.c: the stage every kind shares ---- */

/* The fields of a slot's sink the first time the slot is used. */
void rf__sink_init(struct rf__sink *k);
/* Between transfers: everything freed and cleared but the digest objects. */
void rf__sink_reset(struct rf__sink *k);
/* Free what the sink holds; digests are kept for reuse unless `all`. */
void rf__sink_release(struct rf__sink *k, bool all);
/* The request's sink kind is known and its fields valid: 0, or RF_EINVAL
 * with *why. */
int rf__sink_check(const rf_request *rq, const char **why);
/* Whether a request of this kind writes files under names. */
bool rf__sink_makes_files(enum rf_sink_kind kind);
/* Before each attempt: choose the kind, set up digests, prepare the
 * destination (sink_file.c: the .part, resume, conditions). */
void rf__sink_begin(rf_client *c, struct rf__slot *s);
/* The response's header section is complete and the status accepted. */
void rf__sink_headers(rf_client *c, struct rf__slot *s);
/* Held receive buffers (or decoded bytes) out to the destination. */
void rf__sink_pump(rf_client *c, struct rf__slot *s);
/* A completion of a sink op.  True when the prefix on disk has been hashed
 * (or given up): the slot sends its request then. */
bool rf__sink_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned buf, int res);
/* Advance the finishing steps (close, rename or unlink); true when the
 * sink has nothing left to do. */
bool rf__sink_finish(rf_client *c, struct rf__slot *s);
/* Feed body bytes (in order) to the digests. */
void rf__sink_digest(struct rf__slot *s, const void *p, size_t n);
/* What rf_result.path says for a successful attempt of the request whose
 * path is `path`, or NULL. */
const char *rf__sink_final_path(const struct rf__slot *s, const char *path);

/* ---- sink_file.c: what the slot asks of a file being continued ---- */

/* This attempt continues a prefix that must be hashed first: the slot
 * makes buf[0] ready, calls rf__sink_hash_prefix before sending, and sends
 * when rf__sink_on_completion says the prefix is done. */
bool rf__sink_need_prefix(const struct rf__slot *s);
void rf__sink_hash_prefix(rf_client *c, struct rf__slot *s);
/* A 206 is of the version the .part was started with: its strong ETag, or
 * its Last-Modified, equals the validator recorded then (true when none
 * was: resume by length only). */
bool rf__sink_same_version(const struct rf__slot *s);
/* Where the bytes of this attempt certainly ended on disk: every byte
 * below it (from the attempt's start) landed. */
int64_t rf__sink_landed(const struct rf__slot *s);
/* The raw Range / If-Range (or conditional) header lines for this
 * attempt ("" if none). */
void rf__sink_range_headers(const struct rf__slot *s, char *buf, size_t cap);

/* ---- sink_decode.c: the transform stage ---- */

/* A 200 in a coding the caller wants decoded: start the decoder.  False
 * when the slot failed (a coding not decoded here, no memory). */
bool rf__decode_start(rf_client *c, struct rf__slot *s);
/* Decoded bytes out: written to the kind's target, or consumed. */
void rf__decode_pump(rf_client *c, struct rf__slot *s);
/* A write of decoded bytes completed. */
void rf__decode_written(rf_client *c, struct rf__slot *s, int res);
/* The body ended: the decoder must have ended too (else the slot fails). */
void rf__decode_end(struct rf__slot *s);

#endif
