/*
 * test_policy.c - the engine's policy files on their own, with no server:
 * outcome.c (what a finished attempt leads to: report, requeue, retry, and
 * whether its .part is kept), pool.c (origins, the per-host cap, parked
 * requests, the idle LRU) and split.c (segments, stealing, the end of a
 * job).  A client is made over the fake op interface (fake_loop.c); slots
 * and connections are set up by hand in the states each rule is about.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine.h"
#include "fake_loop.h"
#include "pool.h"
#include "queue.h"
#include "tap.h"

static rf_client *client(unsigned max_per_host, unsigned retries)
{
	rf_client_opts opts;
	rf_client_opts_init(&opts);
	opts.max_per_host = max_per_host;
	opts.max_inflight = 4;
	opts.retries = retries;
	opts.retry_delay = 1.0;
	rf_client *c = NULL;
	if (rf_client_new(&opts, &c))
		abort();
	c->now = 1000000000;
	return c;
}

static struct rf__req *req(rf_client *c, const char *url, const char *path, unsigned flags)
{
	rf_request rq = {.url = url, .sink = RF_SINK_FILE, .path = path, .flags = flags};
	int err;
	const char *why;
	struct rf__req *r = rf__req_new(c, &rq, &err, &why);
	if (!r)
		abort();
	return r;
}

/* A slot at the end of an attempt of r. */
static void slot_for(struct rf__slot *s, struct rf__req *r)
{
	memset(s, 0, sizeof(*s));
	s->state = RF__SLOT_FINISHING;
	s->req = r;
	s->sink.ops = &rf__sink_file_ops;
}

/* ---- outcome.c ---- */

static void outcome_success_and_requeue(void)
{
	rf_client *c = client(0, 2);
	struct rf__req *r = req(c, "http://127.0.0.1:1/a", "a", 0);
	struct rf__slot s;
	slot_for(&s, r);
	CHECK(rf__outcome(c, &s)->next == RF__NEXT_REPORT, "a success is reported");
	slot_for(&s, r);
	s.end = RF__END_REQUEUE;
	CHECK(rf__outcome(c, &s)->next == RF__NEXT_REQUEUE, "a redirect or stale retry goes back to the queue");
	slot_for(&s, r);
	s.end = RF__END_REQUEUE;
	c->stopping = true;
	CHECK(rf__outcome(c, &s)->next == RF__NEXT_REPORT, "... unless the run is stopping: reported");
	rf__req_free(r);
	rf_client_free(c);
}

