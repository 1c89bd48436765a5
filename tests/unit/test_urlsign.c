/* Signed download links, and camera URLs with their credentials removed. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/crypto.h"
#include "lib/urlsign.h"
#include "unit.h"
#include "lib/banned.h"

#define PATH	"/api/admin/v1/downloads/7/file"
#define EXPIRES	2000000000LL

static struct conf conf;

static char key[URL_KEY_LEN + 1];

static void
setup(void)
{
	memset(&conf, 0, sizeof(conf));
	conf.public_url = "https://vms.example.test";
	conf.url_key = "0123456789abcdef0123456789abcdef";
}

/* The query part of a signed URL (after '?'). */
static const char *
query_of(const char *url)
{
	const char *q = strchr(url, '?');

	ck_assert_ptr_nonnull(q);
	return q + 1;
}

START_TEST(test_sign_form)
{
	char *url = url_sign(&conf, NULL, PATH, NULL, EXPIRES);
	char mac[65], want[256];

	/* Laravel's form: the HMAC covers the whole URL before "&signature". */
	hmac_sha256_hex(conf.url_key,
	    "https://vms.example.test" PATH "?expires=2000000000", mac);
	snprintf(want, sizeof(want), "https://vms.example.test" PATH
	    "?expires=2000000000&signature=%s", mac);
	ck_assert_str_eq(url, want);
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), EXPIRES - 1, key), URL_VALID);
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), 0, key), URL_VALID);
	free(url);
}
END_TEST

/* A link to an archive on another node is signed under that node's URL:
 * it opens there (its public_url is that URL), and here it does not. */
START_TEST(test_other_node)
{
	struct conf there = conf;
	char *url = url_sign(&conf, "https://rec2.example.test", PATH, "k1", EXPIRES);

	ck_assert(strncmp(url, "https://rec2.example.test" PATH "?k=k1&", 61) == 0);
	there.public_url = "https://rec2.example.test";
	ck_assert_int_eq(url_verify(&there, PATH, query_of(url), 0, key), URL_VALID);
	ck_assert_str_eq(key, "k1");
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), 0, key),
	    URL_BAD_SIGNATURE);
	free(url);
	/* "" is this node's own URL, as NULL is. */
	url = url_sign(&conf, "", PATH, NULL, EXPIRES);
	ck_assert(strncmp(url, "https://vms.example.test" PATH "?", 55) == 0);
	free(url);
}
END_TEST

START_TEST(test_expired)
{
	char *url = url_sign(&conf, NULL, PATH, NULL, EXPIRES);

	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), EXPIRES, key), URL_EXPIRED);
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), EXPIRES + 3600, key),
	    URL_EXPIRED);
	free(url);
}
END_TEST

/* Each change to what was signed breaks the signature. */
START_TEST(test_tampered)
{
	char *url = url_sign(&conf, NULL, PATH, NULL, EXPIRES);
	char q[256], *sig;
	struct conf other = conf;

	/* Another download's path. */
	ck_assert_int_eq(url_verify(&conf, "/api/admin/v1/downloads/8/file",
	    query_of(url), 0, key), URL_BAD_SIGNATURE);
	ck_assert_int_eq(url_verify(&conf, PATH "/", query_of(url), 0, key),
	    URL_BAD_SIGNATURE);
	/* A later expiry. */
	snprintf(q, sizeof(q), "%s", query_of(url));
	q[strlen("expires=")] = '3';
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	/* One hex digit of the signature. */
	snprintf(q, sizeof(q), "%s", query_of(url));
	sig = strstr(q, "signature=") + strlen("signature=");
	sig[10] = sig[10] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	/* Truncated, upper-cased or empty signature. */
	snprintf(q, sizeof(q), "%s", query_of(url));
	q[strlen(q) - 1] = '\0';
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	snprintf(q, sizeof(q), "expires=2000000000&signature=");
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	/* Another key, another public address. */
	other.url_key = "fedcba9876543210fedcba9876543210";
	ck_assert_int_eq(url_verify(&other, PATH, query_of(url), 0, key), URL_BAD_SIGNATURE);
	other = conf;
	other.public_url = "http://vms.example.test";
	ck_assert_int_eq(url_verify(&other, PATH, query_of(url), 0, key), URL_BAD_SIGNATURE);
	/* A signed but expired link whose expiry was pushed out is forged, not expired. */
	free(url);
	url = url_sign(&conf, NULL, PATH, NULL, 1000);
	snprintf(q, sizeof(q), "%s", query_of(url));
	q[strlen("expires=")] = '9';
	ck_assert_int_eq(url_verify(&conf, PATH, q, 5000, key), URL_BAD_SIGNATURE);
	free(url);
}
END_TEST

