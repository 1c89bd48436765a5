/* Pusher Channels protocol 7: parsing client messages, building server ones. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "proto.h"
#include "lib/util.h"
#include "lib/banned.h"

/* Event names a client may send, and what each asks for. */
static const struct {
	const char	*name;
	enum proto_kind	 kind;
} client_events[] = {
	{ "pusher:ping",	PM_PING },
	{ "pusher:pong",	PM_PONG },
	{ "pusher:subscribe",	PM_SUBSCRIBE },
	{ "pusher:unsubscribe",	PM_UNSUBSCRIBE },
};

/* The channel families we serve, by name prefix. */
static const struct {
	const char	*prefix;
	enum chan_kind	 kind;
} chan_families[] = {
	{ "private-token.",	CH_TOKEN },
	{ "private-user.",	CH_USER },
};

static enum proto_kind
event_kind(const char *name)
{
	for (size_t i = 0; i < nitems(client_events); i++)
		if (strcmp(client_events[i].name, name) == 0)
			return client_events[i].kind;
	if (strncmp(name, "client-", 7) == 0)
		return PM_CLIENT_EVENT;
	return PM_OTHER;
}

static int
invalid(struct proto_msg *m, const char *why)
{
	m->kind = PM_INVALID;
	m->why = why;
	return -1;
}

/* Copy a string member of data into out (size n); absent is "" when
 * optional. -1 (and m marked invalid) on a wrong type or length. */
static int
copy_field(struct proto_msg *m, json_t *data, const char *name, char *out,
    size_t n, int required)
{
	json_t *v = json_object_get(data, name);

	out[0] = '\0';
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v))
		return invalid(m, required ? "a required field is missing" :
		    "a field is not a string");
	if (json_string_length(v) >= n || strlen(json_string_value(v)) !=
	    json_string_length(v))
		return invalid(m, "a field is too long");
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* The subscribe and unsubscribe fields of data. */
static void
parse_channel_data(struct proto_msg *m, json_t *data)
{
	json_t *last;

	if (copy_field(m, data, "channel", m->channel, sizeof(m->channel), 1) == -1)
		return;
	if (m->kind == PM_UNSUBSCRIBE)
		return;
	if (copy_field(m, data, "auth", m->auth, sizeof(m->auth), 0) == -1)
		return;
	last = json_object_get(data, "last_event_id");
	if (json_is_integer(last) && json_integer_value(last) >= 0)
		m->last_event_id = json_integer_value(last);
	else if (json_is_string(last)) {
		int64_t v;

		/* Some clients put every value in a string. */
		if (parse_i64(json_string_value(last), &v) == 0 && v >= 0)
			m->last_event_id = v;
	} else if (last != NULL && !json_is_null(last))
		invalid(m, "last_event_id is not an integer");
}

void
proto_parse(const char *text, size_t len, struct proto_msg *m)
{
	json_t *root, *event, *data, *inner = NULL;

	memset(m, 0, sizeof(*m));
	m->last_event_id = -1;
	m->kind = PM_OTHER;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		invalid(m, "the message is not a JSON object");
		goto out;
	}
	event = json_object_get(root, "event");
	if (!json_is_string(event)) {
		invalid(m, "the message has no event name");
		goto out;
	}
	m->kind = event_kind(json_string_value(event));
	if (m->kind != PM_SUBSCRIBE && m->kind != PM_UNSUBSCRIBE)
		goto out;
	data = json_object_get(root, "data");
	if (json_is_string(data)) {
		inner = json_loadb(json_string_value(data), json_string_length(data),
		    JSON_REJECT_DUPLICATES, NULL);
		data = inner;
	}
	if (!json_is_object(data)) {
		invalid(m, "the message data is not an object");
		goto out;
	}
	parse_channel_data(m, data);
out:
	json_decref(inner);
	json_decref(root);
}

int
proto_channel_parse(const char *name, struct chan *out)
{
	char canon[PROTO_CHANNEL_MAX + 1];

	for (size_t i = 0; i < nitems(chan_families); i++) {
		size_t n = strlen(chan_families[i].prefix);
		int64_t id;

		if (strncmp(name, chan_families[i].prefix, n) != 0)
			continue;
		if (parse_i64(name + n, &id) == -1 || id <= 0)
			return -1;
		out->kind = chan_families[i].kind;
		out->id = id;
		/* One spelling per channel: "private-user.07" is not user 7's. */
		proto_channel_name(out, canon);
		return strcmp(canon, name) == 0 ? 0 : -1;
	}
	return -1;
}

void
proto_channel_name(const struct chan *ch, char *out)
{
	for (size_t i = 0; i < nitems(chan_families); i++)
		if (chan_families[i].kind == ch->kind) {
			snprintf(out, PROTO_CHANNEL_MAX + 1, "%s%lld",
			    chan_families[i].prefix, (long long)ch->id);
			return;
		}
	out[0] = '\0';
}

