#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum conf_type { CT_STR, CT_INT, CT_INT64, CT_LIST, CT_PATH, CT_BOOL };

struct conf_key {
	const char	*name;		/* "pusher.key" for group members */
	enum conf_type	 type;
	size_t		 offset;
	const char	*def;		/* NULL: unset */
	int64_t		 min, max;	/* for integers */
	const char	*const *choices;/* for strings, NULL-terminated */
};

static const char *const sendfile_choices[] = { "x-sendfile", "x-accel-redirect", NULL };
static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };

#define OFF(f) offsetof(struct conf, f)
#define DAY 86400

/* Every key of the configuration, its type, default and range. */
static const struct conf_key conf_keys[] = {
	{ "data_dir",		CT_STR,   OFF(data_dir), LOCALSTATEDIR "/lib/archived", 0, 0, NULL },
	{ "database",		CT_PATH,  OFF(database), "archived.db", 0, 0, NULL },
	{ "downloads_dir",	CT_PATH,  OFF(downloads_dir), "downloads", 0, 0, NULL },
	{ "run_dir",		CT_PATH,  OFF(run_dir), "run", 0, 0, NULL },
	{ "node",		CT_STR,   OFF(node), "", 0, 0, NULL },
	{ "shared_storage",	CT_BOOL,  OFF(shared_storage), "false", 0, 0, NULL },
	{ "node_timeout",	CT_INT64, OFF(node_timeout), "600", 10, 7 * DAY, NULL },
	{ "timezone",		CT_STR,   OFF(timezone), "UTC", 0, 0, NULL },
	{ "public_url",		CT_STR,   OFF(public_url), "http://localhost", 0, 0, NULL },
	{ "license_file",	CT_PATH,  OFF(licence_file), NULL, 0, 0, NULL },
	{ "url_key",		CT_STR,   OFF(url_key), NULL, 0, 0, NULL },
	{ "sendfile",		CT_STR,   OFF(sendfile), "x-sendfile", 0, 0, sendfile_choices },
	{ "sendfile_prefix",	CT_STR,   OFF(sendfile_prefix), "/internal-downloads/", 0, 0, NULL },
	{ "log_level",		CT_STR,   OFF(log_level), "info", 0, 0, level_choices },
	{ "log_file",		CT_PATH,  OFF(log_file), NULL, 0, 0, NULL },
	{ "download_ttl",	CT_INT64, OFF(download_ttl), "10800", 1, 365 * DAY, NULL },
	{ "max_range",		CT_INT64, OFF(max_range), "86400", 1, 31 * DAY, NULL },
	{ "footage_wait",	CT_INT64, OFF(footage_wait), "600", 0, DAY, NULL },
	{ "token_ttl",		CT_INT64, OFF(token_ttl), "86400", 60, 365 * DAY, NULL },
	{ "max_pending",	CT_INT,   OFF(max_pending), "10", 1, 100000, NULL },
	{ "workers",		CT_INT,   OFF(workers), "2", 1, 64, NULL },
	{ "max_attempts",	CT_INT,   OFF(max_attempts), "3", 1, 100, NULL },
	{ "poll_interval_ms",	CT_INT,   OFF(poll_interval_ms), "1000", 10, 3600000, NULL },
	{ "lease_seconds",	CT_INT,   OFF(lease_seconds), "30", 2, 3600, NULL },
	{ "shutdown_grace",	CT_INT,   OFF(shutdown_grace), "10", 0, 3600, NULL },
	{ "login_failures",	CT_INT,   OFF(login_failures), "5", 1, 1000, NULL },
	{ "login_rate",		CT_INT,   OFF(login_rate), "30", 1, 100000, NULL },
	{ "login_concurrency",	CT_INT,   OFF(login_concurrency), "2", 1, 64, NULL },
	{ "wsurl_limit",	CT_INT,   OFF(wsurl_limit), "20", 1, 100000, NULL },
	{ "metrics",		CT_BOOL,  OFF(metrics), "false", 0, 0, NULL },
	{ "metrics_allow",	CT_STR,   OFF(metrics_allow), "127.0.0.1/8, ::1", 0, 0, NULL },
	{ "health_stale",	CT_INT,   OFF(health_stale), "30", 5, 86400, NULL },
	{ "health_daemons",	CT_STR,   OFF(health_daemons), "archived, archive-pushd", 0, 0, NULL },
	{ "pusher.app_id",	CT_STR,   OFF(pusher.app_id), "archived", 0, 0, NULL },
	{ "pusher.key",		CT_STR,   OFF(pusher.key), NULL, 0, 0, NULL },
	{ "pusher.secret",	CT_STR,   OFF(pusher.secret), NULL, 0, 0, NULL },
	{ "pusher.listen",	CT_STR,   OFF(pusher.listen), "127.0.0.1:6001", 0, 0, NULL },
	{ "pusher.path",	CT_STR,   OFF(pusher.path), "/ws", 0, 0, NULL },
	{ "pusher.allowed_origins", CT_LIST, OFF(pusher.allowed_origins), "*", 0, 0, NULL },
	{ "pusher.event_retention", CT_INT64, OFF(pusher.event_retention), "86400", 60, 365 * DAY, NULL },
	{ "pusher.activity_timeout", CT_INT, OFF(pusher.activity_timeout), "120", 5, 3600, NULL },
	{ "pusher.max_connections_per_user", CT_INT, OFF(pusher.max_connections_per_user), "100", 1, 1000000, NULL },
	{ "pusher.max_connections_per_address", CT_INT, OFF(pusher.max_connections_per_address), "200", 1, 1000000, NULL },
	{ "pusher.max_frame",	CT_INT,   OFF(pusher.max_frame), "65536", 1024, 16 * 1024 * 1024, NULL },
	{ "pusher.generated_on_user_channel", CT_BOOL, OFF(pusher.generated_on_user_channel), "false", 0, 0, NULL },
};

