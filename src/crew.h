/*
 * crew.h - the threads of a client with rf_client_opts.threads > 1.
 *
 * A crew is members 1..n-1 (member 0 is the caller's thread), each a
 * thread of its own, pinned to a CPU when asked, living as long as the
 * client: each sets up its part (its own ring must be made on the thread
 * that submits to it: SINGLE_ISSUER), runs it once per round, and tears it
 * down at the end, all through one function the crew is given (so the
 * crew knows nothing of what runs).  A leaf: threads and CPUs only.
 */
#ifndef RF_CREW_H
#define RF_CREW_H

enum rf__crew_phase { RF__CREW_SETUP, RF__CREW_RUN, RF__CREW_TEARDOWN };

/* What a member does in each phase; SETUP returns 0 or a negative code. */
typedef int (*rf__crew_fn)(void *arg, unsigned member, enum rf__crew_phase phase);

struct rf__crew;

/* Start members 1..n-1 (cpus[m]: the CPU member m runs on, -1: any; cpus
 * may be NULL) and wait for their SETUP: 0, or the first member's failure
 * (the crew is then torn down, *out NULL). */
int rf__crew_new(unsigned n, const int *cpus, rf__crew_fn fn, void *arg, struct rf__crew **out);
/* Every member runs its RUN phase once, on its own thread; returns at once. */
void rf__crew_run(struct rf__crew *w);
/* Until every member's RUN of this round returned. */
void rf__crew_wait(struct rf__crew *w);
/* TEARDOWN on each member's thread, then the threads end. */
void rf__crew_free(struct rf__crew *w);

/* Pin the calling thread to cpu (-1: leave it): 0 or a negative errno. */
int rf__crew_pin_self(int cpu);
/* "0-3,8,10-11" into cpus (at most cap): the count, or -1 when malformed
 * or a CPU this process may not run on. */
int rf__crew_parse_cpus(const char *list, int *cpus, unsigned cap);

#endif