/* A link made for one archive: its key rides in the URL, signed. */
START_TEST(test_keyed)
{
	char k1[URL_KEY_LEN + 1], k2[URL_KEY_LEN + 1], q[256], *url;

	ck_assert_int_eq(url_new_key(k1), 0);
	ck_assert_int_eq(url_new_key(k2), 0);
	ck_assert_uint_eq(strlen(k1), URL_KEY_LEN);
	ck_assert_str_ne(k1, k2);
	url = url_sign(&conf, NULL, PATH, k1, EXPIRES);
	ck_assert_ptr_nonnull(strstr(url, "/file?k="));
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), 0, key), URL_VALID);
	ck_assert_str_eq(key, k1);
	/* Another archive's key under the same signature: refused. */
	snprintf(q, sizeof(q), "k=%s%s", k2, strchr(query_of(url), '&'));
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	/* Dropping the key does not help either. */
	snprintf(q, sizeof(q), "%s", strchr(query_of(url), '&') + 1);
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	ck_assert_str_eq(key, "");
	free(url);
	/* An unkeyed link says so. */
	url = url_sign(&conf, NULL, PATH, NULL, EXPIRES);
	ck_assert_int_eq(url_verify(&conf, PATH, query_of(url), 0, key), URL_VALID);
	ck_assert_str_eq(key, "");
	free(url);
}
END_TEST

START_TEST(test_missing)
{
	char *url = url_sign(&conf, NULL, PATH, NULL, EXPIRES);
	const char *sig = strstr(url, "signature=");
	char q[256];

	ck_assert_int_eq(url_verify(&conf, PATH, NULL, 0, key), URL_NOT_SIGNED);
	ck_assert_int_eq(url_verify(&conf, PATH, "", 0, key), URL_NOT_SIGNED);
	ck_assert_int_eq(url_verify(&conf, PATH, "expires=2000000000", 0, key), URL_NOT_SIGNED);
	/* A signature without its expiry, or with a non-number one. */
	ck_assert_int_eq(url_verify(&conf, PATH, sig, 0, key), URL_BAD_SIGNATURE);
	snprintf(q, sizeof(q), "expires=soon&%s", sig);
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	snprintf(q, sizeof(q), "expires=&%s", sig);
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_BAD_SIGNATURE);
	/* A parameter that merely ends in "signature" is not the signature. */
	snprintf(q, sizeof(q), "expires=2000000000&x%s", sig);
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_NOT_SIGNED);
	/* Order of the parameters does not matter. */
	snprintf(q, sizeof(q), "%s&expires=2000000000", sig);
	ck_assert_int_eq(url_verify(&conf, PATH, q, 0, key), URL_VALID);
	free(url);
}
END_TEST

