/*
 * test_api.c - the public library API against tests/servers/badserver.py:
 * sinks (callback, discard, file, fd), lazy sources, results and timings,
 * rf_stop, argument errors.  argv[1] is the path of badserver.py.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringfetch.h"
#include "tap.h"

static char base[64];

struct seen {
	int n, errors, last_error, last_status, redirects;
	uint64_t bytes;
	char url[256], final_url[256], path[256], content_encoding[64];
	double t_connect, t_first_byte, t_total;
	int stop_after;
	rf_client *client;
};

static void on_done(void *arg, const rf_result *r)
{
	struct seen *s = arg;
	s->n++;
	s->bytes += r->bytes;
	if (r->error)
		s->errors++;
	s->last_error = r->error;
	s->last_status = r->status;
	s->redirects = (int)r->redirects;
	snprintf(s->url, sizeof(s->url), "%s", r->url);
	snprintf(s->final_url, sizeof(s->final_url), "%s", r->final_url);
	snprintf(s->content_encoding, sizeof(s->content_encoding), "%s", r->content_encoding);
	snprintf(s->path, sizeof(s->path), "%s", r->path ? r->path : "");
	s->t_connect = r->t_connect;
	s->t_first_byte = r->t_first_byte;
	s->t_total = r->t_total;
	if (s->stop_after && s->n == s->stop_after)
		rf_stop(s->client);
}

struct collect {
	char data[8192];
	size_t len;
	int calls, fail_at;
};

static int on_body(void *user, const void *data, size_t len)
{
	struct collect *c = user;
	c->calls++;
	if (c->fail_at && c->calls >= c->fail_at)
		return 1;
	size_t room = sizeof(c->data) - c->len;
	memcpy(c->data + c->len, data, len < room ? len : room);
	c->len += len < room ? len : room;
	return 0;
}

static struct {
	int calls;
	unsigned max_active;
	rf_progress last;
} progress_seen;

static void on_progress(void *arg, const rf_progress *p)
{
	(void)arg;
	progress_seen.calls++;
	if (p->active > progress_seen.max_active)
		progress_seen.max_active = p->active;
	progress_seen.last = *p;
}

static unsigned *threads_seen; /* [thread]: results each carried */

/* Called one at a time whatever thread carried the request: the plain
 * counters need no lock. */
static void threads_done(void *arg, const rf_result *r)
{
	if (threads_seen && r->thread < 4)
		threads_seen[r->thread]++;
	on_done(arg, r);
}

static rf_client *client(struct seen *s, unsigned j)
{
	rf_client_opts o;
	rf_client_opts_init(&o);
	o.max_inflight = j;
	o.on_done = on_done;
	o.done_arg = s;
	o.idle_timeout = 5;
	rf_client *c = NULL;
	int err = rf_client_new(&o, &c);
	if (err) {
		printf("Bail out! rf_client_new: %s\n", rf_strerror(err));
		exit(1);
	}
	s->client = c;
	return c;
}

static char url_buf[256];
static const char *url(const char *path)
{
	snprintf(url_buf, sizeof(url_buf), "%s%s", base, path);
	return url_buf;
}

struct source_state {
	int given, max_ahead;
	struct seen *seen;
	char url[256];
};

