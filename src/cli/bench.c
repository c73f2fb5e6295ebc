/*
 * bench.c - `ringfetch bench`: the load generator's command line.  Parses
 * its options, runs rf_bench (ringfetch.h) with a live line on a terminal,
 * and reports (bench_report.c): the table, --json, --percentiles and its
 * plot.  `ringfetch bench --merge A.json B.json ...` adds up saved runs
 * instead of running one.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ringfetch.h>

#include "bench.h"
#include "bench_list.h"
#include "bench_report.h"
#include "thresholds.h"
#include "input.h"
#include "io_report.h"
#include "options.h"

enum {
	OPT_WARMUP = 256,
	OPT_RATE,
	OPT_METHOD,
	OPT_BODY_FILE,
	OPT_DATA,
	OPT_RATE_RAMP,
	OPT_STAGES,
	OPT_TIMELINE,
	OPT_NO_KEEPALIVE,
	OPT_HTTP2,
	OPT_CACERT,
	OPT_NO_TLS_RESUME,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_FAIL_IF,
	OPT_LATENCY_TABLE,
	OPT_PERCENTILES,
	OPT_PLOT,
	OPT_START_AT,
	OPT_MERGE,
	OPT_RECV_BUFFER,
	OPT_IO,
	OPT_IO_REPORT,
	OPT_URING_SETUP,
	OPT_URING_FIXED_FILES,
	OPT_URING_SEND_ZC,
	OPT_URING_SUBMIT_BATCH,
	OPT_RESOLVE,
};

static const char SHORT_OPTS[] = "+c:t:n:d:H:i:kqhX:m:";

static const struct option long_opts[] = {
	{"connections", required_argument, NULL, 'c'},
	{"threads", required_argument, NULL, 't'},
	{"requests", required_argument, NULL, 'n'},
	{"duration", required_argument, NULL, 'd'},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"rate", required_argument, NULL, OPT_RATE},
	{"header", required_argument, NULL, 'H'},
	{"resolve", required_argument, NULL, OPT_RESOLVE},
	{"method", required_argument, NULL, OPT_METHOD},
	{"body-file", required_argument, NULL, OPT_BODY_FILE},
	{"data-file", required_argument, NULL, OPT_BODY_FILE},
	{"data", required_argument, NULL, OPT_DATA},
	{"rate-ramp", required_argument, NULL, OPT_RATE_RAMP},
	{"stages", required_argument, NULL, OPT_STAGES},
	{"timeline", no_argument, NULL, OPT_TIMELINE},
	{"no-keepalive", no_argument, NULL, OPT_NO_KEEPALIVE},
	{"http2", no_argument, NULL, OPT_HTTP2},
	{"max-concurrent-streams", required_argument, NULL, 'm'},
	{"insecure", no_argument, NULL, 'k'},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"no-tls-resume", no_argument, NULL, OPT_NO_TLS_RESUME},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"input-file", required_argument, NULL, 'i'},
	{"json", required_argument, NULL, OPT_JSON},
	{"fail-if", required_argument, NULL, OPT_FAIL_IF},
	{"latency-table", required_argument, NULL, OPT_LATENCY_TABLE},
	{"percentiles", required_argument, NULL, OPT_PERCENTILES},
	{"plot", required_argument, NULL, OPT_PLOT},
	{"start-at", required_argument, NULL, OPT_START_AT},
	{"merge", no_argument, NULL, OPT_MERGE},
	{"recv-buffer", required_argument, NULL, OPT_RECV_BUFFER},
	{"io", required_argument, NULL, OPT_IO},
	{"io-report", optional_argument, NULL, OPT_IO_REPORT},
	{"uring-setup", required_argument, NULL, OPT_URING_SETUP},
	{"uring-fixed-files", required_argument, NULL, OPT_URING_FIXED_FILES},
	{"uring-send-zc", required_argument, NULL, OPT_URING_SEND_ZC},
	{"uring-submit-batch", required_argument, NULL, OPT_URING_SUBMIT_BATCH},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fputs("Usage: ringfetch bench [options] URL...\n"
	      "       ringfetch bench --merge [--json FILE] [--percentiles FILE] RESULT.json...\n"
	      "Load an HTTP/1.1 or HTTP/2 server and report throughput and latency.  Several URLs\n"
	      "(or -i FILE, with weight=, method=, header=, body= per URL) are requested in\n"
	      "turn, by weight, each with its own figures.\n"
	      "\n"
	      "  -c, --connections N    connections in total (default 64)\n"
	      "  -t, --threads N        threads, each with its own ring and share of the\n"
	      "                         connections (default 1)\n"
	      "  -n, --requests N       this many requests in total, or\n"
	      "  -d, --duration TIME    run this long (default 10s; 500ms, 10s, 2m, 1h)\n"
	      "      --warmup TIME      run this long first, not counted\n"
	      "      --rate R           R requests/s in total, open model: request k is due at\n"
	      "                         start + k/R and its latency runs from then, sent or\n"
	      "                         not (coordinated omission corrected).  Without it the\n"
	      "                         closed model: latency from the send, as wrk\n"
	      "      --rate-ramp FROM:TO:TIME  open model, the rate moving from FROM to TO\n"
	      "                         requests/s over TIME (the run's length unless -d)\n"
	      "      --stages TIME:RATE[,TIME:RATE...]  open model, from --rate (or 0) to each\n"
	      "                         RATE over its TIME in turn, as k6's stages\n"
	      "  -H, --header 'N: V'    add a request header (repeatable)\n"
	      "      --resolve HOST:PORT:ADDR  connect to ADDR for HOST on PORT, no lookup\n"
	      "                         (repeatable; curl's)\n"
	      "  -X, --method M         GET (default), HEAD, POST, PUT, DELETE, OPTIONS\n"
	      "      --data TEXT        request body (POST unless -X says otherwise; not -d:\n"
	      "                         that is the duration, as in wrk)\n"
	      "      --data-file FILE   request body from a file\n"
	      "      --body-file FILE   the same as --data-file\n"
	      "      --no-keepalive     a new connection (and TLS handshake) per request\n"
	      "      --http2            HTTP/2: https by ALPN h2, http:// with prior knowledge\n"
	      "                         (h2c), as h2load\n"
	      "  -m, --max-concurrent-streams N  HTTP/2 (implies --http2) with N requests in\n"
	      "                         flight on each connection (1 to 100; default 1)\n"
	      "  -k, --insecure         do not verify the server's certificate\n"
	      "      --cacert FILE      CA certificates to verify with\n"
	      "      --no-tls-resume    full TLS handshakes only (no session resumption)\n"
	      "      --timeout SECS     per request (default 10): then it counts as a timeout\n"
	      "  -i, --input-file FILE  URLs, one per line ('-' for stdin), each with options:\n"
	      "                         URL weight=3 method=POST header='N: V' body='...'\n"
	      "                         body-file=PATH (or indented lines below the URL)\n"
	      "      --json FILE        the whole result, histograms included ('-': stdout,\n"
	      "                         which then carries nothing else)\n"
	      "      --percentiles FILE  the latency spectrum (HdrHistogram's format, ms), and\n"
	      "                         FILE.png with gnuplot when it is installed ('-':\n"
	      "                         stdout)\n"
	      "      --plot FILE.png    the spectrum plotted to this file, and the time series\n"
	      "                         to FILE-time.png (needs gnuplot)\n"
	      "      --timeline         after the report, requests/s, errors, p50 and p99 per\n"
	      "                         second (the JSON has them always: \"series\")\n"
	      "      --start-at T       connect, then start at UNIX time T (several machines)\n"
	      "      --merge            add up RESULT.json files of runs into one report\n"
	      "      --latency-table short|wide  p50 p90 p99 p99.9 max mean in 80 columns\n"
	      "                         (short, the default), or every figure (wide)\n"
	      "      --fail-if EXPR[,EXPR...]  exit 10 when one holds, naming it: p99>20ms,\n"
	      "                         mean>5ms, max>1s, errors>0, errors>0.1%, 5xx>0,\n"
	      "                         2xx<99%, rps<5000, requests<1000 (repeatable)\n"
	      "      --recv-buffer N    receive buffer per connection in bytes (16384)\n"
	      "      --io PATH          uring, epoll or auto (default: io_uring, epoll where\n"
	      "                         it is refused)\n"
	      "      --uring-setup MODE  defer-taskrun, coop-taskrun, plain or sqpoll\n"
	      "      --uring-submit-batch N  submit as soon as N SQEs are queued (0: at the\n"
	      "                         wait)\n"
	      "      --uring-fixed-files on|off|auto  sockets in the ring's registered file\n"
	      "                         table\n"
	      "      --uring-send-zc on|off|auto  plain requests sent with SEND_ZC (default\n"
	      "                         off)\n"
	      "      --io-report[=json]  after the run: kernel path, the loop's syscalls by\n"
	      "                         kind, SQEs/CQEs, CPU, context switches, peak RSS\n"
	      "  -q, --quiet            no live line; with --json - or --percentiles -, no\n"
	      "                         report either (it goes to stderr without -q)\n"
	      "  -h, --help             this help\n"
	      "\n"
	      "Exit status: 0 when responses came (errors are counted in the report), 2 for\n"
	      "bad options, 4 when no response came at all, 5 for a TLS setup error, 7 for a\n"
	      "bad URL, 1 when the engine could not start, 130 when interrupted.\n",
	      f);
}

struct bench_cli {
	rf_bench_opts o;
	char *headers[256];
	size_t n_headers;
	const char *pins[256];
	size_t n_pins;
	struct bench_list list; /* the targets; with --merge, the result files */
	char *body;
	bool method_given, timeline;
	rf_bench_stage stages[RF_BENCH_MAX_STAGES];
	const char *json_path, *percentiles_path, *plot_path;
	bool quiet, merge, live;
	bool wide;                    /* --latency-table wide */
	struct thresholds thresholds; /* --fail-if */
	FILE *human;                  /* the report for people: stdout, or stderr when stdout
	                                 carries a machine-readable document, or NULL (-q then) */
	int io_report;
	int live_width;
};