static void outcome_retry_kinds(void)
{
	rf_client *c = client(0, 2);
	struct rf__req *r = req(c, "http://127.0.0.1:1/a", "a", 0);
	struct rf__slot s;
	static const struct {
		int err, status;
		bool local, retried;
		const char *what;
	} cases[] = {
		{-ECONNRESET, 0, false, true, "a reset"},
		{-ECONNREFUSED, 0, false, true, "a refused connection"},
		{RF_EIDLE_TIMEOUT, 0, false, true, "an idle timeout"},
		{RF_ETRUNCATED, 0, false, true, "a truncated body"},
		{RF_EHTTP_STATUS, 503, false, true, "HTTP 503"},
		{RF_EHTTP_STATUS, 429, false, true, "HTTP 429"},
		{RF_EHTTP_STATUS, 404, false, false, "HTTP 404"},
		{RF_EHTTP_STATUS, 501, false, false, "HTTP 501"},
		{-EPIPE, 0, true, false, "a local write error (EPIPE on the output)"},
		{-ENOSPC, 0, true, false, "a full disk"},
		{RF_ECHECKSUM, 0, false, false, "a checksum mismatch (without retry_on_checksum)"},
		{RF_ETLS, 0, false, false, "a TLS failure"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		slot_for(&s, r);
		s.err = cases[i].err;
		s.err_local = cases[i].local;
		s.resp.status = cases[i].status;
		const struct rf__outcome *o = rf__outcome(c, &s);
		CHECK((o->next == RF__NEXT_RETRY) == cases[i].retried, "%s is %sretried", cases[i].what,
		      cases[i].retried ? "" : "not ");
	}
	c->opts.retry_on_checksum = 1;
	slot_for(&s, r);
	s.err = RF_ECHECKSUM;
	s.bytes = 100;
	s.resp.accept_ranges = true;
	const struct rf__outcome *o = rf__outcome(c, &s);
	CHECK(o->next == RF__NEXT_RETRY && !o->keep_part,
	      "with retry_on_checksum a mismatch is retried, from zero (its .part is never kept)");
	rf__req_free(r);
	rf_client_free(c);
}

static void outcome_backoff(void)
{
	rf_client *c = client(0, 5);
	struct rf__req *r = req(c, "http://127.0.0.1:1/a", "a", 0);
	struct rf__slot s;
	bool in_range = true;
	for (unsigned n = 0; n < 4; n++) {
		for (int k = 0; k < 50; k++) {
			r->retries = n;
			slot_for(&s, r);
			s.err = -ECONNRESET;
			const struct rf__outcome *o = rf__outcome(c, &s);
			double d = (double)o->delay / 1e9, base = (double)(1u << n);
			if (o->next != RF__NEXT_RETRY || d < 0.5 * base - 1e-9 || d > 1.5 * base + 1e-9)
				in_range = false;
		}
	}
	CHECK(in_range, "the delay doubles per retry from retry_delay, jittered within 0.5x-1.5x");
	r->retries = 5;
	slot_for(&s, r);
	s.err = -ECONNRESET;
	CHECK(rf__outcome(c, &s)->next == RF__NEXT_REPORT, "no retry once the budget is spent");
	r->retries = 0;
	slot_for(&s, r);
	s.err = RF_EHTTP_STATUS;
	s.resp.status = 503;
	snprintf(s.resp.retry_after, sizeof(s.resp.retry_after), "7");
	const struct rf__outcome *o = rf__outcome(c, &s);
	CHECK(o->next == RF__NEXT_RETRY && o->delay == 7000000000LL, "Retry-After: 7 wins: %lld ns",
	      (long long)o->delay);
	slot_for(&s, r);
	s.err = -ECONNRESET;
	r->deadline = c->now + 100000000; /* 0.1 s left: any backoff passes it */
	r->note[0] = 0;
	CHECK(rf__outcome(c, &s)->next == RF__NEXT_REPORT && strstr(r->note, "--max-time"),
	      "no retry planned past --max-time, and the note says why: %s", r->note);
	r->deadline = 0;
	slot_for(&s, r);
	s.err = -ECONNRESET;
	o = rf__outcome(c, &s);
	enum rf__next first = o->next;
	s.err = RF_EHTTP_STATUS; /* changes after the decision do not change it */
	s.resp.status = 404;
	CHECK(rf__outcome(c, &s) == o && o->next == first && first == RF__NEXT_RETRY,
	      "the decision is taken once per attempt and kept");
	rf__req_free(r);
	rf_client_free(c);
}

static void outcome_keep_part(void)
{
	rf_client *c = client(0, 2);
	struct rf__req *r = req(c, "http://127.0.0.1:1/a", "a", 0);
	struct rf__req *rc = req(c, "http://127.0.0.1:1/a", "a", RF_REQ_RESUME);
	struct rf__slot s;
	slot_for(&s, r);
	s.err = -ECONNRESET;
	s.bytes = 1000;
	s.resp.accept_ranges = true;
	const struct rf__outcome *o = rf__outcome(c, &s);
	CHECK(o->keep_part && o->resume, "a retry of a body the server can range continues its .part");
	slot_for(&s, r);
	s.err = -ECONNRESET;
	s.bytes = 1000;
	o = rf__outcome(c, &s);
	CHECK(o->next == RF__NEXT_RETRY && !o->keep_part,
	      "without Accept-Ranges or a validator the retry starts from zero: .part not kept");
	slot_for(&s, r);
	s.err = -ECONNRESET;
	s.resp.accept_ranges = true;
	CHECK(!rf__outcome(c, &s)->keep_part, "nothing on disk: nothing kept");
	slot_for(&s, r);
	s.err = RF_ECANCELED;
	s.bytes = 10;
	CHECK(rf__outcome(c, &s)->keep_part, "an interrupted transfer keeps its .part for -c");
	slot_for(&s, r);
	s.err = RF_EHTTP_STATUS;
	s.resp.status = 404;
	s.bytes = 10;
	CHECK(!rf__outcome(c, &s)->keep_part, "a final failure without -c drops the .part");
	slot_for(&s, rc);
	s.err = -ECONNRESET;
	s.bytes = 10;
	r->retries = 2;
	rc->retries = 2; /* budget spent: reported, but -c keeps what is resumable */
	o = rf__outcome(c, &s);
	CHECK(o->next == RF__NEXT_REPORT && o->keep_part, "with -c a retryable failure keeps the .part");
	slot_for(&s, rc);
	s.err = -ENOSPC;
	s.err_local = true;
	s.bytes = 10;
	CHECK(!rf__outcome(c, &s)->keep_part, "... but not a local failure");
	rf__req_free(r);
	rf__req_free(rc);
	rf_client_free(c);
}

/* ---- pool.c ---- */

static struct rf__url url_of(const char *s)
{
	struct rf__url u;
	const char *why;
	if (rf__url_parse(s, &u, &why))
		abort();
	return u;
}

static void pool_origins_and_cap(void)
{
	rf_client *c = client(2, 0);
	struct rf__url a = url_of("http://127.0.0.1:8080/x"), a2 = url_of("http://127.0.0.1:8080/y"),
	               b = url_of("http://127.0.0.1:8081/x"), t = url_of("https://127.0.0.1:8080/x");
	struct rf__origin *oa = rf__origin_get(c, &a), *ob = rf__origin_get(c, &b);
	CHECK(oa && oa == rf__origin_get(c, &a2), "one origin per scheme://host:port, whatever the path");
	CHECK(ob && ob != oa && rf__origin_get(c, &t) != oa, "another port or scheme: another origin");
	struct rf__conn *k1 = rf__conn_new(c, oa), *k2 = rf__conn_new(c, oa);
	CHECK(oa->nconns == 2 && rf__origin_at_cap(c, oa) && !rf__origin_at_cap(c, ob),
	      "--max-per-host 2: two connections put the origin at its cap, not another origin");
	struct rf__req *r = req(c, "http://127.0.0.1:8080/z", "z", 0);
	unsigned queued = c->nqueued;
	rf__origin_park(c, oa, r);
	CHECK(oa->nparked == 1 && c->nparked == 1 && c->nqueued == queued,
	      "a request for an origin at its cap is parked (no slot, not queued)");
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	k1->fd = sv[0];
	rf__conn_release(c, k1, true);
	CHECK(c->nidle == 1 && oa->nparked == 0 && c->nqueued == queued + 1 &&
	      rf__queue_pop(c) == r,
	      "a connection back in the pool lets the parked request go, to the queue's front");
	CHECK(!rf__origin_at_cap(c, oa), "an origin with an idle connection is not at its cap");
	struct rf__conn *again = rf__conn_take_idle(c, oa);
	CHECK(again == k1 && c->nidle == 0, "the idle connection is taken for the next request");
	unsigned origins = c->norigins;
	rf__conn_release(c, again, false);
	CHECK(oa->nconns == 1 && c->norigins == origins, "closing counts the connections down");
	rf__conn_release(c, k2, false);
	CHECK(c->norigins == origins - 1, "an origin with no connection and nothing parked is freed");
	close(sv[1]);
	rf__req_free(r);
	rf__url_free(&a);
	rf__url_free(&a2);
	rf__url_free(&b);
	rf__url_free(&t);
	rf_client_free(c);
}

static void pool_idle_lru(void)
{
	rf_client *c = client(0, 0); /* max_inflight 4: at most 4 idle */
	struct rf__conn *k[6];
	int fds[6][2];
	struct rf__origin *o[6];
	for (int i = 0; i < 6; i++) {
		char u[64];
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/", 9000 + i);
		struct rf__url url = url_of(u);
		o[i] = rf__origin_get(c, &url);
		rf__url_free(&url);
		k[i] = rf__conn_new(c, o[i]);
		socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]);
		k[i]->fd = fds[i][0];
	}
	for (int i = 0; i < 6; i++)
		rf__conn_release(c, k[i], true);
	CHECK(c->nidle == 4, "at most max_inflight idle connections are kept: %u", c->nidle);
	CHECK(c->norigins == 4, "the oldest two were closed (their origins, empty, freed): %u origins",
	      c->norigins);
	struct rf__conn *k5 = rf__conn_take_idle(c, o[5]);
	CHECK(k5 == k[5] && c->nidle == 3, "the newest is still there");
	rf__conn_release(c, k5, false);
	c->stopping = true;
	struct rf__conn *k4 = rf__conn_take_idle(c, o[4]);
	rf__conn_release(c, k4, true);
	CHECK(c->nidle == 2 && c->norigins == 2, "a stopping client pools nothing: closed at once");
	for (int i = 0; i < 6; i++)
		close(fds[i][1]);
	rf_client_free(c);
}

