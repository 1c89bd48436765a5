#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "model.h"
#include "timefmt.h"
#include "urlsign.h"
#include "util.h"
#include "banned.h"

/* How a column becomes JSON. NULL in the database is JSON null. */
enum fkind { F_INT, F_TEXT, F_BOOL, F_REAL, F_TIME, F_URL };

struct field {
	const char	*name;		/* JSON key and column name */
	enum fkind	 kind;
};

/* The product page's camera object, in its order. */
static const struct field camera_fields[] = {
	{ "id", F_INT }, { "group_id", F_INT }, { "status", F_TEXT },
	{ "type", F_TEXT }, { "start_at", F_TIME }, { "created_at", F_TIME },
	{ "name", F_TEXT }, { "address", F_TEXT }, { "can_edit", F_BOOL },
	{ "origin", F_TEXT }, { "user_type", F_TEXT }, { "shared_from", F_TEXT },
	{ "ip", F_TEXT }, { "lat", F_REAL }, { "lng", F_REAL },
	{ "azimuth", F_REAL }, { "is_sensitive", F_INT }, { "is_public", F_INT },
	{ "is_ip_reserved", F_BOOL }, { "count_issues", F_INT },
	{ "source", F_TEXT }, { "archive_storage_days", F_INT },
	{ "is_archive_recording", F_BOOL }, { "archive_recording_type", F_TEXT },
	{ "is_increased_reconnect", F_INT }, { "is_sound_enabled", F_BOOL },
	{ "is_bridge", F_BOOL }, { "can_change_archive_timetable", F_BOOL },
	{ "is_auto_create_streams", F_BOOL }, { "is_provisioning_enable", F_BOOL },
	{ "is_can_manage_archive_storage_days", F_BOOL }, { "is_editable", F_BOOL },
	{ "status_changed_at", F_TIME }, { "is_intercom", F_BOOL },
	{ "deleted_at", F_TIME },
};

/* The product page's stream object, in its order. */
static const struct field stream_fields[] = {
	{ "id", F_INT }, { "type", F_TEXT }, { "camera_id", F_INT },
	{ "status", F_TEXT }, { "url", F_URL }, { "bitrate", F_INT },
	{ "resolution", F_TEXT }, { "output_rate", F_INT }, { "ip", F_TEXT },
	{ "uuid", F_TEXT }, { "sound", F_TEXT }, { "streams_count", F_INT },
	{ "created_at", F_TIME }, { "updated_at", F_TIME },
	{ "is_preview_from_server", F_BOOL }, { "is_archive_from_server", F_BOOL },
	{ "is_enabled", F_BOOL }, { "is_can_transfer", F_BOOL },
	{ "source", F_TEXT }, { "is_sound_enabled", F_BOOL },
	{ "reconnect_attempt", F_INT }, { "reconnect_total", F_INT },
	{ "reconnect_time", F_INT }, { "disconnections_count", F_INT },
};

static json_t *
column_json(struct db_stmt *st, int i, enum fkind kind)
{
	char t[TIME_UTC_LEN];

	if (db_column_type(st, i) == DB_NULL)
		return json_null();
	switch (kind) {
	case F_INT:
		return json_integer(db_column_int64(st, i));
	case F_BOOL:
		return json_boolean(db_column_int64(st, i) != 0);
	case F_REAL:
		return json_real(db_column_double(st, i));
	case F_TIME:
		time_format_utc(db_column_int64(st, i), t);
		return json_string(t);
	case F_URL: {
		char *u = url_strip_credentials(db_column_text(st, i));
		json_t *j = json_string(u);

		free(u);
		return j;
	}
	case F_TEXT:
		break;
	}
	return json_string(db_column_text(st, i));
}

/* Select the fields of one row of table by id into a JSON object. */
static json_t *
row_json(struct db *db, const char *table, const struct field *fields,
    size_t n, int64_t id)
{
	struct buf sql;
	struct db_stmt *st = NULL;
	json_t *obj = NULL;
	int rc;

	buf_init(&sql);
	buf_adds(&sql, "SELECT ");
	for (size_t i = 0; i < n; i++)
		buf_printf(&sql, "%s%s", i ? ", " : "", fields[i].name);
	buf_printf(&sql, " FROM %s WHERE id=?", table);
	if ((st = db_stmt(db, sql.data)) == NULL)
		goto out;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		obj = json_object();
		for (size_t i = 0; i < n; i++)
			json_object_set_new(obj, fields[i].name,
			    column_json(st, (int)i, fields[i].kind));
	} else if (rc != DB_DONE)
		error("database: %s", db_errmsg(db));
out:
	db_stmt_done(st);
	buf_release(&sql);
	return obj;
}

