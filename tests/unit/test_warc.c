/* test_warc.c - WARC records read by other people's readers: a file of a
 * warcinfo, a request and a response record, each its own gzip member,
 * parsed member by member and its block digests recomputed by Python, and
 * indexed by Webrecorder's warcio (npm; scripts/deps installs it into
 * tests/node, $WARCIO names it).  Base32 digests against RFC 4648's
 * vectors; record IDs are version 4 UUIDs, all different. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digest.h"
#include "tap.h"
#include "warc.h"
#include "warc_file.h"

static FILE *out;

static void record(const char *type, const char *id, const char *uri, const char *concurrent,
                   const char *content_type, const char *block, size_t len, bool payload_digest)
{
	struct rf__digest *d = rf__digest_new("sha-1");
	unsigned char sha[64];
	char digest[RF__WARC_DIGEST_LEN], payload[RF__WARC_DIGEST_LEN];
	rf__digest_update(d, block, len);
	rf__digest_final(d, sha);
	rf__warc_sha1(sha, digest);
	const char *body = payload_digest ? strstr(block, "\r\n\r\n") : NULL;
	if (body) {
		rf__digest_reset(d);
		rf__digest_update(d, body + 4, len - (size_t)(body + 4 - block));
		rf__digest_final(d, sha);
		rf__warc_sha1(sha, payload);
	}
	rf__digest_free(d);
	struct rf__warc_record r = {.type = type, .id = id, .date_us = 1796360000123456, .target_uri = uri,
	                            .ip = uri ? "127.0.0.1" : NULL, .concurrent_to = concurrent,
	                            .block_digest = digest, .payload_digest = body ? payload : NULL,
	                            .content_type = content_type, .length = len,
	                            .filename = uri ? NULL : "t.warc.gz"};
	char head[2048];
	size_t n = rf__warc_head(head, sizeof(head), &r);
	CHECK(n < sizeof(head) && rf__warc_head(NULL, 0, &r) == n, "%s head: %zu bytes, and that length asked for",
	      type, n);
	unsigned char *gz = NULL;
	size_t gz_len = 0;
	struct rf__warc_zip *zp = rf__warc_zip_new(RF__WARC_GZIP);
	CHECK(zp && rf__warc_record_bytes(zp, &r, block, len, &gz, &gz_len) == 0, "%s record gzipped on its own",
	      type);
	rf__warc_zip_free(zp);
	fwrite(gz, 1, gz_len, out);
	free(gz);
}

int main(void)
{
	/* RFC 4648 section 10: base32 of "foobar" is MZXW6YTBOI====== (the
	 * digest form has no padding: 20 bytes are 32 digits) */
	unsigned char sha[20] = {0};
	char s[RF__WARC_DIGEST_LEN];
	memcpy(sha, "fooba", 5);
	rf__warc_sha1(sha, s);
	CHECK(strncmp(s, "sha1:MZXW6YTB", 13) == 0 && strlen(s) == 37, "base32 as RFC 4648: %s", s);
	char a[RF__WARC_ID_LEN], b[RF__WARC_ID_LEN], info[RF__WARC_ID_LEN];
	rf__warc_id(a);
	rf__warc_id(b);
	rf__warc_id(info);
	CHECK(strlen(a) == 47 && strncmp(a, "<urn:uuid:", 10) == 0 && a[24] == '4' && strchr("89ab", a[29]) &&
	          strcmp(a, b) != 0,
	      "record IDs: version 4 UUIDs, different (%s)", a);

	char dir[] = "/tmp/rf-warc-XXXXXX";
	if (!mkdtemp(dir))
		return 99;
	char path[300];
	snprintf(path, sizeof(path), "%s/t.warc.gz", dir);
	out = fopen(path, "wb");
	const char *fields = "software: ringfetch\r\nformat: WARC File Format 1.1\r\n";
	record("warcinfo", info, NULL, NULL, "application/warc-fields", fields, strlen(fields), false);
	const char *req = "GET /a HTTP/1.1\r\nHost: 127.0.0.1:1\r\nAuthorization: ***\r\n\r\n";
	record("request", a, "http://127.0.0.1:1/a", b, "application/http;msgtype=request", req, strlen(req),
	       false);
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	record("response", b, "http://127.0.0.1:1/a", a, "application/http;msgtype=response", resp, strlen(resp),
	       true);
	fclose(out);

	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
	         "python3 - '%s' <<'EOF'\n"
	         "import base64, hashlib, sys, zlib\n"
	         "data = open(sys.argv[1], 'rb').read()\n"
	         "recs = []\n"
	         "while data:\n"
	         "    d = zlib.decompressobj(31)\n"
	         "    rec = d.decompress(data)\n"
	         "    assert d.eof, 'a record is one whole gzip member'\n"
	         "    data = d.unused_data\n"
	         "    head, _, rest = rec.partition(b'\\r\\n\\r\\n')\n"
	         "    f = dict(l.split(': ', 1) for l in head.decode().split('\\r\\n')[1:])\n"
	         "    n = int(f['Content-Length'])\n"
	         "    block = rest[:n]\n"
	         "    assert rest[n:] == b'\\r\\n\\r\\n', rest[n:]\n"
	         "    want = 'sha1:' + base64.b32encode(hashlib.sha1(block).digest()).decode()\n"
	         "    assert f['WARC-Block-Digest'] == want, (f, want)\n"
	         "    if 'WARC-Payload-Digest' in f:\n"
	         "        p = block.partition(b'\\r\\n\\r\\n')[2]\n"
	         "        assert f['WARC-Payload-Digest'] == 'sha1:' + base64.b32encode(hashlib.sha1(p).digest()).decode()\n"
	         "    assert f['WARC-Date'] == '2026-12-04T04:53:20.123456Z', f['WARC-Date']\n"
	         "    recs.append(f['WARC-Type'])\n"
	         "assert recs == ['warcinfo', 'request', 'response'], recs\n"
	         "EOF",
	         path);
	CHECK(system(cmd) == 0, "three gzip members, each a record, digests as Python computes them");
	const char *warcio = getenv("WARCIO");
	if (!warcio || !*warcio) {
		printf("# WARCIO is not set (scripts/deps installs warcio into tests/node)\n");
		CHECK(0, "warcio is there to read the file");
	} else {
		snprintf(cmd, sizeof(cmd),
		         "'%s' index '%s' > %s/index && "
		         "python3 -c \"import json,sys; r=[json.loads(l) for l in open('%s/index')]; "
		         "assert [x['warc-type'] for x in r]==['warcinfo','request','response'], r; "
		         "assert r[2]['warc-target-uri']=='http://127.0.0.1:1/a', r; "
		         "assert r[0]['offset']==0 and r[1]['offset']>0, r\"",
		         warcio, path, dir, dir);
		CHECK(system(cmd) == 0, "warcio indexes the three records, at their members' offsets");
	}

	/* a record too big to hold: pieces compressed apart (the head last, as
	 * its digests are known only then), one gzip member all the same */
	struct rf__warc_zip *zp = rf__warc_zip_new(RF__WARC_GZIP);
	static char body[300000];
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)((i * 7919) % 251 < 60 ? 'a' + i % 26 : (i * 31) % 256);
	const char *whead = "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 300000\r\n\r\n";
	uLong crc_body = crc32(0, NULL, 0);
	unsigned char *pieces[3], *hp, *tp;
	size_t piece_len[3], hp_len, tp_len;
	bool ok = zp != NULL;
	for (int i = 0; i < 3 && ok; i++) {
		ok = rf__warc_piece(zp, body + i * 100000, 100000, false, &pieces[i], &piece_len[i]) == 0;
		crc_body = crc32_combine(crc_body, crc32(0, (unsigned char *)body + i * 100000, 100000), 100000);
	}
	ok = ok && rf__warc_piece(zp, whead, strlen(whead), false, &hp, &hp_len) == 0 &&
	     rf__warc_piece(zp, RF__WARC_TAIL, 4, true, &tp, &tp_len) == 0;
	CHECK(ok, "pieces compressed: the body in three, the head, the tail");
	if (ok) {
		snprintf(path, sizeof(path), "%s/pieces.gz", dir);
		out = fopen(path, "wb");
		unsigned char gz[RF__GZIP_HEAD], trailer[RF__GZIP_TRAILER];
		rf__warc_gzip_head(gz);
		fwrite(gz, 1, sizeof(gz), out);
		fwrite(hp, 1, hp_len, out);
		for (int i = 0; i < 3; i++)
			fwrite(pieces[i], 1, piece_len[i], out);
		fwrite(tp, 1, tp_len, out);
		uLong crc = crc32(0, (const unsigned char *)whead, (uInt)strlen(whead));
		crc = crc32_combine(crc, crc_body, sizeof(body));
		crc = crc32_combine(crc, crc32(0, (const unsigned char *)RF__WARC_TAIL, 4), 4);
		rf__warc_gzip_trailer((uint32_t)crc, strlen(whead) + sizeof(body) + 4, trailer);
		fwrite(trailer, 1, sizeof(trailer), out);
		fclose(out);
		for (int i = 0; i < 3; i++)
			free(pieces[i]);
		free(hp);
		free(tp);
		snprintf(cmd, sizeof(cmd),
		         "gzip -t '%s' && python3 -c \"import zlib,sys; d=zlib.decompressobj(31); "
		         "r=d.decompress(open('%s','rb').read()); assert d.eof and not d.unused_data; "
		         "assert r.startswith(b'WARC/1.1') and r.endswith(b'\\r\\n\\r\\n') and len(r)==%zu, len(r)\"",
		         path, path, strlen(whead) + sizeof(body) + 4);
		CHECK(system(cmd) == 0, "gzip -t and Python read the stitched pieces as one member, whole");
	}
	rf__warc_zip_free(zp);

	/* the entity body of a response as received: de-chunked */
	const char *chunked = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
	                      "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
	char *ent;
	size_t ent_len;
	CHECK(rf__warc_entity(chunked, strlen(chunked), &ent, &ent_len) == 0 && ent_len == 11 &&
	          memcmp(ent, "hello world", 11) == 0,
	      "a chunked body de-chunked for its payload digest");
	free(ent);
	CHECK(rf__warc_entity(chunked, strlen(chunked) - 9, &ent, &ent_len) == -1 && !ent,
	      "a chunked body cut short has no entity");
	const char *plain = "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 3\r\n\r\nabc";
	CHECK(rf__warc_entity(plain, strlen(plain), &ent, &ent_len) == 0 && ent_len == 3 &&
	          memcmp(ent, "abc", 3) == 0,
	      "a body with a length is itself");
	free(ent);

	/* SURT keys as warcio (npm) computes them (its getSurt, run by node) */
	static const char *const surts[][2] = {
		{"http://www.Example.com:80/A/b?z=1&a=2#f", "com,example)/a/b?a=2&z=1"},
		{"https://example.com:8443", "com,example:8443)/"},
		{"http://127.0.0.1:8080/x", "1,0,0,127:8080)/x"},
		{"http://user:pw@www2.site.org/", "org,site,www2)/"},
		{"ftp://x/y", "ftp://x/y"},
		{"http://[::1]:8080/p", "[::1]:8080)/p"},
		{"https://www.example.com:443/?b&a=1&A=0", "com,example)/?a=0&a=1&b"},
		{"http://wwwx.example.com/", "com,example,wwwx)/"},
		{"http://www7.example.com/a%20b?q=%41", "com,example)/a%20b?q=%41"},
	};
	for (size_t i = 0; i < sizeof(surts) / sizeof(surts[0]); i++) {
		char key[256];
		size_t n = rf__warc_surt(surts[i][0], key, sizeof(key));
		CHECK(n == strlen(surts[i][1]) && strcmp(key, surts[i][1]) == 0, "SURT of %s: %s", surts[i][0], key);
	}
	char small[8];
	CHECK(rf__warc_surt("http://example.com/long", small, sizeof(small)) == 17 && strlen(small) == 7,
	      "a SURT that does not fit: its length, cut");

	/* -N's table of payloads: a record that was not written is forgotten,
	 * the others (their runs of the open addressing closed up) stay */
	char wpath[300], why[256] = "";
	snprintf(wpath, sizeof(wpath), "%s/n.warc.gz", dir);
	rf_warc_opts wo = {.path = wpath, .dedup = 1};
	struct rf__warc_files *wf = NULL;
	CHECK(rf__warc_files_new(&wo, false, &wf, why, sizeof(why)) == 0, "a WARC file set (%s)", why);
	enum { PAYLOADS = 3000 };
	int fresh = 0, found = 0, again = 0;
	for (int i = 0; wf && i < PAYLOADS; i++) {
		char d[40], u[40], *ref = NULL, date[40];
		snprintf(d, sizeof(d), "sha1:%032d", i % 7 == 0 ? i / 7 : PAYLOADS + i);
		snprintf(u, sizeof(u), "http://x/%d", i);
		fresh += rf__warc_files_revisit(wf, d, u, "2026-12-04T00:00:00Z", &ref, date) == 0;
		free(ref);
		if (i % 3 == 0)
			rf__warc_files_forget(wf, d, u, "2026-12-04T00:00:00Z");
	}
	for (int i = 0; wf && i < PAYLOADS; i++) {
		char d[40], *ref = NULL, date[40];
		snprintf(d, sizeof(d), "sha1:%032d", i % 7 == 0 ? i / 7 : PAYLOADS + i);
		char want[40];
		snprintf(want, sizeof(want), "http://x/%d", i);
		int r = rf__warc_files_revisit(wf, d, "http://y/", "2026-12-04T00:00:01Z", &ref, date);
		if (i % 3 == 0) {
			again += r == 0;
			rf__warc_files_forget(wf, d, "http://y/", "2026-12-04T00:00:01Z");
		} else {
			found += r == 1 && ref && strcmp(ref, want) == 0;
		}
		free(ref);
	}
	CHECK(fresh == PAYLOADS && found == PAYLOADS - (PAYLOADS + 2) / 3 && again == (PAYLOADS + 2) / 3,
	      "remembered %d, forgotten %d, the rest found with their own URI: %d", fresh, again, found);
	rf__warc_files_free(wf);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
