/*
 * main.c - the ringfetch command line: options, naming outputs, reporting.
 *
 * The CLI uses only the public API (ringfetch.h).  URLs come from the
 * command line first, then from -i FILE, and are handed to the engine
 * through a source callback, one at a time as slots free up.  Each URL's
 * output name is decided here (-o, out=, or the URL's last path segment)
 * and the engine is asked not to overwrite existing files, so two URLs with
 * the same name end up as NAME and NAME.1.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringfetch.h>

#include "bench.h"
#include "config.h"
#include "input.h"
#include "io_report.h"
#include "names.h"
#include "options.h"
#include "progress.h"
#include "results.h"

struct cli {
	rf_dns_stats dns;     /* the client's, taken before it is freed */
	struct cli_options o; /* what the command line asked for */
	int output_fd;        /* -o names something that is not a regular file */
	struct progress progress;
	int signals;
	rf_client *client;
	int next_url;
	struct input in;
	bool in_open;
	int exit_code;
	unsigned long ok, failed, tls_handshakes, tls_resumed;
	unsigned long skipped;   /* ok without a transfer: already complete, up to date, -nc */
	unsigned long unstarted; /* read ahead (names looked up), never begun: interrupted */
	FILE *json;              /* --json, or NULL */
	char file_io[128];       /* --file-io: the path the client took */
	char io[80];             /* --io: the kernel path */
	char io_path[80];        /* the same, for --io-report */
	unsigned long long bytes;
	FILE *digest_out;
	bool json_on_stdout; /* --json -: stdout carries those lines alone */
	char path[PATH_MAX];
	char *netrc_path;      /* --netrc: ~/.netrc */
	char *proxy_with_user; /* the proxy URL with --proxy-user in it */
	char proxy_from[64];   /* the environment variables the proxies came from */
	struct names names;    /* the names this run has given out (names.h) */
	unsigned line;         /* the -i line of the URL being prepared, 0: none */
	uint64_t position;     /* URLs read so far (--tar keys: every shard's alike) */
	char key[256];         /* --tar: the sample's key */
	char command[4096];    /* the command line, credentials out (WARC's warcinfo) */
};

/* What the CLI keeps with each request it hands over (rf_request.user),
 * freed when its result comes. */
struct req_info {
	unsigned line;   /* -i list line, 0 for a command-line URL */
	char note[300];  /* why the name is not the URL's own, or "" */
	const char *url; /* the URL as fetched (in path's allocation) */
	char path[];     /* the name asked for ("" for other sinks), then the URL */
};

/* Before a message: clear the progress line it would otherwise run into. */
static void clear_progress(struct cli *c)
{
	progress_clear(&c->progress, stderr);
}

static void set_exit(struct cli *c, int code)
{
	if (c->exit_code == EXIT_OK || code < c->exit_code)
		c->exit_code = code;
}