static rf_bench *running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		rf_bench_stop(running);
}

static int bad(const char *fmt, const char *arg)
{
	fputs("ringfetch bench: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'ringfetch bench --help'.\n", stderr);
	return EXIT_USAGE;
}

/* "10s", "500ms", "2m", "1h", "1.5" (seconds) */
static bool parse_duration(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return false;
	double unit = 1;
	if (strcmp(end, "ms") == 0)
		unit = 1e-3;
	else if (strcmp(end, "s") == 0 || !*end)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else
		return false;
	*out = v * unit;
	return *out <= 1e7;
}

/* A number in (above, max]. */
static bool parse_above(const char *s, double above, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > above) || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return false;
	*out = v;
	return true;
}

static int read_body(struct bench_cli *b, const char *path)
{
	char *buf, why[600];
	size_t len;
	if (bench_read_body(path, &buf, &len, why, sizeof(why))) {
		fprintf(stderr, "ringfetch bench: --data-file %s\n", why);
		return EXIT_USAGE;
	}
	free(b->body);
	b->body = buf;
	b->o.body = buf;
	b->o.body_len = len;
	return CLI_RUN;
}

/* TIME:RATE, the stage's duration and the rate it ends at. */
static bool parse_stage(char *s, rf_bench_stage *st)
{
	char *colon = strrchr(s, ':');
	if (!colon)
		return false;
	*colon = 0;
	bool ok = parse_duration(s, &st->duration) && st->duration > 0 &&
	          parse_above(colon + 1, -1e-300, 1e9, &st->rate);
	*colon = ':';
	return ok;
}

