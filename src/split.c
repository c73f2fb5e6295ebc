/*
 * split.c - segmented downloads: the job, its segments and their state on
 * disk (see split.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "alloc.h"
#include "engine.h"
#include "queue.h"

#define STATE_XATTR "user.ringfetch.segments"
#define STEAL_MIN (1 << 20)    /* a segment is halved only above 2 of these */
#define STEAL_ALIGN (64 << 10) /* boundaries on 64 KiB */

/* The job's segments, for -c: "ringfetch-segments 1 TOTAL\nVALIDATOR\n"
 * then "START LANDED END" per segment.  False when it could not be
 * stored (no user xattrs here). */
static bool save_state(struct rf__split *j)
{
	char text[128 + 64 + RF__SPLIT_MAX * 64];
	int n = snprintf(text, sizeof(text), "ringfetch-segments 1 %" PRId64 "\n%s\n", j->total,
	                 j->validator);
	for (unsigned i = 0; i < j->nseg && n > 0 && (size_t)n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%" PRId64 " %" PRId64 " %" PRId64 "\n",
		              j->seg[i].start, j->seg[i].done ? j->seg[i].end : j->seg[i].landed,
		              j->seg[i].end);
	if (n <= 0 || (size_t)n >= sizeof(text))
		return false;
	return setxattr(j->part, STATE_XATTR, text, (size_t)n, 0) == 0;
}

/* What of the .part is certainly data: the complete prefix. */
static int64_t complete_prefix(const struct rf__split *j)
{
	int64_t covered = 0;
	for (bool grew = true; grew;) {
		grew = false;
		for (unsigned i = 0; i < j->nseg; i++) {
			int64_t upto = j->seg[i].done ? j->seg[i].end : j->seg[i].landed;
			if (j->seg[i].start <= covered && upto > covered) {
				covered = upto;
				grew = true;
			}
		}
	}
	return covered;
}

static void job_free(struct rf__split *j)
{
	rf__list_del(&j->link);
	free(j->part);
	free(j);
}

void rf__split_free_all(struct rf__link *jobs)
{
	while (!rf__list_empty(jobs))
		job_free(rf__container_of(jobs->next, struct rf__split, link));
}

/* A job is the client's (its jobs list) from here until job_free. */
static struct rf__split *job_new(rf_client *c, struct rf__req *leader, const char *part, int64_t total,
                                 const char *validator)
{
	struct rf__split *j = rf__calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	if (!(j->part = rf__strdup(part))) {
		free(j);
		return NULL;
	}
	rf__list_push(&c->split_jobs, &j->link);
	j->leader = leader;
	j->total = total;
	snprintf(j->validator, sizeof(j->validator), "%s", validator);
	return j;
}

/* A request for segment i, queued at the front.  False when out of memory
 * (the segment then waits for a connection that finishes). */
static bool start_child(rf_client *c, struct rf__split *j, unsigned i)
{
	struct rf__req *r = rf__req_segment(j->leader);
	if (!r)
		return false;
	r->job = j;
	r->seg = i;
	j->seg[i].req = r;
	j->active++;
	j->segments_run++;
	rf__queue_push_front(c, r);
	return true;
}

static void adopt_leader(struct rf__split *j, unsigned i)
{
	j->leader->job = j;
	j->leader->job_leader = true;
	j->leader->seg = i;
	j->seg[i].req = j->leader;
	j->active++;
	j->segments_run++;
}

int rf__split_start(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	const struct rf__response *h = &s->resp;
	if (r->split < 2 || r->job || h->status != 200 || !h->has_length || !h->accept_ranges)
		return 0;
	const char *v = h->etag[0] && strncmp(h->etag, "W/", 2) != 0 ? h->etag : h->last_modified;
	if (!v[0])
		return 0; /* nothing to hold the segments together: one connection */
	int64_t total = (int64_t)h->content_length;
	unsigned n = r->split < RF__SPLIT_MAX ? r->split : RF__SPLIT_MAX;
	if ((int64_t)n > total / RF__SPLIT_MIN_SEGMENT)
		n = (unsigned)(total / RF__SPLIT_MIN_SEGMENT);
	if (n < 2)
		return 0;
	struct rf__split *j = job_new(c, r, s->sink.part, total, v);
	if (!j)
		return -ENOMEM;
	j->want = n;
	j->nseg = n;
	for (unsigned i = 0; i < n; i++) {
		j->seg[i].start = j->seg[i].landed = j->seg[i].recv = total / n * i;
		j->seg[i].end = i + 1 < n ? total / n * (i + 1) : total;
	}
	adopt_leader(j, 0);
	for (unsigned i = 1; i < n; i++) {
		if (!start_child(c, j, i)) { /* the rest stays with the last one queued */
			j->seg[i - 1].end = total;
			j->nseg = i;
			break;
		}
	}
	save_state(j);
	return 0;
}

