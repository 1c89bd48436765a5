/*
 * archivectl migrate --to URL: copy this install's database (a one-box
 * SQLite file, say) into another (PostgreSQL, for several servers), with
 * every row as it is: ids, token hashes and the settings that hold the
 * link and push keys, so that tokens, links and event replay keep working.
 * One transaction on the target: it ends complete or empty.
 */
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

/* What is copied, parents before children. Heartbeats, rate-limit hits
 * and login failures are the moment's, not the install's. */
static const struct {
	const char	*table;
	int		 has_id;
} tables[] = {
	{ "settings", 0 }, { "users", 1 }, { "tokens", 1 },
	{ "camera_groups", 1 }, { "cameras", 1 }, { "nodes", 0 },
	{ "streams", 1 }, { "segments", 1 }, { "downloads", 1 },
	{ "events", 1 }, { "push_grants", 0 },
};

/* Copy one table's rows; how many, or -1 (logged). */
static int64_t
copy_table(struct db *from, struct db *to, const char *table)
{
	struct db_stmt *sel, *ins = NULL;
	struct buf sql;
	int64_t rows = 0;
	int rc, ncol = 0, failed = 0;

	buf_init(&sql);
	buf_printf(&sql, "SELECT * FROM %s ORDER BY 1", table);
	sel = db_prepare(from, sql.data);
	buf_release(&sql);
	if (sel == NULL)
		return -1;
	while (!failed && (rc = db_step(sel)) == DB_ROW) {
		if (ins == NULL) {
			ncol = db_column_count(sel);
			buf_init(&sql);
			buf_printf(&sql, "INSERT INTO %s(", table);
			for (int i = 0; i < ncol; i++)
				buf_printf(&sql, "%s%s", i ? ", " : "", db_column_name(sel, i));
			buf_adds(&sql, ") VALUES (");
			for (int i = 0; i < ncol; i++)
				buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
			buf_adds(&sql, ")");
			ins = db_prepare(to, sql.data);
			buf_release(&sql);
			if (ins == NULL) {
				failed = 1;
				break;
			}
		}
		db_reset(ins);
		for (int i = 0; i < ncol; i++)
			switch (db_column_type(sel, i)) {
			case DB_NULL:
				db_bind_null(ins, i + 1);
				break;
			case DB_INTEGER:
				db_bind_int64(ins, i + 1, db_column_int64(sel, i));
				break;
			case DB_FLOAT:
				db_bind_double(ins, i + 1, db_column_double(sel, i));
				break;
			case DB_BLOB:
				db_bind_blob(ins, i + 1, db_column_blob(sel, i),
				    (size_t)db_column_bytes(sel, i));
				break;
			default:
				db_bind_textn(ins, i + 1, db_column_text(sel, i),
				    (size_t)db_column_bytes(sel, i));
			}
		if (db_step_done(ins) == -1)
			failed = 1;
		else
			rows++;
	}
	if (!failed && rc != DB_DONE) {
		error("cannot read %s: %s", table, db_errmsg(from));
		failed = 1;
	}
	db_finalize(ins);
	db_finalize(sel);
	return failed ? -1 : rows;
}

static int
migrate_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *url = ctl_str(args, "to");
	struct db *to;
	json_t *counts = json_object();
	int64_t have = 0;
	int ret = 1;
	char *shown;

	if (url == NULL || !db_is_url(url))
		return ctl_usage_error("migrate: --to must be a PostgreSQL URL such as"
		    " postgresql://archived@db.example.org/archived");
	if (strcmp(url, ctl->conf->database) == 0)
		return ctl_usage_error("migrate: --to is the database in use");
	shown = db_shown(url);
	if ((to = db_open(url, 1)) == NULL || db_migrate(to) == -1) {
		db_close(to);
		json_decref(counts);
		ret = ctl_fail("migrate: --to: cannot use '%s'; see above", shown);
		free(shown);
		return ret;
	}
	if (db_query_int(to, "SELECT (SELECT count(*) FROM users) +"
	    " (SELECT count(*) FROM cameras) + (SELECT count(*) FROM downloads)",
	    &have) == -1 || have != 0) {
		db_close(to);
		json_decref(counts);
		ret = ctl_fail("migrate: --to: '%s' already holds users, cameras or"
		    " downloads; migrate into an empty database", shown);
		free(shown);
		return ret;
	}
	/* The source stays still meanwhile: its write lock is held. */
	if (db_begin(db) == -1 || db_begin(to) == -1)
		goto out;
	/* init wrote fresh secrets into the target: the install's replace them. */
	if (db_exec(to, "DELETE FROM settings") == -1)
		goto out;
	for (size_t i = 0; i < nitems(tables); i++) {
		int64_t n = copy_table(db, to, tables[i].table);

		if (n == -1 || (tables[i].has_id &&
		    db_ids_follow(to, tables[i].table) == -1)) {
			log_warnx("migrate: nothing was written to '%s'", shown);
			goto out;
		}
		json_object_set_new(counts, tables[i].table, json_integer(n));
	}
	if (db_commit(to) == -1)
		goto out;
	ret = 0;
out:
	db_rollback(to);
	db_rollback(db);
	db_close(to);
	if (ret == 0) {
		if (ctl->json)
			ctl_json_print(json_incref(counts), JSON_COMPACT);
		else {
			const char *k;
			json_t *v;

			json_object_foreach(counts, k, v)
				printf("%s\t%lld\n", k, (long long)json_integer_value(v));
			fprintf(stderr, "archivectl: copied into '%s'; point every"
			    " program's database setting at it and restart them\n", shown);
		}
	} else
		ret = ctl_fail("migrate: failed; '%s' is left as it was", shown);
	json_decref(counts);
	free(shown);
	return ret;
}

const struct ctl_cmd ctl_cmd_migrate = {
	.name = "migrate",
	.usage = "--to postgresql://...",
	.help = "copy this install's database into an empty PostgreSQL database",
	.opts = (const struct ctl_opt[]){
		{ .name = "to", .type = CTL_STRING, .required = 1 },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = migrate_run,
};
