/*
 * cmd_gen.c: tally gen: generate an election definition and the count
 * record of every polling area at every level, from a seed.
 *
 *	tally gen [--seed N] [--size commune|province|national[-2021]]
 *	    [--target CONSTITUENCY=STATUS ...] [--json] --out DIR
 *
 * Writes DIR/election.json (docs/ELECTION.md) and DIR/records/<area>.json,
 * one JSON array per polling area holding its records for every level,
 * ready for `tally record`.  Before writing anything it checks its own
 * work: the definition parses, every record passes the checks of
 * PROTOCOL.md 5.1 without a warning, and the records decide every
 * constituency as planned (gen_verify).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/gen.h"
#include "common/err.h"
#include "common/json.h"
#include "common/limits.h"
#include "crypto/crypto.h"
#include "election/election.h"

#define GEN_TARGETS_MAX	64			/* --target options */

static const char *const size_names[] = { "commune", "province", "national",
    "national-2021" };
#define GEN_NSIZES	(sizeof(size_names) / sizeof(size_names[0]))

/* Append the election definition of m to w (ELECTION.md). */
static void
write_definition(const struct gen_model *m, struct tly_jw *w)
{
	const struct gen_const	*c;
	const struct gen_area	*a;
	size_t			 i, d;
	unsigned		 l, k;

	tly_jw_obj_open(w);
	tly_jw_key(w, "format");
	tly_jw_str(w, "tally-election/1");
	tly_jw_key(w, "id");
	tly_jw_str(w, m->id);
	tly_jw_key(w, "name");
	tly_jw_str(w, "Bầu cử đại biểu Quốc hội khóa XV và đại biểu Hội "
	    "đồng nhân dân các cấp nhiệm kỳ 2021-2026");
	tly_jw_key(w, "date");
	tly_jw_str(w, "2021-05-23");
	tly_jw_key(w, "rules");
	tly_jw_str(w, "law-2015");
	tly_jw_key(w, "levels");
	tly_jw_arr_open(w);
	for (l = 0; l < m->nlevels; l++) {
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, m->level[l].id);
		tly_jw_key(w, "name");
		tly_jw_str(w, m->level[l].name);
		tly_jw_key(w, "kind");
		tly_jw_str(w, m->level[l].na ? "na" : "council");
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "constituencies");
	tly_jw_arr_open(w);
	for (i = 0; i < m->nconst; i++) {
		c = &m->cons[i];
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, c->id);
		tly_jw_key(w, "level");
		tly_jw_str(w, m->level[c->level].id);
		tly_jw_key(w, "name");
		tly_jw_str(w, c->name);
		tly_jw_key(w, "seats");
		tly_jw_uint(w, c->seats);
		tly_jw_key(w, "candidates");
		tly_jw_arr_open(w);
		for (k = 0; k < c->ncand; k++) {
			tly_jw_obj_open(w);
			tly_jw_key(w, "id");
			tly_jw_str(w, c->cand[k].id);
			tly_jw_key(w, "name");
			tly_jw_str(w, c->cand[k].name);
			tly_jw_key(w, "born");
			tly_jw_str(w, c->cand[k].born);
			tly_jw_obj_close(w);
		}
		tly_jw_arr_close(w);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_key(w, "areas");
	tly_jw_arr_open(w);
	for (i = 0; i < m->nareas; i++) {
		char name[64];

		a = &m->areas[i];
		d = m->comm[a->commune].parent;
		snprintf(name, sizeof(name), "Khu vực bỏ phiếu số %u",
		    a->number);
		tly_jw_obj_open(w);
		tly_jw_key(w, "id");
		tly_jw_str(w, a->id);
		tly_jw_key(w, "name");
		tly_jw_str(w, name);
		tly_jw_key(w, "path");
		tly_jw_arr_open(w);
		tly_jw_str(w, m->prov[m->dist[d].parent].name);
		tly_jw_str(w, m->dist[d].name);
		tly_jw_str(w, m->comm[a->commune].name);
		tly_jw_arr_close(w);
		tly_jw_key(w, "constituencies");
		tly_jw_obj_open(w);
		for (l = 0; l < m->nlevels; l++) {
			tly_jw_key(w, m->level[l].id);
			tly_jw_str(w, m->cons[a->cons[l]].id);
		}
		tly_jw_obj_close(w);
		tly_jw_key(w, "registered");
		tly_jw_obj_open(w);
		for (l = 0; l < m->nlevels; l++) {
			tly_jw_key(w, m->level[l].id);
			tly_jw_uint(w, a->registered);
		}
		tly_jw_obj_close(w);
		tly_jw_obj_close(w);
	}
	tly_jw_arr_close(w);
	tly_jw_obj_close(w);
}

