/* archivectl camera and stream commands. Stream URLs are stored as given
 * (credentials included, for the recorder) and shown without credentials. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/model.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "lib/banned.h"

/* camera add and camera update take the same. */
static const struct ctl_opt camera_opts[] = {
	{ .name = "name", .type = CTL_STRING },
	{ .name = "group", .type = CTL_STRING },
	{ .name = "address", .type = CTL_STRING },
	{ .name = NULL },
};

static int
camera_add_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *name = ctl_str(args, "name"), *group = ctl_str(args, "group");
	const char *address = ctl_str(args, "address");
	int64_t id;

	if (name == NULL || name[0] == '\0' || strlen(name) > 255)
		return ctl_usage_error("camera add: --name is required (1 to 255 characters)");
	if (group != NULL && (group[0] == '\0' || strlen(group) > 255))
		return ctl_usage_error("camera add: --group must be 1 to 255 characters");
	if (address != NULL && strlen(address) > 1024)
		return ctl_usage_error("camera add: --address is longer than 1024 characters");
	if (camera_create(db, name, group, address, &id) == -1)
		return ctl_fail("camera add: cannot create camera '%s'", name);
	printf("%lld\n", (long long)id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_camera_add = {
	.name = "camera add",
	.usage = "--name NAME [--group NAME] [--address TEXT]",
	.help = "add a camera; prints its id",
	.opts = camera_opts,
	.needs_db = 1,
	.run = camera_add_run,
};

static int
camera_update_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *name = ctl_str(args, "name"), *group = ctl_str(args, "group");
	const char *address = ctl_str(args, "address");
	struct db_stmt *st = NULL;
	long long id;
	int64_t gid = 0;
	int changed = -1;

	if (ctl_parse_id("camera update: ID", args->argv[0], &id) == -1)
		return 2;
	if (name == NULL && group == NULL && address == NULL)
		return ctl_usage_error("camera update: nothing to change: give --name,"
		    " --group or --address");
	if (name != NULL && (name[0] == '\0' || strlen(name) > 255))
		return ctl_usage_error("camera update: --name must be 1 to 255 characters");
	if (group != NULL && strlen(group) > 255)
		return ctl_usage_error("camera update: --group must be at most 255"
		    " characters (empty: no group)");
	if (address != NULL && strlen(address) > 1024)
		return ctl_usage_error("camera update: --address is longer than 1024"
		    " characters");
	if (db_begin(db) == -1)
		return ctl_fail("camera update: cannot update camera %lld", id);
	/* An empty --group takes the camera out of its group. */
	if (group != NULL && group[0] != '\0' && camera_group_id(db, group, &gid) == -1)
		goto out;
	st = db_prepare(db, "UPDATE cameras SET name=coalesce(?1, name),"
	    " group_id=CASE WHEN ?2<>0 THEN nullif(?3, 0) ELSE group_id END,"
	    " address=coalesce(?4, address), updated_at=?5"
	    " WHERE id=?6 AND deleted_at IS NULL");
	if (st == NULL)
		goto out;
	if (name != NULL)
		db_bind_text(st, 1, name);
	db_bind_int(st, 2, group != NULL);
	db_bind_int64(st, 3, gid);
	if (address != NULL)
		db_bind_text(st, 4, address);
	db_bind_int64(st, 5, now_us());
	db_bind_int64(st, 6, id);
	if (db_step_done(st) == -1)
		goto out;
	changed = db_changes(db);
	if (changed == 0 || db_commit(db) == -1)
		changed = changed == 0 ? 0 : -1;
out:
	db_finalize(st);
	if (changed <= 0)
		db_rollback(db);
	if (changed == 0)
		return ctl_fail("camera update: ID: no camera %lld", id);
	if (changed == -1)
		return ctl_fail("camera update: cannot update camera %lld", id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_camera_update = {
	.name = "camera update",
	.usage = "ID [--name NAME] [--group NAME] [--address TEXT]",
	.help = "change a camera's name, group (empty: none) or address",
	.opts = camera_opts,
	.args = { "ID", 1, 1 },
	.needs_db = 1,
	.run = camera_update_run,
};

static json_t *
camera_row(struct db *db, struct db_stmt *st)
{
	return camera_to_json(db, db_column_int64(st, 0), 1);
}

static void
camera_line(json_t *c)
{
	size_t i;
	json_t *s;

	printf("%lld\t%s\t%s\n", (long long)json_integer_value(json_object_get(c, "id")),
	    json_string_value(json_object_get(c, "name")),
	    json_string_value(json_object_get(c, "address")));
	json_array_foreach(json_object_get(c, "streams"), i, s)
		printf("  stream %lld\t%s\t%s\n",
		    (long long)json_integer_value(json_object_get(s, "id")),
		    json_string_value(json_object_get(s, "type")),
		    json_string_value(json_object_get(s, "url")));
}

static int
camera_list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct db_stmt *st;

	if ((st = db_prepare(db, "SELECT id FROM cameras WHERE deleted_at IS NULL"
	    " ORDER BY id")) == NULL)
		return 1;
	return ctl_list(ctl, db, st, camera_row, camera_line);
}

const struct ctl_cmd ctl_cmd_camera_list = {
	.name = "camera list",
	.usage = "",
	.help = "list cameras and their streams (URLs without credentials)",
	.needs_db = 1,
	.run = camera_list_run,
};

static int
stream_add_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *type = ctl_str(args, "type"), *url = ctl_str(args, "url");
	const char *node = ctl_str(args, "node");
	long long camera = ctl_num(args, "camera");
	int64_t id, cam;
	int known;

	if (type == NULL || (strcmp(type, "high") != 0 && strcmp(type, "low") != 0))
		return ctl_usage_error("stream add: --type must be high or low");
	if (url == NULL || strstr(url, "://") == NULL || strlen(url) > 2048)
		return ctl_usage_error("stream add: --url must be a URL such as"
		    " rtsp://host:554/path");
	if (camera_stream_id(db, camera, type, &cam) == 1)
		return ctl_fail("stream add: --type: camera %lld already has a %s stream"
		    " (%lld)", camera, type, (long long)cam);
	{
		json_t *cj = camera_to_json(db, camera, 0);

		if (cj == NULL)
			return ctl_fail("stream add: --camera: no camera %lld", camera);
		json_decref(cj);
	}
	if (node != NULL && (known = ctl_node_known(db, node)) != 1)
		return known == 0 ? ctl_fail("stream add: --node: no node '%s'; add it"
		    " with archivectl node add %s --url URL", node, node) :
		    ctl_fail("stream add: cannot add the stream");
	if (stream_create(db, camera, type, url, node != NULL ? node : "", &id) == -1)
		return ctl_fail("stream add: cannot add the stream");
	printf("%lld\n", (long long)id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_stream_add = {
	.name = "stream add",
	.usage = "--camera ID --type high|low --url URL [--node NAME]",
	.help = "add a stream to a camera; prints its id",
	.opts = (const struct ctl_opt[]){
		{ .name = "camera", .type = CTL_ID, .required = 1 },
		{ .name = "type", .type = CTL_STRING },
		{ .name = "url", .type = CTL_STRING },
		{ .name = "node", .type = CTL_STRING },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = stream_add_run,
};

static json_t *
stream_row(struct db *db, struct db_stmt *st)
{
	char *url = url_strip_credentials(db_column_text(st, 3));
	json_t *o;

	o = json_pack("{s:I, s:I, s:s, s:s, s:I}",
	    "id", (json_int_t)db_column_int64(st, 0),
	    "camera_id", (json_int_t)db_column_int64(st, 1),
	    "type", db_column_text(st, 2), "url", url,
	    "segments", (json_int_t)db_column_int64(st, 4));
	free(url);
	return o;
}

static void
stream_line(json_t *o)
{
	json_int_t id, camera, segments;
	const char *type, *url;

	if (json_unpack(o, "{s:I, s:I, s:s, s:s, s:I}", "id", &id,
	    "camera_id", &camera, "type", &type, "url", &url,
	    "segments", &segments) == 0)
		printf("%lld\tcamera %lld\t%s\t%s\t%lld segments\n", (long long)id,
		    (long long)camera, type, url, (long long)segments);
}

static int
stream_list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct db_stmt *st;

	if ((st = db_prepare(db, "SELECT s.id, s.camera_id, s.type, s.url,"
	    " (SELECT count(*) FROM segments g WHERE g.stream_id = s.id)"
	    " FROM streams s ORDER BY s.id")) == NULL)
		return 1;
	return ctl_list(ctl, db, st, stream_row, stream_line);
}

const struct ctl_cmd ctl_cmd_stream_list = {
	.name = "stream list",
	.usage = "",
	.help = "list streams (URLs without credentials)",
	.needs_db = 1,
	.run = stream_list_run,
};
