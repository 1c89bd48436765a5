/* Shared by the Check unit tests: running a suite, temp directories,
 * small files, the time zone, and (after http.h) a fake struct http_io.
 * Everything is static inline so a test uses only what it needs. */
#ifndef ARCHIVED_UNIT_H
#define ARCHIVED_UNIT_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Run every test of s in forked children; the exit status for automake. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Point the process at zone, as conf_apply_timezone does. */
static inline void
unit_set_tz(const char *zone)
{
	if (zone == NULL)
		unsetenv("TZ");
	else
		setenv("TZ", zone, 1);
	tzset();
}

/* A fresh private directory under $TMPDIR; out holds the path. */
static inline void
unit_tmpdir(char *out, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, len, "%s/archived-unit.XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(out));
}

static inline int
unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf of a directory made by unit_tmpdir. */
static inline void
unit_rmtree(const char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to dir/name; the full path goes into path. */
static inline void
unit_write(const char *dir, const char *name, const char *text, char *path,
    size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq((long)fwrite(text, 1, strlen(text), f), (long)strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

#ifdef ARCHIVED_HTTP_H
/* A request from a table of CGI variables and a body read in small pieces
 * (so the reader's loop is exercised); the response is captured in out. */
struct unit_io {
	const char	*env[16][2];	/* name, value; ends at a NULL name */
	const char	*body;
	size_t		 body_len;	/* bytes available, may be < CONTENT_LENGTH */
	size_t		 pos;
	size_t		 piece;		/* largest read; 0 means 1000 */
	struct buf	 out;
};

static inline const char *
unit_io_param(void *ctx, const char *name)
{
	struct unit_io *u = ctx;

	for (size_t i = 0; i < 16 && u->env[i][0] != NULL; i++)
		if (strcmp(u->env[i][0], name) == 0)
			return u->env[i][1];
	return NULL;
}

static inline long
unit_io_read(void *ctx, char *buf, size_t n)
{
	struct unit_io *u = ctx;
	size_t piece = u->piece ? u->piece : 1000, left = u->body_len - u->pos;

	if (n > piece)
		n = piece;
	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, u->body + u->pos, n);
	u->pos += n;
	return (long)n;
}

static inline int
unit_io_write(void *ctx, const char *buf, size_t n)
{
	struct unit_io *u = ctx;

	return buf_add(&u->out, buf, n);
}

static inline struct http_io
unit_io(struct unit_io *u)
{
	struct http_io io = { unit_io_param, unit_io_read, unit_io_write, u };

	return io;
}
#endif

#endif
