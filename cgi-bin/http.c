#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "http.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static int	 hexval(int c);
static void	 path_normalise(char *path);

static const char *
env(const struct request *r, const char *name)
{
	return r->io.param(r->io.ctx, name);
}

void
request_init(struct request *r, const struct conf *c, struct db *db,
    const struct http_io *io)
{
	const char *uri, *q, *len;
	int64_t n;

	memset(r, 0, sizeof(*r));
	r->conf = c;
	r->db = db;
	r->io = *io;
	buf_init(&r->headers);
	r->status = 500;
	r->method = env(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->content_type = env(r, "CONTENT_TYPE");
	r->remote_addr = env(r, "REMOTE_ADDR");
	if (r->remote_addr == NULL)
		r->remote_addr = "";
	len = env(r, "CONTENT_LENGTH");
	r->content_length = len && *len && parse_i64(len, &n) == 0 && n >= 0 ? n :
	    (len && *len ? INT64_MAX : -1);
	uri = env(r, "REQUEST_URI");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	if (q != NULL) {
		r->path = strndup(uri, (size_t)(q - uri));
		r->query = xstrdup(q + 1);
	} else {
		r->path = xstrdup(uri);
		r->query = xstrdup("");
	}
	if (r->path == NULL)
		abort();
	path_normalise(r->path);
	r->query_params = form_parse(r->query, strlen(r->query));
}

/* Decode %XX of unreserved characters (RFC 3986 6.2.2.2), the only ones
 * whose encoding does not change a path's meaning, so routes match. */
static void
path_normalise(char *path)
{
	char *w = path;

	for (char *p = path; *p; p++) {
		int hi, lo, c;

		if (*p == '%' && (hi = hexval((unsigned char)p[1])) >= 0 &&
		    (lo = hexval((unsigned char)p[2])) >= 0) {
			c = hi * 16 + lo;
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			    c == '~') {
				*w++ = (char)c;
				p += 2;
				continue;
			}
		}
		*w++ = *p;
	}
	*w = '\0';
}

void
request_release(struct request *r)
{
	free(r->path);
	free(r->query);
	free(r->body);
	json_decref(r->query_params);
	json_decref(r->input);
	principal_release(&r->who);
	buf_release(&r->headers);
	memset(r, 0, sizeof(*r));
}

const char *
request_header(const struct request *r, const char *cgi_name)
{
	return env(r, cgi_name);
}

json_t *
request_param(const struct request *r, const char *name)
{
	json_t *v = r->input ? json_object_get(r->input, name) : NULL;

	if (v == NULL && r->query_params != NULL)
		v = json_object_get(r->query_params, name);
	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
url_decode(char *s, int plus_is_space)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi = hexval((unsigned char)p[1]), lo;

			if (hi < 0 || (lo = hexval((unsigned char)p[2])) < 0)
				return -1;
			if (hi == 0 && lo == 0)
				return -1;
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else if (*p == '+' && plus_is_space)
			*w++ = ' ';
		else
			*w++ = *p;
	}
	*w = '\0';
	return 0;
}

/* Add key=value to obj; "key[]" and "key[N]" append to an array "key". */
static int
form_add(json_t *obj, char *key, const char *value)
{
	char *br = strchr(key, '[');
	json_t *arr;

	if (br == NULL) {
		/* The last of repeated keys wins, as PHP parses forms. */
		return json_object_set_new(obj, key, json_string(value));
	}
	if (br == key || key[strlen(key) - 1] != ']')
		return -1;
	*br = '\0';
	arr = json_object_get(obj, key);
	if (arr == NULL) {
		arr = json_array();
		/* A key that is not UTF-8 is refused, and arr freed with it. */
		if (json_object_set_new(obj, key, arr) == -1)
			return -1;
	} else if (!json_is_array(arr))
		return -1;
	return json_array_append_new(arr, json_string(value));
}

