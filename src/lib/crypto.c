#include "config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "util.h"
#include "banned.h"

#define SCRYPT_LN	15
#define SCRYPT_R	8
#define SCRYPT_P	1
#define SALT_LEN	16
#define HASH_LEN	32

/*
 * OpenSSL 3 looks an algorithm up in its provider tables on every one-shot
 * SHA256()/HMAC() call, which costs more than hashing a token. Fetch the
 * digest once per process and reuse it.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
md(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

void
sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	if (EVP_Digest(data, len, out, &n, md(), NULL) != 1)
		abort();
}

void
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;

	if (HMAC(md(), key, (int)keylen, data, len, out, &n) == NULL)
		abort();
}

void
hmac_sha256_hex(const char *key, const char *data, char out[65])
{
	unsigned char mac[SHA256_LEN];

	hmac_sha256(key, strlen(key), data, strlen(data), mac);
	hex_encode(mac, sizeof(mac), out);
}

int
mac_hex_equal(const char *a, const char *b)
{
	if (strlen(a) != 64 || strlen(b) != 64)
		return 0;
	return ct_equal(a, b, 64);
}

static int
scrypt(const char *password, const unsigned char *salt, size_t saltlen,
    int ln, int r, int p, unsigned char *out, size_t outlen)
{
	uint64_t n = (uint64_t)1 << ln;
	uint64_t maxmem = 256ULL * n * (uint64_t)r * (uint64_t)p + (1 << 20);

	return EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n,
	    (uint64_t)r, (uint64_t)p, maxmem, out, outlen) == 1 ? 0 : -1;
}

char *
password_hash(const char *password)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salthex[2 * SALT_LEN + 1], hashhex[2 * HASH_LEN + 1];
	struct buf b;

	if (random_bytes(salt, sizeof(salt)) == -1 ||
	    scrypt(password, salt, sizeof(salt), SCRYPT_LN, SCRYPT_R, SCRYPT_P,
	    hash, sizeof(hash)) == -1)
		return NULL;
	hex_encode(salt, sizeof(salt), salthex);
	hex_encode(hash, sizeof(hash), hashhex);
	buf_init(&b);
	if (buf_printf(&b, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LN, SCRYPT_R,
	    SCRYPT_P, salthex, hashhex) == -1)
		abort();
	return buf_detach(&b);
}

static int
hex_decode(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int
password_verify(const char *password, const char *stored)
{
	unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	int ln, r, p, off = 0;

	if (stored == NULL ||
	    sscanf(stored, "$scrypt$ln=%d,r=%d,p=%d$%n", &ln, &r, &p, &off) != 3 ||
	    off == 0 || ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16)
		return -1;
	stored += off;
	if (strlen(stored) != 2 * SALT_LEN + 1 + 2 * HASH_LEN ||
	    stored[2 * SALT_LEN] != '$' ||
	    hex_decode(stored, SALT_LEN, salt) == -1 ||
	    hex_decode(stored + 2 * SALT_LEN + 1, HASH_LEN, want) == -1)
		return -1;
	if (scrypt(password, salt, sizeof(salt), ln, r, p, got, sizeof(got)) == -1)
		return -1;
	return ct_equal(got, want, HASH_LEN);
}
