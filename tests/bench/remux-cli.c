/*
 * remux-cli: run one export from a fixture manifest, for benchmarks and
 * by-hand checks.
 *
 *   remux-cli [-r REPEAT] [-T TMPDIR] [-q] MANIFEST CASE FROM_US TO_US OUT
 *
 * MANIFEST is the media scripts' manifest.tsv (case, path relative to the
 * manifest, start_us, end_us, bytes, ...). FROM_US/TO_US may be "-" for the
 * case's first start / last end. -r lists the case's files REPEAT times,
 * each copy shifted by the span of the case, to model a long recording
 * without the disk space. Prints the result, then the peak RSS.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/log.h"
#include "media/remux.h"
#include "lib/util.h"
#include "lib/banned.h"

static int quiet;

static int
on_progress(void *arg, int64_t done, int64_t total)
{
	(void)arg;
	if (!quiet)
		fprintf(stderr, "\rprogress %3d%%", total > 0 ?
		    (int)(done * 100 / total) : 0);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: remux-cli [-r repeat] [-T tmpdir] [-q] "
	    "manifest case from_us|- to_us|- out\n");
	exit(2);
}

/* Read the case's rows; paths become manifest-relative. */
static size_t
manifest_load(const char *manifest, const char *name, struct remux_segment **out)
{
	char line[4096], *dir, *slash;
	struct remux_segment *segs = NULL;
	size_t n = 0;
	FILE *f;

	if ((f = fopen(manifest, "r")) == NULL) {
		perror(manifest);
		exit(1);
	}
	dir = xstrdup(manifest);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else {
		free(dir);
		dir = xstrdup(".");
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *field[5], *p = line, *save = NULL;
		int64_t v[3];
		int k;

		line[strcspn(line, "\r\n")] = '\0';
		for (k = 0; k < 5; k++, p = NULL)
			if ((field[k] = strtok_r(p, "\t", &save)) == NULL)
				break;
		if (k < 5 || strcmp(field[0], name) != 0 ||
		    parse_i64(field[2], &v[0]) == -1 ||
		    parse_i64(field[3], &v[1]) == -1 ||
		    parse_i64(field[4], &v[2]) == -1)
			continue;
		segs = xreallocarray(segs, n + 1, sizeof(*segs));
		segs[n].path = path_join(dir, field[1]);
		segs[n].start_us = v[0];
		segs[n].end_us = v[1];
		segs[n].bytes = v[2];
		n++;
	}
	fclose(f);
	free(dir);
	/* A row without a usable end (older manifests): assume it runs to the
	 * next one, the last as long as the one before. */
	for (size_t i = 0; i < n; i++)
		if (segs[i].end_us <= segs[i].start_us)
			segs[i].end_us = i + 1 < n ? segs[i + 1].start_us :
			    i > 0 ? segs[i].start_us + (segs[i - 1].end_us - segs[i - 1].start_us) :
			    segs[i].start_us + 60000000;
	*out = segs;
	return n;
}

int
main(int argc, char **argv)
{
	struct remux_segment *segs, *all;
	struct remux_result res;
	struct remux_job job = { 0 };
	struct rusage ru;
	size_t n, repeat = 1;
	int64_t span, t0, t1;
	int c, rc;

	log_init("remux-cli", 0);
	while ((c = getopt(argc, argv, "qr:T:")) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			job.tmp_dir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 5 || repeat == 0)
		usage();
	if ((n = manifest_load(argv[0], argv[1], &segs)) == 0) {
		fprintf(stderr, "remux-cli: no rows for case %s\n", argv[1]);
		return 1;
	}
	if (repeat > SIZE_MAX / n)
		usage();
	span = segs[n - 1].end_us - segs[0].start_us;
	all = xcalloc(n * repeat, sizeof(*all));
	for (size_t r = 0; r < repeat; r++)
		for (size_t i = 0; i < n; i++) {
			all[r * n + i] = segs[i];
			all[r * n + i].start_us += (int64_t)r * span;
			all[r * n + i].end_us += (int64_t)r * span;
		}
	job.segs = all;
	job.nsegs = n * repeat;
	job.from_us = segs[0].start_us;
	job.to_us = all[n * repeat - 1].end_us;
	if (strcmp(argv[2], "-") != 0 && parse_i64(argv[2], &job.from_us) == -1)
		usage();
	if (strcmp(argv[3], "-") != 0 && parse_i64(argv[3], &job.to_us) == -1)
		usage();
	job.out_path = argv[4];
	job.progress = on_progress;
	t0 = mono_us();
	rc = remux_run(&job, &res);
	t1 = mono_us();
	if (!quiet)
		fprintf(stderr, "\n");
	printf("rc %d code '%s' message '%s'\n", rc, res.code, res.message);
	printf("duration_us %" PRId64 " size %" PRId64 " wall_s %.3f\n",
	    res.duration_us, res.size, (double)(t1 - t0) / 1e6);
	for (size_t i = 0; i < res.ncoverage; i++)
		printf("coverage %" PRId64 " %" PRId64 "\n", res.coverage[i][0],
		    res.coverage[i][1]);
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss_kb %ld\n", ru.ru_maxrss);
	remux_result_release(&res);
	for (size_t i = 0; i < n; i++)
		free((char *)segs[i].path);
	free(segs);
	free(all);
	return rc == 0 ? 0 : 1;
}
