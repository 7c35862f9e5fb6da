/* The option table: args.c parses with it, args_usage.c prints --help from it. */
#ifndef TLSSCOPE_ARGS_TABLE_H
#define TLSSCOPE_ARGS_TABLE_H

#include <stddef.h>

#include "args.h"

/* Where an option's value goes: a bool set to true, a string kept, a string added to a list,
 * or a function that checks and stores it. */
enum opt_kind { K_FLAG, K_STR, K_LIST, K_FN };

/* The sections of --help, in their order. */
enum opt_section {
	S_TRUST,
	S_OFFER,
	S_AFTER,
	S_LISTEN,
	S_INSPECT,
	S_PKI,
	S_DEMO,
	S_OUTPUT,
	S_HIDDEN, /* --help and --version: in the usage lines */
};

typedef int (*opt_parse_fn)(struct cli *cli, const char *arg, struct tls_error *err);

/* One option. An option given to a command it does not apply to is a usage error, not
 * silently ignored. help's lines are separated by \n. */
struct opt_def {
	const char *name;
	int has_arg;
	unsigned on;
	enum opt_kind kind;
	size_t offset; /* in struct cli, for K_FLAG, K_STR and K_LIST */
	opt_parse_fn parse;
	enum opt_section section;
	const char *arg; /* the value's name in --help */
	const char *help;
};

/* Every option, in the order of --help (args.c). */
extern const struct opt_def args_opts[];
extern const size_t args_n_opts;

#endif
