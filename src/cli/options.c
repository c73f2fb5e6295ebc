/*
 * options.c - the ringfetch command line parsed into values, nothing done.
 *
 * Parsing has no side effect but messages (and blanking the password of
 * --user in argv), so it can be fuzzed (tests/fuzz/fuzz_options.c).  Long
 * options match exact names only: getopt_long alone accepts any unambiguous
 * prefix, and "--user alice:secret" taken as "--user-agent" would send a
 * password to every server.
 */
#include "options.h"
#include "progress.h"
#include "results.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define SHORT_OPTS ":i:P:o:O:j:t:H:A:x:w:C:r:K:b:cNkqsSvhVLfJ46"

void cli_options_usage(FILE *f)
{
	fputs("Usage: ringfetch [options] URL... | -i FILE   (a URL without scheme is http://)\n"
	      "       ringfetch bench [options] URL...         load-test a server (ringfetch help bench)\n"
	      "       ringfetch help [bench]                   this help, or the load generator's\n"
	      "Download HTTP/1.1 and HTTP/2 URLs concurrently through one io_uring ring.\n"
	      "\n"
	      "Input and output:\n"
	      "  -K, --config FILE         read options from FILE, one per line (curl's format:\n"
	      "                            'name = value', '#' comments); ~/.config/ringfetch/config\n"
	      "                            is read first\n"
	      "      --no-config           do not read ~/.config/ringfetch/config\n"
	      "  -i, --input-file FILE     read URLs from FILE ('-' = stdin); one per line,\n"
	      "                            '#' comments, indented 'out=NAME' / 'dir=DIR' lines\n"
	      "                            set options for the URL above them\n"
	      "  -P, --directory DIR       save files under DIR (default .; created if missing)\n"
	      "      --directory-prefix DIR  the same (wget's name)\n"
	      "  -o, --output FILE         save the single URL as FILE (replaces FILE);\n"
	      "                            '-' writes the body to stdout; a device or FIFO\n"
	      "                            (/dev/null) is written in place, never replaced;\n"
	      "                            a relative FILE is under -P DIR when -P is given\n"
	      "      --create-dirs         create the missing directories of -o FILE\n"
	      "  -O FILE                   same as -o ('-O -' = stdout); -O URL (curl's form)\n"
	      "                            fetches URL under its own name, as every URL is\n"
	      "      --discard             fetch and drop the bodies (checks, warm-ups); also what\n"
	      "                            -o /dev/null with several URLs and -P /dev/null mean\n"
	      "      --tar PATTERN         tar shards, not a file per URL (webdataset): KEY.EXT\n"
	      "                            and KEY.json per URL into PATTERN, e.g.\n"
	      "                            shards/{shard:05}.tar (.tar.part until complete)\n"
	      "      --warc-file NAME      keep every exchange as WARC records in NAME.warc.gz\n"
	      "                            (wget's spelling; request and response as they were)\n"
	      "      --warc-compression gzip|zstd|none  each record its own gzip member\n"
	      "                            (default), zstd frames (NAME.warc.zst), or none\n"
	      "                            (NAME.warc)\n"
	      "      --warc-keep-credentials  keep Authorization and Cookie values in the\n"
	      "                            request records (default: ***)\n"
	      "      --warc-max-size SIZE  a new WARC file once one holds SIZE bytes:\n"
	      "                            NAME-00000.warc.gz, NAME-00001.warc.gz ...\n"
	      "      --warc-cdx            a CDXJ index (pywb's) beside each WARC file\n"
	      "      --shard-size N        a new shard after N samples\n"
	      "      --shard-bytes SIZE    a new shard once one holds SIZE bytes (500M, 1G)\n"
	      "  -nc, --no-clobber         skip a URL whose own file (origin record) exists\n"
	      "      --force-directories   save under HOST[:PORT]/PATH/ (wget's -x; -x is --proxy)\n"
	      "  -nH, --no-host-directories  the same without the HOST directory\n"
	      "      --cut-dirs N          the same without the first N directories of PATH\n"
	      "  -J, --content-disposition  rename the file to the name the server's\n"
	      "                            Content-Disposition offers (made safe; never over\n"
	      "                            an existing file)\n"
	      "      --remote-header-name  the same (curl's name)\n"
	      "      --shard K/N|auto[/N]  take only shard K of N of the URLs (stable hash of the URL;\n"
	      "                            auto/N: K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID,\n"
	      "                            0-based; auto: N from JOB_COMPLETIONS or the array too)\n"
	      "Reports:\n"
	      "      --json FILE           one JSON object per URL as it finishes, then a summary\n"
	      "                            ('-' = stdout); see README \"Reports\"\n"
	      "  -w, --write-out FORMAT    print FORMAT after each URL: %{http_code}, %{time_total},\n"
	      "                            %{size_download}, %{url_effective}, %{filename_effective},\n"
	      "                            %{json}, ... (curl's names)\n"
	      "  -v, --verbose             per-file notes (already complete, skipped) and more detail\n"
	      "Connections:\n"
	      "  -j, --jobs N              transfers in flight (default 16); over HTTP/2\n"
	      "                            each is a stream\n"
	      "  -t, --threads N|auto      rings, each on a thread of its own, -j shared out among\n"
	      "                            them (default 1; auto: one per CPU this process may use)\n"
	      "      --cpus LIST           pin the threads and their rings' io-wq workers to these\n"
	      "                            CPUs in turn (0-3,8)\n"
	      "      --max-per-host N      open connections per origin (default: no cap); an\n"
	      "                            HTTP/2 one carries up to 100 streams (fewer when\n"
	      "                            the server says so)\n"
	      "      --connect-timeout S   seconds to resolve and connect (default 10, 0 = none)\n"
	      "      --timeout S           seconds without receiving a byte (default 30, 0 = none)\n"
	      "      --max-time S          seconds for a whole URL, all attempts (default none)\n"
	      "  -r, --range A-B           fetch only bytes A to B of the single URL (A-: from A;\n"
	      "                            -N: the last N); the file holds just them\n"
	      "      --max-filesize SIZE   refuse a body larger than SIZE bytes (units as for RATE),\n"
	      "                            announced or not; nothing of it is kept\n"
	      "      --limit-rate RATE     receive at most RATE bytes/s in total (k, m, g: x1024;\n"
	      "                            kB, MB, GB: x1000; reports then use that unit family)\n"
	      "      --limit-rate-per-host RATE  ... and at most RATE from each origin\n"
	      "      --split N             fetch each large file over up to N connections (Range\n"
	      "                            requests into one .part; list lines: split=N)\n"
	      "Names (DNS; README \"Names and DNS\"):\n"
	      "      --resolver ring|system  ring (default): c-ares on the ring, hundreds of names\n"
	      "                            at once, read ahead of need; system: getaddrinfo()\n"
	      "                            (nsswitch: mDNS, LDAP, systemd-resolved), two at a time\n"
	      "      --dns-max-inflight N  names looked up at once, and list entries read ahead\n"
	      "                            (default 256)\n"
	      "      --dns-servers LIST    ADDR[:PORT],... instead of /etc/resolv.conf's\n"
	      "      --resolve HOST:PORT:ADDR[,ADDR]  dial ADDR for HOST on PORT, no lookup\n"
	      "                            (repeatable; curl's)\n"
	      "  -4, --ipv4                IPv4 addresses only\n"
	      "  -6, --ipv6                IPv6 addresses only\n"
	      "Data safety:\n"
	      "  -N, --timestamping        mirror: an existing NAME is re-fetched only if the\n"
	      "                            server says it changed (If-None-Match with its stored\n"
	      "                            ETag, If-Modified-Since its mtime), then replaced; 304\n"
	      "                            keeps it; mtime set from Last-Modified.  With\n"
	      "                            --warc-file: a payload recorded before is a revisit\n"
	      "  -c, --continue            resume the URL's own NAME.part or shorter NAME (its\n"
	      "                            origin record says so; -o FILE: any) with Range/If-Range;\n"
	      "                            a complete NAME is skipped; failed transfers keep their\n"
	      "                            .part for the next -c run\n"
	      "  -C, --continue-at -       the same (curl's -C -)\n"
	      "      --checksum ALGO=HEX   verify the single URL's body (sha-256, sha-512, sha-1,\n"
	      "                            md5) while it streams; list lines use checksum=ALGO=HEX\n"
	      "      --print-digest ALGO   print 'HEX  NAME' for every file (sha256sum format)\n"
	      "      --retry N             retries after retryable failures (default 2): connect\n"
	      "                            errors, resets, timeouts, truncation, 408 429 500 502 503 504\n"
	      "      --tries N             attempts in all (wget's; = --retry N-1)\n"
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
	      "      --no-check-certificate  the same (wget's name)\n"
	      "HTTP:\n"
	      "      --max-redirs N        redirects to follow (default 10; 0 = do not follow)\n"
	      "  -L, --location            accepted for curl's -L: redirects are always followed\n"
	      "  -f, --fail                accepted for curl's -f: an HTTP error is always a failure\n"
	      "  -H, --header 'Name: value'  extra request header (repeatable; 'Name:' removes\n"
	      "                            a default header)\n"
	      "  -A, --user-agent UA       User-Agent (default ringfetch/" RF_VERSION_STRING ")\n"
	      "  -b, --cookie FILE|NAME=VALUE  cookies: read FILE (Netscape format; '' = none)\n"
	      "                            and keep what servers set (RFC 6265), or send\n"
	      "                            NAME=VALUE to the URLs given (as -H Cookie)\n"
	      "      --cookie-jar FILE     keep cookies and write them all to FILE at the end\n"
	      "      --compressed          ask for gzip, deflate, br or zstd and save the body\n"
	      "                            decoded (without it: identity, saved as sent)\n"
	      "      --http1.1             speak HTTP/1.1 only (default: https offers h2 and\n"
	      "                            http/1.1 by ALPN and the server picks)\n"
	      "      --http2               https: HTTP/2 only (a server that does not agree to\n"
	      "                            h2 fails the URL); http:// stays HTTP/1.1\n"
	      "      --http2-prior-knowledge  as --http2, and http:// speaks HTTP/2 at once\n"
	      "                            (h2c; not through a proxy)\n"
	      "Credentials (sent only to the origin they are given for; see README):\n"
	      "      --user USER[:PASS]    Basic auth for every URL without user:pass@ of its own\n"
	      "      --netrc               take credentials for a URL's host from ~/.netrc\n"
	      "      --netrc-file FILE     ... from FILE\n"
	      "      --location-trusted    let credentials follow redirects to other hosts too\n"
	      "                            (never from https:// to http://)\n"
	      "Proxies (default: http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY,\n"
	      "no_proxy/NO_PROXY from the environment, as curl reads them):\n"
	      "  -x, --proxy URL           http://[USER:PASS@]HOST[:PORT] for every URL ('' = none);\n"
	      "                            https:// URLs go through a CONNECT tunnel\n"
	      "      --proxy-user USER:PASS  the proxy's credentials (Basic, sent to the proxy only)\n"
	      "      --noproxy LIST        hosts to reach directly: '*', domains, IPs, CIDR, by commas\n"
	      "Kernel I/O path knobs (defaults are the fastest measured; see bench/):\n"
	      "      --io PATH             uring, epoll (readiness + plain syscalls) or auto\n"
	      "                            (default: io_uring, epoll where it is refused, with\n"
	      "                            a note); the summary names the path when given\n"
	      "      --uring-setup MODE    defer-taskrun, coop-taskrun, plain or sqpoll: that ring\n"
	      "                            setup or an error (default: the first the kernel takes)\n"
	      "      --uring-submit-batch N  submit as soon as N SQEs are queued (default 0: all\n"
	      "                            of them with the next wait)\n"
	      "      --uring-recv MODE     plain-HTTP receive buffers: pool (one pool shared by\n"
	      "                            all connections, taken when bytes arrive; default),\n"
	      "                            multishot (the pool, one multishot receive per\n"
	      "                            response), own (2 per transfer), or auto\n"
	      "      --uring-recv-pool N   buffers in the pool (default: 2 per transfer in flight,\n"
	      "                            at most 16 MiB of them)\n"
	      "      --uring-recv-inc on|off|auto  pool buffers consumed incrementally (Linux\n"
	      "                            6.12): each receive takes only the bytes it got\n"
	      "      --uring-fixed-files on|off|auto  sockets in the ring's registered file\n"
	      "                            table, their ops naming the slot (default: auto)\n"
	      "      --uring-write-fixed on|off|auto  the pool's memory registered with the ring:\n"
	      "                            file writes from it on the ring are WRITE_FIXED\n"
	      "      --io-report[=json]    after the run: the kernel path, the loop's syscalls\n"
	      "                            by kind, SQEs/CQEs, CPU, context switches, peak RSS\n"
	      "      --uring-recv-buffer N   bytes per receive buffer (default 65536)\n"
	      "      --uring-big-buffer N    receive buffer for large bodies (default 1048576, 0 = off)\n"
	      "      --uring-no-splice       receive large plain-HTTP bodies instead of splicing them\n"
	      "      --file-io MODE        output-file ops: ring (io_uring ops), inline (syscalls\n"
	      "                            on the loop thread; large bodies stay on the ring) or\n"
	      "                            auto (default: by the output filesystem); the summary\n"
	      "                            says which was taken when this option is given\n"
	      "      --tmpfile MODE        on: a whole body of at most 256 KiB goes to an unnamed\n"
	      "                            file linked to its name when complete; off: NAME.part\n"
	      "                            + rename for all; auto (default): on ext4, xfs, overlay\n"
	      "Other:\n"
	      "  -q, --quiet               no summary or progress (errors are still printed)\n"
	      "  -s, --silent              the same (curl's name)\n"
	      "  -S, --show-error          accepted for curl's -sS: errors are always printed\n"
	      "      --progress[=STYLE]    progress: bar (the default on a terminal), line (the\n"
	      "                            same without the bar) or none; on a terminal it fits\n"
	      "                            the width, elsewhere a line a second\n"
	      "      --no-progress         no progress line\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             print the version\n"
	      "\n"
	      "Files are written as NAME.part and renamed to NAME when complete; an existing\n"
	      "NAME is never overwritten (the new file becomes NAME.1, NAME.2, ... in list\n"
	      "order), except with -o.  Every file records its URL (xattr user.xdg.origin.url);\n"
	      "-c, -N and -nc take only a URL's own file.  Exit status: 0 all fine, 1 internal error, 2 "
	      "usage, 3 local file\n"
	      "error, 4 network error, 5 TLS error, 6 HTTP error status, bad redirect or a\n"
	      "body refused (--max-filesize, a bad encoding), 7 bad input, 8 checksum mismatch, 9 proxy "
	      "error, 130 interrupted (first\n"
	      "SIGINT/SIGTERM stops cleanly and keeps .part files; a second one exits at\n"
	      "once) (the lowest applies when several kinds occur).  See man ringfetch.\n",
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

/* A number of bytes with an optional unit: k, m, g, t (powers of 1024, as
 * curl and wget take them), Ki, Mi, Gi, Ti (the same, IEC's names, a "B"
 * may follow) or kB, MB, GB, TB (powers of 1000).  *iec: 1 when the unit
 * was a power of 1024, 0 for 1000, -1 for none. */
static bool parse_bytes(const char *s, double *out, int *iec)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !(*s >= '0' && *s <= '9'))
		return false;
	static const char prefixes[] = "kmgt";
	const char *p = *end ? strchr(prefixes, end[0] | 0x20) : NULL;
	*iec = -1;
	if (p) {
		int power = (int)(p - prefixes) + 1;
		end++;
		bool si = *end == 'B' && !end[1];
		if (*end == 'i') {
			end++;
			if (*end == 'B')
				end++;
		} else if (si) {
			end++;
		}
		*iec = si ? 0 : 1;
		for (int i = 0; i < power; i++)
			v *= si ? 1000.0 : 1024.0;
	}
	if (*end)
		return false;
	*out = v;
	return true;
}

