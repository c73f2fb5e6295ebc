/*
 * sink_archive.c - the archive sink kind (RF_SINK_ARCHIVE): a body written
 * as one sample of the client's tar shards (archive.h), KEY.EXT followed by
 * KEY.json, webdataset's layout.
 *
 * When the response's header section is in, the sample's whole region is
 * reserved (the body's length is known: it is written where it belongs,
 * at offsets, by the stage every kind shares; KEY.json gets a fixed room
 * sized from the URLs, its text padded with spaces) and KEY.EXT's header
 * goes out.  When the body is all written, KEY.json's text goes into its
 * room.  A failed attempt voids its region (one pax comment, tar.h) so no
 * reader sees a partial body; the URL's failure, once final, is a KEY.json
 * of its own (client.c).  A body of unknown length (chunked, or decoded
 * with --compressed) is refused for now: it would need staging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "archive.h"
#include "sink_stage.h"
#include "tar.h"

/* ---- the sample's names ---- */

/* EXT: the final URL's file extension (1-8 letters or digits), else one
 * for the Content-Type, else "bin"; a JSON body is "body.json" (KEY.json
 * is the metadata). */
static void extension(const struct rf__slot *s, char *out, size_t cap)
{
	static const struct {
		const char *type, *ext;
	} types[] = {
		{"image/jpeg", "jpg"}, {"image/png", "png"},       {"image/webp", "webp"},
		{"image/gif", "gif"},  {"text/html", "html"},      {"text/plain", "txt"},
		{"text/css", "css"},   {"application/pdf", "pdf"}, {"application/json", "json"},
		{"audio/mpeg", "mp3"}, {"video/mp4", "mp4"},       {"application/xml", "xml"},
	};
	const char *path = s->req->u.target ? s->req->u.target : "";
	size_t n = strcspn(path, "?#");
	const char *slash = path, *dot = NULL;
	for (size_t i = 0; i < n; i++) {
		if (path[i] == '/')
			slash = path + i, dot = NULL;
		else if (path[i] == '.')
			dot = path + i;
	}
	(void)slash;
	size_t len = dot ? (size_t)(path + n - dot - 1) : 0;
	bool ok = len >= 1 && len <= 8;
	for (size_t i = 0; ok && i < len; i++)
		ok = (dot[1 + i] >= 'a' && dot[1 + i] <= 'z') || (dot[1 + i] >= 'A' && dot[1 + i] <= 'Z') ||
		     (dot[1 + i] >= '0' && dot[1 + i] <= '9');
	const char *ext = NULL;
	char from_url[16];
	if (ok) {
		for (size_t i = 0; i < len; i++)
			from_url[i] =
				(char)(dot[1 + i] | ((dot[1 + i] >= 'A' && dot[1 + i] <= 'Z') ? 0x20 : 0));
		from_url[len] = 0;
		ext = from_url;
	}
	for (size_t i = 0; !ext && i < sizeof(types) / sizeof(types[0]); i++) {
		size_t tl = strlen(types[i].type);
		if (strncasecmp(s->resp.content_type, types[i].type, tl) == 0 &&
		    (s->resp.content_type[tl] == 0 || s->resp.content_type[tl] == ';' ||
		     s->resp.content_type[tl] == ' '))
			ext = types[i].ext;
	}
	if (!ext)
		ext = "bin";
	snprintf(out, cap, "%s", strcmp(ext, "json") == 0 ? "body.json" : ext);
}

/* The room KEY.json's text gets: enough for every field at its longest
 * (strings escaped at worst 6 bytes a byte), a multiple of 512. */
static uint64_t json_room(const struct rf__slot *s)
{
	size_t strings = strlen(s->req->path) + strlen(s->req->url) + strlen(s->req->cur_url) +
	                 strlen(s->resp.content_type) + strlen(s->resp.etag) + strlen(s->resp.last_modified);
	return rf__tar_padded(1024 + 6 * strings);
}

/* ---- the kind ---- */

static int member_write(rf_client *c, struct rf__slot *s, const char *buf, size_t len, uint64_t at)
{
	s->sink.member_want = len;
	s->sink.member_writing = true;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_MEMBER_WRITE, 0), rf__archive_fd(&s->sink.member), buf,
	             (unsigned)len, (int64_t)at);
	return 0;
}

static int archive_check(const rf_request *rq, const char **why)
{
	if (!rq->path || !*rq->path) {
		*why = "an archive sample needs its key (path)";
		return RF_EINVAL;
	}
	for (const char *p = rq->path; *p; p++) {
		if (*p == '/' || *p == '.' || (unsigned char)*p < 0x20) {
			*why = "an archive key may not hold '/', '.' or control bytes";
			return RF_EINVAL;
		}
	}
	return 0;
}

