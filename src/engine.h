/*
 * engine.h - the engine's shared structures: client, request, origin,
 * connection and slot, and the functions the engine files call on each other.
 *
 * Ownership in one sentence each:
 *  - a request (rf__req) belongs to the client queue, an origin's parked
 *    list, the retry heap, or exactly one slot; it is freed after its result
 *    is reported;
 *  - a connection (rf__conn) belongs to the slot using it or to its origin's
 *    idle list; the slot that closes it forgets it at once (the close op's
 *    completion is ignored, nothing refers to the conn any more);
 *  - a slot is recycled only when every op it submitted has completed
 *    (slot->ops == 0, counted by rf__slot_op) and it marked itself
 *    finished; the client does it after the call into the slot returns, and
 *    bumps its generation so late completions that still name it are
 *    dropped;
 *  - an origin lives while it has connections or parked requests.
 */
#ifndef RF_ENGINE_H
#define RF_ENGINE_H

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "conn.h"
#include "digest.h"
#include "dns.h"
#include "exchange.h"
#include "loop.h"
#include "namecache.h"
#include "proxy.h"
#include "ratelimit.h"
#include "ringfetch.h"
#include "sink.h"
#include "splice.h"
#include "split.h"
#include "outcome.h"
#include "archive.h"
#include "output.h"
#include "tls.h"
#include "url.h"
#include "wake.h"

/* ---- a request and its journey (redirects, retries) ---- */
struct rf__req {
	struct rf__req *next;
	char *url;            /* as submitted */
	char *shown_url;      /* url with userinfo redacted: what messages show
	                         (url itself when it has no '@') */
	char *cur_url;        /* after redirects */
	struct rf__auth auth; /* credentials and where they may go */
	struct rf__url u;     /* cur_url parsed */
	enum rf_sink_kind sink;
	char *path;
	char *kept_part; /* the .part a failed attempt kept for the retry */
	int fd;
	rf_body_fn on_body;
	void *user;
	unsigned flags;
	unsigned redirects;
	unsigned attempts;
	unsigned retries;
	unsigned stale_retries; /* went again after a closed idle connection */
	bool dial_anyway;       /* the connection it waited for failed: it
	                           dials its own (dials do not go one by one) */
	bool resume;            /* continue the .part on disk (-c, or a retry) */
	bool fresh;             /* the server disowned our prefix: no Range */
	char *range;            /* rf_request.range ("A-B", "A-", "-N"), or NULL */
	const char *check_algo; /* checksum: canonical algorithm, or NULL */
	unsigned char check_want[RF__DIGEST_MAX];
	size_t check_len;
	int64_t not_before; /* retry delay: not dispatched before (ns) */
	char note[160];
	bool archived;     /* -c: skipped, a shard holds it */
	uint64_t *visited; /* hashes of URLs on the redirect chain */
	int64_t t_start;   /* first dispatch (ns), 0 before */
	int64_t deadline;  /* max-time, absolute ns; 0 = none */
	double t_dns;
	/* segmented download (split.h) */
	unsigned split;        /* connections asked for (rf_request.split) */
	struct rf__split *job; /* the job this request fetches a segment of */
	bool job_leader;       /* ... and it is the URL's own request */
	unsigned seg;          /* ... which one */
	bool split_done;       /* the job completed: this is its final resume */
	int split_err;         /* the job failed: why (reported with the leader) */
	char *split_detail;
	uint64_t split_bytes; /* body bytes the job's segments received */
};

/* ---- origins (their connections: conn.h) ---- */
struct rf__origin {
	struct rf__origin *hnext;
	char *key;                     /* "http://host:port", + " via proxy" */
	const struct rf__proxy *proxy; /* the route: the client's proxy for this
	                                  scheme unless no_proxy exempts the host;
	                                  NULL: direct */
	unsigned nconns;               /* connecting + busy + idle */
	struct rf__link idle;
	struct rf__req *parked, *parked_tail; /* waiting for the per-host cap */
	unsigned nparked;
	struct rf__bucket bucket; /* --limit-rate-per-host */
	bool closes_idle;         /* an idle connection of it was found closed:
	                             idle ones are checked before reuse */
	/* HTTP/2 (session.c) */
	struct rf__link sessions; /* sessions new streams may go on */
	unsigned h2_dialing;      /* connections being set up that may speak h2:
	                             requests wait for them (rf__origin_waits) */
	bool h1_seen;             /* ALPN chose HTTP/1.1 here: nothing waits */
	/* threads: the per-host cap is the group's (group.h) */
	unsigned group_reserved; /* connections the group granted, not yet made */
	unsigned holds;          /* callers still looking at it (rf__origin_hold) */
};

