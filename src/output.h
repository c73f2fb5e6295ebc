/*
 * output.h - a client-owned output: one file that many transfers append
 * to (the archive outputs: WARC files, tar shards).
 *
 * A sink (sink.h) belongs to one slot for one transfer; an output belongs
 * to the client for its run.  It hands out contiguous regions at its own
 * write position, so the records of transfers running at once never
 * interleave; the region's bytes go out through the ring under the
 * writing slot's tags (rf__output_write_begin/_done count them); and it
 * ends with the run (rf__output_end, the client's end-of-run hook): the
 * format's trailer, an optional fsync, then the rename of NAME.part to
 * NAME - never a half-written archive under its final name.  An output
 * that does not end (a failed write, a run that failed) leaves only its
 * .part.  A format fills in struct rf__output_ops.
 *
 * A region's blocks are taken on disk when it is handed out (fallocate,
 * ahead in steps of up to 1 MiB, the trailer's room from the start), so a
 * full disk fails the record that does not fit - before a byte of it is
 * written - and every region handed out can be written: the output stays
 * whole.  What was taken past the end goes back when it ends or is let go.
 * A filesystem that cannot fallocate is written as before.
 */
#ifndef RF_OUTPUT_H
#define RF_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rf__output;

struct rf__output_ops {
	const char *kind; /* "tar", "warc": for messages */
	/* The bytes that end a finished file (tar: two zero blocks) into
	 * buf[0..cap): their length (0: none), or -1 when cap is too small. */
	ssize_t (*trailer)(struct rf__output *o, char *buf, size_t cap);
	size_t trailer_room; /* the most the trailer can be: held from the start */
};

struct rf__output {
	const struct rf__output_ops *ops;
	void *format;       /* the format's own state (ops' business) */
	int fd;             /* path.part, open for writing */
	char *path;         /* the final name */
	char *part;         /* path + ".part" */
	uint64_t pos;       /* where the next region begins */
	uint64_t held;      /* [0, held) is taken on disk (fallocate) */
	uint64_t hold_upto; /* not taken ahead past this (0: no bound; the format's file size) */
	uint64_t asked;     /* the furthest ever asked for: given back past the end */
	bool hold_off;      /* the filesystem cannot fallocate: nothing is taken */
	bool hold_no_more;  /* full: nothing taken ahead any more */
	uint64_t records;
	unsigned writes; /* region writes in flight */
	int err;         /* the first failed write's error: no rename */
};

/* Create path.part (replacing a stale one) for a format, the trailer's
 * room taken: 0, or a negative errno with why (no .part is left then). */
int rf__output_open(const struct rf__output_ops *ops, const char *path, struct rf__output **out, char *why,
                    size_t why_len);
/* Continue path.part from pos (-c: what lies before pos is whole records;
 * anything after it is cut off): 0, or a negative errno with why. */
int rf__output_reopen(const struct rf__output_ops *ops, const char *path, uint64_t pos,
                      struct rf__output **out, char *why, size_t why_len);
/* A region of len bytes for one record, its blocks taken on disk; its
 * offset in o->fd into *at.  0, or a negative errno (-ENOSPC, -EDQUOT,
 * -EFBIG: nothing is handed out, the output stays as it was). */
int rf__output_reserve(struct rf__output *o, uint64_t len, uint64_t *at);
/* The file is full (no more regions, but for those of members that
 * joined it before): what was taken ahead goes back, and no more is. */
void rf__output_hold_no_more(struct rf__output *o);
/* A write into a region goes out (the caller submits it) ... */
void rf__output_write_begin(struct rf__output *o);
/* ... and completed with res for want bytes (a short write is a failure:
 * a region is written whole or the output does not end). */
void rf__output_write_done(struct rf__output *o, int res, size_t want);
/* End of the run: the trailer at pos, fsync when asked, the rename.  0, or
 * a negative errno with why (-EBUSY: writes still in flight; a failed
 * write's error); the .part stays then. */
int rf__output_end(struct rf__output *o, bool fsync, char *why, size_t why_len);
/* Close and free o; path.part stays unless o ended. */
void rf__output_free(struct rf__output *o);

#endif
