/* Forms, percent-decoding, reading bodies through a fake http_io, responses
 * on the wire, and Laravel-worded validation messages. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi-bin/http.h"
#include "lib/util.h"
#include "cgi-bin/validate.h"
#include "unit.h"
#include "lib/banned.h"

/* Is j the JSON text want (NULL: is j NULL)? */
static void
assert_json(json_t *j, const char *want, const char *what)
{
	json_t *w;
	char *got;

	if (want == NULL) {
		got = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		ck_assert_msg(j == NULL, "%s: got %s, want NULL", what, got);
		return;
	}
	ck_assert_msg(j != NULL, "%s: got NULL, want %s", what, want);
	w = json_loads(want, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(w);
	got = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_msg(json_equal(j, w), "%s: got %s, want %s", what, got, want);
	free(got);
	json_decref(w);
}

static const struct { const char *in, *json; } form_cases[] = {
	{ "a=1&b=x+y", "{\"a\":\"1\",\"b\":\"x y\"}" },
	{ "a=%41%62%2B%26%3d%25", "{\"a\":\"Ab+&=%\"}" },
	{ "login=user%40example.com&password=p%2Bw+x",
	    "{\"login\":\"user@example.com\",\"password\":\"p+w x\"}" },
	{ "name=Stra%C3%9Fe+1", "{\"name\":\"Stra\\u00dfe 1\"}" },
	{ "ids[]=1&ids[]=2", "{\"ids\":[\"1\",\"2\"]}" },
	{ "ids%5B%5D=3&ids%5b%5d=4", "{\"ids\":[\"3\",\"4\"]}" },
	{ "ids[0]=", "{\"ids\":[\"\"]}" },
	{ "ids[0]=5&ids[1]=6&from=x", "{\"ids\":[\"5\",\"6\"],\"from\":\"x\"}" },
	{ "a", "{\"a\":\"\"}" },
	{ "a=", "{\"a\":\"\"}" },
	{ "a=1=2", "{\"a\":\"1=2\"}" },
	{ "", "{}" },
	{ "&&a=1&", "{\"a\":\"1\"}" },
	{ "a=1&a=2", "{\"a\":\"2\"}" },
	{ "first+name=J", "{\"first name\":\"J\"}" },
	/* Malformed: the whole form is refused. */
	{ "a=%", NULL },
	{ "a=%4", NULL },
	{ "a=%zz", NULL },
	{ "a=%G0", NULL },
	{ "a=%00", NULL },
	{ "%00=1", NULL },
	{ "a=x%00y", NULL },
	{ "ok=1&a=%", NULL },
	{ "a=%FF", NULL },
	{ "%C3=1", NULL },
	{ "%C3[]=1", NULL },		/* see test_form_parse_freed_array */
	{ "=1", NULL },
	{ "[]=1", NULL },
	{ "ids[=1", NULL },
	{ "a=1&a[]=2", NULL },
};

START_TEST(test_form_parse)
{
	const char *in = form_cases[_i].in;
	json_t *j = form_parse(in, strlen(in));

	assert_json(j, form_cases[_i].json, in);
	json_decref(j);
}
END_TEST

/* jansson's free, deferred: freed memory stays as it was, so that a
 * json_t used after its last reference went behaves as if alive, as it
 * may in production (and must not be used at all). */
static void *deferred[256];
static size_t ndeferred;

static void
deferred_free(void *p)
{
	if (p != NULL && ndeferred < sizeof(deferred) / sizeof(deferred[0]))
		deferred[ndeferred++] = p;
	else
		free(p);
}

/* An array key that is not UTF-8: refused, not appended to the array
 * json_object_set_new() freed when it refused the key (fuzz_json_form). */
START_TEST(test_form_parse_freed_array)
{
	static const char *const in[] = { "%C3[]=1", "a=1&%E9ds[]=3&ids[]=4" };

	json_set_alloc_funcs(malloc, deferred_free);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		json_t *j = form_parse(in[i], strlen(in[i]));

		assert_json(j, NULL, in[i]);
	}
	json_set_alloc_funcs(malloc, free);
	for (size_t i = 0; i < ndeferred; i++)
		free(deferred[i]);
}
END_TEST

