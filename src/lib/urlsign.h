/* Signed links in Laravel's form:
 * <public_url><path>?k=<key>&expires=<unix>&signature=<hex>, the signature
 * an HMAC-SHA256 (url_key) of everything before "&signature". k is the
 * archive's own random key (absent for archives made before it existed):
 * a link opens only the archive it was made for. */
#ifndef ARCHIVED_URLSIGN_H
#define ARCHIVED_URLSIGN_H

#include <stdint.h>

struct conf;

#define URL_KEY_LEN	24	/* hex characters of a link key */

/* A new random link key: URL_KEY_LEN hex characters and NUL. -1 on failure. */
int	 url_new_key(char key[URL_KEY_LEN + 1]);
/* Absolute signed URL for path and key (NULL: none), valid until expires
 * (unix seconds), under base: the public URL of the node that holds the
 * file (NULL or "": public_url, this node's). Caller frees. */
char	*url_sign(const struct conf *c, const char *base, const char *path,
	    const char *key, int64_t expires);

enum url_check { URL_VALID, URL_NOT_SIGNED, URL_BAD_SIGNATURE, URL_EXPIRED };

/* Check the query string of a request to path, made under public_url,
 * against its signature;
 * key receives its k ("" if none) for the caller to compare with the
 * archive's. */
enum url_check url_verify(const struct conf *c, const char *path,
	    const char *query, int64_t now_s, char key[URL_KEY_LEN + 1]);

/* Remove credentials from a camera URL: the user:password@ part and query
 * parameters that carry a user name, password or token. Caller frees. */
char	*url_strip_credentials(const char *url);

#endif