json_t *
camera_to_json(struct db *db, int64_t camera_id, int with_streams)
{
	json_t *cam = row_json(db, "cameras", camera_fields,
	    nitems(camera_fields), camera_id);
	struct db_stmt *st;
	json_t *streams;

	if (cam == NULL || !with_streams)
		return cam;
	streams = json_array();
	st = db_prepare(db, "SELECT id FROM streams WHERE camera_id=? ORDER BY id");
	if (st != NULL) {
		db_bind_int64(st, 1, camera_id);
		while (db_step(st) == DB_ROW) {
			json_t *s = row_json(db, "streams", stream_fields,
			    nitems(stream_fields), db_column_int64(st, 0));

			if (s != NULL)
				json_array_append_new(streams, s);
		}
		db_finalize(st);
	}
	json_object_set_new(cam, "streams", streams);
	return cam;
}

json_t *
client_user_to_json(struct db *db, int64_t user_id, int64_t token_id)
{
	struct db_stmt *st = db_stmt(db, "SELECT login, name, password_hash IS NOT NULL,"
	    " created_at, updated_at FROM users WHERE id=?");
	char created[TIME_UTC_LEN], updated[TIME_UTC_LEN], tid[24];
	json_t *u = NULL;

	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, user_id);
	if (db_step(st) == DB_ROW) {
		time_format_utc(db_column_int64(st, 3), created);
		time_format_utc(db_column_int64(st, 4), updated);
		snprintf(tid, sizeof(tid), "%lld", (long long)token_id);
		u = json_pack("{s:I, s:s, s:s, s:n, s:[], s:s, s:s, s:s, s:b, s:[]}",
		    "id", (json_int_t)user_id,
		    "login", db_column_text(st, 0),
		    "name", db_column_text(st, 1),
		    "parent_id", "permissions",
		    "created_at", created, "updated_at", updated,
		    "access_token_id", tid,
		    "can_update_password", db_column_int(st, 2),
		    "analytic_license");
	}
	db_stmt_done(st);
	return u;
}

json_t *
stream_short_json(struct db *db, int64_t stream_id)
{
	/* The picture size: the stream's "WxH" resolution, else what its
	 * newest indexed segment says. */
	struct db_stmt *st = db_stmt(db, "SELECT s.type, s.camera_id,"
	    " s.is_preview_from_server, s.is_archive_from_server, s.status,"
	    " CASE WHEN g.has_audio IS NOT NULL THEN g.has_audio"
	    "  ELSE coalesce(s.is_sound_enabled, 0) END,"
	    " s.resolution, g.width, g.height FROM streams s LEFT JOIN"
	    " (SELECT has_audio, width, height FROM segments WHERE stream_id=?1"
	    "  ORDER BY start_us DESC LIMIT 1) g ON 1=1 WHERE s.id=?1");
	json_t *o = NULL;
	int w = 0, h = 0;

	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, stream_id);
	if (db_step(st) == DB_ROW) {
		const char *res = db_column_text(st, 6);

		if (res == NULL || sscanf(res, "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0) {
			w = db_column_int(st, 7);
			h = db_column_int(st, 8);
		}
		o = json_pack("{s:I, s:o, s:I, s:b, s:b, s:o, s:b, s:o, s:o}",
		    "id", (json_int_t)stream_id,
		    "type", column_json(st, 0, F_TEXT),
		    "camera_id", (json_int_t)db_column_int64(st, 1),
		    "is_preview_from_server", db_column_int(st, 2),
		    "is_archive_from_server", db_column_int(st, 3),
		    "status", column_json(st, 4, F_TEXT),
		    "has_sound", db_column_int(st, 5),
		    "width", w > 0 ? json_integer(w) : json_null(),
		    "height", h > 0 ? json_integer(h) : json_null());
	}
	db_stmt_done(st);
	return o;
}

json_t *
stream_to_json(struct db *db, int64_t stream_id)
{
	json_t *s = row_json(db, "streams", stream_fields, nitems(stream_fields),
	    stream_id);
	json_t *cam;

	if (s == NULL)
		return NULL;
	cam = camera_to_json(db, json_integer_value(json_object_get(s, "camera_id")), 0);
	json_object_set_new(s, "camera", cam ? cam : json_null());
	return s;
}

static int
lookup_id(struct db *db, const char *sql, int64_t key, const char *text, int64_t *out)
{
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, key);
	if (text != NULL)
		db_bind_text(st, 2, text);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_column_int64(st, 0);
		ret = 1;
	} else
		ret = rc == DB_DONE ? 0 : error("database: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

json_t *
camera_list_json(struct db *db, int64_t offset, int64_t limit, int64_t *total)
{
	struct db_stmt *st;
	json_t *data;
	int rc;

	if (db_query_int(db, "SELECT count(*) FROM cameras WHERE deleted_at IS NULL",
	    total) == -1 ||
	    (st = db_prepare(db, "SELECT id FROM cameras WHERE deleted_at IS NULL"
	    " ORDER BY id LIMIT ? OFFSET ?")) == NULL)
		return NULL;
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	data = json_array();
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *c = camera_to_json(db, db_column_int64(st, 0), 1);

		if (c != NULL)
			json_array_append_new(data, c);
	}
	if (rc != DB_DONE) {
		error("cannot list cameras: %s", db_errmsg(db));
		json_decref(data);
		data = NULL;
	}
	db_finalize(st);
	return data;
}

