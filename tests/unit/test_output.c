/* test_output.c - a client-owned output (output.c): regions at its own
 * write position never interleave, whatever order their writes complete
 * in; the end writes the trailer and renames; a failed or unfinished
 * output leaves only its .part. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "tap.h"

static ssize_t two_zero_blocks(struct rf__output *o, char *buf, size_t cap)
{
	(void)o;
	if (cap < 1024)
		return -1;
	memset(buf, 0, 1024);
	return 1024;
}

static const struct rf__output_ops tar_like = {.kind = "test", .trailer = two_zero_blocks, .trailer_room = 1024};
static const struct rf__output_ops bare = {.kind = "bare"};

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/rf-output-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[256], part[300], why[400];
	snprintf(path, sizeof(path), "%s/a.tar", dir);
	snprintf(part, sizeof(part), "%s.part", path);

	/* three records reserved in order, written in another order */
	struct rf__output *o;
	int err = rf__output_open(&tar_like, path, &o, why, sizeof(why));
	CHECK(err == 0 && exists(part) && !exists(path), "open makes only the .part (%s)", err ? why : "");
	const char *rec[] = {"first record|", "second, longer record|", "3|"};
	uint64_t at[3];
	for (int i = 0; i < 3; i++)
		err |= rf__output_reserve(o, strlen(rec[i]), &at[i]);
	struct stat st;
	fstat(o->fd, &st);
	CHECK(err == 0 && (o->hold_off || (o->held >= at[2] + strlen(rec[2]) + 1024 &&
	                                    (uint64_t)st.st_blocks * 512 >= o->held && st.st_size == 0)),
	      "the regions and the trailer's room are taken on disk, the size unchanged (%llu blocks)",
	      (unsigned long long)st.st_blocks);
	CHECK(at[0] == 0 && at[1] == strlen(rec[0]) && at[2] == at[1] + strlen(rec[1]) && o->records == 3,
	      "regions are contiguous and in reservation order");
	const int order[] = {2, 0, 1};
	for (int k = 0; k < 3; k++)
		rf__output_write_begin(o);
	err = rf__output_end(o, false, why, sizeof(why));
	CHECK(err == -EBUSY && exists(part) && !exists(path), "no end while writes are in flight: %s", why);
	for (int k = 0; k < 3; k++) {
		int i = order[k];
		ssize_t w = pwrite(o->fd, rec[i], strlen(rec[i]), (off_t)at[i]);
		rf__output_write_done(o, (int)w, strlen(rec[i]));
	}
	err = rf__output_end(o, true, why, sizeof(why));
	CHECK(err == 0 && exists(path) && !exists(part), "the end renames .part to the final name (%s)",
	      err ? why : "");
	size_t len = 0;
	char *got = slurp(path, &len);
	size_t body = strlen(rec[0]) + strlen(rec[1]) + strlen(rec[2]);
	bool zeros = got && len == body + 1024;
	for (size_t i = body; zeros && i < len; i++)
		zeros = got[i] == 0;
	CHECK(got && len == body + 1024 && memcmp(got, "first record|second, longer record|3|", body) == 0 && zeros,
	      "records whole and in order, then the trailer (%zu bytes)", len);
	stat(path, &st);
	CHECK((uint64_t)st.st_blocks * 512 <= ((len + 4095) & ~4095ull),
	      "what was taken ahead went back (%llu blocks for %zu bytes)", (unsigned long long)st.st_blocks, len);
	rf__output_free(o);

	/* a short write: the output does not end, its .part stays */
	snprintf(path, sizeof(path), "%s/b.warc", dir);
	snprintf(part, sizeof(part), "%s.part", path);
	err = rf__output_open(&bare, path, &o, why, sizeof(why));
	uint64_t off;
	rf__output_reserve(o, 100, &off);
	rf__output_write_begin(o);
	ssize_t w = pwrite(o->fd, "partial", 7, (off_t)off);
	rf__output_write_done(o, (int)w, 100);
	err = rf__output_end(o, false, why, sizeof(why));
	CHECK(err == -EIO && exists(part) && !exists(path) && strstr(why, "kept as .part"),
	      "a region written short: no final name, says why: %s", why);
	rf__output_free(o);
	stat(part, &st);
	CHECK(exists(part) && !exists(path) && (uint64_t)st.st_blocks * 512 <= 4096,
	      "freed without an end: only the .part stays, with only what was written (%llu blocks)",
	      (unsigned long long)st.st_blocks);

	/* a full file that is let go: what was taken ahead goes back, also
	 * where a hole past the size is not heeded (ext4) */
	snprintf(path, sizeof(path), "%s/d.warc", dir);
	snprintf(part, sizeof(part), "%s.part", path);
	err = rf__output_open(&bare, path, &o, why, sizeof(why));
	err = err ? err : rf__output_reserve(o, 22, &off); /* written whole: the size is its end */
	if (!err && pwrite(o->fd, rec[1], 22, (off_t)off) != 22)
		err = -EIO;
	rf__output_hold_no_more(o);
	rf__output_free(o);
	stat(part, &st);
	CHECK(err == 0 && st.st_size == 22 && (uint64_t)st.st_blocks * 512 <= 4096,
	      "a full file let go holds only what was written (%llu blocks)", (unsigned long long)st.st_blocks);

	/* a stale .part of an earlier run is replaced, not appended to */
	FILE *f = fopen(part, "w");
	fputs("stale bytes of an earlier run", f);
	fclose(f);
	err = rf__output_open(&bare, path, &o, why, sizeof(why));
	err = err ? err : rf__output_end(o, false, why, sizeof(why));
	got = slurp(path, &len);
	CHECK(err == 0 && got && len == 0, "an empty run over a stale .part ends empty (%zu bytes)", len);
	rf__output_free(o);

	/* where it cannot be made, it says where */
	snprintf(path, sizeof(path), "%s/no/such/dir/c.tar", dir);
	err = rf__output_open(&bare, path, &o, why, sizeof(why));
	CHECK(err == -ENOENT && !o && strstr(why, "no/such/dir/c.tar.part"), "a missing directory is named: %s",
	      why);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
