/* Laravel's pagination: ?page=&per_page=, and {data, links, meta}. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "handlers.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

#define PER_PAGE_DEFAULT 25
#define PER_PAGE_MAX 100

/* One query value as a whole number in 1..max, else def. */
static int64_t
page_value(struct request *r, const char *name, int64_t max, int64_t def)
{
	const char *s = json_string_value(json_object_get(r->query_params, name));
	int64_t v;

	if (s == NULL || parse_i64(s, &v) == -1 || v < 1 || v > max)
		return def;
	return v;
}

void
page_params(struct request *r, int64_t *page, int64_t *per_page)
{
	*page = page_value(r, "page", 1000000000, 1);
	*per_page = page_value(r, "per_page", PER_PAGE_MAX, PER_PAGE_DEFAULT);
}

/* The link to another page: the same query with page replaced. */
static json_t *
page_link(struct request *r, int64_t page)
{
	struct buf b;
	const char *key;
	json_t *val, *s;

	buf_init(&b);
	buf_printf(&b, "%s%s?page=%lld", r->conf->public_url, r->path, (long long)page);
	json_object_foreach(r->query_params, key, val) {
		const char *sv = json_string_value(val);

		if (sv == NULL || strcmp(key, "page") == 0)
			continue;
		buf_adds(&b, "&");
		for (const char *k = key; *k; k++)
			buf_printf(&b, strchr("&=#?% +", *k) ? "%%%02X" : "%c",
			    (unsigned char)*k);
		buf_adds(&b, "=");
		for (const char *p = sv; *p; p++)
			buf_printf(&b, (unsigned char)*p <= ' ' || strchr("&=#?%+\"<>", *p) ?
			    "%%%02X" : "%c", (unsigned char)*p);
	}
	s = json_string(b.data);
	buf_release(&b);
	return s;
}

json_t *
paginate(struct request *r, json_t *data, int64_t total, int64_t page,
    int64_t per_page)
{
	int64_t last = total == 0 ? 1 : (total + per_page - 1) / per_page;
	int64_t from = (page - 1) * per_page + 1;
	size_t n = json_array_size(data);
	char *path;
	json_t *meta, *links, *out;

	links = json_pack("{s:o, s:o, s:o, s:o}",
	    "first", page_link(r, 1), "last", page_link(r, last),
	    "prev", page > 1 ? page_link(r, page - 1) : json_null(),
	    "next", page < last ? page_link(r, page + 1) : json_null());
	path = path_join(r->conf->public_url, r->path + 1);
	meta = json_pack("{s:I, s:o, s:I, s:s, s:I, s:o, s:I}",
	    "current_page", (json_int_t)page,
	    "from", n > 0 ? json_integer(from) : json_null(),
	    "last_page", (json_int_t)last, "path", path,
	    "per_page", (json_int_t)per_page,
	    "to", n > 0 ? json_integer(from + (int64_t)n - 1) : json_null(),
	    "total", (json_int_t)total);
	free(path);
	out = json_pack("{s:o, s:o, s:o}", "data", data, "links", links, "meta", meta);
	return out;
}
