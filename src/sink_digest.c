/*
 * sink_digest.c - a body's digests: the checksum the request asks to
 * verify (rf_request.checksum) and the one the client prints
 * (rf_client_opts.digest), fed in body order while the bytes stream, over
 * the whole file when a resumed prefix was hashed first (sink_file.c).
 * One digest serves both when the algorithms agree.
 */
#include <errno.h>
#include <string.h>

#include "sink_stage.h"

static struct rf__digest *digest_for(struct rf__digest *have, const char *algo)
{
	if (have) {
		rf__digest_reset(have);
		return have;
	}
	return rf__digest_new(algo);
}

void rf__sink_digests_begin(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	struct rf__sink *k = &s->sink;
	k->digest_checked = false;
	k->digest_hex[0] = 0;
	if (r->check_algo)
		k->dg_check = digest_for(k->dg_check, r->check_algo);
	if (c->print_algo) {
		if (r->check_algo && strcmp(r->check_algo, c->print_algo) == 0) {
			if (k->dg_print != k->dg_check)
				rf__digest_free(k->dg_print);
			k->dg_print = k->dg_check;
		} else {
			if (k->dg_print == k->dg_check)
				k->dg_print = NULL;
			k->dg_print = digest_for(k->dg_print, c->print_algo);
		}
	}
	if ((r->check_algo && !k->dg_check) || (c->print_algo && !k->dg_print))
		rf__slot_error(s, -ENOMEM, false, NULL); /* never a fetch whose checksum goes unchecked */
}

void rf__sink_digest(struct rf__slot *s, const void *p, size_t n)
{
	if (s->sink.segment)
		return;
	if (s->sink.dg_check)
		rf__digest_update(s->sink.dg_check, p, n);
	if (s->sink.dg_print && s->sink.dg_print != s->sink.dg_check)
		rf__digest_update(s->sink.dg_print, p, n);
}

void rf__sink_digests_reset(struct rf__slot *s)
{
	if (s->sink.dg_check)
		rf__digest_reset(s->sink.dg_check);
	if (s->sink.dg_print && s->sink.dg_print != s->sink.dg_check)
		rf__digest_reset(s->sink.dg_print);
}

void rf__sink_digests_finish(struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	if (k->digest_checked || k->segment)
		return;
	k->digest_checked = true;
	unsigned char got[RF__DIGEST_MAX];
	char got_hex[2 * RF__DIGEST_MAX + 1];
	if (k->dg_check) {
		size_t n = rf__digest_final(k->dg_check, got);
		rf__hex(got, n, got_hex);
		if (k->dg_print == k->dg_check)
			memcpy(k->digest_hex, got_hex, sizeof(got_hex));
		struct rf__req *r = s->req;
		if (n != r->check_len || memcmp(got, r->check_want, n) != 0) {
			char want_hex[2 * RF__DIGEST_MAX + 1];
			rf__hex(r->check_want, r->check_len, want_hex);
			rf__slot_error(s, RF_ECHECKSUM, false, "expected %s %s, got %s", r->check_algo,
			               want_hex, got_hex);
		}
	}
	if (k->dg_print && k->dg_print != k->dg_check) {
		size_t n = rf__digest_final(k->dg_print, got);
		rf__hex(got, n, k->digest_hex);
	}
}

void rf__sink_digests_free(struct rf__sink *k)
{
	if (k->dg_print != k->dg_check)
		rf__digest_free(k->dg_print);
	rf__digest_free(k->dg_check);
	k->dg_print = k->dg_check = NULL;
}
