/*
 * resolver_system.c - getaddrinfo() on two threads (--resolver system).
 *
 * For hosts whose names come from nsswitch modules (mDNS, LDAP,
 * systemd-resolved's NSS) that only the C library's resolver reaches.
 * getaddrinfo() blocks, so it runs off the loop thread: two threads take
 * jobs (a copy of the name) from a list and post them to a done list, then
 * write an eventfd; the loop keeps one read armed on it (RF__OP_WAKE) and
 * copies each job's answer into its query on the loop thread.  At most two
 * lookups are in flight.
 *
 * getaddrinfo() cannot be cancelled, so freeing does not wait for it: the
 * threads are detached, and the shared part (lists, eventfd) belongs to
 * whoever is last, the resolver or a thread still in a lookup; a query is
 * never touched by a thread, so nothing a thread writes outlives its owner.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resolver.h"

#define RESOLVER_THREADS 2

struct job {
	struct job *next;
	struct rf__resolver_query *q; /* only dereferenced on the loop thread */
	char *host;
	int family;
	enum rf__dns_status status;
	struct rf__addrlist *addrs;
	char detail[128];
};

/* What the threads share with the loop thread; freed by the last user. */
struct core {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned users; /* the resolver, and each thread */
	bool stopping;
	int efd;
	struct job *todo, *todo_tail, *done, *done_tail;
};

struct sysres {
	struct rf__loop *loop;
	struct core *core;
	uint64_t efd_buf;
	unsigned nthreads;
	unsigned pending;
};

static enum rf__dns_status status_of(int gai)
{
	switch (gai) {
	case 0:
		return RF__DNS_OK;
	case EAI_NONAME:
		return RF__DNS_NXDOMAIN;
#ifdef EAI_NODATA
	case EAI_NODATA:
		return RF__DNS_NODATA;
#endif
	case EAI_ADDRFAMILY:
		return RF__DNS_NODATA;
	case EAI_AGAIN:
		return RF__DNS_TIMEOUT;
	case EAI_MEMORY:
		return RF__DNS_NOMEM;
	default:
		return RF__DNS_OTHER;
	}
}

static void resolve(struct job *j)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = j->family;
	hints.ai_socktype = SOCK_STREAM;
	int gai = getaddrinfo(j->host, NULL, &hints, &res);
	unsigned n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n += ai->ai_family == AF_INET || ai->ai_family == AF_INET6;
	if (!gai && n == 0)
		gai = EAI_NONAME;
	j->status = status_of(gai);
	if (!gai) {
		j->addrs = rf__addrlist_new(n);
		if (!j->addrs) {
			j->status = RF__DNS_NOMEM;
		} else {
			j->addrs->n = 0;
			for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
				if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
				    ai->ai_addrlen <= sizeof(j->addrs->a[0]))
					memcpy(&j->addrs->a[j->addrs->n++], ai->ai_addr, ai->ai_addrlen);
		}
	} else {
		snprintf(j->detail, sizeof(j->detail), "%s", gai_strerror(gai));
	}
	if (res)
		freeaddrinfo(res);
}

static void free_jobs(struct job *j)
{
	for (struct job *next; j; j = next) {
		next = j->next;
		rf__addrlist_unref(j->addrs);
		free(j->host);
		free(j);
	}
}

/* One user of the core is done with it (mu held); the last frees it. */
static void core_leave(struct core *k)
{
	bool last = --k->users == 0;
	pthread_mutex_unlock(&k->mu);
	if (!last)
		return;
	free_jobs(k->todo);
	free_jobs(k->done);
	close(k->efd);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k);
}

static void post_done(struct core *k, struct job *j)
{
	j->next = NULL;
	if (k->done_tail)
		k->done_tail->next = j;
	else
		k->done = j;
	k->done_tail = j;
}

static void *resolver_main(void *arg)
{
	struct core *k = arg;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->todo && !k->stopping)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->stopping)
			break;
		struct job *j = k->todo;
		k->todo = j->next;
		if (!k->todo)
			k->todo_tail = NULL;
		pthread_mutex_unlock(&k->mu);
		resolve(j);
		pthread_mutex_lock(&k->mu);
		post_done(k, j);
		uint64_t one = 1;
		ssize_t w = write(k->efd, &one, sizeof(one));
		(void)w; /* an eventfd write only fails on counter overflow */
	}
	core_leave(k);
	return NULL;
}

static void arm(struct sysres *d)
{
	rf__op_read(d->loop, rf__tag_make(RF__OWNER_DNS, RF__OP_WAKE, 0, 0), d->core->efd, &d->efd_buf,
	            sizeof(d->efd_buf));
}

