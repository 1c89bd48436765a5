/* The Pusher protocol half of archive-pushd: parsing client messages,
 * channel names, the channel signature, socket ids, paths, server messages. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/pushd/proto.h"
#include "unit.h"
#include "lib/banned.h"

static const struct {
	const char	*text;
	enum proto_kind	 kind;
	const char	*channel;
	const char	*auth;
	int64_t		 last;
} parse_cases[] = {
	{ "{\"event\":\"pusher:ping\",\"data\":{}}", PM_PING, "", "", -1 },
	{ "{\"event\":\"pusher:ping\"}", PM_PING, "", "", -1 },
	{ "{\"event\":\"pusher:pong\",\"data\":{}}", PM_PONG, "", "", -1 },
	/* As pusher-js 8 sends it. */
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"k:ab12\","
	  "\"channel\":\"private-user.1\"}}", PM_SUBSCRIBE, "private-user.1", "k:ab12", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"k:ab\","
	  "\"channel\":\"private-token.7\",\"last_event_id\":42}}",
	  PM_SUBSCRIBE, "private-token.7", "k:ab", 42 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-user.1\","
	  "\"last_event_id\":\"17\"}}", PM_SUBSCRIBE, "private-user.1", "", 17 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-user.1\","
	  "\"last_event_id\":null}}", PM_SUBSCRIBE, "private-user.1", "", -1 },
	/* Some clients send data as a string holding JSON. */
	{ "{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"channel\\\":"
	  "\\\"private-user.2\\\",\\\"auth\\\":\\\"k:cd\\\"}\"}",
	  PM_SUBSCRIBE, "private-user.2", "k:cd", -1 },
	{ "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"private-user.1\"}}",
	  PM_UNSUBSCRIBE, "private-user.1", "", -1 },
	{ "{\"event\":\"client-typing\",\"channel\":\"private-user.1\",\"data\":{}}",
	  PM_CLIENT_EVENT, "", "", -1 },
	{ "{\"event\":\"pusher:signin\",\"data\":{\"auth\":\"x\"}}", PM_OTHER, "", "", -1 },
	{ "{\"event\":\"something\"}", PM_OTHER, "", "", -1 },
	/* Malformed. */
	{ "", PM_INVALID, "", "", -1 },
	{ "{\"event\":", PM_INVALID, "", "", -1 },
	{ "not json", PM_INVALID, "", "", -1 },
	{ "[\"pusher:ping\"]", PM_INVALID, "", "", -1 },
	{ "{\"data\":{}}", PM_INVALID, "", "", -1 },
	{ "{\"event\":7}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:ping\",\"event\":\"pusher:subscribe\"}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\"}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":[]}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":\"not json\"}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{}}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":5}}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-user.1\","
	  "\"auth\":[]}}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-user.1\","
	  "\"last_event_id\":true}}", PM_INVALID, "", "", -1 },
	{ "{\"event\":\"pusher:unsubscribe\",\"data\":{}}", PM_INVALID, "", "", -1 },
};

START_TEST(test_parse)
{
	struct proto_msg m;

	proto_parse(parse_cases[_i].text, strlen(parse_cases[_i].text), &m);
	ck_assert_msg(m.kind == parse_cases[_i].kind, "case %d '%s': kind %d, want %d",
	    _i, parse_cases[_i].text, m.kind, parse_cases[_i].kind);
	if (m.kind == PM_INVALID) {
		ck_assert_ptr_nonnull(m.why);
		return;
	}
	ck_assert_str_eq(m.channel, parse_cases[_i].channel);
	ck_assert_str_eq(m.auth, parse_cases[_i].auth);
	ck_assert_int_eq(m.last_event_id, parse_cases[_i].last);
}
END_TEST

