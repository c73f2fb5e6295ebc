/*
 * floor.c - the file work alone of ringfetch's atomic scheme, the floor a
 * bulk fetch to this filesystem cannot go under (bench/fs.py).
 *
 *   floor DIR N SIZE
 *
 * One thread, plain syscalls, per file: open NAME.part (O_CREAT|O_EXCL),
 * write SIZE bytes, close, renameat2(NAME.part, NAME, RENAME_NOREPLACE).
 * No network.  Prints nothing; time it from outside.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: floor DIR N SIZE\n");
		return 2;
	}
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
		int fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, size) != (ssize_t)size || close(fd) != 0 ||
		    renameat2(AT_FDCWD, part, AT_FDCWD, name, RENAME_NOREPLACE) != 0) {
			perror(name);
			return 1;
		}
	}
	free(buf);
	return 0;
}
