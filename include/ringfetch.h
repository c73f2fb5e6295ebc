/*
 * ringfetch.h - the public API of libringfetch.
 *
 * ringfetch downloads many HTTP/1.1 URLs concurrently through one io_uring
 * ring driven by one thread.  A client owns the ring, a bounded set of
 * in-flight slots (the concurrency semaphore), a keep-alive connection pool
 * per origin and a name-resolution cache.  Requests come either from
 * rf_submit() or, lazily, from a source callback handed to rf_run(); each
 * finished request is reported once through the client's done callback.
 *
 * Conventions: functions return 0 or a negative error code; rf_strerror()
 * turns any code (negative errno or RF_E*) into a message.  All types are
 * opaque or plain C; no liburing or OpenSSL type appears here.
 *
 * Versioning: same RF_VERSION_MAJOR means source and ABI compatible.  The
 * structs a caller allocates (rf_client_opts, rf_request) end with reserved
 * fields that must be zero (rf_client_opts_init and a designated
 * initializer do it): later minor versions add fields there without
 * changing their size.  The structs the library hands out (rf_result,
 * rf_progress) may grow at their end; read them only through the pointer.
 *
 * Threads: a client belongs to one thread.  rf_submit, rf_run, rf_stop and
 * rf_client_free are called from that thread only (rf_stop and rf_submit
 * also from inside its callbacks); every callback runs on it, inside
 * rf_run.  Different clients on different threads share nothing.
 */
#ifndef RINGFETCH_H
#define RINGFETCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RF_VERSION_MAJOR 0
#define RF_VERSION_MINOR 1
#define RF_VERSION_PATCH 0
#define RF_VERSION_STRING "0.1.0"

#if defined(RF_BUILDING_LIBRARY)
#define RF_API __attribute__((visibility("default")))
#else
#define RF_API
#endif

/* A client: one ring, one thread (the caller of rf_run). */
typedef struct rf_client rf_client;

/*
 * Error codes of ringfetch's own.  System errors are negative errno values
 * (-ECONNREFUSED, -ENOSPC, ...); these live below -1000 so they never clash.
 */
enum rf_error {
	RF_EURL = -1001,                /* malformed URL */
	RF_ESCHEME = -1002,             /* scheme not supported */
	RF_EDNS = -1003,                /* host name could not be resolved */
	RF_ECONNECT_TIMEOUT = -1004,    /* --connect-timeout expired */
	RF_EIDLE_TIMEOUT = -1005,       /* no byte received for --timeout seconds */
	RF_EMAX_TIME = -1006,           /* --max-time expired */
	RF_EHTTP_STATUS = -1007,        /* non-2xx final status (see rf_result) */
	RF_EPROTO = -1008,              /* malformed HTTP response */
	RF_ETRUNCATED = -1009,          /* connection closed before the body ended */
	RF_EHEADERS_TOO_BIG = -1010,    /* response header section too large */
	RF_ETOO_MANY_HEADERS = -1011,   /* response has too many header fields */
	RF_EREDIRECT_LOOP = -1012,      /* redirect chain revisits a URL */
	RF_ETOO_MANY_REDIRECTS = -1013, /* more hops than max_redirs */
	RF_EREDIRECT_LOCATION = -1014,  /* redirect without a usable Location */
	RF_ENOANSWER = -1015,           /* connection closed before any response */
	RF_EOUTPUT_NAME = -1016,        /* output name not usable (e.g. not a regular file) */
	RF_ECANCELED = -1017,           /* request canceled by rf_stop() */
	RF_EHEADER = -1018,             /* invalid custom header */
	RF_EBODY_CALLBACK = -1019,      /* the body callback asked to stop */
	RF_EINVAL = -1020,              /* invalid argument to the API */
	RF_ETLS = -1021,                /* TLS handshake or protocol failure */
	RF_ETLS_VERIFY = -1022,         /* server certificate not trusted (see detail) */
	RF_ETLS_CONFIG = -1023,         /* bad CA, certificate or key configuration */
	RF_ECHECKSUM = -1024,           /* body does not match the expected checksum */
	RF_ERANGE = -1025,              /* 206 Content-Range does not match the request */
	RF_ECODING = -1026,             /* a transfer coding other than chunked */
	RF_EKERNEL = -1027,             /* io_uring unavailable or too old (see detail) */
	RF_EPROXY = -1028,              /* the proxy refused or broke the tunnel (see detail) */
	RF_EPROXY_AUTH = -1029,         /* the proxy wants (other) credentials: 407 */
	RF_ETOO_BIG = -1030,            /* the body is larger than max_filesize */
	RF_EDECODE = -1031,             /* a compressed body does not decode (see detail) */
	RF_EHTTP2 = -1032,              /* HTTP/2: the server reset the stream or broke
	                                   the protocol (see detail) */
};

/* A message for any code this library returns; never NULL. */
RF_API const char *rf_strerror(int err);

/* "0.1.0": the version of the library actually linked. */
RF_API const char *rf_version(void);

/* Where a response body goes. */
enum rf_sink_kind {
	RF_SINK_FILE = 0, /* into path + ".part", renamed to path when complete */
	RF_SINK_DISCARD,  /* counted and dropped (benchmarks, checks) */
	RF_SINK_CALLBACK, /* handed to on_body on the loop thread */
	RF_SINK_FD,       /* appended to an open descriptor (stdout, a pipe) */
	RF_SINK_ARCHIVE,  /* a sample of the client's tar shards (rf_client_tar):
	                     path is its key; KEY.EXT and KEY.json */
	RF_SINK_WARC,     /* request and response records of the client's WARC
	                     file (rf_client_warc) */
};

/* Request flags. */
enum {
	/* SINK_FILE: replace an existing file at path (curl -o).  Without it
	 * an existing name is never overwritten: the body is saved as path.1,
	 * path.2, ... instead, and rf_result.path tells which. */
	RF_REQ_OVERWRITE = 1u << 0,
	/* SINK_FILE: continue path.part (or a shorter path left by another
	 * tool) with Range / If-Range; a complete path is left alone and
	 * reported as skipped.  Implies that path itself is the target. */
	RF_REQ_RESUME = 1u << 1,
	/* SINK_FILE, mirroring (wget -N, curl -z -R): when path exists, ask
	 * whether the resource changed (If-None-Match with the ETag stored on
	 * the file, If-Modified-Since its mtime); 304 leaves it alone and is
	 * reported as skipped; a changed resource replaces it atomically.
	 * The file gets the Last-Modified time as its mtime and its ETag
	 * (xattr user.ringfetch.etag) for the next run.  Not with RESUME. */
	RF_REQ_MIRROR = 1u << 2,
};

