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
 * of its own (client.c).  A body of unknown length (chunked, to the
 * close, or decoded with --compressed) is staged: written through the
 * ring into an unnamed file (O_TMPFILE) in the shards' directory, then,
 * once complete, its region reserved and the file copied into it through
 * the ring, 256 KiB at a time.  Memory per sample: its header and
 * KEY.json's room, and that copy buffer while copying.
 */
#include <errno.h>
#include <fcntl.h>
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
	if (ok && len < sizeof(from_url)) { /* (len <= 8: said again for the optimizer) */
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

#define STAGE_CHUNK (256 * 1024) /* a staged body is copied this much at a time */

/* The finishing steps (rf__sink.member_step). */
enum {
	STEP_BODY,    /* the body is coming in (into the shard, or staged) */
	STEP_COPYING, /* a staged body is being copied into its region */
	STEP_META,    /* KEY.json (or the void) is going out */
	STEP_DONE,
};

static void member_write(rf_client *c, struct rf__slot *s, const char *buf, size_t len, uint64_t at)
{
	s->sink.member_want = len;
	s->sink.member_writing = true;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_MEMBER_WRITE, 0), rf__archive_fd(&s->sink.member), buf,
	             (unsigned)len, (int64_t)at);
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

/* Reserve the sample's region for a body of len bytes and send KEY.EXT's
 * header: 0, or an error recorded in the slot. */
static int reserve(rf_client *c, struct rf__slot *s, uint64_t len)
{
	struct rf__sink *k = &s->sink;
	char ext[16], name[RF_NAME_MAX + 32], json_name[RF_NAME_MAX + 32];
	extension(s, ext, sizeof(ext));
	snprintf(name, sizeof(name), "%s.%s", s->req->path, ext);
	snprintf(json_name, sizeof(json_name), "%s.json", s->req->path);
	uint64_t room = json_room(s);
	size_t head = rf__tar_member_head_len(strlen(name), len);
	size_t json_head = rf__tar_member_head_len(strlen(json_name), room);
	uint64_t total = head + rf__tar_padded(len) + json_head + room;
	free(k->member_buf);
	if (!(k->member_buf = malloc(json_head + room > head ? json_head + room : head))) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return -ENOMEM;
	}
	int err = rf__archive_reserve(c->archive, total, &k->member);
	if (err) {
		char why[512];
		rf__slot_error(s, err, true, "--tar: %s", rf__archive_why(c->archive, why, sizeof(why)));
		return err;
	}
	free(k->target);
	k->target = strdup(rf__archive_path(&k->member)); /* the shard: rf_result.path */
	k->body_at = k->member.at + head;
	k->json_at = k->body_at + rf__tar_padded(len);
	k->json_room = room;
	rf__tar_member_head(k->member_buf, head, name, len, (int64_t)time(NULL));
	member_write(c, s, k->member_buf, head, k->member.at);
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
	s->next_off = 0;
	if (!s->resp.has_length || k->dec) {
		/* no length to reserve: the body goes to an unnamed file in the
		 * shards' directory first, and is copied into its region at the end */
		k->staged = true;
		k->stage_opening = true;
		k->base = 0;
		rf__op_open(c->loop, rf__slot_op(s, RF__OP_OPEN, 0), rf__archive_dir(c->archive),
		            O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		return;
	}
	if (!reserve(c, s, s->resp.content_length))
		k->base = (int64_t)k->body_at; /* the stage writes the body at its offsets */
}

static int archive_target(const struct rf__slot *s, bool *positional)
{
	*positional = true;
	if (s->sink.staged)
		return s->sink.stage_fd;
	return s->sink.member.shard ? rf__archive_fd(&s->sink.member) : -1;
}

/* The next piece of a staged body: read it back (the write follows). */
static void copy_next(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	uint64_t left = k->stage_len - k->stage_copied;
	if (!left)
		return;
	k->stage_reading = true;
	rf__op_read_at(c->loop, rf__slot_op(s, RF__OP_STAGE_READ, 0), k->stage_fd, k->stage_buf,
	               (unsigned)(left < STAGE_CHUNK ? left : STAGE_CHUNK), k->stage_copied);
}