/* Write p[0..len) to path (generated data: no fsync). */
static int
write_file(const char *path, const void *p, size_t len)
{
	FILE	*fp;
	int	 ok;

	if ((fp = fopen(path, "w")) == NULL) {
		cli_err("gen: %s: %s", path, strerror(errno));
		return TLY_E_IO;
	}
	ok = fwrite(p, 1, len, fp) == len;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok) {
		cli_err("gen: %s: write failed", path);
		return TLY_E_IO;
	}
	return TLY_OK;
}

/* Make directory path unless it exists. */
static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		cli_err("gen: %s: %s", path, strerror(errno));
		return TLY_E_IO;
	}
	return TLY_OK;
}

/* Does directory path hold any entry?  1, 0 (or absent), -1 on error. */
static int
dir_in_use(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	int		 used = 0;

	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		cli_err("gen: %s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			used = 1;
			break;
		}
	closedir(d);
	return used;
}

/*
 * Remove what an earlier tally gen wrote into dir: election.json and the
 * *.json files of dir/records, so no record of a larger earlier election
 * stays behind.  Other files are left alone.
 */
static int
clear_previous(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[TLY_FILE_PATH_MAX + 300];
	size_t		 n;
	int		 r = TLY_OK;

	snprintf(path, sizeof(path), "%s/election.json", dir);
	if (unlink(path) != 0 && errno != ENOENT) {
		cli_err("gen: %s: %s", path, strerror(errno));
		return TLY_E_IO;
	}
	snprintf(path, sizeof(path), "%s/records", dir);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? TLY_OK : TLY_E_IO;
	while ((de = readdir(d)) != NULL && r == TLY_OK) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/records/%s", dir, de->d_name);
		if (unlink(path) != 0 && errno != ENOENT) {
			cli_err("gen: %s: %s", path, strerror(errno));
			r = TLY_E_IO;
		}
	}
	closedir(d);
	return r;
}

/*
 * Generate, check and write every area's records into dir/records.
 * *nrec gets the number of records written.
 */
static int
write_records(struct gen_model *m, const struct tly_election *e,
    const char *dir, size_t *nrec)
{
	struct tly_buf		 b = TLY_BUF_INIT(TLY_LOCAL_BODY_MAX);
	struct tly_record	 rec[GEN_LEVELS];
	struct tly_check_ctx	 ctx;
	struct tly_problems	 probs;
	struct tly_jw		 w;
	char			 path[TLY_FILE_PATH_MAX + 64], why[600];
	size_t			 a;
	unsigned		 l;
	int			 r = TLY_OK;

	*nrec = 0;
	for (l = 0; l < GEN_LEVELS; l++)
		tly_record_init(&rec[l]);
	for (a = 0; a < m->nareas && r == TLY_OK; a++) {
		/* All levels first: W4 compares them. */
		tly_check_ctx_init(&ctx, 0);
		for (l = 0; l < m->nlevels; l++) {
			tly_record_finish(&rec[l]);
			tly_errclear();
			if ((r = gen_record(m, a, l, &rec[l])) != TLY_OK ||
			    (r = tly_check_ctx_add(&ctx, &rec[l])) != TLY_OK) {
				cli_err("gen: %s", cli_esc(tly_errdetail(),
				    why, sizeof(why)));
				goto out;
			}
		}
		tly_buf_reset(&b);
		tly_jw_init(&w, &b);
		tly_jw_arr_open(&w);
		for (l = 0; l < m->nlevels; l++) {
			memset(&probs, 0, sizeof(probs));
			tly_errclear();
			if ((r = tly_record_check_ctx(e, &rec[l], l, &ctx,
			    &probs)) != TLY_OK || probs.n > 0) {
				cli_err("gen: %s level %s: %s", m->areas[a].id,
				    m->level[l].id, cli_esc(probs.n > 0 ?
				    probs.p[0].message : tly_errdetail(), why,
				    sizeof(why)));
				r = TLY_E_RECORD;
				goto out;
			}
			tly_record_to_json(&rec[l], &w);
			(*nrec)++;
		}
		tly_jw_arr_close(&w);
		if ((r = tly_jw_finish(&w)) != TLY_OK ||
		    (r = tly_buf_addstr(&b, "\n")) != TLY_OK) {
			cli_err("gen: %s: records too large", m->areas[a].id);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/records/%s.json", dir,
		    m->areas[a].id);
		r = write_file(path, b.p, b.len);
	}
 out:
	for (l = 0; l < GEN_LEVELS; l++)
		tly_record_finish(&rec[l]);
	tly_buf_free(&b);
	return r;
}

