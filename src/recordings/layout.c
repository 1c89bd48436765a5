/* Recording layouts: segment path -> the wall-clock time its name carries. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/banned.h"

#define EPOCH_MIN	946684800LL	/* 2000-01-01: a 10-digit run below is no time */
#define EPOCH_MAX	4102444800LL	/* 2100-01-01 */

static const struct {
	const char	*name;
	enum layout	 layout;
} layouts[] = {
	{ "auto", LAYOUT_AUTO },
	{ "ffmpeg", LAYOUT_FFMPEG },
	{ "mediamtx", LAYOUT_MEDIAMTX },
	{ "frigate", LAYOUT_FRIGATE },
};

/* The extensions recorders give segments; anything else is not ours. */
static const char *const media_exts[] = {
	".ts", ".mp4", ".m4v", ".mov", ".mkv", ".m2ts", ".mts", ".flv", ".mpg",
	".mpeg", ".ps",
};

/* A calendar time as read from a name; zone_s is the offset %z gave. */
struct civil {
	int	 y, mo, d, h, mi, s;
	long	 usec;
	int	 has_zone;
	long	 zone_s;
};

int
layout_from_name(const char *name, enum layout *out)
{
	for (size_t i = 0; i < nitems(layouts); i++)
		if (strcmp(name, layouts[i].name) == 0) {
			*out = layouts[i].layout;
			return 0;
		}
	return -1;
}

const char *
layout_name(enum layout l)
{
	for (size_t i = 0; i < nitems(layouts); i++)
		if (layouts[i].layout == l)
			return layouts[i].name;
	return "?";
}

const char *
layout_names(void)
{
	return "auto|ffmpeg|mediamtx|frigate";
}

int
layout_is_media_name(const char *name)
{
	const char *base = strrchr(name, '/'), *dot;

	base = base ? base + 1 : name;
	if (base[0] == '.' || (dot = strrchr(base, '.')) == NULL || dot == base)
		return 0;
	for (size_t i = 0; i < nitems(media_exts); i++)
		if (strcasecmp(dot, media_exts[i]) == 0)
			return 1;
	return 0;
}

/* n decimal digits at s; -1 if any is not a digit. */
static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
civil_valid(const struct civil *c)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (c->y < 1970 || c->y > 9999 || c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->h > 23 || c->mi > 59 || c->s > 59)
		return 0;
	return c->d <= mdays[c->mo - 1] + (c->mo == 2 && leap(c->y));
}

/* UTC microseconds of c: local time unless utc or a zone in the name. */
static int64_t
civil_to_us(const struct civil *c, int utc)
{
	int64_t secs;

	if (c->has_zone || utc) {
		struct tm tm = { 0 };

		tm.tm_year = c->y - 1900;
		tm.tm_mon = c->mo - 1;
		tm.tm_mday = c->d;
		tm.tm_hour = c->h;
		tm.tm_min = c->mi;
		tm.tm_sec = c->s;
		secs = (int64_t)timegm(&tm) - (c->has_zone ? c->zone_s : 0);
	} else
		secs = time_local_to_utc(c->y, c->mo, c->d, c->h, c->mi, c->s);
	return secs * USEC_PER_SEC + c->usec;
}