static int parse_stages(struct bench_cli *b, const char *arg)
{
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", arg);
	size_t n = 0;
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == RF_BENCH_MAX_STAGES)
			return bad("--stages takes at most 64 stages%s", "");
		if (!parse_stage(tok, &b->stages[n]))
			return bad("--stages wants TIME:RATE[,TIME:RATE...] such as 30s:1000,1m:1000, "
			           "not '%s'",
			           tok);
		n++;
	}
	if (!n)
		return bad("--stages wants TIME:RATE[,TIME:RATE...], not '%s'", arg);
	b->o.stages = b->stages;
	b->o.n_stages = n;
	return CLI_RUN;
}

/* FROM:TO:TIME: the rate FROM, then one stage to TO over TIME. */
static int parse_ramp(struct bench_cli *b, const char *arg)
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", arg);
	char *first = strchr(copy, ':');
	char *second = first ? strchr(first + 1, ':') : NULL;
	double from, to, secs;
	if (!second)
		return bad("--rate-ramp wants FROM:TO:TIME such as 100:5000:30s, not '%s'", arg);
	*first = *second = 0;
	if (!parse_above(copy, -1e-300, 1e9, &from) || !parse_above(first + 1, -1e-300, 1e9, &to) ||
	    !parse_duration(second + 1, &secs) || !(secs > 0) || (from == 0 && to == 0))
		return bad("--rate-ramp wants FROM:TO:TIME such as 100:5000:30s, not '%s'", arg);
	b->o.rate = from;
	b->stages[0] = (rf_bench_stage){.duration = secs, .rate = to};
	b->o.stages = b->stages;
	b->o.n_stages = 1;
	return CLI_RUN;
}