/* A rate in bytes per second (parse_bytes' units); at least 1 byte/s.  A
 * unit decides how rates and sizes are reported (o->iec_units). */
static bool parse_rate(struct cli_options *o, const char *s, double *out)
{
	int iec;
	if (!parse_bytes(s, out, &iec) || *out < 1 || *out > 1e12)
		return false;
	if (iec >= 0)
		o->iec_units = iec;
	return true;
}

/* A size in bytes (--max-filesize); at least 1. */
static bool parse_size(struct cli_options *o, const char *s, uint64_t *out)
{
	int iec;
	double v;
	if (!parse_bytes(s, &v, &iec) || v < 1 || v > 9.2e18)
		return false;
	if (iec >= 0)
		o->iec_units = iec;
	*out = (uint64_t)v;
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

enum {
	OPT_MAX_PER_HOST = 256,
	OPT_CPUS,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_MAX_TIME,
	OPT_LIMIT_RATE,
	OPT_LIMIT_RATE_PER_HOST,
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
	OPT_FILE_IO,
	OPT_IO,
	OPT_IO_REPORT,
	OPT_URING_SETUP,
	OPT_URING_SUBMIT_BATCH,
	OPT_URING_RECV,
	OPT_URING_RECV_POOL,
	OPT_URING_FIXED_FILES,
	OPT_URING_WRITE_FIXED,
	OPT_URING_RECV_INC,
	OPT_TMPFILE,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_USER,
	OPT_NETRC,
	OPT_NETRC_FILE,
	OPT_LOCATION_TRUSTED,
	OPT_PROXY_USER,
	OPT_SPLIT,
	OPT_JSON,
	OPT_DISCARD,
	OPT_TAR,
	OPT_WARC_FILE,
	OPT_WARC_COMPRESSION,
	OPT_WARC_KEEP_CREDENTIALS,
	OPT_WARC_MAX_SIZE,
	OPT_WARC_CDX,
	OPT_SHARD_SIZE,
	OPT_SHARD_BYTES,
	OPT_NO_CLOBBER,
	OPT_SHARD,
	OPT_NOPROXY,
	OPT_TRIES,
	OPT_FORCE_DIRECTORIES,
	OPT_NO_HOST_DIRECTORIES,
	OPT_CUT_DIRS,
	OPT_CREATE_DIRS,
	OPT_MAX_FILESIZE,
	OPT_NO_CONFIG,
	OPT_COMPRESSED,
	OPT_HTTP1_1,
	OPT_HTTP2,
	OPT_HTTP2_PRIOR,
	OPT_COOKIE_JAR,
	OPT_RESOLVER,
	OPT_DNS_MAX_INFLIGHT,
	OPT_DNS_SERVERS,
	OPT_RESOLVE,
};

static const struct option long_opts[] = {
	{"input-file", required_argument, NULL, 'i'},
	{"config", required_argument, NULL, 'K'},
	{"no-config", no_argument, NULL, OPT_NO_CONFIG},
	{"directory", required_argument, NULL, 'P'},
	{"directory-prefix", required_argument, NULL, 'P'},
	{"output", required_argument, NULL, 'o'},
	{"create-dirs", no_argument, NULL, OPT_CREATE_DIRS},
	{"force-directories", no_argument, NULL, OPT_FORCE_DIRECTORIES},
	{"no-host-directories", no_argument, NULL, OPT_NO_HOST_DIRECTORIES},
	{"cut-dirs", required_argument, NULL, OPT_CUT_DIRS},
	{"content-disposition", no_argument, NULL, 'J'},
	{"remote-header-name", no_argument, NULL, 'J'},
	{"jobs", required_argument, NULL, 'j'},
	{"threads", required_argument, NULL, 't'},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"max-per-host", required_argument, NULL, OPT_MAX_PER_HOST},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"max-time", required_argument, NULL, OPT_MAX_TIME},
	{"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
	{"limit-rate-per-host", required_argument, NULL, OPT_LIMIT_RATE_PER_HOST},
	{"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
	{"max-filesize", required_argument, NULL, OPT_MAX_FILESIZE},
	{"compressed", no_argument, NULL, OPT_COMPRESSED},
	{"http1.1", no_argument, NULL, OPT_HTTP1_1},
	{"http2", no_argument, NULL, OPT_HTTP2},
	{"http2-prior-knowledge", no_argument, NULL, OPT_HTTP2_PRIOR},
	{"cookie", required_argument, NULL, 'b'},
	{"cookie-jar", required_argument, NULL, OPT_COOKIE_JAR},
	{"range", required_argument, NULL, 'r'},
	{"resolver", required_argument, NULL, OPT_RESOLVER},
	{"dns-max-inflight", required_argument, NULL, OPT_DNS_MAX_INFLIGHT},
	{"dns-servers", required_argument, NULL, OPT_DNS_SERVERS},
	{"resolve", required_argument, NULL, OPT_RESOLVE},
	{"ipv4", no_argument, NULL, '4'},
	{"ipv6", no_argument, NULL, '6'},
	{"header", required_argument, NULL, 'H'},
	{"cacert", required_argument, NULL, OPT_CACERT},
	{"capath", required_argument, NULL, OPT_CAPATH},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"tls-min", required_argument, NULL, OPT_TLS_MIN},
	{"insecure", no_argument, NULL, 'k'},
	{"no-check-certificate", no_argument, NULL, 'k'},
	{"location", no_argument, NULL, 'L'},
	{"fail", no_argument, NULL, 'f'},
	{"continue-at", required_argument, NULL, 'C'},
	{"tries", required_argument, NULL, OPT_TRIES},
	{"continue", no_argument, NULL, 'c'},
	{"timestamping", no_argument, NULL, 'N'},
	{"checksum", required_argument, NULL, OPT_CHECKSUM},
	{"print-digest", required_argument, NULL, OPT_PRINT_DIGEST},
	{"retry", required_argument, NULL, OPT_RETRY},
	{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
	{"retry-on-checksum", no_argument, NULL, OPT_RETRY_ON_CHECKSUM},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"uring-recv-buffer", required_argument, NULL, OPT_URING_RECV_BUFFER},
	{"uring-big-buffer", required_argument, NULL, OPT_URING_BIG_BUFFER},
	{"uring-no-splice", no_argument, NULL, OPT_URING_NO_SPLICE},
	{"file-io", required_argument, NULL, OPT_FILE_IO},
	{"io", required_argument, NULL, OPT_IO},
	{"io-report", optional_argument, NULL, OPT_IO_REPORT},
	{"uring-setup", required_argument, NULL, OPT_URING_SETUP},
	{"uring-submit-batch", required_argument, NULL, OPT_URING_SUBMIT_BATCH},
	{"uring-recv", required_argument, NULL, OPT_URING_RECV},
	{"uring-recv-pool", required_argument, NULL, OPT_URING_RECV_POOL},
	{"uring-fixed-files", required_argument, NULL, OPT_URING_FIXED_FILES},
	{"uring-write-fixed", required_argument, NULL, OPT_URING_WRITE_FIXED},
	{"uring-recv-inc", required_argument, NULL, OPT_URING_RECV_INC},
	{"tmpfile", required_argument, NULL, OPT_TMPFILE},
	{"progress", optional_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"user-agent", required_argument, NULL, 'A'},
	{"user", required_argument, NULL, OPT_USER},
	{"netrc", no_argument, NULL, OPT_NETRC},
	{"netrc-file", required_argument, NULL, OPT_NETRC_FILE},
	{"location-trusted", no_argument, NULL, OPT_LOCATION_TRUSTED},
	{"split", required_argument, NULL, OPT_SPLIT},
	{"json", required_argument, NULL, OPT_JSON},
	{"write-out", required_argument, NULL, 'w'},
	{"discard", no_argument, NULL, OPT_DISCARD},
	{"tar", required_argument, NULL, OPT_TAR},
	{"warc-file", required_argument, NULL, OPT_WARC_FILE},
	{"warc-compression", required_argument, NULL, OPT_WARC_COMPRESSION},
	{"warc-keep-credentials", no_argument, NULL, OPT_WARC_KEEP_CREDENTIALS},
	{"warc-max-size", required_argument, NULL, OPT_WARC_MAX_SIZE},
	{"warc-cdx", no_argument, NULL, OPT_WARC_CDX},
	{"shard-size", required_argument, NULL, OPT_SHARD_SIZE},
	{"shard-bytes", required_argument, NULL, OPT_SHARD_BYTES},
	{"no-clobber", no_argument, NULL, OPT_NO_CLOBBER},
	{"verbose", no_argument, NULL, 'v'},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"proxy", required_argument, NULL, 'x'},
	{"proxy-user", required_argument, NULL, OPT_PROXY_USER},
	{"noproxy", required_argument, NULL, OPT_NOPROXY},
	{"quiet", no_argument, NULL, 'q'},
	{"silent", no_argument, NULL, 's'},
	{"show-error", no_argument, NULL, 'S'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

const struct option *cli_long_options(void)
{
	return long_opts;
}

const char *cli_short_options(void)
{
	return SHORT_OPTS;
}

static int usage_error(FILE *err, const char *fmt, const char *arg)
{
	fputs("ringfetch: ", err);
	fprintf(err, fmt, arg);
	fputs("\nTry 'ringfetch --help'.\n", err);
	return EXIT_USAGE;
}

/* Refuse any long option that is not spelt out in full.  Walks argv as
 * getopt would (values of options that take one are skipped; "--" ends the
 * options), naming only the option, never its value. */
int cli_check_exact_names(int argc, char **argv, const char *short_opts, const struct option *long_opts,
                          FILE *err)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == 0)
			continue; /* an operand, or "-" */
		if (a[1] != '-') {
			for (const char *p = a + 1; *p; p++) {
				const char *spec = *p == ':' ? NULL : strchr(short_opts, *p);
				if (spec && spec[1] == ':') {
					if (!p[1])
						i++; /* the value is the next word */
					break;
				}
			}
			continue;
		}
		size_t n = strcspn(a + 2, "=");
		const struct option *found = NULL;
		for (const struct option *lo = long_opts; lo->name; lo++)
			if (strlen(lo->name) == n && strncmp(lo->name, a + 2, n) == 0)
				found = lo;
		if (!found) {
			char name[64];
			snprintf(name, sizeof(name), "--%.*s", (int)(n < 40 ? n : 40), a + 2);
			return usage_error(err, "unknown option %s", name);
		}
		if (found->has_arg == no_argument && a[2 + n] == '=')
			return usage_error(err, "option --%s takes no value", found->name);
		if (found->has_arg == required_argument && a[2 + n] != '=')
			i++;
	}
	return CLI_RUN;
}

