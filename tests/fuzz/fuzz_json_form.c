/*
 * fuzz_json_form: the responder's input parsers without the routes: the
 * query string and the body (request_init's form_parse of the query,
 * request_read_body's JSON and application/x-www-form-urlencoded),
 * url_decode, and the validation rules the handlers apply to what they
 * parsed (v_integer, v_string, v_time, verr_respond).
 *
 * Input: one byte of options, the query string up to the first '\n', then
 * the body. Options: bits 0-1 the Content-Type (JSON, form, JSON with a
 * charset, text/plain), bit 2 a Content-Length one byte more than the body,
 * bits 3-5 the size of the pieces the body is read in.
 *
 * Invariants: a parsed form is an object of strings and arrays of
 * strings; request_read_body answers 0 with an object, or a status with
 * a JSON body; every response body is valid JSON; no JSON value is
 * written to after it was freed (fuzz_json_check).
 */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi-bin/http.h"
#include "cgi-bin/validate.h"
#include "lib/log.h"
#include "lib/util.h"
#include "fuzz.h"

struct io {
	const char	*env[4][2];
	const uint8_t	*body;
	size_t		 len, pos, piece;
};

static const char *
io_param(void *ctx, const char *name)
{
	struct io *u = ctx;

	for (size_t i = 0; i < 4 && u->env[i][0] != NULL; i++)
		if (strcmp(u->env[i][0], name) == 0)
			return u->env[i][1];
	return NULL;
}

static long
io_read(void *ctx, char *buf, size_t n)
{
	struct io *u = ctx;
	size_t left = u->len - u->pos;

	if (n > u->piece)
		n = u->piece;
	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, u->body + u->pos, n);
	u->pos += n;
	return (long)n;
}

static int
io_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_json_watch();	/* first: before jansson allocates anything */
	log_set_level(LOG_LVL_ERROR);
	setenv("TZ", "Europe/Berlin", 1);
	return 0;
}

/* A form: an object whose values are strings or arrays of strings. */
static void
check_form(json_t *o)
{
	const char *key;
	json_t *v;

	FUZZ_CHECK(json_is_object(o));
	json_object_foreach(o, key, v) {
		FUZZ_CHECK(key[0] != '\0');
		if (json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++)
				FUZZ_CHECK(json_is_string(json_array_get(v, i)));
		} else
			FUZZ_CHECK(json_is_string(v));
	}
}

/* A response body the responder would send is valid JSON. */
static void
check_body(const struct request *r)
{
	json_t *o;

	if (r->body == NULL)
		return;
	o = json_loads(r->body, 0, NULL);
	FUZZ_CHECK(o != NULL);
	json_decref(o);
}

/* The rules the handlers run, on the fields they read and on every
 * field the input has. */
static void
validate(struct request *r)
{
	static const char *const fields[] = { "camera_id", "stream_id", "from",
	    "to", "login", "password", "page", "per_page", "condition",
	    "channel_name", "socket_id" };
	struct verrors v;
	const char *key, *s;
	json_t *val;
	int64_t n;

	verr_init(&v);
	for (size_t i = 0; i < nitems(fields); i++) {
		val = request_param(r, fields[i]);
		(void)v_integer(&v, val, fields[i], i % 2, 1, INT64_MAX / 2, &n);
		(void)v_string(&v, val, fields[i], 0, 255, &s);
		(void)v_time(&v, val, fields[i], 0, (int)(i & 1), &n);
	}
	if (r->input != NULL)
		json_object_foreach(r->input, key, val) {
			(void)v_integer(&v, val, key, 1, INT64_MIN, INT64_MAX, &n);
			(void)v_string(&v, val, key, 1, 40, &s);
			(void)v_time(&v, val, key, 1, 1, &n);
		}
	if (verr_respond(&v, r))
		FUZZ_CHECK(r->status == 422);
	verr_release(&v);
	check_body(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/json",
	    "application/x-www-form-urlencoded", "application/json; charset=utf-8",
	    "text/plain" };
	const uint8_t *nl;
	char uri[4200], clen[32], *query, *copy;
	size_t qlen, blen;
	struct request r;
	struct http_io hio;
	struct io u;
	int rc;

	if (size < 1 || size > 4096)
		return -1;
	nl = memchr(data + 1, '\n', size - 1);
	qlen = nl ? (size_t)(nl - (data + 1)) : size - 1;
	query = fuzz_strndup(data + 1, qlen);
	blen = nl ? size - 1 - qlen - 1 : 0;

	/* The query alone, and url_decode on it. */
	copy = xstrdup(query);
	if (url_decode(copy, data[0] & 1) == 0)
		FUZZ_CHECK(strlen(copy) <= strlen(query));
	free(copy);

	memset(&u, 0, sizeof(u));
	snprintf(uri, sizeof(uri), "/api/v1/downloads?%s", query);
	snprintf(clen, sizeof(clen), "%zu", blen + ((data[0] >> 2) & 1));
	u.env[0][0] = "REQUEST_URI";
	u.env[0][1] = uri;
	u.env[1][0] = "CONTENT_TYPE";
	u.env[1][1] = types[data[0] & 3];
	u.env[2][0] = "CONTENT_LENGTH";
	u.env[2][1] = clen;
	u.body = nl ? nl + 1 : NULL;
	u.len = blen;
	u.piece = (size_t)1 << (((data[0] >> 3) & 7) * 2);	/* 1 .. 16384 */
	hio = (struct http_io){ io_param, io_read, io_write, &u };

	request_init(&r, NULL, NULL, &hio);
	if (r.query_params != NULL)
		check_form(r.query_params);
	rc = request_read_body(&r);
	if (rc == 0) {
		FUZZ_CHECK(r.input == NULL || json_is_object(r.input));
		if (r.input != NULL && (data[0] & 3) == 1)
			check_form(r.input);
	} else {
		FUZZ_CHECK(rc == 413 || rc == 415 || rc == 422);
		FUZZ_CHECK(r.status == rc && r.input == NULL);
		check_body(&r);
	}
	validate(&r);
	request_release(&r);
	free(query);
	fuzz_json_check();
	return 0;
}