/* Body callback: return 0 to continue, anything else aborts the transfer
 * with RF_EBODY_CALLBACK.  data is valid only during the call. */
typedef int (*rf_body_fn)(void *user, const void *data, size_t len);

/* One URL to fetch.  rf_submit() and sources copy every string, so the
 * caller's memory need not outlive the call (a source may reuse one buffer
 * for every request it hands out).  RF_SINK_FD: the descriptor stays the
 * caller's; ringfetch writes to it and never closes it. */
typedef struct rf_request {
	const char *url;
	enum rf_sink_kind sink;
	const char *path;     /* RF_SINK_FILE: final file name */
	int fd;               /* RF_SINK_FD */
	rf_body_fn on_body;   /* RF_SINK_CALLBACK */
	void *user;           /* handed back in rf_result and to on_body */
	unsigned flags;       /* RF_REQ_* */
	const char *checksum; /* "sha-256=HEX" (sha-512, sha-1, md5): verified
	                         while streaming; a mismatch is RF_ECHECKSUM and
	                         the file never gets its final name */
	unsigned split;       /* RF_SINK_FILE: fetch a large file over up to this
	                         many connections with Range requests into the
	                         same .part (README "Segmented downloads");
	                         0 or 1: one connection */
	unsigned reserved_u;  /* zero */
	const char *range;    /* "A-B", "A-" or "-N" (bytes, as curl's -r): ask
	                         for that range only and save it as the whole
	                         body (a 206 must start where asked; a 200 is
	                         the server ignoring it: saved whole, with a
	                         note).  Not with RF_REQ_RESUME, RF_REQ_MIRROR
	                         or split; retries fetch it from its start; the
	                         file gets no origin record (it is not the
	                         URL's whole file).  NULL: the whole resource */
	void *reserved[2];    /* zero: room for later fields */
} rf_request;

/* What happened to one request.  Valid only during the done callback. */
typedef struct rf_result {
	const char *url;       /* as submitted, with any userinfo replaced by
	                          three stars (see rf_url_redact) */
	const char *final_url; /* after redirects, redacted the same way */
	const char *path;      /* SINK_FILE: the name the body was saved under,
	                          NULL if nothing was saved */
	void *user;
	int error;                    /* 0 on success, else negative code */
	int local_error;              /* 1 if error came from local output (disk, name) */
	int status;                   /* final HTTP status, 0 if none was received */
	const char *reason;           /* final status reason phrase, "" if none */
	const char *detail;           /* extra context for error ("127.0.0.1:80"), or "" */
	uint64_t bytes;               /* body bytes delivered to the sink */
	unsigned redirects;           /* redirects followed */
	unsigned attempts;            /* connections tried, stale-connection retry included */
	int reused;                   /* 1 if the final attempt used a kept-alive connection */
	int tls_handshake;            /* 1 if the final attempt made a TLS handshake */
	int tls_resumed;              /* ... and it resumed a cached session */
	unsigned retries;             /* attempts repeated after retryable failures */
	uint64_t resumed_from;        /* bytes already on disk the final attempt kept */
	int skipped;                  /* RF_REQ_RESUME: the file was already complete */
	const char *digest_algo;      /* "sha-256"... when a digest was computed, else "" */
	const char *digest;           /* its hex value over the whole file, else "" */
	const char *note;             /* something the user should know, or "" */
	const char *content_encoding; /* the response's Content-Encoding ("gzip"),
	                                 "" if none: the body was saved as sent */
	/* seconds, from the first dispatch of the request */
	double t_dns;                    /* name resolved (0 when cached) */
	double t_connect;                /* TCP connected (or connection taken from the pool) */
	double t_first_byte;             /* first response byte */
	double t_total;                  /* result known, file renamed */
	double t_tls;                    /* TLS handshake done (0: none on this attempt) */
	const char *content_disposition; /* the response's Content-Disposition as
	                                    sent, "" if none (rf_disposition_filename) */
	int decoded;                     /* 1: the body was decoded from content_encoding
	                                    (rf_client_opts.compressed) before it was saved */
	int http_version;                /* the final attempt's HTTP: 11 (HTTP/1.1) or 20
	                                    (HTTP/2); 0 when no request was sent */
	unsigned thread;                 /* the thread that carried it, 0 to
	                                    rf_client_opts.threads - 1 */
} rf_result;

typedef void (*rf_done_fn)(void *arg, const rf_result *result);

/* A retryable failure that will be retried (rf_client_opts.on_retry). */
typedef struct rf_retry {
	const char *url;    /* redacted, as in rf_result */
	int error;          /* what failed */
	const char *detail; /* its context, or "" */
	int status;         /* the HTTP status when error is RF_EHTTP_STATUS */
	unsigned attempt;   /* the attempt that comes next (2 = first retry) */
	unsigned attempts;  /* attempts at most (retries + 1) */
	double delay;       /* seconds until it starts */
	void *user;
} rf_retry;

typedef void (*rf_retry_fn)(void *arg, const rf_retry *retry);

/* What -v shows (rf_client_opts.on_debug). */
enum rf_debug_kind {
	RF_DEBUG_INFO,     /* one line: connected, reused, TLS, proxy tunnel */
	RF_DEBUG_REQUEST,  /* the request's header section as sent, values of
	                      Authorization, Cookie and Proxy-Authorization
	                      replaced by "***" */
	RF_DEBUG_RESPONSE, /* the status lines and header fields received
	                      (interim responses too) */
};
typedef struct rf_debug {
	enum rf_debug_kind kind;
	const char *url;  /* redacted, as in rf_result */
	const char *text; /* lines separated by "\n", no trailing blank line */
	void *user;
} rf_debug;

typedef void (*rf_debug_fn)(void *arg, const rf_debug *debug);

/* A snapshot of a running client, for progress displays. */
typedef struct rf_progress {
	uint64_t ok, failed;     /* requests reported so far */
	uint64_t bytes;          /* body bytes delivered, finished and in flight */
	unsigned active;         /* requests in slots */
	unsigned waiting;        /* queued, parked for the per-host cap, or
	                            waiting for a retry (not counting unread input) */
	double elapsed;          /* seconds since rf_run started */
	uint64_t bytes_expected; /* bytes of finished requests plus the known
	                            lengths (Content-Length, resumed prefix
	                            excluded) of those in flight */
	unsigned unknown_length; /* requests in flight whose length is not
	                            known (yet) */
	uint64_t taken;          /* requests taken so far (submitted, and pulled
	                            from the source) */
	int source_done;         /* the source said there are no more */
} rf_progress;