static void archive_headers(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	rf__sink_whole_headers(c, s);
	if (s->err)
		return;
	if (!c->archive) {
		rf__slot_error(s, RF_EINVAL, true, "no archive: rf_client_tar was not called");
		return;
	}
	if (!s->resp.has_length || k->dec) {
		rf__slot_error(s, RF_EINVAL, false,
		               "--tar needs a body of known length; this one has none (%s): not archived",
		               k->dec ? "decoded" : "chunked, or to the close");
		return;
	}
	char ext[16], name[RF_NAME_MAX + 32], json_name[RF_NAME_MAX + 32];
	extension(s, ext, sizeof(ext));
	snprintf(name, sizeof(name), "%s.%s", s->req->path, ext);
	snprintf(json_name, sizeof(json_name), "%s.json", s->req->path);
	uint64_t len = s->resp.content_length, room = json_room(s);
	size_t head = rf__tar_member_head_len(strlen(name), len);
	size_t json_head = rf__tar_member_head_len(strlen(json_name), room);
	uint64_t total = head + rf__tar_padded(len) + json_head + room;
	free(k->member_buf);
	if (!(k->member_buf = malloc(json_head + room > head ? json_head + room : head))) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return;
	}
	int err = rf__archive_reserve(c->archive, total, &k->member);
	if (err) {
		rf__slot_error(s, err, true, "--tar: %s", c->archive->why);
		return;
	}
	free(k->target);
	k->target = strdup(rf__archive_path(&k->member)); /* the shard: rf_result.path */
	k->base = (int64_t)(k->member.at + head);
	k->json_at = k->member.at + head + rf__tar_padded(len);
	k->json_room = room;
	s->next_off = 0;
	rf__tar_member_head(k->member_buf, head, name, len, (int64_t)time(NULL));
	member_write(c, s, k->member_buf, head, k->member.at);
}

static int archive_target(const struct rf__slot *s, bool *positional)
{
	*positional = true;
	return s->sink.member.shard ? rf__archive_fd(&s->sink.member) : -1;
}

static bool archive_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	(void)c;
	if (op != RF__OP_MEMBER_WRITE)
		return false;
	s->sink.member_writing = false;
	if (res < 0 || (size_t)res != s->sink.member_want) /* a region is written whole or not at all */
		rf__sink_fail_path(s, res < 0 ? res : -EIO, "write", s->sink.ops->shown(s));
	return false;
}

/* KEY.json into its room: the header, the text, spaces to the end. */
static void write_json(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	char json_name[RF_NAME_MAX + 32];
	snprintf(json_name, sizeof(json_name), "%s.json", s->req->path);
	size_t json_head = rf__tar_member_head_len(strlen(json_name), k->json_room);
	rf__tar_member_head(k->member_buf, json_head, json_name, k->json_room, (int64_t)time(NULL));
	char *text = k->member_buf + json_head;
	char shown_final[RF__URL_MAX + 300];
	const char *final = s->req->cur_url == s->req->url
	                            ? s->req->shown_url
	                            : rf__url_redact(s->req->cur_url, shown_final, sizeof(shown_final));
	size_t n =
		rf__archive_json(text, k->json_room, s->req->path, s->req->shown_url, final, s->resp.status,
	                         s->resp.content_type, s->resp.etag, s->resp.last_modified, s->bytes,
	                         c->print_algo ? c->print_algo : s->req->check_algo, k->digest_hex,
	                         s->req->t_start ? (double)(c->now - s->req->t_start) / 1e9 : 0, NULL);
	if (n >= k->json_room) /* cannot be: the room counts every byte at its longest */
		n = k->json_room - 1;
	memset(text + n, ' ', k->json_room - n);
	text[k->json_room - 1] = '\n';
	member_write(c, s, k->member_buf, json_head + k->json_room, k->json_at);
}

/* The region is no sample: one pax comment over all of it. */
static void write_void(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	uint64_t len = k->member.end - k->member.at;
	size_t start_len = 0;
	rf__tar_void(len, k->member_buf, k->member_buf + RF__TAR_BLOCK, 64, &start_len);
	k->void_tail = len > RF__TAR_BLOCK; /* then a '\n' ends the record */
	member_write(c, s, k->member_buf, RF__TAR_BLOCK + start_len, k->member.at);
}

static bool archive_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	struct rf__sink *k = &s->sink;
	if (k->member_writing)
		return false;
	if (!k->member.shard)
		return true; /* nothing reserved */
	failed |= s->err != 0;
	if (k->member_step == 0) {
		k->member_step = 1;
		if (failed)
			write_void(c, s);
		else
			write_json(c, s);
		return false;
	}
	if (k->member_step == 1 && k->void_tail && !k->member_written_tail) {
		k->member_written_tail = true;
		k->member_buf[0] = '\n';
		member_write(c, s, k->member_buf, 1, k->member.end - 1);
		return false;
	}
	if (rf__archive_member_done(c->archive, &k->member) && !s->err)
		rf__slot_error(s, c->archive->err, true, "--tar: %s", c->archive->why);
	return true;
}

static const char *archive_shown(const struct rf__slot *s)
{
	return s->sink.target ? s->sink.target : "the archive";
}

static const char *archive_final_path(const struct rf__slot *s, const char *path)
{
	(void)path;
	return s->sink.target;
}

const struct rf__sink_ops rf__sink_archive_ops = {
	.kind = "archive",
	.check = archive_check,
	.headers = archive_headers,
	.target = archive_target,
	.on_completion = archive_on_completion,
	.finish = archive_finish,
	.shown = archive_shown,
	.final_path = archive_final_path,
};
