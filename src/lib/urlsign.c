#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "crypto.h"
#include "urlsign.h"
#include "util.h"
#include "banned.h"

int
url_new_key(char key[URL_KEY_LEN + 1])
{
	unsigned char r[URL_KEY_LEN / 2];

	if (random_bytes(r, sizeof(r)) == -1)
		return -1;
	hex_encode(r, sizeof(r), key);
	return 0;
}

/* What is signed: everything before "&signature". */
static void
signed_part(struct buf *b, const char *base, const char *path,
    const char *key, const char *expires)
{
	if ((key != NULL && key[0] != '\0' ?
	    buf_printf(b, "%s%s?k=%s&expires=%s", base, path, key, expires) :
	    buf_printf(b, "%s%s?expires=%s", base, path, expires)) == -1)
		abort();
}

char *
url_sign(const struct conf *c, const char *base, const char *path,
    const char *key, int64_t expires)
{
	char mac[65], exp[24];
	struct buf b;

	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	buf_init(&b);
	signed_part(&b, base != NULL && base[0] != '\0' ? base : c->public_url,
	    path, key, exp);
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
url_verify(const struct conf *c, const char *path, const char *query,
    int64_t now_s, char key[URL_KEY_LEN + 1])
{
	char expires[24], sig[80], want[65];
	int64_t exp;
	struct buf b;

	key[0] = '\0';
	if (query == NULL || query_param(query, "signature", sig, sizeof(sig)) == -1)
		return URL_NOT_SIGNED;
	if (query_param(query, "expires", expires, sizeof(expires)) == -1 ||
	    parse_i64(expires, &exp) == -1)
		return URL_BAD_SIGNATURE;
	if (query_param(query, "k", key, URL_KEY_LEN + 1) == -1)
		key[0] = '\0';
	buf_init(&b);
	signed_part(&b, c->public_url, path, key, expires);
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
		"user", "username", "usr", "login", "password", "pass", "passwd",
		"pwd", "pw", "token", "access_token", "auth", "authorization",
		"authbasic", "key", "apikey", "api_key", "secret",
	};
	const char *eq = memchr(p, '=', len);
	size_t n = eq ? (size_t)(eq - p) : len;

	for (size_t i = 0; i < nitems(names); i++)
		if (strlen(names[i]) == n && strncasecmp(p, names[i], n) == 0)
			return 1;
	return 0;
}

/* Does p start a "name=" item (letters, digits, '_' before the '=')? */
static int
item_start(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && (isalnum((unsigned char)*q) || *q == '_'))
		q++;
	return q > p && q < end && *q == '=';
}

/*
 * Copy the path [p, end) without its "secret=value" items, as some cameras
 * take them ("/user=admin_password=x_channel=1_stream=0.sdp"). An item
 * starts after '/', '_', '&' or ';'. Values may hold '_', so a secret's
 * value runs to the delimiter before the next '=' (dropping too much
 * rather than too little), else to the next '/'.
 */
static void
strip_path(struct buf *b, const char *p, const char *end)
{
	const char *start = p;

	while (p < end) {
		if (p > start && strchr("/_&;", p[-1]) != NULL &&
		    item_start(p, end) && secret_param(p, (size_t)(end - p))) {
			const char *v = strchr(p, '=') + 1, *limit = v, *eq, *back;

			while (limit < end && *limit != '/')
				limit++;
			eq = memchr(v, '=', (size_t)(limit - v));
			back = eq;
			while (back != NULL && back > v && strchr("_&;", back[-1]) == NULL)
				back--;
			p = back != NULL && back > v ? back : limit;
			continue;
		}
		buf_add(b, p, 1);
		p++;
	}
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
	buf_add(&b, host, (size_t)(pathstart - host));
	strip_path(&b, pathstart, q != NULL ? q : pathstart + strlen(pathstart));
	if (q == NULL)
		return buf_detach(&b);
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