int
conf_holds(const struct conf *c, const char *node)
{
	return c->shared_storage || strcmp(node != NULL ? node : "", c->node) == 0;
}

int
conf_node_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 63 && strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

const char *
conf_default_path(const char *flag)
{
	const char *env;

	if (flag != NULL)
		return flag;
	if ((env = getenv("ARCHIVED_CONFIG")) != NULL && *env != '\0')
		return env;
	return SYSCONFDIR "/archived/archived.conf";
}

static char **
str_field(struct conf *c, const struct conf_key *k)
{
	return (char **)((char *)c + k->offset);
}

static void
set_default(struct conf *c, const struct conf_key *k)
{
	char *base = (char *)c + k->offset;
	int64_t v = 0;

	switch (k->type) {
	case CT_STR:
	case CT_PATH:
		*(char **)base = k->def ? xstrdup(k->def) : NULL;
		break;
	case CT_LIST:
		c->pusher.allowed_origins = xcalloc(1, sizeof(char *));
		c->pusher.allowed_origins[0] = xstrdup(k->def);
		c->pusher.n_origins = 1;
		break;
	case CT_BOOL:
		*(int *)base = strcmp(k->def, "true") == 0;
		break;
	case CT_INT:
	case CT_INT64:
		if (parse_i64(k->def, &v) == -1)
			abort();
		if (k->type == CT_INT)
			*(int *)base = (int)v;
		else
			*(int64_t *)base = v;
		break;
	}
}

static int
bad(char *err, size_t errlen, const char *file, const config_setting_t *s,
    const char *key, const char *what)
{
	snprintf(err, errlen, "%s:%d: config key '%s': %s", file,
	    s ? config_setting_source_line(s) : 0, key, what);
	return -1;
}

