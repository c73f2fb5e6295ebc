/*
 * queue.c - requests: their creation from the API, and the ready queue.
 *
 * The ready queue is a FIFO; redirects, stale-connection retries and
 * requests released by the per-host cap go to its front, so a request that
 * has started is finished before new ones begin.  New requests are pulled
 * from the source only when a slot is free and the queue is empty (see
 * client.c), so the queue never holds more than the caller submitted
 * directly plus what is in flight.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "queue.h"

void rf__queue_push_front(rf_client *c, struct rf__req *r)
{
	assert(r && r != c->q_head && (!c->q_head) == (!c->q_tail));
	r->next = c->q_head;
	c->q_head = r;
	if (!c->q_tail)
		c->q_tail = r;
	c->nqueued++;
}

void rf__queue_push_back(rf_client *c, struct rf__req *r)
{
	assert(r && r != c->q_tail && (!c->q_head) == (!c->q_tail));
	r->next = NULL;
	if (c->q_tail)
		c->q_tail->next = r;
	else
		c->q_head = r;
	c->q_tail = r;
	c->nqueued++;
}

struct rf__req *rf__queue_pop(rf_client *c)
{
	struct rf__req *r = c->q_head;
	if (!r)
		return NULL;
	assert(c->nqueued > 0);
	c->q_head = r->next;
	if (!c->q_head)
		c->q_tail = NULL;
	r->next = NULL;
	c->nqueued--;
	return r;
}

void rf__req_free(struct rf__req *r)
{
	if (!r)
		return;
	rf__url_free(&r->u);
	rf__auth_free(&r->auth);
	if (r->cur_url != r->url)
		free(r->cur_url);
	free(r->url);
	if (r->shown_url != r->url)
		free(r->shown_url);
	free(r->path);
	free(r->kept_part);
	free(r->range);
	free(r->visited);
	free(r->split_detail);
	free(r); /* a job it leads is the client's (rf__split_free_all) */
}

struct rf__req *rf__req_segment(const struct rf__req *leader)
{
	struct rf__req *r = rf__calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	const char *why;
	r->url = rf__strdup(leader->cur_url);
	r->path = rf__strdup(leader->path);
	r->shown_url = r->url;
	r->cur_url = r->url;
	if (!r->url || !r->path || rf__url_parse(r->url, &r->u, &why) ||
	    rf__auth_copy(&r->auth, &leader->auth)) {
		rf__req_free(r);
		return NULL;
	}
	if (leader->shown_url != leader->url && !(r->shown_url = rf__strdup(leader->shown_url))) {
		r->shown_url = r->url;
		rf__req_free(r);
		return NULL;
	}
	r->sink = RF_SINK_FILE;
	r->fd = -1;
	r->flags = leader->flags & ~(unsigned)RF_REQ_MIRROR;
	r->t_start = leader->t_start;
	r->deadline = leader->deadline;
	return r;
}

struct rf__req *rf__req_new(const rf_client *c, const rf_request *rq, int *err, const char **why)
{
	*why = "";
	if (!rq || !rq->url) {
		*err = RF_EINVAL;
		*why = "no URL";
		return NULL;
	}
	if ((rq->flags & RF_REQ_MIRROR) && (rq->flags & RF_REQ_RESUME)) {
		*err = RF_EINVAL;
		*why = "mirroring and resuming cannot be combined";
		return NULL;
	}
	if (rq->range) {
		size_t a = strspn(rq->range, "0123456789");
		size_t b = rq->range[a] == '-' ? strspn(rq->range + a + 1, "0123456789") : 0;
		if (rq->range[a] != '-' || rq->range[a + 1 + b] || (a == 0 && b == 0) || a > 18 || b > 18 ||
		    (a && b && strtoll(rq->range, NULL, 10) > strtoll(rq->range + a + 1, NULL, 10))) {
			*err = RF_EINVAL;
			*why = "a range is A-B, A- or -N (bytes, A <= B)";
			return NULL;
		}
		if (rq->flags & (RF_REQ_RESUME | RF_REQ_MIRROR) || rq->split > 1) {
			*err = RF_EINVAL;
			*why = "a range cannot be combined with resuming, mirroring or splitting";
			return NULL;
		}
	}
	for (size_t i = 0; i < sizeof(rq->reserved) / sizeof(rq->reserved[0]); i++) {
		if (rq->reserved[i] || rq->reserved_u) {
			*err = RF_EINVAL;
			*why = "reserved fields must be zero";
			return NULL;
		}
	}
	struct rf__req *r = rf__calloc(1, sizeof(*r));
	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->url = rf__strdup(rq->url);
	r->path = rq->path ? rf__strdup(rq->path) : NULL;
	r->range = rq->range ? rf__strdup(rq->range) : NULL;
	if (r->url && strchr(r->url, '@')) { /* maybe userinfo: a redacted copy */
		size_t shown_cap = strlen(rq->url) + 1;
		if ((r->shown_url = rf__malloc(shown_cap)))
			rf__url_redact(rq->url, r->shown_url, shown_cap);
	} else {
		r->shown_url = r->url;
	}
	if (!r->url || !r->shown_url || (rq->path && !r->path) || (rq->range && !r->range)) {
		rf__req_free(r);
		*err = -ENOMEM;
		return NULL;
	}
	r->cur_url = r->url;
	*err = rf__url_parse(r->url, &r->u, why);
	if (*err) {
		rf__req_free(r);
		return NULL;
	}
	*err = rf__auth_init(&r->auth, &r->u, c->opts.user, c->netrc, c->netrc_len, c->header_creds);
	if (*err) {
		rf__req_free(r);
		return NULL;
	}
	if (rq->checksum) {
		*err = rf__checksum_parse(rq->checksum, &r->check_algo, r->check_want, &r->check_len, why);
		if (*err) {
			rf__req_free(r);
			return NULL;
		}
	}
	r->resume = (rq->flags & RF_REQ_RESUME) != 0;
	r->sink = rq->sink;
	r->fd = rq->fd;
	r->on_body = rq->on_body;
	r->user = rq->user;
	r->flags = rq->flags;
	r->split = rq->split;
	return r;
}