/* ---- a slot: one in-flight transfer ---- */
enum rf__slot_state {
	RF__SLOT_FREE,
	RF__SLOT_PREPARING, /* resume: hashing the prefix on disk */
	RF__SLOT_RESOLVING,
	RF__SLOT_CONNECTING,
	RF__SLOT_HANDSHAKE, /* TLS */
	RF__SLOT_SENDING,
	RF__SLOT_RECEIVING,
	RF__SLOT_FINISHING, /* response done or failed: writes, close, rename */
};

/* Why a transfer is ending: one value instead of flags.  Ordered by
 * precedence - a failure outranks a requeue, which outranks a plain end -
 * so a later, weaker reason never hides a stronger one (rf__slot_end). */
enum rf__slot_end {
	RF__END_NONE,    /* running */
	RF__END_DONE,    /* the response is complete: only local steps are left */
	RF__END_REQUEUE, /* a redirect, a stale connection, a changed file: the
	                    request goes again at once (outcome.c) */
	RF__END_FAILED,  /* s->err says why: retried or reported (outcome.c) */
};

enum rf__buf_state { RF__BUF_FREE, RF__BUF_RECV, RF__BUF_HELD };

/* A receive buffer.  Body bytes are written to the sink straight from it;
 * it is not reused until those writes complete (bounded memory per slot).
 * Its memory is the slot's own, or (plain HTTP with a receive pool) a pool
 * buffer the kernel picked when bytes arrived, given back the moment the
 * buffer is free again (rf__buf_release): a slot waiting for a slow
 * server then holds no receive memory at all. */
struct rf__buf {
	char *data;
	size_t cap;     /* bytes at data */
	bool pooled;    /* data is the loop's pool buffer bid */
	bool pool_recv; /* RECV: a receive into the pool fills it */
	uint16_t bid;
	enum rf__buf_state state;
	char *body; /* HELD: body span waiting for / under write */
	size_t body_len;
	size_t written;
	int64_t off;  /* file offset of body[0] */
	uint64_t seq; /* parse order, for sinks that need order */
	bool writing;
	size_t h2_owed; /* HTTP/2: stream bytes in it, the window opens for them
	                   when it is free again */
};

enum rf__body_mode { RF__BODY_UNDECIDED, RF__BODY_SINK, RF__BODY_DISCARD };

/* A slot's multishot receive (pool, plain HTTP). */
enum rf__ms_state {
	RF__MS_OFF,   /* none: receives are one-shot */
	RF__MS_ARMED, /* it is the socket op: bytes come by themselves */
	RF__MS_ENDED, /* it ended with ms_res, still to be acted on after the
	                 bytes queued in ms_pend */
};

/* Pool bytes a multishot receive brought, waiting for a receive buffer. */
struct rf__ms_pending {
	uint16_t bid;
	uint32_t len;
	char *at;
};

#define RF__SLOT_BUFS 2
#define RF__SLOT_DIALS 2 /* attempts in flight at once; their tags' buf is the dial */

/* The receive side of a slot (slot.c): its buffers, the multishot
 * receive, waits for pool memory and for the rate limit.  Buffers of the
 * usual size and the pending list are kept across recycling
 * (rf__slot_reset); big ones go back. */
struct rf__slot_recv {
	struct rf__buf buf[RF__SLOT_BUFS];
	int partial;          /* buffer being filled across reads (TLS), or -1 */
	int land;             /* HTTP/2: the buffer the stream's body lands in, or -1 */
	size_t partial_fill;  /* ... bytes in it so far */
	bool big;             /* holds one of the client's big-buffer grants */
	bool pool_wait;       /* a receive found the pool empty: the client
	                         receives again when buffers come back */
	bool pool_queued;     /* ... and it is in the client's waiters */
	int64_t rate_until;   /* a rate limit holds the next receive until
	                         then (ns); 0: none */
	enum rf__ms_state ms; /* the multishot receive (pool, plain HTTP) */
	int ms_res;
	bool ms_keep_conn;              /* the response ended cleanly while it was
	                                   armed: the conn goes back to the pool once
	                                   its cancel completes */
	struct rf__ms_pending *ms_pend; /* pool bytes it brought that wait for a
	                                   free receive buffer, in arrival order
	                                   (kept across recycling, empty then) */
	unsigned ms_npend, ms_cap;
};

