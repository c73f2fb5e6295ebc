/* test_proxy.c - proxy URLs, no_proxy lists (proxy.c) and the CONNECT
 * request and answer (http1.c). */
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "proxy.h"
#include "ringfetch.h"
#include "tap.h"

static void parse_ok(const char *spec, const char *host, unsigned port, const char *basic)
{
	struct rf__proxy p;
	char why[160] = "";
	int err = rf__proxy_parse(spec, &p, why, sizeof(why));
	CHECK(err == 0 && strcmp(p.host, host) == 0 && p.port == port &&
	          (!basic ? !p.basic : p.basic && strcmp(p.basic, basic) == 0),
	      "proxy %s -> %s:%u %s (%s)", spec, err ? "-" : p.host, err ? 0 : p.port,
	      !err && p.basic ? p.basic : "-", why);
	if (!err)
		rf__proxy_free(&p);
}

static void parse_bad(const char *spec, const char *why_has)
{
	struct rf__proxy p;
	char why[160] = "";
	int err = rf__proxy_parse(spec, &p, why, sizeof(why));
	CHECK(err == RF_EINVAL && strstr(why, why_has) && !strstr(why, "secret"),
	      "proxy %s refused: %s", spec, why);
}

static void np(const char *list, const char *host, bool want)
{
	CHECK(rf__noproxy_match(list, host) == want, "no_proxy '%s' %s %s", list,
	      want ? "exempts" : "does not exempt", host);
}

static void answer(const char *text, int want_n, int want_status, const char *want_reason)
{
	int status = 0;
	const char *reason = NULL;
	size_t rl = 0;
	int n = rf__http1_connect_response(text, strlen(text), &status, &reason, &rl);
	CHECK(n == want_n && (n <= 0 || (status == want_status && rl == strlen(want_reason) &&
	                                 memcmp(reason, want_reason, rl) == 0)),
	      "CONNECT answer %.30s... -> %d %d", text, n, status);
}

int main(void)
{
	parse_ok("http://127.0.0.1:3128", "127.0.0.1", 3128, NULL);
	parse_ok("127.0.0.1:3128", "127.0.0.1", 3128, NULL);
	parse_ok("proxy.example", "proxy.example", 1080, NULL);
	parse_ok("HTTP://Proxy.Example:80/", "proxy.example", 80, NULL);
	parse_ok("http://[::1]:8080", "::1", 8080, NULL);
	parse_ok("[::1]", "::1", 1080, NULL);
	parse_ok("http://alice:secret@p:1", "p", 1, "Basic YWxpY2U6c2VjcmV0");
	parse_ok("http://al%40ce:se%3Acret@p", "p", 1080, "Basic YWxAY2U6c2U6Y3JldA==");
	parse_ok("http://alice@p:2", "p", 2, "Basic YWxpY2U6");
	parse_bad("socks5://u:secret@p:1", "socks5:// is not supported");
	parse_bad("https://p:1", "https:// is not supported");
	parse_bad("http://u:secret@p:70000", "bad proxy");
	parse_bad("http://p:1/some/path", "no path");
	parse_bad("http://", "bad proxy");

	np("*", "anything.example", true);
	np("example.com", "example.com", true);
	np("example.com", "www.example.com", true);
	np(".example.com", "example.com", true);
	np(".example.com", "a.b.example.com", true);
	np("example.com", "notexample.com", false);
	np("example.com", "example.com.evil", false);
	np("EXAMPLE.com.", "example.com", true);
	np("a.test, example.com:8080 ,b.test", "example.com", true);
	np("a.test b.test", "b.test", true);
	np("", "example.com", false);
	np(",,", "example.com", false);
	np("*.example.com", "a.example.com", false); /* not a pattern (as curl) */
	np("127.0.0.1", "127.0.0.1", true);
	np("127.0.0.1", "127.0.0.2", false);
	np("127.0.0.0/8", "127.200.3.4", true);
	np("10.0.0.0/8", "127.0.0.1", false);
	np("192.168.1.0/23", "192.168.0.9", true);
	np("192.168.1.0/24", "192.168.0.9", false);
	np("0.0.0.0/0", "8.8.8.8", true);
	np("10.0.0.0/33", "10.0.0.1", false);
	np("::1", "::1", true);
	np("[::1]", "::1", true);
	np("[::1]:443", "::1", true);
	np("fd00::/8", "fd12:3456::1", true);
	np("fd00::/8", "fe80::1", false);
	np("127.0.0.0/8", "::1", false);
	np("127.0.0.1", "localhost", false); /* names are not resolved */
	np("localhost", "127.0.0.1", false);
	np("1.2.3.4", "1.2.3.4.example", false);

	char buf[512];
	int n = rf__http1_connect_request(buf, sizeof(buf), "h.example:443", "ua/1", "Basic abc");
	CHECK(n > 0 && strcmp(buf, "CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n"
	                           "User-Agent: ua/1\r\nProxy-Authorization: Basic abc\r\n\r\n") == 0,
	      "CONNECT request with credentials");
	n = rf__http1_connect_request(buf, sizeof(buf), "[::1]:8443", "ua/1", NULL);
	CHECK(n > 0 && strcmp(buf, "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n"
	                           "User-Agent: ua/1\r\n\r\n") == 0, "CONNECT request without");
	CHECK(rf__http1_connect_request(buf, 20, "h.example:443", "ua/1", NULL) == -1,
	      "CONNECT request too long for the buffer");

	answer("HTTP/1.1 200 Connection established\r\n\r\n", 39, 200, "Connection established");
	answer("HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n", 35, 200, "OK");
	answer("HTTP/1.1 200\r\n\r\n", 16, 200, "");
	answer("HTTP/1.1 200 OK\n\n", 17, 200, "OK");
	answer("HTTP/1.1 407 Proxy Authentication Required\r\nX: y\r\n\r\nbody", 52, 407,
	       "Proxy Authentication Required");
	answer("HTTP/1.1 200 OK\r\nX: y\r\n", 0, 0, "");
	answer("HTTP/1.1 20", 0, 0, "");
	answer("HTT", 0, 0, "");
	answer("SSH-2.0-OpenSSH\r\n\r\n", -1, 0, "");
	answer("HTTP/1.1 2x0 OK\r\n\r\n", -1, 0, "");
	answer("HTTP/2 200\r\n\r\n", -1, 0, "");
	answer("HTTP/1.1 2000 OK\r\n\r\n", -1, 0, "");
	return tap_done();
}
