/* The commands of the tlsscope binary, and what they share. */
#ifndef TLSSCOPE_COMMANDS_H
#define TLSSCOPE_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "args.h"

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

/* Prints "tlsscope: msg" on stderr, escaped (control characters and escape sequences shown as
 * \x1b, never raw); returns EXIT_USAGE. Every error line goes through here. */
int cli_usage_error(const char *msg);

/* "tlsscope: cannot write to WHAT: strerror(errnum)"; returns EXIT_USAGE. */
int cli_write_error(const char *what, int errnum);

/* A command's output on stdout: rendered into f (memory), then written with write(2) in one go,
 * so that a failed write (a full disk; a reader that went away, EPIPE since SIGPIPE is ignored)
 * is seen with its reason instead of vanishing in stdio's buffer. */
struct cli_out {
	FILE *f;
	char *buf;
	size_t len;
};
void cli_out_open(struct cli_out *o);
/* Writes what was rendered and releases it: 0, or EXIT_USAGE after one line on stderr. */
int cli_out_write(struct cli_out *o);

/* A write to the key log failed in r (or its resumption): EXIT_USAGE after one line on stderr
 * naming the file and the reason; else 0. */
int cli_keylog_check(const struct cli *cli, const struct tls_report *r);

/* Color only on a terminal, and never with NO_COLOR or TERM=dumb. */
bool cli_want_color(void);

/* The password for PKCS#12 files, encrypted keys and PKCS#11 PINs: from a file (its first
 * line) or an environment variable, never from the command line. *out is NULL when none was
 * given; free it with cli_free_password, which wipes it. */
int cli_read_password(const struct cli *cli, char **out, struct tls_error *err);
void cli_free_password(char *p);
/* The first line of file (--password-file, --proxy-password-file); free with
 * cli_free_password. */
int cli_read_password_file(const char *file, char **out, struct tls_error *err);

/* Asks on the terminal, without echo, for the password of path (inspect's ask_password).
 * NULL when there is no terminal or nothing was typed; the caller frees. */
char *cli_ask_password_tty(const char *path, void *arg);

/* The credentials of a command: the system store (connect, unless --no-system-trust), the
 * anchors (--ca for connect, --client-ca for listen), intermediates, CRLs and the identity
 * (its password from --password-file or --password-env). NULL with err set. */
/* The credentials spec of those options (strings borrowed from cli). */
struct tls_creds_spec cli_creds_spec(const struct cli *cli, bool system_trust,
				     const struct strlist *anchors);
struct tls_creds *cli_load_creds(const struct cli *cli, bool system_trust,
				 const struct strlist *anchors, struct tls_error *err);

/* The --allow-serial rules, parsed (an array of cli->allow_serial.n); NULL with err set. */
struct tls_serial_rule *cli_serial_rules(const struct cli *cli, struct tls_error *err);
void cli_serial_rules_free(const struct cli *cli, struct tls_serial_rule *rules);

/* The listener's configuration from the listen options; creds and serials are left to the
 * caller. */
void cli_server_config(const struct cli *cli, struct tls_server_config *cfg);

int run_pki(const struct cli *cli);
int run_inspect(const struct cli *cli);

/* explain 'MESSAGE': 0 when some profile prints it, 1 when none does. */
int run_explain(const struct cli *cli);
int run_demo(const struct cli *cli);

/* One warning line on stderr with the findings of this side's own chain (diagnose_own_chain). */
void cli_own_chain_warning(const struct tls_report *own, const char *what);

#endif