/* Print the summary of what was written, as text or JSON. */
static int
summary(const struct gen_model *m, const char *dir, const char *hash,
    size_t nrec, int json)
{
	struct tly_buf	 b = TLY_BUF_INIT(1024 * 1024);
	struct tly_jw	 w;
	uint64_t	 seats[GEN_LEVELS] = { 0 }, cand[GEN_LEVELS] = { 0 };
	size_t		 ncons[GEN_LEVELS] = { 0 }, i;
	unsigned	 l;
	int		 ret;

	for (i = 0; i < m->nconst; i++) {
		ncons[m->cons[i].level]++;
		seats[m->cons[i].level] += m->cons[i].seats;
		cand[m->cons[i].level] += m->cons[i].ncand;
	}
	if (!json) {
		printf("election %s (law-2015), %s size, seed %" PRIu64 "\n",
		    m->id, size_names[m->size], m->seed);
		printf("  definition %s/election.json\n  hash %s\n", dir,
		    hash);
		printf("  %zu polling areas, %zu count records in %s/records/ "
		    "(one file per area)\n", m->nareas, nrec, dir);
		for (l = 0; l < m->nlevels; l++)
			printf("  %-9s %6zu constituencies %6" PRIu64 " seats "
			    "%6" PRIu64 " candidates\n", m->level[l].id,
			    ncons[l], seats[l], cand[l]);
		for (i = 0; i < m->nconst; i++)
			if (m->cons[i].targeted)
				printf("  target %s %s\n", m->cons[i].id,
				    gen_plan_name(m->cons[i].plan));
		return CLI_EXIT_OK;
	}
	tly_jw_init(&w, &b);
	tly_jw_obj_open(&w);
	tly_jw_key(&w, "election");
	tly_jw_str(&w, m->id);
	tly_jw_key(&w, "hash");
	tly_jw_str(&w, hash);
	tly_jw_key(&w, "size");
	tly_jw_str(&w, size_names[m->size]);
	tly_jw_key(&w, "seed");
	tly_jw_uint(&w, m->seed);
	tly_jw_key(&w, "rules");
	tly_jw_str(&w, "law-2015");
	tly_jw_key(&w, "areas");
	tly_jw_uint(&w, m->nareas);
	tly_jw_key(&w, "records");
	tly_jw_uint(&w, nrec);
	tly_jw_key(&w, "levels");
	tly_jw_arr_open(&w);
	for (l = 0; l < m->nlevels; l++) {
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "level");
		tly_jw_str(&w, m->level[l].id);
		tly_jw_key(&w, "kind");
		tly_jw_str(&w, m->level[l].na ? "na" : "council");
		tly_jw_key(&w, "constituencies");
		tly_jw_uint(&w, ncons[l]);
		tly_jw_key(&w, "seats");
		tly_jw_uint(&w, seats[l]);
		tly_jw_key(&w, "candidates");
		tly_jw_uint(&w, cand[l]);
		tly_jw_obj_close(&w);
	}
	tly_jw_arr_close(&w);
	tly_jw_key(&w, "targets");
	tly_jw_arr_open(&w);
	for (i = 0; i < m->nconst; i++) {
		if (!m->cons[i].targeted)
			continue;
		tly_jw_obj_open(&w);
		tly_jw_key(&w, "constituency");
		tly_jw_str(&w, m->cons[i].id);
		tly_jw_key(&w, "status");
		tly_jw_str(&w, gen_plan_name(m->cons[i].plan));
		tly_jw_obj_close(&w);
	}
	tly_jw_arr_close(&w);
	tly_jw_obj_close(&w);
	if (tly_jw_finish(&w) != TLY_OK) {
		cli_err("gen: summary too large");
		ret = CLI_EXIT_FAIL;
	} else
		ret = cli_print_buf(&b);
	tly_buf_free(&b);
	return ret;
}