typedef void (*rf_progress_fn)(void *arg, const rf_progress *p);

/* Lazy input: fill *req and return 1, or return 0 when there is no more.
 * Read ahead of the free slots by a bounded window (the resolver's
 * max_inflight, 256 by default) so that names are looked up before a slot
 * needs them; never further.  Every entry read is reported once: those
 * read ahead and not begun when rf_stop is called as RF_ECANCELED.  The
 * request's strings need only live until the call returns. */
typedef int (*rf_source_fn)(void *arg, rf_request *req);

/* Which HTTP a client speaks (rf_client_opts.http_version). */
enum rf_http_version {
	RF_HTTP_AUTO = 0, /* https: offer h2 and http/1.1 by ALPN, the server
	                     picks; http://: HTTP/1.1 */
	RF_HTTP_1_1,      /* HTTP/1.1 only (ALPN offers http/1.1) */
	RF_HTTP_2,        /* https: HTTP/2 only (a server that does not agree
	                     to h2 is an error); http://: HTTP/1.1 */
	RF_HTTP_2_PRIOR,  /* as RF_HTTP_2, and http:// speaks HTTP/2 at once
	                     (h2c with prior knowledge; not through a proxy) */
};

typedef struct rf_client_opts {
	unsigned max_inflight;      /* slots (-j); default 16 */
	unsigned max_per_host;      /* open connections per origin; 0 = no cap */
	double connect_timeout;     /* seconds; default 10; 0 = none */
	double idle_timeout;        /* seconds without a byte; default 30; 0 = none */
	double max_time;            /* seconds per URL, all attempts; 0 = none */
	int max_redirs;             /* default 10; 0 = do not follow */
	const char *user_agent;     /* default "ringfetch/VERSION" */
	const char *const *headers; /* extra "Name: value" lines; "Name:" removes
	                               a default header */
	size_t n_headers;
	size_t recv_buffer; /* bytes per receive buffer; default 64 KiB */
	size_t big_buffer;  /* large bodies get receive buffers this big
	                       (default 1 MiB; 0 = never) ... */
	size_t big_budget;  /* ... while all of them together stay under
	                       this (default 8 MiB) */
	int no_splice;      /* 1: never splice plain-HTTP bodies into files
	                       (by default large ones go socket -> pipe ->
	                       file without passing through user memory) */
	/* HTTPS: verification is on unless tls_insecure */
	const char *tls_ca_file;   /* CA bundle instead of the system store */
	const char *tls_ca_path;   /* CA directory (c_rehash layout) */
	const char *tls_cert_file; /* client certificate chain (PEM) */
	const char *tls_key_file;  /* its private key (PEM) */
	int tls_insecure;          /* 1: do not verify the server (unsafe) */
	int tls_min_version;       /* 12 (default) or 13 */
	char *error_detail;        /* if not NULL, rf_client_new writes why it failed */
	size_t error_detail_len;
	/* Data safety */
	const char *digest;    /* compute this digest ("sha-256") for every body */
	unsigned retries;      /* retries after retryable failures; default 2 */
	double retry_delay;    /* first backoff in seconds (doubling, jittered);
	                          default 1; Retry-After wins when present */
	int retry_on_checksum; /* 1: a checksum mismatch is retried too */
	int fsync;             /* 1: fsync data before the rename, and the
	                          directory after it */
	/* A descriptor the loop watches (e.g. a signalfd): each time it is
	 * readable one record (<= 128 bytes) is read and on_signal called on
	 * the loop thread.  -1 (the default): none.  On the epoll path it is
	 * made nonblocking (O_NONBLOCK is on the open file description, so
	 * other descriptors of it see that too). */
	int signal_fd;
	void (*on_signal)(void *arg);
	void *signal_arg;
	/* Called on the loop thread every progress_interval seconds while
	 * rf_run runs (and once at its end); 0 or NULL: never. */
	double progress_interval;
	rf_progress_fn on_progress;
	void *progress_arg;
	rf_done_fn on_done;
	void *done_arg;
	/* Credentials (see README "Security").  Authorization, Cookie and
	 * Proxy-Authorization, whatever their source, go only to the origin of
	 * the URL they came with; a redirect elsewhere drops them for the rest
	 * of that chain. */
	const char *user;            /* "USER[:PASS]": Basic auth for every URL
	                                without userinfo of its own; NULL: none */
	const char *netrc_file;      /* read at rf_client_new: the entry for a URL's
	                                host is used when neither userinfo nor user
	                                is given; NULL: none */
	int location_trusted;        /* 1: credentials follow redirects to other
	                                origins too (never from https to http) */
	int file_io;                 /* how output-file operations reach the kernel:
	                                RF_FILE_IO_AUTO (0, by the filesystem of the
	                                first output file), _RING or _INLINE */
	int tmpfile;                 /* small whole bodies (<= 256 KiB, nothing to
	                                resume) to an unnamed O_TMPFILE file linked
	                                to its name when complete, instead of
	                                NAME.part + rename: RF_TMPFILE_AUTO (0,
	                                where measured faster: ext4, xfs,
	                                overlay), _OFF, _ON */
	int io;                      /* the kernel path: RF_IO_AUTO (0: io_uring,
	                                or epoll where the ring cannot be set up:
	                                seccomp, kernel.io_uring_disabled, gVisor),
	                                RF_IO_URING, RF_IO_EPOLL */
	int uring_setup;             /* RF_URING_SETUP_AUTO (0) or one mode exactly */
	unsigned uring_submit_batch; /* submit as soon as this many SQEs are
	                                queued; 0 (default): all with the next wait */
	int uring_recv;              /* how plain-HTTP responses are received:
	                                RF_URING_RECV_AUTO (0), _OWN, _POOL,
	                                _MULTISHOT (see enum rf_uring_recv) */
	unsigned uring_recv_pool;    /* buffers in the receive pool, rounded up to
	                                a power of two (at most 32768); 0: two per
	                                transfer in flight, within 16 MiB */
	int uring_fixed_files;       /* sockets and ring-opened output files in the
	                                ring's registered file table, their ops
	                                naming the slot:
	                                RF_URING_FIXED_AUTO (0, the default
	                                measured), _ON, _OFF; not on epoll */
	int uring_write_fixed;       /* the receive pool's memory registered with
	                                the ring, so file writes from it on the
	                                ring are WRITE_FIXED: RF_URING_FIXED_AUTO
	                                (0, the default measured), _ON, _OFF */
	int uring_recv_inc;          /* the pool's buffers consumed incrementally
	                                (io_uring, Linux 6.12): a receive takes
	                                only the bytes it got, the next continues
	                                in the same buffer: RF_URING_FIXED_AUTO
	                                (0, the default measured), _ON, _OFF */
	double limit_rate;           /* bytes/s received in total (all transfers);
	                                0: no limit.  A receive is armed only when
	                                the token bucket allows (the loop sleeps in
	                                its ring wait meanwhile); splice and
	                                multishot receives are off under a limit */
	double limit_rate_per_host;  /* the same per origin (scheme, host, port) */
	/* Proxies (README "Proxies").  The library does not read the
	 * environment: the CLI turns http_proxy, https_proxy, all_proxy and
	 * no_proxy into these.  A proxy is http://[USER:PASS@]HOST[:PORT]
	 * (no scheme: http://; no port: 1080); its userinfo becomes
	 * Proxy-Authorization: Basic, sent to the proxy only.  http:// URLs
	 * go to it as absolute-form requests, https:// URLs through a CONNECT
	 * tunnel, TLS inside checked against the origin. */
	const char *proxy_http;  /* for http:// URLs; NULL: direct */
	const char *proxy_https; /* for https:// URLs; NULL: direct */
	const char *no_proxy;    /* hosts that go direct: "*", domains (and
	                            every name under them), IPs, CIDR
	                            networks, separated by commas */
	rf_retry_fn on_retry;    /* called (loop thread) when a failed attempt
	                            will be retried; NULL: never */
	void *retry_arg;
	rf_debug_fn on_debug; /* called (loop thread) with each request
	                         sent, response header section received and
	                         connection event; NULL: never (and no
	                         header text is kept) */
	void *debug_arg;
	uint64_t max_filesize; /* refuse a body (whole file, decoded) larger
	                          than this many bytes: at its headers when
	                          the size is announced, else as soon as it
	                          is crossed (RF_ETOO_BIG); 0: no limit */
	int compressed;        /* 1: whole-body requests offer gzip, deflate,
	                          br and zstd (Accept-Encoding) and a 200 in
	                          one of them is decoded as it streams: what
	                          is saved, digested and counted is the
	                          decoded body; a corrupt or cut stream is
	                          RF_EDECODE, a coding not decoded here too.
	                          Resumed, ranged and split requests still
	                          ask for identity, and a decoded body's
	                          .part is never kept for resuming.  0: every
	                          request asks for identity; a body is
	                          saved as sent */
	int http_version;      /* enum rf_http_version: RF_HTTP_AUTO (0) */
	/* Threads (README "Threads"): 0 or 1: one ring, on the thread that
	 * calls rf_run.  N > 1 (at most 256): N rings, each on a thread of its
	 * own (the caller's is the first), sharing nothing on the hot path;
	 * max_inflight is shared out among them.  One run still: max_per_host,
	 * the rate limits and the names of .part files hold across all of
	 * them, a name is looked up once, entries are read by whichever
	 * thread has room.  The source and every callback are called one at a
	 * time, under one lock, from any of the threads (on_body: on the
	 * thread carrying that request, not under the lock); rf_stop may be
	 * called from any of them.  rf_submit deals requests out before
	 * rf_run.  rf_client_tar and rf_client_warc make one set of files
	 * every thread writes into. */
	unsigned threads;
	const char *cpus; /* "0-3,8": thread i runs on the i-th CPU listed
	                     (wrapping), its ring's io-wq workers too
	                     (IORING_REGISTER_IOWQ_AFF); NULL: anywhere */
} rf_client_opts;