/* Connecting (slot.c): the name's lookup and the racing attempts. */
struct rf__slot_connect {
	struct rf__dns_entry *dns;  /* while its lookup is PENDING */
	bool dns_waited;            /* the name was not known when the slot began */
	struct rf__addrlist *addrs; /* a reference; in the order they are tried */
	unsigned addr_i;            /* the latest attempt's address */
	unsigned next_addr;         /* the next address to try */
	struct rf__dial {           /* connection attempts racing (Happy Eyeballs) */
		int fd;             /* when open */
		bool open;          /* a socket not yet closed or handed over */
		bool busy;          /* its socket or connect op is in flight */
		bool cancel_sent;
		unsigned addr;         /* index in addrs */
		union rf__sockaddr sa; /* that address with the port, for the connect op */
		rf__tag tag;
	} dial[RF__SLOT_DIALS];
	int64_t stagger_at;  /* the next attempt starts then (ns); 0: none */
	int dial_err;        /* the last failed attempt's error ... */
	char dial_where[96]; /* ... and its address */
	int64_t deadline;    /* connect timeout (absolute ns); 0: none */
};

/* The request on its way out (slot.c); buf is kept across recycling. */
struct rf__slot_send {
	char *buf;  /* the request being sent */
	size_t cap; /* bytes at buf */
	size_t len; /* the request's length */
	int64_t at; /* it began to be sent: its response's header section must
	               be complete within the idle timeout from here (no slow
	               trickle) */
};

/* One in-flight transfer.  Its own run state comes first and is cleared
 * by rf__slot_reset; each part after it belongs to a module that resets
 * it (and keeps what it reuses); identity and the response come last. */
struct rf__slot {
	/* the slot's own run state */
	enum rf__slot_state state;
	struct rf__req *req;
	struct rf__conn *conn;
	struct rf__session *sess;   /* HTTP/2: the session carrying its stream
	                             (s->ex.proto.h2), conn then NULL */
	struct rf__origin *h2_dial; /* it dials a connection to this origin that
	                               may speak h2 (counted in h2_dialing) */
	bool conn_reused;
	uint64_t body_in;   /* body bytes of this response taken so far */
	bool tls_handshake; /* this attempt made a TLS handshake */
	bool tls_resumed;
	unsigned ops;   /* submitted, not yet completed */
	bool finished;  /* all done (ops == 0, sink finished): the
	                   client reports and recycles it once the
	                   call into the slot returns */
	bool sock_busy; /* a socket op (one at a time) is in flight */
	rf__tag sock_tag;
	bool cancel_sent;
	int err;        /* first error; 0 while fine */
	bool err_local; /* ... and it came from the local output */
	char detail[400];
	enum rf__slot_end end; /* why the transfer is ending (none: running) */
	bool resp_ended;       /* the response is complete and the conn
	                          released (end is DONE or, after it, more) */
	int64_t last_io;
	enum rf__body_mode body;
	int redirect_status; /* 3xx being followed */
	uint64_t next_seq;   /* parse order of the next held body span */
	int64_t next_off;    /* file offset of the next body byte */
	uint64_t bytes;
	/* timings (ns since req->t_start) */
	int64_t t_connect, t_tls, t_first_byte;
	/* parts owned by their modules, each reset by its own function */
	struct rf__slot_recv rx;    /* receiving (slot.c) */
	struct rf__slot_connect cx; /* connecting (slot.c) */
	struct rf__slot_send tx;    /* the request out (slot.c) */
	struct rf__splice splice;   /* large plain bodies (splice.h) */
	struct rf__sink sink;       /* the body's destination (sink.h) */
	struct rf__outcome outcome; /* what this attempt leads to (outcome.h) */
	struct rf__exchange ex;     /* the protocol carrying the request (exchange.h) */
	/* identity, for the slot's life */
	uint32_t idx, gen;
	bool used; /* set up (rf__slot_setup): untouched before */
	/* what policy reads of the response (response.h); last, so its 10 KiB
	 * of text are reset by their first bytes only */
	struct rf__response resp;
};

/* b is free again; a pool buffer goes back to the loop at once. */
static inline void rf__buf_release(struct rf__loop *l, struct rf__buf *b)
{
	b->state = RF__BUF_FREE;
	b->pool_recv = false;
	if (b->pooled) {
		rf__loop_pool_put(l, b->bid);
		b->pooled = false;
		b->data = NULL;
		b->cap = 0;
	}
}