static int read_urls(struct bench_cli *b, const char *path)
{
	return bench_list_read(&b->list, path, stderr) ? EXIT_INPUT : CLI_RUN;
}

static int parse(struct bench_cli *b, int argc, char **argv)
{
	rf_bench_opts_init(&b->o);
	opterr = 0;
	optind = 0;
	int st = cli_check_exact_names(argc, argv, SHORT_OPTS, long_opts, stderr);
	if (st != CLI_RUN)
		return st;
	unsigned long long u;
	double d;
	const char *input = NULL;
	bool duration_given = false, rate_given = false, ramp_given = false, stages_given = false;
	int opt;
	while ((opt = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_count(optarg, 1000000, &u) || !u)
				return bad("-c needs a number of connections from 1 to 1000000, not '%s'",
				           optarg);
			b->o.connections = (unsigned)u;
			break;
		case 't':
			if (!parse_count(optarg, 1024, &u) || !u)
				return bad("-t needs a number of threads from 1 to 1024, not '%s'", optarg);
			b->o.threads = (unsigned)u;
			break;
		case 'n':
			if (!parse_count(optarg, UINT64_MAX / 2, &u) || !u)
				return bad("-n needs a number of requests, not '%s'", optarg);
			b->o.requests = u;
			break;
		case 'd':
			if (!parse_duration(optarg, &d) || !(d > 0))
				return bad(
					"-d needs a duration such as 10s, 500ms or 2m, not '%s' (-d is the "
					"duration, as in wrk; a request body is --data)",
					optarg);
			b->o.duration = d;
			duration_given = true;
			break;
		case OPT_WARMUP:
			if (!parse_duration(optarg, &d))
				return bad("--warmup needs a duration such as 2s, not '%s'", optarg);
			b->o.warmup = d;
			break;
		case OPT_RATE_RAMP:
			if ((st = parse_ramp(b, optarg)) != CLI_RUN)
				return st;
			ramp_given = true;
			break;
		case OPT_STAGES:
			if ((st = parse_stages(b, optarg)) != CLI_RUN)
				return st;
			stages_given = true;
			break;
		case OPT_TIMELINE:
			b->timeline = true;
			break;
		case OPT_DATA:
			free(b->body);
			if (!(b->body = strdup(optarg)))
				return EXIT_INTERNAL;
			b->o.body = b->body;
			b->o.body_len = strlen(optarg);
			break;
		case OPT_RATE:
			rate_given = true;
			if (!parse_above(optarg, 0, 1e9, &d))
				return bad("--rate needs requests per second (a number above 0), not '%s'",
				           optarg);
			b->o.rate = d;
			break;
		case 'H':
			if (b->n_headers == sizeof(b->headers) / sizeof(b->headers[0]))
				return bad("too many -H headers%s", "");
			if (!strchr(optarg, ':'))
				return bad("-H needs 'Name: value', not '%s'", optarg);
			b->headers[b->n_headers++] = optarg;
			break;
		case OPT_RESOLVE:
			if (b->n_pins == sizeof(b->pins) / sizeof(b->pins[0]))
				return bad("too many --resolve%s", "");
			b->pins[b->n_pins++] = optarg;
			break;
		case 'X':
		case OPT_METHOD:
			b->o.method = optarg;
			b->method_given = true;
			break;
		case OPT_BODY_FILE:
			if ((st = read_body(b, optarg)) != CLI_RUN)
				return st;
			break;
		case OPT_NO_KEEPALIVE:
			b->o.no_keepalive = 1;
			break;
		case OPT_HTTP2:
			if (!b->o.http2_streams)
				b->o.http2_streams = 1;
			break;
		case 'm':
			if (!parse_count(optarg, 100, &u) || !u)
				return bad(
					"-m needs a number of streams per connection from 1 to 100, not '%s'",
					optarg);
			b->o.http2_streams = (int)u;
			break;
		case 'k':
			b->o.tls_insecure = 1;
			break;
		case OPT_CACERT:
			b->o.tls_ca_file = optarg;
			break;
		case OPT_NO_TLS_RESUME:
			b->o.tls_no_resume = 1;
			break;
		case OPT_TIMEOUT:
			if (!parse_above(optarg, 0, 1e6, &d))
				return bad("--timeout needs seconds above 0, not '%s'", optarg);
			b->o.timeout = d;
			break;
		case 'i':
			input = optarg;
			break;
		case OPT_JSON:
			b->json_path = optarg;
			break;
		case OPT_PERCENTILES:
			b->percentiles_path = optarg;
			break;
		case OPT_PLOT:
			b->plot_path = optarg;
			break;
		case OPT_START_AT:
			if (!parse_above(optarg, 1e9, 1e11, &d))
				return bad("--start-at needs a UNIX time in seconds (date +%%s), not '%s'",
				           optarg);
			b->o.start_at = d;
			break;
		case OPT_MERGE:
			b->merge = true;
			break;
		case OPT_LATENCY_TABLE:
			if (strcmp(optarg, "wide") != 0 && strcmp(optarg, "short") != 0)
				return bad("--latency-table takes short or wide, not '%s'", optarg);
			b->wide = strcmp(optarg, "wide") == 0;
			break;
		case OPT_FAIL_IF: {
			char why[300];
			if (thresholds_parse(&b->thresholds, optarg, why, sizeof(why)))
				return bad("%s", why);
			break;
		}
		case OPT_RECV_BUFFER:
			if (!parse_count(optarg, 64u << 20, &u) || u < 1024)
				return bad("--recv-buffer needs bytes from 1024 to 64 MiB, not '%s'", optarg);
			b->o.recv_buffer = (size_t)u;
			break;
		case OPT_IO:
			if ((b->o.io = cli_parse_io(optarg)) < 0)
				return bad("--io takes uring, epoll or auto, not '%s'", optarg);
			break;
		case OPT_URING_SEND_ZC:
			if ((b->o.uring_send_zc = cli_parse_on_off_auto(optarg)) < 0)
				return bad("--uring-send-zc takes on, off or auto, not '%s'", optarg);
			break;
		case OPT_URING_FIXED_FILES:
			if ((b->o.uring_fixed_files = cli_parse_on_off_auto(optarg)) < 0)
				return bad("--uring-fixed-files takes on, off or auto, not '%s'", optarg);
			break;
		case OPT_URING_SETUP:
			if ((b->o.uring_setup = cli_parse_uring_setup(optarg)) < 0)
				return bad(
					"--uring-setup takes defer-taskrun, coop-taskrun, plain or sqpoll, "
					"not '%s'",
					optarg);
			break;
		case OPT_URING_SUBMIT_BATCH:
			if (!parse_count(optarg, 4096, &u))
				return bad("--uring-submit-batch needs a number of SQEs from 0 to 4096, not "
				           "'%s'",
				           optarg);
			b->o.uring_submit_batch = (unsigned)u;
			break;
		case OPT_IO_REPORT:
			if (optarg && strcmp(optarg, "json") != 0)
				return bad("--io-report takes no value or =json, not '%s'", optarg);
			b->io_report = optarg ? 2 : 1;
			break;
		case 'q':
			b->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt && strchr("ctndHiX", optopt))
				return bad("option -%s needs a value", (char[]){(char)optopt, 0});
			return bad("unknown option %s", argv[optind - 1]);
		}
	}
	if (b->o.requests && duration_given)
		return bad("give -n or -d, not both%s", "");
	if (ramp_given && (stages_given || rate_given))
		return bad("--rate-ramp FROM:TO:TIME says the start rate and the one stage: not with "
		           "--rate or --stages%s",
		           "");
	if ((ramp_given || stages_given) && b->o.requests)
		return bad("--rate-ramp and --stages run for their length: give -d (or nothing), not "
		           "-n%s",
		           "");
	if (b->o.n_stages && !duration_given)
		b->o.duration = 0; /* as long as the stages */
	if (b->o.body_len && !b->method_given)
		b->o.method = "POST"; /* as curl's --data */
	if (b->json_path && b->percentiles_path && strcmp(b->json_path, "-") == 0 &&
	    strcmp(b->percentiles_path, "-") == 0)
		return bad("--json - and --percentiles - both want stdout: give one a file%s", "");
	for (int i = optind; i < argc; i++)
		if (bench_list_add_url(&b->list, argv[i]))
			return EXIT_INTERNAL;
	if (input && !b->merge && (st = read_urls(b, input)) != CLI_RUN)
		return st;
	if (!b->list.n)
		return bad(b->merge ? "--merge needs result files%s" : "no URL to benchmark%s", "");
	for (size_t i = 0; i < b->list.n; i++) {
		const rf_bench_target *t = &b->list.t[i];
		const char *m = t->method ? t->method : b->o.method;
		bool body = t->body ? t->body_len > 0 : b->o.body_len > 0;
		if (body && strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0)
			return bad("a request body goes with POST or PUT, not %s", m);
	}
	b->o.targets = b->list.t;
	b->o.n_targets = b->list.n;
	b->o.headers = (const char *const *)b->headers;
	b->o.n_headers = b->n_headers;
	b->o.pins = b->pins;
	b->o.n_pins = b->n_pins;
	return CLI_RUN;
}