/* rf_client_opts.file_io.  RING: every file op is an io_uring op.  INLINE:
 * opens, renames, links, unlinks, closes, fallocates and the writes of a
 * file's first 256 KiB are plain syscalls on the loop thread (the rest of
 * a large body and fsync stay on the ring); on ext4 and xfs those ops
 * would each be handed to an io-wq worker.
 * AUTO picks by the filesystem the first output file is on (README). */
enum rf_file_io { RF_FILE_IO_AUTO = 0, RF_FILE_IO_RING = 1, RF_FILE_IO_INLINE = 2 };
/* rf_client_opts.io (and rf_bench_opts.io) */
enum rf_io { RF_IO_AUTO = 0, RF_IO_URING = 1, RF_IO_EPOLL = 2 };
/* rf_client_opts.uring_recv.  OWN: every transfer in flight holds its own
 * receive buffers (2 x uring_recv_buffer).  POOL: one pool of buffers shared
 * by the client's connections (an io_uring provided buffer ring; on epoll a
 * pool taken from when a socket is readable), a buffer taken only when
 * bytes arrive and given back when they are written, so receive memory
 * follows the data in flight, not the connections.  MULTISHOT: POOL with
 * one multishot receive per response (io_uring, Linux 6.0).  AUTO: the
 * default measured fastest (README).  HTTPS and large bodies keep their
 * own buffers either way. */
enum rf_uring_recv { RF_URING_RECV_AUTO = 0, RF_URING_RECV_OWN, RF_URING_RECV_POOL, RF_URING_RECV_MULTISHOT };
/* rf_client_opts.uring_fixed_files (and rf_bench_opts') */
enum rf_uring_fixed { RF_URING_FIXED_AUTO = 0, RF_URING_FIXED_ON, RF_URING_FIXED_OFF };
/* rf_client_opts.uring_setup (and rf_bench_opts'): how the ring is set up.
 * AUTO: DEFER_TASKRUN (+ SINGLE_ISSUER), else COOP_TASKRUN, else plain, by
 * what the kernel takes.  Any other: that mode or the client fails with
 * RF_EKERNEL (no silent fallback).  SQPOLL: a kernel thread polls the SQ. */
enum rf_uring_setup {
	RF_URING_SETUP_AUTO = 0,
	RF_URING_SETUP_DEFER_TASKRUN,
	RF_URING_SETUP_COOP_TASKRUN,
	RF_URING_SETUP_PLAIN,
	RF_URING_SETUP_SQPOLL
};
/* rf_client_opts.tmpfile */
enum rf_tmpfile { RF_TMPFILE_AUTO = 0, RF_TMPFILE_OFF = 1, RF_TMPFILE_ON = 2 };

/* Fill opts with the defaults above. */
RF_API void rf_client_opts_init(rf_client_opts *opts);

/* Create a client: sets up the ring (falling back to older ring flags on
 * older kernels).  Returns 0 and *out, or a negative code; RF_EHEADER when
 * a custom header is malformed. */
