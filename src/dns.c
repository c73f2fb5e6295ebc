/*
 * dns.c - name resolution off the loop thread, with a per-host cache.
 *
 * getaddrinfo() blocks, so it is the one thing that runs off the loop
 * thread: a small pool of resolver threads takes jobs from a queue and
 * posts answers to a done list, then writes an eventfd.  The loop keeps one
 * ring read armed on that eventfd; when it completes, rf__dns_on_wake()
 * copies the answers into the cache entries on the loop thread, so entries
 * are only ever touched by the loop thread.
 *
 * getaddrinfo() honours /etc/hosts and nsswitch and orders addresses by RFC
 * 6724; the engine tries them in that order.  Entries live for the run
 * (no TTL: runs are short next to DNS TTLs); the cache is capped and, when
 * full, forgets finished entries.
 */
#include "alloc.h"
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hash.h"

#define RESOLVER_THREADS 2
#define CACHE_BUCKETS 1024
#define CACHE_MAX 4096

struct job {
	struct job *next;
	struct rf__dns_entry *entry; /* only dereferenced on the loop thread */
	char *host;                  /* the thread's own copy */
	int gai_err;
	struct rf__dns_addrs addrs;
};

struct rf__dns {
	struct rf__loop *loop;
	rf__tag wake_tag;
	int efd;
	uint64_t efd_buf;
	pthread_t threads[RESOLVER_THREADS];
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	struct job *todo, *todo_tail, *done;
	struct rf__dns_entry *buckets[CACHE_BUCKETS];
	unsigned count;
	unsigned pending;
};

static void resolve(struct job *j)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	j->gai_err = getaddrinfo(j->host, NULL, &hints, &res);
	j->addrs.n = 0;
	for (struct addrinfo *ai = res; ai && j->addrs.n < RF_DNS_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&j->addrs.addr[j->addrs.n], ai->ai_addr, ai->ai_addrlen);
		j->addrs.len[j->addrs.n] = ai->ai_addrlen;
		j->addrs.n++;
	}
	if (res)
		freeaddrinfo(res);
	if (!j->gai_err && j->addrs.n == 0)
		j->gai_err = EAI_NONAME;
}

static void *resolver_main(void *arg)
{
	struct rf__dns *d = arg;
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->todo && !d->stopping)
			pthread_cond_wait(&d->cv, &d->mu);
		if (d->stopping)
			break;
		struct job *j = d->todo;
		d->todo = j->next;
		if (!d->todo)
			d->todo_tail = NULL;
		pthread_mutex_unlock(&d->mu);
		resolve(j);
		pthread_mutex_lock(&d->mu);
		j->next = d->done;
		d->done = j;
		uint64_t one = 1;
		ssize_t w = write(d->efd, &one, sizeof(one));
		(void)w; /* an eventfd write only fails on counter overflow */
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static void arm(struct rf__dns *d)
{
	rf__op_read(d->loop, d->wake_tag, d->efd, &d->efd_buf, sizeof(d->efd_buf));
}

int rf__dns_new(struct rf__loop *loop, rf__tag wake_tag, struct rf__dns **out)
{
	struct rf__dns *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->loop = loop;
	d->wake_tag = wake_tag;
	d->efd = eventfd(0, EFD_CLOEXEC);
	if (d->efd < 0) {
		int e = -errno;
		free(d);
		return e;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	arm(d);
	*out = d;
	return 0;
}

static void free_job(struct job *j)
{
	free(j->host);
	free(j);
}

void rf__dns_free(struct rf__dns *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	for (unsigned i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	for (struct job *j = d->todo, *n; j; j = n) {
		n = j->next;
		free_job(j);
	}
	for (struct job *j = d->done, *n; j; j = n) {
		n = j->next;
		free_job(j);
	}
	for (unsigned b = 0; b < CACHE_BUCKETS; b++) {
		for (struct rf__dns_entry *e = d->buckets[b], *n; e; e = n) {
			n = e->hnext;
			free(e->host);
			free(e);
		}
	}
	close(d->efd);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

static bool parse_literal(const char *host, struct rf__dns_addrs *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->addr[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->addr[0];
	memset(&a->addr[0], 0, sizeof(a->addr[0]));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->len[0] = sizeof(*s4);
		a->n = 1;
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		a->len[0] = sizeof(*s6);
		a->n = 1;
		return true;
	}
	return false;
}

/* Forget every finished entry (the cache is full). */
static void evict_finished(struct rf__dns *d)
{
	for (unsigned b = 0; b < CACHE_BUCKETS; b++) {
		struct rf__dns_entry **pp = &d->buckets[b];
		while (*pp) {
			struct rf__dns_entry *e = *pp;
			if (e->state != RF_DNS_PENDING) {
				*pp = e->hnext;
				free(e->host);
				free(e);
				d->count--;
			} else {
				pp = &e->hnext;
			}
		}
	}
}

struct rf__dns_entry *rf__dns_lookup(struct rf__dns *d, const char *host)
{
	uint32_t b = rf__hash32(host) % CACHE_BUCKETS;
	for (struct rf__dns_entry *e = d->buckets[b]; e; e = e->hnext)
		if (strcmp(e->host, host) == 0)
			return e;
	if (d->count >= CACHE_MAX)
		evict_finished(d);

	struct rf__dns_entry *e = rf__calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->host = rf__strdup(host);
	if (!e->host) {
		free(e);
		return NULL;
	}
	if (parse_literal(host, &e->addrs)) {
		e->state = RF_DNS_OK;
	} else {
		struct job *j = rf__calloc(1, sizeof(*j));
		char *copy = rf__strdup(host);
		if (!j || !copy) {
			free(j);
			free(copy);
			free(e->host);
			free(e);
			return NULL;
		}
		j->entry = e;
		j->host = copy;
		e->state = RF_DNS_PENDING;
		d->pending++;
		pthread_mutex_lock(&d->mu);
		if (d->todo_tail)
			d->todo_tail->next = j;
		else
			d->todo = j;
		d->todo_tail = j;
		if (d->nthreads < RESOLVER_THREADS &&
		    pthread_create(&d->threads[d->nthreads], NULL, resolver_main, d) == 0)
			d->nthreads++;
		pthread_cond_signal(&d->cv);
		pthread_mutex_unlock(&d->mu);
		if (d->nthreads == 0) {
			/* no thread could start: resolve here rather than never */
			pthread_mutex_lock(&d->mu);
			d->todo = d->todo_tail = NULL;
			pthread_mutex_unlock(&d->mu);
			resolve(j);
			d->pending--;
			e->state = j->gai_err ? RF_DNS_FAILED : RF_DNS_OK;
			e->error = j->gai_err ? gai_strerror(j->gai_err) : NULL;
			e->addrs = j->addrs;
			free_job(j);
		}
	}
	e->hnext = d->buckets[b];
	d->buckets[b] = e;
	d->count++;
	return e;
}

unsigned rf__dns_on_wake(struct rf__dns *d)
{
	pthread_mutex_lock(&d->mu);
	struct job *done = d->done;
	d->done = NULL;
	pthread_mutex_unlock(&d->mu);
	unsigned n = 0;
	for (struct job *j = done, *next; j; j = next) {
		next = j->next;
		struct rf__dns_entry *e = j->entry;
		e->state = j->gai_err ? RF_DNS_FAILED : RF_DNS_OK;
		e->error = j->gai_err ? gai_strerror(j->gai_err) : NULL;
		e->addrs = j->addrs;
		free_job(j);
		n++;
	}
	d->pending -= n;
	arm(d);
	return n;
}

unsigned rf__dns_pending(const struct rf__dns *d)
{
	return d->pending;
}