static const struct conf_key *
find_key(const char *name)
{
	for (size_t i = 0; i < nitems(conf_keys); i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

static int
set_list(struct conf *c, const config_setting_t *s, const char *file,
    const char *name, char *err, size_t errlen)
{
	int n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return bad(err, errlen, file, s, name, "expected a list of strings");
	for (size_t i = 0; i < c->pusher.n_origins; i++)
		free(c->pusher.allowed_origins[i]);
	free(c->pusher.allowed_origins);
	c->pusher.allowed_origins = xcalloc((size_t)n + 1, sizeof(char *));
	c->pusher.n_origins = 0;
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (v == NULL)
			return bad(err, errlen, file, s, name, "expected a list of strings");
		c->pusher.allowed_origins[c->pusher.n_origins++] = xstrdup(v);
	}
	return 0;
}

static int
set_value(struct conf *c, const struct conf_key *k, const config_setting_t *s,
    const char *file, char *err, size_t errlen)
{
	char *base = (char *)c + k->offset;
	char what[160];
	long long v;
	const char *str;

	switch (k->type) {
	case CT_LIST:
		return set_list(c, s, file, k->name, err, errlen);
	case CT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return bad(err, errlen, file, s, k->name, "expected true or false");
		*(int *)base = config_setting_get_bool(s);
		return 0;
	case CT_INT:
	case CT_INT64:
		if (config_setting_type(s) == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		else if (config_setting_type(s) == CONFIG_TYPE_INT64)
			v = config_setting_get_int64(s);
		else
			return bad(err, errlen, file, s, k->name, "expected an integer");
		if (v < k->min || v > k->max) {
			snprintf(what, sizeof(what), "%lld is out of range %lld..%lld",
			    v, (long long)k->min, (long long)k->max);
			return bad(err, errlen, file, s, k->name, what);
		}
		if (k->type == CT_INT)
			*(int *)base = (int)v;
		else
			*(int64_t *)base = v;
		return 0;
	case CT_STR:
	case CT_PATH:
		if ((str = config_setting_get_string(s)) == NULL)
			return bad(err, errlen, file, s, k->name, "expected a string");
		if (k->choices != NULL) {
			size_t i;

			for (i = 0; k->choices[i] != NULL; i++)
				if (strcmp(k->choices[i], str) == 0)
					break;
			if (k->choices[i] == NULL) {
				snprintf(what, sizeof(what), "'%s' is not one of", str);
				for (i = 0; k->choices[i] != NULL; i++)
					snprintf(what + strlen(what), sizeof(what) - strlen(what),
					    " %s", k->choices[i]);
				return bad(err, errlen, file, s, k->name, what);
			}
		}
		free(*(char **)base);
		*(char **)base = xstrdup(str);
		return 0;
	}
	return -1;
}

/* Walk the settings of one group, rejecting names the table lacks. */
static int
read_group(struct conf *c, const config_setting_t *group, const char *prefix,
    const char *file, char *err, size_t errlen)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct conf_key *k;
		char full[128];

		if (name == NULL)
			continue;
		snprintf(full, sizeof(full), "%s%s", prefix, name);
		if (prefix[0] == '\0' && strcmp(name, "pusher") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return bad(err, errlen, file, s, full, "expected a group { ... }");
			if (read_group(c, s, "pusher.", file, err, errlen) == -1)
				return -1;
			continue;
		}
		if ((k = find_key(full)) == NULL)
			return bad(err, errlen, file, s, full, "unknown key");
		if (set_value(c, k, s, file, err, errlen) == -1)
			return -1;
	}
	return 0;
}