/* ---- split.c ---- */

#define MIB (1 << 20)

struct job_fixture {
	rf_client *c;
	struct rf__req *leader;
	struct rf__slot s;
	char dir[64], path[128], part[140];
};

static void job_start(struct job_fixture *f, unsigned split, int64_t total)
{
	f->c = client(0, 2);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rf-policy-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->path, sizeof(f->path), "%s/f", f->dir);
	snprintf(f->part, sizeof(f->part), "%s.part", f->path);
	fclose(fopen(f->part, "w"));
	f->leader = req(f->c, "http://127.0.0.1:1/big", f->path, 0);
	f->leader->split = split;
	slot_for(&f->s, f->leader);
	f->s.sink.part = f->part;
	f->s.resp.status = 200;
	f->s.resp.has_length = true;
	f->s.resp.content_length = (uint64_t)total;
	f->s.resp.accept_ranges = true;
	snprintf(f->s.resp.etag, sizeof(f->s.resp.etag), "\"v1\"");
}

static void job_end(struct job_fixture *f)
{
	struct rf__req *r;
	while ((r = rf__queue_pop(f->c)))
		rf__req_free(r);
	rf__req_free(f->leader);
	rf_client_free(f->c); /* frees a job still running */
	unlink(f->part);
	rmdir(f->dir);
}

