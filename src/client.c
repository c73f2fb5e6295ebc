/*
 * client.c - the public API and the run loop: slots, dispatch, timers and
 * completion routing.
 *
 * rf_run() repeats: fill free slots from the ready queue (and, when it is
 * empty, from the caller's source, one request per free slot: input is
 * never read further ahead than the concurrency needs), submit and wait for
 * completions with the next deadline as timeout, route each completion to
 * its slot after checking the slot's generation, then fire expired timers.
 *
 * Retries: a failed request that may be retried (outcome.c) waits
 * in a min-heap on its not-before time, holding no slot; backoff doubles from
 * --retry-delay with jitter, Retry-After wins, --max-time caps it.
 *
 * Timers: each slot has at most one live deadline (connect, idle or
 * max-time, see rf__slot_deadline).  The loop keeps only the earliest
 * possible one; when it passes, one scan over the slots fires what expired
 * and finds the next.  Deadlines only move later with activity, so a stale
 * "earliest" merely causes an early scan, never a late one.
 */
#include <errno.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cookies.h"
#include "crew.h"
#include "group.h"
#include "decode.h"
#include "warc.h"
#include "warc_file.h"
#include "engine.h"
#include "pool.h"
#include "queue.h"
#include "session.h"
#include "slot.h"
#include "fields.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define DEFAULT_RECV_BUFFER (64 * 1024)
#define DEFAULT_URING_RECV RF_URING_RECV_POOL /* measured: README, bench/PATHS.md */
#define DEFAULT_WRITE_FIXED false /* pins the whole pool resident; gains only on the ring file path */
#define DEFAULT_RECV_INC false    /* measured: README, bench/PATHS.md */

int64_t rf__now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *rf_version(void)
{
	return RF_VERSION_STRING;
}

void rf_client_opts_init(rf_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_inflight = 16;
	o->connect_timeout = 10;
	o->idle_timeout = 30;
	o->max_redirs = 10;
	o->recv_buffer = DEFAULT_RECV_BUFFER;
	o->big_buffer = 1024 * 1024;
	o->big_budget = 8 * 1024 * 1024;
	o->retries = 2;
	o->retry_delay = 1;
	o->signal_fd = -1;
}

static size_t slots_bytes(const rf_client *c)
{
	return (size_t)c->nslots * sizeof(*c->slots);
}

void rf_client_free(rf_client *c)
{
	if (!c)
		return;
	if (c->members) { /* member 0: the others end on their threads first */
		rf__crew_free(c->crew);
		free(c->members);
		free(c->loads);
		free(c->cpus);
		c->members = NULL;
	}
	if (c->group)
		rf__group_set_wake(c->group, c->member, -1);
	if (c->nudge_fd >= 0)
		close(c->nudge_fd);
	rf__session_free_all(c); /* before the origins their connections count in */
	rf__pool_free(c);
	for (struct rf__req *r; (r = rf__queue_pop(c));)
		rf__req_free(r);
	for (unsigned i = 0; i < c->nahead; i++) {
		struct rf__ahead *a = &c->ahead[(c->ahead_head + i) % c->ahead_max];
		rf__req_free(a->r);
		free(a->url);
	}
	free(c->ahead);
	for (unsigned i = 0; i < c->ndelayed; i++)
		rf__req_free(c->delayed[i]);
	free(c->delayed);
	for (unsigned i = 0; i < c->nslots; i++) {
		struct rf__slot *s = &c->slots[i];
		if (!s->used)
			continue; /* never set up: nothing to free */
		rf__req_free(s->req);
		rf__slot_release(s); /* before the loop: pool memory goes with it */
	}
	rf__split_free_all(&c->split_jobs);
	rf__archive_free(c->archive); /* not ended: only .part files stay */
	rf__warc_files_free(c->warc);
	if (c->group) /* its own (the files' otherwise) */
		rf__warc_zip_free(c->warc_zip);
	free(c->print_algo);
	free(c->pool_waiters);
	rf__loop_free(c->loop);
	rf__dns_free(c->dns);
	rf__namecache_free(c->names);
	rf__tls_ctx_free(c->tls);
	rf__cookies_free(c->cookies);
	if (c->slots)
		munmap(c->slots, slots_bytes(c));
	free(c->free_slots);
	for (size_t i = 0; i < c->opts.n_headers; i++)
		free(c->headers[i]);
	free(c->headers);
	free(c->user_agent);
	rf__proxy_free(&c->proxy_http);
	rf__proxy_free(&c->proxy_https);
	free(c->no_proxy);
	if (c->opts.user) {
		explicit_bzero((char *)c->opts.user, strlen(c->opts.user));
		free((char *)c->opts.user);
	}
	if (c->netrc) {
		explicit_bzero(c->netrc, c->netrc_len);
		free(c->netrc);
	}
	if (c->group && c->member == 0)
		rf__group_free(c->group); /* the last: freeing counts connections in it */
	free(c);
}

/* What ALPN offers: as asked (rf_client_opts.http_version); a WARC file
 * records HTTP/1.1 exchanges, so a run that writes one speaks only that. */
static const char *client_alpn(const rf_client *c)
{
	if (c->warc || c->opts.http_version == RF_HTTP_1_1)
		return RF__EXCHANGE_ALPN_HTTP1;
	if (c->opts.http_version == RF_HTTP_AUTO)
		return RF__EXCHANGE_ALPN_BOTH;
	return RF__EXCHANGE_ALPN_HTTP2;
}

/* The TLS context, made on first use: 0 or RF_ETLS_CONFIG with why. */
static int client_tls(rf_client *c, char *why, size_t len)
{
	if (c->tls)
		return 0;
	struct rf__tls_opts to = {
		.ca_file = c->opts.tls_ca_file,
		.ca_path = c->opts.tls_ca_path,
		.cert_file = c->opts.tls_cert_file,
		.key_file = c->opts.tls_key_file,
		.insecure = c->opts.tls_insecure != 0,
		.min_version = c->opts.tls_min_version ? c->opts.tls_min_version : 12,
		.alpn = client_alpn(c), /* the protocols exchange.h knows */
	};
	return rf__tls_ctx_new(&to, &c->tls, why, len);
}

