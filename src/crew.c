/*
 * crew.c - the threads of a threaded client (see crew.h): a mutex and a
 * condition variable carry the rounds; each member thread waits between
 * them, so a client that is not running costs no CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crew.h"

struct rf__crew {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n;      /* members, the caller's included */
	unsigned round;  /* rounds asked for */
	unsigned ran;    /* members that ended this round's RUN */
	unsigned set_up; /* members whose SETUP returned */
	int setup_err;   /* the first failure */
	bool ending;
	rf__crew_fn fn;
	void *arg;
	pthread_t *threads; /* [1..n-1] */
	int *cpus;          /* [m] or NULL */
	unsigned started;   /* threads created */
};

struct start {
	struct rf__crew *w;
	unsigned member;
};

int rf__crew_pin_self(int cpu)
{
	if (cpu < 0)
		return 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *member_main(void *p)
{
	struct start st = *(struct start *)p;
	free(p);
	struct rf__crew *w = st.w;
	if (w->cpus)
		(void)rf__crew_pin_self(w->cpus[st.member]);
	int err = w->fn(w->arg, st.member, RF__CREW_SETUP);
	pthread_mutex_lock(&w->mu);
	w->set_up++;
	if (err && !w->setup_err)
		w->setup_err = err;
	pthread_cond_broadcast(&w->cv);
	unsigned seen = 0;
	for (;;) {
		while (w->round == seen && !w->ending)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->round == seen) /* ending, no round left to run */
			break;
		seen++;
		pthread_mutex_unlock(&w->mu);
		if (!err)
			w->fn(w->arg, st.member, RF__CREW_RUN);
		pthread_mutex_lock(&w->mu);
		w->ran++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (!err)
		w->fn(w->arg, st.member, RF__CREW_TEARDOWN);
	return NULL;
}

int rf__crew_new(unsigned n, const int *cpus, rf__crew_fn fn, void *arg, struct rf__crew **out)
{
	*out = NULL;
	struct rf__crew *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->n = n;
	w->fn = fn;
	w->arg = arg;
	w->threads = calloc(n, sizeof(*w->threads));
	if (cpus && (w->cpus = calloc(n, sizeof(int))))
		memcpy(w->cpus, cpus, n * sizeof(int));
	int err = w->threads ? 0 : -ENOMEM;
	for (unsigned m = 1; !err && m < n; m++) {
		struct start *st = malloc(sizeof(*st));
		if (!st) {
			err = -ENOMEM;
			break;
		}
		*st = (struct start){w, m};
		int e = pthread_create(&w->threads[m], NULL, member_main, st);
		if (e) {
			free(st);
			err = -e;
			break;
		}
		w->started++;
	}
	pthread_mutex_lock(&w->mu);
	while (w->set_up < w->started)
		pthread_cond_wait(&w->cv, &w->mu);
	if (!err)
		err = w->setup_err;
	pthread_mutex_unlock(&w->mu);
	if (err) {
		rf__crew_free(w);
		return err;
	}
	*out = w;
	return 0;
}

void rf__crew_run(struct rf__crew *w)
{
	pthread_mutex_lock(&w->mu);
	w->round++;
	w->ran = 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void rf__crew_wait(struct rf__crew *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->ran < w->started)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void rf__crew_free(struct rf__crew *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->ending = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned m = 1; m <= w->started; m++)
		pthread_join(w->threads[m], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->threads);
	free(w->cpus);
	free(w);
}

int rf__crew_parse_cpus(const char *list, int *cpus, unsigned cap)
{
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	unsigned n = 0;
	const char *p = list;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || a >= CPU_SETSIZE)
			return -1;
		p = end;
		b = a;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= CPU_SETSIZE)
				return -1;
			p = end;
		}
		for (long c = a; c <= b; c++) {
			if (!CPU_ISSET((int)c, &allowed) || n >= cap)
				return -1;
			cpus[n++] = (int)c;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return (int)n;
}
