/*
 * tls.c - TLS for one connection through OpenSSL memory BIOs.
 *
 * Each connection has an SSL with two BIOs over memory.  The read side is a
 * small BIO of our own over the ring's receive buffer: OpenSSL reads the
 * ciphertext where the kernel put it (a standard memory BIO would cost one
 * more copy of every byte; about 7 % of a large HTTPS download).  The write
 * side is a standard memory BIO drained into an output buffer the ring sends
 * from.  After every
 * SSL call the write BIO is drained into that buffer, whatever the call
 * returned (a read can produce output: alerts, key updates).
 *
 * Verification is on unless insecure: the system CA store (or --cacert /
 * --capath), SSL_VERIFY_PEER, the host name (DNS name or IP literal) checked
 * against the certificate's subjectAltName only (no CN fallback, no partial
 * wildcards), SNI for DNS names only, ALPN "http/1.1", TLS 1.2
 * minimum.  Sessions are cached per origin on the client side (TLS 1.3
 * tickets arrive after the handshake, so they are collected by the new-session
 * callback) and offered on the next connection to that origin.
 *
 * Memory per connection is bounded: SSL_MODE_RELEASE_BUFFERS, a fixed
 * receive buffer, and the write BIO is drained into a fixed output buffer;
 * the slot never queues more plaintext than one request.
 */
#include "alloc.h"
#include "tls.h"
#include "hash.h"

#include <errno.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringfetch.h"

#define TLS_RECV_BUF (32 * 1024) /* two full records; large bodies ask for more */
#define TLS_OUT_BUF (17 * 1024)  /* one full record; more waits in the BIO */
#define SESSION_BUCKETS 256
#define SESSION_MAX 1024

#define TICKETS_PER_ORIGIN 8

/* An origin's sessions.  TLS 1.3 tickets are used once each (RFC 8446
 * C.4; servers may refuse a ticket seen before), newest first, and every
 * connection brings new ones; when only one is left it is offered again
 * (many connections opening at once would otherwise find none).  A TLS 1.2
 * session is kept and reused. */
struct session_entry {
	struct session_entry *next;
	char *key;
	SSL_SESSION *sess[TICKETS_PER_ORIGIN]; /* oldest first */
	unsigned n;
};

struct rf__tls_ctx {
	SSL_CTX *ctx;
	struct session_entry *buckets[SESSION_BUCKETS];
	unsigned nsessions;
};

struct rf__tls {
	struct rf__tls_ctx *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	char *key;
	bool eof;          /* transport EOF seen */
	bool close_notify; /* peer closed cleanly */
	bool failed;       /* a TLS error: the session must not be resumed */
	bool established;  /* the handshake completed (the session is sound) */
	char *in;          /* ring recv buffer; [in_off, in_len) not yet read */
	size_t in_cap, in_off, in_len;
	char *out; /* ciphertext to send */
	size_t out_len, out_off;
	char detail[160];
};

static int ex_index = -1;
static pthread_once_t ex_index_once = PTHREAD_ONCE_INIT;

static void make_ex_index(void)
{
	ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}
static BIO_METHOD *in_method;

/* ---- the read BIO: OpenSSL reads straight from the receive buffer ---- */

static int in_read(BIO *b, char *out, size_t len, size_t *got)
{
	struct rf__tls *t = BIO_get_data(b);
	size_t avail = t->in_len - t->in_off;
	BIO_clear_retry_flags(b);
	*got = 0;
	if (avail == 0) {
		if (!t->eof)
			BIO_set_retry_read(b); /* "wait": the ring will bring more */
		return 0;
	}
	size_t n = len < avail ? len : avail;
	memcpy(out, t->in + t->in_off, n);
	t->in_off += n;
	*got = n;
	return 1;
}

static long in_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	struct rf__tls *t = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_PENDING:
		return (long)(t->in_len - t->in_off);
	case BIO_CTRL_EOF:
		return t->eof && t->in_len == t->in_off;
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

static int in_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static pthread_once_t in_method_once = PTHREAD_ONCE_INIT;

static void make_in_method(void)
{
	in_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringfetch recv");
	if (in_method) {
		BIO_meth_set_read_ex(in_method, in_read);
		BIO_meth_set_ctrl(in_method, in_ctrl);
		BIO_meth_set_create(in_method, in_create);
	}
}

/* Made once for the process: the load generator's threads reach it first
 * together (pthread_once, not a test-then-set race). */
static BIO_METHOD *in_bio_method(void)
{
	pthread_once(&in_method_once, make_in_method);
	return in_method;
}

