/* archivectl node add|list|remove, stream update: which recording server
 * (node) holds a stream's footage, and the public URL each serves its
 * archives from. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

/* 1 if node is "" (the one-box default) or in the nodes table, 0 if not,
 * -1 on error. */
int
ctl_node_known(struct db *db, const char *node)
{
	struct db_stmt *st;
	int rc;

	if (node[0] == '\0')
		return 1;
	if ((st = db_prepare(db, "SELECT 1 FROM nodes WHERE name=?")) == NULL)
		return -1;
	db_bind_text(st, 1, node);
	rc = db_step(st);
	db_finalize(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : error("database: %s", db_errmsg(db));
}

static int
node_add_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *name = args->argv[0], *url = ctl_str(args, "url");
	struct db_stmt *st;
	char *base;
	size_t n;
	int ret;

	if (!conf_node_name_ok(name))
		return ctl_usage_error("node add: NAME must be 1 to 63 letters,"
		    " digits, '.', '-' or '_'");
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) || strlen(url) > 1024)
		return ctl_usage_error("node add: --url must be the node's public_url,"
		    " such as https://rec2.example.org");
	base = xstrdup(url);
	n = strlen(base);
	while (n > 8 && base[n - 1] == '/')
		base[--n] = '\0';
	st = db_prepare(db, "INSERT INTO nodes(name, url, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET"
	    " url=excluded.url, updated_at=excluded.updated_at");
	if (st == NULL) {
		free(base);
		return ctl_fail("node add: cannot store the node");
	}
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, base);
	db_bind_int64(st, 3, now_us());
	ret = db_step_done(st);
	db_finalize(st);
	free(base);
	(void)ctl;
	return ret == 0 ? 0 : ctl_fail("node add: cannot store the node");
}

const struct ctl_cmd ctl_cmd_node_add = {
	.name = "node add",
	.usage = "NAME --url URL",
	.help = "add a recording server, or change its public URL",
	.opts = (const struct ctl_opt[]){
		{ .name = "url", .type = CTL_STRING, .required = 1 },
		{ .name = NULL },
	},
	.args = { "NAME", 1, 1 },
	.needs_db = 1,
	.run = node_add_run,
};

static json_t *
node_row(struct db *db, struct db_stmt *st)
{
	json_t *o = json_pack("{s:s, s:s, s:I}",
	    "name", db_column_text(st, 0), "url", db_column_text(st, 1),
	    "streams", (json_int_t)db_column_int64(st, 2));

	(void)db;
	if (db_column_type(st, 3) == DB_NULL)
		json_object_set_new(o, "worker_seen", json_null());
	else
		json_object_set_new(o, "worker_seen",
		    json_real((double)(now_us() - db_column_int64(st, 3)) /
		    USEC_PER_SEC));
	return o;
}

static void
node_line(json_t *o)
{
	json_t *seen = json_object_get(o, "worker_seen");
	char when[64];

	if (json_is_number(seen))
		snprintf(when, sizeof(when), "worker seen %.0f s ago",
		    json_number_value(seen));
	else
		snprintf(when, sizeof(when), "no worker seen");
	printf("%s\t%s\t%lld streams\t%s\n",
	    json_string_value(json_object_get(o, "name")),
	    json_string_value(json_object_get(o, "url")),
	    (long long)json_integer_value(json_object_get(o, "streams")), when);
}

static int
node_list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	struct db_stmt *st;

	(void)args;
	if ((st = db_prepare(db, "SELECT n.name, n.url,"
	    " (SELECT count(*) FROM streams s WHERE s.node=n.name),"
	    " (SELECT max(beat_at) FROM daemons d WHERE d.name='archived'"
	    "  AND d.node=n.name) FROM nodes n ORDER BY n.name")) == NULL)
		return 1;
	return ctl_list(ctl, db, st, node_row, node_line);
}

const struct ctl_cmd ctl_cmd_node_list = {
	.name = "node list",
	.usage = "",
	.help = "list recording servers, their streams and workers",
	.needs_db = 1,
	.run = node_list_run,
};

static int
node_remove_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *name = args->argv[0];
	struct db_stmt *st = NULL;
	int64_t streams = -1, changed = -1;

	if (db_begin(db) == -1)
		return ctl_fail("node remove: cannot remove the node");
	st = db_prepare(db, "SELECT count(*) FROM streams WHERE node=?");
	if (st != NULL) {
		db_bind_text(st, 1, name);
		if (db_step(st) == DB_ROW)
			streams = db_column_int64(st, 0);
		db_finalize(st);
	}
	if (streams > 0) {
		db_rollback(db);
		return ctl_fail("node remove: NAME: %lld stream(s) are on node '%s';"
		    " move them first (stream update ID --node OTHER)",
		    (long long)streams, name);
	}
	if (streams == 0 &&
	    (st = db_prepare(db, "DELETE FROM nodes WHERE name=?")) != NULL) {
		db_bind_text(st, 1, name);
		if (db_step_done(st) == 0)
			changed = db_changes(db);
		db_finalize(st);
	}
	if (changed <= 0 || db_commit(db) == -1) {
		db_rollback(db);
		return changed == 0 ? ctl_fail("node remove: NAME: no node '%s'", name) :
		    ctl_fail("node remove: cannot remove the node");
	}
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_node_remove = {
	.name = "node remove",
	.usage = "NAME",
	.help = "remove a recording server that holds no stream",
	.args = { "NAME", 1, 1 },
	.needs_db = 1,
	.run = node_remove_run,
};

static int
stream_update_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *node = ctl_str(args, "node"), *url = ctl_str(args, "url");
	struct db_stmt *st;
	long long id;
	int64_t changed = -1;
	int known;

	if (ctl_parse_id("stream update: ID", args->argv[0], &id) == -1)
		return 2;
	if (node == NULL && url == NULL)
		return ctl_usage_error("stream update: nothing to change: give --node"
		    " or --url");
	if (url != NULL && (strstr(url, "://") == NULL || strlen(url) > 2048))
		return ctl_usage_error("stream update: --url must be a URL such as"
		    " rtsp://host:554/path");
	if (node != NULL && (known = ctl_node_known(db, node)) != 1)
		return known == 0 ? ctl_fail("stream update: --node: no node '%s';"
		    " add it with archivectl node add %s --url URL", node, node) :
		    ctl_fail("stream update: cannot update stream %lld", id);
	st = db_prepare(db, "UPDATE streams SET node=coalesce(?1, node),"
	    " url=coalesce(?2, url), updated_at=?3 WHERE id=?4");
	if (st == NULL)
		return ctl_fail("stream update: cannot update stream %lld", id);
	if (node != NULL)
		db_bind_text(st, 1, node);
	if (url != NULL)
		db_bind_text(st, 2, url);
	db_bind_int64(st, 3, now_us());
	db_bind_int64(st, 4, id);
	if (db_step_done(st) == 0)
		changed = db_changes(db);
	db_finalize(st);
	if (changed == 0)
		return ctl_fail("stream update: ID: no stream %lld", id);
	if (changed < 0)
		return ctl_fail("stream update: cannot update stream %lld", id);
	(void)ctl;
	return 0;
}

const struct ctl_cmd ctl_cmd_stream_update = {
	.name = "stream update",
	.usage = "ID [--node NAME] [--url URL]",
	.help = "move a stream to another recording server, or change its URL",
	.opts = (const struct ctl_opt[]){
		{ .name = "node", .type = CTL_STRING },
		{ .name = "url", .type = CTL_STRING },
		{ .name = NULL },
	},
	.args = { "ID", 1, 1 },
	.needs_db = 1,
	.run = stream_update_run,
};
