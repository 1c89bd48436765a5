/* One HTTP request as FastCGI or CGI delivers it, and its response.
 * Everything a request allocates hangs off struct request and goes in
 * request_release(), so the accept loop never leaks. */
#ifndef ARCHIVED_HTTP_H
#define ARCHIVED_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/auth.h"
#include "lib/util.h"

struct db;

#define MAX_BODY (64 * 1024)

struct conf;

/* Where a request comes from: the FastCGI record stream or CGI's stdio. */
struct http_io {
	const char	*(*param)(void *ctx, const char *name);
	/* Read up to n bytes; 0 at end, -1 on error. */
	long		 (*read)(void *ctx, char *buf, size_t n);
	int		 (*write)(void *ctx, const char *buf, size_t n);
	void		*ctx;
};

struct request {
	const struct conf *conf;
	struct db		*db;		/* NULL when the database is unavailable */
	struct http_io	 io;

	/* From the environment (borrowed from io). */
	const char	*method;
	const char	*content_type;
	const char	*remote_addr;
	int64_t		 content_length;	/* -1 when absent */
	char		*path;		/* REQUEST_URI without the query */
	char		*query;		/* raw query string, "" if none */

	/* Parsed input. */
	json_t		*query_params;	/* object of strings */
	json_t		*input;		/* the body: object, or NULL */
	int64_t		 ids[2];	/* {id} path parameters */
	int		 nids;

	/* The caller, when authenticated. */
	struct principal who;
	int		 authed;

	/* The response. */
	int		 status;
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	char		*body;		/* NULL: no body */
	const char	*body_type;	/* Content-Type of body */
};

void	 request_init(struct request *r, const struct conf *c, struct db *db,
	    const struct http_io *io);
void	 request_release(struct request *r);

/* Read and parse the body (JSON or form) into r->input. Returns 0, or
 * the HTTP status of a response already set (413, 415, 422). */
int	 request_read_body(struct request *r);

/* A parameter from the body, else the query. Borrowed; NULL if absent. */
json_t	*request_param(const struct request *r, const char *name);
const char *request_header(const struct request *r, const char *cgi_name);

/* Parse "a=1&b=x+y&ids[]=3" into a JSON object (strings; "[]" and "[N]"
 * suffixes make arrays). NULL if it is malformed. */
json_t	*form_parse(const char *s, size_t len);
/* Percent-decode in place; -1 on a bad escape or an embedded NUL. */
int	 url_decode(char *s, int plus_is_space);

/* Responses. Each sets status and body; the last call wins. */
void	 respond_json(struct request *r, int status, json_t *body);	/* steals body */
void	 respond_message(struct request *r, int status, const char *message);
/* A body other than JSON; steals text (malloc'd), type is static. */
void	 respond_text(struct request *r, int status, const char *type, char *text);
void	 respond_empty(struct request *r, int status);
void	 respond_header(struct request *r, const char *name, const char *value);

/* Write status line, headers and body through io. */
int	 request_send(struct request *r);

const char *http_reason(int status);

#endif
