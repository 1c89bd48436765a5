#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

void
verr_init(struct verrors *v)
{
	v->errors = json_object();
	v->count = 0;
}

void
verr_release(struct verrors *v)
{
	json_decref(v->errors);
	v->errors = NULL;
}

void
verr_add(struct verrors *v, const char *field, const char *fmt, ...)
{
	char msg[256];
	json_t *list;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((list = json_object_get(v->errors, field)) == NULL) {
		list = json_array();
		json_object_set_new(v->errors, field, list);
	}
	json_array_append_new(list, json_string(msg));
	v->count++;
}

int
verr_has(const struct verrors *v, const char *field)
{
	return json_object_get(v->errors, field) != NULL;
}

int
verr_respond(struct verrors *v, struct request *r)
{
	const char *first = NULL;
	const char *key;
	json_t *list;
	char msg[320];

	if (v->count == 0)
		return 0;
	json_object_foreach(v->errors, key, list) {
		first = json_string_value(json_array_get(list, 0));
		break;
	}
	if (v->count > 1)
		snprintf(msg, sizeof(msg), "%s (and %d more error%s)", first,
		    v->count - 1, v->count > 2 ? "s" : "");
	else
		snprintf(msg, sizeof(msg), "%s", first);
	respond_json(r, 422, json_pack("{s:s, s:O}", "message", msg,
	    "errors", v->errors));
	return 1;
}

void
field_label(const char *field, char *out, size_t len)
{
	size_t i;

	for (i = 0; field[i] != '\0' && i + 1 < len; i++)
		out[i] = field[i] == '_' ? ' ' : field[i];
	out[i] = '\0';
}

static int
absent(struct verrors *v, json_t *val, const char *field, int required)
{
	char label[64];

	if (val != NULL && !json_is_null(val) &&
	    !(json_is_string(val) && json_string_length(val) == 0))
		return 0;
	if (required) {
		field_label(field, label, sizeof(label));
		verr_add(v, field, "The %s field is required.", label);
	}
	return 1;
}

int
v_integer(struct verrors *v, json_t *val, const char *field, int required,
    int64_t min, int64_t max, int64_t *out)
{
	char label[64];
	int64_t n;

	if (absent(v, val, field, required))
		return 0;
	field_label(field, label, sizeof(label));
	if (json_is_integer(val))
		n = json_integer_value(val);
	else if (!json_is_string(val) || parse_i64(json_string_value(val), &n) == -1) {
		verr_add(v, field, "The %s must be an integer.", label);
		return -1;
	}
	if (n < min || n > max) {
		verr_add(v, field, "The %s must be between %lld and %lld.", label,
		    (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 1;
}

int
v_string(struct verrors *v, json_t *val, const char *field, int required,
    size_t maxlen, const char **out)
{
	char label[64];

	if (absent(v, val, field, required))
		return 0;
	field_label(field, label, sizeof(label));
	if (!json_is_string(val)) {
		verr_add(v, field, "The %s must be a string.", label);
		return -1;
	}
	if (json_string_length(val) > maxlen ||
	    strlen(json_string_value(val)) != json_string_length(val)) {
		verr_add(v, field, "The %s must not be greater than %zu characters.",
		    label, maxlen);
		return -1;
	}
	*out = json_string_value(val);
	return 1;
}

int
v_time(struct verrors *v, json_t *val, const char *field, int required,
    int allow_date, int64_t *out)
{
	const char *s;
	char label[64];
	enum time_err e;
	int rc = v_string(v, val, field, required, 40, &s);

	if (rc != 1)
		return rc;
	field_label(field, label, sizeof(label));
	if ((e = time_parse(s, allow_date, out)) != TIME_OK) {
		verr_add(v, field, "The %s %s.", label, time_strerror(e));
		return -1;
	}
	return 1;
}
