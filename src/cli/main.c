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
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringfetch.h>

#include "input.h"

/* Exit statuses; when URLs fail in several ways the lowest applies. */
enum {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1, /* the engine itself failed (ring setup, memory) */
	EXIT_USAGE = 2,    /* bad options or nothing to do */
	EXIT_LOCAL = 3,    /* local output error: disk full, permissions, names */
	EXIT_NETWORK = 4,  /* DNS, connect, timeouts, resets, truncated or bad responses */
	EXIT_TLS = 5,      /* TLS handshake failure, untrusted certificate, TLS setup */
	EXIT_HTTP = 6,     /* HTTP error status, bad or looping redirects */
	EXIT_INPUT = 7,    /* bad URLs or options in the input */
	EXIT_CHECKSUM = 8, /* a body did not match its checksum */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: stopped early, .part files kept */
};

struct cli {
	rf_client_opts opts;
	const char *out_dir;
	const char *output;     /* -o */
	int output_fd;          /* -o names something that is not a regular file */
	const char *input_path; /* -i */
	const char *checksum;   /* --checksum, single URL */
	bool resume;            /* -c */
	bool quiet;
	int progress;           /* -1 auto (a terminal), 0 off, 1 on */
	bool progress_tty, progress_shown;
	int signals;
	rf_client *client;
	char **urls;
	int nurls, next_url;
	struct input in;
	bool in_open;
	int exit_code;
	unsigned long ok, failed, tls_handshakes, tls_resumed;
	unsigned long long bytes;
	bool print_digest;
	FILE *digest_out;
	char path[PATH_MAX];
	char *headers[256];
	size_t nheaders;
};

/* Before a message: clear the progress line it would otherwise run into. */
static void clear_progress(struct cli *c)
{
	if (c->progress_shown && c->progress_tty)
		fputs("\r\033[K", stderr);
}

static void set_exit(struct cli *c, int code)
{
	if (c->exit_code == EXIT_OK || code < c->exit_code)
		c->exit_code = code;
}

