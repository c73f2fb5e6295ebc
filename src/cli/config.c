/*
 * config.c - option files (curl's -K format) turned into arguments.
 *
 * A line holds one option: its long name with or without the leading
 * dashes (or a short one with its dash), then optionally '=' or ':' and a
 * value, plain (up to the first blank) or in double quotes with \\ \" \t
 * \n \r escapes; "url = URL" gives a URL.  Blank lines and lines starting
 * with '#' are skipped.  Each line is checked on its own, so a bad line is
 * named FILE:LINE (its value never printed: it may be a password).
 * ~/.config/ringfetch/config ($XDG_CONFIG_HOME/ringfetch/config) comes
 * first unless --no-config is given; -K FILE is read where it stands.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_DEPTH 4 /* -K inside a config file, at most this deep */
#define MAX_ARGS (1u << 20)

struct args {
	char **v;
	int *from; /* argv index each came from, -1: a config file */
	int n, cap;
	int cur; /* the argv index being copied now, or -1 */
};

static bool push(struct args *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		int cap = a->cap ? 2 * a->cap : 64;
		if ((unsigned)cap > MAX_ARGS)
			return false;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));
		if (!v)
			return false;
		a->v = v;
		int *from = realloc(a->from, (size_t)cap * sizeof(*from));
		if (!from)
			return false;
		a->from = from;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s)))
		return false;
	a->from[a->n] = a->cur;
	a->v[++a->n] = NULL;
	return true;
}

/* A word of the command line, copied: its place is remembered. */
static bool push_arg(struct args *a, char **argv, int i)
{
	a->cur = i;
	bool ok = push(a, argv[i]);
	a->cur = -1;
	return ok;
}

static const struct option *find_long(const char *name, size_t len)
{
	for (const struct option *lo = cli_long_options(); lo->name; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
			return lo;
	return NULL;
}

/* The value after the name: quoted (escapes undone) or plain.  NULL with
 * *why set when it is malformed. */
static char *parse_value(const char *p, const char **why)
{
	size_t n = strlen(p);
	char *out = malloc(n + 1), *w = out;
	if (!out) {
		*why = "out of memory";
		return NULL;
	}
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				*w++ = *p == 't'   ? '\t'
				       : *p == 'n' ? '\n'
				       : *p == 'r' ? '\r'
				       : *p == 'v' ? '\v'
				                   : *p;
			} else {
				*w++ = *p;
			}
		}
		if (*p != '"') {
			free(out);
			*why = "unterminated quoted value";
			return NULL;
		}
		p++;
	} else {
		while (*p && *p != ' ' && *p != '\t')
			*w++ = *p++;
	}
	*w = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != '#') {
		free(out);
		*why = "text after the value (quote a value that holds blanks)";
		return NULL;
	}
	return out;
}

static int read_file(struct args *a, const char *path, bool must_exist, int depth, FILE *err);

/* Does this one option, alone, parse?  Then its words join a. */
static int check_and_push(struct args *a, const char *file, unsigned line, char **words, int nwords,
                          FILE *err)
{
	char *argv[5] = {"ringfetch"};
	char *copies[3] = {0};
	int argc = 1;
	for (int i = 0; i < nwords; i++)
		argv[argc++] = copies[i] = strdup(words[i]);
	argv[argc++] = "http://config.check/";
	argv[argc] = NULL;
	char *msg = NULL;
	size_t msg_len = 0;
	FILE *m = open_memstream(&msg, &msg_len);
	struct cli_options tmp;
	int st = m ? cli_options_parse(&tmp, argc, argv, m, m) : EXIT_INTERNAL;
	if (m) {
		cli_options_free(&tmp);
		fclose(m);
	}
	for (int i = 0; i < nwords; i++) {
		if (copies[i])
			explicit_bzero(copies[i], strlen(copies[i]));
		free(copies[i]);
	}
	if (st == EXIT_USAGE) {
		/* "ringfetch: why\nTry ..." -> "FILE:LINE: why" */
		const char *why = msg && strncmp(msg, "ringfetch: ", 11) == 0 ? msg + 11 : "bad option";
		fprintf(err, "ringfetch: %s:%u: %.*s\n", file, line, (int)strcspn(why, "\n"), why);
		free(msg);
		return EXIT_USAGE;
	}
	free(msg);
	if (st == EXIT_INTERNAL)
		return EXIT_INTERNAL;
	for (int i = 0; i < nwords; i++)
		if (!push(a, words[i]))
			return EXIT_INTERNAL;
	return CLI_RUN;
}