/* Parse the state text; false if it is not ours or does not add up. */
static bool parse_state(const char *text, struct rf__split *j)
{
	const char *p = text;
	int used = 0;
	if (sscanf(p, "ringfetch-segments 1 %" SCNd64 "\n%n", &j->total, &used) != 1 || j->total <= 0)
		return false;
	p += used;
	const char *nl = strchr(p, '\n');
	if (!nl || (size_t)(nl - p) >= sizeof(j->validator) || nl == p)
		return false;
	memcpy(j->validator, p, (size_t)(nl - p));
	j->validator[nl - p] = 0;
	p = nl + 1;
	while (*p) {
		struct rf__segment *g = &j->seg[j->nseg];
		if (j->nseg == RF__SPLIT_MAX || sscanf(p, "%" SCNd64 " %" SCNd64 " %" SCNd64 "\n%n",
		                                       &g->start, &g->landed, &g->end, &used) != 3)
			return false;
		if (g->start < 0 || g->landed < g->start || g->end < g->landed || g->end > j->total)
			return false;
		g->recv = g->landed;
		g->done = g->landed == g->end;
		j->nseg++;
		p += used;
	}
	/* the segments must cover the file exactly once */
	int64_t covered = 0;
	for (bool grew = true; grew;) {
		grew = false;
		for (unsigned i = 0; i < j->nseg; i++) {
			if (j->seg[i].start == covered && j->seg[i].end > covered) {
				covered = j->seg[i].end;
				grew = true;
			}
		}
	}
	return j->nseg > 0 && covered == j->total;
}

bool rf__split_resume(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	char text[128 + 64 + RF__SPLIT_MAX * 64];
	ssize_t len = getxattr(s->sink.part, STATE_XATTR, text, sizeof(text) - 1);
	if (len <= 0)
		return false;
	text[len] = 0;
	struct rf__split *j = job_new(c, r, s->sink.part, 0, "");
	if (!j)
		return false;
	if (!parse_state(text, j)) {
		job_free(j);
		return false;
	}
	int first = -1;
	for (unsigned i = 0; i < j->nseg; i++)
		if (!j->seg[i].done && first < 0)
			first = (int)i;
	if (first < 0) { /* every segment complete: an ordinary resume */
		removexattr(s->sink.part, STATE_XATTR);
		job_free(j);
		return false;
	}
	j->want = r->split > 1 ? r->split : j->nseg;
	adopt_leader(j, (unsigned)first);
	for (unsigned i = (unsigned)first + 1; i < j->nseg; i++)
		if (!j->seg[i].done)
			start_child(c, j, i);
	return true;
}

int64_t rf__split_end(const struct rf__req *r)
{
	assert(r->job && r->seg < r->job->nseg);
	return r->job->seg[r->seg].end;
}

int64_t rf__split_from(const struct rf__req *r)
{
	assert(r->job && r->seg < r->job->nseg);
	return r->job->seg[r->seg].landed;
}

void rf__split_received(struct rf__req *r, int64_t off)
{
	struct rf__segment *g = &r->job->seg[r->seg];
	if (off > g->recv)
		g->recv = off;
}

/* A connection is free: it takes the upper half of the largest segment
 * still running, if that is worth it. */
