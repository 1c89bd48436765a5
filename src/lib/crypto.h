/* Hashes, MACs and password hashing, on OpenSSL's libcrypto. */
#ifndef ARCHIVED_CRYPTO_H
#define ARCHIVED_CRYPTO_H

#include <stddef.h>

#define SHA256_LEN 32

void	 sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);
void	 hmac_sha256(const void *key, size_t keylen, const void *data,
	    size_t len, unsigned char out[SHA256_LEN]);
/* Lower-case hex HMAC-SHA256, out holds 65 bytes. */
void	 hmac_sha256_hex(const char *key, const char *data, char out[65]);
/* Compare two hex MACs in constant time; 1 when equal. */
int	 mac_hex_equal(const char *a, const char *b);

/* scrypt (N=2^15, r=8, p=1) with a random salt, as
 * "$scrypt$ln=15,r=8,p=1$<salt hex>$<hash hex>". Caller frees. */
char	*password_hash(const char *password);
/* 1 if password matches the stored hash, 0 if not, -1 on a bad hash. */
int	 password_verify(const char *password, const char *stored);

#endif
