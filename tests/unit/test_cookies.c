/* test_cookies.c - the cookie store's rules (src/cookies.c): RFC 6265
 * dates in their many forms, domain and path matching, IP hosts, public
 * suffixes, prefixes, replacement and the Cookie line's order. */
#include <string.h>

#include "cookies.h"
#include "ringfetch.h"
#include "tap.h"

#define NOW 1700000000 /* 2023-11-14 */

static void header_is(struct rf__cookies *j, const char *host, const char *path, bool https,
                      const char *want)
{
	char out[1024];
	rf__cookies_header(j, host, path, https, NOW, out, sizeof(out));
	CHECK(strcmp(out, want) == 0, "%s%s%s -> '%s' (got '%.200s')", https ? "https://" : "http://", host, path,
	      want, out);
}

static void expires(const char *date, bool kept)
{
	struct rf__cookies *j = rf__cookies_new();
	char sc[200];
	snprintf(sc, sizeof(sc), "e=1; Expires=%s", date);
	rf__cookies_set(j, "h.test", "/", false, sc, NOW, NULL);
	CHECK((rf__cookies_count(j) == 1) == kept, "Expires=%s %s", date, kept ? "kept" : "deletes");
	rf__cookies_free(j);
}

int main(void)
{
	/* dates: the forms servers send, future (kept) and past (deleted) */
	expires("Wed, 09 Jun 2038 10:18:14 GMT", true);
	expires("Wednesday, 09-Jun-38 10:18:14 GMT", true);
	expires("Wed Jun  9 10:18:14 2038", true);
	expires("09 Jun 2038 10:18:14", true);
	expires("Sun, 06 Nov 1994 08:49:37 GMT", false);
	expires("Sunday, 06-Nov-94 08:49:37 GMT", false);
	expires("Thu, 01 Jan 1970 00:00:00 GMT", false);
	expires("not a date", true); /* ignored: a session cookie */

	struct rf__cookies *j = rf__cookies_new();
	const char *why;
	CHECK(rf__cookies_set(j, "www.example.com", "/a/b/page", false, "s=1", NOW, &why), "host-only");
	CHECK(rf__cookies_set(j, "www.example.com", "/", false, "d=2; Domain=example.com; Path=/", NOW, &why),
	      "domain cookie");
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "x=1; Domain=com", NOW, &why) &&
	      strstr(why, "public suffix"), "a TLD is a public suffix (%s)", why);
	CHECK(!rf__cookies_set(j, "a.b.co.uk", "/", false, "x=1; Domain=co.uk", NOW, &why),
	      "co.uk is a public suffix");
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "x=1; Domain=other.com", NOW, &why) &&
	      strstr(why, "does not cover"), "another site's Domain (%s)", why);
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "x=1; Domain=w.example.com", NOW, &why),
	      "a Domain below the host");
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "x=1; Secure", NOW, &why) &&
	      strstr(why, "Secure"), "Secure over http (%s)", why);
	CHECK(!rf__cookies_set(j, "www.example.com", "/", true, "__Host-x=1; Secure; Path=/a", NOW, &why),
	      "__Host- needs Path=/");
	CHECK(rf__cookies_set(j, "www.example.com", "/", true, "__Host-h=1; Secure; Path=/", NOW, &why),
	      "__Host- done right");
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "noequals", NOW, &why), "no name=value");
	header_is(j, "www.example.com", "/a/b/other?q=1", false, "s=1; d=2");
	header_is(j, "www.example.com", "/a/bc", false, "d=2"); /* default path /a/b */
	header_is(j, "other.example.com", "/a/b/x", false, "d=2");
	header_is(j, "example.com", "/", false, "d=2");
	header_is(j, "badexample.com", "/", false, "");
	header_is(j, "www.example.com", "/", true, "d=2; __Host-h=1");
	/* replacing keeps the place; Max-Age=0 deletes */
	rf__cookies_set(j, "www.example.com", "/", false, "d=3; Domain=example.com; Path=/", NOW, NULL);
	header_is(j, "www.example.com", "/a/b/", false, "s=1; d=3");
	rf__cookies_set(j, "www.example.com", "/a/b/x", false, "s=; Max-Age=0", NOW, NULL);
	header_is(j, "www.example.com", "/a/b/x", false, "d=3");
	CHECK(!rf__cookies_set(j, "www.example.com", "/", false, "__Host-h=2", NOW, &why),
	      "http does not replace a Secure cookie");
	/* IP hosts: exact only, never a parent domain */
	CHECK(rf__cookies_set(j, "127.0.0.1", "/", false, "ip=1", NOW, NULL), "an IP host's cookie");
	CHECK(!rf__cookies_set(j, "127.0.0.1", "/", false, "ip=2; Domain=0.0.1", NOW, &why),
	      "no Domain above an IP");
	header_is(j, "127.0.0.1", "/", false, "ip=1");
	header_is(j, "10.127.0.0.1", "/", false, "");
	/* path matching at '/' only */
	rf__cookies_set(j, "p.test", "/", false, "p=1; Path=/docs", NOW, NULL);
	header_is(j, "p.test", "/docs", false, "p=1");
	header_is(j, "p.test", "/docs/x", false, "p=1");
	header_is(j, "p.test", "/docsx", false, "");
	rf__cookies_free(j);
	return tap_done();
}
