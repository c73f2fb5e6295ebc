/* test_url.c - URL parsing and RFC 3986 reference resolution. */
#include <stdio.h>
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
	/* IDN host names: to their ASCII form (IDNA2008, UTS #46) */
	good("http://b\xc3\xbc" "cher.example/x", "xn--bcher-kva.example", 80, "/x", "xn--bcher-kva.example", 0);
	good("https://B\xc3\x9c" "CHER.example:8443/", "xn--bcher-kva.example", 8443, "/",
	     "xn--bcher-kva.example:8443", 1);
	good("http://\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88/", "xn--r8jz45g.xn--zckzah", 80,
	     "/", "xn--r8jz45g.xn--zckzah", 0);
	good("http://fa\xc3\x9f" ".de/", "xn--fa-hia.de", 80, "/", "xn--fa-hia.de", 0); /* non-transitional */
	bad("http://a\xff\xfe" ".example/", RF_EURL, "host name is not a valid internationalized domain name");
	bad("http://\xe2\x98\x83 x.example/", RF_EURL, "host name is not a valid internationalized domain name");

	bad("example.com/x", RF_EURL, "missing scheme (expected http:// or https://)");
	bad("ftp://h/x", RF_ESCHEME, "only http:// and https:// are supported");
	bad("http://", RF_EURL, "empty host");
	bad("http://:80/", RF_EURL, "empty host");
	bad("http://a%zz:pw@h/", RF_EURL,
	    "bad percent-encoding or control character in the URL's user name or password");
	bad("http://a:p%00w@h/", RF_EURL,
	    "bad percent-encoding or control character in the URL's user name or password");
	bad("http://a%3Ab:pw@h/", RF_EURL, "a user name may not contain ':'");
	bad("http://user:pw@/x", RF_EURL, "empty host");
	{
		char longurl[9000] = "http://h/";
		memset(longurl + 9, 'a', sizeof(longurl) - 10);
		longurl[sizeof(longurl) - 1] = 0;
		bad(longurl, RF_EURL, "URL too long (more than 8000 bytes)");
	}
	bad("http://h:0/", RF_EURL, "port out of range");
	bad("http://h:65536/", RF_EURL, "port out of range");
	bad("http://h:99999999999999999999/", RF_EURL, "invalid port");
	bad("http://h:8x/", RF_EURL, "invalid port");
	bad("http://[::1/", RF_EURL, "unterminated IPv6 literal");
	bad("http://[::zz]/", RF_EURL, "invalid IPv6 literal");
	bad("http://[::1]x/", RF_EURL, "garbage after IPv6 literal");
	bad("http://ex ample.com/", RF_EURL, "invalid character in host name");
	bad("1http://h/", RF_EURL, "invalid scheme");

	/* userinfo: decoded, the host is after the last '@' */
	static const char *const infos[][4] = {
		{"http://alice:s%40cret@h:81/x", "alice", "s@cret", "h"},
		{"http://alice@h/", "alice", "", "h"},
		{"http://:pw@h/", "", "pw", "h"},
		{"http://a:b:c@evil@good.example/", "a", "b:c@evil", "good.example"},
		{"https://us%20er:p%C3%A9@[::1]/", "us er", "p\xc3\xa9", "::1"},
	};
	for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]); i++) {
		struct rf__url u;
		int err = rf__url_parse(infos[i][0], &u, NULL);
		CHECK(err == 0 && u.user && strcmp(u.user, infos[i][1]) == 0 &&
		          strcmp(u.password, infos[i][2]) == 0 &&
		          strcmp(u.host, infos[i][3]) == 0 && !strchr(u.hostport, '@'),
		      "userinfo of %s", infos[i][0]);
		if (!err)
			rf__url_free(&u);
	}
	{
		struct rf__url u;
		CHECK(rf__url_parse("http://@h/", &u, NULL) == 0 && !u.user && !u.password,
		      "empty userinfo is no credentials");
		rf__url_free(&u);
	}
	/* redaction: no password or user name survives, malformed URLs too */
	static const char *const red[][2] = {
		{"http://alice:secret@h/x", "http://***@h/x"},
		{"https://a:b@c@h:8/p?q@r", "https://***@h:8/p?q@r"},
		{"http://h/a@b", "http://h/a@b"},
		{"user:secret@host/x", "***@host/x"},
		{"ftp://u:secret@h", "ftp://***@h"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(red) / sizeof(red[0]); i++) {
		char out[100];
		rf_url_redact(red[i][0], out, sizeof(out));
		CHECK(strcmp(out, red[i][1]) == 0, "redact '%s' -> '%s'", red[i][0], out);
	}

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
