/* What the commands share: exit codes, the one-line error, output, color, passwords. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "commands.h"
#include "tlsscope/textsafe.h"

int cli_usage_error(const char *msg)
{
	/* Messages quote file names and arguments: escape sequences in them must not reach the
	 * terminal, and a line break must not make two lines of one. */
	char *safe = textsafe_escape(msg, strlen(msg));

	fprintf(stderr, "tlsscope: %s\n", safe);
	free(safe);
	return EXIT_USAGE;
}

int cli_write_error(const char *what, int errnum)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "cannot write to %s: %s", what, strerror(errnum));
	return cli_usage_error(msg);
}

void cli_out_open(struct cli_out *o)
{
	*o = (struct cli_out){0};
	o->f = open_memstream(&o->buf, &o->len);
	if (!o->f) {
		fputs("tlsscope: out of memory\n", stderr);
		abort();
	}
}

/* write(2) until all of p is out; 0, or the errno that stopped it. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A descriptor we inherited non-blocking: wait until it takes more. */
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return errno;
			continue;
		}
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cli_out_write(struct cli_out *o)
{
	int e = 0;

	if (fclose(o->f) != 0)
		e = errno ? errno : ENOMEM;
	o->f = NULL;
	/* Anything printed through stdio before goes first (nothing should be). */
	if (!e && (fflush(stdout) != 0 || ferror(stdout)))
		e = errno ? errno : EIO;
	if (!e)
		e = write_all(STDOUT_FILENO, o->buf, o->len);
	free(o->buf);
	o->buf = NULL;
	o->len = 0;
	return e ? cli_write_error("standard output", e) : 0;
}

int cli_keylog_check(const struct cli *cli, const struct tls_report *r)
{
	int e = r->keylog_errno;

	if (!e && r->resumption)
		e = r->resumption->keylog_errno;
	if (!e)
		return 0;
	char what[600];
	snprintf(what, sizeof(what), "the key log %s", cli->keylog ? cli->keylog : "");
	return cli_write_error(what, e);
}

bool cli_want_color(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

/* The password for PKCS#12 files, encrypted keys and PKCS#11 PINs: from a file (its first
 * line) or an environment variable, never from the command line. NULL when none was given. */
int cli_read_password(const struct cli *cli, char **out, struct tls_error *err)
{
	*out = NULL;
	if (cli->password_env) {
		const char *v = getenv(cli->password_env);
		if (!v) {
			tls_error_set(err,
				      "--password-env %s: that environment variable is not set",
				      cli->password_env);
			return -1;
		}
		*out = xstrdup(v);
	} else if (cli->password_file) {
		return cli_read_password_file(cli->password_file, out, err);
	}
	return 0;
}

int cli_read_password_file(const char *file, char **out, struct tls_error *err)
{
	unsigned char *data;
	size_t len;

	*out = NULL;
	if (util_read_file(file, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	/* The first line is the password: what follows it is wiped too, not left in memory
	 * behind the terminating NUL. */
	size_t n = strcspn((char *)data, "\r\n");
	gnutls_memset(data + n, 0, len - n);
	*out = (char *)data;
	return 0;
}

void cli_free_password(char *p)
{
	if (p) {
		gnutls_memset(p, 0, strlen(p));
		free(p);
	}
}

struct tls_creds_spec cli_creds_spec(const struct cli *cli, bool system_trust,
				     const struct strlist *anchors)
{
	return (struct tls_creds_spec){
		.system_trust = system_trust,
		.anchors = (const char *const *)anchors->v,
		.n_anchors = anchors->n,
		.intermediates = (const char *const *)cli->intermediates.v,
		.n_intermediates = cli->intermediates.n,
		.crls = (const char *const *)cli->crls.v,
		.n_crls = cli->crls.n,
		.cert = cli->p12 ? cli->p12 : cli->cert,
		.key = cli->p12 ? NULL : cli->key,
	};
}

struct tls_creds *cli_load_creds(const struct cli *cli, bool system_trust,
				 const struct strlist *anchors, struct tls_error *err)
{
	struct tls_creds_spec spec = cli_creds_spec(cli, system_trust, anchors);
	char *password = NULL;

	if (spec.cert && cli_read_password(cli, &password, err) < 0)
		return NULL;
	spec.password = password;
	struct tls_creds *c = creds_build(&spec, err);
	cli_free_password(password);
	return c;
}

struct tls_serial_rule *cli_serial_rules(const struct cli *cli, struct tls_error *err)
{
	struct tls_serial_rule *rules = xcalloc(cli->allow_serial.n + 1, sizeof(*rules));

	for (size_t i = 0; i < cli->allow_serial.n; i++) {
		if (serial_rule_parse(cli->allow_serial.v[i], &rules[i], err) < 0) {
			cli_serial_rules_free(cli, rules);
			return NULL;
		}
	}
	/* stderr, so that stdout keeps one JSON object per connection. */
	for (size_t i = 0; i < cli->allow_serial.n; i++)
		if (serial_rule_is_ambiguous(&rules[i]))
			fprintf(stderr,
				"tlsscope: warning: --allow-serial %s reads both as hex 0x%s and "
				"as "
				"decimal %s, and matches either; write 0x%s for hex only\n",
				rules[i].text, rules[i].hex, rules[i].dec, rules[i].hex);
	return rules;
}

void cli_serial_rules_free(const struct cli *cli, struct tls_serial_rule *rules)
{
	for (size_t i = 0; rules && i < cli->allow_serial.n; i++)
		serial_rule_free(&rules[i]);
	free(rules);
}

void cli_server_config(const struct cli *cli, struct tls_server_config *cfg)
{
	*cfg = server_config_defaults();
	cfg->addr = cli->listen_addr;
	cfg->port = cli->listen_port;
	cfg->client_cert = cli->client_cert;
	cfg->respond = cli->respond;
	cfg->priority = cli->priority;
	cfg->alpn = cli->alpn;
	cfg->handshake_timeout_s = cli->handshake_timeout_s;
	cfg->max_conns = cli->max_conns;
	cfg->history = cli->history;
	cfg->strict = cli->strict;
	cfg->keylog_path = cli->keylog;
}

void cli_own_chain_warning(const struct tls_report *own, const char *what)
{
	if (!own->n_findings)
		return;
	fprintf(stderr, "tlsscope: warning: %s has %zu finding%s:", what, own->n_findings,
		own->n_findings == 1 ? "" : "s");
	for (size_t i = 0; i < own->n_findings; i++) {
		const char *det = own->findings[i].detail;
		char *d = textsafe_escape(det, strlen(det));
		fprintf(stderr, "%s %s (%s)", i ? ";" : "", own->findings[i].id, d);
		free(d);
	}
	fputc('\n', stderr);
}