/* A %z at *p: "Z", "+HHMM", "-HHMM" or "+HH:MM". Advances *p on a match. */
static int
parse_zone(const char **p, struct civil *c)
{
	const char *s = *p;
	int hh, mm, sign;

	if (*s == 'Z') {
		c->has_zone = 1;
		c->zone_s = 0;
		*p = s + 1;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s == '-' ? -1 : 1;
	if (digits(s + 1, 2, &hh) == -1)
		return -1;
	s += 3;
	if (*s == ':')
		s++;
	if (digits(s, 2, &mm) == -1 || isdigit((unsigned char)s[2]) ||
	    hh > 14 || mm > 59)
		return -1;
	c->has_zone = 1;
	c->zone_s = sign * (hh * 3600L + mm * 60L);
	*p = s + 2;
	return 0;
}

/* Skip one separator between date and time fields: any single character
 * that is neither a letter nor a digit, or 'T'; or none at all. */
static const char *
skip_sep(const char *p)
{
	if (*p == 'T' || (*p != '\0' && !isalnum((unsigned char)*p)))
		return p + 1;
	return p;
}

/* Y M D h m s at p, separators optional, not followed by a digit. */
static int
match_datetime(const char *p, struct civil *c)
{
	int *fields[] = { &c->mo, &c->d, &c->h, &c->mi, &c->s };
	const char *q = p;

	memset(c, 0, sizeof(*c));
	if (digits(q, 4, &c->y) == -1)
		return -1;
	q += 4;
	for (size_t i = 0; i < nitems(fields); i++) {
		q = skip_sep(q);
		if (digits(q, 2, fields[i]) == -1)
			return -1;
		q += 2;
	}
	if (parse_zone(&q, c) == -1 && isdigit((unsigned char)*q))
		return -1;
	if (c->has_zone && isdigit((unsigned char)*q))
		return -1;
	return civil_valid(c) ? 0 : -1;
}

/* The first date and time in s, else a 10-digit run of epoch seconds:
 * 1 found, 0 none. */
static int
scan_name(const char *s, size_t len, int utc, int64_t *us)
{
	char buf[512];
	struct civil c;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)buf[i]) ||
		    (i > 0 && isdigit((unsigned char)buf[i - 1])))
			continue;
		if (match_datetime(buf + i, &c) == 0) {
			*us = civil_to_us(&c, utc);
			return 1;
		}
	}
	for (size_t i = 0; i + 10 <= len; i++) {
		long long v = 0;
		size_t n = 0;

		if (i > 0 && isdigit((unsigned char)buf[i - 1]))
			continue;
		while (i + n < len && isdigit((unsigned char)buf[i + n]) && n < 11)
			v = v * 10 + (buf[i + n++] - '0');
		if (n == 10 && v >= EPOCH_MIN && v < EPOCH_MAX) {
			*us = v * USEC_PER_SEC;
			return 1;
		}
	}
	return 0;
}

/* The path's last n components: start pointers into path (comp[0] is the
 * n-th from the end), each ending at the next '/' or the end. */
static int
last_components(const char *path, const char **comp, size_t n)
{
	const char *end = path + strlen(path);

	for (size_t k = n; k > 0; k--) {
		const char *p = end;

		while (p > path && p[-1] != '/')
			p--;
		if (p == end)
			return -1;
		comp[k - 1] = p;
		if (p == path) {
			if (k != 1)
				return -1;
			break;
		}
		end = p - 1;
	}
	return 0;
}

static size_t
comp_len(const char *c)
{
	const char *slash = strchr(c, '/');

	return slash ? (size_t)(slash - c) : strlen(c);
}

static int
parse_ffmpeg(const char *path, int utc, struct layout_time *out)
{
	const char *comp[2], *base, *dot;

	if (last_components(path, comp, 1) == -1)
		return 0;
	base = comp[0];
	dot = strrchr(base, '.');
	if (scan_name(base, dot ? (size_t)(dot - base) : strlen(base), utc,
	    &out->us) == 1)
		goto found;
	/* -strftime_mkdir: "%Y-%m-%d/%H-%M-%S.ts" */
	if (last_components(path, comp, 2) == 0 &&
	    scan_name(comp[0], (size_t)((dot ? dot : base + strlen(base)) - comp[0]),
	    utc, &out->us) == 1)
		goto found;
	return 0;
found:
	out->layout = LAYOUT_FFMPEG;
	out->precision_us = USEC_PER_SEC;
	return 1;
}

