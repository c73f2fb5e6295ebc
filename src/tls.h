/*
 * tls.h - TLS for one connection through OpenSSL memory BIOs.
 *
 * The ring owns the socket; this module never sees a descriptor.  The slot
 * moves bytes:  ring recv -> rf__tls_recv_buf/rf__tls_received (ciphertext in)
 * -> rf__tls_read (plaintext out);  rf__tls_write (plaintext in) ->
 * rf__tls_out/rf__tls_sent (ciphertext out) -> ring send.
 */
#ifndef RF_TLS_H
#define RF_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct rf__tls_ctx;
struct rf__tls;

struct rf__tls_opts {
	const char *ca_file, *ca_path;
	const char *cert_file, *key_file;
	bool insecure;
	bool no_resume;    /* never offer or keep sessions: full handshakes only */
	bool keep_buffers; /* keep OpenSSL's record buffers between records
	                      (busy connections: no malloc/free per record) */
	int min_version;   /* 12 or 13 */
	const char *alpn;  /* the ALPN ids offered, in wire format (each one
	                      length-prefixed), or NULL: none */
};

/* One per client.  On failure returns a negative code and writes what went
 * wrong (file name and OpenSSL's reason) into err. */
int rf__tls_ctx_new(const struct rf__tls_opts *o, struct rf__tls_ctx **out, char *err, size_t errlen);
void rf__tls_ctx_free(struct rf__tls_ctx *ctx);

/* A client connection to host (a DNS name or an IP literal) for the origin
 * named cache_key; a session cached for that origin is offered. */
int rf__tls_new(struct rf__tls_ctx *ctx, const char *host, bool ip_literal, const char *cache_key,
                struct rf__tls **out);
void rf__tls_free(struct rf__tls *t);

/* Where the next ring recv should put ciphertext (and how much fits).
 * Unread ciphertext is kept: call only when a recv is about to be armed. */
void *rf__tls_recv_buf(struct rf__tls *t, size_t *cap);
/* Receive ciphertext in pieces of this size from now on (0: the default;
 * no recv may be in flight).  0 or -ENOMEM (the old buffer stays). */
int rf__tls_set_recv_size(struct rf__tls *t, size_t size);
/* n bytes of ciphertext arrived in the recv buffer (n == 0: transport EOF). */
void rf__tls_received(struct rf__tls *t, size_t n);

/* Advance the handshake: 0 when done, 1 to wait for I/O (send what
 * rf__tls_out has, then receive), or a negative code; *detail (static or
 * in t) then says why. */
int rf__tls_handshake(struct rf__tls *t, const char **detail);

/* Decrypt into buf: 0 and *got (0 = more ciphertext needed), 1 when the
 * peer sent close_notify, or a negative code with *detail. */
int rf__tls_read(struct rf__tls *t, void *buf, size_t cap, size_t *got, const char **detail);

/* Encrypt len plaintext bytes (all of them, output queued). */
int rf__tls_write(struct rf__tls *t, const void *buf, size_t len, const char **detail);

/* Ciphertext waiting to be sent (NULL when none); rf__tls_sent(n) after n
 * bytes of it went out. */
const void *rf__tls_out(struct rf__tls *t, size_t *len);
void rf__tls_sent(struct rf__tls *t, size_t n);

/* Decrypted or undecrypted bytes are buffered: read before receiving more. */
bool rf__tls_buffered(struct rf__tls *t);
/* The transport ended without close_notify. */
bool rf__tls_eof_unclean(const struct rf__tls *t);
/* This connection resumed a cached session. */
bool rf__tls_resumed(const struct rf__tls *t);
/* The protocol ALPN agreed on, *id[0..return) (0: none). */
size_t rf__tls_alpn(const struct rf__tls *t, const unsigned char **id);

#endif