static void split_segments(void)
{
	struct job_fixture f;
	job_start(&f, 4, 16 * MIB + 3);
	CHECK(rf__split_start(f.c, &f.s) == 0 && f.leader->job, "a 16 MiB body with ranges and an ETag splits");
	struct rf__split *j = f.leader->job;
	bool tiled = j->nseg == 4 && j->seg[0].start == 0 && j->seg[3].end == 16 * MIB + 3;
	for (unsigned i = 1; i < j->nseg; i++)
		tiled &= j->seg[i].start == j->seg[i - 1].end;
	CHECK(tiled, "4 segments tile [0, total) with no gap or overlap");
	CHECK(f.c->nqueued == 3 && f.leader->seg == 0 && rf__split_from(f.leader) == 0 &&
	      rf__split_end(f.leader) == j->seg[0].end,
	      "the leader keeps segment 0; a child request per other segment is queued");
	char state[512];
	ssize_t n = getxattr(f.part, "user.ringfetch.segments", state, sizeof(state) - 1);
	CHECK(n < 0 || (state[n] = 0, strncmp(state, "ringfetch-segments 1 ", 21) == 0),
	      "the segments are recorded on the .part (where user xattrs exist)");
	job_end(&f);

	job_start(&f, 8, 5 * MIB);
	rf__split_start(f.c, &f.s);
	CHECK(f.leader->job && f.leader->job->nseg == 2,
	      "no segment smaller than 2 MiB: 5 MiB makes 2 segments, not 8");
	job_end(&f);

	job_start(&f, 4, 16 * MIB);
	f.s.resp.etag[0] = 0;
	rf__split_start(f.c, &f.s);
	CHECK(!f.leader->job, "no ETag or Last-Modified: one connection (nothing holds segments together)");
	job_end(&f);

	job_start(&f, 4, 16 * MIB);
	snprintf(f.s.resp.etag, sizeof(f.s.resp.etag), "W/\"weak\"");
	rf__split_start(f.c, &f.s);
	CHECK(!f.leader->job, "a weak ETag alone does not hold segments together");
	job_end(&f);
}

/* End every segment's attempt as complete, children first; returns what
 * the last one said. */