int
camera_stream_id(struct db *db, int64_t camera_id, const char *type, int64_t *stream_id)
{
	return lookup_id(db, "SELECT s.id FROM streams s JOIN cameras c"
	    " ON c.id = s.camera_id WHERE s.camera_id=? AND s.type=?"
	    " AND c.deleted_at IS NULL", camera_id, type, stream_id);
}

int
stream_exists(struct db *db, int64_t stream_id, int64_t *camera_id)
{
	return lookup_id(db, "SELECT s.camera_id FROM streams s JOIN cameras c"
	    " ON c.id = s.camera_id WHERE s.id=? AND c.deleted_at IS NULL",
	    stream_id, NULL, camera_id);
}

char *
stream_label(struct db *db, int64_t stream_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT c.address, c.name FROM streams s"
	    " JOIN cameras c ON c.id = s.camera_id WHERE s.id=?");
	char *label = NULL;

	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, stream_id);
	if (db_step(st) == DB_ROW) {
		const char *addr = db_column_text(st, 0);
		const char *name = db_column_text(st, 1);

		label = xstrdup(addr != NULL && addr[0] != '\0' ? addr : name);
	}
	db_finalize(st);
	return label;
}

int
camera_group_id(struct db *db, const char *group, int64_t *gid)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO camera_groups(name, created_at)"
	    " VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET name=excluded.name"
	    " RETURNING id");
	int ret = -1;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, group);
	db_bind_int64(st, 2, now_us());
	if (db_step(st) == DB_ROW) {
		*gid = db_column_int64(st, 0);
		ret = 0;
	} else
		error("cannot store camera group: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

int
camera_create(struct db *db, const char *name, const char *group,
    const char *address, int64_t *id)
{
	struct db_stmt *st = NULL;
	int64_t now = now_us(), gid = 0;
	int ret = -1;

	if (db_begin(db) == -1)
		return -1;
	if (group != NULL && camera_group_id(db, group, &gid) == -1)
		goto out;
	st = db_prepare(db, "INSERT INTO cameras(group_id, name, address,"
	    " created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		goto out;
	if (gid != 0)
		db_bind_int64(st, 1, gid);
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, address ? address : "");
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, now);
	if (db_step(st) != DB_ROW)
		goto out;
	*id = db_column_int64(st, 0);
	db_finalize(st);
	st = NULL;
	ret = db_commit(db);
out:
	if (ret == -1) {
		error("cannot create camera: %s", db_errmsg(db));
		db_rollback(db);
	}
	db_finalize(st);
	return ret;
}

int
stream_create(struct db *db, int64_t camera_id, const char *type, const char *url,
    const char *node, int64_t *id)
{
	unsigned char r[16];
	char hex[33], uuid[37];
	struct db_stmt *st;
	int64_t now = now_us();
	int ret = -1;

	if (random_bytes(r, sizeof(r)) == -1)
		return -1;
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* variant 1 */
	hex_encode(r, sizeof(r), hex);
	snprintf(uuid, sizeof(uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
	st = db_prepare(db, "INSERT INTO streams(camera_id, type, url, uuid,"
	    " created_at, updated_at, node) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, camera_id);
	db_bind_text(st, 2, type);
	db_bind_text(st, 3, url);
	db_bind_text(st, 4, uuid);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, now);
	db_bind_text(st, 7, node);
	if (db_step(st) == DB_ROW) {
		*id = db_column_int64(st, 0);
		ret = 0;
	} else
		error("cannot create stream: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

static void
interval_add(json_t *arr, int64_t from, int64_t to)
{
	char f[TIME_LOCAL_LEN], t[TIME_LOCAL_LEN];

	time_format_local(from, f);
	time_format_local(to, t);
	json_array_append_new(arr, json_pack("{s:s, s:s}", "from", f, "to", t));
}

json_t *
stream_intervals_json(struct db *db, int64_t stream_id, int64_t from, int64_t to,
    int64_t join_us)
{
	struct db_stmt *st = db_prepare(db, "SELECT start_us, end_us FROM segments"
	    " WHERE stream_id=? AND end_us>? AND start_us<? ORDER BY start_us");
	json_t *arr;
	int64_t cur_from = -1, cur_to = -1;

	if (st == NULL)
		return NULL;
	arr = json_array();
	db_bind_int64(st, 1, stream_id);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, to);
	while (db_step(st) == DB_ROW) {
		int64_t s = db_column_int64(st, 0), e = db_column_int64(st, 1);

		s = s < from ? from : s;
		e = e > to ? to : e;
		if (cur_from >= 0 && s <= cur_to + join_us) {
			if (e > cur_to)
				cur_to = e;
			continue;
		}
		if (cur_from >= 0)
			interval_add(arr, cur_from, cur_to);
		cur_from = s;
		cur_to = e;
	}
	if (cur_from >= 0)
		interval_add(arr, cur_from, cur_to);
	db_finalize(st);
	return arr;
}