/* A channel name longer than we keep is refused, not truncated. */
START_TEST(test_parse_long_fields)
{
	char text[1024], name[400];
	struct proto_msg m;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"event\":\"pusher:subscribe\",\"data\":"
	    "{\"channel\":\"%s\"}}", name);
	proto_parse(text, strlen(text), &m);
	ck_assert_int_eq(m.kind, PM_INVALID);
	snprintf(text, sizeof(text), "{\"event\":\"pusher:subscribe\",\"data\":"
	    "{\"channel\":\"private-user.1\",\"auth\":\"%s\"}}", name);
	proto_parse(text, strlen(text), &m);
	ck_assert_int_eq(m.kind, PM_INVALID);
	/* Not NUL-terminated input: only len bytes are read. */
	proto_parse("{\"event\":\"pusher:ping\"}garbage", 23, &m);
	ck_assert_int_eq(m.kind, PM_PING);
}
END_TEST

static const struct {
	const char	*name;
	int		 ok;
	enum chan_kind	 kind;
	int64_t		 id;
} chan_cases[] = {
	{ "private-user.1", 1, CH_USER, 1 },
	{ "private-user.123456", 1, CH_USER, 123456 },
	{ "private-token.42", 1, CH_TOKEN, 42 },
	{ "private-token.9223372036854775807", 1, CH_TOKEN, INT64_MAX },
	{ "private-token.9223372036854775808", 0, CH_TOKEN, 0 },
	{ "private-user.0", 0, CH_USER, 0 },
	{ "private-user.-1", 0, CH_USER, 0 },
	{ "private-user.+1", 0, CH_USER, 0 },
	{ "private-user.01", 0, CH_USER, 0 },
	{ "private-user.1x", 0, CH_USER, 0 },
	{ "private-user. 1", 0, CH_USER, 0 },
	{ "private-user.", 0, CH_USER, 0 },
	{ "private-user", 0, CH_USER, 0 },
	{ "private-users.1", 0, CH_USER, 0 },
	{ "presence-user.1", 0, CH_USER, 0 },
	{ "private-encrypted-user.1", 0, CH_USER, 0 },
	{ "user.1", 0, CH_USER, 0 },
	{ "PRIVATE-USER.1", 0, CH_USER, 0 },
	{ "", 0, CH_USER, 0 },
};

START_TEST(test_channel)
{
	struct chan ch;
	char back[PROTO_CHANNEL_MAX + 1];
	int rc = proto_channel_parse(chan_cases[_i].name, &ch);

	ck_assert_msg((rc == 0) == chan_cases[_i].ok, "'%s'", chan_cases[_i].name);
	if (!chan_cases[_i].ok)
		return;
	ck_assert_int_eq(ch.kind, chan_cases[_i].kind);
	ck_assert_int_eq(ch.id, chan_cases[_i].id);
	proto_channel_name(&ch, back);
	ck_assert_str_eq(back, chan_cases[_i].name);
}
END_TEST

/* The example of Pusher's channel authorisation documentation. */
START_TEST(test_auth_known_vector)
{
	const char *key = "278d425bdf160c739803", *secret = "7ad3773142a6692b25b8";
	const char *good = "278d425bdf160c739803:"
	    "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";

	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234",
	    "private-foobar", good), 1);
	/* Bound to the socket, the channel, the key and the secret. */
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1235",
	    "private-foobar", good), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234",
	    "private-foobaz", good), 0);
	ck_assert_int_eq(proto_auth_valid("278d425bdf160c739804", secret,
	    "1234.1234", "private-foobar", good), 0);
	ck_assert_int_eq(proto_auth_valid(key, "7ad3773142a6692b25b9",
	    "1234.1234", "private-foobar", good), 0);
	/* Malformed signatures. */
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234",
	    "private-foobar", ""), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234",
	    "private-foobar", "278d425bdf160c739803"), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234",
	    "private-foobar", "278d425bdf160c739803:"), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234", "private-foobar",
	    "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a"), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234", "private-foobar",
	    "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a40"), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234", "private-foobar",
	    ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"), 0);
	ck_assert_int_eq(proto_auth_valid(key, secret, "1234.1234", "private-foobar",
	    "278d425bdf160c73980:358df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"), 0);
}
END_TEST