static const struct { const char *in, *out; } strip_cases[] = {
	/* The product page's example. */
	{ "rtsp://admin:456redko@", "rtsp://" },
	{ "rtsp://admin:secret@10.0.0.5:554/Streaming/Channels/101",
	    "rtsp://10.0.0.5:554/Streaming/Channels/101" },
	{ "rtsp://admin@cam.local/live", "rtsp://cam.local/live" },
	{ "rtsp://:pw@cam.local/live", "rtsp://cam.local/live" },
	/* Passwords holding '@' or ':'. */
	{ "rtsp://admin:p@ss@w0rd@cam.local:554/live", "rtsp://cam.local:554/live" },
	{ "rtsp://admin:pa:ss:@cam.local/live", "rtsp://cam.local/live" },
	{ "rtsp://admin:p%40ss@cam.local/live", "rtsp://cam.local/live" },
	/* No userinfo: unchanged, even with '@' later in the URL. */
	{ "rtsp://cam.local:554/live", "rtsp://cam.local:554/live" },
	{ "rtsp://cam.local/live/user@site", "rtsp://cam.local/live/user@site" },
	{ "rtsp://cam.local/live?channel=1&subtype=0",
	    "rtsp://cam.local/live?channel=1&subtype=0" },
	{ "", "" },
	/* IPv6 hosts. */
	{ "rtsp://admin:pw@[2001:db8::1]:554/s", "rtsp://[2001:db8::1]:554/s" },
	{ "rtsp://[2001:db8::1]:554/s", "rtsp://[2001:db8::1]:554/s" },
	{ "rtsp://u:p@[::1]", "rtsp://[::1]" },
	/* Credentials in the query go; other parameters stay, in order. */
	{ "rtsp://cam.local/live?user=admin&password=x&channel=1",
	    "rtsp://cam.local/live?channel=1" },
	{ "rtsp://cam.local/live?channel=1&token=abc&subtype=0",
	    "rtsp://cam.local/live?channel=1&subtype=0" },
	/* The names cameras use besides those. */
	{ "http://cam/video.cgi?usr=admin&pw=456redko&res=hd",
	    "http://cam/video.cgi?res=hd" },
	{ "http://cam/mjpeg?apikey=456redko&access_token=456redko&authbasic=YWRtaW4",
	    "http://cam/mjpeg" },
	/* In the path, as some recorders take them; values may hold '_'. */
	{ "rtsp://10.0.0.2:554/user=admin_password=456redko_x_channel=1_stream=0.sdp?real_stream",
	    "rtsp://10.0.0.2:554/channel=1_stream=0.sdp?real_stream" },
	{ "rtsp://cam/live/user=admin;pwd=456redko;channel=2",
	    "rtsp://cam/live/channel=2" },
	{ "rtsp://cam/ch1/password=456redko/main", "rtsp://cam/ch1//main" },
	{ "rtsp://cam/users/keyframe_only=1", "rtsp://cam/users/keyframe_only=1" },
	{ "/user=admin/x", "//x" },
	{ "rtsp://cam.local/live?password=x", "rtsp://cam.local/live" },
	{ "rtsp://cam.local?user=a&b=2", "rtsp://cam.local?b=2" },
	{ "rtsp://u:p@cam.local?user=x&b=2", "rtsp://cam.local?b=2" },
	{ "rtsp://cam.local/p?username=a&pass=b&pwd=c&passwd=d&auth=e&login=f"
	    "&key=g&secret=h&authorization=i&x=1", "rtsp://cam.local/p?x=1" },
	{ "rtsp://cam.local/p?USER=a&Password=b&x=1", "rtsp://cam.local/p?x=1" },
	{ "rtsp://cam.local/p?user&x=1", "rtsp://cam.local/p?x=1" },
	{ "rtsp://cam.local/p?usercode=1&monkey=2", "rtsp://cam.local/p?usercode=1&monkey=2" },
	{ "rtsp://cam.local/p?a=1&&b=2", "rtsp://cam.local/p?a=1&b=2" },
	/* Fragments are kept, after the cleaned query. */
	{ "http://cam.local/p?a=1&PASSWORD=x#frag", "http://cam.local/p?a=1#frag" },
	{ "http://u:p@cam.local/p#frag", "http://cam.local/p#frag" },
	{ "http://cam.local/p?token=t#frag", "http://cam.local/p#frag" },
	{ "http://u:p@cam.local#f", "http://cam.local#f" },
};

START_TEST(test_strip_credentials)
{
	char *out = url_strip_credentials(strip_cases[_i].in);

	ck_assert_msg(strcmp(out, strip_cases[_i].out) == 0, "'%s' -> '%s', want '%s'",
	    strip_cases[_i].in, out, strip_cases[_i].out);
	/* No secret of the examples survives. */
	ck_assert_ptr_null(strstr(out, "456redko"));
	ck_assert_ptr_null(strstr(out, "secret@"));
	free(out);
}
END_TEST

static Suite *
urlsign_suite(void)
{
	Suite *s = suite_create("urlsign");
	TCase *tc = tcase_create("sign");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_sign_form);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_other_node);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_keyed);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);
	tc = tcase_create("strip");
	tcase_add_loop_test(tc, test_strip_credentials, 0,
	    (int)(sizeof(strip_cases) / sizeof(strip_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(urlsign_suite());
}