static enum rf__split_next finish_all(struct job_fixture *f, struct rf__req **leader, unsigned *finals)
{
	enum rf__split_next next = RF__SPLIT_WAIT;
	*finals = 0;
	struct rf__req *r;
	while ((r = rf__queue_pop(f->c))) {
		int64_t len = rf__split_end(r) - rf__split_from(r);
		next = rf__split_attempt_end(f->c, r, rf__split_end(r), (uint64_t)len, 0, "", false, leader);
		if (next != RF__SPLIT_WAIT)
			(*finals)++;
		rf__req_free(r);
	}
	struct rf__split *j = f->leader->job;
	if (j && j->seg[f->leader->seg].req == f->leader) {
		int64_t len = rf__split_end(f->leader) - rf__split_from(f->leader);
		next = rf__split_attempt_end(f->c, f->leader, rf__split_end(f->leader), (uint64_t)len, 0, "",
		                             false, leader);
		if (next != RF__SPLIT_WAIT)
			(*finals)++;
	}
	return next;
}

static void split_job_ends(void)
{
	struct job_fixture f;
	struct rf__req *leader;
	unsigned finals;
	job_start(&f, 4, 16 * MIB);
	rf__split_start(f.c, &f.s);
	/* the leader's segment ends first and steals: one more child */
	int64_t len0 = rf__split_end(f.leader);
	enum rf__split_next next = rf__split_attempt_end(f.c, f.leader, len0, (uint64_t)len0, 0, "", false,
	                                                 &leader);
	CHECK(next == RF__SPLIT_WAIT && f.c->nqueued == 4,
	      "a finished segment takes the upper half of the largest one still running (a 4th child)");
	next = finish_all(&f, &leader, &finals);
	CHECK(next == RF__SPLIT_FINALIZE && finals == 1 && leader == f.leader && !f.leader->job &&
	      f.leader->split_done && f.leader->split_bytes == 16 * MIB,
	      "when every segment is complete the job says FINALIZE once, with every byte counted (%llu)",
	      (unsigned long long)f.leader->split_bytes);
	job_end(&f);

	job_start(&f, 3, 12 * MIB);
	rf__split_start(f.c, &f.s);
	struct rf__req *child = rf__queue_pop(f.c);
	int64_t start = rf__split_from(child);
	next = rf__split_attempt_end(f.c, child, start + 100, 100, -ECONNRESET, "reset", true, &leader);
	CHECK(next == RF__SPLIT_AGAIN && rf__split_from(child) == start + 100,
	      "a retried segment goes again from where its bytes landed (an absolute offset)");
	next = rf__split_attempt_end(f.c, child, start + 100, 0, RF_ERANGE, "changed", false, &leader);
	rf__req_free(child);
	CHECK(next == RF__SPLIT_WAIT, "a segment answered with another version: the others still run");
	next = finish_all(&f, &leader, &finals);
	CHECK(next == RF__SPLIT_RESTART && leader == f.leader && f.leader->split == 1 && f.leader->fresh &&
	      access(f.part, F_OK) != 0,
	      "... then the job restarts whole over one connection, its .part removed");
	job_end(&f);

	job_start(&f, 2, 8 * MIB);
	rf__split_start(f.c, &f.s);
	child = rf__queue_pop(f.c);
	next = rf__split_attempt_end(f.c, child, rf__split_from(child), 0, RF_EHTTP_STATUS, "HTTP 500", false,
	                             &leader);
	rf__req_free(child);
	int64_t l0 = rf__split_end(f.leader);
	next = rf__split_attempt_end(f.c, f.leader, l0, (uint64_t)l0, 0, "", false, &leader);
	CHECK(next == RF__SPLIT_FAIL && leader == f.leader && f.leader->split_err == RF_EHTTP_STATUS &&
	      strstr(f.leader->split_detail, "HTTP 500"),
	      "a segment that fails for good fails the job, naming the segment: %s",
	      f.leader->split_detail ? f.leader->split_detail : "(none)");
	job_end(&f);

	/* torn down with segments running: rf_client_free frees the job */
	job_start(&f, 4, 16 * MIB);
	rf__split_start(f.c, &f.s);
	CHECK(f.leader->job != NULL, "a job still running when the client is freed (ASan: no leak)");
	job_end(&f);
}

int main(void)
{
	struct fake_config cfg = {.seed = 1};
	fake_setup(&cfg);
	outcome_success_and_requeue();
	outcome_retry_kinds();
	outcome_backoff();
	outcome_keep_part();
	pool_origins_and_cap();
	pool_idle_lru();
	split_segments();
	split_job_ends();
	return tap_done();
}