RF_API int rf_client_new(const rf_client_opts *opts, rf_client **out) __attribute__((nonnull(2)));

/* Queue one request; it runs in the next rf_run().  Returns 0, RF_EURL or
 * RF_ESCHEME for a URL that cannot be fetched (nothing is queued then),
 * RF_EINVAL for a bad sink. */
RF_API int rf_submit(rf_client *c, const rf_request *req);

/* Run until every queued request and everything source yields has been
 * reported through on_done.  source may be NULL.  Returns 0, or a negative
 * code when the engine itself failed (the ring, memory). */
RF_API int rf_run(rf_client *c, rf_source_fn source, void *source_arg);

/* Stop taking new requests; in-flight ones are canceled (RF_ECANCELED) and
 * rf_run() returns once they are reported.  Safe from a done callback. */
RF_API void rf_stop(rf_client *c);

/* The output-file path the client took, and why: "ring", "inline",
 * "inline (auto: ext4)", ...; loop thread or after rf_run. */
RF_API const char *rf_client_file_io(const rf_client *c);

/* The kernel path the client runs on: "io_uring (MODE)" or "epoll"; and
 * why it is not io_uring when RF_IO_AUTO fell back ("" otherwise). */
RF_API const char *rf_client_io(const rf_client *c);
RF_API const char *rf_client_io_note(const rf_client *c);

/* What the client's loop asked of the kernel (--io-report): the syscalls
 * it made itself, by kind (under io_uring the socket and file ops run
 * inside io_uring_enter and are not syscalls of their own; syscalls of the
 * resolver threads, of OpenSSL and of setup are not counted), and the
 * ring's SQEs submitted and CQEs reaped; and how responses were received. */
typedef struct rf_io_stats {
	uint64_t io_uring_enter, epoll_wait, epoll_ctl, socket, connect, send, recv, read, write, open, close,
		rename, link, unlink, fallocate, fsync, other;
	uint64_t sqes, cqes;
	uint64_t fixed_files;    /* sockets and ring-opened output files put in
	                            the registered file table */
	uint64_t fixed_writes;   /* file writes from registered buffers
	                            (IORING_OP_WRITE_FIXED) */
	uint64_t send_zc;        /* zero-copy sends (IORING_OP_SEND_ZC) */
	uint64_t send_zc_copied; /* ... of which the kernel copied the bytes
	                            after all (loopback always does) */
	uint64_t pool_waits;     /* receives that found the receive pool empty
	                            and waited for a buffer to come back */
	char variants[256];      /* the kernel-path variants in effect: ring
	                            setup, submit batch, registered files and
	                            buffers, splice, file I/O, zero-copy sends */
	char recv_mode[64];      /* how plain responses were received: "own
	                            buffers", "pool N x SIZE", "multishot pool
	                            N x SIZE" (rf_client_opts.uring_recv) */
} rf_io_stats;
RF_API void rf_client_io_stats(const rf_client *c, rf_io_stats *out);

/* Free a client that is not running. */
RF_API void rf_client_free(rf_client *c);

/*
 * Cookies (README "Cookies"), off unless asked for: rf_client_cookies
 * turns the client's store on and, with a path, reads a Netscape cookie
 * file (curl's and wget's format) into it; 0, -errno, or RF_EINVAL with
 * *bad_line naming the line that is not a cookie.  From then on every
 * response's Set-Cookie is stored by RFC 6265 (a Domain that does not
 * cover the host or is a public suffix, Secure from http:// and the
 * __Host-/__Secure- prefixes' rules refuse a cookie), redirects included,
 * and each request carries the cookies of its own URL only.
 * rf_client_cookies_save writes the store to a cookie file (mode 0600,
 * replaced whole): 0 or -errno; RF_EINVAL when the store is off.  Call
 * them outside rf_run.
 */
RF_API int rf_client_cookies(rf_client *c, const char *path, unsigned *bad_line);
RF_API int rf_client_cookies_save(rf_client *c, const char *path);

/*
 * Names (README "Names and DNS").  By default a client resolves with
 * c-ares on its own loop (every query an op of the ring or epoll set, up to
 * max_inflight names at once, names read ahead of need), honouring
 * /etc/hosts first, then /etc/resolv.conf; answers are cached for their
 * TTL.  rf_client_resolver changes that before the first rf_submit or
 * rf_run: 0, or RF_EINVAL with why filled in (a malformed pin or server
 * list, or a client that has already looked names up).
 */
enum rf_resolver_kind {
	RF_RESOLVER_RING = 0,   /* c-ares driven by the client's loop */
	RF_RESOLVER_SYSTEM = 1, /* getaddrinfo() on two threads (nsswitch: mDNS,
	                           LDAP, systemd-resolved's NSS) */
};
typedef struct rf_resolver_opts {
	int kind;                /* enum rf_resolver_kind */
	int family;              /* 0: IPv6 and IPv4; 4: IPv4 only; 6: IPv6 only */
	unsigned max_inflight;   /* names looked up at once (and read ahead); 0: 256 */
	unsigned cache_max;      /* names kept; 0: 32768 */
	const char *servers;     /* "ADDR[:PORT][,...]" instead of resolv.conf's */
	const char *const *pins; /* "HOST:PORT:ADDR[,ADDR...]" (curl's --resolve):
	                            HOST on PORT dials ADDR, no lookup */
	size_t n_pins;
	const char *hosts_file; /* NULL: /etc/hosts */
	void *reserved[4];
} rf_resolver_opts;
RF_API void rf_resolver_opts_init(rf_resolver_opts *o);
RF_API int rf_client_resolver(rf_client *c, const rf_resolver_opts *o, char *why, size_t why_len);

/*
 * Tar shards (README "Archives").  After rf_client_tar, requests with sink
 * RF_SINK_ARCHIVE become samples of tar shards named by pattern ("{shard}"
 * or "{shard:05}" is the shard's number): KEY.EXT (the body; KEY is the
 * request's path, EXT from the URL or the Content-Type) and KEY.json (URL,
 * final URL, status, Content-Type, ETag, Last-Modified, size, digest,
 * seconds; for a URL that failed, its error alone).  A shard is written
 * as NAME.part and renamed when it is complete: after shard_samples
 * samples or once it holds shard_bytes bytes (0: no limit), the last one
 * when rf_run ends.  A failed attempt leaves no partial body (its region
 * becomes a pax comment readers skip).  A body of unknown length (chunked,
 * to the close, decoded) is staged in an unnamed file beside the shards,
 * then copied into its place.  0, or RF_EINVAL with why.
 */