static void on_progress(void *arg, const rf_bench_progress *p)
{
	struct bench_cli *b = arg;
	if (!b->live)
		return;
	char line[160];
	if (p->elapsed < 0) {
		snprintf(line, sizeof(line), "  starting in %.1f s", -p->elapsed);
	} else {
		double secs = p->elapsed > 0 ? p->elapsed : 1e-9;
		snprintf(line, sizeof(line), "  %.1f s  %llu requests  %.0f req/s  errors %llu  p99 %.2f ms",
		         p->elapsed, (unsigned long long)p->requests, (double)p->requests / secs,
		         (unsigned long long)p->errors, (double)p->p99_us / 1e3);
	}
	fprintf(stderr, "\r%-*.*s", b->live_width, b->live_width, line);
	fflush(stderr);
}

/* --plot FILE.png: the time series beside the spectrum, in FILE-time.png. */
static void plot_series(const char *plot_path, const struct bench_report *rep, const char *title)
{
	char png[4096];
	size_t n = strlen(plot_path);
	bool dot_png = n > 4 && strcmp(plot_path + n - 4, ".png") == 0;
	snprintf(png, sizeof(png), "%.*s-time.png", (int)(dot_png ? n - 4 : n), plot_path);
	char series_title[300];
	snprintf(series_title, sizeof(series_title), "%.*s over time", (int)strcspn(title, ":"), title);
	if (series_plot(&rep->series, png, series_title) < 0)
		fprintf(stderr, "ringfetch bench: note: gnuplot could not plot %s\n", png);
}

