/* Helpers shared by the remux tests, which check their output with the
 * ffmpeg CLI's tools: run a command, read "key=value|key=value" lines. */
#ifndef ARCHIVED_MEDIA_CHECK_H
#define ARCHIVED_MEDIA_CHECK_H

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* Run a shell command; its stdout (and stderr if it says 2>&1) into out.
 * Returns pclose's status. */
static inline int
unit_popen(struct buf *out, const char *cmd)
{
	char chunk[4096];
	size_t n;
	FILE *p;

	buf_release(out);
	buf_adds(out, "");
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(out, chunk, n);
	return pclose(p);
}

/* The value of key in the first line of "a=1|b=2" lines, or "" (val). */
static inline const char *
unit_field(const char *line, const char *key, char *val, size_t len)
{
	char pat[64];
	const char *p, *end = strchr(line, '\n');

	snprintf(pat, sizeof(pat), "%s=", key);
	val[0] = '\0';
	for (p = line; (p = strstr(p, pat)) != NULL && (end == NULL || p < end); p++)
		if (p == line || p[-1] == '|') {
			size_t n = strcspn(p + strlen(pat), "|\n");

			snprintf(val, len, "%.*s", (int)n, p + strlen(pat));
			break;
		}
	return val;
}

#endif