typedef struct rf_tar_opts {
	const char *pattern;
	uint64_t shard_samples, shard_bytes;
	int resume; /* 1 (-c): the shards on disk stay; a cut one (NAME.part)
	               goes on from its last whole sample; a request whose URL
	               a shard holds a successful sample of is reported
	               skipped, not fetched; new shards take the next numbers */
	void *reserved[2];
} rf_tar_opts;
RF_API int rf_client_tar(rf_client *c, const rf_tar_opts *o, char *why, size_t why_len);

/*
 * A WARC file (README "Archives"): after rf_client_warc, requests with sink
 * RF_SINK_WARC are kept as a request record (as sent; Authorization,
 * Proxy-Authorization and Cookie values as *** unless keep_credentials) and
 * a response record (as received: status line, header fields, body with its
 * transfer coding), WARC 1.1, each record its own gzip member (compression
 * "gzip", the default), its own zstd frames ("zstd", the IIPC's
 * warc-zstd: name the file .warc.zst) or plain ("none"), after a warcinfo
 * record naming the
 * software and the command (one at the start of every file).  Every
 * response is recorded whole (redirects and error statuses too); one that
 * failed mid-way is not.  A file is its name + ".part" until it ends: at
 * max_size (then the next is opened) or when rf_run ends well.
 * 0, or RF_EINVAL with why.
 */
typedef struct rf_warc_opts {
	const char *path;        /* the file, e.g. "crawl.warc.gz" */
	const char *compression; /* "gzip" (NULL too), "zstd" or "none" */
	int keep_credentials;
	const char *command; /* for the warcinfo record (credentials removed
	                        by the caller), or NULL */
	uint64_t max_size;   /* > 0: files rotate once they hold this many
	                        bytes, named path with -00000, -00001 ... before
	                        its ".warc.gz" or ".warc" (wget's names) */
	int resume;          /* 1 (-c): a cut file (NAME.part) is truncated to
	                        its last whole record and goes on; a request
	                        whose URL has a final response recorded is
	                        reported skipped; new files take the next
	                        numbers (NAME-00001.warc.gz after NAME.warc.gz) */
	int cdx;             /* 1: each file that ends gets its CDXJ index (pywb's,
	                        sorted) beside it: NAME.cdxj for NAME.warc.gz */
	int dedup;           /* 1 (-N): a 2xx response whose payload was recorded
	                        before (this run, or in the files -c read) is a
	                        revisit record (identical-payload-digest profile:
	                        the header section only, referring to the first) */
	void *reserved[2];
} rf_warc_opts;
RF_API int rf_client_warc(rf_client *c, const rf_warc_opts *o, char *why, size_t why_len);

typedef struct rf_dns_stats {
	uint64_t lookups;       /* names asked of the resolver */
	uint64_t hits;          /* names a transfer found known (cache, hosts
	                           file, pins, literals) */
	uint64_t joined;        /* transfers that joined a lookup in flight */
	uint64_t failures;      /* lookups that ended without an address */
	uint64_t expired;       /* names asked again after their TTL */
	uint64_t evicted;       /* names dropped from the full cache */
	unsigned entries;       /* names in the cache now */
	unsigned peak_inflight; /* most names looked up at once */
	const char *resolver;   /* "c-ares" or "getaddrinfo" */
	void *reserved[2];
} rf_dns_stats;
RF_API void rf_client_dns_stats(const rf_client *c, rf_dns_stats *out);

/* Check that url can be fetched (http or https, well formed).  Returns 0,
 * or RF_EURL / RF_ESCHEME and, if why is not NULL, what was wrong. */
RF_API int rf_url_check(const char *url, const char **why);

/* Copy url into out (cap bytes, truncated) with any userinfo replaced by
 * three stars, for messages and logs (user "alice" and password "pw" in
 * front of "@h/x" leave only the stars and "@h/x").  Works on malformed URLs
 * too.  Returns out. */
RF_API char *rf_url_redact(const char *url, char *out, size_t cap);

/* The local file name for url: the last segment of its path,
 * percent-decoded and made safe (never empty, ".", "..", never containing
 * '/' or control characters, at most RF_NAME_MAX bytes; "index.html" when
 * the segment is empty).  Returns 0, RF_EURL/RF_ESCHEME, or RF_EINVAL when
 * cap is too small. */
#define RF_NAME_MAX 200

/*
 * Whose file is this?  Every file ringfetch creates carries the URL it was
 * fetched for (without userinfo) in the extended attribute
 * user.xdg.origin.url, as wget2 and curl --xattr write it.  rf_file_owner
 * says what path is to url: RF_OWNER_NONE (no such file), _SELF (its
 * record names url), _OTHER (another URL's), _UNRECORDED (no record: a
 * file of the user's or of another program), _UNKNOWN (the filesystem
 * keeps no user xattrs, or path cannot be examined), _NOT_FILE (a
 * directory, link, device...).  Re-runs (RF_REQ_RESUME, RF_REQ_MIRROR)
 * take a file as a URL's own only when it is _SELF.
 */
enum rf_owner {
	RF_OWNER_NONE = 0,
	RF_OWNER_SELF,
	RF_OWNER_OTHER,
	RF_OWNER_UNRECORDED,
	RF_OWNER_UNKNOWN,
	RF_OWNER_NOT_FILE
};
#define RF_ORIGIN_MAX 8192 /* longest record, NUL included */
RF_API int rf_file_owner(const char *path, const char *url);

/* Check a checksum spec "ALGO=HEX" (sha-256, sha-512, sha-1, md5): 0, or
 * RF_EINVAL and what is wrong. */
RF_API int rf_checksum_check(const char *spec, const char **why);

/* Is this digest algorithm name known ("sha-256", "sha512", "md5")? */
RF_API int rf_digest_known(const char *algo);
RF_API int rf_url_filename(const char *url, char *out, size_t cap);

/* The directories wget's --force-directories makes for url, into out (cap
 * bytes): "HOST[:PORT]/DIR/DIR" (the port when not the scheme's own; no
 * HOST when with_host is 0, as -nH), the path's directory segments
 * percent-decoded and made safe as names are, "." and ".." resolved as the
 * server resolves them (never above the top), empty segments dropped, the
 * first cut_dirs directories left out (--cut-dirs).  May be "" (no
 * directory).  Returns 0, RF_EURL/RF_ESCHEME, or RF_EINVAL when out is too
 * small. */
/* The file name a Content-Disposition value offers (RFC 6266: filename*
 * in UTF-8 or ISO-8859-1 before filename), made safe: only its last path
 * component (after any '/' or '\\'), control bytes as '_', no leading '.',
 * bytes that are not UTF-8 as "%XX", at most RF_NAME_MAX bytes.  Returns 0,
 * or RF_EINVAL when it offers none that is usable (or cap is too small). */
