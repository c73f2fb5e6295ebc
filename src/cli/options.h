/*
 * options.h - the ringfetch command line parsed into values, nothing done.
 */
#ifndef RF_CLI_OPTIONS_H
#define RF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include <ringfetch.h>

#define CLI_MAX_HEADERS 256
#define CLI_MAX_PINS 1024

struct cli_options {
	rf_client_opts opts;            /* engine options (defaults from rf_client_opts_init) */
	const char *out_dir;            /* -P (default ".") */
	bool out_dir_given;             /* -P given: a relative -o FILE is under it (curl's --output-dir) */
	const char *output;             /* -o / -O (joined to -P), or NULL */
	char *output_joined;            /* -P DIR/FILE, owned, or NULL */
	bool create_dirs;               /* --create-dirs: make -o FILE's missing directories */
	bool force_dirs;                /* --force-directories (also -nH, --cut-dirs): HOST/PATH */
	bool no_host_dirs;              /* -nH */
	unsigned cut_dirs;              /* --cut-dirs N */
	bool content_disposition;       /* -J: the name Content-Disposition offers */
	const char *cookie_file;        /* -b FILE: cookies to start from, or NULL */
	const char *cookie_jar;         /* --cookie-jar FILE: the cookies written at the end */
	char *cookie_header;            /* -b NAME=VALUE...: "Cookie: ...", owned, or NULL */
	size_t cookie_at;               /* ... its place in headers[] */
	bool cookies_on;                /* -b FILE or -b '': the cookie store is on */
	rf_resolver_opts resolver;      /* --resolver, --dns-*, --resolve, -4, -6 */
	bool resolver_given;            /* ... some of them given */
	const char *pins[CLI_MAX_PINS]; /* --resolve values */
	size_t npins;
	bool output_big_o;            /* ... given as -O */
	const char *input_path;       /* -i, or NULL */
	const char *checksum;         /* --checksum (single URL), or NULL */
	const char *range;            /* -r A-B (single URL), or NULL */
	bool resume;                  /* -c */
	unsigned split;               /* --split N, or 0 */
	const char *json;             /* --json FILE ("-" = stdout), or NULL */
	const char *write_out;        /* -w/--write-out FORMAT, or NULL */
	bool discard;                 /* --discard (or -o /dev/null with several URLs) */
	const char *tar;              /* --tar PATTERN: samples of tar shards, or NULL */
	uint64_t shard_size;          /* --shard-size N samples per shard (0: no limit) */
	uint64_t shard_bytes;         /* --shard-bytes SIZE per shard (0: no limit) */
	const char *warc;             /* --warc-file NAME: NAME.warc.gz, or NULL */
	const char *warc_compression; /* --warc-compression gzip|none */
	bool warc_keep_credentials;   /* --warc-keep-credentials */
	uint64_t warc_max_size;       /* --warc-max-size SIZE (0: one file) */
	bool warc_cdx;                /* --warc-cdx */
	bool no_clobber;              /* -nc/--no-clobber */
	bool verbose;                 /* -v */
	unsigned shard_k, shard_n;    /* --shard K/N (1 <= K <= N), 0/0: all */
	bool shard_auto;              /* --shard auto: from the job scheduler's variables */
	bool mirror;                  /* -N */
	bool quiet;                   /* -q */
	bool iec_units;               /* a size or rate was typed in powers of 1024 (k, M,
	                              MiB): reports say KiB, MiB; else kB, MB (SI) */
	int progress;                 /* -1 auto (a bar on a terminal), else enum progress_style */
	bool print_digest;            /* --print-digest */
	bool file_io_report;          /* --file-io given: the summary names the path */
	bool io_named;                /* --io given: the summary names the kernel path */
	int io_report;                /* --io-report: 1 text, 2 JSON (to stderr) */
	bool netrc;                   /* --netrc: ~/.netrc */
	char *user;                   /* --user, a copy (argv's password is blanked) */
	char *proxy;                  /* -x/--proxy, a copy (likewise), or NULL */
	bool proxy_given;             /* -x given ("" = no proxy, whatever the environment) */
	char *proxy_user;             /* --proxy-user, a copy (likewise), or NULL */
	const char *noproxy;          /* --noproxy, or NULL (then no_proxy/NO_PROXY) */
	char *headers[CLI_MAX_HEADERS];
	size_t nheaders;
	char **urls;   /* the operands (with -O URL ones first) */
	char **o_urls; /* -O URL (curl's form): URLs, room for argc */
	int n_o_urls;
	int nurls;
};

/* Exit statuses; when URLs fail in several ways the lowest applies. */
enum {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1,      /* the engine itself failed (ring setup, memory) */
	EXIT_USAGE = 2,         /* bad options or nothing to do */
	EXIT_LOCAL = 3,         /* local output error: disk full, permissions, names */
	EXIT_NETWORK = 4,       /* DNS, connect, timeouts, resets, truncated or bad responses */
	EXIT_TLS = 5,           /* TLS handshake failure, untrusted certificate, TLS setup */
	EXIT_HTTP = 6,          /* HTTP error status, bad or looping redirects, a body
	                           refused (too big, does not decode) */
	EXIT_INPUT = 7,         /* bad URLs or options in the input */
	EXIT_CHECKSUM = 8,      /* a body did not match its checksum */
	EXIT_PROXY = 9,         /* the proxy refused the tunnel or wants credentials (407) */
	EXIT_THRESHOLD = 10,    /* bench: a --fail-if threshold was crossed */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: stopped early, .part files kept */
};

#define CLI_RUN (-1)

/* Parse argv into o.  Long options match their exact names only (never an
 * abbreviation: "--user" must not become "--user-agent").  Returns CLI_RUN
 * to go on, or the status to exit with: EXIT_OK after --help / --version
 * (printed to out), EXIT_USAGE after a message on err.  The password of
 * --user is blanked in argv (so ps does not show it).  Free with
 * cli_options_free. */
int cli_options_parse(struct cli_options *o, int argc, char **argv, FILE *out, FILE *err);
/* The fetch command's --help text. */
void cli_options_usage(FILE *f);
void cli_options_free(struct cli_options *o);

/* "auto", "uring", "epoll": RF_IO_*, or -1. */
int cli_parse_io(const char *s);
/* "auto", "defer-taskrun", "coop-taskrun", "plain", "sqpoll":
 * RF_URING_SETUP_*, or -1. */
int cli_parse_uring_setup(const char *s);
int cli_parse_uring_recv(const char *s);
/* --uring-fixed-files: RF_URING_FIXED_*, or -1 */
int cli_parse_on_off_auto(const char *s);

struct option;
/* The parser's tables (config.c reads option files with them). */
const struct option *cli_long_options(void);
const char *cli_short_options(void);
/* Refuse any long option not spelt out in full (argv walked as getopt
 * would): CLI_RUN, or EXIT_USAGE after naming the option (never its value)
 * on err. */
int cli_check_exact_names(int argc, char **argv, const char *short_opts, const struct option *long_opts,
                          FILE *err);

#endif