static int write_outputs(struct bench_cli *b, const struct bench_report *rep)
{
	int st = EXIT_OK;
	if (b->json_path) {
		FILE *f = strcmp(b->json_path, "-") == 0 ? stdout : fopen(b->json_path, "w");
		if (!f) {
			fprintf(stderr, "ringfetch bench: --json %s: %s\n", b->json_path, strerror(errno));
			st = EXIT_LOCAL;
		} else {
			report_write_json(f, rep);
			if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
				fprintf(stderr, "ringfetch bench: --json %s: %s\n", b->json_path,
				        strerror(errno));
				st = EXIT_LOCAL;
			}
		}
	}
	char png[4096];
	const char *spectrum = b->percentiles_path;
	char tmp[] = "/tmp/ringfetch-spectrum-XXXXXX";
	if (!spectrum && b->plot_path) { /* a spectrum file only for the plot */
		int fd = mkstemp(tmp);
		if (fd >= 0) {
			close(fd);
			spectrum = tmp;
		}
	}
	bool spectrum_out = spectrum && strcmp(spectrum, "-") == 0;
	if (spectrum_out) { /* the document on stdout; a plot needs a file */
		report_write_percentiles(stdout, rep->latency);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "ringfetch bench: --percentiles -: %s\n", strerror(errno));
			st = EXIT_LOCAL;
		}
		spectrum = NULL;
		if (b->plot_path) {
			int fd = mkstemp(tmp);
			if (fd >= 0) {
				close(fd);
				spectrum = tmp;
			}
		}
	}
	if (spectrum) {
		FILE *f = fopen(spectrum, "w");
		if (!f) {
			fprintf(stderr, "ringfetch bench: --percentiles %s: %s\n", spectrum, strerror(errno));
			return EXIT_LOCAL;
		}
		report_write_percentiles(f, rep->latency);
		if (fclose(f) != 0 && spectrum != tmp) {
			fprintf(stderr, "ringfetch bench: --percentiles %s: %s\n", spectrum, strerror(errno));
			st = EXIT_LOCAL;
		}
		const char *to = b->plot_path;
		if (!to) {
			snprintf(png, sizeof(png), "%s.png", spectrum);
			to = png;
		}
		char title[300];
		snprintf(title, sizeof(title), "%s %s: latency by percentile (%s model)", rep->method,
		         rep->n_urls ? rep->urls[0] : "", rep->open_model ? "open" : "closed");
		int r = report_plot(spectrum, to, title);
		if (r == 1 && b->plot_path)
			fprintf(stderr,
			        "ringfetch bench: note: --plot needs gnuplot, which is not installed\n");
		else if (r < 0)
			fprintf(stderr, "ringfetch bench: note: gnuplot could not plot %s\n", to);
		if (spectrum == tmp)
			unlink(tmp);
		if (b->plot_path && r == 0 && rep->series.n > 1)
			plot_series(b->plot_path, rep, title);
	}
	return st;
}

