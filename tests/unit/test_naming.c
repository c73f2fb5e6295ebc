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

int main(void)
{
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
