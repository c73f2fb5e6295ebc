/*
 * config.h - option files (curl's -K format) turned into arguments: the
 * default ~/.config/ringfetch/config first (unless --no-config), then the
 * command line with each -K FILE replaced by the file's options.
 */
#ifndef RF_CLI_CONFIG_H
#define RF_CLI_CONFIG_H

#include <stdio.h>

struct cli_config {
	char **argv; /* the arguments to parse, NULL-terminated (the parser
	                may reorder and replace entries) */
	int argc;
	char **owned; /* the strings, as made, to be freed */
	int nowned;
	int *from; /* owned[i] is a copy of the command line's argv[from[i]],
	              or -1 (from a config file) */
};

/* Build the arguments: CLI_RUN, or the status to exit with after a message
 * on err naming FILE:LINE (never a value: it may be a password). */
int cli_config_expand(int argc, char **argv, struct cli_config *out, FILE *err);
/* After parsing: what the parser blanked in the copies of command-line
 * words (passwords, cookies) is blanked in argv too, which ps shows. */
void cli_config_blank(const struct cli_config *c, char **argv);
/* Wipe and free the arguments (they may hold credentials). */
void cli_config_free(struct cli_config *c);

#endif
