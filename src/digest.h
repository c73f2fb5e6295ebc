/*
 * digest.h - streaming message digests (OpenSSL EVP) and checksum specs.
 */
#ifndef RF_DIGEST_H
#define RF_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define RF__DIGEST_MAX 64 /* bytes: SHA-512 */

struct rf__digest;

/* The EVP name for a user-facing algorithm name ("sha-256", "sha256",
 * "SHA-512", "sha-1", "md5"), or NULL when unknown. */
const char *rf__digest_evp_name(const char *algo);
/* The canonical user-facing name ("sha-256") of an algorithm. */
const char *rf__digest_canonical(const char *algo);

/* Parse "ALGO=HEX": returns 0 and the canonical algorithm and raw expected
 * bytes, or RF_EINVAL with *why. */
int rf__checksum_parse(const char *spec, const char **algo, unsigned char *want, size_t *want_len,
                       const char **why);

struct rf__digest *rf__digest_new(const char *algo);
void rf__digest_free(struct rf__digest *d);
void rf__digest_reset(struct rf__digest *d);
void rf__digest_update(struct rf__digest *d, const void *p, size_t n);
/* Finish: raw bytes into out (RF__DIGEST_MAX), returns the length. */
size_t rf__digest_final(struct rf__digest *d, unsigned char *out);

void rf__hex(const unsigned char *p, size_t n, char *out);

#endif