static struct session_entry **session_slot(struct rf__tls_ctx *c, const char *key)
{
	struct session_entry **pp = &c->buckets[rf__hash32(key) % SESSION_BUCKETS];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* OpenSSL hands over a new session (after the handshake for TLS 1.3). */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct rf__tls *t = SSL_get_ex_data(ssl, ex_index);
	if (!t || !t->key)
		return 0;
	struct rf__tls_ctx *c = t->ctx;
	struct session_entry **pp = session_slot(c, t->key);
	struct session_entry *e = *pp;
	if (!e) {
		if (c->nsessions >= SESSION_MAX)
			return 0;
		e = rf__calloc(1, sizeof(*e));
		if (!e || !(e->key = rf__strdup(t->key))) {
			free(e);
			return 0;
		}
		*pp = e;
		c->nsessions++;
	}
	if (SSL_SESSION_get_protocol_version(sess) != TLS1_3_VERSION) {
		while (e->n) /* a TLS 1.2 session replaces whatever was kept */
			SSL_SESSION_free(e->sess[--e->n]);
	} else if (e->n == TICKETS_PER_ORIGIN) {
		SSL_SESSION_free(e->sess[0]);
		memmove(e->sess, e->sess + 1, (TICKETS_PER_ORIGIN - 1) * sizeof(e->sess[0]));
		e->n--;
	}
	e->sess[e->n++] = sess;
	return 1; /* we keep the reference */
}

/* OpenSSL's queued errors in words: the first one with a reason ("no
 * certificate or crl found", "wrong version number"), a system error as
 * its errno text, never the "error:0A00010B:..." code. */
static void openssl_reason(char *buf, size_t len)
{
	unsigned long e;
	snprintf(buf, len, "unknown OpenSSL error");
	bool found = false;
	while (!found && (e = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(e)) {
			snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
			found = true;
		} else if (ERR_reason_error_string(e)) {
			snprintf(buf, len, "%s", ERR_reason_error_string(e));
			found = true;
		}
	}
	ERR_clear_error();
}

/* A file given for TLS that cannot be read: why, in words (else NULL). */
static const char *unreadable(const char *path, bool dir_ok)
{
	struct stat st;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		return strerror(errno);
	if (S_ISDIR(st.st_mode) && !dir_ok)
		return "is a directory";
	return NULL;
}

