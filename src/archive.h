/*
 * archive.h - the files of an archive output (--tar shards, --warc-file
 * WARC files): a rotating set of client-owned outputs (output.h) named by
 * a pattern ("shards/{shard:05}.tar") or the format's own rule, the file
 * being filled, and the full ones that wait for their members' last
 * writes before they end.  The format (struct rf__archive_format: tar's
 * here, WARC's in warc_file.c) says what begins and ends a file and how a
 * cut one is read back for -c.
 *
 * A member is a region reserved at once for everything one record needs
 * (tar: KEY.EXT's header and body, KEY.json's header and a fixed room for
 * its text; WARC: a request and a response record), so the records of
 * transfers running at once never interleave.  A file rotates after N
 * members or once it holds SIZE bytes; it ends (the format's trailer,
 * fsync when asked, the rename of NAME.part to NAME) when its last member
 * is done - at once for a full file, with the run for the last.  A file
 * whose write failed keeps its .part.
 *
 * Threads (-t): one archive serves every member of a group once shared
 * (rf__archive_share): its calls take the archive's lock, so members
 * reserve regions of the same files in turn and write them through their
 * own rings; whoever finishes a full file's last member ends it.  The -c
 * read-back (rf__archive_has) is read-only during the run and takes no
 * lock.  The format's own state (warc_file.c: its index lines, the
 * payloads seen) takes the same lock (rf__archive_lock).
 */
#ifndef RF_ARCHIVE_H
#define RF_ARCHIVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"

struct rf__output;

struct rf__archive;
struct rf__shard;

/* What an archive's files are. */
struct rf__archive_format {
	const char *option; /* "--tar", "--warc-file": for messages */
	const struct rf__output_ops *output;
	/* File i's name into out (cap bytes): 0, or -1 when it does not fit.
	 * NULL: the pattern with {shard} replaced (rf__archive_name). */
	int (*name)(const struct rf__archive *a, unsigned i, char *out, size_t cap);
	/* A new file is open: its first records, written now (WARC: its
	 * warcinfo).  0, or a negative errno with a->why.  NULL: none. */
	int (*opened)(struct rf__archive *a, struct rf__shard *sh);
	/* -c: walk one file (named name), remembering the URLs it holds
	 * (rf__archive_done_add), and the end of its last whole record into
	 * *good.  0, or a negative errno. */
	int (*scan)(struct rf__archive *a, int fd, uint64_t size, const char *name, uint64_t *good);
	/* A file is let go: ended (renamed to its name) or not (its .part
	 * stays).  The format's own state of it goes (sh->state); 0, or a
	 * negative errno with a->why (the run fails).  NULL: nothing to do. */
	int (*closed)(struct rf__archive *a, struct rf__shard *sh, bool ended);
};

struct rf__shard {
	struct rf__output *out;
	char first_id[48]; /* its first record's ID (WARC: the warcinfo's) */
	void *state;       /* the format's own (WARC: its index lines) */
	unsigned index;
	uint64_t samples;
	unsigned members_open; /* reserved, not yet done */
	uint64_t real_end;     /* the end of its last sample that is not void */
	bool full;             /* no more members: ends when members_open is 0 */
	struct rf__link link;  /* the archive's full shards */
};

struct rf__archive {
	const struct rf__archive_format *format;
	void *format_arg; /* the format's own (warc_file.c: its settings) */
	char *pattern;
	char *dir;                           /* the pattern's directory ("." when none) */
	uint64_t shard_samples, shard_bytes; /* 0: no limit */
	struct rf__shard *current;
	unsigned next_index;
	struct rf__link full;
	bool fsync;
	uint64_t samples, shards_ended;
	/* -c: the URLs the shards on disk hold (FNV-1a hashes, open
	 * addressing; 0 marks a free entry) */
	uint64_t *done;
	size_t done_cap, done_n;
	/* -c: failures' samples (KEY.json alone) on disk, voided in place
	 * when their URL gets a newer sample (rf__archive_supersede) */
	struct rf__archive_failed {
		uint64_t hash;    /* the URL's */
		unsigned index;   /* the shard */
		uint64_t at, end; /* the sample's region */
		bool last;        /* the shard's last member: cut off, not voided */
	} * failed;
	size_t failed_n, failed_cap;
	int err;      /* the first file that could not be ended (the run's failure) */
	int open_err; /* why the last file could not be opened (its member's failure) */
	char why[512];
	bool shared; /* threads: calls take the lock */
	pthread_mutex_t lock;
};

/* One sample's region in a shard. */
struct rf__archive_member {
	struct rf__shard *shard; /* NULL: none reserved */
	uint64_t at, end;        /* [at, end) in the shard */
};

/* The tar shards of --tar. */
extern const struct rf__archive_format rf__archive_tar;
/* 0, or RF_EINVAL with why (a pattern with no {shard} while shards would
 * rotate, or one of two, when the format names files by pattern). */
