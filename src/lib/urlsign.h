/* Signed links in Laravel's form: <public_url><path>?expires=<unix>&signature=<hex>,
 * the signature an HMAC-SHA256 (url_key) of everything before "&signature". */
#ifndef ARCHIVED_URLSIGN_H
#define ARCHIVED_URLSIGN_H

#include <stdint.h>

struct conf;

/* Absolute signed URL for path, valid until expires (unix seconds). Caller frees. */
char	*url_sign(const struct conf *c, const char *path, int64_t expires);

enum url_check { URL_VALID, URL_NOT_SIGNED, URL_BAD_SIGNATURE, URL_EXPIRED };

/* Check the query string of a request to path against its signature. */
enum url_check url_verify(const struct conf *c, const char *path,
	    const char *query, int64_t now_s);

/* Remove credentials from a camera URL: the user:password@ part and query
 * parameters that carry a user name, password or token. Caller frees. */
char	*url_strip_credentials(const char *url);

#endif