static int
parse_mediamtx(const char *path, int utc, struct layout_time *out)
{
	const char *comp[1], *p, *ext;
	struct civil c;
	int usec;

	if (last_components(path, comp, 1) == -1)
		return 0;
	p = comp[0];
	memset(&c, 0, sizeof(c));
	/* %Y-%m-%d_%H-%M-%S-%f, exactly */
	if (strlen(p) < 26 || digits(p, 4, &c.y) == -1 || p[4] != '-' ||
	    digits(p + 5, 2, &c.mo) == -1 || p[7] != '-' ||
	    digits(p + 8, 2, &c.d) == -1 || p[10] != '_' ||
	    digits(p + 11, 2, &c.h) == -1 || p[13] != '-' ||
	    digits(p + 14, 2, &c.mi) == -1 || p[16] != '-' ||
	    digits(p + 17, 2, &c.s) == -1 || p[19] != '-' ||
	    digits(p + 20, 6, &usec) == -1)
		return 0;
	c.usec = usec;
	p += 26;
	(void)parse_zone(&p, &c);
	ext = p;
	if (strcmp(ext, ".mp4") != 0 && strcmp(ext, ".ts") != 0)
		return 0;
	if (!civil_valid(&c))
		return 0;
	out->layout = LAYOUT_MEDIAMTX;
	out->us = civil_to_us(&c, utc);
	out->precision_us = 1;
	return 1;
}

/* ".../YYYY-MM-DD/HH/<camera>/MM.SS.mp4" or ".../YYYY-MM/DD/HH/<camera>/MM.SS.mp4" */
static int
parse_frigate(const char *path, struct layout_time *out)
{
	const char *comp[5];
	struct civil c;
	size_t cam;

	memset(&c, 0, sizeof(c));
	if (last_components(path, comp, 4) == -1)
		return 0;
	if (strlen(comp[3]) != 9 || digits(comp[3], 2, &c.mi) == -1 ||
	    comp[3][2] != '.' || digits(comp[3] + 3, 2, &c.s) == -1 ||
	    strcmp(comp[3] + 5, ".mp4") != 0)
		return 0;
	if ((cam = comp_len(comp[2])) == 0)
		return 0;
	if (comp_len(comp[1]) != 2 || digits(comp[1], 2, &c.h) == -1)
		return 0;
	if (comp_len(comp[0]) == 10) {
		if (digits(comp[0], 4, &c.y) == -1 || comp[0][4] != '-' ||
		    digits(comp[0] + 5, 2, &c.mo) == -1 || comp[0][7] != '-' ||
		    digits(comp[0] + 8, 2, &c.d) == -1)
			return 0;
	} else if (comp_len(comp[0]) == 2 && last_components(path, comp, 5) == 0 &&
	    comp_len(comp[0]) == 7) {
		if (digits(comp[0], 4, &c.y) == -1 || comp[0][4] != '-' ||
		    digits(comp[0] + 5, 2, &c.mo) == -1 ||
		    digits(comp[1], 2, &c.d) == -1)
			return 0;
		comp[2] = comp[3];	/* the camera, in the five-part form */
		cam = comp_len(comp[2]);
	} else
		return 0;
	if (!civil_valid(&c))
		return 0;
	out->layout = LAYOUT_FRIGATE;
	out->us = civil_to_us(&c, 1);
	out->precision_us = USEC_PER_SEC;
	out->camera = comp[2];
	out->camera_len = cam;
	return 1;
}

int
layout_parse(enum layout want, const char *path, int utc, struct layout_time *out)
{
	memset(out, 0, sizeof(*out));
	switch (want) {
	case LAYOUT_FFMPEG:
		return parse_ffmpeg(path, utc, out);
	case LAYOUT_MEDIAMTX:
		return parse_mediamtx(path, utc, out);
	case LAYOUT_FRIGATE:
		return parse_frigate(path, out);
	case LAYOUT_AUTO:
		break;
	}
	if (parse_frigate(path, out) == 1 || parse_mediamtx(path, utc, out) == 1)
		return 1;
	return parse_ffmpeg(path, utc, out);
}
