/*
 * fake_loop.h - a stand-in for src/loop.c with no kernel and no network,
 * for driving the engine's state machines through orderings a real ring
 * rarely produces (tests/unit/test_states.c).
 *
 * Ops are queued; each rf__loop_run_once() completes ONE of them, chosen
 * at random (seeded), with a result the fake computes: sockets talk to an
 * in-memory HTTP server (fake_respond), files live in an in-memory file
 * system.  Receives, sends and writes are cut short at random; a canceled
 * op completes with -ECANCELED.
 */
#ifndef RF_FAKE_LOOP_H
#define RF_FAKE_LOOP_H

#include <stddef.h>
#include <stdint.h>

/* The in-memory server: the response bytes for a request path (static
 * storage), and whether the connection closes after it. */
typedef const char *(*fake_respond_fn)(const char *path, size_t *len, int *close_after);

struct fake_config {
	uint64_t seed;
	fake_respond_fn respond;
	unsigned short_percent;   /* % of recvs/sends/writes cut short */
	int fail_write_at;        /* the Nth write fails with -EIO (0: none) */
	int reset_recv_at;        /* the Nth recv fails with -ECONNRESET (0: none) */
};

void fake_setup(const struct fake_config *cfg);

/* The in-memory file system after a run. */
struct fake_file {
	char path[512];
	char *data;
	size_t len;
	int exists;
};
const struct fake_file *fake_file(const char *path);
unsigned fake_files(const struct fake_file **out); /* all entries (exists or not) */
unsigned fake_open_files(void);                    /* file descriptors not closed */
unsigned fake_pending_ops(void);
void fake_dump_pending(void);        /* to stderr, for a failing case */
unsigned long fake_completions(void);
void fake_reset(void);

#endif
