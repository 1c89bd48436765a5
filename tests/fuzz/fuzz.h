/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): a private temp
 * directory for the process, files, and the one way a target reports a
 * broken invariant (abort with a line, so libFuzzer saves the input).
 * Everything is static so each target uses only what it needs. */
#ifndef ARCHIVED_FUZZ_H
#define ARCHIVED_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: say which, and let libFuzzer keep the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static char fuzz_dir[4096];

static inline int
fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
fuzz_cleanup(void)
{
	if (fuzz_dir[0] != '\0')
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fuzz_dir[0] = '\0';
}

/* $TMPDIR/archived-fuzz.XXXXXX, removed at exit; run.sh points TMPDIR at
 * a tmpfs when there is one. Aborts if it cannot be made. */
static inline const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/archived-fuzz.XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	atexit(fuzz_cleanup);
	return fuzz_dir;
}

/* Replace path's contents with data (truncating). */
static inline void
fuzz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const uint8_t *p = data;

	if (fd == -1) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
}

/* The input as a C string (stops at its first NUL, as C callers would). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * jansson is not built with AddressSanitizer, so a json_t used after
 * json_decref() freed it goes unseen when jansson itself does the access
 * (json_array_append_new() on a freed array, say). fuzz_json_watch()
 * makes jansson allocate through these wrappers: a freed block is kept,
 * with a checksum of its bytes, until fuzz_json_check() at the end of
 * the input verifies that nothing wrote to it since.
 */
struct fuzz_freed {
	unsigned char	*p;
	size_t		 n;
	uint64_t	 sum;
};

static struct fuzz_freed *fuzz_freed;
static size_t fuzz_nfreed, fuzz_capfreed;

static inline uint64_t
fuzz_sum(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static inline void *
fuzz_json_malloc(size_t n)
{
	return malloc(n);	/* the project free()s what json_dumps() returns */
}

static inline void
fuzz_json_free(void *p)
{
	size_t n;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	if (fuzz_nfreed == fuzz_capfreed) {
		size_t cap = fuzz_capfreed ? 2 * fuzz_capfreed : 1024;
		struct fuzz_freed *v = realloc(fuzz_freed, cap * sizeof(*v));

		if (v == NULL)
			abort();
		fuzz_freed = v;
		fuzz_capfreed = cap;
	}
	fuzz_freed[fuzz_nfreed++] = (struct fuzz_freed){ p, n, fuzz_sum(p, n) };
}

/* Verify and release the blocks jansson freed during this input. */
static inline void
fuzz_json_check(void)
{
	for (size_t i = 0; i < fuzz_nfreed; i++) {
		struct fuzz_freed *f = &fuzz_freed[i];

		if (fuzz_sum(f->p, f->n) != f->sum) {
			fprintf(stderr, "jansson memory of %zu bytes written after it was"
			    " freed\n", f->n);
			abort();
		}
		free(f->p);
	}
	fuzz_nfreed = 0;
}

#ifdef JANSSON_VERSION
static inline void
fuzz_json_watch(void)
{
	json_set_alloc_funcs(fuzz_json_malloc, fuzz_json_free);
}
#endif

#endif
