/*
 * soak.c - a long library run against nginx while connections are killed
 * at random (tests/soak/test_soak.py drives it and kills the connections).
 *
 *   soak BASE_URL MANIFEST OUTDIR REQUESTS
 *
 * MANIFEST has one "NAME SIZE SHA256HEX" line per file under BASE_URL.
 * Request i fetches file i % nfiles; every 20th goes to a file
 * OUTDIR/i-NAME, the rest are discarded, all with a SHA-256 computed by the
 * engine.  Prints TAP: every request reported exactly once, every success
 * byte-exact (size and digest), every failure with a reason, no descriptor
 * leaked across rf_client_new .. rf_client_free, resident memory flat from
 * the first tenth of the run to its end.  Then one line per file-sink
 * request, "FILE i ok|failed PATH", for the driver to check the disk.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringfetch.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

struct file {
	char name[64];
	unsigned long long size;
	char sha[65];
};

struct soak {
	const char *base, *outdir;
	struct file *files;
	unsigned nfiles;
	unsigned long total, next;
	unsigned char *seen;      /* times each request was reported */
	signed char *file_ok;     /* file sinks: 1 ok, 0 failed, -1 not a file */
	unsigned long ok, failed, wrong, no_reason, retried;
	long rss_early, rss_end;
	char url[512], path[512];
};

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory stream's own */
}

static int source(void *arg, rf_request *rq)
{
	struct soak *s = arg;
	if (s->next >= s->total)
		return 0;
	unsigned long i = s->next++;
	const struct file *f = &s->files[i % s->nfiles];
	snprintf(s->url, sizeof(s->url), "%s/%s", s->base, f->name);
	rq->url = s->url;
	rq->user = (void *)(uintptr_t)i;
	if (i % 20 == 0) {
		snprintf(s->path, sizeof(s->path), "%s/%lu-%s", s->outdir, i, f->name);
		rq->sink = RF_SINK_FILE;
		rq->path = s->path;
	} else {
		rq->sink = RF_SINK_DISCARD;
	}
	if (i == s->total / 10)
		s->rss_early = rss_kib();
	return 1;
}

static void on_done(void *arg, const rf_result *r)
{
	struct soak *s = arg;
	unsigned long i = (unsigned long)(uintptr_t)r->user;
	if (i >= s->total)
		abort();
	s->seen[i]++;
	s->retried += r->retries > 0;
	const struct file *f = &s->files[i % s->nfiles];
	if (r->error) {
		s->failed++;
		if (!*rf_strerror(r->error))
			s->no_reason++;
		if (i % 20 == 0)
			s->file_ok[i] = 0;
		return;
	}
	s->ok++;
	if (r->resumed_from + r->bytes != f->size || strcmp(r->digest, f->sha) != 0) {
		s->wrong++;
		fprintf(stderr, "wrong: %s (request %lu) %llu bytes %s, status %d, %u attempts, "
		        "%u retries, resumed from %llu, reused %d\n", r->url, i,
		        (unsigned long long)r->bytes, r->digest, r->status, r->attempts, r->retries,
		        (unsigned long long)r->resumed_from, r->reused);
	}
	if (i % 20 == 0)
		s->file_ok[i] = 1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: soak BASE_URL MANIFEST OUTDIR REQUESTS\n");
		return 2;
	}
	static struct soak s;
	s.base = argv[1];
	s.outdir = argv[3];
	s.total = strtoul(argv[4], NULL, 10);
	FILE *m = fopen(argv[2], "r");
	if (!m)
		return 2;
	s.files = calloc(4096, sizeof(*s.files));
	while (s.nfiles < 4096 && fscanf(m, "%63s %llu %64s", s.files[s.nfiles].name,
	                                 &s.files[s.nfiles].size, s.files[s.nfiles].sha) == 3)
		s.nfiles++;
	fclose(m);
	s.seen = calloc(s.total, 1);
	s.file_ok = malloc(s.total);
	if (!s.nfiles || !s.seen || !s.file_ok)
		return 2;
	memset(s.file_ok, -1, s.total);

	int fds_before = count_fds();
	rf_client_opts o;
	rf_client_opts_init(&o);
	o.max_inflight = 64;
	o.retries = 5;
	o.retry_delay = 0.01;
	o.idle_timeout = 10;
	o.digest = "sha-256";
	o.on_done = on_done;
	o.done_arg = &s;
	rf_client *c;
	int err = rf_client_new(&o, &c);
	CHECK(err == 0, "client created (%s)", err ? rf_strerror(err) : "ok");
	if (err)
		return tap_done();
	err = rf_run(c, source, &s);
	s.rss_end = rss_kib();
	rf_client_free(c);
	int fds_after = count_fds();

	CHECK(err == 0, "run finished (%s)", err ? rf_strerror(err) : "ok");
	unsigned long lost = 0, dup = 0;
	for (unsigned long i = 0; i < s.total; i++) {
		lost += s.seen[i] == 0;
		dup += s.seen[i] > 1;
	}
	CHECK(lost == 0 && dup == 0, "%lu requests: none lost (%lu), none reported twice (%lu)",
	      s.total, lost, dup);
	CHECK(s.ok + s.failed == s.total, "%lu ok + %lu failed = %lu", s.ok, s.failed, s.total);
	CHECK(s.wrong == 0, "every success byte-exact: size (resumed prefix + this attempt) and SHA-256 (%lu wrong)", s.wrong);
	CHECK(s.no_reason == 0, "every failure has a reason");
	CHECK(s.retried > 0, "connections were really killed: %lu requests retried", s.retried);
	CHECK(fds_after == fds_before, "no descriptor leaked (%d before, %d after)", fds_before,
	      fds_after);
	if (UNDER_ASAN)
		CHECK(1, "resident memory not judged under ASan (its quarantine grows): %ld -> %ld KiB",
		      s.rss_early, s.rss_end);
	else
		CHECK(s.rss_early > 0 && s.rss_end - s.rss_early < 4096,
		      "resident memory flat: %ld KiB at a tenth, %ld KiB at the end", s.rss_early,
		      s.rss_end);
	for (unsigned long i = 0; i < s.total; i += 20)
		printf("# FILE %lu %s %s/%lu-%s\n", i, s.file_ok[i] == 1 ? "ok" : "failed", s.outdir, i,
		       s.files[i % s.nfiles].name);
	free(s.files);
	free(s.seen);
	free(s.file_ok);
	return tap_done();
}
