/*
 * floor.c - the file work alone of ringfetch's atomic scheme, the floor a
 * bulk fetch to this filesystem cannot go under (bench/fs.py).
 *
 *   floor DIR N SIZE [part|tmpfile|direct]
 *
 * One thread, plain syscalls, per file, by scheme:
 *   part (default): open NAME.part (O_CREAT|O_EXCL), write SIZE bytes,
 *                   close, renameat2(NAME.part, NAME, RENAME_NOREPLACE);
 *   tmpfile:        open(DIR, O_TMPFILE), write, linkat to NAME, close;
 *   direct:         open NAME, write, close (curl's way: not atomic).
 * No network.  Prints nothing; time it from outside.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: floor DIR N SIZE [part|tmpfile|direct]\n");
		return 2;
	}
	const char *scheme = argc == 5 ? argv[4] : "part";
	const char *dir = argv[1];
	long n = atol(argv[2]);
	size_t size = (size_t)atol(argv[3]);
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 1;
	memset(buf, 'x', size);
	char part[4200], name[4096];
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/f%ld", dir, i);
		snprintf(part, sizeof(part), "%s.part", name);
		int ok;
		if (strcmp(scheme, "tmpfile") == 0) {
			char proc[64];
			int fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			ok = fd >= 0 && write(fd, buf, size) == (ssize_t)size &&
			     linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 && close(fd) == 0;
		} else if (strcmp(scheme, "direct") == 0) {
			int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			ok = fd >= 0 && write(fd, buf, size) == (ssize_t)size && close(fd) == 0;
		} else {
			int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			ok = fd >= 0 && write(fd, buf, size) == (ssize_t)size && close(fd) == 0 &&
			     renameat2(AT_FDCWD, part, AT_FDCWD, name, RENAME_NOREPLACE) == 0;
		}
		if (!ok) {
			perror(name);
			return 1;
		}
	}
	free(buf);
	return 0;
}