int rf__tls_ctx_new(const struct rf__tls_opts *o, struct rf__tls_ctx **out, char *err, size_t errlen)
{
	char why[200];
	struct rf__tls_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_once(&ex_index_once, make_ex_index); /* bench: a context per thread */
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		goto openssl_fail;
	SSL_CTX_set_min_proto_version(c->ctx, o->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	if (!o->keep_buffers)
		SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
	if (o->alpn &&
	    SSL_CTX_set_alpn_protos(c->ctx, (const unsigned char *)o->alpn, (unsigned)strlen(o->alpn)))
		goto openssl_fail;
	if (o->no_resume) { /* every handshake a full one (load generator) */
		SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET);
	} else {
		SSL_CTX_set_session_cache_mode(c->ctx,
		                               SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(c->ctx, on_new_session);
	}
	SSL_CTX_set_verify(c->ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	const char *files[] = {o->ca_file, o->ca_path, o->cert_file, o->key_file};
	static const char *const what[] = {"CA file", "CA directory", "client certificate", "client key"};
	for (int i = 0; i < 4; i++) {
		const char *bad = files[i] ? unreadable(files[i], i == 1) : NULL;
		if (bad) {
			snprintf(err, errlen, "cannot read %s %s: %s", what[i], files[i], bad);
			goto fail;
		}
	}
	if (o->ca_file || o->ca_path) {
		if (!SSL_CTX_load_verify_locations(c->ctx, o->ca_file, o->ca_path)) {
			openssl_reason(why, sizeof(why));
			snprintf(err, errlen, "cannot load CA certificates from %s: %s",
			         o->ca_file ? o->ca_file : o->ca_path, why);
			goto fail;
		}
	} else if (!SSL_CTX_set_default_verify_paths(c->ctx)) {
		goto openssl_fail;
	}
	if (o->cert_file || o->key_file) {
		const char *cert = o->cert_file ? o->cert_file : o->key_file;
		const char *key = o->key_file ? o->key_file : o->cert_file;
		if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1) {
			openssl_reason(why, sizeof(why));
			snprintf(err, errlen, "cannot load client certificate %s: %s", cert, why);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1) {
			openssl_reason(why, sizeof(why));
			snprintf(err, errlen, "cannot load client key %s: %s", key, why);
			goto fail;
		}
		if (SSL_CTX_check_private_key(c->ctx) != 1) {
			snprintf(err, errlen, "client key %s does not match certificate %s", key, cert);
			ERR_clear_error();
			goto fail;
		}
	}
	*out = c;
	return 0;
openssl_fail:
	openssl_reason(why, sizeof(why));
	snprintf(err, errlen, "TLS setup failed: %s", why);
fail:
	rf__tls_ctx_free(c);
	return RF_ETLS_CONFIG;
}

void rf__tls_ctx_free(struct rf__tls_ctx *c)
{
	if (!c)
		return;
	for (unsigned b = 0; b < SESSION_BUCKETS; b++) {
		for (struct session_entry *e = c->buckets[b], *n; e; e = n) {
			n = e->next;
			for (unsigned i = 0; i < e->n; i++)
				SSL_SESSION_free(e->sess[i]);
			free(e->key);
			free(e);
		}
	}
	SSL_CTX_free(c->ctx);
	free(c);
}

/* The BIO method lives for the process; tests and leak checkers may free it. */
__attribute__((destructor)) static void free_in_method(void)
{
	BIO_meth_free(in_method);
	in_method = NULL;
}

void rf__tls_free(struct rf__tls *t)
{
	if (!t)
		return;
	/* We close without sending close_notify (HTTP framing tells us when a
	 * response is complete).  Unless the connection failed in TLS, tell
	 * OpenSSL the session is sound: otherwise SSL_free marks it not
	 * resumable and every later connection does a full handshake.  A peer
	 * that closed without close_notify leaves OpenSSL in its error state
	 * (SSL_is_init_finished is false then), yet the session it issued is
	 * as good as ever (RFC 8446 6.1: truncation does not spoil it), so
	 * what counts is that the handshake once completed. */
	if (t->ssl && t->established && !t->failed)
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(t->ssl); /* frees both BIOs */
	free(t->key);
	free(t->in);
	free(t->out);
	free(t);
}

int rf__tls_new(struct rf__tls_ctx *ctx, const char *host, bool ip_literal, const char *cache_key,
                struct rf__tls **out)
{
	struct rf__tls *t = rf__calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	/* calloc: valgrind cannot see the kernel fill it through the ring */
	t->in = rf__calloc(1, TLS_RECV_BUF);
	t->in_cap = TLS_RECV_BUF;
	t->out = rf__malloc(TLS_OUT_BUF);
	t->key = rf__strdup(cache_key);
	ERR_clear_error();
	t->ssl = SSL_new(ctx->ctx);
	t->rbio = in_bio_method() ? BIO_new(in_bio_method()) : NULL;
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->in || !t->out || !t->key || !t->ssl || !t->rbio || !t->wbio) {
		if (t->ssl && t->rbio && t->wbio) {
			SSL_set_bio(t->ssl, t->rbio, t->wbio);
		} else {
			BIO_free(t->rbio);
			BIO_free(t->wbio);
		}
		rf__tls_free(t);
		ERR_clear_error();
		return -ENOMEM;
	}
	BIO_set_data(t->rbio, t);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_ex_data(t->ssl, ex_index, t);
	SSL_set_connect_state(t->ssl);
	/* RFC 9525: names only from subjectAltName (never the subject's CN),
	 * a wildcard only as a whole left-most label; an IP literal only
	 * against iPAddress SANs */
	SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	int ok;
	if (ip_literal) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
	} else {
		ok = SSL_set_tlsext_host_name(t->ssl, host) && SSL_set1_host(t->ssl, host);
	}
	if (!ok) {
		rf__tls_free(t);
		ERR_clear_error();
		return -ENOMEM;
	}
	struct session_entry *e = *session_slot(ctx, cache_key);
	if (e && e->n) {
		SSL_SESSION *sess = e->sess[e->n - 1];
		SSL_set_session(t->ssl, sess); /* takes its own reference */
		if (SSL_SESSION_get_protocol_version(sess) == TLS1_3_VERSION && e->n > 1) {
			SSL_SESSION_free(sess); /* a ticket goes once, but the last */
			e->n--;                 /* is offered again rather than none */
		}
	}
	*out = t;
	return 0;
}

void *rf__tls_recv_buf(struct rf__tls *t, size_t *cap)
{
	/* what OpenSSL has not read yet moves to the front (less than a
	 * record: it reads everything there is before asking for more) */
	size_t left = t->in_len - t->in_off;
	if (t->in_off) {
		memmove(t->in, t->in + t->in_off, left);
		t->in_off = 0;
		t->in_len = left;
	}
	*cap = t->in_cap - t->in_len;
	return t->in + t->in_len;
}

int rf__tls_set_recv_size(struct rf__tls *t, size_t size)
{
	if (!size)
		size = TLS_RECV_BUF;
	size_t left = t->in_len - t->in_off;
	if (size == t->in_cap || left > size)
		return 0;
	char *in = rf__calloc(1, size); /* calloc: see rf__tls_new */
	if (!in)
		return -ENOMEM;
	memcpy(in, t->in + t->in_off, left); /* unread ciphertext comes along */
	free(t->in);
	t->in = in;
	t->in_cap = size;
	t->in_off = 0;
	t->in_len = left;
	return 0;
}

