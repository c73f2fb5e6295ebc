/* test_input.c - the -i list format: entries, options, errors with line numbers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

static char reports[4096];

static void on_report(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg;
	char l[512];
	snprintf(l, sizeof(l), "%s:%u: %s\n", file, line, msg);
	strncat(reports, l, sizeof(reports) - strlen(reports) - 1);
}

int main(void)
{
	char path[] = "/tmp/rf-input-XXXXXX";
	int fd = mkstemp(path);
	const char *text =
	    "# header comment\n"
	    "\n"
	    "http://h/a\r\n"
	    "  out=a.bin\n"
	    "\n"
	    "\tdir=x/y\n"
	    "  # an indented comment\n"
	    "http://h/b\n"
	    "   \n"
	    "  out=../evil\n"
	    "http://h/c\n"
	    "  nonsense\n"
	    "gopher://h/d\n"
	    "  out=never\n"
	    "  http://h/e\n"
	    "http://h/f\n"
	    "  dir=/abs\n"
	    "http://h/g";
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "temp list");
	close(fd);

	struct input in;
	CHECK(input_open(&in, path) == 0, "open");
	in.report = on_report;
	struct input_entry e;
	CHECK(input_next(&in, &e) == 1 && strcmp(e.url, "http://h/a") == 0 && e.line == 3 &&
	          e.out && strcmp(e.out, "a.bin") == 0 && e.dir && strcmp(e.dir, "x/y") == 0,
	      "first entry with CRLF, out= and dir= across a blank line");
	input_entry_clear(&e);
	CHECK(input_next(&in, &e) == 1 && strcmp(e.url, "http://h/g") == 0 && e.line == 18 &&
	          !e.out && !e.dir,
	      "bad entries skipped, last line without newline read");
	input_entry_clear(&e);
	CHECK(input_next(&in, &e) == 0, "end of list");
	CHECK(in.errors == 4, "four problems reported (%u)", in.errors);
	char want[2048];
	snprintf(want, sizeof(want),
	         "%1$s:10: out=../evil: file name may not contain '/' (use dir=) (URL skipped)\n"
	         "%1$s:12: expected key=value, got 'nonsense'\n"
	         "%1$s:13: bad URL 'gopher://h/d': only http:// and https:// are supported\n"
	         "%1$s:17: dir=/abs: directory must be relative to the output directory (URL skipped)\n",
	         path);
	CHECK(strncmp(reports, want, strlen(want)) == 0, "messages name file and line: %.900s", reports);
	input_close(&in);
	unlink(path);

	CHECK(input_check_name("ok.txt") == NULL, "plain name ok");
	CHECK(input_check_name("..") != NULL, "'..' refused");
	CHECK(input_check_name("") != NULL, "empty refused");
	CHECK(input_check_dir("a/b/c") == NULL, "relative dir ok");
	CHECK(input_check_dir("a/../b") != NULL, "'..' in dir refused");
	CHECK(input_check_dir("..") != NULL, "'..' dir refused");
	CHECK(input_check_dir("a/..") != NULL, "trailing '..' refused");
	CHECK(input_check_dir("a/..b") == NULL, "'..b' is a name");
	return tap_done();
}
