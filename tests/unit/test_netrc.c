/* test_netrc.c - the netrc reader: entries, default, quoting, comments,
 * macdef, and the redirect rule for credentials (auth.c). */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "netrc.h"
#include "tap.h"
#include "url.h"

static void lookup(const char *text, const char *host, int want, const char *login,
                   const char *password)
{
	char *l = NULL, *p = NULL;
	int got = rf__netrc_lookup(text, strlen(text), host, &l, &p);
	CHECK(got == want && (!login ? !l : l && strcmp(l, login) == 0) &&
	          (!password ? !p : p && strcmp(p, password) == 0),
	      "%s in '%.40s...' -> %d %s %s", host, text, got, l ? l : "-", p ? p : "-");
	free(l);
	free(p);
}

static struct rf__url url(const char *s)
{
	struct rf__url u;
	if (rf__url_parse(s, &u, NULL))
		abort();
	return u;
}

int main(void)
{
	const char *t = "machine a.example login alice password pa\n"
	                "machine B.example\n\tlogin bob\n\tpassword \"p w\\\"q\"\n"
	                "default login anon password guest\n";
	lookup(t, "a.example", 1, "alice", "pa");
	lookup(t, "b.EXAMPLE", 1, "bob", "p w\"q");
	lookup(t, "c.example", 1, "anon", "guest");
	lookup("machine a login x password y", "b", 0, NULL, NULL);
	lookup("", "a", 0, NULL, NULL);
	lookup("# all comment\n", "a", 0, NULL, NULL);
	lookup("default login d password dp\nmachine a login x password y", "a", 1, "x", "y");
	lookup("machine a login first password 1\nmachine a login second password 2", "a", 1,
	       "first", "1");
	lookup("machine a login x", "a", 1, "x", NULL);
	lookup("machine a\n", "a", 1, NULL, NULL);
	lookup("machine m macdef init\ncd /x\nmachine a login no\n\nmachine a login yes password p",
	       "a", 1, "yes", "p");
	lookup("machine a account acct login x password y", "a", 1, "x", "y");
	lookup("machine a login x # a comment\n password y", "a", 1, "x", "y");
	lookup("machine", "a", 0, NULL, NULL);
	lookup("machine a login", "a", 1, NULL, NULL);
	lookup("machine a password \"unterminated", "a", 1, NULL, "unterminated");

	/* where credentials may go along a redirect chain */
	struct rf__url a = url("http://u:p@a.example/x"), a2 = url("http://a.example/y"),
	               b = url("http://b.example/"), as = url("https://a.example/"),
	               ap = url("http://a.example:8080/");
	struct rf__auth au;
	CHECK(rf__auth_init(&au, &a, NULL, NULL, 0, false) == 0 && au.basic &&
	          strcmp(au.basic, "Basic dTpw") == 0 && rf__auth_allowed(&au),
	      "userinfo gives Basic");
	rf__auth_redirect(&au, &a2, false);
	CHECK(rf__auth_allowed(&au), "same origin keeps them");
	rf__auth_redirect(&au, &ap, false);
	CHECK(!rf__auth_allowed(&au), "another port drops them");
	rf__auth_redirect(&au, &a2, false);
	CHECK(!rf__auth_allowed(&au), "coming back does not bring them back");
	rf__auth_free(&au);

	rf__auth_init(&au, &a, NULL, NULL, 0, false);
	rf__auth_redirect(&au, &as, false);
	CHECK(!rf__auth_allowed(&au), "http -> https is another origin");
	rf__auth_free(&au);

	rf__auth_init(&au, &as, "alice:pw", NULL, 0, false);
	CHECK(au.basic && strcmp(au.basic, "Basic YWxpY2U6cHc=") == 0, "user option gives Basic");
	rf__auth_redirect(&au, &b, true);
	CHECK(!rf__auth_allowed(&au), "trusted, but https -> http drops them");
	rf__auth_free(&au);

	rf__auth_init(&au, &a2, NULL, "default login n password m", 26, false);
	CHECK(au.basic && strcmp(au.basic, "Basic bjpt") == 0, "netrc gives Basic");
	rf__auth_redirect(&au, &b, true);
	CHECK(rf__auth_allowed(&au), "trusted: they follow to another host");
	rf__auth_free(&au);

	rf__auth_init(&au, &a2, NULL, NULL, 0, true);
	CHECK(!au.basic && rf__auth_allowed(&au), "no credentials: -H ones still allowed here");
	rf__auth_redirect(&au, &b, false);
	CHECK(!rf__auth_allowed(&au), "... and not after a redirect elsewhere");
	rf__auth_free(&au);
	rf__auth_init(&au, &a2, NULL, NULL, 0, false);
	rf__auth_redirect(&au, &b, false);
	CHECK(!au.host && rf__auth_allowed(&au), "nothing to protect: nothing remembered");
	rf__auth_free(&au);

	rf__url_free(&a);
	rf__url_free(&a2);
	rf__url_free(&b);
	rf__url_free(&as);
	rf__url_free(&ap);
	return tap_done();
}