/* The length given is honoured: bytes past it are not parsed. */
START_TEST(test_form_parse_length)
{
	json_t *j = form_parse("a=1&b=2", 3);

	assert_json(j, "{\"a\":\"1\"}", "length 3");
	json_decref(j);
}
END_TEST

static const struct { const char *in; int plus; const char *out; } decode_cases[] = {
	{ "a+b", 1, "a b" },
	{ "a+b", 0, "a+b" },
	{ "%2B", 1, "+" },
	{ "%2b%2F", 0, "+/" },
	{ "abc%20", 0, "abc " },
	{ "%e2%82%ac", 0, "\xe2\x82\xac" },
	{ "%25", 0, "%" },
	{ "%2525", 0, "%25" },
	{ "", 0, "" },
	{ "%", 0, NULL },
	{ "%2", 0, NULL },
	{ "abc%", 1, NULL },
	{ "%g0", 0, NULL },
	{ "%0g", 0, NULL },
	{ "%00", 0, NULL },
	{ "a%00b", 1, NULL },
};

START_TEST(test_url_decode)
{
	char buf[64];
	int rc;

	snprintf(buf, sizeof(buf), "%s", decode_cases[_i].in);
	rc = url_decode(buf, decode_cases[_i].plus);
	if (decode_cases[_i].out == NULL) {
		ck_assert_msg(rc == -1, "'%s' accepted as '%s'", decode_cases[_i].in, buf);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", decode_cases[_i].in);
	ck_assert_str_eq(buf, decode_cases[_i].out);
}
END_TEST

struct body_case {
	const char	*type;		/* CONTENT_TYPE, or NULL */
	const char	*length;	/* CONTENT_LENGTH, or NULL: the body's size */
	const char	*body;
	int		 status;	/* 0: accepted */
	const char	*input;		/* r.input when accepted (NULL: none) */
	const char	*message;	/* the response's message otherwise */
};

#define JSON	"application/json"
#define FORM	"application/x-www-form-urlencoded"
#define NOT_OBJECT "The request body must be a JSON object."
#define NOT_JSON "The request body is not valid JSON."

static const struct body_case body_cases[] = {
	{ JSON, NULL, "{\"a\":1,\"b\":\"x\"}", 0, "{\"a\":1,\"b\":\"x\"}", NULL },
	{ JSON "; charset=utf-8", NULL, "{\"ids\":[1,2]}", 0, "{\"ids\":[1,2]}", NULL },
	{ "Application/JSON", NULL, " {} ", 0, "{}", NULL },
	{ JSON, NULL, "[1,2]", 422, NULL, NOT_OBJECT },
	{ JSON, NULL, "[{\"a\":1}]", 422, NULL, NOT_OBJECT },
	{ JSON, NULL, "5", 422, NULL, NULL },
	{ JSON, NULL, "{\"a\":", 422, NULL, NOT_JSON },
	{ JSON, NULL, "{a:1}", 422, NULL, NOT_JSON },
	{ JSON, NULL, "{\"a\":1,\"a\":2}", 422, NULL, NOT_JSON },
	{ JSON, NULL, "{\"a\":1} x", 422, NULL, NOT_JSON },
	{ JSON, NULL, "{\"a\":\"x\\u0000y\"}", 422, NULL, NOT_JSON },
	{ JSON, NULL, "{\"a\":\"\xff\"}", 422, NULL, NOT_JSON },
	{ FORM, NULL, "a=1&b=x+y", 0, "{\"a\":\"1\",\"b\":\"x y\"}", NULL },
	{ FORM "; charset=UTF-8", NULL, "ids[]=1&ids[]=2", 0, "{\"ids\":[\"1\",\"2\"]}", NULL },
	{ FORM, NULL, "a=%zz", 422, NULL, "The request body is not a valid form." },
	{ FORM, NULL, "a=%00", 422, NULL, "The request body is not a valid form." },
	{ "text/plain", NULL, "hello", 415, NULL,
	    "Send application/json or application/x-www-form-urlencoded." },
	{ NULL, NULL, "{}", 415, NULL, NULL },
	{ "application/jsonp", NULL, "{}", 415, NULL, NULL },
	{ "multipart/form-data; boundary=x", NULL, "--x--", 415, NULL, NULL },
	{ JSON, "71680", "{}", 413, NULL, "The request body is larger than 64 KiB." },
	{ JSON, "65537", "{}", 413, NULL, "The request body is larger than 64 KiB." },
	{ JSON, "20", "{\"a\":1}", 422, NULL,
	    "The request body is shorter than its Content-Length." },
	/* No body at all: nothing to parse, whatever the type. */
	{ "text/plain", "0", "", 0, NULL, NULL },
	{ NULL, "", "", 0, NULL, NULL },
	/* Only CONTENT_LENGTH bytes are read. */
	{ JSON, "7", "{\"a\":1}{\"b\":2}", 0, "{\"a\":1}", NULL },
};

START_TEST(test_read_body)
{
	const struct body_case *c = &body_cases[_i];
	struct unit_io u = { { { "REQUEST_METHOD", "POST" },
	    { "REQUEST_URI", "/api/v1/downloads" } }, NULL, 0, 0, 0, { 0 } };
	struct http_io io;
	struct request r;
	char len[32];
	int n = 2, rc;

	snprintf(len, sizeof(len), "%zu", strlen(c->body));
	u.env[n][0] = "CONTENT_LENGTH";
	u.env[n++][1] = c->length ? c->length : len;
	if (c->type != NULL) {
		u.env[n][0] = "CONTENT_TYPE";
		u.env[n++][1] = c->type;
	}
	u.body = c->body;
	u.body_len = strlen(c->body);
	u.piece = 3;
	io = unit_io(&u);
	request_init(&r, NULL, NULL, &io);
	rc = request_read_body(&r);
	ck_assert_msg(rc == c->status, "%s: rc %d, want %d", c->body, rc, c->status);
	if (c->status == 0) {
		assert_json(r.input, c->input, c->body);
	} else {
		json_t *b = json_loads(r.body, 0, NULL);

		ck_assert_int_eq(r.status, c->status);
		ck_assert_ptr_null(r.input);
		ck_assert_ptr_nonnull(b);
		ck_assert(json_is_string(json_object_get(b, "message")));
		if (c->message != NULL)
			ck_assert_str_eq(json_string_value(json_object_get(b, "message")),
			    c->message);
		/* A 422 carries its reason under "errors" too, as Laravel does. */
		if (c->status == 422)
			ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
			    json_object_get(b, "errors"), "body"), 0)),
			    json_string_value(json_object_get(b, "message")));
		json_decref(b);
	}
	request_release(&r);
	buf_release(&u.out);
}
END_TEST

