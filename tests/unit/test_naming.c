/* test_naming.c - local file names made from URLs are safe and predictable. */
#include <string.h>

#include "ringfetch.h"
#include "tap.h"

static void name(const char *url, const char *want)
{
	char out[RF_NAME_MAX + 1];
	int err = rf_url_filename(url, out, sizeof(out));
	CHECK(err == 0 && strcmp(out, want) == 0, "%s -> '%s' (got '%s')", url, want,
	      err ? rf_strerror(err) : out);
}

static void dirs(const char *url, int host, unsigned cut, const char *want)
{
	char out[512];
	int err = rf_url_dirs(url, host, cut, out, sizeof(out));
	CHECK(err == 0 && strcmp(out, want) == 0, "dirs %s host=%d cut=%u -> '%s' (got '%.200s')", url, host,
	      cut, want, err ? rf_strerror(err) : out);
}

static void disposition(const char *value, const char *want)
{
	char out[RF_NAME_MAX + 1];
	int err = rf_disposition_filename(value, out, sizeof(out));
	if (!want)
		CHECK(err == RF_EINVAL, "disposition [%s] offers no name (got '%s')", value, err ? "" : out);
	else
		CHECK(err == 0 && strcmp(out, want) == 0, "disposition [%s] -> '%s' (got '%s')", value,
		      want, err ? rf_strerror(err) : out);
}

int main(void)
{
	dirs("http://h/a/b/f", 1, 0, "h/a/b");
	dirs("http://h:8080/a/b/f", 1, 0, "h:8080/a/b");
	dirs("https://h:443/a/f", 1, 0, "h/a");
	dirs("http://[::1]:81/a/f", 1, 0, "[::1]:81/a");
	dirs("http://h/f", 1, 0, "h");
	dirs("http://h/f", 0, 0, "");
	dirs("http://h/a/b/f", 0, 1, "b");
	dirs("http://h/a/b/f", 1, 1, "h/b");
	dirs("http://h/a/b/f", 1, 2, "h");
	dirs("http://h/a/b/f", 0, 7, "");
	dirs("http://h/a//./b/../c/f?q=/x/y", 1, 0, "h/a/c");
	dirs("http://h/../../../f", 1, 0, "h");
	dirs("http://h/a/%2e%2E/%2e/b/f", 0, 0, "b");
	dirs("http://h/a%2Fb/%0a/f", 0, 0, "a_b/_");
	dirs("http://h/a/b/", 0, 0, "a/b");
	disposition("attachment; filename=\"a.txt\"", "a.txt");
	disposition("attachment; filename=a.txt", "a.txt");
	disposition("attachment;filename=\"../x/y.bin\"", "y.bin");
	disposition("attachment; filename=\"C:\\\\dir\\\\z.bin\"", "z.bin");
	disposition("attachment; filename*=UTF-8''%E2%82%AC.txt; filename=e.txt", "\xe2\x82\xac.txt");
	disposition("attachment; filename=e.txt; filename*=utf-8''x%20y", "x y");
	disposition("attachment; filename*=koi8-r''x; filename=fallback", "fallback");
	disposition("attachment; filename*=ISO-8859-1''%A3", "\xc2\xa3");
	disposition("attachment; FILENAME=\"..\"", "_.");
	disposition("attachment; filename=\"...hidden\"", "_..hidden");
	disposition("attachment; filename=\"  \"", NULL);
	disposition("attachment", NULL);
	disposition("attachment; name=\"x\"; size=3", NULL);
	disposition("attachment; filename=\"unterminated", "unterminated");

	name("http://h/a/b/file.iso", "file.iso");
	name("http://h/a/b/file.iso?x=1&y=/z", "file.iso");
	name("http://h/", "index.html");
	name("http://h", "index.html");
	name("http://h/dir/", "index.html");
	name("http://h/%2e%2e", "index.html");
	name("http://h/.", "index.html");
	name("http://h/..", "index.html");
	name("http://h/a/..%2F..%2Fetc%2Fpasswd", ".._.._etc_passwd");
	name("http://h/%2Fabs", "_abs");
	name("http://h/sp%20ace", "sp ace");
	name("http://h/nl%0Ain", "nl_in");
	name("http://h/nul%00x", "nul_x");
	name("http://h/caf%C3%A9.txt", "caf\xc3\xa9.txt");
	name("http://h/bad%zzpct", "bad%zzpct");
	name("http://h/trail%2", "trail%2");
	name("http://h/.hidden", ".hidden");

	/* length cap, without cutting a UTF-8 sequence in two */
	char url[1200], out[RF_NAME_MAX + 1];
	strcpy(url, "http://h/");
	for (int i = 0; i < 199; i++)
		strcat(url, "a");
	strcat(url, "%C3%A9tail");
	int err = rf_url_filename(url, out, sizeof(out));
	CHECK(err == 0 && strlen(out) == 199, "long name cut before a split UTF-8 sequence (%zu)",
	      strlen(out));
	CHECK(rf_url_filename("ftp://h/x", out, sizeof(out)) == RF_ESCHEME, "ftp refused");
	CHECK(rf_url_filename("http://h/x", out, 8) == RF_EINVAL, "small buffer refused");
	return tap_done();
}