static void usage(FILE *f)
{
	fputs(
	    "Usage: ringfetch [options] URL... | -i FILE\n"
	    "Download HTTP/1.1 URLs concurrently through one io_uring ring.\n"
	    "\n"
	    "Input and output:\n"
	    "  -i, --input-file FILE     read URLs from FILE ('-' = stdin); one per line,\n"
	    "                            '#' comments, indented 'out=NAME' / 'dir=DIR' lines\n"
	    "                            set options for the URL above them\n"
	    "  -P, --directory DIR       save files under DIR (default .; created if missing)\n"
	    "  -o, --output FILE         save the single URL as FILE (replaces FILE);\n"
	    "                            '-' writes the body to stdout; a device or FIFO\n"
	    "                            (/dev/null) is written in place, never replaced\n"
	    "  -O FILE                   same as -o ('-O -' = stdout)\n"
	    "Connections:\n"
	    "  -j, --jobs N              transfers in flight (default 16)\n"
	    "      --max-per-host N      open connections per origin (default: no cap)\n"
	    "      --connect-timeout S   seconds to resolve and connect (default 10, 0 = none)\n"
	    "      --timeout S           seconds without receiving a byte (default 30, 0 = none)\n"
	    "      --max-time S          seconds for a whole URL, all attempts (default none)\n"
	    "Data safety:\n"
	    "  -c, --continue            resume NAME.part (or a shorter NAME from another tool)\n"
	    "                            with Range/If-Range; a complete NAME is skipped; failed\n"
	    "                            transfers keep their .part for the next -c run\n"
	    "      --checksum ALGO=HEX   verify the single URL's body (sha-256, sha-512, sha-1,\n"
	    "                            md5) while it streams; list lines use checksum=ALGO=HEX\n"
	    "      --print-digest ALGO   print 'HEX  NAME' for every file (sha256sum format)\n"
	    "      --retry N             retries after retryable failures (default 2): connect\n"
	    "                            errors, resets, timeouts, truncation, 408 429 500 502 503 504\n"
	    "      --retry-delay S       first backoff (default 1; doubles, jittered; Retry-After wins)\n"
	    "      --retry-on-checksum   retry a checksum mismatch too (from zero)\n"
	    "      --fsync               fsync each file before its rename, and its directory after\n"
	    "HTTPS:\n"
	    "      --cacert FILE         trust the CA certificates in FILE instead of the system store\n"
	    "      --capath DIR          trust the CA certificates in DIR (c_rehash layout)\n"
	    "      --cert FILE           client certificate (PEM, may hold the key too)\n"
	    "      --key FILE            client private key (PEM)\n"
	    "      --tls-min 1.2|1.3     lowest TLS version accepted (default 1.2)\n"
	    "  -k, --insecure            UNSAFE: do not verify the server's certificate or name;\n"
	    "                            anyone on the path can read and change the data\n"
	    "HTTP:\n"
	    "      --max-redirs N        redirects to follow (default 10; 0 = do not follow)\n"
	    "  -H, --header 'Name: value'  extra request header (repeatable; 'Name:' removes\n"
	    "                            a default header)\n"
	    "  -A, --user-agent UA       User-Agent (default ringfetch/" RF_VERSION_STRING ")\n"
	    "Kernel I/O path knobs (defaults are the fastest measured; see bench/):\n"
	    "      --uring-recv-buffer N   bytes per receive buffer (default 65536)\n"
	    "      --uring-big-buffer N    receive buffer for large bodies (default 1048576, 0 = off)\n"
	    "      --uring-no-splice       receive large plain-HTTP bodies instead of splicing them\n"
	    "Other:\n"
	    "  -q, --quiet               no summary or progress (errors are still printed)\n"
	    "      --progress            a progress line every second (default when stderr is\n"
	    "                            a terminal); --no-progress turns it off\n"
	    "  -h, --help                this help\n"
	    "  -V, --version             print the version\n"
	    "\n"
	    "Files are written as NAME.part and renamed to NAME when complete; an existing\n"
	    "NAME is never overwritten (the new file becomes NAME.1, NAME.2, ...), except\n"
	    "with -o.  Exit status: 0 all fine, 1 internal error, 2 usage, 3 local file\n"
	    "error, 4 network error, 5 TLS error, 6 HTTP error status or bad redirect,\n"
	    "7 bad input, 8 checksum mismatch, 130 interrupted (first SIGINT/SIGTERM stops\n"
	    "cleanly and keeps .part files; a second one exits at once)\n"
	    "(the lowest applies when several kinds occur).\n",
	    f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e7)
		return false;
	*out = v;
	return true;
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

static void input_error(void *arg, const char *file, unsigned line, const char *msg)
{
	struct cli *c = arg;
	clear_progress(c);
	fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	c->failed++;
	set_exit(c, EXIT_INPUT);
}

static void url_error(struct cli *c, const char *url, const char *msg)
{
	clear_progress(c);
	fprintf(stderr, "%s: %s\n", url, msg);
	c->failed++;
	set_exit(c, EXIT_INPUT);
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

/* Fill req for url (with list options out/dir); false if it must be skipped. */
static bool prepare(struct cli *c, rf_request *req, const char *url, const char *out,
                    const char *dir, const char *checksum)
{
	memset(req, 0, sizeof(*req));
	req->url = url;
	req->fd = -1;
	req->checksum = checksum;
	req->flags = c->resume ? RF_REQ_RESUME : 0;
	const char *why;
	if (rf_url_check(url, &why)) {
		url_error(c, url, why);
		return false;
	}
	if (c->output) {
		if (strcmp(c->output, "-") == 0) {
			req->sink = RF_SINK_FD;
			req->fd = STDOUT_FILENO;
		} else if (c->output_fd >= 0) {
			req->sink = RF_SINK_FD; /* -o /dev/null, a FIFO: written in place */
			req->fd = c->output_fd;
		} else {
			req->sink = RF_SINK_FILE;
			req->path = c->output;
			req->flags |= RF_REQ_OVERWRITE;
		}
		return true;
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
		if (symlink_in(c->out_dir, dir)) {
			url_error(c, url, "dir= leads outside the output directory");
			return false;
		}
		n = snprintf(c->path, sizeof(c->path), "%s/%s", c->out_dir, dir);
		int err = n < (int)sizeof(c->path) ? mkdirs(c->path) : -ENAMETOOLONG;
		if (err) {
			fprintf(stderr, "%s: cannot create directory %s: %s\n", url, c->path,
			        strerror(-err));
			c->failed++;
			set_exit(c, EXIT_LOCAL);
			return false;
		}
		/* a symlink inside the output directory must not lead out of it */
		char real_dir[PATH_MAX], real_out[PATH_MAX];
		if (!realpath(c->path, real_dir) || !realpath(c->out_dir, real_out) ||
		    strncmp(real_dir, real_out, strlen(real_out)) != 0 ||
		    (real_dir[strlen(real_out)] != '/' && real_dir[strlen(real_out)] != 0)) {
			url_error(c, url, "dir= leads outside the output directory");
			return false;
		}
		n = snprintf(c->path, sizeof(c->path), "%s/%s/%s", c->out_dir, dir, name);
	} else {
		n = snprintf(c->path, sizeof(c->path), "%s/%s", c->out_dir, name);
	}
	if (n >= (int)sizeof(c->path)) {
		url_error(c, url, "output path too long");
		return false;
	}
	req->sink = RF_SINK_FILE;
	req->path = c->path;
	return true;
}

/* The source: command-line URLs, then the input list. */
static int next_request(void *arg, rf_request *req)
{
	struct cli *c = arg;
	static struct input_entry e;
	while (c->next_url < c->nurls) {
		const char *url = c->urls[c->next_url++];
		if (prepare(c, req, url, NULL, NULL, c->checksum))
			return 1;
	}
	while (c->in_open) {
		input_entry_clear(&e);
		if (input_next(&c->in, &e) <= 0) {
			input_close(&c->in);
			c->in_open = false;
			return 0;
		}
		if (prepare(c, req, e.url, e.out, e.dir, e.checksum))
			return 1;
	}
	input_entry_clear(&e);
	return 0;
}

static void on_done(void *arg, const rf_result *r)
{
	struct cli *c = arg;
	c->tls_handshakes += r->tls_handshake;
	c->tls_resumed += r->tls_resumed;
	if (r->error == 0) {
		c->ok++;
		c->bytes += r->bytes;
		if (r->digest[0] && c->print_digest)
			fprintf(c->digest_out, "%s  %s\n", r->digest, r->path ? r->path : r->url);
		if (r->note[0] && !c->quiet) {
			clear_progress(c);
			fprintf(stderr, "%s: note: %s\n", r->url, r->note);
		}
		return;
	}
	clear_progress(c);
	c->failed++;
	c->bytes += r->bytes;
	int code;
	switch (r->error) {
	case RF_EHTTP_STATUS:
	case RF_EREDIRECT_LOOP:
	case RF_ETOO_MANY_REDIRECTS:
	case RF_EREDIRECT_LOCATION:
		code = EXIT_HTTP;
		break;
	case RF_EURL:
	case RF_ESCHEME:
	case RF_EINVAL:
		code = r->redirects ? EXIT_HTTP : EXIT_INPUT;
		break;
	case RF_EOUTPUT_NAME:
		code = EXIT_LOCAL;
		break;
	case RF_ETLS:
	case RF_ETLS_VERIFY:
	case RF_ETLS_CONFIG:
		code = EXIT_TLS;
		break;
	case RF_ECHECKSUM:
		code = EXIT_CHECKSUM;
		break;
	case RF_ECANCELED:
		code = EXIT_INTERRUPTED;
		break;
	default:
		code = r->local_error ? EXIT_LOCAL : EXIT_NETWORK;
	}
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

/* The signal descriptor is readable: the first signal stops cleanly, the
 * second exits at once. */
static void on_signal(void *arg)
{
	struct cli *c = arg;
	struct signalfd_siginfo si;
	c->signals++; /* the record the ring read */
	while (read(c->opts.signal_fd, &si, sizeof(si)) == sizeof(si))
		c->signals++; /* and any that came with it */
	if (c->signals >= 2) {
		static const char msg[] = "ringfetch: second signal, exiting now\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
		_exit(EXIT_INTERRUPTED);
	}
	fputs("ringfetch: interrupted: stopping; partial files stay as .part (resume with -c)\n",
	      stderr);
	set_exit(c, EXIT_INTERRUPTED);
	rf_stop(c->client);
}

/* One progress line: rewritten in place on a terminal, appended otherwise. */
static void on_progress(void *arg, const rf_progress *p)
{
	struct cli *c = arg;
	double mb = (double)p->bytes / 1e6;
	fprintf(stderr, "%sringfetch: %llu ok, %llu failed, %u active, %u waiting, %.1f MB, %.1f MB/s%s",
	        c->progress_tty ? "\r\033[K" : "", (unsigned long long)p->ok,
	        (unsigned long long)p->failed, p->active, p->waiting, mb,
	        p->elapsed > 0 ? mb / p->elapsed : 0.0, c->progress_tty ? "" : "\n");
	c->progress_shown = true;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum {
	OPT_MAX_PER_HOST = 256,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_MAX_TIME,
	OPT_MAX_REDIRS,
	OPT_CACERT,
	OPT_CAPATH,
	OPT_CERT,
	OPT_KEY,
	OPT_TLS_MIN,
	OPT_CHECKSUM,
	OPT_PRINT_DIGEST,
	OPT_RETRY,
	OPT_RETRY_DELAY,
	OPT_RETRY_ON_CHECKSUM,
	OPT_FSYNC,
	OPT_URING_RECV_BUFFER,
	OPT_URING_BIG_BUFFER,
	OPT_URING_NO_SPLICE,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
};

static const struct option long_opts[] = {
	{"input-file", required_argument, NULL, 'i'},
	{"directory", required_argument, NULL, 'P'},
	{"directory-prefix", required_argument, NULL, 'P'},
	{"output", required_argument, NULL, 'o'},
	{"jobs", required_argument, NULL, 'j'},
	{"max-per-host", required_argument, NULL, OPT_MAX_PER_HOST},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"max-time", required_argument, NULL, OPT_MAX_TIME},
	{"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
	{"header", required_argument, NULL, 'H'},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"capath", required_argument, NULL, OPT_CAPATH},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"tls-min", required_argument, NULL, OPT_TLS_MIN},
	{"insecure", no_argument, NULL, 'k'},
	{"continue", no_argument, NULL, 'c'},
	{"checksum", required_argument, NULL, OPT_CHECKSUM},
	{"print-digest", required_argument, NULL, OPT_PRINT_DIGEST},
	{"retry", required_argument, NULL, OPT_RETRY},
	{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
	{"retry-on-checksum", no_argument, NULL, OPT_RETRY_ON_CHECKSUM},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"uring-recv-buffer", required_argument, NULL, OPT_URING_RECV_BUFFER},
	{"uring-big-buffer", required_argument, NULL, OPT_URING_BIG_BUFFER},
	{"uring-no-splice", no_argument, NULL, OPT_URING_NO_SPLICE},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"user-agent", required_argument, NULL, 'A'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("ringfetch: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'ringfetch --help'.\n", stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static struct cli c;
	rf_client_opts_init(&c.opts);
	c.progress = -1;
	c.out_dir = ".";
	unsigned long u;
	double d;
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":i:P:o:O:j:H:A:ckqhV", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			c.input_path = optarg;
			break;
		case 'P':
			c.out_dir = optarg;
			break;
		case 'o':
		case 'O':
			c.output = optarg;
			break;
		case 'j':
			if (!parse_uint(optarg, 65536, &u) || u == 0)
				return usage_error("-j needs a number from 1 to 65536, not '%s'", optarg);
			c.opts.max_inflight = (unsigned)u;
			break;
		case OPT_MAX_PER_HOST:
			if (!parse_uint(optarg, 65536, &u))
				return usage_error("--max-per-host needs a number, not '%s'", optarg);
			c.opts.max_per_host = (unsigned)u;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (!parse_seconds(optarg, &d))
				return usage_error("--connect-timeout needs seconds, not '%s'", optarg);
			c.opts.connect_timeout = d;
			break;
		case OPT_TIMEOUT:
			if (!parse_seconds(optarg, &d))
				return usage_error("--timeout needs seconds, not '%s'", optarg);
			c.opts.idle_timeout = d;
			break;
		case OPT_MAX_TIME:
			if (!parse_seconds(optarg, &d))
				return usage_error("--max-time needs seconds, not '%s'", optarg);
			c.opts.max_time = d;
			break;
		case OPT_MAX_REDIRS:
			if (!parse_uint(optarg, 1000, &u))
				return usage_error("--max-redirs needs a number from 0 to 1000, not '%s'",
				                   optarg);
			c.opts.max_redirs = (int)u;
			break;
		case 'H':
			if (c.nheaders >= sizeof(c.headers) / sizeof(c.headers[0]))
				return usage_error("too many -H headers%s", "");
			c.headers[c.nheaders++] = optarg;
			break;
		case 'A':
			c.opts.user_agent = optarg;
			break;
		case OPT_CACERT:
			c.opts.tls_ca_file = optarg;
			break;
		case OPT_CAPATH:
			c.opts.tls_ca_path = optarg;
			break;
		case OPT_CERT:
			c.opts.tls_cert_file = optarg;
			break;
		case OPT_KEY:
			c.opts.tls_key_file = optarg;
			break;
		case OPT_TLS_MIN:
			if (strcmp(optarg, "1.2") == 0)
				c.opts.tls_min_version = 12;
			else if (strcmp(optarg, "1.3") == 0)
				c.opts.tls_min_version = 13;
			else
				return usage_error("--tls-min takes 1.2 or 1.3, not '%s'", optarg);
			break;
		case 'k':
			c.opts.tls_insecure = 1;
			break;
		case 'c':
			c.resume = true;
			break;
		case OPT_CHECKSUM: {
			const char *why;
			if (rf_checksum_check(optarg, &why))
				return usage_error("--checksum: %s", why);
			c.checksum = optarg;
			break;
		}
		case OPT_PRINT_DIGEST:
			if (!rf_digest_known(optarg))
				return usage_error("--print-digest: unknown algorithm '%s' (sha-256, sha-512, "
				                   "sha-1, md5)", optarg);
			c.opts.digest = optarg;
			c.print_digest = true;
			break;
		case OPT_RETRY:
			if (!parse_uint(optarg, 1000, &u))
				return usage_error("--retry needs a number from 0 to 1000, not '%s'", optarg);
			c.opts.retries = (unsigned)u;
			break;
		case OPT_RETRY_DELAY:
			if (!parse_seconds(optarg, &d))
				return usage_error("--retry-delay needs seconds, not '%s'", optarg);
			c.opts.retry_delay = d;
			break;
		case OPT_RETRY_ON_CHECKSUM:
			c.opts.retry_on_checksum = 1;
			break;
		case OPT_FSYNC:
			c.opts.fsync = 1;
			break;
		case OPT_URING_RECV_BUFFER:
			if (!parse_uint(optarg, 64u << 20, &u) || u < 4096)
				return usage_error("--uring-recv-buffer needs bytes from 4096 to 64 MiB, not '%s'",
				                   optarg);
			c.opts.recv_buffer = u;
			break;
		case OPT_URING_BIG_BUFFER:
			if (!parse_uint(optarg, 64u << 20, &u))
				return usage_error("--uring-big-buffer needs bytes up to 64 MiB, not '%s'", optarg);
			c.opts.big_buffer = u;
			break;
		case OPT_URING_NO_SPLICE:
			c.opts.no_splice = 1;
			break;
		case OPT_PROGRESS:
			c.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			c.progress = 0;
			break;

		case 'q':
			c.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("ringfetch %s\n", rf_version());
			return EXIT_OK;
		case ':':
			if (optopt)
				return usage_error("option -%c needs a value", (char[]){(char)optopt, 0});
			return usage_error("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option -%s", (char[]){(char)optopt, 0});
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	c.urls = argv + optind;
	c.nurls = argc - optind;
	if (c.nurls == 0 && !c.input_path)
		return usage_error("no URLs given%s (see -i FILE)", "");
	if (c.output && (c.nurls != 1 || c.input_path))
		return usage_error("-o/-O takes exactly one URL and no -i%s", "");
	if (c.checksum && (c.nurls != 1 || c.input_path))
		return usage_error("--checksum takes exactly one URL (use checksum= in a list)%s", "");
	if (c.resume && c.output && strcmp(c.output, "-") == 0)
		return usage_error("-c cannot resume stdout%s", "");
	c.digest_out = c.output && strcmp(c.output, "-") == 0 ? stderr : stdout;
	/* -o /dev/null (or a FIFO, a terminal): never replaced by a rename,
	 * written in place like curl does */
	c.output_fd = -1;
	struct stat ost;
	if (c.output && strcmp(c.output, "-") != 0 && stat(c.output, &ost) == 0 &&
	    !S_ISREG(ost.st_mode)) {
		if (S_ISDIR(ost.st_mode))
			return usage_error("-o %s is a directory (use -P)", c.output);
		if (c.resume)
			return usage_error("-c cannot resume %s: not a regular file", c.output);
		c.output_fd = open(c.output, O_WRONLY | O_CLOEXEC);
		if (c.output_fd < 0) {
			fprintf(stderr, "ringfetch: cannot open %s: %s\n", c.output, strerror(errno));
			return EXIT_LOCAL;
		}
	}
	c.opts.headers = (const char *const *)c.headers;
	c.opts.n_headers = c.nheaders;
	for (size_t i = 0; i < c.nheaders; i++) {
		int bad = 0;
		const char *h = c.headers[i];
		const char *colon = strchr(h, ':');
		if (!colon || colon == h || strpbrk(h, "\r\n"))
			bad = 1;
		if (bad)
			return usage_error("bad header '%s' (expected 'Name: value')", h);
	}
	if (!c.output) {
		int err = mkdirs(c.out_dir);
		if (err) {
			fprintf(stderr, "ringfetch: cannot use output directory %s: %s\n", c.out_dir,
			        strerror(-err));
			return EXIT_LOCAL;
		}
	}
	if (c.input_path) {
		int err = input_open(&c.in, c.input_path);
		if (err) {
			fprintf(stderr, "ringfetch: cannot read %s: %s\n", c.input_path, strerror(-err));
			return EXIT_USAGE;
		}
		c.in.report = input_error;
		c.in.report_arg = &c;
		c.in_open = true;
	}
	c.opts.on_done = on_done;
	c.opts.done_arg = &c;
	c.progress_tty = isatty(STDERR_FILENO);
	if (c.progress < 0)
		c.progress = c.progress_tty;
	if (c.progress && !c.quiet) {
		c.opts.progress_interval = 1.0;
		c.opts.on_progress = on_progress;
		c.opts.progress_arg = &c;
	}

	/* SIGINT/SIGTERM arrive through a signalfd the ring reads */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	c.opts.signal_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	c.opts.on_signal = on_signal;
	c.opts.signal_arg = &c;

	rf_client *client;
	char why[300] = "";
	c.opts.error_detail = why;
	c.opts.error_detail_len = sizeof(why);
	int err = rf_client_new(&c.opts, &client);
	if (err) {
		if (err == RF_EHEADER)
			return usage_error("bad -H header%s", "");
		if (err == RF_ETLS_CONFIG) {
			fprintf(stderr, "ringfetch: %s\n", why);
			return EXIT_TLS;
		}
		fprintf(stderr, "ringfetch: cannot start: %s\n", rf_strerror(err));
		return EXIT_INTERNAL;
	}
	c.client = client;
	double t0 = now_s();
	err = rf_run(client, next_request, &c);
	double secs = now_s() - t0;
	rf_client_free(client);
	if (c.in_open)
		input_close(&c.in);
	if (c.output_fd >= 0)
		close(c.output_fd);
	if (err) {
		fprintf(stderr, "ringfetch: engine failure: %s\n", rf_strerror(err));
		set_exit(&c, EXIT_INTERNAL);
	}
	if (c.progress_shown && c.progress_tty)
		fputc('\n', stderr);
	if (!c.quiet) {
		double mb = (double)c.bytes / 1e6;
		fprintf(stderr, "ringfetch: %lu ok, %lu failed, %.1f MB in %.2f s (%.1f MB/s, %.0f files/s)",
		        c.ok, c.failed, mb, secs, secs > 0 ? mb / secs : 0.0,
		        secs > 0 ? (double)c.ok / secs : 0.0);
		if (c.tls_handshakes)
			fprintf(stderr, ", TLS handshakes %lu (%lu resumed)", c.tls_handshakes,
			        c.tls_resumed);
		fputc('\n', stderr);
	}
	return c.signals ? EXIT_INTERRUPTED : c.exit_code;
}