int
proto_auth_valid(const char *key, const char *secret, const char *socket_id,
    const char *channel, const char *auth)
{
	size_t keylen = strlen(key);
	char mac[65];
	struct buf msg;

	if (strncmp(auth, key, keylen) != 0 || auth[keylen] != ':')
		return 0;
	buf_init(&msg);
	if (buf_printf(&msg, "%s:%s", socket_id, channel) == -1) {
		buf_release(&msg);
		return 0;
	}
	hmac_sha256_hex(secret, msg.data, mac);
	buf_release(&msg);
	return mac_hex_equal(mac, auth + keylen + 1);
}

void
proto_socket_id(uint32_t a, uint32_t b, char *out)
{
	snprintf(out, PROTO_SOCKET_ID_MAX, "%u.%u", a, b);
}

int
proto_socket_id_valid(const char *s)
{
	size_t a = strspn(s, "0123456789"), b;

	if (a == 0 || s[a] != '.')
		return 0;
	b = strspn(s + a + 1, "0123456789");
	return b > 0 && s[a + 1 + b] == '\0' && a + 1 + b < PROTO_SOCKET_ID_MAX;
}

/* Does path start with the directory dir ("" matches everything)? Returns
 * what follows it, or NULL. */
static const char *
after_prefix(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n) != 0)
		return NULL;
	return path + n;
}

int
proto_parse_path(const char *uri, const char *prefix, const char **key,
    size_t *keylen)
{
	/* pusher-js connects to /app/, the product's apps to <path>/app/. */
	const char *const prefixes[] = { "", "/ws", prefix };

	for (size_t i = 0; i < nitems(prefixes); i++) {
		const char *rest = prefixes[i] ? after_prefix(uri, prefixes[i]) : NULL;
		size_t n;

		if (rest == NULL || strncmp(rest, "/app/", 5) != 0)
			continue;
		rest += 5;
		n = strcspn(rest, "/?#");
		/* A trailing slash is tolerated; anything deeper is not ours. */
		if (n == 0 || (rest[n] != '\0' && strcmp(rest + n, "/") != 0))
			continue;
		*key = rest;
		*keylen = n;
		return 0;
	}
	return -1;
}

int
proto_parse_version(const char *value)
{
	int64_t v;

	if (value == NULL || parse_i64(value, &v) == -1 || v < 0 || v > 1000)
		return 0;
	return (int)v;
}

int
proto_subprotocol_version(const char *name)
{
	size_t n = strlen(PROTO_SUBPROTOCOL);

	if (name == NULL || strncmp(name, PROTO_SUBPROTOCOL, n) != 0)
		return 0;
	return proto_parse_version(name + n);
}

int
proto_client_version(const char *query, const char *subprotocol)
{
	int v = proto_parse_version(query);

	return v != 0 ? v : proto_subprotocol_version(subprotocol);
}

int
proto_version_supported(int version)
{
	return version >= PROTO_MIN_VERSION;
}

/* Serialise and free o. */
static char *
dump(json_t *o)
{
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *
proto_established(const char *socket_id, int activity_timeout)
{
	char *inner = dump(json_pack("{s:s, s:i}", "socket_id", socket_id,
	    "activity_timeout", activity_timeout));
	char *s;

	if (inner == NULL)
		return NULL;
	/* Protocol 7 sends this data as a string holding JSON. */
	s = dump(json_pack("{s:s, s:s}", "event", "pusher:connection_established",
	    "data", inner));
	free(inner);
	return s;
}

char *
proto_error(int code, const char *message)
{
	return dump(json_pack("{s:s, s:{s:s, s:o}}", "event", "pusher:error",
	    "data", "message", message, "code",
	    code != 0 ? json_integer(code) : json_null()));
}

char *
proto_ping(void)
{
	return dump(json_pack("{s:s, s:{}}", "event", "pusher:ping", "data"));
}

char *
proto_pong(void)
{
	return dump(json_pack("{s:s, s:{}}", "event", "pusher:pong", "data"));
}

char *
proto_subscribed(const char *channel)
{
	return dump(json_pack("{s:s, s:s, s:s}", "event",
	    "pusher_internal:subscription_succeeded", "channel", channel,
	    "data", "{}"));
}

char *
proto_event(const char *event, const char *channel, const char *data)
{
	return dump(json_pack("{s:s, s:s, s:s}", "event", event, "channel",
	    channel, "data", data));
}

void
proto_client_addr(const char *peer, const char *xff, char *out, size_t len)
{
	const char *last;
	size_t n;

	if (xff == NULL || xff[0] == '\0' || !(strncmp(peer, "127.", 4) == 0 ||
	    strcmp(peer, "::1") == 0 || strncmp(peer, "::ffff:127.", 11) == 0)) {
		snprintf(out, len, "%s", peer);
		return;
	}
	last = strrchr(xff, ',');
	last = last != NULL ? last + 1 : xff;
	last += strspn(last, " \t");
	n = strcspn(last, " \t");
	snprintf(out, len, "%.*s", (int)n, last);
}
