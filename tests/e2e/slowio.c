/*
 * A slow disk for tests, preloaded into a daemon: reads from files whose
 * path contains "/slowdisk/" return at most SLOWIO_CHUNK bytes (default
 * 4096) after SLOWIO_DELAY_MS (default 20) milliseconds. A job reading
 * such a segment is reliably in the middle of its work when the test
 * kills, cancels or stops it; nothing in the daemons knows about it.
 *
 * Reads from files whose path contains "/killdisk/" kill the process
 * (SIGKILL, as a crashing codec or the OOM killer would), every time: a
 * poison recording, for the test of a job that keeps killing its worker.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int
is_slow(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	if (strstr(path, "/killdisk/") != NULL)
		raise(SIGKILL);
	return strstr(path, "/slowdisk/") != NULL;
}

static size_t
slow_down(size_t count)
{
	const char *d = getenv("SLOWIO_DELAY_MS"), *c = getenv("SLOWIO_CHUNK");
	long ms = d ? atol(d) : 20, chunk = c ? atol(c) : 4096;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	return chunk > 0 && count > (size_t)chunk ? (size_t)chunk : count;
}

ssize_t
read(int fd, void *buf, size_t count)
{
	static ssize_t (*real)(int, void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (is_slow(fd))
		count = slow_down(count);
	return real(fd, buf, count);
}

ssize_t
pread(int fd, void *buf, size_t count, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
	if (is_slow(fd))
		count = slow_down(count);
	return real(fd, buf, count, off);
}

ssize_t
pread64(int fd, void *buf, size_t count, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
	if (is_slow(fd))
		count = slow_down(count);
	return real(fd, buf, count, off);
}