/* ---- the client ---- */
struct rf__crew;
struct rf__group;
struct rf_client {
	rf_client_opts opts;
	char *user_agent;
	char **headers;
	char *netrc;                              /* opts.netrc_file's text, or NULL */
	struct rf__proxy proxy_http, proxy_https; /* host NULL: none */
	char *no_proxy;
	bool header_creds; /* some -H header carries credentials */
	size_t netrc_len;
	struct rf__loop *loop;
	struct rf__dns *dns;
	struct rf__namecache *names; /* suffixes given to final names (namecache.h) */
	struct rf__cookies *cookies; /* the cookie store (cookies.h), or NULL: none */
	struct rf__tls_ctx *tls;
	int64_t now;
	/* slots */
	struct rf__slot *slots;
	unsigned nslots, nbusy;
	uint32_t *free_slots;
	unsigned nfree;
	/* queue: ready requests (front: retries and redirects) */
	struct rf__req *q_head, *q_tail;
	unsigned nqueued, nparked;
	rf_source_fn source;
	void *source_arg;
	bool source_done;
	bool stopping;
	/* origins and the idle LRU */
	struct rf__origin **origins;
	unsigned norigin_buckets, norigins;
	struct rf__link idle_lru;
	unsigned nidle;
	/* HTTP/2 sessions (session.c): by index (their tags), those with news
	 * for their streams, the idle ones (oldest first) */
	struct rf__session **sess_tab;
	uint32_t *sess_gens;
	unsigned sess_cap, nsessions;
	struct rf__session *sess_news, *sess_news_tail;
	struct rf__link sess_idle;
	unsigned nsess_idle;
	struct rf__link split_jobs; /* segmented downloads running (split.h) */
	/* --tar shards (archive.h), --warc-file (warc_file.h), or NULL; with
	 * threads, member 0's, shared (the archive's lock), ended and freed
	 * by member 0 after the others' runs */
	struct rf__archive *archive;
	struct rf__warc_files *warc;
	struct rf__warc_zip *warc_zip; /* this thread's WARC compressor (warc.h;
	                                  NULL: none): the files' own, or with
	                                  threads one of its own */
	size_t warc_staged;            /* response bytes held in memory (sink_warc.c's budget) */
	unsigned warc_copying;         /* spilled records being copied in */
	char end_why[300];             /* why an output could not end, "" if none */
	struct rf__wake wake;          /* earliest deadline that may fire (wake.h) */
	/* requests waiting for their retry delay: a min-heap on not_before */
	struct rf__req **delayed;
	unsigned ndelayed, cap_delayed;
	char *print_algo;                         /* opts.digest, canonical */
	unsigned big_in_use, big_max;             /* slots with big receive buffers */
	struct rf__bucket rate;                   /* --limit-rate */
	bool pool_on;                             /* plain receives take the loop's pool buffers */
	bool pool_multishot;                      /* ... through one multishot receive */
	unsigned pool_count;                      /* buffers in the pool */
	bool pool_inc;                            /* ... consumed incrementally */
	uint64_t pool_waits;                      /* receives that found it empty */
	uint32_t *pool_waiters;                   /* slots whose receive found the pool empty, */
	unsigned npool_waiters, cap_pool_waiters; /* in order */
	uint64_t n_ok, n_failed, bytes_done;      /* reported so far */
	uint64_t n_taken;                         /* requests submitted or pulled from the source */
	/* the look-ahead: entries read from the source before a slot is free,
	 * so their names are looked up while other transfers run (client.c) */
#define RF__LOOK_AHEAD_DEFAULT 256 /* entries; as many as lookups in flight */
	struct rf__ahead {
		struct rf__req *r; /* or NULL: the entry could not be made ... */
		int err;           /* ... for this reason */
		const char *why;
		char *url; /* the URL as given (for the report) */
		void *user;
	} * ahead;
	unsigned ahead_head, nahead, ahead_max;
	int64_t run_start, next_progress;
	char signal_buf[128];
	bool tmpfile_off;  /* no O_TMPFILE files (asked, no /proc, or the
	                      file system refused one) */
	char io_mode[64];  /* rf_client_io */
	char io_note[300]; /* rf_client_io_note */
	char file_io[96];  /* the file path taken, and why; "" until the
	                      first output file decides it */
	int fatal;         /* engine failure (ring) */
	/* threads (rf_client_opts.threads > 1): the client the caller holds is
	 * member 0; it owns the others and the group they share (group.h) */
	struct rf__group *group; /* NULL: one thread */
	unsigned member;         /* this client's number in the group */
	rf_client **members;     /* member 0 only: every member, itself first */
	rf_client *lead;         /* member 0 (itself there) */
	int nudge_fd;            /* eventfd the others write to wake this loop */
	uint64_t nudge_buf;
	rf_client_opts user;   /* the caller's callbacks, called under the
	                            group's caller lock */
	rf_progress published; /* this member's last snapshot (caller lock) */
	bool finished;         /* its rf_run loop ended (caller lock) */
	int cpu;               /* the CPU its thread is pinned to, or -1 */
	char **close_keys;     /* capped hosts whose connection's close is in
	                          flight ([i]: the tag's index; NULL: free) */
	unsigned nclose_keys, cap_close_keys;
	int64_t parked_recheck; /* threads: when parked requests look again */
	int run_err;            /* its loop's result */
	bool surplus_said;      /* balance: what the group was told */
	unsigned room_said;
	/* member 0 only */
	struct rf__crew *crew;            /* the other members' threads */
	int *cpus;                        /* [member]: --cpus, or NULL */
	unsigned *loads;                  /* [member]: entries held at its last read
	                                      (caller lock) */
	const rf_client_opts *setup_opts; /* while the members are made */
	rf_source_fn user_source;         /* the caller's source ... */
	void *user_source_arg;
	bool group_source_done; /* ... said there are no more (caller lock) */
	bool source_blocked;    /* a member waits for the others to read */
	unsigned submit_next;   /* rf_submit deals requests round robin */
};

