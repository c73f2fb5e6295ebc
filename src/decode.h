/*
 * decode.h - Content-Encoding decoders (gzip, deflate, br, zstd) behind one
 * streaming interface, for rf_client_opts.compressed.  A leaf: it returns
 * codes and calls nothing of the engine.
 */
#ifndef RF_DECODE_H
#define RF_DECODE_H

#include <stdbool.h>
#include <stddef.h>

struct rf__decoder;

/* The Accept-Encoding value a request offers: every coding decoded here. */
const char *rf__decode_accept(void);
/* Is this Content-Encoding value empty or "identity" (nothing to decode)? */
bool rf__decode_identity(const char *content_encoding);
/* A decoder for one Content-Encoding value: 0, RF_EDECODE (unknown, or
 * several codings stacked), or -ENOMEM. */
int rf__decoder_new(const char *content_encoding, struct rf__decoder **out);
void rf__decoder_free(struct rf__decoder *d);
/* Decode from in[0..in_len) into out[0..cap): *used input bytes taken,
 * *made output bytes written (call again while input is left; at least
 * one of them moves when both in_len and cap are non-zero).  0, or
 * RF_EDECODE with rf__decoder_why saying what was wrong, or -ENOMEM. */
int rf__decoder_step(struct rf__decoder *d, const void *in, size_t in_len, size_t *used, void *out,
                     size_t cap, size_t *made);
/* The body has ended: 0 if its stream ended too, else RF_EDECODE. */
int rf__decoder_end(struct rf__decoder *d);
bool rf__decoder_ended(const struct rf__decoder *d);
const char *rf__decoder_why(const struct rf__decoder *d);

#endif