RF_API int rf_disposition_filename(const char *value, char *out, size_t cap);
RF_API int rf_url_dirs(const char *url, int with_host, unsigned cut_dirs, char *out, size_t cap);

/*
 * Latency histograms (the load generator's, and for merging its results):
 * log-linear, microseconds from 1 us to about 71 minutes, every value kept
 * within 1/1024 of itself (3 significant digits), about 190 KiB each,
 * whatever the number of values.  Histograms add; percentiles come from the
 * sum, never from averaged percentiles.
 */
typedef struct rf_hist rf_hist;

RF_API rf_hist *rf_hist_new(void);
/* A histogram of another layout: sub_buckets per power of two, 2048 (as
 * rf_hist_new) or 128 (within 1/64, about 14 KiB: the bench's per-URL and
 * per-second histograms), any power of two from 16 to 2048; NULL for
 * others.  Histograms of different
 * layouts merge at the destination's resolution. */
RF_API rf_hist *rf_hist_new_layout(unsigned sub_buckets);
RF_API unsigned rf_hist_layout(const rf_hist *h);
RF_API void rf_hist_free(rf_hist *h);
RF_API void rf_hist_record(rf_hist *h, uint64_t us);
/* dst += src */
RF_API void rf_hist_merge(rf_hist *dst, const rf_hist *src);
RF_API uint64_t rf_hist_count(const rf_hist *h);
/* exact smallest and largest value (0 when empty), mean and standard
 * deviation of the recorded values */
RF_API uint64_t rf_hist_min(const rf_hist *h);
RF_API uint64_t rf_hist_max(const rf_hist *h);
RF_API double rf_hist_mean(const rf_hist *h);
RF_API double rf_hist_stdev(const rf_hist *h);
/* The value at percentile p (0..100): p % of the values are at or below it
 * (a counter's highest value, so never below what was measured). */
RF_API uint64_t rf_hist_percentile(const rf_hist *h, double p);
/* Writing a histogram out and reading it back: counter i's count and the
 * highest value it stands for (returns 0 past the last counter, else 1);
 * rf_hist_add_counter adds count values to counter i (RF_EINVAL when value
 * does not match, i.e. written by another layout).  rf_hist_exact reads and
 * rf_hist_set_exact restores what the counters only approximate: the
 * exact minimum, maximum, sum and sum of squares. */
RF_API int rf_hist_counter(const rf_hist *h, size_t i, uint64_t *count, uint64_t *value);
RF_API int rf_hist_add_counter(rf_hist *h, size_t i, uint64_t count, uint64_t value);
RF_API void rf_hist_exact(const rf_hist *h, uint64_t *min, uint64_t *max, double *sum, double *sum_sq);
RF_API void rf_hist_set_exact(rf_hist *h, uint64_t min, uint64_t max, double sum, double sum_sq);

/*
 * Load generation (ringfetch bench): T threads, each with its own ring,
 * connections and TLS context, sharing nothing, drive requests at the
 * targets and record every response's latency.
 *
 * Closed model (rate 0, as wrk): each connection sends its next request as
 * soon as the last response is in; latency runs from the send.  Open model
 * (a rate, or stages): request k of the run is due when the schedule's
 * count reaches k (start + k/R at a fixed rate R) on connection k mod C
 * whether or not earlier ones have finished, and latency runs from that due
 * time, so a stalled server shows as the wait every user of it would have
 * had (coordinated omission corrected).
 *
 * Targets and weights.  A connection serves one origin (scheme, host,
 * port); origins get connections in proportion to their targets' weights
 * (at least one each), and each thread takes an origin's targets in a
 * fixed interleaved order in which target i appears weight_i times per
 * round (smooth weighted round-robin).  So within an origin the shares
 * are the weights' within a round; across origins they are the
 * connections', which in the closed model also depend on each origin's
 * latency.
 */
enum rf_bench_error {
	RF_BENCH_ERR_CONNECT = 0, /* socket, connect, name */
	RF_BENCH_ERR_TIMEOUT,     /* no complete response within the timeout */
	RF_BENCH_ERR_RESET,       /* reset, or closed before the response ended */
	RF_BENCH_ERR_PROTOCOL,    /* malformed HTTP, data after the response */
	RF_BENCH_ERR_TLS,         /* handshake, verification, TLS records */
	RF_BENCH_ERR_STATUS,      /* a response with status 400..599 */
	RF_BENCH_ERR_KINDS
};

/* One target: a URL, what to send it and its share of the requests. */
typedef struct rf_bench_target {
	const char *url;            /* http:// or https:// */
	unsigned weight;            /* share of the requests; 0 counts as 1 */
	const char *method;         /* NULL: opts.method */
	const char *const *headers; /* "Name: value" lines after opts.headers */
	size_t n_headers;
	const void *body; /* NULL: opts.body */
	size_t body_len;
} rf_bench_target;

/* A stage of the open model's schedule: the rate moves linearly from where
 * it is (opts.rate at first) to rate requests/s over duration seconds. */
typedef struct rf_bench_stage {
	double duration;
	double rate;
} rf_bench_stage;

#define RF_BENCH_MAX_STAGES 64

/* A snapshot for a live display; all threads together. */
typedef struct rf_bench_progress {
	double elapsed;    /* seconds since the measured part began (< 0:
	                      still connecting or warming up) */
	uint64_t requests; /* responses counted so far */
	uint64_t errors;   /* all kinds */
	uint64_t p99_us;   /* latency p99 so far (the threads' largest) */
} rf_bench_progress;