static int
zone_exists(const char *zone)
{
	const char *dir = getenv("TZDIR");
	struct buf p;
	struct stat st;
	int ok;

	if (strcmp(zone, "UTC") == 0)
		return 1;
	if (zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	buf_init(&p);
	if (buf_printf(&p, "%s/%s", dir ? dir : "/usr/share/zoneinfo", zone) == -1)
		abort();
	ok = stat(p.data, &st) == 0 && S_ISREG(st.st_mode);
	/* zone.tab, tzdata.zi and the like are not zones: glibc would quietly
	 * fall back to UTC. A compiled zone starts with "TZif". */
	if (ok) {
		FILE *f = fopen(p.data, "rb");
		char magic[4];

		ok = f != NULL && fread(magic, 1, 4, f) == 4 &&
		    memcmp(magic, "TZif", 4) == 0;
		if (f != NULL)
			fclose(f);
	}
	buf_release(&p);
	return ok;
}

/* Checks across keys, and turning relative paths into absolute ones. */
static int
conf_finish(struct conf *c, config_t *cfg, const char *file, char *err, size_t errlen)
{
	const char *f = file ? file : "(defaults)";
	size_t n;

#define SRC(key) (cfg ? config_lookup(cfg, key) : NULL)
	if (c->data_dir[0] != '/')
		return bad(err, errlen, f, SRC("data_dir"), "data_dir", "must be an absolute path");
	for (size_t i = 0; i < nitems(conf_keys); i++) {
		char **p = str_field(c, &conf_keys[i]);
		char *abs;

		if (conf_keys[i].type != CT_PATH || *p == NULL ||
		    (p == &c->database && db_is_url(*p)))
			continue;
		abs = path_join(c->data_dir, *p);
		free(*p);
		*p = abs;
	}
	if (c->node[0] != '\0' && !conf_node_name_ok(c->node))
		return bad(err, errlen, f, SRC("node"), "node",
		    "must be 1 to 63 letters, digits, '.', '-' or '_'");
	if (!zone_exists(c->timezone))
		return bad(err, errlen, f, SRC("timezone"), "timezone",
		    "unknown time zone (expected a name such as Europe/Berlin)");
	if (strncmp(c->public_url, "http://", 7) != 0 &&
	    strncmp(c->public_url, "https://", 8) != 0)
		return bad(err, errlen, f, SRC("public_url"), "public_url",
		    "must start with http:// or https://");
	n = strlen(c->public_url);
	while (n > 8 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';
	if (c->url_key != NULL && strlen(c->url_key) < 16)
		return bad(err, errlen, f, SRC("url_key"), "url_key",
		    "must be at least 16 characters");
	if (c->pusher.secret != NULL && strlen(c->pusher.secret) < 16)
		return bad(err, errlen, f, SRC("pusher.secret"), "pusher.secret",
		    "must be at least 16 characters");
	if (c->pusher.key != NULL && (c->pusher.key[0] == '\0' ||
	    strcspn(c->pusher.key, "/?#:% ") != strlen(c->pusher.key)))
		return bad(err, errlen, f, SRC("pusher.key"), "pusher.key",
		    "must be non-empty, without '/', '?', '#', ':', '%' or spaces");
	if (c->pusher.path[0] != '/')
		return bad(err, errlen, f, SRC("pusher.path"), "pusher.path",
		    "must start with '/'");
	if (strchr(c->pusher.listen, ':') == NULL)
		return bad(err, errlen, f, SRC("pusher.listen"), "pusher.listen",
		    "expected \"address:port\"");
	if (c->sendfile_prefix[0] != '/')
		return bad(err, errlen, f, SRC("sendfile_prefix"), "sendfile_prefix",
		    "must start with '/'");
#undef SRC
	return 0;
}

int
conf_file_stat(const char *path, struct conf_file *f)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	f->size = st.st_size;
	f->ino = st.st_ino;
	return 0;
}

struct conf *
conf_load(const char *path, int must_exist, char *err, size_t errlen)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	config_t cfg;
	int have_cfg = 0;

	c->refs = 1;
	for (size_t i = 0; i < nitems(conf_keys); i++)
		set_default(c, &conf_keys[i]);
	if (path != NULL && access(path, F_OK) == -1 && errno == ENOENT && !must_exist)
		path = NULL;
	if (path != NULL) {
		/* Before reading: an edit made meanwhile is seen next time. */
		(void)conf_file_stat(path, &c->file);
		config_init(&cfg);
		have_cfg = 1;
		if (config_read_file(&cfg, path) != CONFIG_TRUE) {
			if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
				snprintf(err, errlen, "%s: cannot read config file: %s",
				    path, strerror(errno ? errno : ENOENT));
			else
				snprintf(err, errlen, "%s:%d: %s", path,
				    config_error_line(&cfg), config_error_text(&cfg));
			goto fail;
		}
		if (read_group(c, config_root_setting(&cfg), "", path, err, errlen) == -1)
			goto fail;
		c->path = xstrdup(path);
	}
	if (conf_finish(c, have_cfg ? &cfg : NULL, path, err, errlen) == -1)
		goto fail;
	if (have_cfg)
		config_destroy(&cfg);
	return c;
fail:
	if (have_cfg)
		config_destroy(&cfg);
	conf_free(c);
	return NULL;
}

