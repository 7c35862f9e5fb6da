/* tlsscope --help, made from the option table (args.c) and the engine's demo scenarios. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "args_table.h"
#include "tlsscope/demo.h"

static const struct {
	const char *title;
	const char *note; /* a line after the section's options, or NULL */
} sections[] = {
	[S_TRUST] = {"Trust and identity:", NULL},
	[S_OFFER] = {"What to offer:", NULL},
	[S_AFTER] = {"After the handshake:", NULL},
	[S_LISTEN] = {"Listen (a bare PORT listens on every address, IPv4 and IPv6):", NULL},
	[S_INSPECT] = {"Inspect:",
		       "(--ca and --verify-name check trust and a name; passwords as above)"},
	[S_PKI] = {"PKI:", "(client.p12 takes its password from --password-file/--password-env)"},
	[S_DEMO] = {"Demo:", NULL},
	[S_OUTPUT] = {"Output and limits:", NULL},
};

/* ---- --help, made from the tables ---- */

#define HELP_COLUMN 25 /* where an option's help starts */

/* Prints text's lines (separated by \n) from column col on; the first line continues a line
 * already at column col, the others are indented. */
static void help_lines(FILE *out, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "%.*s\n", (int)n, p);
		p += n;
		if (*p == '\n' && *++p)
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
}

/* --scenario's help: the engine's scenario names, wrapped. */
static void help_scenarios(FILE *out)
{
	size_t col = HELP_COLUMN;

	for (size_t i = 0; i < demo_count(); i++) {
		const char *name = demo_name(i);
		size_t len = strlen(name) + (i + 1 < demo_count() ? 1 : 0);
		if (i && col + 1 + len > 82) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		} else if (i) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%s%s", name, i + 1 < demo_count() ? "," : "");
		col += len;
	}
	fputc('\n', out);
}

static void help_option(FILE *out, const struct opt_def *d)
{
	char left[64];

	if (!d->arg)
		snprintf(left, sizeof(left), "--%s", d->name);
	else if (d->has_arg == optional_argument)
		snprintf(left, sizeof(left), "--%s[=%s]", d->name, d->arg);
	else
		snprintf(left, sizeof(left), "--%s %s", d->name, d->arg);
	if (strlen(left) <= HELP_COLUMN - 4)
		fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
	else
		fprintf(out, "  %s  ", left);
	if (d->help)
		help_lines(out, d->help);
	else
		help_scenarios(out);
}

void args_usage(FILE *out)
{
	fputs("Usage:\n"
	      "  tlsscope connect HOST[:PORT] [options]   one TLS connection, fully traced\n"
	      "  tlsscope HOST[:PORT] [options]           the same\n"
	      "  tlsscope listen [ADDR:]PORT --cert F --key F [options]\n"
	      "                                           a TLS server that traces each client\n"
	      "  tlsscope inspect FILE... [options]       what certificate, key, PKCS#12, CSR and\n"
	      "                                           CRL files hold; chains and key matches\n"
	      "  tlsscope pki DIR [options]               make a CA, a server and a client\n"
	      "  tlsscope demo [--scenario NAME]          two-way TLS over loopback, both sides\n"
	      "  tlsscope explain 'MESSAGE'               who prints this error message, what it\n"
	      "                                           means and the fix (exit 1: unknown)\n"
	      "  tlsscope --help | --version\n"
	      "\n"
	      "HOST is a name, an IPv4 address or [IPv6]; PORT defaults to 443.\n"
	      "\n",
	      out);
	for (enum opt_section s = S_TRUST; s < S_HIDDEN; s++) {
		fprintf(out, "%s\n", sections[s].title);
		for (size_t i = 0; i < args_n_opts; i++)
			if (args_opts[i].section == s)
				help_option(out, &args_opts[i]);
		if (sections[s].note)
			fprintf(out, "  %s\n", sections[s].note);
	}
	fputs("\n"
	      "Exit status: 0 no error finding, 1 the handshake failed or an error finding,\n"
	      "2 bad usage, unreadable input, or output that cannot be written (stdout, the\n"
	      "key log). Each option applies only to the commands it is listed for.\n"
	      "NO_COLOR disables color.\n",
	      out);
}
