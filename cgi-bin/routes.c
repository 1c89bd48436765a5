#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/auth.h"
#include "lib/conf.h"
#include "handlers.h"
#include "lib/licence.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define AL (R_AUTH | R_LICENCE)

/* Every endpoint of the contract. Order matters only for readability. */
static const struct route routes[] = {
	{ M_POST,   "/api/admin/v1/auth/token", R_BODY, h_login },
	{ M_DELETE, "/api/admin/v1/auth/token", R_AUTH, h_logout },
	{ M_GET,    "/api/admin/v1/user", R_AUTH, h_user },
	{ M_POST,   "/api/admin/v1/broadcasting/auth", R_AUTH | R_BODY, h_broadcast_auth },
	{ M_POST,   "/api/admin/v1/downloads", AL | R_BODY, h_download_create },
	{ M_GET,    "/api/admin/v1/downloads", AL, h_download_list },
	{ M_GET,    "/api/admin/v1/downloads/{id}", AL, h_download_show },
	{ M_DELETE, "/api/admin/v1/downloads/{id}", AL, h_download_delete },
	{ M_POST,   "/api/admin/v1/downloads/{id}/repeat", AL | R_BODY, h_download_repeat },
	{ M_GET | M_HEAD, "/api/admin/v1/downloads/{id}/file", R_AUTH | R_SIGNED, h_download_file },
	{ M_GET,    "/api/admin/v1/cameras", AL, h_cameras },
	{ M_GET,    "/api/admin/v1/streams/{id}/archive", AL, h_stream_archive },
	{ M_POST,   "/api/v1/token", R_BODY, h_client_login },
	{ M_POST,   "/api/v1/logout", R_AUTH | R_BODY, h_client_logout },
	{ M_GET,    "/api/v1/users/self", R_AUTH, h_users_self },
	{ M_GET,    "/api/v1/user", R_AUTH, h_user },
	{ M_POST,   "/api/v1/broadcasting/auth", R_AUTH | R_BODY, h_broadcast_auth },
	{ M_POST,   "/api/v1/downloads", AL | R_BODY, h_client_create },
	{ M_GET,    "/api/v1/downloads", AL, h_client_list },
	{ M_DELETE, "/api/v1/users/downloads/{id}", AL, h_client_delete },
	{ M_GET,    "/api/v1/cameras/{id}/archive/link", AL, h_client_link },
	{ M_GET,    "/api/v1/wsurl", 0, h_wsurl },
	{ M_GET,    "/api/health", 0, h_health },
	{ M_GET,    "/metrics", 0, h_metrics },
};

unsigned
method_bit(const char *method)
{
	static const struct { const char *name; unsigned bit; } methods[] = {
		{ "GET", M_GET }, { "POST", M_POST }, { "DELETE", M_DELETE },
		{ "PUT", M_PUT }, { "PATCH", M_PATCH }, { "HEAD", M_HEAD },
	};

	for (size_t i = 0; i < nitems(methods); i++)
		if (strcmp(methods[i].name, method) == 0)
			return methods[i].bit;
	return 0;
}

/* Compare one path against one pattern, collecting {id} values. */
static int
pattern_match(const char *pattern, const char *path, int64_t *ids, int *nids)
{
	int n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (strncmp(pattern, "{id}", 4) == 0) {
			int64_t v = 0;
			int digits = 0;

			if (*path == '0')
				return 0;
			for (; *path >= '0' && *path <= '9'; path++, digits++) {
				if (digits >= 18)
					return 0;
				v = v * 10 + (*path - '0');
			}
			if (digits == 0 || n >= 2)
				return 0;
			ids[n++] = v;
			pattern += 4;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	/* A trailing slash is the same resource, as web frameworks treat it. */
	if (*pattern != '\0' || (*path != '\0' && strcmp(path, "/") != 0))
		return 0;
	*nids = n;
	return 1;
}

const struct route *
route_match(struct request *r, unsigned *allow)
{
	unsigned m = method_bit(r->method);
	const struct route *found = NULL;

	/* HEAD is GET without the body (the web server drops it). */
	if (m == M_HEAD)
		m |= M_GET;

	*allow = 0;
	for (size_t i = 0; i < nitems(routes); i++) {
		int64_t ids[2];
		int n = 0;

		if (!pattern_match(routes[i].pattern, r->path, ids, &n))
			continue;
		*allow |= routes[i].methods | (routes[i].methods & M_GET ? M_HEAD : 0);
		if ((routes[i].methods & m) && found == NULL) {
			found = &routes[i];
			memcpy(r->ids, ids, sizeof(ids));
			r->nids = n;
		}
	}
	return found;
}

static void
respond_allow(struct request *r, unsigned allow)
{
	static const char *const names[] = { "GET", "POST", "DELETE", "PUT", "PATCH", "HEAD" };
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < nitems(names); i++)
		if (allow & (1u << i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", names[i]);
	respond_header(r, "Allow", b.data);
	buf_release(&b);
	respond_message(r, 405, "The method is not supported for this route.");
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *
bearer(struct request *r)
{
	const char *h = request_header(r, "HTTP_AUTHORIZATION");

	if (h == NULL)
		h = request_header(r, "REDIRECT_HTTP_AUTHORIZATION");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static int
authenticate(struct request *r, unsigned flags)
{
	const char *tok = bearer(r);

	if (tok != NULL) {
		switch (token_authenticate(r->db, tok, &r->who)) {
		case AUTH_OK:
			r->authed = 1;
			return 0;
		case AUTH_ERROR:
			respond_db_error(r);
			return -1;
		case AUTH_DENIED:
			break;
		}
	}
	/* The file route checks the signature itself. */
	if ((flags & R_SIGNED) && strstr(r->query, "signature=") != NULL)
		return 0;
	respond_message(r, 401, "Unauthenticated.");
	return -1;
}

static int
licence_ok(struct request *r)
{
	char why[160];

	switch (licence_allows(r->conf->licence_file, r->db, why, sizeof(why))) {
	case 1:
		return 0;
	case 0: {
		char msg[200];

		snprintf(msg, sizeof(msg), "License error: %s", why);
		respond_message(r, 402, msg);
		return -1;
	}
	default:
		respond_db_error(r);
		return -1;
	}
}

void
route_dispatch(struct request *r)
{
	const struct route *rt;
	unsigned allow;

	if ((rt = route_match(r, &allow)) == NULL) {
		if (allow != 0)
			respond_allow(r, allow);
		else
			respond_not_found(r);
		return;
	}
	if (r->content_length > MAX_BODY) {
		respond_message(r, 413, "The request body is larger than 64 KiB.");
		return;
	}
	if (r->db == NULL) {
		respond_message(r, 503, "Service unavailable; try again later.");
		return;
	}
	if ((rt->flags & R_AUTH) && authenticate(r, rt->flags) == -1)
		return;
	if ((rt->flags & R_LICENCE) && licence_ok(r) == -1)
		return;
	/* A query that cannot be decoded would silently drop every filter. */
	if (r->query[0] != '\0' && r->query_params == NULL) {
		respond_json(r, 422, json_pack("{s:s, s:{s:[s]}}", "message",
		    "The query string is malformed.", "errors", "query",
		    "The query string is malformed."));
		return;
	}
	if ((rt->flags & R_BODY) && request_read_body(r) != 0)
		return;
	rt->handler(r);
}

void
respond_db_error(struct request *r)
{
	respond_message(r, 503, "Service unavailable; try again later.");
}

void
respond_not_found(struct request *r)
{
	respond_message(r, 404, "Not found.");
}