/* One line of FILE: CLI_RUN (its words pushed, or nothing), or a status. */
static int config_line(struct args *a, const char *file, unsigned line, char *text, int depth, FILE *err)
{
	char *p = text;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return CLI_RUN;
	size_t nlen = strcspn(p, " \t=:");
	const char *name = p;
	char *rest = p + nlen;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '=' || *rest == ':') {
		rest++;
		while (*rest == ' ' || *rest == '\t')
			rest++;
	}
	const char *why = NULL;
	char *value = *rest && *rest != '#' ? parse_value(rest, &why) : NULL;
	if (why) {
		fprintf(err, "ringfetch: %s:%u: %s\n", file, line, why);
		return EXIT_USAGE;
	}
	char opt[80];
	int st = CLI_RUN;
	if (nlen == 3 && strncmp(name, "url", 3) == 0) {
		if (!value) {
			fprintf(err, "ringfetch: %s:%u: url needs a value\n", file, line);
			st = EXIT_USAGE;
		} else if (!push(a, value)) {
			st = EXIT_INTERNAL;
		}
		free(value);
		return st;
	}
	bool is_short = name[0] == '-' && name[1] != '-';
	const char *bare = is_short ? name : name[0] == '-' ? name + 2 : name;
	size_t blen = nlen - (size_t)(bare - name);
	const struct option *lo = is_short ? NULL : find_long(bare, blen);
	if (!is_short && !lo) {
		fprintf(err, "ringfetch: %s:%u: unknown option %.*s\n", file, line,
		        (int)(blen < 40 ? blen : 40), bare);
		free(value);
		return EXIT_USAGE;
	}
	if ((lo && (strcmp(lo->name, "config") == 0)) || (is_short && nlen == 2 && name[1] == 'K')) {
		if (!value) {
			fprintf(err, "ringfetch: %s:%u: config needs a file\n", file, line);
			return EXIT_USAGE;
		}
		if (depth >= MAX_DEPTH) {
			fprintf(err, "ringfetch: %s:%u: config files nested more than %d deep\n", file, line,
			        MAX_DEPTH);
			free(value);
			return EXIT_USAGE;
		}
		st = read_file(a, value, true, depth + 1, err);
		free(value);
		return st;
	}
	if (lo && strcmp(lo->name, "no-config") == 0) {
		free(value);
		return CLI_RUN; /* meaningful on the command line only */
	}
	if (lo && lo->has_arg == no_argument && value) {
		fprintf(err, "ringfetch: %s:%u: option --%s takes no value\n", file, line, lo->name);
		free(value);
		return EXIT_USAGE;
	}
	if (is_short)
		snprintf(opt, sizeof(opt), "%.*s", (int)(nlen < 40 ? nlen : 40), name);
	else if (lo->has_arg == optional_argument && value)
		opt[0] = 0; /* --name=value, one word */
	else
		snprintf(opt, sizeof(opt), "--%s", lo->name);
	char *words[2];
	int nwords = 0;
	char *joined = NULL;
	if (!opt[0]) {
		if (asprintf(&joined, "--%s=%s", lo->name, value) < 0)
			joined = NULL;
		if (!joined) {
			free(value);
			return EXIT_INTERNAL;
		}
		words[nwords++] = joined;
	} else {
		words[nwords++] = opt;
		if (value)
			words[nwords++] = value;
	}
	st = check_and_push(a, file, line, words, nwords, err);
	if (joined) {
		explicit_bzero(joined, strlen(joined));
		free(joined);
	}
	if (value) {
		explicit_bzero(value, strlen(value));
		free(value);
	}
	return st;
}

