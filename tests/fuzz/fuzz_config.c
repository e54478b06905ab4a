/*
 * fuzz_config.c: libFuzzer target for the configuration parser and its
 * keyword tables (common/config.c), with a table that has every key type.
 * What loads must hold values inside the table's bounds and choices.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Settings of every type. */
struct fz_conf {
	char		*datadir;	/* required string */
	char		*name;		/* optional string */
	uint64_t	 count;		/* number, default 5 */
	unsigned	 threads;	/* number, no default */
	int		 mode;		/* choice */
};

static const char *const modes[] = { "live", "test", NULL };

#define F(x)	offsetof(struct fz_conf, x)
static const struct tly_ckey keys[] = {
	{ "datadir", TLY_CKEY_STR, F(datadir), 0, 0, NULL, 1, NULL },
	{ "name", TLY_CKEY_STR, F(name), 0, 0, NULL, 0, NULL },
	{ "count", TLY_CKEY_UINT, F(count), 1, 1000, "5", 0, NULL },
	{ "threads", TLY_CKEY_UNSIGNED, F(threads), 1, 256, NULL, 0, NULL },
	{ "mode", TLY_CKEY_CHOICE, F(mode), 0, 0, "live", 0, modes },
	{ NULL, 0, 0, 0, 0, NULL, 0, NULL }
};
#undef F

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_conf		 c;
	struct tly_config	*cfg = NULL;
	const char		*w;

	memset(&c, 0, sizeof(c));
	if (tly_config_parse_table("fuzz.conf", data, size, keys, &c,
	    &cfg) != TLY_OK) {
		/* Every error names the file. */
		if (strncmp(tly_errdetail(), "fuzz.conf", 9) != 0 &&
		    strstr(tly_errdetail(), "out of memory") == NULL)
			abort();
		if (c.datadir != NULL || c.name != NULL || cfg != NULL)
			abort();
		return 0;
	}
	if (c.datadir == NULL || c.count < 1 || c.count > 1000 ||
	    c.threads > 256 || (c.mode != 0 && c.mode != 1))
		abort();
	w = tly_config_where(cfg, "datadir");
	if (strncmp(w, "fuzz.conf:", 10) != 0)
		abort();
	tly_config_free(cfg);
	tly_config_table_free(keys, &c);
	return 0;
}
