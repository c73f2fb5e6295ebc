/* test_url.c - URL parsing and RFC 3986 reference resolution. */
#include <stdlib.h>
#include <string.h>

#include "ringfetch.h"
#include "tap.h"
#include "url.h"

static void good(const char *in, const char *host, unsigned port, const char *target,
                 const char *hostport, int tls)
{
	struct rf__url u;
	const char *why = NULL;
	int err = rf__url_parse(in, &u, &why);
	CHECK(err == 0 && strcmp(u.host, host) == 0 && u.port == port &&
	          strcmp(u.target, target) == 0 && strcmp(u.hostport, hostport) == 0 &&
	          u.tls == tls,
	      "parse %s -> %s %u %s (%s)", in, err ? why : u.host, err ? 0 : u.port,
	      err ? "" : u.target, err ? "" : u.hostport);
	if (!err)
		rf__url_free(&u);
}

static void bad(const char *in, int code, const char *why_want)
{
	struct rf__url u;
	const char *why = NULL;
	int err = rf__url_parse(in, &u, &why);
	CHECK(err == code && strcmp(why, why_want) == 0, "reject '%s': %s", in, why ? why : "");
	if (!err)
		rf__url_free(&u);
}

static void resolve(const char *base, const char *ref, const char *want)
{
	char *out = NULL;
	int err = rf__url_resolve(base, ref, &out);
	CHECK(err == 0 && strcmp(out, want) == 0, "resolve '%s' -> %s (got %s)", ref, want,
	      out ? out : "error");
	free(out);
}

int main(void)
{
	good("http://example.com", "example.com", 80, "/", "example.com", 0);
	good("HTTP://Example.COM:8080/a/b?q=1#frag", "example.com", 8080, "/a/b?q=1",
	     "example.com:8080", 0);
	good("https://h/", "h", 443, "/", "h", 1);
	good("https://h:443/x", "h", 443, "/x", "h", 1);
	good("http://h:443/x", "h", 443, "/x", "h:443", 0);
	good("http://[::1]:8080/x", "::1", 8080, "/x", "[::1]:8080", 0);
	good("http://[2001:db8::1]/", "2001:db8::1", 80, "/", "[2001:db8::1]", 0);
	good("http://127.0.0.1?x", "127.0.0.1", 80, "/?x", "127.0.0.1", 0);
	good("http://h/a b\"<>", "h", 80, "/a%20b%22%3C%3E", "h", 0);
	good("http://h/caf\xc3\xa9", "h", 80, "/caf%C3%A9", "h", 0);
	good("http://h:/x", "h", 80, "/x", "h", 0);

	bad("example.com/x", RF_EURL, "missing scheme (expected http:// or https://)");
	bad("ftp://h/x", RF_ESCHEME, "only http:// and https:// are supported");
	bad("http://", RF_EURL, "empty host");
	bad("http://:80/", RF_EURL, "empty host");
	bad("http://user:pw@h/", RF_EURL, "user credentials in URLs are not supported");
	bad("http://h:0/", RF_EURL, "port out of range");
	bad("http://h:65536/", RF_EURL, "port out of range");
	bad("http://h:99999999999999999999/", RF_EURL, "invalid port");
	bad("http://h:8x/", RF_EURL, "invalid port");
	bad("http://[::1/", RF_EURL, "unterminated IPv6 literal");
	bad("http://[::zz]/", RF_EURL, "invalid IPv6 literal");
	bad("http://[::1]x/", RF_EURL, "garbage after IPv6 literal");
	bad("http://ex ample.com/", RF_EURL, "invalid character in host name");
	bad("1http://h/", RF_EURL, "invalid scheme");

	/* RFC 3986 section 5.4.1 and 5.4.2 */
	const char *b = "http://a/b/c/d;p?q";
	static const char *const cases[][2] = {
		{"g:h", "g:h"},
		{"g", "http://a/b/c/g"},
		{"./g", "http://a/b/c/g"},
		{"g/", "http://a/b/c/g/"},
		{"/g", "http://a/g"},
		{"//g", "http://g"},
		{"?y", "http://a/b/c/d;p?y"},
		{"g?y", "http://a/b/c/g?y"},
		{"#s", "http://a/b/c/d;p?q"},
		{"g#s", "http://a/b/c/g"},
		{"g?y#s", "http://a/b/c/g?y"},
		{";x", "http://a/b/c/;x"},
		{"g;x", "http://a/b/c/g;x"},
		{"", "http://a/b/c/d;p?q"},
		{".", "http://a/b/c/"},
		{"./", "http://a/b/c/"},
		{"..", "http://a/b/"},
		{"../", "http://a/b/"},
		{"../g", "http://a/b/g"},
		{"../..", "http://a/"},
		{"../../", "http://a/"},
		{"../../g", "http://a/g"},
		{"../../../g", "http://a/g"},
		{"../../../../g", "http://a/g"},
		{"/./g", "http://a/g"},
		{"/../g", "http://a/g"},
		{"g.", "http://a/b/c/g."},
		{".g", "http://a/b/c/.g"},
		{"g..", "http://a/b/c/g.."},
		{"..g", "http://a/b/c/..g"},
		{"./../g", "http://a/b/g"},
		{"./g/.", "http://a/b/c/g/"},
		{"g/./h", "http://a/b/c/g/h"},
		{"g/../h", "http://a/b/c/h"},
		{"g;x=1/./y", "http://a/b/c/g;x=1/y"},
		{"g;x=1/../y", "http://a/b/c/y"},
		{"g?y/./x", "http://a/b/c/g?y/./x"},
		{"g?y/../x", "http://a/b/c/g?y/../x"},
		{"http:g", "http:g"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		resolve(b, cases[i][0], cases[i][1]);
	resolve("http://h:8080", "x", "http://h:8080/x");
	resolve("http://h/a/b", "https://other/p", "https://other/p");
	resolve("https://h/a/b", "//cdn.example/p?q", "https://cdn.example/p?q");
	return tap_done();
}
