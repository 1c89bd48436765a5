/* archivectl camera and stream commands. Stream URLs are stored as given
 * (credentials included, for the recorder) and shown without credentials. */
#include "config.h"

#include <getopt.h>
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

static int
camera_add_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "group", required_argument, NULL, 'g' },
		{ "address", required_argument, NULL, 'a' },
		OPT_HELP, OPT_END,
	};
	const char *name = NULL, *group = NULL, *address = NULL;
	int64_t id;
	int help = 0, ch;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_camera_add, argc, argv, opts, &help)) != -1) {
		if (ch == 'N')
			name = optarg;
		else if (ch == 'g')
			group = optarg;
		else if (ch == 'a')
			address = optarg;
	}
	PARSE_END(ctl_cmd_camera_add);
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
	.needs_db = 1,
	.run = camera_add_run,
};

static int
camera_update_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "group", required_argument, NULL, 'g' },
		{ "address", required_argument, NULL, 'a' },
		OPT_HELP, OPT_END,
	};
	const char *name = NULL, *group = NULL, *address = NULL;
	sqlite3_stmt *st = NULL;
	long long id;
	int64_t gid = 0;
	int help = 0, ch, changed = -1;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_camera_update, argc, argv, opts, &help)) != -1) {
		if (ch == 'N')
			name = optarg;
		else if (ch == 'g')
			group = optarg;
		else if (ch == 'a')
			address = optarg;
	}
	if (help == 1)
		return 0;
	if (help == 2)
		return 2;
	if (optind + 1 != argc)
		return ctl_usage_error("camera update: ID is required; usage: archivectl"
		    " camera update %s", ctl_cmd_camera_update.usage);
	if (ctl_parse_id("camera update: ID", argv[optind], &id) == -1)
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
	    " group_id=CASE WHEN ?2 THEN nullif(?3, 0) ELSE group_id END,"
	    " address=coalesce(?4, address), updated_at=?5"
	    " WHERE id=?6 AND deleted_at IS NULL");
	if (st == NULL)
		goto out;
	if (name != NULL)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, group != NULL);
	sqlite3_bind_int64(st, 3, gid);
	if (address != NULL)
		sqlite3_bind_text(st, 4, address, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_us());
	sqlite3_bind_int64(st, 6, id);
	if (db_step_done(st) == -1)
		goto out;
	changed = sqlite3_changes(db);
	if (changed == 0 || db_commit(db) == -1)
		changed = changed == 0 ? 0 : -1;
out:
	sqlite3_finalize(st);
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
	.needs_db = 1,
	.run = camera_update_run,
};

static int
camera_list_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = { OPT_HELP, OPT_END };
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int help = 0;

	optind = 0;
	while (ctl_next_opt(&ctl_cmd_camera_list, argc, argv, opts, &help) != -1)
		;
	PARSE_END(ctl_cmd_camera_list);
	if ((st = db_prepare(db, "SELECT id FROM cameras WHERE deleted_at IS NULL"
	    " ORDER BY id")) == NULL)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *c = camera_to_json(db, sqlite3_column_int64(st, 0), 1);
		size_t i;
		json_t *s;

		if (c == NULL)
			continue;
		if (ctl->json) {
			json_array_append_new(arr, c);
			continue;
		}
		printf("%lld\t%s\t%s\n", (long long)json_integer_value(json_object_get(c, "id")),
		    json_string_value(json_object_get(c, "name")),
		    json_string_value(json_object_get(c, "address")));
		json_array_foreach(json_object_get(c, "streams"), i, s)
			printf("  stream %lld\t%s\t%s\n",
			    (long long)json_integer_value(json_object_get(s, "id")),
			    json_string_value(json_object_get(s, "type")),
			    json_string_value(json_object_get(s, "url")));
		json_decref(c);
	}
	sqlite3_finalize(st);
	if (ctl->json)
		json_dumpf(arr, stdout, JSON_INDENT(2)), printf("\n");
	json_decref(arr);
	return 0;
}

const struct ctl_cmd ctl_cmd_camera_list = {
	.name = "camera list",
	.usage = "",
	.help = "list cameras and their streams (URLs without credentials)",
	.needs_db = 1,
	.run = camera_list_run,
};

static int
stream_add_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		OPT_HELP, OPT_END,
	};
	const char *type = NULL, *url = NULL;
	long long camera = 0;
	int64_t id, cam;
	int help = 0, ch;

	optind = 0;
	while ((ch = ctl_next_opt(&ctl_cmd_stream_add, argc, argv, opts, &help)) != -1) {
		if (ch == 'c' && ctl_parse_id("stream add: --camera", optarg, &camera) == -1)
			return 2;
		if (ch == 't')
			type = optarg;
		else if (ch == 'u')
			url = optarg;
	}
	PARSE_END(ctl_cmd_stream_add);
	if (camera == 0)
		return ctl_usage_error("stream add: --camera is required");
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
	if (stream_create(db, camera, type, url, &id) == -1)
		return ctl_fail("stream add: cannot add the stream");
	printf("%lld\n", (long long)id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_stream_add = {
	.name = "stream add",
	.usage = "--camera ID --type high|low --url URL",
	.help = "add a stream to a camera; prints its id",
	.needs_db = 1,
	.run = stream_add_run,
};

static int
stream_list_run(struct ctl *ctl, sqlite3 *db, int argc, char **argv)
{
	static const struct option opts[] = { OPT_HELP, OPT_END };
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int help = 0;

	optind = 0;
	while (ctl_next_opt(&ctl_cmd_stream_list, argc, argv, opts, &help) != -1)
		;
	PARSE_END(ctl_cmd_stream_list);
	if ((st = db_prepare(db, "SELECT s.id, s.camera_id, s.type, s.url,"
	    " (SELECT count(*) FROM segments g WHERE g.stream_id = s.id)"
	    " FROM streams s ORDER BY s.id")) == NULL)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *url = url_strip_credentials((const char *)sqlite3_column_text(st, 3));

		if (ctl->json)
			json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:I}",
			    "id", (json_int_t)sqlite3_column_int64(st, 0),
			    "camera_id", (json_int_t)sqlite3_column_int64(st, 1),
			    "type", sqlite3_column_text(st, 2), "url", url,
			    "segments", (json_int_t)sqlite3_column_int64(st, 4)));
		else
			printf("%lld\tcamera %lld\t%s\t%s\t%lld segments\n",
			    (long long)sqlite3_column_int64(st, 0),
			    (long long)sqlite3_column_int64(st, 1),
			    sqlite3_column_text(st, 2), url,
			    (long long)sqlite3_column_int64(st, 4));
		free(url);
	}
	sqlite3_finalize(st);
	if (ctl->json)
		json_dumpf(arr, stdout, JSON_INDENT(2)), printf("\n");
	json_decref(arr);
	return 0;
}

const struct ctl_cmd ctl_cmd_stream_list = {
	.name = "stream list",
	.usage = "",
	.help = "list streams (URLs without credentials)",
	.needs_db = 1,
	.run = stream_list_run,
};