struct conf *
conf_load_start(const char *flag, char *err, size_t errlen)
{
	const char *env = getenv("ARCHIVED_CONFIG");

	return conf_load(conf_default_path(flag),
	    flag != NULL || (env != NULL && *env != '\0'), err, errlen);
}

struct conf *
conf_ref(struct conf *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < nitems(conf_keys); i++)
		if (conf_keys[i].type == CT_STR || conf_keys[i].type == CT_PATH)
			free(*str_field(c, &conf_keys[i]));
	for (size_t i = 0; i < c->pusher.n_origins; i++)
		free(c->pusher.allowed_origins[i]);
	free(c->pusher.allowed_origins);
	free(c->path);
	free(c);
}

int
conf_apply_timezone(const struct conf *c)
{
	if (setenv("TZ", c->timezone, 1) == -1)
		return -1;
	tzset();
	return 0;
}

void
conf_apply(const struct conf *c)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} levels[] = {
		{ "error", LOG_LVL_ERROR }, { "warn", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < nitems(levels); i++)
		if (strcmp(levels[i].name, c->log_level) == 0)
			log_set_level(levels[i].level);
	if (conf_apply_timezone(c) == -1)
		log_warn("cannot set the time zone '%s'", c->timezone);
	if (c->log_file != NULL && log_route(c->log_file) == -1)
		log_warn("log_file: cannot open '%s'; the log stays where it was",
		    c->log_file);
}

void
conf_dump(const struct conf *c)
{
	const char *group = "";

	for (size_t i = 0; i < nitems(conf_keys); i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *dot = strchr(k->name, '.');
		const char *base = (const char *)c + k->offset;
		const char *name = dot ? dot + 1 : k->name;

		if (dot != NULL && group[0] == '\0') {
			printf("pusher = {\n");
			group = "  ";
		}
		switch (k->type) {
		case CT_STR:
		case CT_PATH:
			if (*(char *const *)base == NULL)
				printf("%s# %s unset\n", group, name);
			else if (strcmp(name, "secret") == 0 || strcmp(name, "url_key") == 0)
				printf("%s%s = \"(set, not shown)\";\n", group, name);
			else
				printf("%s%s = \"%s\";\n", group, name, *(char *const *)base);
			break;
		case CT_BOOL:
			printf("%s%s = %s;\n", group, name, *(const int *)base ? "true" : "false");
			break;
		case CT_INT:
			printf("%s%s = %d;\n", group, name, *(const int *)base);
			break;
		case CT_INT64:
			printf("%s%s = %lld;\n", group, name, (long long)*(const int64_t *)base);
			break;
		case CT_LIST:
			printf("%s%s = [", group, name);
			for (size_t j = 0; j < c->pusher.n_origins; j++)
				printf("%s\"%s\"", j ? ", " : " ", c->pusher.allowed_origins[j]);
			printf(" ];\n");
			break;
		}
	}
	if (group[0] != '\0')
		printf("};\n");
}

int
conf_origin_allowed(const struct conf *c, const char *origin)
{
	for (size_t i = 0; i < c->pusher.n_origins; i++) {
		const char *o = c->pusher.allowed_origins[i];

		if (strcmp(o, "*") == 0 || strcasecmp(o, origin) == 0)
			return 1;
	}
	return 0;
}