static bool archive_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	struct rf__sink *k = &s->sink;
	switch (op) {
	case RF__OP_OPEN:
		k->stage_opening = false;
		if (res < 0)
			rf__sink_fail_path(s, res, "cannot stage a body of unknown length in",
			                   rf__archive_dir(c->archive));
		else
			k->stage_fd = res;
		return false;
	case RF__OP_STAGE_READ:
		k->stage_reading = false;
		if (res <= 0) {
			rf__sink_fail_path(s, res < 0 ? res : -EIO, "read back", "the staged body");
			return false;
		}
		if (!rf__slot_abandoned(s) && !s->err) {
			uint64_t at = k->body_at + k->stage_copied;
			k->stage_copied += (uint64_t)res;
			s->sink.member_want = (size_t)res;
			s->sink.member_writing = true;
			rf__op_write(c->loop, rf__slot_op(s, RF__OP_MEMBER_WRITE, 0),
			             rf__archive_fd(&k->member), k->stage_buf, (unsigned)res, (int64_t)at);
		}
		return false;
	case RF__OP_MEMBER_WRITE:
		k->member_writing = false;
		if (res < 0 || (size_t)res != k->member_want) { /* a region is written whole or not at all */
			/* a header, KEY.json or void that is not on disk: the shard is not
			 * whole (a zero block would end it early), it keeps its .part */
			rf__archive_member_failed(c->archive, &k->member, res < 0 ? res : -EIO);
			rf__sink_fail_path(s, res < 0 ? res : -EIO, "write", s->sink.ops->shown(s));
		} else if (k->member_step == STEP_COPYING && !s->err)
			copy_next(c, s);
		return false;
	default:
		return false;
	}
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
	k->voided = true;
	member_write(c, s, k->member_buf, RF__TAR_BLOCK + start_len, k->member.at);
}

/* The staged file is no longer needed. */
static void stage_close(rf_client *c, struct rf__slot *s)
{
	if (s->sink.stage_fd >= 0)
		rf__op_close(c->loop, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0), s->sink.stage_fd);
	s->sink.stage_fd = -1;
}

static bool archive_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	struct rf__sink *k = &s->sink;
	int err;
	if (k->member_writing || k->stage_reading || k->stage_opening)
		return false;
	failed |= s->err != 0;
	switch (k->member_step) {
	case STEP_BODY:
		if (failed || !k->staged) {
			stage_close(c, s);
			if (!k->member.shard)
				return true; /* nothing reserved */
			k->member_step = STEP_META;
			if (failed)
				write_void(c, s);
			else
				write_json(c, s);
			return false;
		}
		/* the staged body is complete: its region, then the copy */
		k->stage_len = s->bytes;
		k->member_step = STEP_COPYING;
		if (reserve(c, s, k->stage_len) || !(k->stage_buf = malloc(STAGE_CHUNK))) {
			if (!s->err)
				rf__slot_error(s, -ENOMEM, true, NULL);
			return false; /* the head write, if any, is waited for; then the void */
		}
		return false; /* the head's completion starts the copy */
	case STEP_COPYING:
		if (!failed && k->stage_copied < k->stage_len)
			return false; /* cannot be: a read or write would be in flight */
		stage_close(c, s);
		k->member_step = STEP_META;
		if (!k->member.shard)
			return true;
		if (failed)
			write_void(c, s);
		else
			write_json(c, s);
		return false;
	case STEP_META:
		if (k->void_tail && !k->member_written_tail) {
			k->member_written_tail = true;
			k->member_buf[0] = '\n';
			member_write(c, s, k->member_buf, 1, k->member.end - 1);
			return false;
		}
		k->member_step = STEP_DONE;
		if ((err = rf__archive_member_done(c->archive, &k->member, k->voided)) && !s->err) {
			char why[512];
			rf__slot_error(s, err, true, "--tar: %s",
			               rf__archive_why(c->archive, why, sizeof(why)));
		} else if (!k->voided && !s->err &&
		           (err = rf__archive_supersede(c->archive, s->req->shown_url)))
			rf__slot_error(s, err, true, "--tar -c: an earlier failure's sample of it stays: %s",
			               strerror(-err));
		return true;
	default:
		return true;
	}
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
