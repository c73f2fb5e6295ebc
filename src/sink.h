/*
 * sink.h - the state of a body's destination, embedded in its slot.
 *
 * sink.c owns these fields (the slot reads a few: the file state while
 * finishing, resume_from for the Range header, skipped and digest_hex for
 * the result).  The file moves through rf__file_state: NONE -> OPENING (or
 * ADOPTING a shorter final file) -> OPEN -> [SYNCING] -> CLOSING -> CLOSED
 * -> RENAMING -> [DIRSYNC] -> DONE on success; CLOSED -> UNLINKING -> DONE,
 * or DONE with the .part kept, on failure.
 */
#ifndef RF_SINK_H
#define RF_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"

enum rf__file_state {
	RF_FILE_NONE, RF_FILE_ADOPTING, RF_FILE_OPENING, RF_FILE_OPEN, RF_FILE_SYNCING,
	RF_FILE_CLOSING, RF_FILE_CLOSED, RF_FILE_RENAMING, RF_FILE_LINKING, RF_FILE_DIRSYNC, RF_FILE_UNLINKING,
	RF_FILE_DONE,
};

struct rf__sink {
	enum rf__file_state file;
	int ffd;                 /* the .part (or RF_SINK_FD's descriptor: not ours) */
	bool fallocating;
	unsigned writes;         /* write ops in flight (splices out included) */
	char *part;              /* "<final>.part" or "<final>.<n>.part" */
	bool unnamed;            /* the file is O_TMPFILE: no name until linked */
	bool linked;             /* ... and it now has its final name */
	char fd_path[32];        /* "/proc/self/fd/N", what is linked */
	bool part_resumable;     /* part is "<final>.part", or the one this
	                            request kept: it may be continued */
	int64_t resume_from;     /* bytes on disk this attempt continues */
	bool part_on_disk;       /* part held data when this attempt began
	                            (even if it then restarts from zero) */
	bool resume_final;       /* ... and they sit under the final name */
	bool owned;              /* what is continued or compared on disk is
	                            this URL's own (its origin record names it,
	                            origin.h), not only a file the caller named */
	bool range_complete;     /* 416: what is on disk is the whole body */
	bool skipped;            /* RESUME and the final file was complete, or
	                            MIRROR and the server said 304 */
	bool mirror_have;        /* MIRROR and the final file exists: the
	                            request is conditional on it */
	int64_t mirror_mtime;    /* ... its mtime (unix seconds) */
	char mirror_etag[128];   /* ... the ETag stored on it, or "" */
	char validator[128];     /* If-Range value stored with the .part */
	bool keep_part;          /* failure, but the .part stays (resumable) */
	bool segment;            /* a segment of a split job (split.h): the
	                            .part is shared; it is never truncated,
	                            renamed or unlinked here, and no digest is
	                            taken (the job's final resume does that) */
	int64_t hole_at;         /* first byte a dropped buffer never wrote */
	int pfx_fd;              /* prefix hashing */
	int64_t pfx_off;
	int dir_fd;              /* --fsync of the directory */
	char *dirpath;
	bool synced;
	struct rf__digest *dg_check, *dg_print; /* dg_print may equal dg_check */
	bool digest_checked;
	char digest_hex[2 * RF_DIGEST_MAX + 1];
	/* a decoded body (rf_client_opts.compressed): the receive buffers hold
	 * the encoded bytes (their `written` counts what was decoded of them);
	 * decoded bytes go out of dec_out one write at a time, in order */
	struct rf__decoder *dec;
	char *dec_out;
	size_t dec_cap, dec_len, dec_written;
	int64_t dec_off;         /* file offset of dec_out[0] */
	bool dec_writing;
	bool dec_full;           /* the last step filled dec_out: more may follow */
	char *target;            /* rename target being tried */
	unsigned suffix;         /* last suffix tried for target */
};

#endif
