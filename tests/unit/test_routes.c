/* The routing table: every route, its {id}s, trailing slashes, bad ids,
 * unknown paths (404) and wrong methods (405 with the right Allow). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi-bin/handlers.h"
#include "cgi-bin/http.h"
#include "lib/util.h"
#include "unit.h"
#include "lib/banned.h"

struct route_case {
	const char	*method;
	const char	*path;
	handler_fn	 handler;	/* NULL: no route */
	int		 nids;
	int64_t		 ids[2];
	unsigned	 allow;		/* methods the path takes, when no route */
	unsigned	 flags;		/* of the route found */
};

#define AL (R_AUTH | R_LICENCE)

static const struct route_case cases[] = {
	/* Every route of the contract. */
	{ "POST", "/api/admin/v1/auth/token", h_login, 0, { 0 }, 0, R_BODY },
	{ "DELETE", "/api/admin/v1/auth/token", h_logout, 0, { 0 }, 0, R_AUTH },
	{ "GET", "/api/admin/v1/user", h_user, 0, { 0 }, 0, R_AUTH },
	{ "POST", "/api/admin/v1/broadcasting/auth", h_broadcast_auth, 0, { 0 }, 0,
	    R_AUTH | R_BODY },
	{ "POST", "/api/admin/v1/downloads", h_download_create, 0, { 0 }, 0, AL | R_BODY },
	{ "GET", "/api/admin/v1/downloads", h_download_list, 0, { 0 }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/42", h_download_show, 1, { 42 }, 0, AL },
	{ "DELETE", "/api/admin/v1/downloads/42", h_download_delete, 1, { 42 }, 0, AL },
	{ "POST", "/api/admin/v1/downloads/7/repeat", h_download_repeat, 1, { 7 }, 0,
	    AL | R_BODY },
	{ "GET", "/api/admin/v1/downloads/9/file", h_download_file, 1, { 9 }, 0,
	    R_AUTH | R_SIGNED },
	{ "HEAD", "/api/admin/v1/downloads/9/file", h_download_file, 1, { 9 }, 0,
	    R_AUTH | R_SIGNED },
	{ "GET", "/api/admin/v1/cameras", h_cameras, 0, { 0 }, 0, AL },
	{ "GET", "/api/admin/v1/streams/3/archive", h_stream_archive, 1, { 3 }, 0, AL },
	{ "POST", "/api/v1/token", h_client_login, 0, { 0 }, 0, R_BODY },
	{ "POST", "/api/v1/logout", h_client_logout, 0, { 0 }, 0, R_AUTH | R_BODY },
	{ "GET", "/api/v1/users/self", h_users_self, 0, { 0 }, 0, R_AUTH },
	{ "GET", "/api/v1/user", h_user, 0, { 0 }, 0, R_AUTH },
	{ "POST", "/api/v1/broadcasting/auth", h_broadcast_auth, 0, { 0 }, 0,
	    R_AUTH | R_BODY },
	{ "POST", "/api/v1/downloads", h_client_create, 0, { 0 }, 0, AL | R_BODY },
	{ "GET", "/api/v1/downloads", h_client_list, 0, { 0 }, 0, AL },
	{ "DELETE", "/api/v1/users/downloads/15", h_client_delete, 1, { 15 }, 0, AL },
	{ "GET", "/api/v1/cameras/2/archive/link", h_client_link, 1, { 2 }, 0, AL },
	{ "GET", "/api/v1/wsurl", h_wsurl, 0, { 0 }, 0, 0 },
	{ "GET", "/api/health", h_health, 0, { 0 }, 0, 0 },
	{ "GET", "/metrics", h_metrics, 0, { 0 }, 0, 0 },

	/* A trailing slash is the same resource. */
	{ "GET", "/api/admin/v1/downloads/", h_download_list, 0, { 0 }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/42/", h_download_show, 1, { 42 }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/9/file/", h_download_file, 1, { 9 }, 0,
	    R_AUTH | R_SIGNED },
	{ "GET", "/api/v1/wsurl/", h_wsurl, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads//", NULL, 0, { 0 }, 0, 0 },

	/* Ids: positive decimal, no leading zero, at most 18 digits. */
	{ "GET", "/api/admin/v1/downloads/1", h_download_show, 1, { 1 }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/999999999999999999", h_download_show, 1,
	    { 999999999999999999LL }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/9999999999999999999", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/99999999999999999999999999", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/0", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/007", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/-1", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/+1", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/1e3", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/12abc", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/abc", NULL, 0, { 0 }, 0, 0 },
	/* Undecoded: request_init normalises paths (see test_dispatch). */
	{ "GET", "/api/admin/v1/downloads/%31", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/0/file", NULL, 0, { 0 }, 0, 0 },

	/* Unknown paths: 404 whatever the method. */
	{ "GET", "/", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/download", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloadsx", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v2/downloads", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/API/admin/v1/downloads", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/5/files", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/5/file/x", NULL, 0, { 0 }, 0, 0 },
	{ "POST", "/api/admin/v1/streams/3/archive/x", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/v1/users/downloads", NULL, 0, { 0 }, 0, 0 },
	{ "DELETE", "/api/v1/downloads/5", NULL, 0, { 0 }, 0, 0 },
	{ "GET", "/api/admin/v1/downloads/5/../../user", NULL, 0, { 0 }, 0, 0 },

	/* Known paths, wrong method: 405 with every method the path takes. */
	{ "PUT", "/api/admin/v1/downloads", NULL, 0, { 0 }, M_GET | M_HEAD | M_POST, 0 },
	{ "DELETE", "/api/admin/v1/downloads", NULL, 0, { 0 }, M_GET | M_HEAD | M_POST, 0 },
	{ "POST", "/api/admin/v1/downloads/5", NULL, 0, { 0 }, M_GET | M_HEAD | M_DELETE, 0 },
	{ "PATCH", "/api/admin/v1/downloads/5/", NULL, 0, { 0 }, M_GET | M_HEAD | M_DELETE, 0 },
	{ "HEAD", "/api/admin/v1/downloads/5", h_download_show, 1, { 5 }, 0, AL },
	{ "GET", "/api/admin/v1/downloads/5/repeat", NULL, 0, { 0 }, M_POST, 0 },
	{ "DELETE", "/api/admin/v1/downloads/5/file", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
	{ "GET", "/api/admin/v1/auth/token", NULL, 0, { 0 }, M_POST | M_DELETE, 0 },
	{ "POST", "/api/admin/v1/user", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
	{ "GET", "/api/v1/token", NULL, 0, { 0 }, M_POST, 0 },
	{ "GET", "/api/v1/broadcasting/auth", NULL, 0, { 0 }, M_POST, 0 },
	{ "PUT", "/api/v1/downloads", NULL, 0, { 0 }, M_GET | M_HEAD | M_POST, 0 },
	{ "GET", "/api/v1/users/downloads/15", NULL, 0, { 0 }, M_DELETE, 0 },
	{ "POST", "/api/v1/cameras/2/archive/link", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
	{ "POST", "/api/v1/wsurl", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
	{ "OPTIONS", "/api/v1/wsurl", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
	{ "get", "/api/v1/wsurl", NULL, 0, { 0 }, M_GET | M_HEAD, 0 },
};

START_TEST(test_route_match)
{
	const struct route_case *c = &cases[_i];
	const struct route *rt;
	struct request r;
	unsigned allow = 0xdead;

	memset(&r, 0, sizeof(r));
	r.method = c->method;
	r.path = (char *)c->path;
	rt = route_match(&r, &allow);
	if (c->handler == NULL) {
		ck_assert_msg(rt == NULL, "%s %s matched", c->method, c->path);
		ck_assert_msg(allow == c->allow, "%s %s: allow %#x, want %#x",
		    c->method, c->path, allow, c->allow);
		return;
	}
	ck_assert_msg(rt != NULL, "%s %s: no route (allow %#x)", c->method, c->path,
	    allow);
	ck_assert_msg(rt->handler == c->handler, "%s %s: wrong handler", c->method,
	    c->path);
	ck_assert_uint_eq(rt->flags, c->flags);
	ck_assert_int_eq(r.nids, c->nids);
	for (int i = 0; i < c->nids; i++)
		ck_assert_int_eq(r.ids[i], c->ids[i]);
}
END_TEST

START_TEST(test_method_bit)
{
	ck_assert_uint_eq(method_bit("GET"), M_GET);
	ck_assert_uint_eq(method_bit("POST"), M_POST);
	ck_assert_uint_eq(method_bit("DELETE"), M_DELETE);
	ck_assert_uint_eq(method_bit("PUT"), M_PUT);
	ck_assert_uint_eq(method_bit("PATCH"), M_PATCH);
	ck_assert_uint_eq(method_bit("HEAD"), M_HEAD);
	ck_assert_uint_eq(method_bit("OPTIONS"), 0);
	ck_assert_uint_eq(method_bit("GETX"), 0);
	ck_assert_uint_eq(method_bit(""), 0);
}
END_TEST

/* route_dispatch answers 404 and 405 before needing the database. */
static const struct {
	const char *method, *uri;
	int status;
	const char *allow;		/* the Allow header, NULL: none */
	const char *message;
} dispatch_cases[] = {
	{ "GET", "/nowhere", 404, NULL, "Not found." },
	{ "GET", "/api/admin/v1/downloads/0?x=1", 404, NULL, "Not found." },
	{ "PUT", "/api/admin/v1/downloads?page=2", 405, "GET, POST, HEAD",
	    "The method is not supported for this route." },
	{ "POST", "/api/admin/v1/downloads/5", 405, "GET, DELETE, HEAD", NULL },
	/* %XX of an unreserved character means that character (RFC 3986);
	 * an encoded '/' does not split the path. */
	{ "GET", "/api/admin/v1/down%6Coads", 503, NULL, NULL },
	{ "GET", "/api/admin/v1/downloads/%31", 503, NULL, NULL },
	{ "GET", "/api/admin/v1/downloads%2F1", 404, NULL, NULL },
	/* HEAD goes wherever GET goes. */
	{ "HEAD", "/api/admin/v1/downloads", 503, NULL, NULL },
	{ "DELETE", "/api/admin/v1/downloads/5/file", 405, "GET, HEAD", NULL },
	{ "GET", "/api/admin/v1/auth/token/", 405, "POST, DELETE", NULL },
	/* A routed request without a database: 503, never a crash. */
	{ "GET", "/api/v1/wsurl", 503, NULL, "Service unavailable; try again later." },
	{ "GET", "/api/admin/v1/downloads/5", 503, NULL, NULL },
};

START_TEST(test_dispatch)
{
	struct unit_io u = { { { "REQUEST_METHOD", dispatch_cases[_i].method },
	    { "REQUEST_URI", dispatch_cases[_i].uri } }, NULL, 0, 0, 0, { 0 } };
	struct http_io io = unit_io(&u);
	struct request r;
	char want[64];
	json_t *b;

	request_init(&r, NULL, NULL, &io);
	route_dispatch(&r);
	ck_assert_int_eq(r.status, dispatch_cases[_i].status);
	if (dispatch_cases[_i].allow != NULL) {
		snprintf(want, sizeof(want), "Allow: %s\r\n", dispatch_cases[_i].allow);
		ck_assert_ptr_nonnull(r.headers.data);
		ck_assert_str_eq(r.headers.data, want);
	} else
		ck_assert(r.headers.len == 0 || strstr(r.headers.data, "Allow:") == NULL);
	b = json_loads(r.body, 0, NULL);
	ck_assert_ptr_nonnull(b);
	if (dispatch_cases[_i].message != NULL)
		ck_assert_str_eq(json_string_value(json_object_get(b, "message")),
		    dispatch_cases[_i].message);
	json_decref(b);
	request_release(&r);
}
END_TEST

/* 413 comes before authentication: a huge body is refused unread. */
START_TEST(test_dispatch_too_large)
{
	struct unit_io u = { { { "REQUEST_METHOD", "POST" },
	    { "REQUEST_URI", "/api/admin/v1/downloads" },
	    { "CONTENT_TYPE", "application/json" }, { "CONTENT_LENGTH", "1000000" } },
	    NULL, 0, 0, 0, { 0 } };
	struct http_io io = unit_io(&u);
	struct request r;

	request_init(&r, NULL, NULL, &io);
	route_dispatch(&r);
	ck_assert_int_eq(r.status, 413);
	request_release(&r);
}
END_TEST

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, test_route_match, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_method_bit);
	tcase_add_loop_test(tc, test_dispatch, 0,
	    (int)(sizeof(dispatch_cases) / sizeof(dispatch_cases[0])));
	tcase_add_test(tc, test_dispatch_too_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(routes_suite());
}
