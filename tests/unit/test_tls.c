/*
 * test_tls.c - the TLS module alone: rf__tls (client) against an OpenSSL
 * server that the test drives through its own memory BIOs, so every byte
 * between them passes through this file.  Ciphertext is delivered in pieces
 * of every size from 1 byte up, and the outcome must not depend on it.
 * The server certificate is made here (EC key, self-signed, SAN localhost).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringfetch.h"
#include "tap.h"
#include "tls.h"

static EVP_PKEY *key;
static X509 *cert;
static char ca_path[] = "/tmp/rf-tls-ca-XXXXXX";

static void make_cert(void)
{
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                                          "DNS:localhost,IP:127.0.0.1");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(cert, key, EVP_sha256());
	int fd = mkstemp(ca_path);
	FILE *f = fdopen(fd, "w");
	PEM_write_X509(f, cert);
	fclose(f);
}

struct server {
	SSL *ssl;
	BIO *in, *out;
};

static SSL_CTX *server_ctx; /* shared: its ticket keys make resumption possible */

static void server_new(struct server *sv)
{
	if (!server_ctx) {
		server_ctx = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(server_ctx, cert);
		SSL_CTX_use_PrivateKey(server_ctx, key);
	}
	sv->ssl = SSL_new(server_ctx);
	sv->in = BIO_new(BIO_s_mem());
	sv->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(sv->in, -1);
	SSL_set_bio(sv->ssl, sv->in, sv->out);
	SSL_set_accept_state(sv->ssl);
}

static void server_free(struct server *sv)
{
	SSL_free(sv->ssl);
}

/* Move client output to the server. */
static void client_to_server(struct rf__tls *t, struct server *sv)
{
	size_t len;
	const void *out;
	while ((out = rf__tls_out(t, &len))) {
		BIO_write(sv->in, out, (int)len);
		rf__tls_sent(t, len);
	}
}

/* Move server output to the client, `piece` bytes per "recv", as far as
 * the client's receive buffer takes it (like the ring: each recv goes where
 * rf__tls_recv_buf says). */
static void server_to_client(struct server *sv, struct rf__tls *t, size_t piece)
{
	for (;;) {
		size_t cap;
		char *buf = rf__tls_recv_buf(t, &cap);
		size_t n = piece < cap ? piece : cap;
		int got = n ? BIO_read(sv->out, buf, (int)n) : 0;
		if (got <= 0)
			return;
		rf__tls_received(t, (size_t)got);
	}
}

/* Run the handshake to the end; returns the client's final result. */
static int handshake(struct rf__tls *t, struct server *sv, size_t piece, const char **detail)
{
	for (int round = 0; round < 50; round++) {
		int r = rf__tls_handshake(t, detail);
		client_to_server(t, sv);
		SSL_do_handshake(sv->ssl);
		if (r <= 0 && !BIO_ctrl_pending(sv->out))
			return r;
		server_to_client(sv, t, piece);
	}
	return -999;
}

static struct rf__tls_ctx *client_ctx(const char *ca)
{
	struct rf__tls_opts o = {.ca_file = ca, .min_version = 12};
	struct rf__tls_ctx *ctx = NULL;
	char err[200];
	if (rf__tls_ctx_new(&o, &ctx, err, sizeof(err)))
		printf("# ctx: %s\n", err);
	return ctx;
}

/* Read all plaintext the client can produce right now (appending). */
static int read_more(struct rf__tls *t, char *buf, size_t cap, size_t *len)
{
	for (;;) {
		size_t got;
		const char *d;
		int r = rf__tls_read(t, buf + *len, cap - *len, &got, &d);
		*len += got;
		if (r != 0 || got == 0)
			return r;
	}
}

static int read_all(struct rf__tls *t, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	return read_more(t, buf, cap, len);
}

/* Deliver everything the server wrote, reading as the buffer fills. */
static int deliver_and_read(struct server *sv, struct rf__tls *t, size_t piece, char *buf,
                            size_t cap, size_t *len)
{
	*len = 0;
	int r = 0;
	do {
		server_to_client(sv, t, piece);
		r = read_more(t, buf, cap, len);
	} while (r == 0 && BIO_ctrl_pending(sv->out) > 0);
	return r;
}

