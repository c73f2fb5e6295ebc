/*
 * warc_file.h - the WARC files of --warc-file (rf_client_warc): their
 * names (NAME.warc.gz, or NAME-00000.warc.gz, NAME-00001.warc.gz ... when
 * they rotate at --warc-max-size, as wget names them), the warcinfo record
 * that begins each, how a record is compressed (each record its own gzip
 * member or zstd frames, or none), and -c: a cut file read back to its last whole
 * record, the URLs already recorded remembered.  The files themselves are
 * an archive (archive.h): regions, rotation, the rename at the end.
 */
#ifndef RF_WARC_FILE_H
#define RF_WARC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "ringfetch.h"

struct rf__warc_files {
	struct rf__archive *set;  /* the files */
	bool keep_credentials;    /* request records keep Authorization ... */
	struct rf__warc_zip *zip; /* the compressor (warc.h), NULL: none;
	                             with threads the warcinfo records' alone
	                             (under the files' lock) */
	char *base, *ext;         /* "crawl" ".warc.gz": the names' parts */
	bool rotating;            /* --warc-max-size: every name numbered */
	char *command;            /* for warcinfo, or NULL */
	bool cdx;                 /* --warc-cdx: NAME.cdxj beside each file */
	bool dedup;               /* -N: a payload recorded before is a revisit record */
	struct rf__warc_seen {    /* ... the payloads recorded (open addressing) */
		uint64_t h;       /* of the digest; 0: a free entry */
		char digest[40];  /* "sha1:..." */
		char date[40];    /* its record's WARC-Date */
		char *uri;        /* its record's WARC-Target-URI */
	} * seen;
	size_t seen_n, seen_cap;
	struct warc_index *scanned; /* -c: the index lines of the file scanned last */
};

/* The WARC files of o (the first one is opened when the first record is
 * ready; with o->resume the files on disk are read first): 0, or RF_EINVAL
 * or -ENOMEM with why. */
int rf__warc_files_new(const rf_warc_opts *o, bool fsync, struct rf__warc_files **out, char *why,
                       size_t why_len);
void rf__warc_files_free(struct rf__warc_files *w);
/* --warc-cdx: a response record of uri (its Content-Type value, "" if
 * none) at offset in sh's file (a member's, open: it cannot end), length
 * bytes there, goes into that file's index.  0, or -ENOMEM. */
int rf__warc_files_index(struct rf__warc_files *w, struct rf__shard *sh, const char *uri, int64_t date_us,
                         const char *content_type, int status, const char *payload_digest, uint64_t length,
                         uint64_t offset);
/* -N: a response with this payload digest was recorded before: 1, its
 * URI (allocated, the caller frees it) into *ref_uri and its WARC-Date
 * into ref_date.  Else this one (uri, recorded at date) is remembered, for
 * later ones to refer to: 0.  -ENOMEM.  One step under the files' lock,
 * so of two threads with the same payload one records it. */
int rf__warc_files_revisit(struct rf__warc_files *w, const char *digest, const char *uri, const char *date,
                           char **ref_uri, char ref_date[40]);
/* -N: the record remembered for digest (of uri, recorded at date) was not
 * written whole: later ones do not refer to it (the next is recorded in
 * full). */
void rf__warc_files_forget(struct rf__warc_files *w, const char *digest, const char *uri, const char *date);
/* Threads: from now on any thread may call (rf__archive_share).  0, or
 * -ENOMEM. */
int rf__warc_files_share(struct rf__warc_files *w);
/* A compressor like the files' own (for another thread): 0 and *out
 * (NULL when the files are not compressed), or -ENOMEM. */
int rf__warc_files_zip_new(const struct rf__warc_files *w, struct rf__warc_zip **out);
/* -c: the files on disk hold a final (not a redirect's) response of url. */
bool rf__warc_files_has(const struct rf__warc_files *w, const char *url);

#endif