/* Exactly 64 KiB is still accepted, read in pieces. */
START_TEST(test_read_body_limit)
{
	struct unit_io u = { { { "REQUEST_METHOD", "POST" },
	    { "CONTENT_TYPE", JSON }, { "CONTENT_LENGTH", "65536" } }, NULL, 0, 0,
	    4096, { 0 } };
	struct http_io io;
	struct request r;
	char *body = malloc(MAX_BODY + 1);

	ck_assert_int_eq(MAX_BODY, 65536);
	ck_assert_ptr_nonnull(body);
	memset(body, 'x', MAX_BODY);
	memcpy(body, "{\"a\":\"", 6);
	memcpy(body + MAX_BODY - 2, "\"}", 2);
	body[MAX_BODY] = '\0';
	u.body = body;
	u.body_len = MAX_BODY;
	io = unit_io(&u);
	request_init(&r, NULL, NULL, &io);
	ck_assert_int_eq(request_read_body(&r), 0);
	ck_assert_uint_eq(json_string_length(json_object_get(r.input, "a")), MAX_BODY - 8);
	request_release(&r);
	free(body);
}
END_TEST

START_TEST(test_request_init)
{
	struct unit_io u = { { { "REQUEST_URI", "/api/v1/downloads?page=2&per_page=10&a=q" },
	    { "REMOTE_ADDR", "192.0.2.1" }, { "CONTENT_TYPE", FORM },
	    { "CONTENT_LENGTH", "3" } }, "a=b", 3, 0, 0, { 0 } };
	struct http_io io = unit_io(&u);
	struct request r;

	request_init(&r, NULL, NULL, &io);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.path, "/api/v1/downloads");
	ck_assert_str_eq(r.query, "page=2&per_page=10&a=q");
	ck_assert_str_eq(r.remote_addr, "192.0.2.1");
	ck_assert_int_eq(r.content_length, 3);
	ck_assert_str_eq(json_string_value(request_param(&r, "page")), "2");
	ck_assert_str_eq(json_string_value(request_param(&r, "a")), "q");
	ck_assert_int_eq(request_read_body(&r), 0);
	/* The body wins over the query. */
	ck_assert_str_eq(json_string_value(request_param(&r, "a")), "b");
	ck_assert_ptr_null(request_param(&r, "missing"));
	ck_assert_str_eq(request_header(&r, "REMOTE_ADDR"), "192.0.2.1");
	ck_assert_ptr_null(request_header(&r, "HTTP_AUTHORIZATION"));
	request_release(&r);

	memset(&u, 0, sizeof(u));
	io = unit_io(&u);
	request_init(&r, NULL, NULL, &io);
	ck_assert_str_eq(r.path, "/");
	ck_assert_str_eq(r.query, "");
	ck_assert_int_eq(r.content_length, -1);
	ck_assert_ptr_null(request_param(&r, "page"));
	request_release(&r);
}
END_TEST