START_TEST(test_socket_id)
{
	static const struct { const char *s; int ok; } cases[] = {
		{ "1234.5678", 1 }, { "0.0", 1 }, { "4294967295.4294967295", 1 },
		{ "", 0 }, { ".", 0 }, { "1.", 0 }, { ".1", 0 }, { "1.2.3", 0 },
		{ "a.1", 0 }, { "1234", 0 }, { "1 .2", 0 }, { "-1.2", 0 },
		{ "12345678901234567890.1234", 0 },
	};
	char id[PROTO_SOCKET_ID_MAX];

	proto_socket_id(1234, 5678, id);
	ck_assert_str_eq(id, "1234.5678");
	proto_socket_id(UINT32_MAX, UINT32_MAX, id);
	ck_assert_str_eq(id, "4294967295.4294967295");
	ck_assert_int_eq(proto_socket_id_valid(id), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(proto_socket_id_valid(cases[i].s) == cases[i].ok,
		    "'%s'", cases[i].s);
}
END_TEST

static const struct {
	const char	*uri;
	const char	*prefix;
	const char	*key;		/* NULL: not ours */
} path_cases[] = {
	{ "/app/abc123", "/ws", "abc123" },
	{ "/app/abc123/", "/ws", "abc123" },
	{ "/ws/app/abc123", "/ws", "abc123" },
	{ "/ws/app/abc123", "/push", "abc123" },
	{ "/push/app/abc123", "/push", "abc123" },
	{ "/push/app/abc123", "/push/", "abc123" },
	{ "/a/b/app/k", "/a/b", "k" },
	{ "/app/", "/ws", NULL },
	{ "/app", "/ws", NULL },
	{ "/app/k/x", "/ws", NULL },
	{ "/wsx/app/k", "/ws", NULL },
	{ "/ws/app/", "/ws", NULL },
	{ "/other/app/k", "/ws", NULL },
	{ "/", "/ws", NULL },
	{ "", "/ws", NULL },
};

START_TEST(test_path)
{
	const char *key = NULL;
	size_t len = 0;
	int rc = proto_parse_path(path_cases[_i].uri, path_cases[_i].prefix, &key, &len);

	if (path_cases[_i].key == NULL) {
		ck_assert_msg(rc == -1, "'%s' accepted", path_cases[_i].uri);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", path_cases[_i].uri);
	ck_assert_uint_eq(len, strlen(path_cases[_i].key));
	ck_assert(strncmp(key, path_cases[_i].key, len) == 0);
}
END_TEST

START_TEST(test_version)
{
	ck_assert_int_eq(proto_parse_version("7"), 7);
	ck_assert_int_eq(proto_parse_version("8"), 8);
	ck_assert_int_eq(proto_parse_version("5"), 5);
	ck_assert_int_eq(proto_parse_version(NULL), 0);
	ck_assert_int_eq(proto_parse_version(""), 0);
	ck_assert_int_eq(proto_parse_version("seven"), 0);
	ck_assert_int_eq(proto_parse_version("-7"), 0);
	ck_assert_int_eq(proto_parse_version("7a"), 0);
	/* Which versions are spoken: 5 on (the Java client says 5). */
	ck_assert_int_eq(proto_version_supported(4), 0);
	ck_assert_int_eq(proto_version_supported(0), 0);
	for (int v = 5; v <= 8; v++)
		ck_assert_int_eq(proto_version_supported(v), 1);
}
END_TEST

/* Behind the web server the peer is this host: the client is the last
 * X-Forwarded-For entry, which the proxy added; from elsewhere the header
 * is the client's own word and not believed. */
START_TEST(test_client_addr)
{
	char a[64];

	proto_client_addr("127.0.0.1", "203.0.113.9", a, sizeof(a));
	ck_assert_str_eq(a, "203.0.113.9");
	proto_client_addr("::1", "10.1.1.1, 203.0.113.9", a, sizeof(a));
	ck_assert_str_eq(a, "203.0.113.9");
	proto_client_addr("::ffff:127.0.0.1", " 2001:db8::7 ", a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::7");
	proto_client_addr("198.51.100.4", "127.0.0.1", a, sizeof(a));
	ck_assert_str_eq(a, "198.51.100.4");
	proto_client_addr("127.0.0.1", NULL, a, sizeof(a));
	ck_assert_str_eq(a, "127.0.0.1");
	proto_client_addr("127.0.0.1", "", a, sizeof(a));
	ck_assert_str_eq(a, "127.0.0.1");
}
END_TEST

/* The iOS app's PusherSwift asks for a subprotocol that names the version. */
START_TEST(test_subprotocol)
{
	ck_assert_int_eq(proto_subprotocol_version("pusher-channels-protocol-7"), 7);
	ck_assert_int_eq(proto_subprotocol_version("pusher-channels-protocol-5"), 5);
	ck_assert_int_eq(proto_subprotocol_version("pusher-channels-protocol-"), 0);
	ck_assert_int_eq(proto_subprotocol_version("pusher-channels-protocol-7x"), 0);
	ck_assert_int_eq(proto_subprotocol_version("pusher"), 0);
	ck_assert_int_eq(proto_subprotocol_version("chat"), 0);
	ck_assert_int_eq(proto_subprotocol_version(NULL), 0);
	/* The query wins; the subprotocol speaks when the query is silent. */
	ck_assert_int_eq(proto_client_version("5", "pusher-channels-protocol-7"), 5);
	ck_assert_int_eq(proto_client_version(NULL, "pusher-channels-protocol-7"), 7);
	ck_assert_int_eq(proto_client_version("x", "pusher-channels-protocol-6"), 6);
	ck_assert_int_eq(proto_client_version(NULL, "pusher"), 0);
	ck_assert_int_eq(proto_client_version("7", NULL), 7);
}
END_TEST

/* Parse a server message; check its event name. Caller json_decref()s. */
static json_t *
server_msg(char *text, const char *event)
{
	json_t *o;

	ck_assert_ptr_nonnull(text);
	o = json_loads(text, 0, NULL);
	free(text);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), event);
	return o;
}

START_TEST(test_server_messages)
{
	json_t *o, *inner;

	/* Protocol 7: connection_established data is a string holding JSON. */
	o = server_msg(proto_established("12.34", 120), "pusher:connection_established");
	ck_assert(json_is_string(json_object_get(o, "data")));
	inner = json_loads(json_string_value(json_object_get(o, "data")), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(inner, "socket_id")), "12.34");
	ck_assert_int_eq(json_integer_value(json_object_get(inner, "activity_timeout")), 120);
	json_decref(inner);
	json_decref(o);

	o = server_msg(proto_error(4009, "Invalid signature"), "pusher:error");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "data"),
	    "code")), 4009);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "data"),
	    "message")), "Invalid signature");
	json_decref(o);
	o = server_msg(proto_error(0, "x"), "pusher:error");
	ck_assert(json_is_null(json_object_get(json_object_get(o, "data"), "code")));
	json_decref(o);

	json_decref(server_msg(proto_ping(), "pusher:ping"));
	json_decref(server_msg(proto_pong(), "pusher:pong"));

	o = server_msg(proto_subscribed("private-user.3"),
	    "pusher_internal:subscription_succeeded");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")), "private-user.3");
	ck_assert_str_eq(json_string_value(json_object_get(o, "data")), "{}");
	json_decref(o);

	/* The event name has backslashes; the data goes as a string. */
	o = server_msg(proto_event("App\\Events\\TokenPush", "private-token.5",
	    "{\"data\":{\"type\":\"archive_generated\"}}"), "App\\Events\\TokenPush");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")), "private-token.5");
	ck_assert_str_eq(json_string_value(json_object_get(o, "data")),
	    "{\"data\":{\"type\":\"archive_generated\"}}");
	json_decref(o);
}
END_TEST

static Suite *
pusher_suite(void)
{
	Suite *s = suite_create("pusher");
	TCase *tc = tcase_create("proto");

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_long_fields);
	tcase_add_loop_test(tc, test_channel, 0,
	    (int)(sizeof(chan_cases) / sizeof(chan_cases[0])));
	tcase_add_test(tc, test_auth_known_vector);
	tcase_add_test(tc, test_socket_id);
	tcase_add_loop_test(tc, test_path, 0,
	    (int)(sizeof(path_cases) / sizeof(path_cases[0])));
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_subprotocol);
	tcase_add_test(tc, test_client_addr);
	tcase_add_test(tc, test_server_messages);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(pusher_suite());
}