typedef struct rf_bench_opts {
	const char *const *urls; /* http:// or https://, weight 1 each (when
	                            targets is NULL) */
	size_t n_urls;
	unsigned connections; /* in total; default 64 */
	unsigned threads;     /* default 1; each gets connections/threads */
	uint64_t requests;    /* counted requests in total; 0: by duration */
	double duration;      /* seconds measured when requests is 0;
	                         default 10 */
	double warmup;        /* seconds run first and not counted */
	double rate;          /* requests/s in total: open model; 0: closed
	                         (with stages: the rate they start from) */
	double timeout;       /* seconds per request; default 10 */
	double start_at;      /* CLOCK_REALTIME seconds: connect first, then
	                         begin at this instant (several machines
	                         together); 0: at once */
	const char *method;   /* GET (default), HEAD, POST, PUT */
	const void *body;     /* POST/PUT request body */
	size_t body_len;
	const char *const *headers; /* extra "Name: value" lines */
	size_t n_headers;
	int no_keepalive;        /* 1: a new connection (and TLS handshake) per
	                            request: connection and handshake rate */
	const char *tls_ca_file; /* HTTPS: verification is on unless insecure */
	int tls_insecure;
	int tls_no_resume;           /* 1: every handshake is a full one */
	size_t recv_buffer;          /* bytes per connection; default 16 KiB */
	int io;                      /* RF_IO_AUTO (default), RF_IO_URING, RF_IO_EPOLL */
	int uring_setup;             /* RF_URING_SETUP_* */
	unsigned uring_submit_batch; /* as in rf_client_opts */
	int uring_fixed_files;       /* as in rf_client_opts */
	double progress_interval;    /* seconds; 0: no progress calls */
	void (*on_progress)(void *arg, const rf_bench_progress *p);
	void *progress_arg;
	char *error_detail; /* if not NULL, rf_bench_new/run say why they failed */
	size_t error_detail_len;
	int uring_send_zc;       /* plain-HTTP requests sent with
	                            IORING_OP_SEND_ZC (their memory is the
	                            run's): RF_URING_FIXED_AUTO (0: off,
	                            measured), _ON, _OFF */
	int http2_streams;       /* 0: HTTP/1.1; N (1 to 100): HTTP/2 with up to N
	                            streams on each connection (h2load's -m):
	                            https by ALPN h2, http:// with prior
	                            knowledge (h2c); not with no_keepalive */
	const char *const *pins; /* "HOST:PORT:ADDR[,ADDR...]" (curl's --resolve):
	                            HOST on PORT dials the first ADDR, no lookup */
	size_t n_pins;
	const rf_bench_target *targets; /* instead of urls */
	size_t n_targets;
	const rf_bench_stage *stages; /* open model: after the warmup at rate, the
	                                 rate follows these; the run lasts their
	                                 total unless duration is longer (the
	                                 last rate holds) */
	size_t n_stages;
	void *reserved[1]; /* zero */
} rf_bench_opts;

typedef struct rf_bench rf_bench;

/* What one target got (rf_bench_results.targets). */
typedef struct rf_bench_target_results {
	const char *url, *method;
	unsigned weight;
	uint64_t requests;        /* complete responses counted */
	uint64_t ok;              /* ... with status 100..399 */
	uint64_t errors;          /* all kinds, status errors included */
	uint64_t status_class[6]; /* [1]..[5]: 1xx..5xx responses */
	const rf_hist *latency;   /* 128 sub-buckets (within 1/64); NULL past
	                             RF_BENCH_TARGET_HISTS targets */
	const char *error_sample; /* the target's first error, or "" */
} rf_bench_target_results;

#define RF_BENCH_TARGET_HISTS 1024

/* One step of the time series (rf_bench_results.series): the requests
 * whose latency origin (due time, open model; send time, closed) fell in
 * [i * series_step, (i + 1) * series_step) seconds of the measured part. */
typedef struct rf_bench_step {
	uint64_t requests;      /* complete responses */
	uint64_t errors;        /* all kinds */
	double scheduled;       /* open model: requests the schedule had due */
	const rf_hist *latency; /* 128 sub-buckets; NULL when none */
} rf_bench_step;

/* The results of a run, all threads merged.  Valid until rf_bench_free. */
typedef struct rf_bench_results {
	int open_model;       /* 1: latency from the due time (rate given) */
	int stopped;          /* 1: rf_bench_stop ended the run early */
	const char *io;       /* the kernel path: "io_uring (MODE)" or "epoll" */
	const char *io_note;  /* why not io_uring under RF_IO_AUTO, or "" */
	rf_io_stats io_stats; /* all threads' loops together */
	double rate;          /* the requested rate (open model) */
	unsigned connections, threads;
	double duration;   /* seconds of the measured part */
	uint64_t requests; /* complete responses counted (any status) */
	uint64_t ok;       /* ... with status 100..399 */
	uint64_t bytes;    /* response bytes (header and body) */
	uint64_t errors[RF_BENCH_ERR_KINDS];
	uint64_t status[600];                          /* responses by status code */
	uint64_t connects;                             /* connections opened */
	uint64_t handshakes, resumed;                  /* TLS handshakes, and how many resumed */
	uint64_t unsent;                               /* open model: requests that fell due but
	                                                  never went out before the end (see waited
	                                                  and late for why) */
	const rf_hist *latency;                        /* complete responses: the model's origin to
	                                                  the last byte */
	const rf_hist *ttfb;                           /* the same origin to the first byte */
	const rf_hist *connect;                        /* TCP connect times */
	const rf_hist *handshake;                      /* TLS handshake times */
	const char *error_samples[RF_BENCH_ERR_KINDS]; /* the first error of
	                                                  each kind, as a message
	                                                  naming its URL, or "" */
	const rf_bench_target_results *targets;        /* per target, in order */
	size_t n_targets;
	const rf_bench_step *series; /* the time series */
	size_t n_series;
	double series_step; /* seconds per step: 1, or more on long runs
	                       (at most RF_BENCH_MAX_STEPS steps) */
	/* Open model, why requests went out after they fell due: */
	const rf_hist *service; /* send to last byte (the server's part) */
	uint64_t waited;        /* requests due while their connection still
	                           had one out (too few connections for the
	                           rate at the server's latency) */
	uint64_t late;          /* requests sent over 1 ms after they fell due
	                           though their connection was free (this
	                           client's loop fell behind) */
} rf_bench_results;

#define RF_BENCH_MAX_STEPS 1200

RF_API void rf_bench_opts_init(rf_bench_opts *opts);
/* Check the options, parse the URLs and resolve their hosts (once, here),
 * build the requests.  0, or a negative code (RF_EURL, RF_EINVAL, RF_EDNS,
 * RF_ETLS_CONFIG, RF_EHEADER...) with error_detail. */
RF_API int rf_bench_new(const rf_bench_opts *opts, rf_bench **out) __attribute__((nonnull(2)));
/* Run to the end (blocks; progress calls on this thread).  0 or a negative
 * code when a ring or a thread could not be set up. */
RF_API int rf_bench_run(rf_bench *b);
/* End the run early (the results cover what was done).  Safe from a signal
 * handler and from any thread. */
RF_API void rf_bench_stop(rf_bench *b);
RF_API const rf_bench_results *rf_bench_results_get(const rf_bench *b);
RF_API void rf_bench_free(rf_bench *b);

#ifdef __cplusplus
}
#endif
#endif