static int read_file(struct args *a, const char *path, bool must_exist, int depth, FILE *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (!must_exist && errno == ENOENT)
			return CLI_RUN;
		fprintf(err, "ringfetch: cannot read config file %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	char *text = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int st = CLI_RUN;
	ssize_t n;
	while (st == CLI_RUN && (n = getline(&text, &cap, f)) >= 0) {
		line++;
		if (n > 0 && text[n - 1] == '\n')
			text[--n] = 0;
		if (n > 0 && text[n - 1] == '\r')
			text[--n] = 0;
		if (strlen(text) != (size_t)n) {
			fprintf(err, "ringfetch: %s:%u: a NUL byte in the line\n", path, line);
			st = EXIT_USAGE;
			break;
		}
		st = config_line(a, path, line, text, depth, err);
	}
	if (text) {
		explicit_bzero(text, cap);
		free(text);
	}
	if (st == CLI_RUN && ferror(f)) {
		fprintf(err, "ringfetch: cannot read config file %s: %s\n", path, strerror(errno));
		st = EXIT_USAGE;
	}
	fclose(f);
	return st;
}

static bool is_option(const char *arg, const char *long_name, char short_name, const char **value,
                      bool *value_next)
{
	*value = NULL;
	*value_next = false;
	size_t n = strlen(long_name);
	if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, long_name, n) == 0) {
		if (arg[2 + n] == 0) {
			*value_next = true;
			return true;
		}
		if (arg[2 + n] == '=') {
			*value = arg + 3 + n;
			return true;
		}
		return false;
	}
	if (short_name && arg[0] == '-' && arg[1] == short_name) {
		if (arg[2])
			*value = arg + 2;
		else
			*value_next = true;
		return true;
	}
	return false;
}

int cli_config_expand(int argc, char **argv, struct cli_config *out, FILE *err)
{
	memset(out, 0, sizeof(*out));
	struct args a = {.cur = -1};
	int st = CLI_RUN;
	if (!push(&a, argv[0]))
		st = EXIT_INTERNAL;
	bool skip_default = false;
	const char *v;
	bool next;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--no-config") == 0)
			skip_default = true;
	if (st == CLI_RUN && !skip_default) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		char *path = NULL;
		if (xdg && *xdg && asprintf(&path, "%s/ringfetch/config", xdg) < 0)
			path = NULL;
		else if ((!xdg || !*xdg) && home && *home &&
		         asprintf(&path, "%s/.config/ringfetch/config", home) < 0)
			path = NULL;
		if (path)
			st = read_file(&a, path, false, 1, err);
		free(path);
	}
	/* walked as getopt walks it: an option's value is never taken for -K */
	const char *shorts = cli_short_options();
	for (int i = 1; st == CLI_RUN && i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			for (; st == CLI_RUN && i < argc; i++)
				if (!push_arg(&a, argv, i))
					st = EXIT_INTERNAL;
			break;
		}
		if (is_option(arg, "config", 'K', &v, &next)) {
			if (next && i + 1 >= argc) {
				fprintf(err, "ringfetch: option %s needs a value\nTry 'ringfetch --help'.\n",
				        arg);
				st = EXIT_USAGE;
				break;
			}
			st = read_file(&a, next ? argv[++i] : v, true, 1, err);
			continue;
		}
		bool value_next = false;
		if (arg[0] == '-' && arg[1] == '-') {
			const struct option *lo = find_long(arg + 2, strcspn(arg + 2, "="));
			value_next = lo && lo->has_arg == required_argument && !strchr(arg, '=');
		} else if (arg[0] == '-' && arg[1]) {
			for (const char *p = arg + 1; *p; p++) {
				const char *spec = *p == ':' ? NULL : strchr(shorts, *p);
				if (spec && spec[1] == ':') {
					value_next = !p[1];
					break;
				}
			}
		}
		if (!push_arg(&a, argv, i) || (value_next && i + 1 < argc && !push_arg(&a, argv, ++i)))
			st = EXIT_INTERNAL;
	}
	out->owned = a.v;
	out->nowned = a.n;
	out->from = a.from;
	out->argv = st == CLI_RUN && a.v ? malloc((size_t)(a.n + 1) * sizeof(char *)) : NULL;
	if (out->argv) {
		memcpy(out->argv, a.v, (size_t)(a.n + 1) * sizeof(char *));
		out->argc = a.n;
	} else if (st == CLI_RUN) {
		st = EXIT_INTERNAL;
	}
	if (st != CLI_RUN)
		cli_config_free(out);
	return st;
}

void cli_config_blank(const struct cli_config *c, char **argv)
{
	for (int i = 0; i < c->nowned; i++) {
		int j = c->from[i];
		if (j > 0 && strlen(argv[j]) == strlen(c->owned[i]) && strcmp(argv[j], c->owned[i]) != 0)
			memcpy(argv[j], c->owned[i], strlen(c->owned[i]));
	}
}

void cli_config_free(struct cli_config *c)
{
	for (int i = 0; c->owned && i < c->nowned; i++) {
		explicit_bzero(c->owned[i], strlen(c->owned[i]));
		free(c->owned[i]);
	}
	free(c->owned);
	free(c->from);
	free(c->argv);
	memset(c, 0, sizeof(*c));
}
