/*
 * split.h - segmented downloads (--split N): one large file fetched over
 * several connections with Range requests into the same .part.
 *
 * The URL's own request (the leader) starts as an ordinary GET.  Once its
 * .part is open, a 200 with a known length of at least 2 MiB per segment,
 * Accept-Ranges: bytes and a validator (strong ETag or Last-Modified)
 * starts a job: the length is cut into N segments, the leader keeps the
 * first (its response is cut off at the segment's end) and a child
 * request is queued for each other one ("Range: bytes=A-B", If-Range:
 * the validator).  Each writes at its own offsets.  A segment that ends
 * gives its connection the upper half of the largest segment still
 * running (aria2's rule), whose request then stops at the new boundary.
 *
 * A child that is answered with anything but the matching 206 (the file
 * changed, or ranges stopped working) makes the job restart: once every
 * segment has stopped, the leader fetches the whole file again over one
 * connection.  When every segment is complete the leader goes once more as
 * an ordinary resume of the complete .part (Range from its length, If-Range):
 * the digest is computed over the whole file through the ring as for any
 * resume, and the file gets its final name only then.  A job that fails or
 * is interrupted keeps the .part with its segments in the extended
 * attribute user.ringfetch.segments, so -c continues every unfinished one
 * (without xattrs the .part is cut to its complete prefix instead).
 *
 * The job decides; the client acts (enum rf__split_next): this file never
 * reports a result or runs a slot.
 */
#ifndef RF_SPLIT_H
#define RF_SPLIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "list.h"

typedef struct rf_client rf_client;
struct rf__req;
struct rf__slot;

#define RF__SPLIT_MAX 64
#define RF__SPLIT_MIN_SEGMENT (2 << 20) /* no segment starts smaller */

struct rf__segment {
	int64_t start, end;  /* [start, end) of the file */
	int64_t landed;      /* every byte below this is on disk */
	int64_t recv;        /* received up to here (for stealing) */
	struct rf__req *req; /* the request fetching it, or NULL when done */
	bool done;
};

struct rf__split {
	struct rf__link link; /* in the client's jobs (freed with it) */
	struct rf__req *leader;
	char *part; /* the shared .part */
	int64_t total;
	char validator[128];
	unsigned want; /* connections asked for */
	struct rf__segment seg[RF__SPLIT_MAX];
	unsigned nseg;
	unsigned active;     /* segments with a request */
	bool leader_waiting; /* the leader's own attempt ended */
	bool restart;        /* validators disagreed: start again, whole */
	int err;             /* the first fatal segment error */
	char detail[300];
	uint64_t bytes;        /* body bytes all segments received */
	unsigned segments_run; /* requests made, stealing included */
};

/* The leader's .part just opened on a 200: split if worth it (children
 * queued, the leader now fetches segment 0).  0, or -ENOMEM. */
int rf__split_start(rf_client *c, struct rf__slot *s);
/* -c on a .part with segment state: the job again, the leader taking the
 * first unfinished segment (true), or false when there is no usable state. */
bool rf__split_resume(rf_client *c, struct rf__slot *s);
/* The end of r's segment now (it moves down when another connection
 * takes its upper half). */
int64_t rf__split_end(const struct rf__req *r);
/* r's segment received up to off. */
void rf__split_received(struct rf__req *r, int64_t off);
/* Where r's segment continues (Range start). */
int64_t rf__split_from(const struct rf__req *r);

enum rf__split_next {
	RF__SPLIT_AGAIN,    /* the client sends this segment's request again */
	RF__SPLIT_WAIT,     /* other segments still run: nothing to do */
	RF__SPLIT_FINALIZE, /* all complete: the leader goes again as a resume
	                       of the complete .part (queued front by the client) */
	RF__SPLIT_RESTART,  /* start again: the leader, whole, from zero */
	RF__SPLIT_FAIL,     /* report the leader with job->err */
};
/* An attempt of segment request r ended: landed = bytes on disk from its
 * start, err/detail why it stopped short (0: it did not), retry = the
 * client would retry it.  RF__SPLIT_AGAIN: the job keeps r for its segment
 * and the client sends it again; otherwise r is done with (a child is then
 * freed by the client, the leader waits for the job) and *leader is the
 * leader when the job is over (the job freed, the leader's r->job NULL). */
enum rf__split_next rf__split_attempt_end(rf_client *c, struct rf__req *r, int64_t landed, uint64_t bytes,
                                          int err, const char *detail, bool retry, struct rf__req **leader);
/* The client is going away: free the jobs still running (their requests
 * are the client's, freed on their own). */
void rf__split_free_all(struct rf__link *jobs);

#endif
