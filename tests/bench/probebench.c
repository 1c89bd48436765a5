/*
 * probebench MODE [FILE...]: the prober's cost per file, for
 * tests/bench/bench-import.sh. MODE is fast (what import does: head and
 * tail), deep (every packet, as check --deep) or head. Files come from the
 * arguments, or one per line on standard input. Prints one line:
 *
 *   files N failed N ms_per_file MEAN p50 P50 max MAX read_bytes_per_file B maxrss_kb K
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "recordings/segprobe.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	enum segprobe_mode mode;
	char **files = NULL, line[4096];
	size_t n = 0, cap = 0;
	double *ms, total = 0;
	long long bytes = 0;
	int failed = 0;
	struct rusage ru;

	if (argc < 2 || (strcmp(argv[1], "fast") != 0 && strcmp(argv[1], "deep") != 0 &&
	    strcmp(argv[1], "head") != 0)) {
		fprintf(stderr, "usage: probebench fast|deep|head [FILE...]\n");
		return 2;
	}
	mode = argv[1][0] == 'f' ? SEGPROBE_FAST : argv[1][0] == 'd' ? SEGPROBE_DEEP :
	    SEGPROBE_HEAD;
	for (int i = 2; i < argc || (argc == 2 && fgets(line, sizeof(line), stdin)); i++) {
		if (n == cap && (files = realloc(files, (cap = cap ? cap * 2 : 256) *
		    sizeof(*files))) == NULL)
			return 1;
		if (argc > 2)
			files[n++] = argv[i];
		else {
			line[strcspn(line, "\n")] = '\0';
			if ((files[n++] = strdup(line)) == NULL)
				return 1;
		}
	}
	if (n == 0 || (ms = calloc(n, sizeof(*ms))) == NULL) {
		fprintf(stderr, "probebench: no files\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		struct segprobe pr;
		char why[256];
		double t0 = now_ms();

		if (segprobe_file(files[i], mode, &pr, why, sizeof(why)) == -1) {
			fprintf(stderr, "probebench: %s: %s\n", files[i], why);
			failed++;
		}
		ms[i] = now_ms() - t0;
		total += ms[i];
		bytes += pr.read_bytes;
	}
	qsort(ms, n, sizeof(*ms), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("files %zu failed %d ms_per_file %.3f p50 %.3f max %.3f"
	    " read_bytes_per_file %lld maxrss_kb %ld\n", n, failed, total / n, ms[n / 2],
	    ms[n - 1], bytes / (long long)n, ru.ru_maxrss);
	return failed > 0;
}
