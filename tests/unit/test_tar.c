/* test_tar.c - tar member headers read by other people's readers: an
 * archive of a short-named member, a member whose name needs a pax
 * header, a voided region (a pax comment over whatever bytes lie there)
 * and a last member, listed and extracted byte-exact by GNU tar and read
 * by Python's tarfile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "tar.h"

static char archive[1 << 16];
static size_t at;

static void member(const char *name, const char *body, size_t len)
{
	ssize_t h = rf__tar_member_head(archive + at, sizeof(archive) - at, name, len, 1700000000);
	CHECK(h > 0 && h % 512 == 0 && (size_t)h == rf__tar_member_head_len(strlen(name), len),
	      "head of %.40s: %zd bytes, as its length said", name, h);
	at += (size_t)h;
	memcpy(archive + at, body, len);
	at += rf__tar_padded(len);
}

int main(void)
{
	char dir[] = "/tmp/rf-tar-XXXXXX";
	if (!mkdtemp(dir))
		return 99;
	char long_name[200];
	memset(long_name, 'n', 150);
	strcpy(long_name + 150, ".bin");
	member("000001.txt", "hello", 5);
	member(long_name, "long name body", 14);
	/* a region of 3 blocks nobody should read: garbage, then voided */
	size_t void_at = at, void_len = 3 * 512;
	memset(archive + at, 0xAB, void_len);
	char start[64];
	size_t start_len;
	CHECK(rf__tar_void(void_len, archive + void_at, start, sizeof(start), &start_len) == 0,
	      "a void of 3 blocks");
	memcpy(archive + void_at + 512, start, start_len);
	archive[void_at + void_len - 1] = '\n';
	at += void_len;
	size_t one_at = at;
	CHECK(rf__tar_void(512, archive + one_at, start, sizeof(start), &start_len) == 0 && start_len == 0,
	      "a void of one block: a pax header with no data");
	at += 512;
	member("000002.json", "{\"a\": 1}   \n", 12);
	at += RF__TAR_END; /* zeros */
	CHECK(rf__tar_void(100, archive, start, sizeof(start), &start_len) != 0 &&
	          rf__tar_member_head(archive, 100, "x", 1, 0) < 0 && rf__tar_member_head(archive, 512, "", 1, 0) < 0,
	      "bad lengths and empty names refused");
	char path[300], cmd[1200];
	snprintf(path, sizeof(path), "%s/a.tar", dir);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(archive, 1, at, f) != at || fclose(f))
		return 99;
	snprintf(cmd, sizeof(cmd),
	         "cd %s && tar -tf a.tar > list 2> err && tar -xf a.tar 2>> err && "
	         "printf 'hello' | cmp - 000001.txt && printf 'long name body' | cmp - %s && "
	         "test \"$(cat list | tr '\\n' ' ')\" = \"000001.txt %s 000002.json \" && test ! -s err",
	         dir, long_name, long_name);
	CHECK(system(cmd) == 0, "GNU tar lists three members, extracts them byte-exact, says nothing");
	snprintf(cmd, sizeof(cmd),
	         "python3 -c \"import tarfile,json,sys; t=tarfile.open('%s'); m=t.getmembers(); "
	         "assert [x.name for x in m]==['000001.txt','%s','000002.json'], [x.name for x in m]; "
	         "assert t.extractfile(m[0]).read()==b'hello'; "
	         "assert json.loads(t.extractfile(m[2]).read())=={'a':1}\"",
	         path, long_name);
	CHECK(system(cmd) == 0, "Python's tarfile reads the same three members");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