/* The netrc file's text, kept for lookups (at most 1 MiB). */
static int read_netrc(rf_client *c, const char *path)
{
	int err = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t cap = 4096;
	c->netrc = malloc(cap);
	while (c->netrc) {
		size_t n = fread(c->netrc + c->netrc_len, 1, cap - c->netrc_len, f);
		c->netrc_len += n;
		if (n == 0)
			break;
		if (c->netrc_len == cap) {
			if (cap >= (1u << 20)) {
				err = -EFBIG;
				break;
			}
			char *bigger = malloc(cap * 2);
			if (bigger)
				memcpy(bigger, c->netrc, c->netrc_len);
			explicit_bzero(c->netrc, c->netrc_len);
			free(c->netrc);
			c->netrc = bigger;
			cap *= 2;
		}
	}
	if (!c->netrc)
		err = -ENOMEM;
	else if (ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

static void set_file_io(rf_client *c, bool inline_ops, const char *why)
{
	rf__loop_set_file_inline(c->loop, inline_ops);
	snprintf(c->file_io, sizeof(c->file_io), "%s%s%s%s", inline_ops ? "inline" : "ring",
	         *why ? " (auto: " : "", why, *why ? ")" : "");
}

/* The receive pool: two buffers per slot, within RECV_POOL_BUDGET bytes
 * (at least 16 buffers), or as many as asked, rounded up to a power of
 * two. */
#define RECV_POOL_BUDGET (16u << 20)

static int setup_recv_pool(rf_client *c, char *detail, size_t detail_len)
{
	int mode = c->opts.uring_recv;
	if (mode == RF_URING_RECV_AUTO)
		mode = DEFAULT_URING_RECV;
	if (mode == RF_URING_RECV_OWN)
		return 0;
	size_t size = c->opts.recv_buffer;
	size_t want = 2 * (size_t)c->nslots, most = RECV_POOL_BUDGET / size;
	if (want > most)
		want = most;
	if (want < 16)
		want = 16;
	if (c->opts.uring_recv_pool)
		want = c->opts.uring_recv_pool;
	unsigned n = 1;
	while (n < want && n < 32768)
		n <<= 1;
	bool inc = c->opts.uring_recv_inc == RF_URING_FIXED_ON ||
	           (c->opts.uring_recv_inc == RF_URING_FIXED_AUTO && DEFAULT_RECV_INC);
	inc = inc && !rf__loop_is_epoll(c->loop); /* a ring knob */
	int err = size > UINT32_MAX ? -EINVAL : rf__loop_pool_setup(c->loop, n, (unsigned)size, inc);
	if (err == -EINVAL && inc && c->opts.uring_recv_inc == RF_URING_FIXED_AUTO)
		err = rf__loop_pool_setup(c->loop, n, (unsigned)size, inc = false); /* Linux < 6.12 */
	/* a ring knob: epoll has no multishot, and its pool is taken from
	 * on readiness anyway (like --uring-setup, it does not apply there) */
	bool multishot = mode == RF_URING_RECV_MULTISHOT && !rf__loop_is_epoll(c->loop);
	if (!err && multishot && !rf__loop_pool_multishot(c->loop))
		err = RF_EKERNEL;
	if (err) {
		if (c->opts.uring_recv == RF_URING_RECV_AUTO && c->opts.uring_recv_inc != RF_URING_FIXED_ON)
			return 0; /* nothing was asked for by name: own buffers, as before */
		if (detail && detail_len)
			snprintf(
				detail, detail_len, "%s",
				multishot ? "multishot receive needs io_uring on Linux 6.0 or later"
				: inc ? "incremental buffer consumption needs io_uring on Linux 6.12 or later"
				      : "the receive pool could not be set up");
		return err == RF_EKERNEL ? err : RF_EKERNEL;
	}
	c->pool_on = true;
	c->pool_multishot = multishot;
	c->pool_count = n;
	c->pool_inc = inc;
	int wf = c->opts.uring_write_fixed;
	if (wf == RF_URING_FIXED_ON || (wf == RF_URING_FIXED_AUTO && DEFAULT_WRITE_FIXED)) {
		if (!rf__loop_is_epoll(c->loop) && (err = rf__loop_pool_register(c->loop)) &&
		    wf == RF_URING_FIXED_ON) {
			if (detail && detail_len)
				snprintf(detail, detail_len,
				         "the receive pool could not be registered with the "
				         "ring: %s",
				         strerror(-err));
			return RF_EKERNEL;
		}
	}
	return 0;
}

/* The proxies of opts, parsed into c (an empty string is no proxy). */
static int setup_proxies(rf_client *c, const rf_client_opts *opts)
{
	const char *specs[] = {opts->proxy_http, opts->proxy_https};
	struct rf__proxy *dst[] = {&c->proxy_http, &c->proxy_https};
	for (int i = 0; i < 2; i++) {
		if (!specs[i] || !*specs[i])
			continue;
		char why[160];
		int err = rf__proxy_parse(specs[i], dst[i], why, sizeof(why));
		if (err) {
			if (err == RF_EINVAL && opts->error_detail && opts->error_detail_len)
				snprintf(opts->error_detail, opts->error_detail_len, "%s", why);
			return err;
		}
	}
	if (opts->no_proxy && !(c->no_proxy = strdup(opts->no_proxy)))
		return -ENOMEM;
	return 0;
}

static int opts_check(const rf_client_opts *opts)
{
	if (opts->max_inflight == 0 || opts->max_inflight > 65536 || opts->max_redirs < 0 ||
	    opts->connect_timeout < 0 || opts->idle_timeout < 0 || opts->max_time < 0 ||
	    opts->retry_delay < 0 || (opts->digest && !rf__digest_canonical(opts->digest)) ||
	    (opts->tls_min_version && opts->tls_min_version != 12 && opts->tls_min_version != 13) ||
	    opts->file_io < RF_FILE_IO_AUTO || opts->file_io > RF_FILE_IO_INLINE ||
	    opts->tmpfile < RF_TMPFILE_AUTO || opts->tmpfile > RF_TMPFILE_ON)
		return RF_EINVAL;
	for (size_t i = 0; i < opts->n_headers; i++)
		if (rf__field_check(opts->headers[i]))
			return RF_EHEADER;
	if (opts->http_version < RF_HTTP_AUTO || opts->http_version > RF_HTTP_2_PRIOR ||
	    (opts->compressed != 0 && opts->compressed != 1))
		return RF_EINVAL; /* a caller built for a later version */
	if (opts->io < RF_IO_AUTO || opts->io > RF_IO_EPOLL || opts->uring_setup < 0 ||
	    opts->uring_setup > RF_URING_SETUP_SQPOLL || opts->uring_recv < RF_URING_RECV_AUTO ||
	    opts->uring_recv > RF_URING_RECV_MULTISHOT || opts->uring_recv_pool > 32768 ||
	    opts->uring_fixed_files < RF_URING_FIXED_AUTO || opts->uring_fixed_files > RF_URING_FIXED_OFF ||
	    opts->uring_write_fixed < RF_URING_FIXED_AUTO || opts->uring_write_fixed > RF_URING_FIXED_OFF ||
	    opts->uring_recv_inc < RF_URING_FIXED_AUTO || opts->uring_recv_inc > RF_URING_FIXED_OFF ||
	    !(opts->limit_rate >= 0) || !(opts->limit_rate_per_host >= 0) || opts->threads > RF__GROUP_MAX)
		return RF_EINVAL;
	return 0;
}

/* One client: one ring on the thread that calls this (and runs it). */
static int client_new(const rf_client_opts *opts, rf_client **out)
{
	int err = -ENOMEM;
	rf_client *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opts = *opts;
	c->nudge_fd = -1;
	c->cpu = -1;
	c->lead = c;
	if (!c->opts.recv_buffer)
		c->opts.recv_buffer = DEFAULT_RECV_BUFFER;
	if (c->opts.recv_buffer < 4096)
		c->opts.recv_buffer = 4096;
	if (c->opts.big_buffer > c->opts.recv_buffer)
		c->big_max = (unsigned)(c->opts.big_budget / (RF__SLOT_BUFS * c->opts.big_buffer));
	c->opts.headers = NULL;
	c->opts.n_headers = 0; /* counts the copies made below */
	c->opts.error_detail = NULL;
	rf__list_init(&c->idle_lru);
	rf__list_init(&c->sess_idle);
	rf__list_init(&c->split_jobs);
	c->wake.at = INT64_MAX;
	c->opts.user = NULL;
	c->opts.netrc_file = NULL;
	if (opts->user && !(c->opts.user = strdup(opts->user)))
		goto fail;
	if (opts->netrc_file) {
		err = read_netrc(c, opts->netrc_file);
		if (err) {
			if (opts->error_detail && opts->error_detail_len)
				snprintf(opts->error_detail, opts->error_detail_len,
				         "cannot read netrc file %s: %s", opts->netrc_file, rf_strerror(err));
			err = RF_EINVAL;
			goto fail;
		}
	}
	c->opts.proxy_http = c->opts.proxy_https = c->opts.no_proxy = NULL; /* parsed copies below */
	err = setup_proxies(c, opts);
	if (err)
		goto fail;
	err = -ENOMEM;
	c->user_agent = strdup(opts->user_agent ? opts->user_agent : "ringfetch/" RF_VERSION_STRING);
	c->headers = calloc(opts->n_headers + 1, sizeof(char *));
	if (!c->user_agent || !c->headers)
		goto fail;
	c->opts.n_headers = 0;
	for (size_t i = 0; i < opts->n_headers; i++) {
		if (!(c->headers[i] = strdup(opts->headers[i])))
			goto fail;
		c->header_creds |= rf__field_credential(opts->headers[i]);
		c->opts.n_headers++;
	}
	c->nslots = opts->max_inflight;
	/* mapped, not calloc'd: pages the kernel zeroes when first touched,
	 * whatever the allocator does (MALLOC_PERTURB_ makes glibc's calloc
	 * write every page) */
	void *slots = mmap(NULL, slots_bytes(c), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->slots = slots == MAP_FAILED ? NULL : slots;
	c->free_slots = calloc(c->nslots, sizeof(*c->free_slots));
	if (!c->slots || !c->free_slots)
		goto fail;
	/* slots are set up when first taken (rf__slot_setup): at -j 65536 the
	 * slot array is 780 MB of address space, and only the pages of slots
	 * that run are ever touched */
	for (unsigned i = 0; i < c->nslots; i++)
		c->free_slots[c->nfree++] = c->nslots - 1 - i;
	if (opts->digest && !(c->print_algo = strdup(rf__digest_canonical(opts->digest))))
		goto fail;
	const char *ring_why;
	err = rf__loop_new(c->nslots * 4 + 16, (enum rf__io)opts->io, (enum rf__setup)opts->uring_setup,
	                   &c->loop, &ring_why);
	if (err) {
		if (*ring_why && opts->error_detail && opts->error_detail_len)
			snprintf(opts->error_detail, opts->error_detail_len, "%s", ring_why);
		goto fail;
	}
	snprintf(c->io_note, sizeof(c->io_note), "%s", ring_why);
	rf__loop_set_submit_batch(c->loop, opts->uring_submit_batch);
	if (rf__loop_is_epoll(c->loop)) {
		c->opts.no_splice = 1; /* splice chains need the ring's linked ops */
		snprintf(c->io_mode, sizeof(c->io_mode), "epoll");
	} else {
		snprintf(c->io_mode, sizeof(c->io_mode), "io_uring (%s)", rf__loop_mode(c->loop));
	}
	rf__bucket_init(&c->rate, opts->limit_rate, rf__now());
	if (opts->limit_rate > 0 || opts->limit_rate_per_host > 0) {
		/* every receive asks the buckets first: a splice pair or a
		 * multishot receive would move bytes without asking, and a 1 MiB
		 * receive would run that far ahead of the limit */
		c->opts.no_splice = 1;
		c->big_max = 0; /* one receive is at most a receive buffer ahead */
		if (c->opts.uring_recv == RF_URING_RECV_MULTISHOT)
			c->opts.uring_recv = RF_URING_RECV_POOL;
	}
	err = setup_recv_pool(c, opts->error_detail, opts->error_detail_len);
	if (err)
		goto fail;
	/* sockets: at most one per slot busy and one per slot idle; files:
	 * one per slot */
	err = rf__loop_use_fixed_files(c->loop, opts->uring_fixed_files, 3 * c->nslots + 16,
	                               opts->error_detail, opts->error_detail_len);
	if (err)
		goto fail;
	const char *trace = getenv("RINGFETCH_TRACE");
	if (trace && *trace && *trace != '0')
		fprintf(stderr, "ringfetch: ring set up as %s\n", rf__loop_mode(c->loop));
	/* unnamed files are linked by their /proc/self/fd name */
	c->tmpfile_off = opts->tmpfile == RF_TMPFILE_OFF || access("/proc/self/fd", X_OK) != 0;
	if (opts->file_io != RF_FILE_IO_AUTO) /* until the first output file */
		rf__loop_set_file_inline(c->loop, opts->file_io == RF_FILE_IO_INLINE);
	err = rf__namecache_new(&c->names);
	if (err)
		goto fail;
	struct rf__dns_config dns_cfg = {0};
	char dns_why[300] = "";
	err = rf__dns_new(c->loop, &dns_cfg, &c->dns, dns_why, sizeof(dns_why));
	if (err) {
		if (opts->error_detail && opts->error_detail_len)
			snprintf(opts->error_detail, opts->error_detail_len, "%s", dns_why);
		goto fail;
	}
	c->ahead_max = RF__LOOK_AHEAD_DEFAULT;
	c->ahead = calloc(c->ahead_max, sizeof(*c->ahead));
	if (!c->ahead) {
		err = -ENOMEM;
		goto fail;
	}
	if (opts->signal_fd >= 0)
		rf__op_read(c->loop, rf__tag_make(RF__OWNER_CLIENT, RF__OP_SIGNAL, 0, 0), opts->signal_fd,
		            c->signal_buf, sizeof(c->signal_buf));
	/* TLS is set up at the first https URL (OpenSSL costs a few MiB), or
	 * now when files were named, so a bad one is reported before any work */
	if (opts->tls_ca_file || opts->tls_ca_path || opts->tls_cert_file || opts->tls_key_file) {
		char why[300] = "";
		err = client_tls(c, why, sizeof(why));
		if (err) {
			if (opts->error_detail && opts->error_detail_len)
				snprintf(opts->error_detail, opts->error_detail_len, "%s", why);
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	rf_client_free(c);
	return err;
}

/* ---- threads (rf_client_opts.threads > 1) ----
 *
 * The client the caller holds is member 0 and runs on the caller's thread;
 * members 1..N-1 are clients of their own, each made, run and freed on a
 * thread of its own (crew.h).  They share the group (group.h): caps, rate
 * buckets, .part names, names looked up.  Whatever calls out (the source,
 * the callbacks) is called under the group's caller lock, one call at a
 * time, as with one thread.  Entries are read from the source by whichever
 * member has room, none more than one ahead of the least loaded, so one
 * host's URLs spread over every thread and a few large files are dealt out
 * evenly. */

static void locked_done(void *arg, const rf_result *r)
{
	rf_client *m = arg;
	rf_result mine = *r;
	mine.thread = m->member;
	rf__group_lock_caller(m->group);
	m->lead->user.on_done(m->lead->user.done_arg, &mine);
	rf__group_unlock_caller(m->group);
}

static void locked_retry(void *arg, const rf_retry *t)
{
	rf_client *m = arg;
	rf__group_lock_caller(m->group);
	m->lead->user.on_retry(m->lead->user.retry_arg, t);
	rf__group_unlock_caller(m->group);
}

static void locked_debug(void *arg, const rf_debug *d)
{
	rf_client *m = arg;
	rf__group_lock_caller(m->group);
	m->lead->user.on_debug(m->lead->user.debug_arg, d);
	rf__group_unlock_caller(m->group);
}

/* Each member's snapshot is kept; member 0's tick shows the sum. */
static void group_progress(void *arg, const rf_progress *p)
{
	rf_client *m = arg, *lead = m->lead;
	rf__group_lock_caller(m->group);
	m->published = *p;
	if (m == lead) {
		rf_progress sum = *p;
		for (unsigned i = 1; i < rf__group_members(m->group); i++) {
			const rf_progress *q = &lead->members[i]->published;
			sum.ok += q->ok;
			sum.failed += q->failed;
			sum.bytes += q->bytes;
			sum.active += q->active;
			sum.waiting += q->waiting;
			sum.bytes_expected += q->bytes_expected;
			sum.unknown_length += q->unknown_length;
			sum.taken += q->taken;
		}
		sum.source_done = lead->group_source_done || !lead->source;
		lead->user.on_progress(lead->user.progress_arg, &sum);
	}
	rf__group_unlock_caller(m->group);
}

/* What a member holds: its share of the work, for dealing entries. */
static unsigned member_load(const rf_client *c)
{
	return c->nbusy + c->nahead + c->nqueued + c->nparked + c->ndelayed;
}

/* An entry for member c, read from the caller's source under the caller
 * lock, made into a request there (the source's strings live only until
 * its next call).  0: none now (another member is behind: c waits to be
 * woken), 1: *a filled, -1: the source has no more. */
static int group_read(rf_client *c, struct rf__ahead *a, rf_request *rq,
                      struct rf__req *(*make)(const rf_client *, const rf_request *, int *, const char **))
{
	rf_client *lead = c->lead;
	unsigned n = rf__group_members(c->group), load = member_load(c), least = UINT32_MAX;
	int got = 0;
	rf__group_lock_caller(c->group);
	bool was_blocked = lead->source_blocked;
	lead->loads[c->member] = load;
	for (unsigned i = 0; i < n; i++)
		if (i != c->member && !lead->members[i]->finished && lead->loads[i] < least)
			least = lead->loads[i];
	if (lead->group_source_done) {
		got = -1;
	} else if (least != UINT32_MAX && load > least + 1) {
		lead->source_blocked = true; /* woken when another member takes one */
	} else if (lead->user_source(lead->user_source_arg, rq) <= 0) {
		lead->group_source_done = true;
		got = -1;
	} else {
		got = 1;
		lead->loads[c->member] = load + 1;
		a->r = make(c, rq, &a->err, &a->why);
		if (!a->r) {
			a->url = rq->url ? strdup(rq->url) : NULL;
			a->user = rq->user;
		}
	}
	bool wake = lead->source_blocked && got != 0;
	if (wake)
		lead->source_blocked = false;
	rf__group_unlock_caller(c->group);
	/* blocked: the others are woken once (the first time), to read */
	if ((got == 0 && !was_blocked) || wake || got < 0)
		rf__group_wake_others(c->group, c->member);
	return got;
}

/* The loop's wake descriptor was written to by another member. */
static void arm_nudge(rf_client *c)
{
	rf__op_read(c->loop, rf__tag_make(RF__OWNER_CLIENT, RF__OP_NUDGE, 0, 0), c->nudge_fd, &c->nudge_buf,
	            sizeof(c->nudge_buf));
}

static int join_group(rf_client *c, struct rf__group *g, unsigned member, rf_client *lead,
                      const rf_client_opts *user)
{
	c->group = g;
	c->member = member;
	c->lead = lead;
	c->user = *user;
	c->opts.on_done = user->on_done ? locked_done : NULL;
	c->opts.done_arg = c;
	c->opts.on_retry = user->on_retry ? locked_retry : NULL;
	c->opts.retry_arg = c;
	c->opts.on_debug = user->on_debug ? locked_debug : NULL;
	c->opts.debug_arg = c;
	c->opts.on_progress = user->on_progress ? group_progress : NULL;
	c->opts.progress_arg = c;
	c->nudge_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->nudge_fd < 0)
		return -errno;
	rf__group_set_wake(g, member, c->nudge_fd);
	rf__dns_join(c->dns, g, member);
	arm_nudge(c);
	if (c->cpu >= 0)
		(void)rf__loop_pin_workers(c->loop, c->cpu); /* a kernel without it: workers anywhere */
	return 0;
}

static int run_loop(rf_client *c);

/* Threads: never more than slots (-j), each with its share of them. */
static unsigned member_count(const rf_client_opts *o)
{
	return o->threads < o->max_inflight ? o->threads : o->max_inflight;
}

static unsigned member_slots(const rf_client_opts *o, unsigned member)
{
	unsigned n = member_count(o);
	return o->max_inflight / n + (member < o->max_inflight % n);
}

/* What each member thread does (crew.h): make its client, run it, free it. */
static int member_phase(void *arg, unsigned member, enum rf__crew_phase phase)
{
	rf_client *lead = arg;
	rf_client *m = lead->members[member];
	switch (phase) {
	case RF__CREW_SETUP: {
		rf_client_opts one = *lead->setup_opts;
		one.threads = 1;
		one.max_inflight = member_slots(lead->setup_opts, member);
		one.signal_fd = -1; /* the caller's thread reads it */
		one.error_detail = NULL;
		int err = client_new(&one, &m);
		if (err)
			return err;
		m->cpu = lead->cpus ? lead->cpus[member] : -1;
		lead->members[member] = m;
		return join_group(m, lead->group, member, lead, lead->setup_opts);
	}
	case RF__CREW_RUN:
		m->source = lead->user_source;
		m->source_arg = NULL;
		m->run_err = run_loop(m);
		rf__group_lock_caller(m->group);
		m->finished = true;
		rf__group_unlock_caller(m->group);
		rf__group_wake_others(m->group, member); /* member 0 waits for every one */
		return 0;
	case RF__CREW_TEARDOWN:
		m->cookies = NULL; /* member 0's */
		m->archive = NULL;
		m->warc = NULL;
		rf_client_free(m);
		lead->members[member] = NULL;
		return 0;
	}
	return 0;
}

static int group_new(const rf_client_opts *opts, rf_client **out)
{
	unsigned n = member_count(opts);
	int cpus[RF__GROUP_MAX];
	int ncpus = 0;
	if (opts->cpus && (ncpus = rf__crew_parse_cpus(opts->cpus, cpus, RF__GROUP_MAX)) <= 0) {
		if (opts->error_detail && opts->error_detail_len)
			snprintf(opts->error_detail, opts->error_detail_len,
			         "CPU list %s: want CPU numbers this process may run on, as 0-3,8",
			         opts->cpus);
		return RF_EINVAL;
	}
	rf_client_opts one = *opts;
	one.threads = 1;
	one.max_inflight = member_slots(opts, 0);
	rf_client *lead;
	int err = client_new(&one, &lead);
	if (err)
		return err;
	err = -ENOMEM;
	lead->members = calloc(n, sizeof(*lead->members));
	lead->loads = calloc(n, sizeof(*lead->loads));
	lead->cpus = ncpus ? calloc(n, sizeof(int)) : NULL;
	if (!lead->members || !lead->loads || (ncpus && !lead->cpus))
		goto fail;
	for (unsigned i = 0; ncpus && i < n; i++)
		lead->cpus[i] = cpus[i % (unsigned)ncpus];
	lead->members[0] = lead;
	if ((err = rf__group_new(n, opts->limit_rate, opts->limit_rate_per_host, &lead->group)))
		goto fail;
	lead->cpu = lead->cpus ? lead->cpus[0] : -1;
	if (lead->cpu >= 0 && (err = rf__crew_pin_self(lead->cpu)))
		goto fail;
	if ((err = join_group(lead, lead->group, 0, lead, opts)))
		goto fail;
	lead->setup_opts = opts;
	err = rf__crew_new(n, lead->cpus, member_phase, lead, &lead->crew);
	lead->setup_opts = NULL;
	if (err)
		goto fail;
	*out = lead;
	return 0;
fail:
	rf_client_free(lead);
	return err;
}

int rf_client_new(const rf_client_opts *opts, rf_client **out)
{
	rf_client_opts defaults;
	if (!opts) {
		rf_client_opts_init(&defaults);
		opts = &defaults;
	}
	int err = opts_check(opts);
	if (err)
		return err;
	if (opts->threads > 1 && opts->max_inflight > 1)
		return group_new(opts, out);
	if (opts->cpus) {
		int cpus[RF__GROUP_MAX];
		if (rf__crew_parse_cpus(opts->cpus, cpus, RF__GROUP_MAX) <= 0) {
			if (opts->error_detail && opts->error_detail_len)
				snprintf(opts->error_detail, opts->error_detail_len,
				         "CPU list %s: want CPU numbers this process may run on, as 0-3,8",
				         opts->cpus);
			return RF_EINVAL;
		}
		int cpu = cpus[0];
		if ((err = rf__crew_pin_self(cpu)))
			return err;
		if ((err = client_new(opts, out)))
			return err;
		(*out)->cpu = cpu;
		(void)rf__loop_pin_workers((*out)->loop, cpu);
		return 0;
	}
	return client_new(opts, out);
}

/* A request from what the caller gave: its sink kind checked by the sink,
 * the rest by the request's constructor (queue.c). */
static struct rf__req *req_make(const rf_client *c, const rf_request *rq, int *err, const char **why)
{
	if (rq && rq->url && (*err = rf__sink_check(rq, why)))
		return NULL;
	return rf__req_new(c, rq, err, why);
}

int rf_submit(rf_client *c, const rf_request *rq)
{
	if (c->members) /* before rf_run: dealt round robin */
		c = c->members[c->submit_next++ % rf__group_members(c->group)];
	int err;
	const char *why;
	struct rf__req *r = req_make(c, rq, &err, &why);
	if (!r)
		return err;
	c->n_taken++;
	rf__queue_push_back(c, r);
	return 0;
}

/* Every rf_result starts here: strings are never NULL, URLs are shown
 * redacted. */
static void result_init(rf_result *res, const char *shown_url, const char *shown_final, void *user, int err,
                        const char *detail)
{
	memset(res, 0, sizeof(*res));
	res->url = shown_url;
	res->final_url = shown_final;
	res->user = user;
	res->error = err;
	res->detail = detail ? detail : "";
	res->reason = res->note = res->digest_algo = res->digest = res->content_encoding = "";
	res->content_disposition = "";
}

/* The one report of a request (counted, then handed to on_done); s is the
 * slot of its last attempt, or NULL when it never got one. */
/* A URL that failed for good is a sample of its own in the archive: its
 * KEY.json with the error (not for an interrupted run's). */
static void archive_failure(rf_client *c, struct rf__req *r, struct rf__slot *s, int err, const char *detail)
{
	if (r->sink != RF_SINK_ARCHIVE || !c->archive || err == RF_ECANCELED ||
	    rf__archive_failed_before(c->archive, r->shown_url)) /* -c: its failure is there */
		return;
	char shown_final[RF__URL_MAX + 300], msg[600], text[4 * RF__URL_MAX + 2048];
	const char *final = r->cur_url == r->url
	                            ? r->shown_url
	                            : rf__url_redact(r->cur_url, shown_final, sizeof(shown_final));
	snprintf(msg, sizeof(msg), "%s%s%s", rf_strerror(err), detail && *detail ? ": " : "",
	         detail ? detail : "");
	size_t n = rf__archive_json(text, sizeof(text), r->path, r->shown_url, final, s ? s->resp.status : 0,
	                            NULL, NULL, NULL, 0, NULL, NULL,
	                            r->t_start ? (double)(c->now - r->t_start) / 1e9 : 0, msg);
	if (n >= sizeof(text))
		return; /* cannot be: URLs are at most RF__URL_MAX */
	text[n] = 0;
	/* a failed write leaves its shard a .part (the URL is reported failed
	 * anyway): not the run's failure */
	rf__archive_write_now(c->archive, r->path, text);
}

static void report(rf_client *c, struct rf__req *r, struct rf__slot *s, int err, const char *detail)
{
	if (err)
		c->n_failed++;
	else
		c->n_ok++;
	if (err)
		archive_failure(c, r, s, err, detail);
	if (s)
		c->bytes_done += s->bytes;
	if (!c->opts.on_done)
		return;
	uint64_t split_bytes = r->split_bytes; /* counted as its segments ended */
	rf_result res;
	char shown_final[RF__URL_MAX + 300];
	result_init(&res, r->shown_url,
	            r->cur_url == r->url ? r->shown_url
	                                 : rf__url_redact(r->cur_url, shown_final, sizeof(shown_final)),
	            r->user, err, detail);
	if (s) {
		res.content_encoding = s->resp.content_encoding;
		if (!s->resp.cd_too_long)
			res.content_disposition = s->resp.content_disposition;
		res.decoded = s->sink.dec != NULL;
	}
	res.skipped = r->archived;
	res.redirects = r->redirects;
	res.attempts = r->attempts;
	res.retries = r->retries;
	res.note = r->note;
	if (s) {
		res.status = s->resp.status;
		if (s->resp.status)
			res.reason = s->resp.reason;
		res.bytes = s->bytes;
		res.reused = s->conn_reused;
		res.http_version = s->ex.ops == &rf__http2_exchange ? 20 : s->ex.ops ? 11 : 0;
		res.tls_handshake = s->tls_handshake;
		res.tls_resumed = s->tls_resumed;
		res.resumed_from = r->split_done ? 0 : (uint64_t)s->sink.resume_from;
		res.skipped = s->sink.skipped;
		if (s->sink.digest_hex[0]) {
			res.digest_algo = c->print_algo ? c->print_algo : r->check_algo;
			res.digest = s->sink.digest_hex;
		}
		res.local_error = err && s->err_local;
		if (!err)
			res.path = rf__sink_final_path(s, r->path);
		res.t_dns = r->t_dns;
		res.t_connect = (double)s->t_connect / 1e9;
		res.t_first_byte = (double)s->t_first_byte / 1e9;
		res.t_tls = (double)s->t_tls / 1e9;
		res.t_total = r->t_start ? (double)(c->now - r->t_start) / 1e9 : 0;
	}
	res.bytes += split_bytes;
	c->opts.on_done(c->opts.done_arg, &res);
}

static void slot_recycle(rf_client *c, struct rf__slot *s)
{
	/* the .part name goes back to every thread, unless a split job's
	 * segments go on writing it (then it stays taken for the run) */
	if (s->sink.part_claimed && s->sink.part && !(s->req && s->req->job))
		rf__group_unclaim(c->group, s->sink.part);
	if (s->rx.big)
		c->big_in_use--;
	rf__slot_reset(c, s);
	c->free_slots[c->nfree++] = s->idx;
	c->nbusy--;
}

/* ---- requests waiting for a retry: a min-heap on not_before ---- */

static bool delayed_before(const struct rf__req *a, const struct rf__req *b)
{
	return a->not_before < b->not_before;
}

static void delayed_push(rf_client *c, struct rf__req *r)
{
	if (c->ndelayed == c->cap_delayed) {
		unsigned cap = c->cap_delayed ? 2 * c->cap_delayed : 64;
		struct rf__req **n = realloc(c->delayed, cap * sizeof(*n));
		if (!n) { /* no memory for the wait: retry at once */
			rf__queue_push_back(c, r);
			return;
		}
		c->delayed = n;
		c->cap_delayed = cap;
	}
	unsigned i = c->ndelayed++;
	while (i > 0 && delayed_before(r, c->delayed[(i - 1) / 2])) {
		c->delayed[i] = c->delayed[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	c->delayed[i] = r;
	rf__wake_at(&c->wake, r->not_before);
}

static struct rf__req *delayed_pop(rf_client *c)
{
	struct rf__req *top = c->delayed[0], *last = c->delayed[--c->ndelayed];
	unsigned i = 0;
	for (;;) {
		unsigned l = 2 * i + 1, m = i;
		if (l < c->ndelayed && delayed_before(c->delayed[l], last))
			m = l;
		if (l + 1 < c->ndelayed && delayed_before(c->delayed[l + 1], m == i ? last : c->delayed[m]))
			m = l + 1;
		if (m == i)
			break;
		c->delayed[i] = c->delayed[m];
		i = m;
	}
	if (c->ndelayed)
		c->delayed[i] = last;
	return top;
}

/* Requests whose retry delay has passed go to the front of the queue. */
static void release_delayed(rf_client *c)
{
	while (c->ndelayed && c->delayed[0]->not_before <= c->now)
		rf__queue_push_front(c, delayed_pop(c));
	if (c->ndelayed)
		rf__wake_at(&c->wake, c->delayed[0]->not_before);
}

/* The next attempt of r continues the .part this attempt had: it takes the
 * name over (no allocation, so it cannot be lost on the way). */
static void pass_part(struct rf__req *r, struct rf__slot *s)
{
	if (r->kept_part || !s->sink.part)
		return;
	r->kept_part = s->sink.part;
	s->sink.part = NULL;
}

/* The caller's on_retry: r's failed attempt in s goes again after delay. */
static void notify_retry(rf_client *c, const struct rf__req *r, const struct rf__slot *s, int64_t delay)
{
	if (!c->opts.on_retry)
		return;
	char shown[RF__URL_MAX + 300];
	rf_retry info = {
		.url = r->cur_url == r->url ? r->shown_url : rf__url_redact(r->cur_url, shown, sizeof(shown)),
		.error = s->err,
		.detail = s->detail,
		.status = s->resp.status,
		.attempt = r->retries + 2,
		.attempts = c->opts.retries + 1,
		.delay = (double)delay / 1e9,
		.user = r->user,
	};
	c->opts.on_retry(c->opts.retry_arg, &info);
}

/* A split job said what comes after one of its segments ended (r: that
 * segment's request, not retried). */
static void split_next(rf_client *c, struct rf__req *r, bool was_leader, enum rf__split_next next,
                       struct rf__req *leader)
{
	if (!was_leader)
		rf__req_free(r); /* a child: the job took what it brought */
	switch (next) {
	case RF__SPLIT_AGAIN: /* not here: the caller sends r again */
	case RF__SPLIT_WAIT:
		return;
	case RF__SPLIT_FINALIZE: /* the complete .part: digest, final name */
	case RF__SPLIT_RESTART:  /* the whole file again, one connection */
		rf__queue_push_front(c, leader);
		return;
	case RF__SPLIT_FAIL:
		report(c, leader, NULL, leader->split_err, leader->split_detail ? leader->split_detail : "");
		rf__req_free(leader);
		return;
	}
}

/* An attempt at a segment of a split job ended: retried as any request
 * is, else the job takes its result (split.c). */
static void segment_done(rf_client *c, struct rf__slot *s, const struct rf__outcome *o)
{
	struct rf__req *r = s->req, *leader;
	bool again = o->next != RF__NEXT_REPORT;
	int err = s->err ? s->err : s->end == RF__END_REQUEUE ? RF_ECANCELED : 0;
	bool was_leader = r->job_leader;
	int64_t landed = rf__sink_landed(s);
	/* a server that answers a range with less than was asked (some cap
	 * their 206s): the segment goes on from where it got, at once */
	bool shorter = !err && landed > rf__split_from(r) && landed < rf__split_end(r);
	again |= shorter;
	c->bytes_done += s->bytes;
	enum rf__split_next next =
		rf__split_attempt_end(c, r, landed, s->bytes, err, s->detail, again, &leader);
	s->req = NULL;
	if (next == RF__SPLIT_AGAIN) {
		if (o->next == RF__NEXT_RETRY && !shorter) {
			notify_retry(c, r, s, o->delay);
			r->retries++;
			r->not_before = c->now + o->delay;
			delayed_push(c, r);
		} else {
			rf__queue_push_front(c, r);
		}
		return;
	}
	split_next(c, r, was_leader, next, leader);
}

static void slot_done(rf_client *c, struct rf__slot *s)
{
	/* reported and recycled only when nothing of it is in flight or open */
	assert(s->ops == 0 && !s->sock_busy && s->sink.writes == 0 && !s->conn);
	assert(s->sink.ffd < 0 && s->sink.pfx_fd < 0 && s->sink.dir_fd < 0);
	struct rf__req *r = s->req;
	const struct rf__outcome *o = rf__outcome(c, s);
	if (r->job) {
		segment_done(c, s, o);
		slot_recycle(c, s);
		return;
	}
	s->req = NULL;
	if (o->next == RF__NEXT_REQUEUE) {
		/* untouched, the .part it was to continue is the next attempt's */
		if (s->sink.part_on_disk && s->sink.file == RF__FILE_NONE)
			pass_part(r, s);
		rf__queue_push_front(c, r);
	} else if (o->next == RF__NEXT_RETRY) {
		notify_retry(c, r, s, o->delay);
		r->retries++;
		r->not_before = c->now + o->delay;
		/* a kept .part is continued; else from zero (or the user's -c) */
		r->resume = s->sink.keep_part ? o->resume : (r->flags & RF_REQ_RESUME) != 0;
		if (s->sink.keep_part && r->resume)
			pass_part(r, s);
		if (s->err == RF_ECHECKSUM)
			r->fresh = true;
		delayed_push(c, r);
	} else {
		int err = s->err;
		if (s->end == RF__END_REQUEUE && !err)
			err = RF_ECANCELED;
		report(c, r, s, err, s->detail);
		rf__req_free(r);
	}
	slot_recycle(c, s);
}

/* A request that never reached a slot (bad URL from a source, canceled). */
static void report_unstarted(rf_client *c, struct rf__req *r, int err, const char *detail)
{
	if (r->job) { /* a segment that never ran (rf_stop): the job's */
		struct rf__req *leader;
		bool was_leader = r->job_leader;
		enum rf__split_next next =
			rf__split_attempt_end(c, r, rf__split_from(r), 0, err, detail, false, &leader);
		split_next(c, r, was_leader, next, leader);
		return;
	}
	/* a .part kept for the retry that now never comes stays only for -c
	 * or an interrupted run, as when an attempt fails (outcome.c) */
	if (r->kept_part && err != RF_ECANCELED && !(r->flags & RF_REQ_RESUME))
		unlink(r->kept_part);
	report(c, r, NULL, err, detail);
	rf__req_free(r);
}

/* The parked-request budget: beyond it the source is not read further. */
static unsigned park_budget(const rf_client *c)
{
	return 1024 + 4 * c->nslots;
}

/* Entries the source gave that could not become requests are reported
 * in their turn, as if read then. */
static void report_bad_entry(rf_client *c, struct rf__ahead *a)
{
	c->n_failed++;
	if (c->opts.on_done) {
		rf_result res;
		const char *given = a->url ? a->url : "";
		size_t cap = strlen(given) + 1;
		char *shown = malloc(cap);
		const char *url =
			shown ? rf__url_redact(given, shown, cap) : "(URL not shown: out of memory)";
		result_init(&res, url, url, a->user, a->err, a->why);
		c->opts.on_done(c->opts.done_arg, &res);
		free(shown);
	}
	free(a->url);
}

static int group_read(rf_client *c, struct rf__ahead *a, rf_request *rq,
                      struct rf__req *(*make)(const rf_client *, const rf_request *, int *, const char **));

static bool source_readable(const rf_client *c)
{
	return c->source && !c->source_done && !c->stopping && c->nparked < park_budget(c);
}

/* Read one entry from the source into the look-ahead, and start looking
 * its host up.  False when the source has no more. */
static bool read_ahead_one(rf_client *c)
{
	rf_request rq;
	memset(&rq, 0, sizeof(rq));
	rq.fd = -1;
	struct rf__ahead *a = &c->ahead[(c->ahead_head + c->nahead) % c->ahead_max];
	memset(a, 0, sizeof(*a));
	if (c->group) {
		int got = group_read(c, a, &rq, req_make);
		if (got < 0)
			c->source_done = true;
		if (got <= 0)
			return false;
	} else {
		if (c->source(c->source_arg, &rq) <= 0) {
			c->source_done = true;
			return false;
		}
		a->r = req_make(c, &rq, &a->err, &a->why);
		if (!a->r) {
			a->url = rq.url ? strdup(rq.url) : NULL;
			a->user = rq.user;
		}
	}
	c->nahead++;
	if (!a->r)
		return true;
	struct rf__origin *o = rf__origin_get(c, &a->r->u);
	if (o)
		rf__dns_prefetch(c->dns, o->proxy ? o->proxy->host : a->r->u.host,
		                 o->proxy ? o->proxy->port : a->r->u.port, c->now);
	return true;
}

/* Keep the look-ahead full: the names of the next entries of the source
 * are being looked up while the transfers before them run.  Bounded
 * (ahead_max), so a list of millions is still read lazily. */
static void look_ahead(rf_client *c)
{
	while (c->nahead < c->ahead_max && source_readable(c) && read_ahead_one(c))
		;
}

/* The oldest entry of the look-ahead, taken out (nahead > 0). */
static struct rf__ahead ahead_pop(rf_client *c)
{
	struct rf__ahead a = c->ahead[c->ahead_head];
	c->ahead_head = (c->ahead_head + 1) % c->ahead_max;
	c->nahead--;
	c->n_taken++;
	return a;
}

/* -c over an archive: a URL a shard already holds is reported skipped. */
static bool archived(rf_client *c, struct rf__req *r)
{
	if (r->attempts)
		return false;
	if (r->sink == RF_SINK_ARCHIVE && c->archive && rf__archive_has(c->archive, r->shown_url))
		snprintf(r->note, sizeof(r->note), "a shard holds this URL's sample (-c): not fetched");
	else if (r->sink == RF_SINK_WARC && c->warc && rf__warc_files_has(c->warc, r->shown_url))
		snprintf(r->note, sizeof(r->note), "a WARC file holds this URL's response (-c): not fetched");
	else
		return false;
	r->archived = true;
	report(c, r, NULL, 0, NULL);
	rf__req_free(r);
	return true;
}

static struct rf__req *next_request(rf_client *c)
{
	for (;;) {
		struct rf__req *r = rf__queue_pop(c);
		if (r && archived(c, r))
			continue;
		if (r)
			return r;
		if (!c->nahead)
			look_ahead(c);
		if (!c->nahead)
			return NULL;
		struct rf__ahead a = ahead_pop(c);
		if (a.r && archived(c, a.r))
			continue;
		if (a.r)
			return a.r;
		report_bad_entry(c, &a);
	}
}

static void deliver_news(rf_client *c);

/* After any call into a slot: a slot that finished is reported (or its
 * request queued for a retry) and recycled here, never from inside the
 * slot's own code; HTTP/2 streams that heard something meanwhile are told. */
static void settle(rf_client *c, struct rf__slot *s)
{
	if (s->finished)
		slot_done(c, s);
	if (c->sess_news)
		deliver_news(c);
}

/* HTTP/2 sessions' news to their streams' slots, then each session is
 * settled (closed when nothing is left on it). */
static void deliver_news(rf_client *c)
{
	static __thread bool delivering;
	if (delivering)
		return; /* the outer call goes on until the list is empty */
	delivering = true;
	struct rf__session *x;
	while ((x = rf__session_with_news(c))) {
		struct rf__h2_stream *st;
		while ((st = rf__session_next_news(x))) {
			struct rf__slot *s = rf__container_of(st, struct rf__slot, ex.proto.h2);
			rf__slot_h2_news(c, s);
			rf__slot_check(c, s);
			if (s->finished)
				slot_done(c, s);
		}
		rf__session_told(c, x);
	}
	delivering = false;
}

/* The first output file's filesystem decides the file path (opts.file_io
 * auto) and whether small bodies go to unnamed files (opts.tmpfile auto).
 * Measured with bench/fs.py (docs/DESIGN-NOTES.md "File I/O on real
 * filesystems"): on ext4, xfs and tmpfs the inline syscalls cost less than
 * io-wq hand-offs; O_TMPFILE + linkat beats create + rename on ext4, xfs
 * and a container's overlay (on tmpfs the /proc/self/fd lookup costs more
 * than it saves).  Network and FUSE filesystems, whose calls may block for long,
 * and anything unknown keep the ring and the .part. */
static void choose_file_io(rf_client *c, const char *path)
{
	static const struct {
		unsigned long magic;
		const char *name;
		bool inline_ops, tmpfile;
	} known[] = {
		{0xEF53, "ext4", true, true},        /* EXT4_SUPER_MAGIC (ext2/3 too) */
		{0x58465342, "xfs", true, true},     /* XFS_SUPER_MAGIC */
		{0x01021994, "tmpfs", true, false},  /* TMPFS_MAGIC */
		{0x794C7630, "overlay", true, true}, /* OVERLAYFS_SUPER_MAGIC: containers */
	};
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	struct statfs st;
	const char *fs = "unknown filesystem";
	bool inline_ops = false, tmpfile = false;
	if (statfs(dir, &st) == 0) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if ((unsigned long)st.f_type == known[i].magic) {
				fs = known[i].name;
				inline_ops = known[i].inline_ops;
				tmpfile = known[i].tmpfile;
			}
		}
	}
	if (!tmpfile && c->opts.tmpfile == RF_TMPFILE_AUTO)
		c->tmpfile_off = true;
	if (c->opts.file_io == RF_FILE_IO_AUTO)
		set_file_io(c, inline_ops, fs);
	else
		set_file_io(c, c->opts.file_io == RF_FILE_IO_INLINE, "");
	size_t len = strlen(c->file_io);
	snprintf(c->file_io + len, sizeof(c->file_io) - len, ", %s",
	         c->tmpfile_off ? ".part + rename" : "small files unnamed + link");
}

/* Slot idx, set up the first time it is taken (calloc'd: zero until then). */
static struct rf__slot *slot_first_use(rf_client *c, unsigned idx)
{
	struct rf__slot *s = &c->slots[idx];
	if (!s->used)
		rf__slot_setup(s, idx);
	return s;
}

static void fill_slots(rf_client *c)
{
	while (c->nfree > 0 && !c->stopping) {
		struct rf__req *r = next_request(c);
		if (!r)
			return;
		struct rf__origin *o = rf__origin_get(c, &r->u);
		if (!o) {
			report_unstarted(c, r, -ENOMEM, "");
			continue;
		}
		/* an HTTP/2 session with room takes it; else a connection being
		 * set up that may speak h2 is waited for, and the per-host cap */
		if (!rf__session_for(c, o) &&
		    ((!r->dial_anyway && rf__origin_waits(c, o)) || rf__origin_at_cap(c, o))) {
			/* threads: a request for a host whose cap other threads
			 * hold goes to one of them (a kept .part's claim is the
			 * group's: it goes along; a segment stays with its job) */
			if (c->group && !o->nconns && !r->job &&
			    rf__group_hand_over(c->group, o->key, c->member, r))
				continue;
			rf__origin_park(c, o, r);
			continue;
		}
		if (r->u.tls && !c->tls) {
			/* loading the CA store can take a while: deadlines start after */
			char why[300] = "";
			int err = client_tls(c, why, sizeof(why));
			c->now = rf__now();
			if (err) {
				report_unstarted(c, r, RF_ETLS_CONFIG, why);
				continue;
			}
		}
		if (!c->file_io[0] && rf__sink_makes_files(r->sink))
			choose_file_io(c, r->path);
		struct rf__slot *s = slot_first_use(c, c->free_slots[--c->nfree]);
		c->nbusy++;
		o->holds++; /* (the transfer may end, its origin with it, at once) */
		rf__slot_start(c, s, r, o);
		/* a request that ended before it took what the cap let it have
		 * (out of memory, --max-time) passes that on to one parked
		 * behind it; else a grant of the group's not used goes back */
		if (o->parked && (!rf__list_empty(&o->idle) || o->group_reserved) && !s->conn && !s->sess)
			rf__origin_room(c, o);
		else if (o->group_reserved)
			rf__origin_unreserve(c, o);
		rf__origin_let_go(c, o);
		settle(c, s);
	}
}

static void fire_timers(rf_client *c)
{
	if (c->now < c->wake.at)
		return;
	/* what the pass arms itself (a rate wait that finds the bucket
	 * emptied again: with threads another thread spends from it too)
	 * notes its deadline here, and is kept */
	c->wake.at = INT64_MAX;
	int64_t next = c->ndelayed ? c->delayed[0]->not_before : INT64_MAX;
	if (c->opts.on_progress && c->opts.progress_interval > 0 && c->next_progress < next)
		next = c->next_progress;
	for (unsigned i = 0; i < c->nslots; i++) {
		struct rf__slot *s = &c->slots[i];
		int which = 0;
		int64_t d = rf__slot_deadline(c, s, &which);
		if (d == INT64_MAX)
			continue;
		if (d <= c->now) {
			if (which == RF__RATE_WAKE)
				rf__slot_rate_ready(c, s);
			else if (which == RF__STAGGER_WAKE)
				rf__slot_stagger(c, s);
			else
				rf__slot_timeout(c, s, which);
			settle(c, s);
		} else if (d < next)
			next = d;
	}
	rf__wake_at(&c->wake, next);
}

/* s waits for the receive pool (rf__slot_pool_ready when it has buffers). */
static void pool_wait(rf_client *c, struct rf__slot *s)
{
	if (c->npool_waiters == c->cap_pool_waiters) {
		unsigned cap = c->cap_pool_waiters ? 2 * c->cap_pool_waiters : 64;
		uint32_t *w = realloc(c->pool_waiters, cap * sizeof(*w));
		if (!w) {
			s->rx.pool_wait = false;
			rf__slot_fail(c, s, -ENOMEM);
			return;
		}
		c->pool_waiters = w;
		c->cap_pool_waiters = cap;
	}
	c->pool_waiters[c->npool_waiters++] = s->idx;
	c->pool_waits++;
	s->rx.pool_queued = true;
}

/* Buffers came back to the pool: as many waiting slots receive again, in
 * the order they began to wait. */
static void pool_kick(rf_client *c)
{
	unsigned avail = rf__loop_pool_avail(c->loop), i = 0;
	for (; i < c->npool_waiters && avail; i++) {
		struct rf__slot *s = &c->slots[c->pool_waiters[i]];
		if (!s->rx.pool_wait)
			continue; /* it moved on (failed, recycled) */
		s->rx.pool_queued = false;
		avail--;
		rf__slot_pool_ready(c, s);
		if (s->rx.pool_wait && !s->rx.pool_queued)
			pool_wait(c, s); /* found it empty again: back of the line */
		settle(c, s);
	}
	memmove(c->pool_waiters, c->pool_waiters + i, (c->npool_waiters - i) * sizeof(uint32_t));
	c->npool_waiters -= i;
}

static void stop_here(rf_client *c);

/* Another member woke this one: the run stops, or what it waited for
 * (a name, a connection under the cap, entries to read) may be there. */
static void nudged(rf_client *c)
{
	if (rf__group_stopping(c->group) && !c->stopping)
		stop_here(c);
	for (struct rf__req *r; (r = rf__group_take_handed(c->group, c->member));) {
		rf__queue_push_back(c, r); /* handed over by another member */
		c->room_said = UINT32_MAX; /* a gift took some of it: said again (balance) */
	}
	rf__dns_nudged(c->dns, rf__now());
	rf__session_shut_wanted(c);
	rf__pool_nudged(c);
}

static void on_completion(void *arg, rf__tag tag, int res, unsigned flags)
{
	rf_client *c = arg;
	enum rf__op_kind op = rf__tag_op(tag);
	switch (rf__tag_owner(tag)) {
	case RF__OWNER_SLOT:
		break; /* below */
	case RF__OWNER_CLIENT:
		if (op == RF__OP_CONN_CLOSED) { /* a capped host's place: the group's again */
			rf__pool_closed(c, rf__tag_idx(tag));
			return;
		}
		if (op == RF__OP_NUDGE) {
			if (res > 0 || res == -EAGAIN || res == -EINTR)
				arm_nudge(c);
			nudged(c);
			return;
		}
		assert(op == RF__OP_SIGNAL);
		if (res > 0 && c->opts.on_signal)
			c->opts.on_signal(c->opts.signal_arg);
		if (res > 0 || res == -EAGAIN || res == -EINTR)
			rf__op_read(c->loop, tag, c->opts.signal_fd, c->signal_buf, sizeof(c->signal_buf));
		return;
	case RF__OWNER_DNS:
		rf__dns_on_op(c->dns, tag, res, rf__now()); /* (c->now is from before the wait) */
		return;                                     /* waiting transfers go on in dns_progress */
	case RF__OWNER_CONN:                                /* an HTTP/2 session's socket op */
		rf__session_on_completion(c, tag, res);
		deliver_news(c);
		return;
	case RF__OWNER_NONE:
		return;
	}
	uint32_t idx = rf__tag_slot(tag);
	unsigned buf = rf__tag_buf(tag);
	if (idx >= c->nslots)
		return;
	struct rf__slot *s = &c->slots[idx];
	if (s->state == RF__SLOT_FREE || !rf__tag_gen_is(tag, s->gen))
		return; /* a completion for an earlier use of this slot */
	assert(s->ops > 0);
	if (!(flags & RF__F_MORE))
		s->ops--; /* a multishot receive stays counted while armed */
	rf__slot_on_completion(c, s, op, buf, res, flags);
	if (s->rx.pool_wait && !s->rx.pool_queued)
		pool_wait(c, s);
	rf__slot_check(c, s);
	settle(c, s);
}

static void progress_report(rf_client *c)
{
	rf_progress p = {
		.ok = c->n_ok,
		.failed = c->n_failed,
		.bytes = c->bytes_done,
		.active = c->nbusy,
		.waiting = c->nqueued + c->nparked + c->ndelayed,
		.elapsed = (double)(c->now - c->run_start) / 1e9,
		.bytes_expected = c->bytes_done,
		.taken = c->n_taken,
		.source_done = !c->source || c->source_done,
	};
	for (unsigned i = 0; i < c->nslots; i++) {
		const struct rf__slot *s = &c->slots[i];
		if (s->state == RF__SLOT_FREE)
			continue;
		p.bytes += s->bytes;
		if (s->resp.headers_done && s->resp.has_length && s->resp.status >= 200 &&
		    s->resp.status <= 299)
			p.bytes_expected += s->resp.content_length;
		else
			p.unknown_length++;
	}
	c->opts.on_progress(c->opts.progress_arg, &p);
}

/* Progress every progress_interval: a deadline like the others. */
static void progress_tick(rf_client *c)
{
	if (!c->opts.on_progress || c->opts.progress_interval <= 0)
		return;
	if (c->now >= c->next_progress) {
		progress_report(c);
		c->next_progress = c->now + (int64_t)(c->opts.progress_interval * 1e9);
	}
	rf__wake_at(&c->wake, c->next_progress);
}

/* Names that settled: the transfers waiting for them dial (or fail). */
static void dns_progress(rf_client *c)
{
	if (!rf__dns_take_settled(c->dns))
		return;
	for (unsigned i = 0; i < c->nslots; i++) {
		struct rf__slot *s = &c->slots[i];
		if (s->state == RF__SLOT_RESOLVING && s->cx.dns && s->cx.dns->state != RF__ENTRY_PENDING &&
		    !s->err) {
			rf__slot_dns_ready(c, s);
			settle(c, s);
		} else if (s->state == RF__SLOT_CONNECTING && s->cx.dns) {
			rf__slot_dns_more(c, s);
			settle(c, s);
		}
	}
}

static bool work_left(rf_client *c)
{
	if (c->nbusy || c->q_head || c->nparked || c->ndelayed || c->nahead)
		return true;
	if (c->source && !c->source_done && !c->stopping)
		return true;
	if (c->group && c->room_said && rf__group_surplus_elsewhere(c->group, c->member))
		return true; /* entries may come (balance) */
	if (c->group && !rf__group_inbox_close(c->group, c->member, true)) {
		nudged(c); /* requests were handed over: take them */
		return true;
	}
	if (c->members) { /* member 0 ends after every other member */
		bool running = false;
		rf__group_lock_caller(c->group);
		for (unsigned i = 1; i < rf__group_members(c->group) && !running; i++)
			running = !c->members[i]->finished;
		rf__group_unlock_caller(c->group);
		if (running)
			return true;
	}
	return c->source && !c->source_done && !c->stopping;
}

/* The end-of-run hook of an archive output (tar shards, WARC files):
 * every transfer is done, so no region write is in flight; each file
 * writes its trailer and takes its final name (only the finished ones
 * after a failed run).  The first failure is the run's. */
static void end_archive(rf_client *c, struct rf__archive *a)
{
	if (a && rf__archive_end(a, !c->fatal) && !c->fatal) {
		c->fatal = a->err;
		snprintf(c->end_why, sizeof(c->end_why), "%.290s", a->why);
	}
}

/* Threads, --max-per-host: a member ending its run lets its idle
 * connections and HTTP/2 sessions go, and waits for their closes, so the
 * members still running get the capped hosts' places. */
static void let_go(rf_client *c)
{
	rf__session_shut_idle(c);
	deliver_news(c);
	rf__pool_close_idle(c);
	int64_t until = rf__now() + 2000000000LL;
	while ((rf__session_count(c) || rf__pool_closing(c)) && rf__now() < until)
		if (rf__loop_run_once(c->loop, 10000000, on_completion, c))
			break;
}

int rf_run(rf_client *c, rf_source_fn source, void *source_arg)
{
	if (!c->members) {
		c->source = source;
		c->source_arg = source_arg;
		return run_loop(c);
	}
	c->user_source = source;
	c->user_source_arg = source_arg;
	c->group_source_done = false;
	c->source_blocked = false;
	unsigned n = rf__group_members(c->group);
	for (unsigned i = 0; i < n; i++) {
		c->members[i]->finished = false;
		c->loads[i] = 0;
		rf__group_inbox_close(c->group, i, false);
	}
	c->source = source;
	c->source_arg = NULL;
	rf__crew_run(c->crew);
	int err = run_loop(c);
	rf__crew_wait(c->crew);
	for (unsigned i = 1; i < n && !err; i++)
		err = c->members[i]->run_err;
	/* no member writes into the archives now: they end (a failed run:
	 * only their finished files) */
	c->fatal = err;
	end_archive(c, c->warc ? c->warc->set : NULL);
	end_archive(c, c->archive);
	err = c->fatal;
	if (!err && c->members[0]->end_why[0] == 0) {
		for (unsigned i = 1; i < n; i++)
			if (c->members[i]->end_why[0])
				snprintf(c->end_why, sizeof(c->end_why), "%s", c->members[i]->end_why);
	}
	c->source = NULL;
	c->user_source = NULL;
	return err;
}

/* Threads: entries this member read but cannot start now (every slot
 * busy) go to a member with free slots and nothing to start, and a member
 * with room says so - so slow transfers (a hung server, a big file) in one
 * member never hold entries the others could run, at a list's end or
 * anywhere.  Not with --max-per-host: there requests follow the members
 * holding their host's connections (rf__group_hand_over), and a request
 * given away would come back. */
static void balance(rf_client *c)
{
	if (c->opts.max_per_host)
		return;
	unsigned waiting = c->nqueued + c->nahead;
	bool surplus = c->nfree == 0 && waiting > 0 && !c->stopping;
	if (surplus != c->surplus_said) {
		c->surplus_said = surplus;
		rf__group_set_surplus(c->group, c->member, surplus);
	}
	unsigned room = !waiting && !c->stopping && (c->source_done || !c->source) ? c->nfree : 0;
	if (room != c->room_said) {
		c->room_said = room;
		rf__group_set_room(c->group, c->member, room);
	}
	while (surplus && rf__group_room_elsewhere(c->group, c->member)) {
		struct rf__req *r = rf__queue_pop(c);
		if (!r && c->nahead) {
			struct rf__ahead a = ahead_pop(c);
			if (!a.r) {
				report_bad_entry(c, &a);
				continue;
			}
			r = a.r;
		}
		if (!r)
			break;
		if (r->job || !rf__group_give(c->group, c->member, r)) {
			rf__queue_push_front(c, r); /* a segment stays with its job */
			break;
		}
	}
}

static int run_loop(rf_client *c)
{
	c->source_done = false;
	c->surplus_said = false;
	c->room_said = 0;
	c->run_start = rf__now();
	c->next_progress = c->run_start + (int64_t)(c->opts.progress_interval * 1e9);
	for (;;) {
		c->now = rf__now();
		progress_tick(c);
		release_delayed(c);
		fill_slots(c);
		dns_progress(c);
		look_ahead(c);
		if (c->group)
			balance(c);
		if (c->stopping) {
			/* entries read ahead and not begun: taken, so reported
			 * (canceled) like the queued ones, their user data handed back */
			while (c->nahead) {
				struct rf__ahead a = ahead_pop(c);
				if (a.r)
					report_unstarted(c, a.r, RF_ECANCELED, "");
				else
					report_bad_entry(c, &a);
			}
			while (c->ndelayed)
				rf__queue_push_back(c, delayed_pop(c));
			for (struct rf__req *r; (r = rf__queue_pop(c));)
				report_unstarted(c, r, RF_ECANCELED, "");
		}
		if (!work_left(c))
			break;
		if (c->nbusy == 0 && !c->q_head && !c->ndelayed && c->nparked) {
			if (!c->group) {
				/* cannot happen by construction (a parked origin has
				 * busy connections); never spin on it */
				c->fatal = -EDEADLK;
				break;
			}
			/* threads: waiting for places other threads hold; they
			 * wake this one when one goes, and in case a wake was
			 * missed it looks again every 100 ms */
			if (c->now >= c->parked_recheck) {
				c->parked_recheck = c->now + 100000000;
				rf__pool_nudged(c);
				continue;
			}
			rf__wake_at(&c->wake, c->parked_recheck);
		}
		int64_t timeout = -1, dns_due = rf__dns_deadline(c->dns, c->now);
		int64_t next = c->wake.at < dns_due ? c->wake.at : dns_due;
		if (next != INT64_MAX)
			timeout = next > c->now ? next - c->now : 0;
		/* valgrind runs one thread at a time and treats io_uring_enter as
		 * non-blocking: let the resolver threads run, and come back soon */
		if (RUNNING_ON_VALGRIND && (rf__dns_pending(c->dns) || c->group)) {
			/* (and the other threads of the client: one in the ring
			 * wait would hold every other one) */
			sched_yield();
			if (timeout < 0 || timeout > 1000000)
				timeout = 1000000;
		}
		int err = rf__loop_run_once(c->loop, timeout, on_completion, c);
		if (err) {
			c->fatal = err;
			if (c->group) /* the others stop too */
				rf__group_stop(c->group);
			break;
		}
		c->now = rf__now();
		if (c->now >= rf__dns_deadline(c->dns, c->now))
			rf__dns_on_time(c->dns, c->now);
		dns_progress(c);
		fire_timers(c);
		if (c->npool_waiters)
			pool_kick(c);
	}
	/* a signal record the ring read as the work ended still reaches
	 * on_signal (a second Ctrl-C while stopping must not be lost); any
	 * other late completion names a recycled slot and is dropped */
	if (!c->fatal && c->opts.signal_fd >= 0)
		rf__loop_run_once(c->loop, 0, on_completion, c);
	if (!c->fatal && c->group && c->opts.max_per_host)
		let_go(c);
	if (!c->group) { /* threads: member 0 ends them after every run (rf_run) */
		end_archive(c, c->warc ? c->warc->set : NULL);
		end_archive(c, c->archive);
	}
	c->source = NULL;
	if (c->opts.on_progress && c->opts.progress_interval > 0) {
		c->now = rf__now();
		progress_report(c);
	}
	return c->fatal;
}

void rf_stop(rf_client *c)
{
	if (c->group) { /* from any thread: every member stops in its loop */
		rf__group_stop(c->group);
		return;
	}
	stop_here(c);
}

static void stop_here(rf_client *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	for (unsigned i = 0; i < c->nslots; i++) {
		struct rf__slot *s = &c->slots[i];
		/* a transfer whose response is complete only has local steps
		 * left (write, close, rename): it finishes and is reported as
		 * it is, never as canceled next to its complete file */
		if (s->state != RF__SLOT_FREE && s->req && s->end != RF__END_DONE) {
			rf__slot_fail(c, s, RF_ECANCELED);
			settle(c, s);
		}
	}
	for (unsigned b = 0; b < c->norigin_buckets; b++) {
		for (struct rf__origin *o = c->origins[b]; o; o = o->hnext) {
			while (o->parked) {
				struct rf__req *r = o->parked;
				o->parked = r->next;
				o->nparked--;
				c->nparked--;
				rf__queue_push_back(c, r);
			}
			o->parked_tail = NULL;
		}
	}
}

const char *rf_client_io(const rf_client *c)
{
	return c->io_mode;
}

const char *rf_client_io_note(const rf_client *c)
{
	return c->io_note;
}

void rf_client_io_stats(const rf_client *c, rf_io_stats *out)
{
	memset(out, 0, sizeof(*out));
	unsigned n = c->members ? rf__group_members(c->group) : 1;
	for (unsigned i = 0; i < n; i++) { /* threads: every ring's, added up */
		const rf_client *m = c->members ? c->members[i] : c;
		if (m->loop)
			rf__loop_add_stats(m->loop, out);
		out->pool_waits += m->pool_waits;
	}
	if (c->loop) {
		char ring[128];
		rf__loop_describe(c->loop, ring, sizeof(ring));
		const char *fio = rf_client_file_io(c);
		snprintf(out->variants, sizeof(out->variants), "%.127s, splice %s, file I/O %.96s", ring,
		         c->opts.no_splice ? "off" : "on",
		         strncmp(fio, "not decided", 11) ? fio : "not decided (no file)");
	}
	if (c->pool_on)
		snprintf(out->recv_mode, sizeof(out->recv_mode), "%spool %u x %u KiB%s",
		         c->pool_multishot ? "multishot " : "", c->pool_count,
		         rf__loop_pool_size(c->loop) / 1024, c->pool_inc ? ", incremental" : "");
	else
		snprintf(out->recv_mode, sizeof(out->recv_mode), "own buffers (%u x %zu KiB per transfer)",
		         RF__SLOT_BUFS, c->opts.recv_buffer / 1024);
}

const char *rf_client_file_io(const rf_client *c)
{
	/* threads: the first member that made a file decided (all decide
	 * alike, by the same file system) */
	for (unsigned i = 0; c->members && !c->file_io[0] && i < rf__group_members(c->group); i++)
		if (c->members[i]->file_io[0])
			return c->members[i]->file_io;
	return c->file_io[0] ? c->file_io : "not decided (no output file yet)";
}

/* A request was taken already (the archive outputs are set before). */
static bool started(const rf_client *c)
{
	if (c->source)
		return true;
	for (unsigned i = 0; i < (c->members ? rf__group_members(c->group) : 1); i++)
		if ((c->members ? c->members[i] : c)->q_head)
			return true;
	return false;
}

int rf_client_tar(rf_client *c, const rf_tar_opts *o, char *why, size_t why_len)
{
	char scratch[8];
	if (!why || !why_len) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = 0;
	if (c->archive || started(c)) {
		snprintf(why, why_len, "the archive is set once, before the first request");
		return RF_EINVAL;
	}
	if (o->reserved[0] || o->reserved[1]) {
		snprintf(why, why_len, "reserved fields must be zero");
		return RF_EINVAL;
	}
	int err = rf__archive_new(&rf__archive_tar, NULL, o->pattern, o->shard_samples, o->shard_bytes,
	                          c->opts.fsync != 0, &c->archive, why, why_len);
	if (!err && o->resume && (err = rf__archive_resume(c->archive))) {
		snprintf(why, why_len, "--tar -c: %s", c->archive->why);
		err = err == -ENOMEM ? err : RF_EINVAL;
	}
	if (!err && c->members && (err = rf__archive_share(c->archive)))
		snprintf(why, why_len, "out of memory");
	for (unsigned i = 1; !err && c->members && i < rf__group_members(c->group); i++)
		c->members[i]->archive = c->archive; /* member 0's, shared */
	if (err) {
		rf__archive_free(c->archive);
		c->archive = NULL;
	}
	return err;
}

int rf_client_warc(rf_client *c, const rf_warc_opts *o, char *why, size_t why_len)
{
	char scratch[8];
	if (!why || !why_len) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = 0;
	if (c->warc || started(c)) {
		snprintf(why, why_len, "the WARC file is set once, before the first request");
		return RF_EINVAL;
	}
	int err = rf__warc_files_new(o, c->opts.fsync != 0, &c->warc, why, why_len);
	if (err)
		return err;
	if (!c->members) {
		c->warc_zip = c->warc->zip;
		return 0;
	}
	/* threads: one set of files, a compressor each */
	err = rf__warc_files_share(c->warc);
	for (unsigned i = 0; !err && i < rf__group_members(c->group); i++)
		if (!(err = rf__warc_files_zip_new(c->warc, &c->members[i]->warc_zip)))
			c->members[i]->warc = c->warc;
	if (err) {
		struct rf__warc_files *w = c->warc;
		snprintf(why, why_len, "out of memory");
		for (unsigned i = 0; i < rf__group_members(c->group); i++) { /* member 0 too */
			rf__warc_zip_free(c->members[i]->warc_zip);
			c->members[i]->warc_zip = NULL;
			c->members[i]->warc = NULL;
		}
		rf__warc_files_free(w);
	}
	return err;
}

void rf_resolver_opts_init(rf_resolver_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int resolver_one(rf_client *c, const rf_resolver_opts *o, char *why, size_t why_len);

int rf_client_resolver(rf_client *c, const rf_resolver_opts *o, char *why, size_t why_len)
{
	if (!c->members)
		return resolver_one(c, o, why, why_len);
	for (unsigned i = 0; i < rf__group_members(c->group); i++) {
		/* each member's resolver runs on its loop (only queued here:
		 * the member's thread submits) */
		int err = resolver_one(c->members[i], o, why, why_len);
		if (err)
			return err;
		rf__dns_join(c->members[i]->dns, c->group, i);
	}
	return 0;
}

static int resolver_one(rf_client *c, const rf_resolver_opts *o, char *why, size_t why_len)
{
	char scratch[8];
	if (!why || !why_len) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = 0;
	const struct rf__dns_stats *st = rf__dns_stats(c->dns);
	if (c->source || c->q_head || st->lookups || st->hits || st->joined) {
		snprintf(why, why_len, "the resolver is chosen before the first request");
		return RF_EINVAL;
	}
	if (o->family != 0 && o->family != 4 && o->family != 6) {
		snprintf(why, why_len, "family %d: want 0, 4 or 6", o->family);
		return RF_EINVAL;
	}
	if (o->kind == RF_RESOLVER_SYSTEM && o->servers && *o->servers) {
		snprintf(why, why_len, "DNS servers cannot be named for the system resolver");
		return RF_EINVAL;
	}
	if (o->n_pins > 100000) {
		snprintf(why, why_len, "too many pinned names");
		return RF_EINVAL;
	}
	struct rf__dns_config cfg = {
		.system = o->kind == RF_RESOLVER_SYSTEM,
		.family = o->family == 4   ? AF_INET
	                  : o->family == 6 ? AF_INET6
	                                   : 0,
		.max_inflight = o->max_inflight,
		.cache_max = o->cache_max,
		.servers = o->servers,
		.pins = o->pins,
		.n_pins = (unsigned)o->n_pins,
		.hosts_path = o->hosts_file,
	};
	struct rf__dns *d;
	int err = rf__dns_new(c->loop, &cfg, &d, why, why_len);
	if (err)
		return err;
	/* the look-ahead reads as many entries as names may be asked at once */
	unsigned n = o->max_inflight ? o->max_inflight : RF__LOOK_AHEAD_DEFAULT;
	n = n < 16 ? 16 : n > 4096 ? 4096 : n;
	struct rf__ahead *ahead = calloc(n, sizeof(*ahead));
	if (!ahead) {
		rf__dns_free(d);
		return -ENOMEM;
	}
	free(c->ahead);
	c->ahead = ahead;
	c->ahead_max = n;
	c->ahead_head = 0;
	rf__dns_free(c->dns);
	c->dns = d;
	return 0;
}

void rf_client_dns_stats(const rf_client *c, rf_dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	unsigned n = c->members ? rf__group_members(c->group) : 1;
	for (unsigned i = 0; i < n; i++) { /* threads: added up */
		const rf_client *m = c->members ? c->members[i] : c;
		const struct rf__dns_stats *st = rf__dns_stats(m->dns);
		out->lookups += st->lookups;
		out->hits += st->hits + st->shared;
		out->joined += st->joined;
		out->failures += st->failures;
		out->expired += st->expired;
		out->evicted += st->evicted;
		if (st->entries > out->entries)
			out->entries = st->entries;
		out->peak_inflight += st->peak_inflight;
	}
	out->resolver = rf__dns_resolver_name(c->dns);
}

int rf_client_cookies(rf_client *c, const char *path, unsigned *bad_line)
{
	if (bad_line)
		*bad_line = 0;
	if (!c->cookies && !(c->cookies = rf__cookies_new()))
		return -ENOMEM;
	for (unsigned i = 1; c->members && i < rf__group_members(c->group); i++)
		c->members[i]->cookies = c->cookies; /* one store, under the group's lock */
	if (!path)
		return 0;
	unsigned line;
	int err = rf__cookies_load(c->cookies, path, (int64_t)time(NULL), &line);
	if (bad_line)
		*bad_line = line;
	return err;
}

int rf_client_cookies_save(rf_client *c, const char *path)
{
	if (!c->cookies)
		return RF_EINVAL;
	return rf__cookies_save(c->cookies, path, (int64_t)time(NULL));
}