/* The value named s in names, or -1. */
struct cli_name {
	const char *name;
	int value;
};
static int by_name(const char *s, const struct cli_name *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].value;
	return -1;
}
#define BY_NAME(s, ...)                                                                                      \
	by_name(s, (const struct cli_name[]){__VA_ARGS__},                                                   \
	        sizeof((const struct cli_name[]){__VA_ARGS__}) / sizeof(struct cli_name))

int cli_parse_uring_setup(const char *s)
{
	return BY_NAME(s, {"auto", RF_URING_SETUP_AUTO}, {"defer-taskrun", RF_URING_SETUP_DEFER_TASKRUN},
	               {"coop-taskrun", RF_URING_SETUP_COOP_TASKRUN}, {"plain", RF_URING_SETUP_PLAIN},
	               {"sqpoll", RF_URING_SETUP_SQPOLL});
}

int cli_parse_on_off_auto(const char *s)
{
	return BY_NAME(s, {"auto", RF_URING_FIXED_AUTO}, {"on", RF_URING_FIXED_ON},
	               {"off", RF_URING_FIXED_OFF});
}

int cli_parse_uring_recv(const char *s)
{
	return BY_NAME(s, {"auto", RF_URING_RECV_AUTO}, {"own", RF_URING_RECV_OWN},
	               {"pool", RF_URING_RECV_POOL}, {"multishot", RF_URING_RECV_MULTISHOT});
}

