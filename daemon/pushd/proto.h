/*
 * Pusher Channels protocol 7 (5 and 6 too), the wire half: what clients send, parsed, and
 * what the server sends, built. No libwebsockets, no database, no I/O, so
 * that every rule here is unit tested alone (tests/unit/test_pusher.c).
 */
#ifndef ARCHIVED_PUSHD_PROTO_H
#define ARCHIVED_PUSHD_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Versions 5 to 7 differ in nothing pushd sends (the product's Android
 * app's Java client says 5, pusher-js and the iOS client 7). */
#define PROTO_MIN_VERSION	5
#define PROTO_MAX_VERSION	7
/* The WebSocket subprotocol a client may ask for: this and the version. */
#define PROTO_SUBPROTOCOL	"pusher-channels-protocol-"
#define PROTO_CHANNEL_MAX	164	/* longest channel name we accept */
#define PROTO_AUTH_MAX		256	/* longest "<key>:<hex>" we accept */
#define PROTO_SOCKET_ID_MAX	24	/* "4294967295.4294967295" and NUL */

/* Codes of the protocol's pusher:error and close frames that pushd uses. */
enum proto_code {
	PC_GOING_AWAY = 1001,		/* plain WebSocket: server shutting down */
	PC_TOO_BIG = 1009,		/* plain WebSocket: frame over max_frame */
	PC_UNKNOWN_APP = 4001,		/* close; the client must not retry */
	PC_OLD_PROTOCOL = 4007,		/* close; the client must not retry */
	PC_UNAUTHORIZED = 4009,		/* a subscription refused */
	PC_OVER_CAPACITY = 4100,	/* close; the client retries after 1 s */
	PC_RECONNECT = 4200,		/* close; the client reconnects at once */
	PC_PONG_TIMEOUT = 4201,		/* close; the client reconnects at once */
};

/* What a client message asks for. */
enum proto_kind {
	PM_INVALID,		/* not JSON, no event name, bad field types */
	PM_PING,
	PM_PONG,
	PM_SUBSCRIBE,
	PM_UNSUBSCRIBE,
	PM_CLIENT_EVENT,	/* "client-*": not enabled on this server */
	PM_OTHER,		/* a well-formed message we ignore (pusher:signin...) */
};

struct proto_msg {
	enum proto_kind	 kind;
	char		 channel[PROTO_CHANNEL_MAX + 1];	/* subscribe, unsubscribe */
	char		 auth[PROTO_AUTH_MAX + 1];		/* subscribe */
	int64_t		 last_event_id;		/* subscribe; -1 when absent */
	const char	*why;			/* PM_INVALID: static reason */
};

/* The channels pushd serves: private-token.<token id>, private-user.<user id>. */
enum chan_kind { CH_TOKEN, CH_USER };

struct chan {
	enum chan_kind	 kind;
	int64_t		 id;
};

/*
 * Parse one text message. "data" may be an object or, as some clients send
 * it, a JSON string holding one. Always fills m; m->kind says what it was.
 */
void	 proto_parse(const char *text, size_t len, struct proto_msg *m);

/* Parse a channel name in its one canonical spelling; 0, or -1 if the
 * name is not one of ours (public, presence, bad or padded id). */
int	 proto_channel_parse(const char *name, struct chan *out);
/* The name of ch; out holds PROTO_CHANNEL_MAX + 1 bytes. */
void	 proto_channel_name(const struct chan *ch, char *out);

/* Is auth "<key>:<hex HMAC-SHA256(secret, "<socket_id>:<channel>")>"?
 * 1 yes, 0 no. The MAC is compared in constant time. */
int	 proto_auth_valid(const char *key, const char *secret,
	    const char *socket_id, const char *channel, const char *auth);

/* "<a>.<b>"; out holds PROTO_SOCKET_ID_MAX bytes. */
void	 proto_socket_id(uint32_t a, uint32_t b, char *out);
/* Digits, one '.', digits, as POST .../broadcasting/auth accepts. */
int	 proto_socket_id_valid(const char *s);

/*
 * The request path of a connection: "/app/<key>", "/ws/app/<key>" or
 * "<prefix>/app/<key>". Points *key at the key inside uri and sets
 * *keylen; -1 if the path is none of these.
 */
int	 proto_parse_path(const char *uri, const char *prefix, const char **key,
	    size_t *keylen);
/* The client's address: the peer's, or, where the peer is this host (the
 * web server proxying), the last entry of X-Forwarded-For (xff, or NULL),
 * which that proxy added. Into out (len bytes). */
void	 proto_client_addr(const char *peer, const char *xff, char *out, size_t len);

/* The "protocol" query argument: its number, or 0 if absent or bad. */
int	 proto_parse_version(const char *value);
/* The version a Sec-WebSocket-Protocol name says
 * ("pusher-channels-protocol-7"), or 0 if it names none. */
int	 proto_subprotocol_version(const char *name);
/* The version a client speaks: the query's, else its subprotocol's; 0 if
 * neither says. */
int	 proto_client_version(const char *query, const char *subprotocol);
/* Does pushd speak it? 1 yes (PROTO_MIN_VERSION or later), 0 no. */
int	 proto_version_supported(int version);

/* Server messages, as compact JSON. Each returns a string the caller frees,
 * or NULL on allocation failure. */
char	*proto_established(const char *socket_id, int activity_timeout);
/* code 0 sends "code": null, as Pusher does for errors without one. */
char	*proto_error(int code, const char *message);
char	*proto_ping(void);
char	*proto_pong(void);
char	*proto_subscribed(const char *channel);
/* {"event": event, "channel": channel, "data": data}; data is already a
 * JSON string's contents (the envelope) and is sent as a string. */
char	*proto_event(const char *event, const char *channel, const char *data);

#endif
