/*
 * example.c - the README's library example, compiled against an installed
 * ringfetch (headers, library and pkg-config file) by tests/install/test_install.py.
 * Usage: example URL PATH; exit status 0 when the body was saved.
 */
#include <stdio.h>

#include <ringfetch.h>

static int failures;

static void done(void *arg, const rf_result *r)
{
	(void)arg;
	printf("%s: %s %d, %llu bytes\n", r->url, r->error ? rf_strerror(r->error) : "ok",
	       r->status, (unsigned long long)r->bytes);
	failures += r->error != 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	rf_client_opts o;
	rf_client_opts_init(&o);
	o.max_inflight = 64;
	o.on_done = done;
	rf_client *c;
	if (rf_client_new(&o, &c) != 0)
		return 1;
	rf_request rq = {.url = argv[1], .sink = RF_SINK_FILE, .path = argv[2]};
	if (rf_submit(c, &rq) != 0)
		return 1;
	int err = rf_run(c, NULL, NULL); /* or rf_run(c, source_fn, arg): lazy input */
	rf_client_free(c);
	return err || failures;
}
