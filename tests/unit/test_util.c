/* The small helpers: strict integer parsing, buffers, hex, paths, files. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

static const struct { const char *in; int ok; int64_t v; } i64_cases[] = {
	{ "0", 1, 0 }, { "42", 1, 42 }, { "-42", 1, -42 }, { "007", 1, 7 },
	{ "9223372036854775807", 1, INT64_MAX },
	{ "-9223372036854775808", 1, INT64_MIN },
	{ "9223372036854775808", 0, 0 }, { "-9223372036854775809", 0, 0 },
	{ "", 0, 0 }, { "-", 0, 0 }, { "+1", 0, 0 }, { " 1", 0, 0 }, { "1 ", 0, 0 },
	{ "1x", 0, 0 }, { "0x10", 0, 0 }, { "1e3", 0, 0 }, { "--1", 0, 0 },
	{ "- 1", 0, 0 }, { "1.0", 0, 0 },
};

START_TEST(test_parse_i64)
{
	int64_t v = 12345;
	int rc = parse_i64(i64_cases[_i].in, &v);

	ck_assert_msg((rc == 0) == i64_cases[_i].ok, "'%s': rc %d", i64_cases[_i].in, rc);
	if (i64_cases[_i].ok)
		ck_assert_int_eq(v, i64_cases[_i].v);
	else
		ck_assert_int_eq(v, 12345);
}
END_TEST

START_TEST(test_parse_u64)
{
	uint64_t v = 0;

	ck_assert_int_eq(parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_u64("18446744073709551616", &v), -1);
	ck_assert_int_eq(parse_u64("-1", &v), -1);
	ck_assert_int_eq(parse_u64("+1", &v), -1);
	ck_assert_int_eq(parse_u64("", &v), -1);
	ck_assert_int_eq(parse_u64(NULL, &v), -1);
	ck_assert_int_eq(parse_u64("12a", &v), -1);
	ck_assert_int_eq(parse_i64(NULL, (int64_t *)&v), -1);
}
END_TEST

START_TEST(test_buf)
{
	struct buf b;
	char *s;

	buf_init(&b);
	ck_assert_ptr_null(b.data);
	s = buf_detach(&b);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(buf_add(&b, "ab\0cd", 5), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert(memcmp(b.data, "ab\0cd", 6) == 0);
	ck_assert_int_eq(buf_adds(&b, "ef"), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_printf(&b, "%d,", i), 0);
	ck_assert_uint_eq(strlen(b.data + 3), b.len - 3);
	ck_assert_ptr_nonnull(strstr(b.data + 3, "cdef0,1,2,"));
	ck_assert_ptr_nonnull(strstr(b.data + 3, ",998,999,"));
	s = buf_detach(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(s);
	ck_assert_int_eq(buf_add(&b, "", 0), 0);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_hex_and_compare)
{
	static const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 1];

	hex_encode(in, sizeof(in), out);
	ck_assert_str_eq(out, "00017f80abff");
	hex_encode(in, 0, out);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ct_equal("abc", "abc", 3), 1);
	ck_assert_int_eq(ct_equal("abc", "abd", 3), 0);
	ck_assert_int_eq(ct_equal("xbc", "abc", 3), 0);
	ck_assert_int_eq(ct_equal("abc", "abd", 2), 1);
	ck_assert_int_eq(ct_equal("", "", 0), 1);
}
END_TEST

START_TEST(test_random_alnum)
{
	char a[65], b[65];

	ck_assert_int_eq(random_alnum(a, 64), 0);
	ck_assert_int_eq(random_alnum(b, 64), 0);
	ck_assert_uint_eq(strlen(a), 64);
	ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789"), 64);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(random_alnum(a, 0), 0);
	ck_assert_str_eq(a, "");
}
END_TEST

static const struct { const char *dir, *name, *out; } join_cases[] = {
	{ "/var/lib/archived", "archived.db", "/var/lib/archived/archived.db" },
	{ "/var/lib/archived/", "db/a.db", "/var/lib/archived/db/a.db" },
	{ "/var/lib/archived", "/abs/file", "/abs/file" },
	{ "/", "x", "/x" },
};

START_TEST(test_path_join)
{
	char *p = path_join(join_cases[_i].dir, join_cases[_i].name);

	ck_assert_str_eq(p, join_cases[_i].out);
	free(p);
}
END_TEST

START_TEST(test_files)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], *data = NULL;
	size_t len = 0;
	struct stat st;

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	ck_assert_int_eq(mkdir_p(path, 0750), 0);
	ck_assert_int_eq(mkdir_p(path, 0750), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_p("", 0750), -1);

	snprintf(path, sizeof(path), "%s/a/file", dir);
	ck_assert_int_eq(write_file_atomic(path, "hello\0world", 11, 0600), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(read_file(path, &data, &len, 100), 0);
	ck_assert_uint_eq(len, 11);
	ck_assert(memcmp(data, "hello\0world", 12) == 0);
	free(data);
	/* Replaced whole, never appended to. */
	ck_assert_int_eq(write_file_atomic(path, "x", 1, 0600), 0);
	ck_assert_int_eq(read_file(path, &data, NULL, 100), 0);
	ck_assert_str_eq(data, "x");
	free(data);
	/* Larger than allowed: refused with EFBIG, nothing returned. */
	ck_assert_int_eq(write_file_atomic(path, "0123456789", 10, 0600), 0);
	data = NULL;
	errno = 0;
	ck_assert_int_eq(read_file(path, &data, NULL, 9), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(fsync_parent(path), 0);
	/* pread_full: all asked for, fewer at the end, -1 on a bad descriptor. */
	{
		char got[16] = { 0 };
		int fd = open(path, O_RDONLY);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pread_full(fd, got, 4, 3), 4);
		ck_assert(memcmp(got, "3456", 4) == 0);
		ck_assert_int_eq(pread_full(fd, got, sizeof(got), 7), 3);
		ck_assert(memcmp(got, "789", 3) == 0);
		ck_assert_int_eq(pread_full(fd, got, 4, 10), 0);
		close(fd);
		ck_assert_int_eq(pread_full(fd, got, 4, 0), -1);
	}
	/* A directory that does not exist: the temp file is not left behind. */
	snprintf(path, sizeof(path), "%s/none/file", dir);
	ck_assert_int_eq(write_file_atomic(path, "x", 1, 0600), -1);
	ck_assert_int_eq(read_file(path, &data, NULL, 100), -1);
	unit_rmtree(dir);
}
END_TEST

START_TEST(test_clocks)
{
	int64_t a = now_us(), m1 = mono_us(), m2 = mono_us();

	/* After 2020 and before 2100, in microseconds. */
	ck_assert_int_gt(a, 1577836800LL * 1000000);
	ck_assert_int_lt(a, 4102444800LL * 1000000);
	ck_assert_int_ge(m2, m1);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_loop_test(tc, test_parse_i64, 0,
	    (int)(sizeof(i64_cases) / sizeof(i64_cases[0])));
	tcase_add_test(tc, test_parse_u64);
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_hex_and_compare);
	tcase_add_test(tc, test_random_alnum);
	tcase_add_loop_test(tc, test_path_join, 0,
	    (int)(sizeof(join_cases) / sizeof(join_cases[0])));
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(util_suite());
}