/* The exit status of a run whose outputs were written with st: no
 * response at all is a network failure; thresholds, when given, decide the
 * rest; without them a run in which no response was good fails. */
static int run_status(struct bench_cli *b, const struct bench_report *rep, int st)
{
	uint64_t errors = 0;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		errors += rep->errors[k];
	if (st != EXIT_OK)
		return st;
	if (!rep->requests && errors)
		return EXIT_NETWORK;
	if (b->thresholds.n)
		return thresholds_check(&b->thresholds, rep, stderr) ? EXIT_THRESHOLD : EXIT_OK;
	if (rep->requests && !rep->ok) {
		fprintf(stderr, "ringfetch bench: no response was a success (status 100-399)\n");
		return EXIT_HTTP;
	}
	return EXIT_OK;
}

static int merge_main(struct bench_cli *b)
{
	struct bench_report rep;
	if (report_init(&rep))
		return EXIT_INTERNAL;
	for (size_t i = 0; i < b->list.n; i++) {
		char err[512];
		if (report_merge_json(&rep, b->list.t[i].url, err, sizeof(err))) {
			fprintf(stderr, "ringfetch bench: --merge: %s\n", err);
			report_free(&rep);
			return EXIT_INPUT;
		}
	}
	if (b->human) {
		report_print(b->human, &rep, b->wide);
		if (b->timeline)
			report_print_timeline(b->human, &rep);
	}
	int st = run_status(b, &rep, write_outputs(b, &rep));
	report_free(&rep);
	return st;
}