static void steal(rf_client *c, struct rf__split *j)
{
	if (j->nseg == RF__SPLIT_MAX)
		return;
	int best = -1;
	int64_t best_left = 0;
	for (unsigned i = 0; i < j->nseg; i++) {
		struct rf__segment *g = &j->seg[i];
		int64_t at = g->recv > g->landed ? g->recv : g->landed;
		if (g->req && !g->done && g->end - at > best_left) {
			best = (int)i;
			best_left = g->end - at;
		}
	}
	if (best < 0 || best_left < 2 * STEAL_MIN)
		return;
	struct rf__segment *g = &j->seg[best];
	int64_t at = g->recv > g->landed ? g->recv : g->landed;
	int64_t mid = (at + best_left / 2) / STEAL_ALIGN * STEAL_ALIGN;
	if (mid <= at || mid >= g->end)
		return;
	assert(j->nseg < RF__SPLIT_MAX && g->start <= at);
	struct rf__segment *n = &j->seg[j->nseg];
	*n = (struct rf__segment){.start = mid, .end = g->end, .landed = mid, .recv = mid};
	j->nseg++;
	int64_t old_end = g->end;
	g->end = mid;
	if (!start_child(c, j, j->nseg - 1)) {
		g->end = old_end; /* out of memory: it keeps its half */
		j->nseg--;
	}
}

enum rf__split_next rf__split_attempt_end(rf_client *c, struct rf__req *r, int64_t landed, uint64_t bytes,
                                          int err, const char *detail, bool retry, struct rf__req **leader)
{
	struct rf__split *j = r->job;
	struct rf__segment *g = &j->seg[r->seg];
	assert(g->req == r && j->active > 0); /* the segment's own request */
	*leader = NULL;
	if (landed > g->end)
		landed = g->end;
	if (landed > g->landed)
		g->landed = landed;
	if (g->recv < g->landed)
		g->recv = g->landed;
	j->bytes += bytes;
	bool complete = g->landed >= g->end;
	if (retry && !complete && !j->restart && !j->err) {
		g->recv = g->landed; /* it continues from what landed */
		save_state(j);
		return RF__SPLIT_AGAIN;
	}
	g->req = NULL;
	j->active--;
	if (r == j->leader)
		j->leader_waiting = true;
	else
		r->job = NULL; /* the client frees it */
	if (complete) {
		g->done = true;
	} else if (err == RF_ERANGE) {
		j->restart = true;
	} else if (!j->err) {
		j->err = err ? err : RF_ETRUNCATED;
		snprintf(j->detail, sizeof(j->detail), "segment %" PRId64 "-%" PRId64 ": %s", g->start,
		         g->end, detail && detail[0] ? detail : rf_strerror(j->err));
	}
	if (complete && !j->restart && !j->err)
		steal(c, j);
	if (j->active)
		return RF__SPLIT_WAIT;
	/* every segment has stopped: the job is over */
	struct rf__req *l = j->leader;
	*leader = l;
	l->job = NULL;
	l->job_leader = false;
	enum rf__split_next next;
	if (j->restart) {
		unlink(j->part); /* nothing of it is trusted */
		snprintf(l->note, sizeof(l->note),
		         "the file changed during the segmented download: "
		         "fetched again over one connection");
		l->split = 1;
		l->fresh = true;
		l->resume = false;
		next = RF__SPLIT_RESTART;
	} else if (j->err) {
		if (j->err != RF_ECANCELED && !(l->flags & RF_REQ_RESUME)) {
			unlink(j->part); /* not worth resuming, as for any failure */
		} else if (!save_state(j)) {
			/* no xattrs: -c may only trust the complete prefix */
			if (truncate(j->part, complete_prefix(j)) != 0)
				unlink(j->part);
		}
		l->split_err = j->err;
		free(l->split_detail);
		l->split_detail = rf__strdup(j->detail);
		next = RF__SPLIT_FAIL;
	} else {
		removexattr(j->part, STATE_XATTR);
		snprintf(l->note, sizeof(l->note), "fetched in %u segments over up to %u connections",
		         j->segments_run, j->want);
		l->split_done = true;
		l->resume = true;
		l->fresh = false;
		free(l->kept_part);
		l->kept_part = rf__strdup(j->part);
		next = RF__SPLIT_FINALIZE;
	}
	l->split_bytes += j->bytes;
	job_free(j);
	return next;
}