static int source(void *arg, rf_request *rq)
{
	struct source_state *st = arg;
	if (st->given == 100)
		return 0;
	int ahead = st->given - st->seen->n;
	if (ahead > st->max_ahead)
		st->max_ahead = ahead;
	snprintf(st->url, sizeof(st->url), "%s/ok/%d", base, 1000 + st->given);
	rq->url = st->url;
	rq->sink = RF_SINK_DISCARD;
	st->given++;
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("Bail out! usage: test_api badserver.py\n");
		return 1;
	}
	int sp[2];
	if (pipe(sp))
		return 1;
	pid_t server = fork();
	if (server == 0) {
		dup2(sp[1], STDOUT_FILENO);
		close(sp[0]);
		execlp("python3", "python3", argv[1], "0", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	FILE *srv = fdopen(sp[0], "r");
	int port = 0;
	if (server < 0 || !srv || fscanf(srv, "PORT %d", &port) != 1) {
		printf("Bail out! badserver did not start\n");
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);

	/* callback sink */
	struct seen s = {0};
	rf_client *c = client(&s, 4);
	struct collect col = {0};
	rf_request rq = {.url = url("/echo"), .sink = RF_SINK_CALLBACK, .on_body = on_body,
	                 .user = &col};
	CHECK(rf_submit(c, &rq) == 0, "submit callback request");
	CHECK(rf_run(c, NULL, NULL) == 0, "run");
	CHECK(s.n == 1 && s.errors == 0 && s.last_status == 200, "callback request succeeded");
	CHECK(col.len > 20 && memcmp(col.data, "GET /echo HTTP/1.1\r\n", 20) == 0 &&
	          s.bytes == col.len,
	      "callback got the whole body (%zu bytes)", col.len);
	CHECK(s.t_connect >= 0 && s.t_connect <= s.t_first_byte && s.t_first_byte <= s.t_total &&
	          s.t_total < 5,
	      "timings ordered: connect %.6f <= first byte %.6f <= total %.6f", s.t_connect,
	      s.t_first_byte, s.t_total);

	/* callback asking to stop */
	memset(&col, 0, sizeof(col));
	col.fail_at = 1;
	rq.url = url("/ok/100000");
	rf_submit(c, &rq);
	rf_run(c, NULL, NULL);
	CHECK(s.last_error == RF_EBODY_CALLBACK, "callback stop reported (%s)",
	      rf_strerror(s.last_error));

	/* discard sink and redirects */
	memset(&s, 0, sizeof(s));
	s.client = c;
	rf_request d = {.url = url("/redirect/2"), .sink = RF_SINK_DISCARD};
	rf_submit(c, &d);
	rf_run(c, NULL, NULL);
	char want[128];
	snprintf(want, sizeof(want), "%s/ok/123", base);
	CHECK(s.last_error == 0 && s.bytes == 123 && s.redirects == 3 &&
	          strcmp(s.final_url, want) == 0,
	      "discard after three redirects: %llu bytes, final %s", (unsigned long long)s.bytes,
	      s.final_url);

	/* results: Content-Encoding recorded, userinfo redacted */
	memset(&s, 0, sizeof(s));
	s.client = c;
	char cred_url[128];
	snprintf(cred_url, sizeof(cred_url), "http://alice:pw@%s/gzip", base + 7);
	rf_request g = {.url = cred_url, .sink = RF_SINK_DISCARD};
	rf_submit(c, &g);
	rf_run(c, NULL, NULL);
	snprintf(want, sizeof(want), "http://***@%s/gzip", base + 7);
	CHECK(s.last_error == 0 && strcmp(s.content_encoding, "gzip") == 0,
	      "Content-Encoding recorded: '%s'", s.content_encoding);
	CHECK(strcmp(s.url, want) == 0 && strcmp(s.final_url, want) == 0 && !strstr(s.url, "pw"),
	      "result URLs redacted: %s", s.url);
	char shown[64];
	CHECK(strcmp(rf_url_redact("https://u:p@h/x", shown, sizeof(shown)), "https://***@h/x") == 0,
	      "rf_url_redact");

	rf_client_free(c);

	/* lazy source: read ahead by the look-ahead window (the resolver's
	 * max_inflight, here 16) and the slots (4), never further */
	memset(&s, 0, sizeof(s));
	c = client(&s, 4);
	rf_resolver_opts ro;
	rf_resolver_opts_init(&ro);
	ro.max_inflight = 16;
	char why[200];
	CHECK(rf_client_resolver(c, &ro, why, sizeof(why)) == 0, "resolver options taken");
	struct source_state st = {.seen = &s};
	CHECK(rf_run(c, source, &st) == 0 && s.n == 100 && s.errors == 0, "100 from a source");
	CHECK(st.max_ahead <= 16 + 4 && st.max_ahead >= 16,
	      "source read ahead by the window and the slots only (%d)", st.max_ahead);
	ro.max_inflight = 8;
	CHECK(rf_client_resolver(c, &ro, why, sizeof(why)) == RF_EINVAL && strstr(why, "before"),
	      "the resolver is not changed once names were looked up (%s)", why);
	rf_dns_stats ds;
	rf_client_dns_stats(c, &ds);
	CHECK(strcmp(ds.resolver, "c-ares") == 0 && ds.hits >= 1 && ds.lookups == 0,
	      "literal addresses need no lookup (%s, %llu hits)", ds.resolver,
	      (unsigned long long)ds.hits);
	rf_client_free(c);

	/* file sink: no overwrite, then overwrite */
	char dir[] = "/tmp/rf-api-XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "temp dir");
	char path[300];
	snprintf(path, sizeof(path), "%s/out", dir);
	FILE *f = fopen(path, "w");
	fputs("keep", f);
	fclose(f);
	memset(&s, 0, sizeof(s));
	c = client(&s, 2);
	rf_request fr = {.url = url("/ok/10"), .sink = RF_SINK_FILE, .path = path};
	rf_submit(c, &fr);
	rf_run(c, NULL, NULL);
	char want_path[320];
	snprintf(want_path, sizeof(want_path), "%s.1", path);
	struct stat sb;
	CHECK(s.last_error == 0 && strcmp(s.path, want_path) == 0 && stat(path, &sb) == 0 &&
	          sb.st_size == 4,
	      "existing file kept, body saved as %s", s.path);
	fr.flags = RF_REQ_OVERWRITE;
	rf_submit(c, &fr);
	rf_run(c, NULL, NULL);
	CHECK(s.last_error == 0 && strcmp(s.path, path) == 0 && stat(path, &sb) == 0 &&
	          sb.st_size == 10,
	      "RF_REQ_OVERWRITE replaces it");
	fr.url = url("/truncated");
	fr.path = path;
	rf_submit(c, &fr);
	rf_run(c, NULL, NULL);
	char part[320];
	snprintf(part, sizeof(part), "%s.part", path);
	CHECK(s.last_error == RF_ETRUNCATED && s.path[0] == 0 && stat(path, &sb) == 0 &&
	          sb.st_size == 10 && stat(part, &sb) != 0,
	      "failed transfer leaves the old file and no .part");
	/* overwriting never replaces something that is not a regular file */
	char fifo[300];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0, "fifo");
	rf_request ff = {.url = url("/ok/10"), .sink = RF_SINK_FILE, .path = fifo,
	                 .flags = RF_REQ_OVERWRITE};
	rf_submit(c, &ff);
	rf_run(c, NULL, NULL);
	CHECK(s.last_error == RF_EOUTPUT_NAME && stat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode),
	      "a FIFO under the name is left alone (%s)", rf_strerror(s.last_error));
	snprintf(part, sizeof(part), "%s.part", fifo);
	CHECK(stat(part, &sb) != 0, "and its .part is gone");
	unlink(fifo);
	unlink(path);
	unlink(want_path);
	rmdir(dir);

	/* fd sink */
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	rf_request pr = {.url = url("/ok/3000"), .sink = RF_SINK_FD, .fd = fds[1]};
	rf_submit(c, &pr);
	rf_run(c, NULL, NULL);
	close(fds[1]);
	char pbuf[4096];
	ssize_t got = 0, r;
	while ((r = read(fds[0], pbuf + got, sizeof(pbuf) - (size_t)got)) > 0)
		got += r;
	close(fds[0]);
	CHECK(s.last_error == 0 && got == 3000, "fd sink wrote %zd bytes in order", got);
	rf_client_free(c);

	/* rf_stop from the done callback */
	memset(&s, 0, sizeof(s));
	c = client(&s, 2);
	s.stop_after = 1;
	for (int i = 0; i < 10; i++) {
		rf_request sr = {.url = url("/slow/1"), .sink = RF_SINK_DISCARD};
		rf_submit(c, &sr);
	}
	CHECK(rf_run(c, NULL, NULL) == 0, "run returns after rf_stop");
	CHECK(s.n == 10 && s.errors == 9 && s.last_error == RF_ECANCELED,
	      "the others are reported canceled (%d done, %d errors)", s.n, s.errors);
	rf_client_free(c);

	/* progress snapshots */
	{
		struct seen ps = {0};
		rf_client_opts po;
		rf_client_opts_init(&po);
		po.max_inflight = 2;
		po.on_done = on_done;
		po.done_arg = &ps;
		po.progress_interval = 0.1;
		po.on_progress = on_progress;
		po.progress_arg = &progress_seen;
		rf_client *pc;
		CHECK(rf_client_new(&po, &pc) == 0, "client with progress");
		for (int i = 0; i < 4; i++) {
			rf_request sr = {.url = url("/slow/2"), .sink = RF_SINK_DISCARD};
			rf_submit(pc, &sr);
		}
		rf_run(pc, NULL, NULL);
		CHECK(progress_seen.calls >= 3 && progress_seen.max_active == 2 &&
		          progress_seen.last.ok == 4 && progress_seen.last.active == 0 &&
		          progress_seen.last.bytes == 400,
		      "progress: %d calls, at most %u active, last %llu ok %llu bytes",
		      progress_seen.calls, progress_seen.max_active,
		      (unsigned long long)progress_seen.last.ok,
		      (unsigned long long)progress_seen.last.bytes);
		rf_client_free(pc);
	}

	/* threads: one run over three rings */
	{
		static struct seen ts;
		static unsigned by_thread[4];
		memset(&ts, 0, sizeof(ts));
		rf_client_opts to;
		rf_client_opts_init(&to);
		to.max_inflight = 6;
		to.threads = 3;
		to.on_done = threads_done;
		to.done_arg = &ts;
		to.on_progress = on_progress;
		to.progress_interval = 0.01;
		rf_client *tc = NULL;
		CHECK(rf_client_new(&to, &tc) == 0, "a client of three threads");
		ts.client = tc;
		threads_seen = by_thread;
		memset(&progress_seen, 0, sizeof(progress_seen));
		for (int i = 0; i < 6; i++) {
			rf_request tr = {.url = url("/ok/300"), .sink = RF_SINK_DISCARD};
			rf_submit(tc, &tr);
		}
		CHECK(rf_run(tc, NULL, NULL) == 0 && ts.n == 6 && ts.errors == 0 && by_thread[0] == 2 &&
		          by_thread[1] == 2 && by_thread[2] == 2,
		      "six submitted requests dealt two to each thread (%u/%u/%u)", by_thread[0], by_thread[1],
		      by_thread[2]);
		memset(&ts, 0, sizeof(ts));
		ts.client = tc;
		memset(by_thread, 0, sizeof(by_thread));
		struct source_state tst = {.seen = &ts};
		CHECK(rf_run(tc, source, &tst) == 0 && ts.n == 100 && ts.errors == 0 && ts.bytes == 100 * 1000 + 4950,
		      "a source's 100 URLs over three threads, callbacks one at a time (%d done)", ts.n);
		CHECK(by_thread[0] && by_thread[1] && by_thread[2], "every thread carried some (%u/%u/%u)",
		      by_thread[0], by_thread[1], by_thread[2]);
		CHECK(progress_seen.last.ok == 106 && progress_seen.last.source_done,
		      "the last progress adds up every thread's (%llu ok: 6 + 100, since the client was made)",
		      (unsigned long long)progress_seen.last.ok);
		memset(&ts, 0, sizeof(ts));
		ts.client = tc;
		ts.stop_after = 10;
		struct source_state sst = {.seen = &ts};
		CHECK(rf_run(tc, source, &sst) == 0 && ts.n == sst.given,
		      "rf_stop from a callback stops every thread; every entry read is reported (%d of %d)", ts.n,
		      sst.given);
		rf_client_free(tc);
		/* tar shards written by three threads: one set, numbered in turn */
		to.on_progress = NULL;
		tc = NULL;
		CHECK(rf_client_new(&to, &tc) == 0, "a client of three threads, for tar shards");
		char tdir[] = "/tmp/rf-api-tar-XXXXXX";
		CHECK(mkdtemp(tdir) != NULL, "temp dir for shards");
		char pattern[320], twhy[128] = "", keys[12][8];
		snprintf(pattern, sizeof(pattern), "%s/t-{shard}.tar", tdir);
		rf_tar_opts tt = {.pattern = pattern, .shard_samples = 5};
		CHECK(rf_client_tar(tc, &tt, twhy, sizeof(twhy)) == 0, "tar shards with threads: %s", twhy);
		memset(&ts, 0, sizeof(ts));
		ts.client = tc;
		for (int i = 0; i < 12; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%02d", i);
			rf_request tr = {.url = url("/ok/300"), .sink = RF_SINK_ARCHIVE, .path = keys[i]};
			rf_submit(tc, &tr);
		}
		CHECK(rf_run(tc, NULL, NULL) == 0 && ts.n == 12 && ts.errors == 0,
		      "12 samples over three threads");
		char tcmd[1200];
		snprintf(tcmd, sizeof(tcmd),
		         "cd %s && test \"$(ls t-*)\" = \"$(printf 't-0.tar\\nt-1.tar\\nt-2.tar')\" && "
		         "test \"$(for t in t-*.tar; do tar -tf $t | wc -l; done | tr '\\n' ' ')\" = "
		         "'10 10 4 ' && "
		         "test \"$(for t in t-*.tar; do tar -tf $t; done | sort -u | grep -c '^k.*json$')\" = 12",
		         tdir);
		CHECK(system(tcmd) == 0, "three shards of 5, 5 and 2 samples, every key once");
		snprintf(tcmd, sizeof(tcmd), "rm -rf %s", tdir);
		CHECK(system(tcmd) == 0, "shards removed");
		rf_client_free(tc);
		threads_seen = NULL;
		rf_client_opts_init(&to);
		to.threads = 2;
		to.cpus = "0-";
		char cwhy[200] = "";
		to.error_detail = cwhy;
		to.error_detail_len = sizeof(cwhy);
		tc = NULL;
		CHECK(rf_client_new(&to, &tc) == RF_EINVAL && !tc && strstr(cwhy, "CPU list"),
		      "a malformed CPU list is refused: %s", cwhy);
	}

	/* argument errors */
	rf_client_opts o;
	rf_client_opts_init(&o);
	const char *bad_header[] = {"Bad Name: x"};
	o.headers = bad_header;
	o.n_headers = 1;
	CHECK(rf_client_new(&o, &c) == RF_EHEADER, "bad header refused");
	rf_client_opts_init(&o);
	o.max_inflight = 0;
	CHECK(rf_client_new(&o, &c) == RF_EINVAL, "zero slots refused");
	rf_client_opts_init(&o);
	CHECK(rf_client_new(&o, &c) == 0, "defaults accepted");
	rf_request rz = {.url = url("/ok/1"), .sink = RF_SINK_DISCARD};
	rz.reserved[0] = &rz;
	CHECK(rf_submit(c, &rz) == RF_EINVAL, "non-zero reserved request fields refused");
	rf_client_opts oz;
	rf_client_opts_init(&oz);
	oz.http_version = RF_HTTP_2_PRIOR + 1;
	rf_client *cz = NULL;
	CHECK(rf_client_new(&oz, &cz) == RF_EINVAL && !cz, "unknown HTTP version refused");
	rf_client_opts_init(&oz);
	oz.io = 3;
	CHECK(rf_client_new(&oz, &cz) == RF_EINVAL && !cz, "unknown io refused");
	rf_client_opts_init(&oz);
	oz.uring_recv = 4;
	CHECK(rf_client_new(&oz, &cz) == RF_EINVAL && !cz, "unknown uring_recv refused");
	rf_client_opts_init(&oz);
	oz.file_io = 3;
	CHECK(rf_client_new(&oz, &cz) == RF_EINVAL && !cz, "unknown file_io refused");
	rf_request br = {.url = "nope", .sink = RF_SINK_DISCARD};
	CHECK(rf_submit(c, &br) == RF_EURL, "bad URL refused by rf_submit");
	br.url = "gopher://127.0.0.1/";
	CHECK(rf_submit(c, &br) == RF_ESCHEME, "other schemes refused");
	br.url = url("/ok/1");
	br.sink = RF_SINK_FILE;
	CHECK(rf_submit(c, &br) == RF_EINVAL, "file sink without path refused");
	rf_client_free(c);

	int codes[] = {RF_EURL, RF_ESCHEME, RF_EDNS, RF_ECONNECT_TIMEOUT, RF_EIDLE_TIMEOUT,
	               RF_EMAX_TIME, RF_EHTTP_STATUS, RF_EPROTO, RF_ETRUNCATED,
	               RF_EHEADERS_TOO_BIG, RF_ETOO_MANY_HEADERS, RF_EREDIRECT_LOOP,
	               RF_ETOO_MANY_REDIRECTS, RF_EREDIRECT_LOCATION, RF_ENOANSWER,
	               RF_EOUTPUT_NAME, RF_ECANCELED, RF_EHEADER, RF_EBODY_CALLBACK, RF_EINVAL,
	               RF_ETLS, RF_ETLS_VERIFY, RF_ETLS_CONFIG};
	int named = 0;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		named += strcmp(rf_strerror(codes[i]), "unknown error") != 0;
	CHECK(named == (int)(sizeof(codes) / sizeof(codes[0])), "every RF_E code has a message");
	CHECK(strcmp(rf_strerror(-ENOSPC), strerror(ENOSPC)) == 0, "errno codes use strerror");
	CHECK(strcmp(rf_version(), RF_VERSION_STRING) == 0, "rf_version matches the header");

	/* histograms of two layouts, merged */
	rf_hist *fine = rf_hist_new(), *coarse = rf_hist_new_layout(128);
	CHECK(fine && coarse && rf_hist_layout(fine) == 2048 && rf_hist_layout(coarse) == 128 &&
	          !rf_hist_new_layout(100),
	      "rf_hist layouts: 2048 and 128 sub-buckets, others refused");
	for (uint64_t v = 100; v <= 100000; v += 100)
		rf_hist_record(coarse, v);
	rf_hist_merge(fine, coarse);
	CHECK(rf_hist_count(fine) == 1000 && rf_hist_max(fine) == 100000 && rf_hist_min(fine) == 100 &&
	          rf_hist_percentile(fine, 50) >= 50000 && rf_hist_percentile(fine, 50) <= 50000 + 50000 / 64,
	      "a coarse histogram merged into a fine one: count, min, max exact, p50 within 1/64");
	rf_hist_free(fine);
	rf_hist_free(coarse);

	/* bench options: targets and stages checked before anything runs */
	rf_bench_opts bo;
	rf_bench *bench = NULL;
	char bwhy[256] = "", u1[256], u2[256];
	snprintf(u1, sizeof(u1), "%s", url("/ok/1")); /* url() has one buffer */
	snprintf(u2, sizeof(u2), "%s", url("/ok/2"));
	rf_bench_target targets[] = {{.url = u1, .weight = 2}, {.url = u2, .method = "BREW"}};
	rf_bench_opts_init(&bo);
	bo.targets = targets;
	bo.n_targets = 2;
	bo.error_detail = bwhy;
	bo.error_detail_len = sizeof(bwhy);
	CHECK(rf_bench_new(&bo, &bench) == RF_EINVAL && !bench && strstr(bwhy, "BREW"),
	      "a target's unknown method is refused, named: %s", bwhy);
	targets[1].method = "POST";
	rf_bench_stage stages[] = {{.duration = 1, .rate = 100}, {.duration = -1, .rate = 5}};
	bo.stages = stages;
	bo.n_stages = 2;
	CHECK(rf_bench_new(&bo, &bench) == RF_EINVAL && !bench, "a stage of negative length is refused");
	stages[1].duration = 1;
	bo.requests = 10;
	CHECK(rf_bench_new(&bo, &bench) == RF_EINVAL && !bench, "stages with a count of requests refused");
	bo.requests = 0;
	CHECK(rf_bench_new(&bo, &bench) == 0 && bench, "targets with weights and two stages accepted");
	rf_bench_free(bench);

	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	fclose(srv);
	return tap_done();
}