int rf__archive_new(const struct rf__archive_format *format, void *format_arg, const char *pattern,
                    uint64_t shard_samples, uint64_t shard_bytes, bool fsync, struct rf__archive **out,
                    char *why, size_t why_len);
/* Threads: from now on any thread may call (before the run, from the
 * thread that made it).  0, or -ENOMEM. */
int rf__archive_share(struct rf__archive *a);
/* The archive's lock, for the format's own state (no-ops unless shared;
 * never held across another rf__archive_ call). */
void rf__archive_lock(struct rf__archive *a);
void rf__archive_unlock(struct rf__archive *a);
/* Why the last call failed (a.why, copied under the lock) into out. */
const char *rf__archive_why(struct rf__archive *a, char *out, size_t cap);
/* -c: a URL a file on disk holds (0, or -ENOMEM). */
int rf__archive_done_add(struct rf__archive *a, const char *url);
/* -c: read the shards already on disk.  A cut one (NAME.part) is
 * truncated back to its last whole sample and ends (renamed); the URLs of
 * every sample that succeeded are remembered (rf__archive_has); new
 * shards take the next numbers.  0, or a negative errno with a.why. */
int rf__archive_resume(struct rf__archive *a);
/* -c: url (redacted, as KEY.json says it) has a newer sample now: the
 * failure samples of it the shards on disk held go, in place (voided, or
 * cut off the end of a shard: one whose every sample went is an empty
 * archive), so the dataset holds one sample per URL.  0, or a negative
 * errno. */
int rf__archive_supersede(struct rf__archive *a, const char *url);
/* -c: the shards on disk hold a failure's sample of url (a new failure is
 * not written again). */
bool rf__archive_failed_before(struct rf__archive *a, const char *url);
/* -c: a sample of this URL (as KEY.json says it: redacted) is on disk. */
bool rf__archive_has(const struct rf__archive *a, const char *url);
/* Reserve len bytes (tar: a multiple of 512) for one member in the
 * current file (opened when there is none), taken on disk: 0, or a
 * negative errno when no file could be opened or the disk has no room for
 * it (rf__archive_why says why; the file stays whole and goes on). */
int rf__archive_reserve(struct rf__archive *a, uint64_t len, struct rf__archive_member *m);
/* The same in two steps, for a member whose records name their file
 * (WARC: the warcinfo's ID) before their length is known: join the
 * current file (m.shard; counted open, so it cannot end), then place the
 * region in that file - even if it has filled up meanwhile.  A place that
 * fails (no room on disk) leaves the member joined with no region: it is
 * done (void) as any other. */
int rf__archive_join(struct rf__archive *a, struct rf__archive_member *m);
int rf__archive_place(struct rf__archive *a, struct rf__archive_member *m, uint64_t len);
/* A write into the member's region failed: its shard is no longer whole
 * and keeps its .part when it ends. */
void rf__archive_member_failed(struct rf__archive *a, struct rf__archive_member *m, int err);
/* The descriptor of the member's shard. */
int rf__archive_fd(const struct rf__archive_member *m);
/* The member's writes are all done (void: its region was voided): a full
 * shard whose last member this was ends now.  A shard ends without the
 * voided regions at its end (a pax header must be followed by a member).
 * 0, or a negative errno (rf__archive_why). */
int rf__archive_member_done(struct rf__archive *a, struct rf__archive_member *m, bool void_region);
/* The end of the run: every shard ends (a failed run: only the finished
 * ones, the current stays .part).  0, or the first error (a.why). */
int rf__archive_end(struct rf__archive *a, bool ok);
void rf__archive_free(struct rf__archive *a);
/* The directory the shards go to (for staging files beside them). */
const char *rf__archive_dir(const struct rf__archive *a);
/* The final name of the member's shard ("" when none). */
const char *rf__archive_path(const struct rf__archive_member *m);
/* KEY.json's text into out (cap bytes; the length it needs is returned,
 * as snprintf): the key, URL and final URL, status, headers of interest,
 * body size, digest ("ALGO:HEX"), seconds taken, and the error if any
 * (NULL: none). */
size_t rf__archive_json(char *out, size_t cap, const char *key, const char *url, const char *final_url,
                        int status, const char *content_type, const char *etag, const char *last_modified,
                        uint64_t size, const char *digest_algo, const char *digest, double seconds,
                        const char *error);
/* A sample of KEY.json alone (a URL that failed), written at once with
 * plain syscalls: 0 or a negative errno. */
int rf__archive_write_now(struct rf__archive *a, const char *key, const char *text);
/* A shard's name for index i: the pattern with {shard} or {shard:0N}
 * replaced (into out, cap bytes): 0, or -1 when the pattern is bad. */
int rf__archive_name(const char *pattern, unsigned i, char *out, size_t cap);

#endif