START_TEST(test_send)
{
	struct unit_io u = { { { "REQUEST_METHOD", "DELETE" } }, NULL, 0, 0, 0, { 0 } };
	struct http_io io = unit_io(&u);
	struct request r;

	request_init(&r, NULL, NULL, &io);
	respond_message(&r, 500, "first");
	respond_header(&r, "Allow", "GET, POST");
	respond_message(&r, 405, "The method is not supported for this route.");
	ck_assert_int_eq(request_send(&r), 0);
	ck_assert_str_eq(u.out.data,
	    "Status: 405 Method Not Allowed\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 57\r\n"
	    "Cache-Control: no-store\r\n"
	    "Allow: GET, POST\r\n"
	    "\r\n"
	    "{\"message\":\"The method is not supported for this route.\"}");
	request_release(&r);
	buf_release(&u.out);

	memset(&u, 0, sizeof(u));
	io = unit_io(&u);
	request_init(&r, NULL, NULL, &io);
	respond_message(&r, 422, "x");
	respond_empty(&r, 204);
	ck_assert_int_eq(request_send(&r), 0);
	ck_assert_str_eq(u.out.data, "Status: 204 No Content\r\nCache-Control: no-store\r\n\r\n");
	request_release(&r);
	buf_release(&u.out);
}
END_TEST

