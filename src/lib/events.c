#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "download.h"
#include "events.h"
#include "log.h"
#include "util.h"
#include "banned.h"

int64_t
event_insert(struct db *db, const struct conf *c, int64_t download_id,
    const char *type, int ok)
{
	json_t *dl = download_to_json(db, c, download_id), *payload, *url;
	struct db_stmt *st = NULL;
	char *text = NULL;
	int64_t id = -1;

	if (dl == NULL)
		return error("event for missing download %lld", (long long)download_id);
	url = json_object_get(dl, "url");
	url = ok && json_string_length(url) > 0 ? json_copy(url) : json_null();
	/* A failure's download says so too: a client reading download.url
	 * finds null, as in data.url (the product sends {"url": null}). */
	if (!ok)
		json_object_set_new(dl, "url", json_null());
	payload = json_pack("{s:s, s:s, s:{s:o, s:o}}", "type", type,
	    "status", ok ? "ok" : "error", "data", "url", url, "download", dl);
	text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	st = db_prepare(db, "INSERT INTO events(user_id, token_id, download_id, type,"
	    " payload, created_at) SELECT user_id, token_id, id, ?, ?, ?"
	    " FROM downloads WHERE id=? RETURNING id");
	if (st == NULL || text == NULL)
		goto out;
	db_bind_text(st, 1, type);
	db_bind_text(st, 2, text);
	db_bind_int64(st, 3, now_us());
	db_bind_int64(st, 4, download_id);
	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	else
		error("cannot insert event: %s", db_errmsg(db));
out:
	db_finalize(st);
	free(text);
	return id;
}

int
event_on_token_channel(const struct conf *c, const char *type)
{
	(void)c;
	return strcmp(type, EV_GENERATED) == 0;
}

int
event_on_user_channel(const struct conf *c, const char *type)
{
	return strcmp(type, EV_GENERATED) != 0 || c->pusher.generated_on_user_channel;
}

char *
event_envelope(int64_t event_id, const char *payload)
{
	json_t *inner = json_loads(payload, 0, NULL), *env;
	char *s;

	if (inner == NULL)
		return NULL;
	json_object_set_new(inner, "event_id", json_integer(event_id));
	env = json_pack("{s:o, s:n, s:n}", "data", inner, "subject", "message");
	s = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return s;
}