int cli_parse_io(const char *s)
{
	return BY_NAME(s, {"auto", RF_IO_AUTO}, {"uring", RF_IO_URING}, {"epoll", RF_IO_EPOLL});
}

static void wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

/* Keep a copy of USER:PASS in *dst and blank the password in argv (ps
 * shows argv).  False when out of memory. */
static bool copy_credentials(char **dst, char *arg)
{
	wipe(dst);
	if (!(*dst = strdup(arg)))
		return false;
	char *colon = strchr(arg, ':');
	if (colon)
		memset(colon + 1, '*', strlen(colon + 1));
	return true;
}

/* Blank the password of a USER:PASS@HOST authority in argv (ps shows argv). */
static void blank_password(char *authority)
{
	char *at = strrchr(authority, '@');
	char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
	if (colon)
		memset(colon + 1, '*', (size_t)(at - colon - 1));
}

void cli_options_free(struct cli_options *o)
{
	free(o->o_urls);
	o->o_urls = NULL;
	free(o->output_joined);
	o->output_joined = NULL;
	wipe(&o->cookie_header);
	wipe(&o->user);
	wipe(&o->proxy);
	wipe(&o->proxy_user);
}

int cli_options_parse(struct cli_options *o, int argc, char **argv, FILE *out, FILE *err)
{
	memset(o, 0, sizeof(*o));
	rf_client_opts_init(&o->opts);
	rf_resolver_opts_init(&o->resolver);
	o->progress = -1;
	o->out_dir = ".";
	unsigned long u;
	double d;
	int opt;
	opterr = 0;
	optind = 0; /* a fresh scan (glibc), also when called again */
	static char no_clobber[] = "--no-clobber", no_host[] = "--no-host-directories";
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-nc") == 0) /* wget's spellings, one word */
			argv[i] = no_clobber;
		else if (strcmp(argv[i], "-nH") == 0)
			argv[i] = no_host;
	}
	int bad = cli_check_exact_names(argc, argv, SHORT_OPTS, long_opts, err);
	if (bad != CLI_RUN)
		return bad;
	while ((opt = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			o->input_path = optarg;
			break;
		case 'P':
			o->out_dir = optarg;
			o->out_dir_given = true;
			break;
		case 'J':
			o->content_disposition = true;
			break;
		case 'K': /* config.c reads -K FILE where it stands, before parsing */
			return usage_error(err,
			                   "-K FILE must be an option of its own (not joined with "
			                   "other short options)%s",
			                   "");
		case OPT_NO_CONFIG: /* config.c: the default config file is skipped */
			break;
		case OPT_CREATE_DIRS:
			o->create_dirs = true;
			break;
		case OPT_FORCE_DIRECTORIES:
			o->force_dirs = true;
			break;
		case OPT_NO_HOST_DIRECTORIES:
			o->force_dirs = o->no_host_dirs = true;
			break;
		case OPT_CUT_DIRS:
			if (!parse_uint(optarg, 1000, &u))
				return usage_error(err, "--cut-dirs needs a number of directories, not '%s'",
				                   optarg);
			o->cut_dirs = (unsigned)u;
			o->force_dirs = true;
			break;
		case 'O':
			if (strstr(optarg, "://")) {
				/* curl's -O URL: that URL, saved under its own name (as
				 * every URL is here), not a file named after it */
				if (!o->o_urls && !(o->o_urls = calloc((size_t)argc, sizeof(char *))))
					return EXIT_INTERNAL;
				o->o_urls[o->n_o_urls++] = optarg;
				break;
			}
			/* fall through */
		case 'o':
			o->output = optarg;
			o->output_big_o = opt == 'O';
			break;
		case 'j':
			if (!parse_uint(optarg, 65536, &u) || u == 0)
				return usage_error(err, "-j needs a number from 1 to 65536, not '%s'",
				                   optarg);
			o->opts.max_inflight = (unsigned)u;
			break;
		case 't':
			if (strcmp(optarg, "auto") == 0) {
				cpu_set_t set;
				u = sched_getaffinity(0, sizeof(set), &set) == 0
				            ? (unsigned long)CPU_COUNT(&set)
				            : 1;
				u = u > 256 ? 256 : u;
			} else if (!parse_uint(optarg, 256, &u) || u == 0) {
				return usage_error(
					err, "-t needs a number of threads from 1 to 256 or auto, not '%s'",
					optarg);
			}
			o->opts.threads = (unsigned)u;
			break;
		case OPT_CPUS:
			o->opts.cpus = optarg; /* checked by rf_client_new */
			break;
		case OPT_MAX_PER_HOST:
			if (!parse_uint(optarg, 65536, &u))
				return usage_error(err, "--max-per-host needs a number, not '%s'", optarg);
			o->opts.max_per_host = (unsigned)u;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (!parse_seconds(optarg, &d))
				return usage_error(err, "--connect-timeout needs seconds, not '%s'", optarg);
			o->opts.connect_timeout = d;
			break;
		case OPT_TIMEOUT:
			if (!parse_seconds(optarg, &d))
				return usage_error(err, "--timeout needs seconds, not '%s'", optarg);
			o->opts.idle_timeout = d;
			break;
		case OPT_LIMIT_RATE:
			if (!parse_rate(o, optarg, &o->opts.limit_rate))
				return usage_error(err,
				                   "--limit-rate needs bytes per second (e.g. 500k, 2M), "
				                   "not '%s'",
				                   optarg);
			break;
		case OPT_LIMIT_RATE_PER_HOST:
			if (!parse_rate(o, optarg, &o->opts.limit_rate_per_host))
				return usage_error(err,
				                   "--limit-rate-per-host needs bytes per second (e.g. 500k, "
				                   "2M), not '%s'",
				                   optarg);
			break;
		case OPT_MAX_TIME:
			if (!parse_seconds(optarg, &d))
				return usage_error(err, "--max-time needs seconds, not '%s'", optarg);
			o->opts.max_time = d;
			break;
		case 'r': {
			size_t a = strspn(optarg, "0123456789");
			size_t b = optarg[a] == '-' ? strspn(optarg + a + 1, "0123456789") : 0;
			if (optarg[a] != '-' || optarg[a + 1 + b] || (!a && !b) || a > 18 || b > 18 ||
			    (a && b && strtoll(optarg, NULL, 10) > strtoll(optarg + a + 1, NULL, 10)))
				return usage_error(err,
				                   "-r needs a byte range A-B, A- or -N (A <= B; one range), "
				                   "not '%s'",
				                   optarg);
			o->range = optarg;
			break;
		}
		case 'b': {
			if (!strchr(optarg, '=')) { /* curl: a file to read ('' = none) */
				o->cookie_file = *optarg ? optarg : NULL;
				o->cookies_on = true;
				break;
			}
			/* curl: NAME=VALUE[; ...] is sent as it is (-H Cookie's rules:
			 * only to the origin of the URL it came with) */
			if (strpbrk(optarg, "\r\n"))
				return usage_error(err, "-b: a cookie on one line%s", "");
			char *h;
			int n = o->cookie_header ? asprintf(&h, "%s; %s", o->cookie_header, optarg)
			                         : asprintf(&h, "Cookie: %s", optarg);
			if (n < 0)
				return EXIT_INTERNAL;
			if (o->cookie_header) {
				wipe(&o->cookie_header);
			} else if (o->nheaders >= CLI_MAX_HEADERS) {
				free(h);
				return usage_error(err, "too many -H headers%s", "");
			} else {
				o->cookie_at = o->nheaders++;
			}
			o->cookie_header = o->headers[o->cookie_at] = h;
			memset(optarg, '*', strlen(optarg)); /* ps shows argv */
			break;
		}
		case OPT_COOKIE_JAR:
			o->cookie_jar = optarg;
			break;
		case OPT_RESOLVER:
			if (strcmp(optarg, "ring") == 0)
				o->resolver.kind = RF_RESOLVER_RING;
			else if (strcmp(optarg, "system") == 0)
				o->resolver.kind = RF_RESOLVER_SYSTEM;
			else
				return usage_error(err, "--resolver %s: want ring or system", optarg);
			o->resolver_given = true;
			break;
		case OPT_DNS_MAX_INFLIGHT:
			if (!parse_uint(optarg, 65536, &u) || u == 0)
				return usage_error(err,
				                   "--dns-max-inflight needs a number from 1 to 65536, "
				                   "not '%s'",
				                   optarg);
			o->resolver.max_inflight = (unsigned)u;
			o->resolver_given = true;
			break;
		case OPT_DNS_SERVERS:
			o->resolver.servers = optarg;
			o->resolver_given = true;
			break;
		case OPT_RESOLVE:
			if (o->npins == CLI_MAX_PINS)
				return usage_error(err, "too many --resolve (at most %s)", "1024");
			o->pins[o->npins++] = optarg;
			o->resolver.pins = o->pins;
			o->resolver.n_pins = o->npins;
			o->resolver_given = true;
			break;
		case '4':
		case '6':
			if (o->resolver.family && o->resolver.family != (opt == '4' ? 4 : 6))
				return usage_error(err, "-4 and -6 exclude each other%s", "");
			o->resolver.family = opt == '4' ? 4 : 6;
			o->resolver_given = true;
			break;
		case OPT_COMPRESSED:
			o->opts.compressed = 1;
			break;
		case OPT_HTTP1_1:
		case OPT_HTTP2:
		case OPT_HTTP2_PRIOR: {
			int v = opt == OPT_HTTP1_1 ? RF_HTTP_1_1
			        : opt == OPT_HTTP2 ? RF_HTTP_2
			                           : RF_HTTP_2_PRIOR;
			if (o->opts.http_version && o->opts.http_version != v)
				return usage_error(
					err,
					"--http1.1, --http2 and --http2-prior-knowledge exclude each other%s",
					"");
			o->opts.http_version = v;
			break;
		}
		case OPT_MAX_FILESIZE:
			if (!parse_size(o, optarg, &o->opts.max_filesize))
				return usage_error(err,
				                   "--max-filesize needs a size in bytes (e.g. 500k, 2G), "
				                   "not '%s'",
				                   optarg);
			break;
		case OPT_MAX_REDIRS:
			if (!parse_uint(optarg, 1000, &u))
				return usage_error(
					err, "--max-redirs needs a number from 0 to 1000, not '%s'", optarg);
			o->opts.max_redirs = (int)u;
			break;
		case 'H':
			if (o->nheaders >= CLI_MAX_HEADERS)
				return usage_error(err, "too many -H headers%s", "");
			if (!strchr(optarg, ':') || optarg[0] == ':' || strpbrk(optarg, "\r\n")) {
				/* not echoed: it may be a credential */
				return usage_error(
					err, "bad header in -H (expected 'Name: value' on one line)%s", "");
			}
			o->headers[o->nheaders++] = optarg;
			break;
		case 'A':
			o->opts.user_agent = optarg;
			break;
		case OPT_CACERT:
			o->opts.tls_ca_file = optarg;
			break;
		case OPT_CAPATH:
			o->opts.tls_ca_path = optarg;
			break;
		case OPT_CERT:
			o->opts.tls_cert_file = optarg;
			break;
		case OPT_KEY:
			o->opts.tls_key_file = optarg;
			break;
		case OPT_TLS_MIN:
			if (strcmp(optarg, "1.2") == 0)
				o->opts.tls_min_version = 12;
			else if (strcmp(optarg, "1.3") == 0)
				o->opts.tls_min_version = 13;
			else
				return usage_error(err, "--tls-min takes 1.2 or 1.3, not '%s'", optarg);
			break;
		case 'k':
			o->opts.tls_insecure = 1;
			break;
		case 'c':
			o->resume = true;
			break;
		case 'C': /* curl's -C -: continue where the file ends */
			if (strcmp(optarg, "-") != 0)
				return usage_error(err,
				                   "-C takes '-' (continue where the file on disk ends; "
				                   "offsets are not taken), not '%s'",
				                   optarg);
			o->resume = true;
			break;
		case 'L': /* curl's: redirects are followed already (--max-redirs) */
		case 'f': /* curl's: an HTTP error status is already a failure */
			break;
		case 'N':
			o->mirror = true;
			break;
		case OPT_CHECKSUM: {
			const char *why;
			if (rf_checksum_check(optarg, &why))
				return usage_error(err, "--checksum: %s", why);
			o->checksum = optarg;
			break;
		}
		case OPT_PRINT_DIGEST:
			if (!rf_digest_known(optarg))
				return usage_error(
					err,
					"--print-digest: unknown algorithm '%s' (sha-256, sha-512, "
					"sha-1, md5)",
					optarg);
			o->opts.digest = optarg;
			o->print_digest = true;
			break;
		case OPT_RETRY:
			if (!parse_uint(optarg, 1000, &u))
				return usage_error(err, "--retry needs a number from 0 to 1000, not '%s'",
				                   optarg);
			o->opts.retries = (unsigned)u;
			break;
		case OPT_TRIES: /* wget's: attempts in all */
			if (!parse_uint(optarg, 1001, &u) || u < 1)
				return usage_error(err,
				                   "--tries needs a number of attempts from 1 to 1001 "
				                   "(unlimited is not offered: see --max-time), not '%s'",
				                   optarg);
			o->opts.retries = (unsigned)u - 1;
			break;
		case OPT_RETRY_DELAY:
			if (!parse_seconds(optarg, &d))
				return usage_error(err, "--retry-delay needs seconds, not '%s'", optarg);
			o->opts.retry_delay = d;
			break;
		case OPT_RETRY_ON_CHECKSUM:
			o->opts.retry_on_checksum = 1;
			break;
		case OPT_FSYNC:
			o->opts.fsync = 1;
			break;
		case OPT_URING_RECV_BUFFER:
			if (!parse_uint(optarg, 64u << 20, &u) || u < 4096)
				return usage_error(
					err, "--uring-recv-buffer needs bytes from 4096 to 64 MiB, not '%s'",
					optarg);
			o->opts.recv_buffer = u;
			break;
		case OPT_URING_BIG_BUFFER:
			if (!parse_uint(optarg, 64u << 20, &u))
				return usage_error(
					err, "--uring-big-buffer needs bytes up to 64 MiB, not '%s'", optarg);
			o->opts.big_buffer = u;
			break;
		case OPT_URING_NO_SPLICE:
			o->opts.no_splice = 1;
			break;
		case OPT_FILE_IO:
			if (strcmp(optarg, "auto") == 0)
				o->opts.file_io = RF_FILE_IO_AUTO;
			else if (strcmp(optarg, "ring") == 0)
				o->opts.file_io = RF_FILE_IO_RING;
			else if (strcmp(optarg, "inline") == 0)
				o->opts.file_io = RF_FILE_IO_INLINE;
			else
				return usage_error(err, "--file-io takes ring, inline or auto, not '%s'",
				                   optarg);
			o->file_io_report = true;
			break;
		case OPT_IO:
			if ((o->opts.io = cli_parse_io(optarg)) < 0)
				return usage_error(err, "--io takes uring, epoll or auto, not '%s'", optarg);
			o->io_named = true;
			break;
		case OPT_URING_SETUP:
			if ((o->opts.uring_setup = cli_parse_uring_setup(optarg)) < 0)
				return usage_error(
					err,
					"--uring-setup takes defer-taskrun, coop-taskrun, plain or "
					"sqpoll, not '%s'",
					optarg);
			o->io_named = true;
			break;
		case OPT_URING_RECV:
			if ((o->opts.uring_recv = cli_parse_uring_recv(optarg)) < 0)
				return usage_error(
					err, "--uring-recv takes pool, multishot, own or auto, not '%s'",
					optarg);
			break;
		case OPT_URING_RECV_INC:
			if ((o->opts.uring_recv_inc = cli_parse_on_off_auto(optarg)) < 0)
				return usage_error(err, "--uring-recv-inc takes on, off or auto, not '%s'",
				                   optarg);
			break;
		case OPT_URING_WRITE_FIXED:
			if ((o->opts.uring_write_fixed = cli_parse_on_off_auto(optarg)) < 0)
				return usage_error(err, "--uring-write-fixed takes on, off or auto, not '%s'",
				                   optarg);
			break;
		case OPT_URING_FIXED_FILES:
			if ((o->opts.uring_fixed_files = cli_parse_on_off_auto(optarg)) < 0)
				return usage_error(err, "--uring-fixed-files takes on, off or auto, not '%s'",
				                   optarg);
			break;
		case OPT_URING_RECV_POOL:
			if (!parse_uint(optarg, 32768, &u) || u == 0)
				return usage_error(err,
				                   "--uring-recv-pool needs a number of buffers from 1 to "
				                   "32768, not '%s'",
				                   optarg);
			o->opts.uring_recv_pool = (unsigned)u;
			break;
		case OPT_URING_SUBMIT_BATCH:
			if (!parse_uint(optarg, 4096, &u))
				return usage_error(err,
				                   "--uring-submit-batch needs a number of SQEs from 0 to "
				                   "4096, not '%s'",
				                   optarg);
			o->opts.uring_submit_batch = (unsigned)u;
			break;
		case OPT_IO_REPORT:
			if (optarg && strcmp(optarg, "json") != 0)
				return usage_error(err, "--io-report takes no value or =json, not '%s'",
				                   optarg);
			o->io_report = optarg ? 2 : 1;
			break;
		case OPT_TMPFILE:
			if (strcmp(optarg, "auto") == 0)
				o->opts.tmpfile = RF_TMPFILE_AUTO;
			else if (strcmp(optarg, "off") == 0)
				o->opts.tmpfile = RF_TMPFILE_OFF;
			else if (strcmp(optarg, "on") == 0)
				o->opts.tmpfile = RF_TMPFILE_ON;
			else
				return usage_error(err, "--tmpfile takes on, off or auto, not '%s'", optarg);
			break;
		case OPT_PROGRESS:
			if (!optarg || strcmp(optarg, "bar") == 0)
				o->progress = PROGRESS_BAR;
			else if (strcmp(optarg, "line") == 0)
				o->progress = PROGRESS_LINE;
			else if (strcmp(optarg, "none") == 0)
				o->progress = PROGRESS_NONE;
			else
				return usage_error(err, "--progress takes bar, line or none, not '%s'",
				                   optarg);
			break;
		case OPT_NO_PROGRESS:
			o->progress = PROGRESS_NONE;
			break;

		case OPT_USER:
			if (!copy_credentials(&o->user, optarg))
				return EXIT_INTERNAL;
			o->opts.user = o->user;
			break;
		case OPT_NETRC:
			o->netrc = true;
			break;
		case OPT_NETRC_FILE:
			o->opts.netrc_file = optarg;
			break;
		case OPT_LOCATION_TRUSTED:
			o->opts.location_trusted = 1;
			break;
		case 'x':
			free(o->proxy);
			if (!(o->proxy = strdup(optarg)))
				return EXIT_INTERNAL;
			o->proxy_given = true;
			blank_password(strstr(optarg, "://") ? strstr(optarg, "://") + 3 : optarg);
			break;
		case OPT_PROXY_USER:
			if (!copy_credentials(&o->proxy_user, optarg))
				return EXIT_INTERNAL;
			break;
		case OPT_NOPROXY:
			o->noproxy = optarg;
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case 'w':
			if (writeout_check(optarg))
				return usage_error(err, "%s", writeout_check(optarg));
			o->write_out = optarg;
			break;
		case OPT_DISCARD:
			o->discard = true;
			break;
		case OPT_TAR:
			o->tar = optarg;
			break;
		case OPT_WARC_FILE:
			if (!*optarg)
				return usage_error(err, "--warc-file needs a name%s", "");
			o->warc = optarg;
			break;
		case OPT_WARC_COMPRESSION:
			if (strcmp(optarg, "gzip") != 0 && strcmp(optarg, "zstd") != 0 &&
			    strcmp(optarg, "none") != 0)
				return usage_error(
					err, "--warc-compression takes gzip, zstd or none, not '%s'", optarg);
			o->warc_compression = optarg;
			break;
		case OPT_WARC_KEEP_CREDENTIALS:
			o->warc_keep_credentials = true;
			break;
		case OPT_WARC_CDX:
			o->warc_cdx = true;
			break;
		case OPT_WARC_MAX_SIZE:
			if (!parse_size(o, optarg, &o->warc_max_size))
				return usage_error(err, "--warc-max-size takes a size (1G, 500M), not '%s'",
				                   optarg);
			break;
		case OPT_SHARD_SIZE: {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno || *optarg < '0' || *optarg > '9' || *end || n < 1)
				return usage_error(
					err, "--shard-size needs a number of samples (1 or more), not '%s'",
					optarg);
			o->shard_size = n;
			break;
		}
		case OPT_SHARD_BYTES:
			if (!parse_size(o, optarg, &o->shard_bytes))
				return usage_error(err,
				                   "--shard-bytes needs a size such as 500M or 1G, not '%s'",
				                   optarg);
			break;
		case OPT_NO_CLOBBER:
			o->no_clobber = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_SHARD: {
			unsigned k, n;
			char tail;
			if (strcmp(optarg, "auto") == 0) {
				o->shard_auto = true;
			} else if (sscanf(optarg, "auto/%u%c", &n, &tail) == 1 && n >= 1) {
				o->shard_auto = true; /* the index from the scheduler, N fixed */
				o->shard_n = n;
			} else if (sscanf(optarg, "%u/%u%c", &k, &n, &tail) == 2 && n >= 1 && k >= 1 &&
			           k <= n) {
				o->shard_k = k;
				o->shard_n = n;
			} else {
				return usage_error(
					err, "--shard needs K/N with 1 <= K <= N, auto or auto/N, not '%s'",
					optarg);
			}
			break;
		}
		case OPT_SPLIT: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || n < 1 || n > 64)
				return usage_error(err,
				                   "--split needs a number of connections from 1 to 64, "
				                   "not '%s'",
				                   optarg);
			o->split = (unsigned)n;
			break;
		}
		case 'q':
		case 's':
			o->quiet = true;
			break;
		case 'S':
			break; /* errors are always shown: curl's -sS is -s here */
		case 'h':
			cli_options_usage(out);
			return EXIT_OK;
		case 'V':
			fprintf(out, "ringfetch %s\n", rf_version());
			return EXIT_OK;
		case ':':
			if (optopt)
				return usage_error(err, "option -%c needs a value",
				                   (char[]){(char)optopt, 0});
			return usage_error(err, "option %s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error(err, "unknown option -%s", (char[]){(char)optopt, 0});
			return usage_error(err, "option %s takes no value",
			                   strndupa(argv[optind - 1], strcspn(argv[optind - 1], "=")));
		}
	}
	o->urls = argv + optind;
	o->nurls = argc - optind;
	if (o->n_o_urls) { /* -O URL ... first, then the operands */
		for (int i = 0; i < o->nurls; i++)
			o->o_urls[o->n_o_urls + i] = o->urls[i];
		o->urls = o->o_urls;
		o->nurls += o->n_o_urls;
	}
	if (strcmp(o->out_dir, "/dev/null") == 0 && !o->output)
		o->discard = true; /* -P /dev/null: nowhere to keep them */
	if (o->nurls == 0 && !o->input_path)
		return usage_error(err, "no URLs given%s (see -i FILE)", "");
	if (o->output && strcmp(o->output, "/dev/null") == 0 && (o->nurls != 1 || o->input_path)) {
		o->discard = true; /* several URLs to /dev/null: fetch and drop */
		o->output = NULL;
	}
	if (o->output && o->output_big_o && (o->nurls > 1 || o->input_path) && strcmp(o->output, "-") != 0)
		return usage_error(err,
		                   "-O FILE takes one URL; without a value each URL is saved under "
		                   "its own name (ringfetch's default)%s",
		                   "");
	if (o->output && (o->nurls != 1 || o->input_path))
		return usage_error(err, "-o/-O takes exactly one URL and no -i%s", "");
	if (o->discard && o->output)
		return usage_error(err, "--discard and -o/-O cannot be combined%s", "");
	if (o->tar && (o->output || o->discard || o->split || o->range || o->mirror || o->no_clobber ||
	               o->force_dirs || o->content_disposition))
		return usage_error(err,
		                   "--tar writes samples into shards: not with -o, --discard, --split, "
		                   "-r, -N, -nc, --force-directories or -J (yet)%s",
		                   "");
	if (o->warc && (o->tar || o->output || o->discard || o->split || o->range || o->no_clobber ||
	                o->force_dirs || o->content_disposition || o->opts.compressed))
		return usage_error(err,
		                   "--warc-file keeps what the servers sent: not with --tar, -o, --discard, "
		                   "--split, -r, -nc, --force-directories, -J or --compressed (yet)%s",
		                   "");
	if ((o->warc_compression || o->warc_keep_credentials || o->warc_max_size || o->warc_cdx) && !o->warc)
		return usage_error(err,
		                   "--warc-compression, --warc-keep-credentials, --warc-max-size and "
		                   "--warc-cdx go with --warc-file%s",
		                   "");
	if ((o->shard_size || o->shard_bytes) && !o->tar)
		return usage_error(err, "--shard-size and --shard-bytes go with --tar%s", "");
	if (o->output && o->content_disposition)
		return usage_error(err, "-J names files made from URLs; -o/-O names the file itself%s", "");
	if (o->output && o->force_dirs)
		return usage_error(err,
		                   "-o/-O names the file itself; --force-directories, -nH and "
		                   "--cut-dirs lay out names made from URLs%s",
		                   "");
	if (o->output && o->out_dir_given && o->output[0] != '/' && strcmp(o->output, "-") != 0) {
		/* curl's --output-dir: a relative -o FILE is under -P DIR */
		if (asprintf(&o->output_joined, "%s/%s", o->out_dir, o->output) < 0) {
			o->output_joined = NULL;
			return EXIT_INTERNAL;
		}
		o->output = o->output_joined;
	}
	if (o->no_clobber && (o->resume || o->mirror))
		return usage_error(err,
		                   "-nc cannot be combined with -c or -N (they decide what an "
		                   "existing file means)%s",
		                   "");
	if (o->range && (o->nurls != 1 || o->input_path))
		return usage_error(err, "-r takes exactly one URL%s", "");
	if (o->range && (o->resume || o->mirror || o->split > 1))
		return usage_error(err,
		                   "-r cannot be combined with -c, -N or --split (a range is "
		                   "fetched whole each time)%s",
		                   "");
	if (o->checksum && (o->nurls != 1 || o->input_path))
		return usage_error(err, "--checksum takes exactly one URL (use checksum= in a list)%s", "");
	if (o->resume && o->output && strcmp(o->output, "-") == 0)
		return usage_error(err, "-c cannot resume stdout%s", "");
	if (o->output && strcmp(o->output, "-") == 0 && o->json && strcmp(o->json, "-") == 0)
		return usage_error(err, "-o - and --json - both want stdout: give --json a file%s", "");
	if (o->mirror && o->resume && !o->warc) /* with --warc-file, -N means revisit records */
		return usage_error(err, "-N and -c cannot be combined (-N re-fetches a changed file whole)%s",
		                   "");
	return CLI_RUN;
}
