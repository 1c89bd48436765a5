/* Laravel-style validation: every failing rule adds a reason under its
 * field; the response is 422 {"message": first reason, "errors": {...}}. */
#ifndef ARCHIVED_VALIDATE_H
#define ARCHIVED_VALIDATE_H

#include <jansson.h>
#include <stdint.h>

struct request;

struct verrors {
	json_t	*errors;	/* field -> [reasons] */
	int	 count;
};

void	 verr_init(struct verrors *v);
void	 verr_release(struct verrors *v);
void	 verr_add(struct verrors *v, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 verr_has(const struct verrors *v, const char *field);
/* If there are errors, respond 422 and return 1; else 0. */
int	 verr_respond(struct verrors *v, struct request *r);

/* "stream_id" -> "stream id", as Laravel names fields in messages. */
void	 field_label(const char *field, char *out, size_t len);

/* Rules. Each returns 1 when the value is present and valid (stored in
 * *out), 0 when absent (an error if required), -1 when invalid (error added). */
int	 v_integer(struct verrors *v, json_t *val, const char *field,
	    int required, int64_t min, int64_t max, int64_t *out);
int	 v_string(struct verrors *v, json_t *val, const char *field,
	    int required, size_t maxlen, const char **out);
/* A moment: "YYYY-MM-DD HH:MM:SS" local, or ISO 8601; date-only if allowed. */
int	 v_time(struct verrors *v, json_t *val, const char *field,
	    int required, int allow_date, int64_t *out);

#endif