static int exit_for(int err)
{
	switch (err) {
	case RF_EURL:
	case RF_ESCHEME:
		return EXIT_INPUT;
	case RF_EINVAL:
	case RF_EHEADER:
		return EXIT_USAGE;
	case RF_EDNS:
		return EXIT_NETWORK;
	case RF_ETLS_CONFIG:
	case RF_ETLS:
		return EXIT_TLS;
	default:
		return EXIT_INTERNAL;
	}
}

/* Room for every connection's descriptor. */
static void raise_fd_limit(unsigned connections)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < connections + 64ull) {
		rl.rlim_cur = connections + 64ull < rl.rlim_max ? connections + 64ull : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void free_cli(struct bench_cli *b)
{
	bench_list_free(&b->list);
	free(b->body);
}

int cli_bench_main(int argc, char **argv)
{
	static struct bench_cli b;
	int st = parse(&b, argc, argv);
	if (st != CLI_RUN) {
		free_cli(&b);
		return st;
	}
	/* stdout carries only a machine-readable document when one goes there
	 * (--json -, --percentiles -); the report for people then goes to
	 * stderr, or nowhere with -q */
	bool doc_on_stdout = (b.json_path && strcmp(b.json_path, "-") == 0) ||
	                     (b.percentiles_path && strcmp(b.percentiles_path, "-") == 0);
	b.human = !doc_on_stdout ? stdout : b.quiet ? NULL : stderr;
	if (b.merge) {
		st = merge_main(&b);
		free_cli(&b);
		return st;
	}
	char detail[512] = "";
	b.o.error_detail = detail;
	b.o.error_detail_len = sizeof(detail);
	b.live = !b.quiet && isatty(2);
	b.live_width = 72;
	if (b.live) {
		b.o.progress_interval = 0.5;
		b.o.on_progress = on_progress;
		b.o.progress_arg = &b;
	}
	raise_fd_limit(b.o.connections);
	rf_bench *bench = NULL;
	if (b.io_report)
		io_report_start(); /* before the threads: they inherit the counters */
	int err = rf_bench_new(&b.o, &bench);
	if (err) {
		fprintf(stderr, "ringfetch bench: %s\n", detail[0] ? detail : rf_strerror(err));
		free_cli(&b);
		return exit_for(err);
	}
	running = bench;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = rf_bench_run(bench);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	running = NULL;
	if (b.live)
		fprintf(stderr, "\r%*s\r", b.live_width, "");
	if (err) {
		fprintf(stderr, "ringfetch bench: cannot run: %s\n", detail[0] ? detail : rf_strerror(err));
		rf_bench_free(bench);
		free_cli(&b);
		return EXIT_INTERNAL;
	}
	struct bench_report rep;
	if (report_init(&rep)) {
		rf_bench_free(bench);
		free_cli(&b);
		return EXIT_INTERNAL;
	}
	const rf_bench_results *res = rf_bench_results_get(bench);
	bool interrupted = res->stopped;
	if (res->io_note[0])
		fprintf(stderr, "ringfetch bench: note: %s\n", res->io_note);
	report_from_run(&rep, &b.o, res);
	if (b.human) {
		report_print(b.human, &rep, b.wide);
		if (b.timeline)
			report_print_timeline(b.human, &rep);
		fflush(b.human);
	}
	st = write_outputs(&b, &rep);
	if (b.io_report)
		io_report_print(stderr, b.io_report == 2, res->io, &res->io_stats, res->duration,
		                (unsigned long long)res->requests, "request");
	st = run_status(&b, &rep, st);
	report_free(&rep);
	rf_bench_free(bench);
	free_cli(&b);
	return interrupted ? EXIT_INTERRUPTED : st;
}