int main(void)
{
	make_cert();
	struct rf__tls_ctx *ctx = client_ctx(ca_path);
	CHECK(ctx != NULL, "client context with a CA file");

	static const size_t pieces[] = {1, 2, 7, 100, 1000, 65536};
	for (size_t pi = 0; pi < sizeof(pieces) / sizeof(pieces[0]); pi++) {
		size_t piece = pieces[pi];
		struct server sv;
		server_new(&sv);
		struct rf__tls *t = NULL;
		rf__tls_new(ctx, "localhost", false, "localhost:443", &t);
		const char *detail = "";
		int r = handshake(t, &sv, piece, &detail);
		CHECK(r == 0 && SSL_is_init_finished(sv.ssl), "handshake in %zu-byte pieces (%d %s)",
		      piece, r, detail);

		/* request: plaintext in, ciphertext out */
		static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
		CHECK(rf__tls_write(t, req, sizeof(req) - 1, &detail) == 0, "write request");
		client_to_server(t, &sv);
		char got[200000];
		int n = SSL_read(sv.ssl, got, sizeof(got));
		CHECK(n == (int)sizeof(req) - 1 && memcmp(got, req, (size_t)n) == 0,
		      "server reads the request (%zu-byte pieces)", piece);

		/* response: 100 KB over several records, then close_notify */
		static char body[100000];
		for (size_t i = 0; i < sizeof(body); i++)
			body[i] = (char)(i * 7);
		SSL_write(sv.ssl, body, sizeof(body));
		SSL_shutdown(sv.ssl);
		size_t len;
		r = deliver_and_read(&sv, t, piece, got, sizeof(got), &len);
		CHECK(len == sizeof(body) && memcmp(got, body, len) == 0 && r == 1,
		      "100 KB then close_notify (%zu-byte pieces, r=%d len=%zu)", piece, r, len);
		CHECK(!rf__tls_buffered(t), "nothing left buffered");
		rf__tls_received(t, 0);
		CHECK(!rf__tls_eof_unclean(t), "clean close");
		rf__tls_free(t);
		server_free(&sv);
	}

	/* transport EOF without close_notify */
	struct server sv;
	server_new(&sv);
	struct rf__tls *t = NULL;
	rf__tls_new(ctx, "localhost", false, "localhost:443", &t);
	const char *detail;
	CHECK(handshake(t, &sv, 1000, &detail) == 0, "handshake (second connection)");
	CHECK(rf__tls_resumed(t), "second connection to the origin resumed its session");
	SSL_write(sv.ssl, "partial", 7);
	server_to_client(&sv, t, 1000);
	rf__tls_received(t, 0);
	char buf[64];
	size_t len;
	int r = read_all(t, buf, sizeof(buf), &len);
	CHECK(len == 7 && r == RF_ETRUNCATED && rf__tls_eof_unclean(t),
	      "EOF without close_notify is a truncation (r=%d len=%zu)", r, len);
	rf__tls_free(t);
	server_free(&sv);

	/* a server that closed without close_notify (after the ticket it sent
	 * on that connection) has not spoiled the session */
	server_new(&sv);
	rf__tls_new(ctx, "localhost", false, "localhost:443", &t);
	CHECK(handshake(t, &sv, 1000, &detail) == 0 && rf__tls_resumed(t),
	      "the connection after a truncated one still resumes");
	rf__tls_free(t);
	server_free(&sv);

	/* verification failures */
	server_new(&sv);
	rf__tls_new(ctx, "other.example", false, "other.example:443", &t);
	r = handshake(t, &sv, 1000, &detail);
	CHECK(r == RF_ETLS_VERIFY && strcmp(detail, "hostname mismatch") == 0,
	      "wrong host name: %s", detail);
	rf__tls_free(t);
	server_free(&sv);

	server_new(&sv);
	rf__tls_new(ctx, "127.0.0.2", true, "127.0.0.2:443", &t);
	r = handshake(t, &sv, 1000, &detail);
	CHECK(r == RF_ETLS_VERIFY && strcmp(detail, "IP address mismatch") == 0,
	      "wrong IP: %s", detail);
	rf__tls_free(t);
	server_free(&sv);

	server_new(&sv);
	rf__tls_new(ctx, "127.0.0.1", true, "127.0.0.1:443", &t);
	CHECK(handshake(t, &sv, 1000, &detail) == 0, "IP literal matched against the IP SAN");
	rf__tls_free(t);
	server_free(&sv);

	struct rf__tls_ctx *sys = client_ctx(NULL);
	server_new(&sv);
	rf__tls_new(sys, "localhost", false, "localhost:443", &t);
	r = handshake(t, &sv, 1000, &detail);
	CHECK(r == RF_ETLS_VERIFY && strstr(detail, "self-signed") != NULL,
	      "system store does not trust it: %s", detail);
	rf__tls_free(t);
	server_free(&sv);
	rf__tls_ctx_free(sys);

	/* garbage instead of a server */
	rf__tls_new(ctx, "localhost", false, "x:1", &t);
	rf__tls_handshake(t, &detail);
	size_t cap;
	char *in = rf__tls_recv_buf(t, &cap);
	memcpy(in, "HTTP/1.1 400 Bad Request\r\n\r\n", 29);
	rf__tls_received(t, 29);
	r = rf__tls_handshake(t, &detail);
	CHECK(r == RF_ETLS && strstr(detail, "wrong version number"), "plain HTTP answer: %s", detail);
	rf__tls_free(t);

	char err[200];
	struct rf__tls_opts bad = {.ca_file = "/nonexistent", .min_version = 12};
	struct rf__tls_ctx *bc = NULL;
	CHECK(rf__tls_ctx_new(&bad, &bc, err, sizeof(err)) == RF_ETLS_CONFIG &&
	          strstr(err, "cannot read CA file /nonexistent: No such file or directory"),
	      "missing CA file: %s", err);

	rf__tls_ctx_free(ctx);
	SSL_CTX_free(server_ctx);
	unlink(ca_path);
	X509_free(cert);
	EVP_PKEY_free(key);
	return tap_done();
}