static void sys_start(void *r, struct rf__resolver_query *q)
{
	struct sysres *d = r;
	struct core *k = d->core;
	struct job *j = calloc(1, sizeof(*j));
	char *host = strdup(q->host);
	d->pending++;
	if (!j || !host) {
		free(j);
		free(host);
		q->status = RF__DNS_NOMEM;
		snprintf(q->detail, sizeof(q->detail), "out of memory");
		j = calloc(1, sizeof(*j)); /* an answer must still come back */
		if (!j)
			abort();
		j->q = q;
		j->status = RF__DNS_NOMEM;
		snprintf(j->detail, sizeof(j->detail), "out of memory");
		pthread_mutex_lock(&k->mu);
		post_done(k, j);
		pthread_mutex_unlock(&k->mu);
		return;
	}
	j->q = q;
	j->host = host;
	j->family = q->family;
	pthread_mutex_lock(&k->mu);
	if (k->todo_tail)
		k->todo_tail->next = j;
	else
		k->todo = j;
	k->todo_tail = j;
	if (d->nthreads < RESOLVER_THREADS) {
		pthread_t t;
		k->users++;
		if (pthread_create(&t, NULL, resolver_main, k) == 0) {
			pthread_detach(t);
			d->nthreads++;
		} else {
			k->users--;
		}
	}
	bool here = d->nthreads == 0;
	if (here) /* no thread could start: resolve here rather than never */
		k->todo = k->todo_tail = NULL;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	if (here) {
		resolve(j);
		pthread_mutex_lock(&k->mu);
		post_done(k, j);
		pthread_mutex_unlock(&k->mu);
	}
}

static struct rf__resolver_query *sys_take_done(void *r)
{
	struct sysres *d = r;
	pthread_mutex_lock(&d->core->mu);
	struct job *done = d->core->done;
	d->core->done = d->core->done_tail = NULL;
	pthread_mutex_unlock(&d->core->mu);
	struct rf__resolver_query *head = NULL, **tail = &head;
	for (struct job *j = done, *next; j; j = next) {
		next = j->next;
		struct rf__resolver_query *q = j->q;
		q->status = j->status;
		q->addrs = j->addrs;
		q->ttl = 0; /* getaddrinfo does not say */
		memcpy(q->detail, j->detail,
		       sizeof(q->detail) < sizeof(j->detail) ? sizeof(q->detail) : sizeof(j->detail));
		q->detail[sizeof(q->detail) - 1] = 0;
		q->next = NULL;
		*tail = q;
		tail = &q->next;
		free(j->host);
		free(j);
		d->pending--;
	}
	return head;
}

static void sys_on_op(void *r, rf__tag t, int res)
{
	(void)t;
	(void)res;
	arm(r); /* answers are taken by take_done */
}

static int64_t sys_deadline(void *r, int64_t now)
{
	(void)r;
	(void)now;
	return INT64_MAX;
}

static void sys_on_time(void *r)
{
	(void)r;
}

static unsigned sys_pending(const void *r)
{
	return ((const struct sysres *)r)->pending;
}

static void sys_free(void *r)
{
	struct sysres *d = r;
	if (!d)
		return;
	pthread_mutex_lock(&d->core->mu);
	d->core->stopping = true;
	pthread_cond_broadcast(&d->core->cv);
	core_leave(d->core); /* a thread still in getaddrinfo frees it later */
	free(d);
}

static const struct rf__resolver_ops system_ops = {
	.name = "getaddrinfo",
	.both_families_at_once = true,
	.start = sys_start,
	.take_done = sys_take_done,
	.on_op = sys_on_op,
	.deadline = sys_deadline,
	.on_time = sys_on_time,
	.pending = sys_pending,
	.free = sys_free,
};

int rf__resolver_system_new(struct rf__loop *loop, const struct rf__resolver_ops **ops, void **out, char *why,
                            size_t why_len)
{
	struct sysres *d = calloc(1, sizeof(*d));
	struct core *k = calloc(1, sizeof(*k));
	if (!d || !k) {
		free(d);
		free(k);
		return -ENOMEM;
	}
	k->efd = eventfd(0, EFD_CLOEXEC);
	if (k->efd < 0) {
		int e = -errno;
		snprintf(why, why_len, "eventfd: %s", strerror(errno));
		free(d);
		free(k);
		return e;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	k->users = 1;
	d->loop = loop;
	d->core = k;
	arm(d);
	*ops = &system_ops;
	*out = d;
	return 0;
}