void rf__tls_received(struct rf__tls *t, size_t n)
{
	if (n == 0) {
		t->eof = true;
		return;
	}
	t->in_len += n; /* the ring wrote it at rf__tls_recv_buf's pointer */
}

/* Move what OpenSSL wrote into the output buffer. */
static void drain(struct rf__tls *t)
{
	if (t->out_off == t->out_len)
		t->out_off = t->out_len = 0;
	while (t->out_len < TLS_OUT_BUF && BIO_ctrl_pending(t->wbio) > 0) {
		int n = BIO_read(t->wbio, t->out + t->out_len, (int)(TLS_OUT_BUF - t->out_len));
		if (n <= 0)
			break;
		t->out_len += (size_t)n;
	}
}

const void *rf__tls_out(struct rf__tls *t, size_t *len)
{
	drain(t);
	*len = t->out_len - t->out_off;
	return *len ? t->out + t->out_off : NULL;
}

void rf__tls_sent(struct rf__tls *t, size_t n)
{
	t->out_off += n;
	drain(t);
}

bool rf__tls_buffered(struct rf__tls *t)
{
	return BIO_ctrl_pending(t->rbio) > 0 || SSL_pending(t->ssl) > 0;
}

bool rf__tls_eof_unclean(const struct rf__tls *t)
{
	return t->eof && !t->close_notify;
}

bool rf__tls_resumed(const struct rf__tls *t)
{
	return SSL_session_reused(t->ssl) == 1;
}

size_t rf__tls_alpn(const struct rf__tls *t, const unsigned char **id)
{
	unsigned len = 0;
	*id = NULL;
	SSL_get0_alpn_selected(t->ssl, id, &len);
	return len;
}

/* Turn a failed SSL call into an error code and a reason. */
static int classify(struct rf__tls *t, int ret, bool handshake, const char **detail)
{
	int e = SSL_get_error(t->ssl, ret);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return 1;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		t->close_notify = true;
		ERR_clear_error();
		return 2;
	}
	long vr = SSL_get_verify_result(t->ssl);
	if (handshake && vr != X509_V_OK) {
		t->failed = true;
		snprintf(t->detail, sizeof(t->detail), "%s", X509_verify_cert_error_string(vr));
		*detail = t->detail;
		ERR_clear_error();
		return RF_ETLS_VERIFY;
	}
	unsigned long oe = ERR_peek_last_error();
	if (oe == 0 && t->eof) {
		*detail = handshake ? "connection closed during the TLS handshake"
		                    : "connection closed without TLS close_notify";
		return handshake ? RF_ETLS : RF_ETRUNCATED;
	}
	if (ERR_GET_REASON(oe) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		*detail = handshake ? "connection closed during the TLS handshake"
		                    : "connection closed without TLS close_notify";
		return handshake ? RF_ETLS : RF_ETRUNCATED;
	}
	t->failed = true;
	char why[120];
	openssl_reason(why, sizeof(why));
	snprintf(t->detail, sizeof(t->detail), "%s", why);
	*detail = t->detail;
	return RF_ETLS;
}

int rf__tls_handshake(struct rf__tls *t, const char **detail)
{
	*detail = "";
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	drain(t);
	if (r == 1) {
		t->established = true;
		return 0;
	}
	int c = classify(t, r, true, detail);
	if (c == 2) {
		*detail = "peer closed during the TLS handshake";
		return RF_ETLS;
	}
	if (c == 1 && t->eof) {
		*detail = "connection closed during the TLS handshake";
		return RF_ETLS;
	}
	return c;
}

int rf__tls_read(struct rf__tls *t, void *buf, size_t cap, size_t *got, const char **detail)
{
	*got = 0;
	*detail = "";
	/* The peer closed without close_notify and everything it sent is
	 * consumed: say so without asking OpenSSL, which would answer with a
	 * fatal alert and, with it, mark the session not resumable. */
	if (t->eof && !t->close_notify && t->in_len == t->in_off && !SSL_has_pending(t->ssl)) {
		*detail = "connection closed without TLS close_notify";
		return RF_ETRUNCATED;
	}
	ERR_clear_error();
	size_t n = 0;
	int r = SSL_read_ex(t->ssl, buf, cap, &n);
	drain(t);
	if (r == 1) {
		*got = n;
		return 0;
	}
	int c = classify(t, 0, false, detail);
	if (c == 2)
		return 1;
	if (c == 1)
		return 0;
	return c;
}

int rf__tls_write(struct rf__tls *t, const void *buf, size_t len, const char **detail)
{
	*detail = "";
	ERR_clear_error();
	size_t n = 0;
	int r = SSL_write_ex(t->ssl, buf, len, &n);
	drain(t);
	if (r == 1 && n == len)
		return 0;
	int c = classify(t, 0, false, detail);
	return c < 0 ? c : RF_ETLS;
}