int64_t rf__now(void);

/* ---- what every engine file does with a slot ---- */

/* A slot's tag index: the slot in the low 31 bits, the receive buffer an op
 * uses in bit 31 (the one place this layout is defined). */
#define RF__TAG_BUF_SHIFT 31
static inline uint32_t rf__slot_tag_idx(uint32_t slot, unsigned buf)
{
	return slot | ((uint32_t)buf << RF__TAG_BUF_SHIFT);
}
static inline uint32_t rf__tag_slot(rf__tag t)
{
	return rf__tag_idx(t) & ((1u << RF__TAG_BUF_SHIFT) - 1);
}
static inline unsigned rf__tag_buf(rf__tag t)
{
	return rf__tag_idx(t) >> RF__TAG_BUF_SHIFT;
}

/* The tag of an op s submits now, counted.  Every op a slot submits takes
 * its tag from here and every completion routed to the slot uncounts it
 * (client.c), so ops == 0 means nothing of this slot is in flight: only
 * then is it reported and recycled. */
static inline rf__tag rf__slot_op(struct rf__slot *s, enum rf__op_kind op, unsigned buf)
{
	assert(s->state != RF__SLOT_FREE && buf < RF__SLOT_BUFS);
	s->ops++;
	return rf__tag_make(RF__OWNER_SLOT, op, rf__slot_tag_idx(s->idx, buf), s->gen);
}

/* Mark op as the slot's one socket op in flight (for cancel); counts it. */
static inline void rf__slot_sock_op(struct rf__slot *s, enum rf__op_kind op, unsigned buf)
{
	assert(!s->sock_busy); /* one socket op at a time: sock_tag names it */
	s->sock_busy = true;
	s->cancel_sent = false;
	s->sock_tag = rf__slot_op(s, op, buf);
}

/* The transfer is ending for reason `why` (kept when a stronger reason
 * came first; a failure is recorded with rf__slot_error). */
static inline void rf__slot_end(struct rf__slot *s, enum rf__slot_end why)
{
	assert(why != RF__END_FAILED && why != RF__END_NONE);
	if (why > s->end)
		s->end = why;
}

/* The transfer failed or goes again: nothing more of this attempt's body
 * is wanted. */
static inline bool rf__slot_abandoned(const struct rf__slot *s)
{
	return s->end >= RF__END_REQUEUE;
}

/* Record the attempt's error: the first one wins, with its detail (a
 * printf format, or NULL) and whether it came from the local output, so a
 * reported detail always belongs to the reported error.  Records only; the
 * slot winds down when it sees s->err. */
static inline __attribute__((format(printf, 4, 5))) void rf__slot_error(struct rf__slot *s, int err,
                                                                        bool local, const char *fmt, ...)
{
	if (s->err)
		return;
	s->err = err;
	s->err_local = local;
	s->end = RF__END_FAILED;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
		va_end(ap);
	}
}

#endif
