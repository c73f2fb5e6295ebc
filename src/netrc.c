/*
 * netrc.c - credentials for a host from a .netrc text.
 *
 * The format as curl and ftp(1) read it: a stream of tokens, where
 * "machine NAME" starts an entry, "default" starts the entry for any other
 * host, and "login X", "password Y", "account Z" fill the current entry;
 * "macdef NAME" is followed by a macro body that ends at an empty line.
 * The first machine entry naming the host wins; the default entry is used
 * only when no machine entry does.  The text is parsed on each lookup (a
 * netrc is small and lookups happen once per request, not per byte), so no
 * parsed copy of anyone's passwords is kept around.
 */
#include "alloc.h"
#include "netrc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_MAX 4096

struct lexer {
	const char *p, *end;
	char tok[TOKEN_MAX];
	size_t len;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The next token into lx->tok (cut at TOKEN_MAX - 1 bytes); false at the
 * end. */
static bool next_token(struct lexer *lx)
{
	for (;;) {
		while (lx->p < lx->end && blank(*lx->p))
			lx->p++;
		if (lx->p >= lx->end)
			return false;
		if (*lx->p != '#')
			break;
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
	lx->len = 0;
	bool quoted = *lx->p == '"';
	if (quoted)
		lx->p++;
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (quoted ? c == '"' : blank(c))
			break;
		if (quoted && c == '\\' && lx->p + 1 < lx->end) {
			c = *++lx->p;
			c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		if (lx->len < TOKEN_MAX - 1 && c != 0)
			lx->tok[lx->len++] = c;
		lx->p++;
	}
	if (quoted && lx->p < lx->end)
		lx->p++; /* the closing quote */
	lx->tok[lx->len] = 0;
	return true;
}

/* Skip a macdef body: up to and including the next empty line. */
static void skip_macro(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++; /* the rest of the macdef line */
	while (lx->p < lx->end) {
		lx->p++; /* past a newline */
		if (lx->p >= lx->end || *lx->p == '\n' ||
		    (*lx->p == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n'))
			return;
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
}

static int set_field(char **field, const char *v)
{
	free(*field);
	*field = rf__strdup(v);
	return *field ? 0 : -ENOMEM;
}

static void wipe(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

int rf__netrc_lookup(const char *text, size_t len, const char *host, char **login, char **password)
{
	struct lexer *lx = rf__malloc(sizeof(*lx));
	if (!lx)
		return -ENOMEM;
	lx->p = text;
	lx->end = text + len;
	*login = *password = NULL;
	char *dlogin = NULL, *dpassword = NULL; /* the default entry */
	enum { NONE, MATCH, OTHER, DEFAULT } entry = NONE;
	int res = 0;
	while (next_token(lx)) {
		if (strcmp(lx->tok, "machine") == 0) {
			if (entry == MATCH)
				break; /* the matching entry is complete */
			if (!next_token(lx))
				break;
			entry = strcasecmp(lx->tok, host) == 0 ? MATCH : OTHER;
		} else if (strcmp(lx->tok, "default") == 0) {
			if (entry == MATCH)
				break;
			entry = DEFAULT;
		} else if (strcmp(lx->tok, "login") == 0 || strcmp(lx->tok, "password") == 0) {
			bool is_login = lx->tok[0] == 'l';
			if (!next_token(lx))
				break;
			char **field = entry == MATCH     ? (is_login ? login : password)
			               : entry == DEFAULT ? (is_login ? &dlogin : &dpassword)
			                                  : NULL;
			if (field && (res = set_field(field, lx->tok)))
				goto out;
		} else if (strcmp(lx->tok, "account") == 0) {
			if (!next_token(lx))
				break;
		} else if (strcmp(lx->tok, "macdef") == 0) {
			skip_macro(lx);
		}
	}
	if (entry == MATCH || *login || *password) {
		res = 1;
	} else if (dlogin || dpassword) {
		*login = dlogin;
		*password = dpassword;
		dlogin = dpassword = NULL;
		res = 1;
	} else {
		res = 0;
	}
out:
	explicit_bzero(lx, sizeof(*lx));
	free(lx);
	wipe(&dlogin);
	wipe(&dpassword);
	if (res < 0) {
		wipe(login);
		wipe(password);
	}
	return res;
}
