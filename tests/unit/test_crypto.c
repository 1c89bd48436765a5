/* SHA-256 and HMAC-SHA256 against published vectors; scrypt passwords. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

/* FIPS 180-2 examples and the usual extra ones. */
static const struct { const char *msg; const char *hex; } sha_cases[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

START_TEST(test_sha256)
{
	unsigned char out[SHA256_LEN];
	char hex[65];

	sha256(sha_cases[_i].msg, strlen(sha_cases[_i].msg), out);
	hex_encode(out, sizeof(out), hex);
	ck_assert_str_eq(hex, sha_cases[_i].hex);
}
END_TEST

START_TEST(test_sha256_million_a)
{
	size_t n = 1000000;
	char *a = malloc(n);
	unsigned char out[SHA256_LEN];
	char hex[65];

	ck_assert_ptr_nonnull(a);
	memset(a, 'a', n);
	sha256(a, n, out);
	free(a);
	hex_encode(out, sizeof(out), hex);
	ck_assert_str_eq(hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* RFC 4231 test cases 1-4, 6 and 7 (5 is a truncated MAC). */
struct hmac_case {
	unsigned char	 key_byte;	/* key is key_len copies, unless key_seq */
	size_t		 key_len;
	int		 key_seq;	/* key is 0x01, 0x02, ... */
	const char	*key_text;	/* or this text */
	unsigned char	 data_byte;	/* data is data_len copies, unless data_text */
	size_t		 data_len;
	const char	*data_text;
	const char	*hex;
};

static const struct hmac_case hmac_cases[] = {
	{ 0x0b, 20, 0, NULL, 0, 0, "Hi There",
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ 0, 0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ 0xaa, 20, 0, NULL, 0xdd, 50, NULL,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ 0, 25, 1, NULL, 0xcd, 50, NULL,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ 0xaa, 131, 0, NULL, 0, 0,
	    "Test Using Larger Than Block-Size Key - Hash Key First",
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ 0xaa, 131, 0, NULL, 0, 0,
	    "This is a test using a larger than block-size key and a larger than "
	    "block-size data. The key needs to be hashed before being used by the "
	    "HMAC algorithm.",
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

START_TEST(test_hmac)
{
	const struct hmac_case *c = &hmac_cases[_i];
	unsigned char key[256], data[256], out[SHA256_LEN];
	size_t keylen, datalen;
	char hex[65];

	if (c->key_text != NULL) {
		keylen = strlen(c->key_text);
		memcpy(key, c->key_text, keylen);
	} else {
		keylen = c->key_len;
		for (size_t i = 0; i < keylen; i++)
			key[i] = c->key_seq ? (unsigned char)(i + 1) : c->key_byte;
	}
	if (c->data_text != NULL) {
		datalen = strlen(c->data_text);
		memcpy(data, c->data_text, datalen);
	} else {
		datalen = c->data_len;
		memset(data, c->data_byte, datalen);
	}
	hmac_sha256(key, keylen, data, datalen, out);
	hex_encode(out, sizeof(out), hex);
	ck_assert_str_eq(hex, c->hex);
}
END_TEST

/* The string form: lower-case hex of the same MAC. */
START_TEST(test_hmac_hex)
{
	char hex[65];

	memset(hex, 'x', sizeof(hex));
	hmac_sha256_hex("Jefe", "what do ya want for nothing?", hex);
	ck_assert_str_eq(hex,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* The key and the data are not interchangeable. */
	hmac_sha256_hex("what do ya want for nothing?", "Jefe", hex);
	ck_assert_str_ne(hex,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(test_mac_hex_equal)
{
	const char *a = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	char b[80];

	ck_assert_int_eq(mac_hex_equal(a, a), 1);
	snprintf(b, sizeof(b), "%s", a);
	ck_assert_int_eq(mac_hex_equal(a, b), 1);
	b[63] = '2';
	ck_assert_int_eq(mac_hex_equal(a, b), 0);
	snprintf(b, sizeof(b), "%s", a);
	b[0] = '6';
	ck_assert_int_eq(mac_hex_equal(a, b), 0);
	/* A prefix, a longer string, upper case and empty never match. */
	snprintf(b, sizeof(b), "%.63s", a);
	ck_assert_int_eq(mac_hex_equal(a, b), 0);
	ck_assert_int_eq(mac_hex_equal(b, a), 0);
	snprintf(b, sizeof(b), "%s0", a);
	ck_assert_int_eq(mac_hex_equal(a, b), 0);
	snprintf(b, sizeof(b), "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843");
	ck_assert_int_eq(mac_hex_equal(a, b), 0);
	ck_assert_int_eq(mac_hex_equal("", ""), 0);
	ck_assert_int_eq(mac_hex_equal(a, ""), 0);
}
END_TEST

START_TEST(test_password_roundtrip)
{
	char *h1 = password_hash("correct horse battery staple");
	char *h2 = password_hash("correct horse battery staple");

	ck_assert_ptr_nonnull(h1);
	ck_assert_ptr_nonnull(h2);
	ck_assert_msg(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22) == 0, "%s", h1);
	ck_assert_uint_eq(strlen(h1), 22 + 32 + 1 + 64);
	/* A random salt: the same password never hashes the same twice. */
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(password_verify("correct horse battery staple", h1), 1);
	ck_assert_int_eq(password_verify("correct horse battery staple", h2), 1);
	ck_assert_int_eq(password_verify("correct horse battery stapl", h1), 0);
	ck_assert_int_eq(password_verify("Correct horse battery staple", h1), 0);
	ck_assert_int_eq(password_verify("", h1), 0);
	free(h1);
	free(h2);

	h1 = password_hash("");
	ck_assert_ptr_nonnull(h1);
	ck_assert_int_eq(password_verify("", h1), 1);
	ck_assert_int_eq(password_verify(" ", h1), 0);
	free(h1);
}
END_TEST

/* The stored parameters are used: the same salt and hash under other
 * parameters is a different hash, not a match. */
START_TEST(test_password_params_matter)
{
	char *h = password_hash("pw");
	char *changed;

	ck_assert_ptr_nonnull(h);
	changed = strdup(h);
	ck_assert_ptr_nonnull(changed);
	changed[12] = '4';		/* ln=15 -> ln=14 */
	ck_assert_msg(strncmp(changed, "$scrypt$ln=14,", 14) == 0, "%s", changed);
	ck_assert_int_eq(password_verify("pw", changed), 0);
	/* One flipped hex digit of the salt, then of the hash. */
	snprintf(changed, strlen(h) + 1, "%s", h);
	changed[22] = changed[22] == '0' ? '1' : '0';
	ck_assert_int_eq(password_verify("pw", changed), 0);
	snprintf(changed, strlen(h) + 1, "%s", h);
	changed[strlen(h) - 1] = changed[strlen(h) - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(password_verify("pw", changed), 0);
	free(changed);
	free(h);
}
END_TEST

#define SALT "00112233445566778899aabbccddeeff"
#define HASH "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const char *const bad_stored[] = {
	"",
	"password",
	"$scrypt$",
	"$scrypt$ln=15,r=8,p=1",
	"$scrypt$ln=15,r=8,p=1$",
	"$scrypt$ln=15,r=8,p=1$" SALT,
	"$scrypt$ln=15,r=8,p=1$" SALT "$",
	"$scrypt$ln=15,r=8,p=1$" SALT "$" HASH "0",
	"$scrypt$ln=15,r=8,p=1$" SALT "0$" HASH,
	"$scrypt$ln=15,r=8,p=1$" SALT HASH "0",
	"$scrypt$ln=15,r=8,p=1$" "00112233445566778899AABBCCDDEEFF" "$" HASH,
	"$scrypt$ln=15,r=8,p=1$" "0011223344556677889zaabbccddeeff" "$" HASH,
	"$scrypt$ln=15,r=8,p=1$" SALT "$" "g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	"$scrypt$ln=9,r=8,p=1$" SALT "$" HASH,
	"$scrypt$ln=31,r=8,p=1$" SALT "$" HASH,
	"$scrypt$ln=15,r=0,p=1$" SALT "$" HASH,
	"$scrypt$ln=15,r=8,p=0$" SALT "$" HASH,
	"$scrypt$ln=15,r=8,p=-1$" SALT "$" HASH,
	"$scrypt$ln=15,r=800,p=1$" SALT "$" HASH,
	"$scrypt$ln=15,p=1,r=8$" SALT "$" HASH,
	"$bcrypt$ln=15,r=8,p=1$" SALT "$" HASH,
	"$2y$10$abcdefghijklmnopqrstuuJ0lZ3B8wDzY5e6WnqmOVmZK5T3Ye3xW",
};

START_TEST(test_password_malformed)
{
	ck_assert_msg(password_verify("pw", bad_stored[_i]) == -1, "accepted '%s'",
	    bad_stored[_i]);
}
END_TEST

START_TEST(test_password_null)
{
	ck_assert_int_eq(password_verify("pw", NULL), -1);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("hash");

	tcase_add_loop_test(tc, test_sha256, 0,
	    (int)(sizeof(sha_cases) / sizeof(sha_cases[0])));
	tcase_add_test(tc, test_sha256_million_a);
	tcase_add_loop_test(tc, test_hmac, 0,
	    (int)(sizeof(hmac_cases) / sizeof(hmac_cases[0])));
	tcase_add_test(tc, test_hmac_hex);
	tcase_add_test(tc, test_mac_hex_equal);
	suite_add_tcase(s, tc);

	tc = tcase_create("password");
	/* scrypt with N=2^15 is slow on purpose, more so under sanitizers. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_password_roundtrip);
	tcase_add_test(tc, test_password_params_matter);
	tcase_add_loop_test(tc, test_password_malformed, 0,
	    (int)(sizeof(bad_stored) / sizeof(bad_stored[0])));
	tcase_add_test(tc, test_password_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(crypto_suite());
}
