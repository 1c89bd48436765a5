#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "crypto.h"
#include "urlsign.h"
#include "util.h"
#include "banned.h"

char *
url_sign(const struct conf *c, const char *path, int64_t expires)
{
	struct buf b;
	char mac[65];

	buf_init(&b);
	if (buf_printf(&b, "%s%s?expires=%lld", c->public_url, path,
	    (long long)expires) == -1)
		abort();
	hmac_sha256_hex(c->url_key, b.data, mac);
	if (buf_printf(&b, "&signature=%s", mac) == -1)
		abort();
	return buf_detach(&b);
}

/* Find "name=value" in a query string; copies at most outlen - 1 bytes. */
static int
query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t vlen = len - n - 1;

			if (vlen >= outlen)
				return -1;
			memcpy(out, p + n + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

enum url_check
url_verify(const struct conf *c, const char *path, const char *query, int64_t now_s)
{
	char expires[24], sig[80], want[65];
	int64_t exp;
	struct buf b;

	if (query == NULL || query_param(query, "signature", sig, sizeof(sig)) == -1)
		return URL_NOT_SIGNED;
	if (query_param(query, "expires", expires, sizeof(expires)) == -1 ||
	    parse_i64(expires, &exp) == -1)
		return URL_BAD_SIGNATURE;
	buf_init(&b);
	if (buf_printf(&b, "%s%s?expires=%s", c->public_url, path, expires) == -1)
		abort();
	hmac_sha256_hex(c->url_key, b.data, want);
	buf_release(&b);
	if (!mac_hex_equal(want, sig))
		return URL_BAD_SIGNATURE;
	if (exp <= now_s)
		return URL_EXPIRED;
	return URL_VALID;
}

static int
secret_param(const char *p, size_t len)
{
	static const char *const names[] = {
		"user", "username", "login", "password", "pass", "passwd", "pwd",
		"token", "auth", "authorization", "key", "secret",
	};
	const char *eq = memchr(p, '=', len);
	size_t n = eq ? (size_t)(eq - p) : len;

	for (size_t i = 0; i < nitems(names); i++)
		if (strlen(names[i]) == n && strncasecmp(p, names[i], n) == 0)
			return 1;
	return 0;
}

char *
url_strip_credentials(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host, *at, *q, *pathstart;
	struct buf b;

	buf_init(&b);
	host = scheme ? scheme + 3 : url;
	pathstart = host + strcspn(host, "/?#");
	/* The last '@' before the path ends the userinfo (passwords may hold '@'). */
	at = NULL;
	for (const char *p = host; p < pathstart; p++)
		if (*p == '@')
			at = p;
	buf_add(&b, url, (size_t)(host - url));
	if (at != NULL)
		host = at + 1;
	q = strchr(pathstart, '?');
	if (q == NULL) {
		buf_adds(&b, host);
		return buf_detach(&b);
	}
	buf_add(&b, host, (size_t)(q - host));
	{
		const char *p = q + 1, *frag = strchr(q, '#');
		const char *end = frag ? frag : q + strlen(q);
		int first = 1;

		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);

			if (len > 0 && !secret_param(p, len)) {
				buf_adds(&b, first ? "?" : "&");
				buf_add(&b, p, len);
				first = 0;
			}
			p += len + 1;
		}
		if (frag != NULL)
			buf_adds(&b, frag);
	}
	return buf_detach(&b);
}