int
cmd_gen(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "seed",	required_argument,	NULL, 's' },
		{ "size",	required_argument,	NULL, 'z' },
		{ "out",	required_argument,	NULL, 'o' },
		{ "target",	required_argument,	NULL, 't' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct gen_target		 tg[GEN_TARGETS_MAX];
	struct gen_model		*m = NULL;
	struct tly_election		*e = NULL;
	struct tly_buf			 def = TLY_BUF_INIT(TLY_ELECTION_FILE_MAX);
	struct tly_jw			 w;
	const char			*dir = NULL;
	char				*eq, *end, path[TLY_FILE_PATH_MAX + 64];
	char				 hex[TLY_HEX_HASH], why[600];
	uint8_t				 hash[TLY_HASH_LEN];
	unsigned long long		 seed = 1;
	size_t				 nt = 0, nrec = 0, i;
	int				 c, json = 0, size = GEN_COMMUNE;
	int				 ret = CLI_EXIT_FAIL, force = 0, used;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno != 0 || *optarg < '0' || *optarg > '9' ||
			    *end != '\0')
				return cli_usage_error("gen", "--seed: '%s' is "
				    "not a number", optarg);
			break;
		case 'z':
			for (size = 0; size < (int)GEN_NSIZES; size++)
				if (strcmp(optarg, size_names[size]) == 0)
					break;
			if (size == (int)GEN_NSIZES)
				return cli_usage_error("gen", "--size: '%s': "
				    "commune, province, national or "
				    "national-2021", optarg);
			break;
		case 'o':
			dir = optarg;
			break;
		case 't':
			if (nt == GEN_TARGETS_MAX)
				return cli_usage_error("gen", "at most %d "
				    "--target", GEN_TARGETS_MAX);
			if ((eq = strchr(optarg, '=')) == NULL ||
			    eq == optarg ||
			    (tg[nt].plan = gen_plan_parse(eq + 1)) < 0)
				return cli_usage_error("gen", "--target: '%s': "
				    "expected CONSTITUENCY=STATUS, STATUS one "
				    "of DETERMINED, NEEDS_ADDITIONAL_ELECTION, "
				    "NEEDS_REELECTION, MANUAL_TIEBREAK",
				    optarg);
			*eq = '\0';
			tg[nt++].cons = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			return cli_help("gen");
		default:
			return cli_bad_option("gen", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage_error("gen", "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		return cli_usage_error("gen", "--out DIR is required");
	if (strlen(dir) > TLY_FILE_PATH_MAX)
		return cli_usage_error("gen", "--out: path too long");
	for (i = 0; i < nt; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(tg[i].cons, tg[j].cons) == 0)
				return cli_usage_error("gen", "--target: "
				    "'%s' given twice", tg[i].cons);

	/* Never mix a new election with the records of an earlier one. */
	if ((used = dir_in_use(dir)) < 0)
		goto out;
	if (used && !force) {
		cli_err("gen: %s is not empty; use --force to replace what "
		    "tally gen wrote there", cli_esc(dir, why, sizeof(why)));
		goto out;
	}
	if (used && clear_previous(dir) != TLY_OK)
		goto out;
	tly_errclear();
	if (gen_model_build(size, seed, tg, nt, &m) != TLY_OK) {
		cli_err("gen: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	tly_jw_init(&w, &def);
	write_definition(m, &w);
	if (tly_jw_finish(&w) != TLY_OK || tly_buf_addstr(&def, "\n") !=
	    TLY_OK) {
		cli_err("gen: the definition is too large");
		goto out;
	}
	tly_errclear();
	if (tly_election_parse(def.p, def.len, &e) != TLY_OK) {
		cli_err("gen: the generated definition does not parse: %s",
		    cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	tly_hash(def.p, def.len, hash);
	tly_hex(hash, sizeof(hash), hex);
	snprintf(path, sizeof(path), "%s/records", dir);
	if (make_dir(dir) != TLY_OK || make_dir(path) != TLY_OK)
		goto out;
	if (write_records(m, e, dir, &nrec) != TLY_OK)
		goto out;
	tly_errclear();
	if (gen_verify(m) != TLY_OK) {
		cli_err("gen: %s", cli_esc(tly_errdetail(), why, sizeof(why)));
		goto out;
	}
	/* The definition last: its presence says the records are complete. */
	snprintf(path, sizeof(path), "%s/election.json", dir);
	if (write_file(path, def.p, def.len) != TLY_OK)
		goto out;
	ret = summary(m, dir, hex, nrec, json);
 out:
	tly_election_free(e);
	gen_model_free(m);
	tly_buf_free(&def);
	return ret;
}

/* tally gen (tally(1)). */
const struct tly_cmd_entry cmd_gen_entry = {
	.name = "gen",
	.exec = cmd_gen,
	.usage = "[--seed n] [--size commune|province|national|national-2021]\n"
	    "           [--target id=status]... [--json] [--force] --out dir",
	.options = "      --seed N            seed of the generator (default 1)\n"
	    "      --size SIZE         commune (default), province, national\n"
	    "                          (three levels) or national-2021 (four)\n"
	    "  -o, --out DIR           write DIR/election.json and DIR/records/\n"
	    "      --target C=STATUS   constituency C ends with STATUS: DETERMINED,\n"
	    "                          NEEDS_ADDITIONAL_ELECTION, NEEDS_REELECTION\n"
	    "                          or MANUAL_TIEBREAK (repeatable)\n"
	    "      --json              print the summary as JSON\n"
	    "      --force             replace an earlier output in DIR\n",
	.about = "Generate an election definition and the count record of every\n"
	    "polling area at every level; the same seed gives the same files.\n"
	    "DIR/records/AREA.json holds one area's records for 'tally record'.\n"
	    "A DIR that is not empty is refused unless --force, which first\n"
	    "removes DIR/election.json and DIR/records/*.json.\n",
	.summary = "generate an election and its count records",
};