json_t *
form_parse(const char *s, size_t len)
{
	json_t *obj = json_object();
	char *copy = strndup(s, len), *p, *next;

	if (copy == NULL)
		abort();
	for (p = copy; p != NULL && *p != '\0'; p = next) {
		char *eq, *amp = strchr(p, '&');

		next = amp ? amp + 1 : NULL;
		if (amp)
			*amp = '\0';
		if (*p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		if (url_decode(p, 1) == -1 || (eq && url_decode(eq + 1, 1) == -1) ||
		    !json_is_object(obj) || *p == '\0' ||
		    form_add(obj, p, eq ? eq + 1 : "") == -1) {
			json_decref(obj);
			obj = NULL;
			break;
		}
	}
	free(copy);
	return obj;
}

static int
type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void
body_error(struct request *r, const char *reason)
{
	json_t *b = json_pack("{s:s, s:{s:[s]}}", "message", reason,
	    "errors", "body", reason);

	respond_json(r, 422, b);
}

int
request_read_body(struct request *r)
{
	struct buf b;
	char chunk[8192];
	long n;
	int json;

	if (r->content_length > MAX_BODY) {
		respond_message(r, 413, "The request body is larger than 64 KiB.");
		return 413;
	}
	if (r->content_length <= 0)
		return 0;
	json = type_is(r->content_type, "application/json");
	if (!json && !type_is(r->content_type, "application/x-www-form-urlencoded")) {
		respond_message(r, 415, "Send application/json or"
		    " application/x-www-form-urlencoded.");
		return 415;
	}
	buf_init(&b);
	while (b.len < (size_t)r->content_length) {
		size_t want = (size_t)r->content_length - b.len;

		n = r->io.read(r->io.ctx, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
		if (n <= 0)
			break;
		buf_add(&b, chunk, (size_t)n);
	}
	if (b.len != (size_t)r->content_length) {
		buf_release(&b);
		body_error(r, "The request body is shorter than its Content-Length.");
		return 422;
	}
	if (json) {
		json_error_t err;

		r->input = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &err);
		if (r->input == NULL || !json_is_object(r->input)) {
			int parsed = r->input != NULL;

			/* r->input is an object or NULL, even after a refusal. */
			json_decref(r->input);
			r->input = NULL;
			buf_release(&b);
			body_error(r, parsed ? "The request body must be a JSON object." :
			    "The request body is not valid JSON.");
			return 422;
		}
	} else if ((r->input = form_parse(b.data, b.len)) == NULL) {
		buf_release(&b);
		body_error(r, "The request body is not a valid form.");
		return 422;
	}
	buf_release(&b);
	return 0;
}

void
respond_json(struct request *r, int status, json_t *body)
{
	free(r->body);
	r->status = status;
	r->body = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	r->body_type = "application/json";
	json_decref(body);
}

void
respond_text(struct request *r, int status, const char *type, char *text)
{
	free(r->body);
	r->status = status;
	r->body = text;
	r->body_type = type;
}

void
respond_message(struct request *r, int status, const char *message)
{
	respond_json(r, status, json_pack("{s:s}", "message", message));
}

void
respond_empty(struct request *r, int status)
{
	free(r->body);
	r->body = NULL;
	r->status = status;
}

void
respond_header(struct request *r, const char *name, const char *value)
{
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

const char *
http_reason(int status)
{
	static const struct { int code; const char *text; } reasons[] = {
		{ 200, "OK" }, { 204, "No Content" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 402, "Payment Required" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 410, "Gone" },
		{ 413, "Payload Too Large" }, { 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Entity" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
	};

	for (size_t i = 0; i < nitems(reasons); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return "Unknown";
}

int
request_send(struct request *r)
{
	struct buf out;
	int ret;

	buf_init(&out);
	buf_printf(&out, "Status: %d %s\r\n", r->status, http_reason(r->status));
	if (r->body != NULL)
		buf_printf(&out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    r->body_type, strlen(r->body));
	buf_adds(&out, "Cache-Control: no-store\r\n");
	if (r->headers.len > 0)
		buf_add(&out, r->headers.data, r->headers.len);
	buf_adds(&out, "\r\n");
	if (r->body != NULL)
		buf_adds(&out, r->body);
	ret = r->io.write(r->io.ctx, out.data, out.len);
	buf_release(&out);
	return ret;
}
