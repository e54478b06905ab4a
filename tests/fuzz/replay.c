/*
 * replay.c: run a libFuzzer target over committed corpus files, so that
 * make check replays every corpus without clang or libFuzzer.
 * Usage: replay_<target> DIR|FILE ...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	struct tly_buf b = TLY_BUF_INIT(16 * 1024 * 1024);

	if (tly_buf_read_file(path, b.max, &b) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	/* Give the target an exact-size heap copy so ASan sees overreads. */
	uint8_t *copy = malloc(b.len ? b.len : 1);
	if (copy == NULL) {
		tly_buf_free(&b);
		return -1;
	}
	if (b.len)
		memcpy(copy, b.p, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	tly_buf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int	 n = 0, i;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: no such file\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		if (d == NULL)
			return 1;
		while ((de = readdir(d)) != NULL) {
			char path[4096];
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (replay_file(path) != 0) {
				closedir(d);
				return 1;
			}
			n++;
		}
		closedir(d);
	}
	if (n == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		return 1;
	}
	printf("replayed %d inputs\n", n);
	return 0;
}
