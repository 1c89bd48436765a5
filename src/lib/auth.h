/* Users, Sanctum-style tokens "<id>|<secret>" and password logins. Only
 * SHA-256 of a token's secret and scrypt hashes of passwords are stored. */
#ifndef ARCHIVED_AUTH_H
#define ARCHIVED_AUTH_H

#include <stdint.h>

struct db;

#define TOKEN_SECRET_LEN 40
#define TOKEN_MAX 64		/* "<id>|<secret>" and its NUL */

/* Who is calling. Strings are owned; principal_release frees them. */
struct principal {
	int64_t	 user_id;
	int64_t	 token_id;
	char	*login;
	char	*name;
	int	 is_admin;
	int64_t	 token_expires_at;	/* 0: never */
};

void	 principal_release(struct principal *p);

/* Create a user; password may be NULL (token-only user). Returns 0 and the
 * id, 1 if the login exists (id set to it), -1 on error. */
int	 user_create(struct db *db, const char *login, const char *name,
	    const char *password, int is_admin, int64_t *id);
/* Load a user by login into p (token fields zero). 1 found, 0 not, -1 error. */
int	 user_load(struct db *db, const char *login, struct principal *p);
int	 user_set_admin(struct db *db, int64_t user_id, int is_admin);

/* Make a token for user_id; expires_at 0 never expires. Writes the full
 * "<id>|<secret>" into out. */
int	 token_create(struct db *db, int64_t user_id, int64_t expires_at,
	    const char *name, char out[TOKEN_MAX], int64_t *token_id);
int	 token_revoke(struct db *db, int64_t token_id);

/* Split "<id>|<secret>"; -1 if it is not of that form. */
int	 token_parse(const char *token, int64_t *id, const char **secret);

enum auth_result { AUTH_OK, AUTH_DENIED, AUTH_ERROR };

/* Check a bearer token: exists, secret matches, not revoked, not expired. */
enum auth_result token_authenticate(struct db *db, const char *token,
	    struct principal *p);

/* Note one hit of bucket (an address, a route) unless it already has
 * limit hits within the last window_us: 1 over the limit (nothing noted),
 * 0 noted, -1 error. Old hits of every bucket are dropped on the way. */
int	 rate_hit(struct db *db, const char *bucket, int limit, int64_t window_us);

/*
 * One of n slots for hashing a password, shared by every process of the
 * host through lock files in dir ("login-slot.<i>", flock): password
 * hashing is slow on purpose, and n bounds the cores a flood of logins can
 * take from everything else. The descriptor to pass to hash_slot_release,
 * -1 when all n are busy, -2 on error (logged).
 */
int	 hash_slot_take(const char *dir, int n);
void	 hash_slot_release(int fd);

/* Record that token_id authorised socket_id to subscribe channel (POST
 * .../broadcasting/auth), dropping grants older than an hour. 0, or -1. */
int	 push_grant(struct db *db, const char *socket_id, const char *channel,
	    int64_t token_id);

enum login_result { LOGIN_OK, LOGIN_BAD, LOGIN_LIMITED, LOGIN_ERROR };

/* Check login and password, with at most `limit` failures a minute per
 * login. On LOGIN_OK, p holds the user. */
enum login_result login_check(struct db *db, const char *login,
	    const char *password, int limit, struct principal *p);

#endif
