/*
 * test_states.c - the slot and sink state machines driven through a fake
 * op interface (fake_loop.c: no kernel, no network), so completions come in
 * orders a real ring rarely produces: any pending op of any slot may finish
 * next, receives, sends and writes come back short, a write fails while
 * another is in flight, a connection resets mid-body, rf_stop lands while
 * file ops are out.
 *
 * For every seed and scenario: each request is reported exactly once; a
 * success has its final file byte-exact; a failure has no final file; no
 * .part is left unless the run was stopped; no file descriptor is left
 * open; no op is left in flight.  STATES_SEEDS=N runs the two open-ended
 * scenarios with N seeds instead of 200 (5000 ran clean under ASan).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_loop.h"
#include "ringfetch.h"
#include "tap.h"

#define NREQ 12

static char resp_buf[1 << 20];

static void body_bytes(char *out, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((i * 131 + seed * 7) & 0xff);
}

/* /f/N: Content-Length; /c/N: chunked; /e/N: close-delimited; /r/N: a
 * redirect to /f/N */
static const char *respond(const char *path, size_t *len, int *close_after)
{
	char kind = path[1];
	unsigned n = (unsigned)atoi(path + 3);
	int w;
	*close_after = 0;
	if (kind == 'r') {
		w = snprintf(resp_buf, sizeof(resp_buf),
		             "HTTP/1.1 302 Found\r\nLocation: /f/%u\r\nContent-Length: 0\r\n\r\n", n);
	} else if (kind == 'c') {
		static char whole[1 << 18];
		body_bytes(whole, n, n);
		w = snprintf(resp_buf, sizeof(resp_buf),
		             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (unsigned off = 0; off < n;) {
			unsigned piece = n - off < 777 ? n - off : 777;
			w += snprintf(resp_buf + w, sizeof(resp_buf) - (size_t)w, "%x\r\n", piece);
			memcpy(resp_buf + w, whole + off, piece);
			w += (int)piece;
			w += snprintf(resp_buf + w, sizeof(resp_buf) - (size_t)w, "\r\n");
			off += piece;
		}
		w += snprintf(resp_buf + w, sizeof(resp_buf) - (size_t)w, "0\r\n\r\n");
	} else {
		if (kind == 'e')
			w = snprintf(resp_buf, sizeof(resp_buf), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		else
			w = snprintf(resp_buf, sizeof(resp_buf),
			             "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", n);
		body_bytes(resp_buf + w, n, n);
		w += (int)n;
		*close_after = kind == 'e';
	}
	*len = (size_t)w;
	return resp_buf;
}

struct outcome {
	int reported[NREQ];
	int error[NREQ];
	int results;
	int stop_after;
	rf_client *client;
};

static void on_done(void *arg, const rf_result *r)
{
	struct outcome *o = arg;
	int i = (int)(intptr_t)r->user;
	o->reported[i]++;
	o->error[i] = r->error;
	if (o->stop_after && ++o->results == o->stop_after)
		rf_stop(o->client);
}

static const char *const paths[NREQ] = {"/f/0", "/f/1", "/f/5000", "/f/70000", "/c/3000",
                                        "/c/90000", "/e/4000", "/r/2500", "/f/150000",
                                        "/c/1", "/e/0", "/r/65536"};

/* One run; returns a description of the first broken rule, or NULL. */
static const char *run_once(const struct fake_config *cfg, int stop_after, int *failures)
{
	static char why[256];
	fake_setup(cfg);
	struct outcome o;
	memset(&o, 0, sizeof(o));
	o.stop_after = stop_after;
	rf_client_opts opts;
	rf_client_opts_init(&opts);
	opts.max_inflight = 4;
	opts.no_splice = 1;
	opts.retries = 0;
	opts.recv_buffer = 4096; /* many buffers per body */
	opts.on_done = on_done;
	opts.done_arg = &o;
	if (rf_client_new(&opts, &o.client))
		return "client not created";
	for (int i = 0; i < NREQ; i++) {
		char url[64], path[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:8%s", paths[i]);
		snprintf(path, sizeof(path), "/fake/out%d", i);
		rf_request rq = {.url = url, .sink = RF_SINK_FILE, .path = path,
		                 .user = (void *)(intptr_t)i};
		if (rf_submit(o.client, &rq))
			return "submit refused";
	}
	int err = rf_run(o.client, NULL, NULL);
	unsigned pending = fake_pending_ops(), open_files = fake_open_files();
	if (pending)
		fake_dump_pending();
	rf_client_free(o.client);
	if (err)
		return "rf_run failed";
	if (pending)
		return "ops left in flight";
	if (open_files)
		return "file descriptors left open";
	*failures = 0;
	for (int i = 0; i < NREQ; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/fake/out%d", i);
		const struct fake_file *f = fake_file(path);
		if (o.reported[i] != 1) {
			snprintf(why, sizeof(why), "%s reported %d times", paths[i], o.reported[i]);
			return why;
		}
		if (o.error[i]) {
			(*failures)++;
			if (f) {
				snprintf(why, sizeof(why), "%s failed (%s) but its file exists", paths[i],
				         rf_strerror(o.error[i]));
				return why;
			}
			continue;
		}
		unsigned n = (unsigned)atoi(paths[i] + 3);
		static char want[1 << 18];
		body_bytes(want, n, n);
		if (!f || f->len != n || (n && memcmp(f->data, want, n) != 0)) {
			snprintf(why, sizeof(why), "%s: file %s (%zu bytes, want %u)", paths[i],
			         f ? "differs" : "missing", f ? f->len : 0, n);
			return why;
		}
	}
	const struct fake_file *all;
	unsigned nf = fake_files(&all);
	for (unsigned i = 0; i < nf; i++) {
		size_t l = strlen(all[i].path);
		if (all[i].exists && l > 5 && strcmp(all[i].path + l - 5, ".part") == 0 && !stop_after) {
			snprintf(why, sizeof(why), "%.200s left behind", all[i].path);
			return why;
		}
	}
	return NULL;
}

static void scenario(const char *name, unsigned seeds, struct fake_config cfg, int stop_after,
                     bool expect_failures)
{
	const char *bad = NULL;
	unsigned bad_seed = 0, with_failures = 0;
	for (unsigned seed = 1; seed <= seeds && !bad; seed++) {
		cfg.seed = seed;
		int failures = 0;
		bad = run_once(&cfg, stop_after, &failures);
		bad_seed = seed;
		with_failures += failures > 0;
	}
	CHECK(!bad, "%s: %u seeds (first broken: seed %u: %s)", name, seeds, bad_seed,
	      bad ? bad : "none");
	if (!bad)
		CHECK(expect_failures ? with_failures > 0 : with_failures == 0,
		      "%s: %u of %u runs had failures, as expected", name, with_failures, seeds);
	fake_reset();
}

int main(void)
{
	struct fake_config base = {.respond = respond};
	unsigned many = getenv("STATES_SEEDS") ? (unsigned)atoi(getenv("STATES_SEEDS")) : 200;
	scenario("any order", many, base, 0, false);
	struct fake_config s = base;
	s.short_percent = 50;
	scenario("any order, short receives, sends and writes", many, s, 0, false);
	s.short_percent = 20;
	for (int k = 1; k <= 19; k += 3) {
		s.fail_write_at = k;
		char name[64];
		snprintf(name, sizeof(name), "write %d fails with EIO", k);
		scenario(name, 20, s, 0, true);
	}
	s.fail_write_at = 0;
	for (int k = 2; k <= 22; k += 4) {
		s.reset_recv_at = k;
		char name[64];
		snprintf(name, sizeof(name), "receive %d resets", k);
		scenario(name, 20, s, 0, true);
	}
	s.reset_recv_at = 0;
	for (int stop = 1; stop <= 6; stop++) {
		char name[64];
		snprintf(name, sizeof(name), "rf_stop after %d results", stop);
		scenario(name, 30, s, stop, stop < NREQ);
	}
	return tap_done();
}