static int mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(tmp, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void report_lines(struct cli *c, const rf_result *r, int code, unsigned line);

/* A URL (or list line) that never reached the engine still gets its
 * record: every outcome the summary counts has one. */
static void record_unfetched(struct cli *c, const char *shown, int err, bool local, const char *detail,
                             int code)
{
	rf_result r = {.url = shown,
	               .final_url = shown,
	               .reason = "",
	               .detail = detail,
	               .error = err,
	               .local_error = local,
	               .digest_algo = "",
	               .digest = "",
	               .note = "",
	               .content_encoding = "",
	               .content_disposition = ""};
	report_lines(c, &r, code, c->line);
}

static void input_error(void *arg, const char *file, unsigned line, const char *msg)
{
	struct cli *c = arg;
	clear_progress(c);
	fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	c->failed++;
	set_exit(c, EXIT_INPUT);
	unsigned had = c->line;
	c->line = line;
	record_unfetched(c, "", RF_EURL, false, msg, EXIT_INPUT);
	c->line = had;
}

/* A URL that fails before the engine sees it: printed (userinfo redacted:
 * a password is never printed), counted and recorded. */
static void unfetched(struct cli *c, const char *url, const char *msg, int err, bool local, int code)
{
	clear_progress(c);
	char shown[512];
	fprintf(stderr, "%s: %s\n", rf_url_redact(url, shown, sizeof(shown)), msg);
	c->failed++;
	set_exit(c, code);
	record_unfetched(c, shown, err, local, msg, code);
}

static void url_error(struct cli *c, const char *url, const char *msg)
{
	unfetched(c, url, msg, RF_EURL, false, EXIT_INPUT);
}

/* A name that cannot be given (names.h): a local error. */
static void name_error(struct cli *c, const char *url, const char *msg)
{
	unfetched(c, url, msg, RF_EOUTPUT_NAME, true, EXIT_LOCAL);
}

/* Is any existing component of dir (below base) a symlink?  Then
 * dir= could lead outside the output directory: refused before anything is
 * created. */
static bool symlink_in(const char *base, const char *dir)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s/", base);
	for (const char *d = dir; *d && n > 0 && n < (int)sizeof(p);) {
		size_t len = strcspn(d, "/");
		n += snprintf(p + n, sizeof(p) - (size_t)n, "%.*s", (int)len, d);
		struct stat st;
		if (n < (int)sizeof(p) && lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			return true;
		d += len;
		while (*d == '/')
			d++;
		if (n < (int)sizeof(p) - 1)
			p[n++] = '/', p[n] = 0;
	}
	return false;
}

static int usage_fail(const char *fmt, const char *arg);

/* --shard auto: a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based,
 * and JOB_COMPLETIONS, which the Job's manifest sets) or a Slurm array
 * (SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT). */
static int shard_fixed_n(struct cli *c)
{
	const char *var = "JOB_COMPLETION_INDEX", *idx = getenv(var);
	if (!idx)
		idx = getenv(var = "SLURM_ARRAY_TASK_ID");
	if (!idx)
		return usage_fail("--shard auto/N: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is "
		                  "set%s",
		                  "");
	char *e, msg[300];
	long k = strtol(idx, &e, 10);
	if (*e || !*idx || k < 0 || k >= (long)c->o.shard_n) {
		snprintf(msg, sizeof(msg),
		         "--shard auto/%u: %s is %s, not one of 0 to %u (the array's ids must be 0-%u)",
		         c->o.shard_n, var, idx, c->o.shard_n - 1, c->o.shard_n - 1);
		return usage_fail("%s", msg);
	}
	c->o.shard_k = (unsigned)k + 1;
	return CLI_RUN;
}

static int shard_from_environment(struct cli *c)
{
	if (c->o.shard_n)
		return shard_fixed_n(c);
	const char *idx = getenv("JOB_COMPLETION_INDEX"), *cnt = getenv("JOB_COMPLETIONS");
	long base = 0;
	if (!idx || !cnt) {
		/* Slurm: a strided or re-submitted array has ids that do not
		 * make 0..COUNT-1 of the whole list: refused, not guessed */
		const char *step = getenv("SLURM_ARRAY_TASK_STEP"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
		if (step && strcmp(step, "1") != 0 && getenv("SLURM_ARRAY_TASK_ID"))
			return usage_fail(
				"--shard auto: a strided array (SLURM_ARRAY_TASK_STEP=%s) has ids that "
				"are not 0..COUNT-1: use --shard auto/N with --array=0-(N-1)",
				step);
		if (count && strcmp(count, "1") == 0 && getenv("SLURM_ARRAY_TASK_ID"))
			return usage_fail("--shard auto: the array has one task (SLURM_ARRAY_TASK_COUNT=1; a "
			                  "re-submitted task?), which would take the whole list: use --shard "
			                  "auto/N%s",
			                  "");
		idx = getenv("SLURM_ARRAY_TASK_ID");
		cnt = getenv("SLURM_ARRAY_TASK_COUNT");
		const char *min = getenv("SLURM_ARRAY_TASK_MIN");
		base = min ? strtol(min, NULL, 10) : 0;
	}
	if (!idx || !cnt)
		return usage_fail("--shard auto: neither JOB_COMPLETION_INDEX and JOB_COMPLETIONS nor "
		                  "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are set%s",
		                  "");
	char *e1, *e2;
	long k = strtol(idx, &e1, 10) - base, n = strtol(cnt, &e2, 10);
	if (*e1 || *e2 || n < 1 || n > 1000000 || k < 0 || k >= n)
		return usage_fail("--shard auto: the shard index and count in the environment do not "
		                  "make a shard (index %s)",
		                  idx);
	c->o.shard_k = (unsigned)k + 1;
	c->o.shard_n = (unsigned)n;
	return CLI_RUN;
}

/* --shard: is url in this shard?  FNV-1a (64 bit) of the URL exactly as
 * given, modulo N, is K-1: stable across runs, machines and list order. */
static bool in_shard(const struct cli *c, const char *url)
{
	if (!c->o.shard_n)
		return true;
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h % c->o.shard_n == c->o.shard_k - 1;
}

static void on_done(void *arg, const rf_result *r);

/* -nc: url's file exists; reported as skipped like any other result. */
static void clobber_skip(struct cli *c, const char *url)
{
	char shown[8192 + 64];
	rf_url_redact(url, shown, sizeof(shown));
	rf_result r = {.url = shown,
	               .final_url = shown,
	               .path = c->path,
	               .reason = "",
	               .detail = "",
	               .skipped = 1,
	               .digest_algo = "",
	               .digest = "",
	               .note = "this URL's file exists (--no-clobber): not fetched",
	               .content_encoding = "",
	               .content_disposition = ""};
	on_done(c, &r);
}

/* The request's req_info; false (the URL reported failed) without memory. */
static bool attach_info(struct cli *c, rf_request *req, const char *note)
{
	const char *path = req->sink == RF_SINK_FILE ? req->path : "";
	size_t plen = strlen(path) + 1;
	struct req_info *info = malloc(sizeof(*info) + plen + strlen(req->url) + 1);
	if (!info) {
		name_error(c, req->url, "out of memory");
		return false;
	}
	info->line = c->line;
	snprintf(info->note, sizeof(info->note), "%s", note);
	memcpy(info->path, path, plen);
	strcpy(info->path + plen, req->url);
	info->url = info->path + plen;
	req->user = info;
	return true;
}

/* Fill req for url (with list options out/dir); false if it must be skipped. */
static bool prepare(struct cli *c, rf_request *req, const char *url, const char *out, const char *dir,
                    const char *checksum, unsigned split, const char *key)
{
	uint64_t position = c->position++;
	memset(req, 0, sizeof(*req));
	req->url = url;
	req->fd = -1;
	req->checksum = checksum;
	req->range = c->o.range;
	req->split = split ? split : c->o.split;
	req->flags = (c->o.resume ? RF_REQ_RESUME : 0) | (c->o.mirror ? RF_REQ_MIRROR : 0);
	if (!in_shard(c, url))
		return false; /* another shard's */
	/* no scheme: http://, as curl and wget take "host:8080/f" */
	static char with_scheme[8192 + 8];
	if (!strstr(url, "://") && strlen(url) < sizeof(with_scheme) - 8) {
		snprintf(with_scheme, sizeof(with_scheme), "http://%s", url);
		url = req->url = with_scheme;
	}
	const char *why;
	if (rf_url_check(url, &why)) {
		url_error(c, url, why);
		return false;
	}
	if (c->o.discard) {
		req->sink = RF_SINK_DISCARD;
		return attach_info(c, req, "");
	}
	if (c->o.warc) { /* records of the WARC file, no file of its own */
		req->sink = RF_SINK_WARC;
		req->flags &= ~RF_REQ_MIRROR; /* -N: revisit records, not conditional requests */
		return attach_info(c, req, "");
	}
	if (c->o.tar) { /* a sample: KEY from key= or the list position */
		if (key)
			snprintf(c->key, sizeof(c->key), "%s", key);
		else
			snprintf(c->key, sizeof(c->key), "%09llu", (unsigned long long)position);
		req->sink = RF_SINK_ARCHIVE;
		req->path = c->key;
		return attach_info(c, req, "");
	}
	if (c->o.output) {
		if (strcmp(c->o.output, "-") == 0) {
			req->sink = RF_SINK_FD;
			req->fd = STDOUT_FILENO;
		} else if (c->output_fd >= 0) {
			req->sink = RF_SINK_FD; /* -o /dev/null, a FIFO: written in place */
			req->fd = c->output_fd;
		} else {
			req->sink = RF_SINK_FILE;
			req->path = c->o.output;
			req->flags |= RF_REQ_OVERWRITE;
			names_reserve(&c->names, c->o.output);
		}
		return attach_info(c, req, "");
	}
	char layout[PATH_MAX];
	if (c->o.force_dirs) { /* --force-directories, -nH, --cut-dirs: HOST/DIRS */
		int n = snprintf(layout, sizeof(layout), "%s%s", dir ? dir : "", dir ? "/" : "");
		if (rf_url_dirs(url, !c->o.no_host_dirs, c->o.cut_dirs, layout + n,
		                sizeof(layout) - (size_t)n)) {
			url_error(c, url, "output path too long");
			return false;
		}
		dir = *layout ? layout : NULL;
	}
	char name[RF_NAME_MAX + 1];
	if (out) {
		snprintf(name, sizeof(name), "%s", out);
	} else if (rf_url_filename(url, name, sizeof(name))) {
		url_error(c, url, "no file name can be made from this URL");
		return false;
	}
	int n;
	if (dir) {
		if (symlink_in(c->o.out_dir, dir)) {
			url_error(c, url, "dir= leads outside the output directory");
			return false;
		}
		n = snprintf(c->path, sizeof(c->path), "%s/%s", c->o.out_dir, dir);
		int err = n < (int)sizeof(c->path) ? mkdirs(c->path) : -ENAMETOOLONG;
		if (err) {
			char shown[512];
			fprintf(stderr, "%s: cannot create directory %s: %s\n",
			        rf_url_redact(url, shown, sizeof(shown)), c->path, strerror(-err));
			c->failed++;
			set_exit(c, EXIT_LOCAL);
			return false;
		}
		/* a symlink inside the output directory must not lead out of it */
		char real_dir[PATH_MAX], real_out[PATH_MAX];
		if (!realpath(c->path, real_dir) || !realpath(c->o.out_dir, real_out) ||
		    strncmp(real_dir, real_out, strlen(real_out)) != 0 ||
		    (real_dir[strlen(real_out)] != '/' && real_dir[strlen(real_out)] != 0)) {
			url_error(c, url, "dir= leads outside the output directory");
			return false;
		}
		n = snprintf(c->path, sizeof(c->path), "%s/%s/%s", c->o.out_dir, dir, name);
	} else {
		n = snprintf(c->path, sizeof(c->path), "%s/%s", c->o.out_dir, name);
	}
	if (n >= (int)sizeof(c->path)) {
		url_error(c, url, "output path too long");
		return false;
	}
	req->sink = RF_SINK_FILE;
	enum name_mode mode = c->o.resume       ? NAME_RESUME
	                      : c->o.mirror     ? NAME_MIRROR
	                      : c->o.no_clobber ? NAME_NO_CLOBBER
	                                        : NAME_NEW;
	static struct name_choice ch;
	if (names_choose(&c->names, c->path, url, mode, &ch)) {
		name_error(c, url, ch.note);
		return false;
	}
	snprintf(c->path, sizeof(c->path), "%s", ch.path);
	req->path = c->path;
	if (mode == NAME_NO_CLOBBER && ch.own) {
		clobber_skip(c, url);
		return false;
	}
	return attach_info(c, req, ch.note);
}

/* The source: command-line URLs, then the input list. */
/* "Name: value" (or "--header=Name: value") names a credential. */
static bool credential_header(const char *h)
{
	if (strncmp(h, "--header=", 9) == 0)
		h += 9;
	size_t n = strcspn(h, ":");
	return (n == 13 && strncasecmp(h, "authorization", 13) == 0) ||
	       (n == 19 && strncasecmp(h, "proxy-authorization", 19) == 0) ||
	       (n == 6 && strncasecmp(h, "cookie", 6) == 0);
}

static int next_request(void *arg, rf_request *req)
{
	struct cli *c = arg;
	static struct input_entry e;
	while (c->next_url < c->o.nurls) {
		const char *url = c->o.urls[c->next_url++];
		c->line = 0;
		if (prepare(c, req, url, NULL, NULL, c->o.checksum, 0, NULL))
			return 1;
	}
	while (c->in_open) {
		input_entry_clear(&e);
		if (input_next(&c->in, &e) <= 0) {
			input_close(&c->in);
			c->in_open = false;
			return 0;
		}
		c->line = e.line;
		if (prepare(c, req, e.url, e.out, e.dir, e.checksum, e.split, e.key))
			return 1;
	}
	input_entry_clear(&e);
	return 0;
}

/* The exit status one failed URL calls for. */
static int exit_code_for(const rf_result *r)
{
	switch (r->error) {
	case 0:
		return EXIT_OK;
	case RF_EHTTP_STATUS:
	case RF_EREDIRECT_LOOP:
	case RF_ETOO_MANY_REDIRECTS:
	case RF_EREDIRECT_LOCATION:
	case RF_ETOO_BIG:
	case RF_EDECODE:
		return EXIT_HTTP;
	case RF_EURL:
	case RF_ESCHEME:
	case RF_EINVAL:
		return r->redirects ? EXIT_HTTP : EXIT_INPUT;
	case RF_EOUTPUT_NAME:
		return EXIT_LOCAL;
	case RF_ETLS:
	case RF_ETLS_VERIFY:
	case RF_ETLS_CONFIG:
		return EXIT_TLS;
	case RF_ECHECKSUM:
		return EXIT_CHECKSUM;
	case RF_EPROXY:
	case RF_EPROXY_AUTH:
		return EXIT_PROXY;
	case RF_ECANCELED:
		return EXIT_INTERRUPTED;
	default:
		return r->local_error ? EXIT_LOCAL : EXIT_NETWORK;
	}
}

/* Where a result's body went, for reports: the file, "-" (stdout), the
 * -o device, or NULL (nothing saved, or discarded). */
static const char *result_path(const struct cli *c, const rf_result *r)
{
	if (r->path)
		return r->path;
	if (r->error || c->o.discard || !c->o.output)
		return NULL;
	return c->o.output;
}

/* The script-facing lines for one URL: --write-out, --json, digests;
 * each flushed at once, so a pipe sees it as the URL finishes. */
static void report_lines(struct cli *c, const rf_result *r, int code, unsigned line)
{
	const char *path = result_path(c, r);
	if (c->o.write_out) {
		FILE *to = c->json_on_stdout ? stderr : stdout;
		writeout(to, c->o.write_out, r, path, code, line);
		fflush(to);
	}
	if (c->json) {
		results_json(c->json, r, path, code, line);
		fputc('\n', c->json);
		fflush(c->json);
	}
	if (!r->error && r->digest[0] && c->o.print_digest) {
		fprintf(c->digest_out, "%s  %s\n", r->digest, path ? path : r->url);
		fflush(c->digest_out);
	}
}

/* The naming note (names.h), or one for a name the engine had to change
 * because another program took the chosen one meanwhile; then the
 * engine's own note. */
/* -J: give a finished file the name its Content-Disposition offers, in
 * the same directory, never over a name this run gave out or a file that
 * is not this URL's own (-N and -c replace the URL's own file).  r->path
 * then names it (in path_buf); what happened is said in note. */
static void take_disposition_name(struct cli *c, rf_result *r, const struct req_info *info, char *path_buf,
                                  char *note, size_t cap)
{
	char name[RF_NAME_MAX + 1];
	if (!c->o.content_disposition || !info || r->error || !r->path || r->skipped ||
	    !r->content_disposition || rf_disposition_filename(r->content_disposition, name, sizeof(name)))
		return;
	const char *slash = strrchr(r->path, '/');
	const char *had = slash ? slash + 1 : r->path;
	int dlen = slash ? (int)(slash - r->path) + 1 : 0;
	if (snprintf(path_buf, PATH_MAX, "%.*s%s", dlen, r->path, name) >= PATH_MAX ||
	    strcmp(path_buf, r->path) == 0)
		return;
	const char *why = NULL;
	if (names_taken(&c->names, path_buf)) {
		why = "an earlier URL of this run has that name";
	} else if (renameat2(AT_FDCWD, r->path, AT_FDCWD, path_buf, RENAME_NOREPLACE)) {
		int e = errno;
		if (e == EINVAL && !link(r->path, path_buf)) /* no RENAME_NOREPLACE here */
			e = unlink(r->path) ? errno : 0;
		else if (e == EINVAL)
			e = errno;
		if (e == EEXIST && (c->o.mirror || c->o.resume) &&
		    rf_file_owner(path_buf, info->url) == RF_OWNER_SELF)
			e = rename(r->path, path_buf) ? errno : 0; /* the URL's own, fetched again */
		if (e == EEXIST)
			why = "it exists and is never overwritten";
		else if (e)
			why = strerror(e);
	}
	if (why) {
		snprintf(note, cap, "kept as %s (Content-Disposition names it %s: %s)", had, name, why);
		return;
	}
	names_reserve(&c->names, path_buf);
	snprintf(note, cap, "saved as %s (its Content-Disposition name)", name);
	r->path = path_buf;
}

static const char *merged_note(const rf_result *r, const struct req_info *info, const char *cd_note,
                               char *buf, size_t cap)
{
	char naming[900] = "";
	if (cd_note[0]) {
		snprintf(naming, sizeof(naming), "%.300s%s%.500s", info && info->note[0] ? info->note : "",
		         info && info->note[0] ? "; " : "", cd_note);
	} else if (info && r->path && info->path[0] && strcmp(r->path, info->path) != 0) {
		const char *me = strrchr(r->path, '/'), *asked = strrchr(info->path, '/');
		snprintf(naming, sizeof(naming), "saved as %.250s (%.250s appeared meanwhile)",
		         me ? me + 1 : r->path, asked ? asked + 1 : info->path);
	} else if (info && r->path && info->note[0]) {
		snprintf(naming, sizeof(naming), "%s", info->note);
	}
	if (!naming[0])
		return r->note;
	snprintf(buf, cap, "%s%s%s", naming, r->note[0] ? "; " : "", r->note);
	return buf;
}

static void on_done(void *arg, const rf_result *res)
{
	struct cli *c = arg;
	struct req_info *info = res->user;
	char note[1500];
	rf_result rr = *res;
	const rf_result *r = &rr;
	char cd_path[PATH_MAX], cd_note[500] = "";
	take_disposition_name(c, &rr, info, cd_path, cd_note, sizeof(cd_note));
	rr.note = merged_note(&rr, info, cd_note, note, sizeof(note));
	bool naming_note = rr.note != res->note;
	unsigned line = info ? info->line : c->line;
	free(info);
	rr.user = NULL;
	c->tls_handshakes += r->tls_handshake;
	c->tls_resumed += r->tls_resumed;
	int code = exit_code_for(r);
	report_lines(c, r, code, line);
	c->bytes += r->bytes;
	if (r->error == 0) {
		c->ok++;
		c->skipped += r->skipped != 0;
		/* skipped files are counted in the summary; named only with -v;
		 * a name other than the URL's own is always said */
		if (r->note[0] && !c->o.quiet && (!r->skipped || c->o.verbose || naming_note)) {
			clear_progress(c);
			fprintf(stderr, "%s: note: %s\n", r->url, r->note);
		}
		return;
	}
	if (r->error == RF_ECANCELED && r->attempts == 0) {
		/* read ahead, never begun: its record says so; not a failure */
		c->unstarted++;
		return;
	}
	clear_progress(c);
	c->failed++;
	set_exit(c, code);
	if (r->error == RF_EHTTP_STATUS)
		fprintf(stderr, "%s: HTTP %d %s\n", r->url, r->status, r->reason);
	else if (r->detail[0])
		fprintf(stderr, "%s: %s (%s)\n", r->url, rf_strerror(r->error), r->detail);
	else
		fprintf(stderr, "%s: %s\n", r->url, rf_strerror(r->error));
	if (r->note[0])
		fprintf(stderr, "%s: note: %s\n", r->url, r->note);
}

/* -v: connection events as "* URL: ...", the request as "> " lines, the
 * response header sections as "< " lines (after "* URL: response"). */
static void on_debug(void *arg, const rf_debug *d)
{
	struct cli *c = arg;
	clear_progress(c);
	if (d->kind == RF_DEBUG_INFO) {
		fprintf(stderr, "* %s: %s\n", d->url, d->text);
		return;
	}
	if (d->kind == RF_DEBUG_RESPONSE)
		fprintf(stderr, "* %s: response\n", d->url);
	const char *mark = d->kind == RF_DEBUG_REQUEST ? "> " : "< ";
	for (const char *p = d->text; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "%s%.*s\n", n ? mark : "", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* A failed attempt will be retried: one line, unless -q. */
static void on_retry(void *arg, const rf_retry *t)
{
	struct cli *c = arg;
	if (c->o.quiet)
		return;
	clear_progress(c);
	char why[300];
	if (t->error == RF_EHTTP_STATUS)
		snprintf(why, sizeof(why), "HTTP %d", t->status);
	else if (t->detail[0])
		snprintf(why, sizeof(why), "%s (%s)", rf_strerror(t->error), t->detail);
	else
		snprintf(why, sizeof(why), "%s", rf_strerror(t->error));
	fprintf(stderr, "%s: retrying in %.1f s: %s (attempt %u of %u)\n", t->url, t->delay, why, t->attempt,
	        t->attempts);
}

/* The signal descriptor is readable: the first signal stops cleanly, the
 * second exits at once. */
/* Count the signals waiting in the descriptor; a second one exits at once. */
static void take_signals(struct cli *c)
{
	struct signalfd_siginfo si;
	while (c->o.opts.signal_fd >= 0 && read(c->o.opts.signal_fd, &si, sizeof(si)) == sizeof(si))
		c->signals++;
	if (c->signals >= 2) {
		static const char msg[] = "ringfetch: second signal, exiting now\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
		_exit(EXIT_INTERRUPTED);
	}
}

static void on_signal(void *arg)
{
	struct cli *c = arg;
	c->signals++;    /* the record the ring read */
	take_signals(c); /* and any that came with it */
	fputs("ringfetch: interrupted: stopping; partial files stay as .part (resume with -c)\n", stderr);
	set_exit(c, EXIT_INTERRUPTED);
	rf_stop(c->client);
}

static void on_progress(void *arg, const rf_progress *p)
{
	struct cli *c = arg;
	progress_draw(&c->progress, stderr, p);
}

/* The URLs this run will take, when they can be counted before it starts
 * (command line, a list in a regular file): the progress line shows "N/M"
 * instead of "N/M+".  False when the list is a pipe. */
static bool count_urls(struct cli *c, unsigned long *n)
{
	*n = 0;
	for (int i = 0; i < c->o.nurls; i++)
		*n += in_shard(c, c->o.urls[i]);
	if (!c->o.input_path)
		return true;
	struct stat st;
	if (strcmp(c->o.input_path, "-") == 0 || stat(c->o.input_path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	struct input in;
	if (input_open(&in, c->o.input_path))
		return false;
	in.report = NULL; /* the run reports bad lines */
	struct input_entry e;
	while (input_next(&in, &e) > 0) {
		*n += in_shard(c, e.url);
		input_entry_clear(&e);
	}
	input_close(&in);
	return true;
}

/* Each transfer holds a socket and a file, and may hold a pipe pair and an
 * idle pooled socket: raise the soft descriptor limit to cover that (up to
 * the hard limit), and refuse a -j whose socket and file do not fit. */
static int raise_fd_limit(unsigned jobs)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return CLI_RUN;
	rlim_t want = 5 * (rlim_t)jobs + 64, need = 2 * (rlim_t)jobs + 32;
	if (rl.rlim_cur >= want)
		return CLI_RUN;
	rlim_t cap = rl.rlim_max == RLIM_INFINITY ? want : rl.rlim_max;
	if (cap < need) {
		fprintf(stderr,
		        "ringfetch: -j %u needs at least %llu open files, but the limit is %llu "
		        "(ulimit -Hn); use a smaller -j or raise the limit\n",
		        jobs, (unsigned long long)need, (unsigned long long)cap);
		return EXIT_USAGE;
	}
	rlim_t had = rl.rlim_cur;
	rl.rlim_cur = want < cap ? want : cap;
	if (setrlimit(RLIMIT_NOFILE, &rl) && had < need) {
		fprintf(stderr, "ringfetch: cannot raise the open-file limit to %llu: %s\n",
		        (unsigned long long)rl.rlim_cur, strerror(errno));
		return EXIT_USAGE;
	}
	return CLI_RUN;
}

static int usage_fail(const char *fmt, const char *arg)
{
	fputs("ringfetch: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'ringfetch --help'.\n", stderr);
	return EXIT_USAGE;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* getenv, with "" as unset. */
static const char *env(const char *name, const char **used)
{
	const char *v = getenv(name);
	if (v && *v)
		*used = name;
	return v && *v ? v : NULL;
}

/* USER:PASS percent-encoded for a URL's userinfo. */
static void append_userinfo_part(char *out, size_t cap, const char *s, size_t n)
{
	size_t w = strlen(out);
	for (size_t i = 0; i < n && w + 4 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || strchr("-._~", ch))
			out[w++] = (char)ch;
		else
			w += (size_t)snprintf(out + w, cap - w, "%%%02X", ch);
	}
	out[w] = '\0';
}

/* The proxies, as curl chooses them: -x for every URL ("" = none), else
 * http_proxy for http:// (never HTTP_PROXY: a CGI request header can set
 * that one), https_proxy or HTTPS_PROXY for https://, all_proxy or
 * ALL_PROXY for either when unset; --noproxy, else no_proxy or NO_PROXY.
 * --proxy-user puts credentials into the proxy URL. */
static int choose_proxies(struct cli *c)
{
	rf_client_opts *o = &c->o.opts;
	const char *used_http = NULL, *used_https = NULL, *used_all = NULL, *unused = NULL;
	if (c->o.proxy_given) {
		o->proxy_http = o->proxy_https = c->o.proxy;
	} else {
		const char *all = env("all_proxy", &used_all);
		if (!all)
			all = env("ALL_PROXY", &used_all);
		o->proxy_http = env("http_proxy", &used_http);
		o->proxy_https = env("https_proxy", &used_https);
		if (!o->proxy_https)
			o->proxy_https = env("HTTPS_PROXY", &used_https);
		if (!o->proxy_http && (o->proxy_http = all))
			used_http = used_all;
		if (!o->proxy_https && (o->proxy_https = all))
			used_https = used_all;
		snprintf(c->proxy_from, sizeof(c->proxy_from), "%s%s%s", used_http ? used_http : "",
		         used_http && used_https && used_http != used_https ? ", " : "",
		         used_https && used_https != used_http ? used_https : "");
	}
	o->no_proxy = c->o.noproxy;
	if (!o->no_proxy && !(o->no_proxy = env("no_proxy", &unused)))
		o->no_proxy = env("NO_PROXY", &unused);
	if (!c->o.proxy_user)
		return CLI_RUN;
	if (!o->proxy_http && !o->proxy_https)
		return usage_fail("--proxy-user needs a proxy (-x or http_proxy/https_proxy)%s", "");
	if (o->proxy_http && o->proxy_https && strcmp(o->proxy_http, o->proxy_https) != 0)
		return usage_fail("--proxy-user with two different proxies: give one with -x%s", "");
	const char *px = o->proxy_http ? o->proxy_http : o->proxy_https;
	const char *sep = strstr(px, "://");
	const char *authority = sep ? sep + 3 : px;
	const char *at = strchr(authority, '@');
	const char *slash = strchr(authority, '/');
	if (at && (!slash || at < slash))
		authority = at + 1; /* --proxy-user replaces the URL's userinfo */
	const char *pu = c->o.proxy_user, *colon = strchr(pu, ':');
	size_t cap = 3 * strlen(pu) + strlen(authority) + 16;
	if (!(c->proxy_with_user = calloc(1, cap)))
		return EXIT_INTERNAL;
	strcpy(c->proxy_with_user, "http://");
	append_userinfo_part(c->proxy_with_user, cap, pu, colon ? (size_t)(colon - pu) : strlen(pu));
	if (colon) {
		strcat(c->proxy_with_user, ":");
		append_userinfo_part(c->proxy_with_user, cap, colon + 1, strlen(colon + 1));
	}
	strcat(c->proxy_with_user, "@");
	strcat(c->proxy_with_user, authority);
	if (sep && !(sep - px == 4 && strncasecmp(px, "http", 4) == 0))
		return usage_fail("--proxy-user: the proxy must be http://%s", "");
	if (o->proxy_http)
		o->proxy_http = c->proxy_with_user;
	if (o->proxy_https)
		o->proxy_https = c->proxy_with_user;
	return CLI_RUN;
}

/* Everything the run needs besides the engine: ~/.netrc, the -o target, the
 * output directory, the list, callbacks, signals, the descriptor limit.
 * CLI_RUN, or the status to exit with (the message printed). */
static int set_up(struct cli *c)
{
	if (c->o.netrc && !c->o.opts.netrc_file) {
		const char *home = getenv("HOME");
		if (home && asprintf(&c->netrc_path, "%s/.netrc", home) > 0 &&
		    access(c->netrc_path, R_OK) == 0)
			c->o.opts.netrc_file = c->netrc_path; /* no ~/.netrc: nothing to use */
	}
	int st = choose_proxies(c);
	if (st != CLI_RUN)
		return st;
	/* stdout carries one thing: the body (-o -) or the --json lines (--json
	 * -); digests and -w lines then go to stderr */
	c->json_on_stdout = c->o.json && strcmp(c->o.json, "-") == 0;
	c->digest_out = (c->o.output && strcmp(c->o.output, "-") == 0) || c->json_on_stdout ? stderr : stdout;
	if (c->o.output && strcmp(c->o.output, "-") != 0 && (c->o.create_dirs || c->o.out_dir_given)) {
		/* -P DIR is created if missing; -o's own directories with --create-dirs */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", c->o.output);
		char *slash = strrchr(parent, '/');
		if (!c->o.create_dirs)
			snprintf(parent, sizeof(parent), "%s", c->o.out_dir);
		else if (slash && slash != parent)
			*slash = 0;
		else
			parent[0] = 0;
		int err = *parent ? mkdirs(parent) : 0;
		if (err) {
			fprintf(stderr, "ringfetch: cannot create directory %s: %s\n", parent,
			        strerror(-err));
			return EXIT_LOCAL;
		}
	}
	/* -o /dev/null (or a FIFO, a terminal): never replaced by a rename,
	 * written in place like curl does */
	c->output_fd = -1;
	struct stat ost;
	if (c->o.output && strcmp(c->o.output, "-") != 0 && stat(c->o.output, &ost) == 0 &&
	    !S_ISREG(ost.st_mode)) {
		if (S_ISDIR(ost.st_mode))
			return usage_fail("-o %s is a directory (use -P)", c->o.output);
		if (c->o.resume)
			return usage_fail("-c cannot resume %s: not a regular file", c->o.output);
		c->output_fd = open(c->o.output, O_WRONLY | O_CLOEXEC);
		if (c->output_fd < 0) {
			fprintf(stderr, "ringfetch: cannot open %s: %s\n", c->o.output, strerror(errno));
			return EXIT_LOCAL;
		}
	}
	c->o.opts.headers = (const char *const *)c->o.headers;
	c->o.opts.n_headers = c->o.nheaders;
	if (!c->o.output && !c->o.discard) {
		int err = mkdirs(c->o.out_dir);
		if (err) {
			fprintf(stderr, "ringfetch: cannot use output directory %s: %s\n", c->o.out_dir,
			        strerror(-err));
			return EXIT_LOCAL;
		}
	}
	struct stat ist;
	if (c->o.input_path && stat(c->o.input_path, &ist) == 0 && S_ISDIR(ist.st_mode))
		return usage_fail("-i %s is a directory, not a list of URLs", c->o.input_path);
	if (c->o.input_path) {
		int err = input_open(&c->in, c->o.input_path);
		if (err) {
			fprintf(stderr, "ringfetch: cannot read %s: %s\n", c->o.input_path, strerror(-err));
			return EXIT_USAGE;
		}
		c->in.report = input_error;
		c->in.report_arg = c;
		c->in_open = true;
	}
	c->o.opts.on_done = on_done;
	c->o.opts.done_arg = c;
	c->o.opts.on_retry = on_retry;
	c->o.opts.retry_arg = c;
	if (c->o.verbose) {
		c->o.opts.on_debug = on_debug;
		c->o.opts.debug_arg = c;
	}
	if (c->o.shard_auto) { /* before the report: a run refused writes none */
		st = shard_from_environment(c);
		if (st != CLI_RUN)
			return st;
	}
	if (c->o.json) {
		bool dash = strcmp(c->o.json, "-") == 0;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", c->o.json);
		char *slash = strrchr(dir, '/');
		int derr = 0;
		if (!dash && slash && slash != dir) { /* its directory, as -P's */
			*slash = 0;
			derr = mkdirs(dir);
		}
		c->json = dash ? stdout : derr ? NULL : fopen(c->o.json, "we");
		if (!c->json) {
			fprintf(stderr, "ringfetch: cannot write --json %s: %s\n", c->o.json,
			        strerror(derr ? -derr : errno));
			return EXIT_LOCAL;
		}
	}
	bool tty = isatty(STDERR_FILENO);
	if (c->o.progress < 0)
		c->o.progress = tty ? PROGRESS_BAR : PROGRESS_NONE;
	if (c->o.progress != PROGRESS_NONE && !c->o.quiet) {
		unsigned long total = 0;
		bool known = tty && count_urls(c, &total);
		progress_init(&c->progress, (enum progress_style)c->o.progress, tty, total, known);
		c->progress.iec = c->o.iec_units;
		/* a terminal: redrawn 4 times a second; a log: a line a second */
		c->o.opts.progress_interval = tty ? 0.25 : 1.0;
		c->o.opts.on_progress = on_progress;
		c->o.opts.progress_arg = c;
	}

	/* SIGINT/SIGTERM arrive through a signalfd the ring reads */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	c->o.opts.signal_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	c->o.opts.on_signal = on_signal;
	c->o.opts.signal_arg = c;

	return raise_fd_limit(c->o.opts.max_inflight);
}

/* The engine: CLI_RUN and c->client, or the status to exit with. */
static int start_client(struct cli *c)
{
	char why[300] = "";
	c->o.opts.error_detail = why;
	c->o.opts.error_detail_len = sizeof(why);
	int err = rf_client_new(&c->o.opts, &c->client);
	c->o.opts.error_detail = NULL;
	if (!err && c->o.tar) {
		char twhy[600] = "", joined[PATH_MAX];
		rf_tar_opts t = {.pattern = c->o.tar,
		                 .shard_samples = c->o.shard_size,
		                 .shard_bytes = c->o.shard_bytes,
		                 .resume = c->o.resume};
		if (c->o.out_dir_given && c->o.tar[0] != '/') { /* as -o: under -P DIR */
			snprintf(joined, sizeof(joined), "%s/%s", c->o.out_dir, c->o.tar);
			t.pattern = joined;
		}
		int terr = rf_client_tar(c->client, &t, twhy, sizeof(twhy));
		if (terr == -ENOMEM)
			return EXIT_INTERNAL;
		if (terr)
			return usage_fail("%s", twhy);
	}
	if (!err && c->o.warc) {
		char wwhy[600] = "", path[PATH_MAX];
		const char *comp = c->o.warc_compression ? c->o.warc_compression : "gzip";
		snprintf(path, sizeof(path), "%s%s%s%s",
		         c->o.out_dir_given && c->o.warc[0] != '/' ? c->o.out_dir : "",
		         c->o.out_dir_given && c->o.warc[0] != '/' ? "/" : "", c->o.warc,
		         strcmp(comp, "none") == 0   ? ".warc"
		         : strcmp(comp, "zstd") == 0 ? ".warc.zst"
		                                     : ".warc.gz");
		rf_warc_opts w = {.path = path,
		                  .compression = comp,
		                  .keep_credentials = c->o.warc_keep_credentials,
		                  .command = c->command,
		                  .max_size = c->o.warc_max_size,
		                  .resume = c->o.resume,
		                  .cdx = c->o.warc_cdx,
		                  .dedup = c->o.mirror};
		int werr = rf_client_warc(c->client, &w, wwhy, sizeof(wwhy));
		if (werr == -ENOMEM)
			return EXIT_INTERNAL;
		if (werr)
			return usage_fail("%s", wwhy);
	}
	if (!err && c->o.resolver_given) {
		char rwhy[300] = "";
		int rerr = rf_client_resolver(c->client, &c->o.resolver, rwhy, sizeof(rwhy));
		if (rerr == -ENOMEM)
			return EXIT_INTERNAL;
		if (rerr)
			return usage_fail("%s", rwhy);
	}
	if (!err && (c->o.cookies_on || c->o.cookie_jar)) {
		unsigned line;
		int cerr = rf_client_cookies(c->client, c->o.cookie_file, &line);
		if (cerr && line) {
			fprintf(stderr,
			        "ringfetch: %s:%u: not a cookie line of the Netscape format (domain, "
			        "subdomains, path, secure, expiry, name, value; by tabs)\n",
			        c->o.cookie_file, line);
			return EXIT_USAGE;
		}
		if (cerr) {
			fprintf(stderr, "ringfetch: cannot read cookie file %s: %s\n", c->o.cookie_file,
			        rf_strerror(cerr));
			return cerr == -ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
		}
	}
	if (!err) {
		if (rf_client_io_note(c->client)[0] && !c->o.quiet)
			fprintf(stderr, "ringfetch: note: %s\n", rf_client_io_note(c->client));
		return CLI_RUN;
	}
	if (err == RF_EHEADER)
		return usage_fail("bad -H header%s", "");
	if (err == RF_ETLS_CONFIG) {
		fprintf(stderr, "ringfetch: %s\n", why);
		return EXIT_TLS;
	}
	if (why[0]) {
		fprintf(stderr, "ringfetch: %s%s%s%s\n", why,
		        c->proxy_from[0] && strstr(why, "proxy") ? " (the proxy came from the environment: "
		                                                 : "",
		        c->proxy_from[0] && strstr(why, "proxy") ? c->proxy_from : "",
		        c->proxy_from[0] && strstr(why, "proxy") ? ")" : "");
		return err == RF_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
	}
	fprintf(stderr, "ringfetch: cannot start: %s\n", rf_strerror(err));
	return EXIT_INTERNAL;
}

/* The summary line: what was fetched, how fast. */
static void summarise(struct cli *c, double secs)
{
	clear_progress(c);
	if (c->o.quiet)
		return;
	/* rates count what was transferred: skipped files moved no body */
	const char *unit;
	double mb = (double)c->bytes / units_mega(c->o.iec_units, &unit);
	unsigned long fetched = c->ok - c->skipped;
	fprintf(stderr, "ringfetch: %lu ok, %lu failed", c->ok, c->failed);
	if (c->unstarted)
		fprintf(stderr, ", %lu not started", c->unstarted);
	if (c->skipped)
		fprintf(stderr, " (%lu downloaded, %lu %s)", fetched, c->skipped,
		        c->o.resume   ? "already complete"
		        : c->o.mirror ? "up to date"
		                      : "skipped: the file exists");
	double files_per_s = secs > 0 ? (double)fetched / secs : 0.0;
	fprintf(stderr, ", %.1f %s in %.2f s (%.1f %s/s", mb, unit, secs, secs > 0 ? mb / secs : 0.0, unit);
	if (fetched < 2) /* a rate of files needs more than one */
		fputs(")", stderr);
	else
		fprintf(stderr, files_per_s < 10 ? ", %.1f files/s)" : ", %.0f files/s)", files_per_s);
	if (c->tls_handshakes)
		fprintf(stderr, ", TLS handshakes %lu (%lu resumed)", c->tls_handshakes, c->tls_resumed);
	if (c->dns.lookups)
		fprintf(stderr, ", DNS lookups %llu (%llu failed), cache hits %llu",
		        (unsigned long long)c->dns.lookups, (unsigned long long)c->dns.failures,
		        (unsigned long long)c->dns.hits);
	if (c->file_io[0])
		fprintf(stderr, ", file I/O %s", c->file_io);
	if (c->io[0])
		fprintf(stderr, ", %s", c->io);
	fputc('\n', stderr);
}

static void clean_up(struct cli *c)
{
	rf_client_free(c->client);
	c->client = NULL;
	if (c->in_open)
		input_close(&c->in);
	if (c->output_fd >= 0)
		close(c->output_fd);
	cli_options_free(&c->o);
	names_free(&c->names);
	free(c->netrc_path);
	if (c->proxy_with_user) {
		explicit_bzero(c->proxy_with_user, strlen(c->proxy_with_user));
		free(c->proxy_with_user);
	}
}

/* parse, set up, run, summarise */
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return cli_bench_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "help") == 0) { /* git's habit: a command word */
		if (argc > 2 && strcmp(argv[2], "bench") == 0)
			return cli_bench_main(2, (char *[]){"bench", "--help", NULL});
		if (argc > 2) {
			fprintf(stderr,
			        "ringfetch: no help on '%s': try 'ringfetch help' or 'ringfetch help "
			        "bench'\n",
			        argv[2]);
			return EXIT_USAGE;
		}
		cli_options_usage(stdout);
		return EXIT_OK;
	}
	static struct cli c;
	c.output_fd = -1;
	names_init(&c.names);
	static struct cli_config args;
	int status = cli_config_expand(argc, argv, &args, stderr);
	if (status != CLI_RUN)
		return status;
	status = cli_options_parse(&c.o, args.argc, args.argv, stdout, stderr);
	cli_config_blank(&args, argv); /* ps shows argv: passwords blanked there too */
	for (int i = 0, at = 0; i < argc && at < (int)sizeof(c.command) - 1; i++) {
		char shown[4096];
		const char *a =
			strstr(argv[i], "://") ? rf_url_redact(argv[i], shown, sizeof(shown)) : argv[i];
		bool header = i && (strcmp(argv[i - 1], "-H") == 0 || strcmp(argv[i - 1], "--header") == 0);
		if ((header || strncmp(a, "--header=", 9) == 0) && credential_header(a)) {
			snprintf(shown, sizeof(shown), "%.*s: ***", (int)strcspn(a, ":"), a);
			a = shown; /* the warcinfo record names no secret */
		}
		at += snprintf(c.command + at, sizeof(c.command) - (size_t)at, "%s%s", i ? " " : "", a);
	}
	if (status == CLI_RUN)
		status = set_up(&c);
	/* counting starts before the client's threads (-t) do: they inherit it */
	if (status == CLI_RUN && c.o.io_report)
		io_report_start();
	if (status == CLI_RUN)
		status = start_client(&c);
	if (status != CLI_RUN) {
		clean_up(&c);
		cli_config_free(&args);
		return status;
	}
	double t0 = now_s();
	int err = rf_run(c.client, next_request, &c);
	double secs = now_s() - t0;
	if (c.signals)
		take_signals(&c); /* a second signal that came while stopping */
	if (c.o.file_io_report)
		snprintf(c.file_io, sizeof(c.file_io), "%s", rf_client_file_io(c.client));
	if (c.o.io_named)
		snprintf(c.io, sizeof(c.io), "%s", rf_client_io(c.client));
	rf_io_stats io_stats;
	rf_client_io_stats(c.client, &io_stats);
	snprintf(c.io_path, sizeof(c.io_path), "%s", rf_client_io(c.client));
	if (c.o.cookie_jar) { /* written also after failures: what the servers set */
		int jerr = rf_client_cookies_save(c.client, c.o.cookie_jar);
		if (jerr) {
			clear_progress(&c);
			fprintf(stderr, "ringfetch: cannot write cookie jar %s: %s\n", c.o.cookie_jar,
			        rf_strerror(jerr));
			set_exit(&c, EXIT_LOCAL);
		}
	}
	if (c.client)
		rf_client_dns_stats(c.client, &c.dns);
	clean_up(&c);
	if (err) {
		fprintf(stderr, "ringfetch: engine failure: %s\n", rf_strerror(err));
		set_exit(&c, EXIT_INTERNAL);
	}
	summarise(&c, secs);
	if (c.json) {
		struct run_totals t = {c.ok - c.skipped, c.skipped, c.failed, c.bytes, secs,
		                       c.signals ? EXIT_INTERRUPTED : c.exit_code, c.dns, c.o.shard_k,
		                       c.o.shard_n,
		                       /* as the library makes them: never more than -j */
		                       c.o.opts.threads < 1                       ? 1
		                       : c.o.opts.threads < c.o.opts.max_inflight ? c.o.opts.threads
		                                                                  : c.o.opts.max_inflight};
		results_json_summary(c.json, &t);
		if (c.json != stdout)
			fclose(c.json);
		else
			fflush(stdout);
	}
	if (c.o.io_report)
		io_report_print(stderr, c.o.io_report == 2, c.io_path, &io_stats, secs, c.ok, "file");
	cli_config_free(&args);
	return c.signals ? EXIT_INTERRUPTED : c.exit_code;
}