START_TEST(test_reasons)
{
	static const struct { int code; const char *text; } cases[] = {
		{ 200, "OK" }, { 204, "No Content" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 410, "Gone" },
		{ 413, "Payload Too Large" }, { 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Entity" }, { 429, "Too Many Requests" },
		{ 503, "Service Unavailable" }, { 418, "Unknown" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(http_reason(cases[i].code), cases[i].text);
}
END_TEST

/* One rule applied to one value; the reasons it added, in order. */
struct rule_case {
	char		 rule;		/* 'i' v_integer, 's' v_string, 't' v_time */
	const char	*field;
	const char	*value;		/* JSON text, NULL: absent */
	int		 required;
	int		 rc;
	int64_t		 out;		/* for 'i' and 't' when rc is 1 */
	const char	*message;	/* NULL: no error */
};

static const struct rule_case rule_cases[] = {
	{ 'i', "stream_id", NULL, 1, 0, 0, "The stream id field is required." },
	{ 'i', "stream_id", NULL, 0, 0, 0, NULL },
	{ 'i', "stream_id", "null", 1, 0, 0, "The stream id field is required." },
	{ 'i', "stream_id", "\"\"", 1, 0, 0, "The stream id field is required." },
	{ 'i', "stream_id", "\"\"", 0, 0, 0, NULL },
	{ 'i', "stream_id", "5", 1, 1, 5, NULL },
	{ 'i', "stream_id", "\"12\"", 1, 1, 12, NULL },
	{ 'i', "stream_id", "100", 1, 1, 100, NULL },
	{ 'i', "stream_id", "\"abc\"", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "1.5", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "1.0", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "true", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "[1]", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "\" 5\"", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "\"5x\"", 1, -1, 0, "The stream id must be an integer." },
	{ 'i', "stream_id", "\"9223372036854775808\"", 1, -1, 0,
	    "The stream id must be an integer." },
	{ 'i', "stream_id", "0", 1, -1, 0, "The stream id must be between 1 and 100." },
	{ 'i', "stream_id", "\"-3\"", 1, -1, 0, "The stream id must be between 1 and 100." },
	{ 'i', "stream_id", "101", 1, -1, 0, "The stream id must be between 1 and 100." },
	{ 's', "name", "\"Camera 1\"", 1, 1, 0, NULL },
	{ 's', "name", "5", 1, -1, 0, "The name must be a string." },
	{ 's', "name", "{}", 1, -1, 0, "The name must be a string." },
	{ 's', "name", "\"abcdefghijk\"", 1, -1, 0,
	    "The name must not be greater than 10 characters." },
	{ 's', "name", NULL, 1, 0, 0, "The name field is required." },
	{ 't', "from", "\"2019-09-20 17:00:00\"", 1, 1, 1568998800000000LL, NULL },
	{ 't', "from", "\"2019-09-20T19:00:00+02:00\"", 1, 1, 1568998800000000LL, NULL },
	{ 't', "from", "\"2019-09-20\"", 1, -1, 0,
	    "The from does not match the format Y-m-d H:i:s (or ISO 8601 with an offset)." },
	{ 't', "from", "\"2019-02-30 00:00:00\"", 1, -1, 0, "The from is not a valid date." },
	{ 't', "to", "\"1969-12-31 23:59:59\"", 1, -1, 0, "The to must be between 1970 and 9999." },
	{ 't', "to", "\"tomorrow\"", 1, -1, 0,
	    "The to does not match the format Y-m-d H:i:s (or ISO 8601 with an offset)." },
	{ 't', "to", "1568998800", 1, -1, 0, "The to must be a string." },
	{ 't', "to", NULL, 1, 0, 0, "The to field is required." },
	{ 't', "to", "\"2019-09-20T17:00:00.000000000000000000000000000000000Z\"", 1, -1, 0,
	    "The to must not be greater than 40 characters." },
};

START_TEST(test_rules)
{
	const struct rule_case *c = &rule_cases[_i];
	json_t *val = c->value ? json_loads(c->value, JSON_DECODE_ANY, NULL) : NULL;
	struct verrors v;
	int64_t out = -7;
	const char *s = NULL;
	int rc = 0;

	unit_set_tz("UTC");
	ck_assert(c->value == NULL || val != NULL);
	verr_init(&v);
	switch (c->rule) {
	case 'i':
		rc = v_integer(&v, val, c->field, c->required, 1, 100, &out);
		break;
	case 's':
		rc = v_string(&v, val, c->field, c->required, 10, &s);
		break;
	case 't':
		rc = v_time(&v, val, c->field, c->required, 0, &out);
		break;
	}
	ck_assert_msg(rc == c->rc, "%s=%s: rc %d, want %d", c->field, c->value, rc, c->rc);
	if (rc == 1 && c->rule != 's')
		ck_assert_int_eq(out, c->out);
	if (rc == 1 && c->rule == 's')
		ck_assert_str_eq(s, json_string_value(val));
	if (c->message == NULL) {
		ck_assert_int_eq(v.count, 0);
		ck_assert(!verr_has(&v, c->field));
	} else {
		ck_assert_int_eq(v.count, 1);
		ck_assert(verr_has(&v, c->field));
		ck_assert_str_eq(json_string_value(json_array_get(
		    json_object_get(v.errors, c->field), 0)), c->message);
	}
	verr_release(&v);
	json_decref(val);
}
END_TEST

/* The 422 body: the first reason, "(and N more error[s])", every reason. */
START_TEST(test_respond)
{
	static const struct { int n; const char *message; } cases[] = {
		{ 0, NULL },
		{ 1, "The from field is required." },
		{ 2, "The from field is required. (and 1 more error)" },
		{ 3, "The from field is required. (and 2 more errors)" },
		{ 5, "The from field is required. (and 4 more errors)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct unit_io u = { { { NULL, NULL } }, NULL, 0, 0, 0, { 0 } };
		struct http_io io = unit_io(&u);
		struct verrors v;
		struct request r;
		json_t *b;

		request_init(&r, NULL, NULL, &io);
		verr_init(&v);
		for (int k = 0; k < cases[i].n; k++) {
			if (k == 0)
				verr_add(&v, "from", "The from field is required.");
			else if (k % 2 == 1)
				verr_add(&v, "to", "The to reason %d.", k);
			else
				verr_add(&v, "from", "The from reason %d.", k);
		}
		if (cases[i].message == NULL) {
			ck_assert_int_eq(verr_respond(&v, &r), 0);
			ck_assert_ptr_null(r.body);
			verr_release(&v);
			request_release(&r);
			continue;
		}
		ck_assert_int_eq(verr_respond(&v, &r), 1);
		ck_assert_int_eq(r.status, 422);
		b = json_loads(r.body, 0, NULL);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(json_string_value(json_object_get(b, "message")),
		    cases[i].message);
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
		    json_object_get(b, "errors"), "from"), 0)), "The from field is required.");
		ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(b,
		    "errors"), "from")) + json_array_size(json_object_get(json_object_get(b,
		    "errors"), "to")), (size_t)cases[i].n);
		json_decref(b);
		verr_release(&v);
		request_release(&r);
	}
}
END_TEST

START_TEST(test_field_label)
{
	char out[8];

	field_label("stream_id", out, sizeof(out));
	ck_assert_str_eq(out, "stream ");
	field_label("a_b", out, sizeof(out));
	ck_assert_str_eq(out, "a b");
	field_label("", out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_form_parse, 0,
	    (int)(sizeof(form_cases) / sizeof(form_cases[0])));
	tcase_add_test(tc, test_form_parse_length);
	tcase_add_test(tc, test_form_parse_freed_array);
	tcase_add_loop_test(tc, test_url_decode, 0,
	    (int)(sizeof(decode_cases) / sizeof(decode_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_loop_test(tc, test_read_body, 0,
	    (int)(sizeof(body_cases) / sizeof(body_cases[0])));
	tcase_add_test(tc, test_read_body_limit);
	tcase_add_test(tc, test_request_init);
	tcase_add_test(tc, test_send);
	tcase_add_test(tc, test_reasons);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_rules, 0,
	    (int)(sizeof(rule_cases) / sizeof(rule_cases[0])));
	tcase_add_test(tc, test_respond);
	tcase_add_test(tc, test_field_label);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(http_suite());
}
