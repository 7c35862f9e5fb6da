/* tlsscope inspect and tlsscope pki: commands about files rather than connections. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "sinks.h"
#include "tlsscope/inspect.h"
#include "tlsscope/pki.h"

char *cli_ask_password_tty(const char *path, void *arg)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	char buf[1024];
	char *got;

	(void)arg;
	if (!tty)
		return NULL;
	fprintf(tty, "Password for %s: ", path);
	fflush(tty);
	bool restore = tcgetattr(fileno(tty), &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	got = fgets(buf, sizeof(buf), tty);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!got)
		return NULL;
	buf[strcspn(buf, "\r\n")] = 0;
	char *p = xstrdup(buf);
	gnutls_memset(buf, 0, sizeof(buf));
	return p;
}

/* Renders into out (the caller writes it). */
static int print_inspection(const struct cli *cli, const struct inspect_result *r, const char *mode,
			    const char *dir, FILE *out)
{
	inspect_render(out, cli->json ? SINK_JSON : SINK_TEXT, r, mode, dir, cli->legacy,
		       cli_want_color());
	return r->report.verdict_ok ? EXIT_OK : EXIT_FINDINGS;
}

int run_inspect(const struct cli *cli)
{
	struct tls_error err = {{0}};
	struct inspect_result res = {0};
	struct tls_creds *trust = NULL;
	char *password = NULL;
	int rc = EXIT_USAGE;

	if (cli_read_password(cli, &password, &err) < 0)
		goto out;
	if (cli->ca_files.n) {
		trust = creds_new();
		for (size_t i = 0; i < cli->ca_files.n; i++)
			if (creds_add_ca_file(trust, cli->ca_files.v[i], &err) < 0)
				goto out;
	}
	struct inspect_options o = {
		.password = password,
		.ask_password = !password && isatty(STDIN_FILENO) ? cli_ask_password_tty : NULL,
		.purpose = !cli->purpose			 ? PURPOSE_NONE
			   : strcmp(cli->purpose, "client") == 0 ? PURPOSE_CLIENT
								 : PURPOSE_SERVER,
		.trust = trust,
		.verify_name = cli->verify_name,
	};
	if (inspect_run((const char *const *)cli->files.v, cli->files.n, &o, &res, &err) < 0)
		goto out;
	struct cli_out text;
	cli_out_open(&text);
	rc = print_inspection(cli, &res, "inspect", NULL, text.f);
	if (cli_out_write(&text))
		rc = EXIT_USAGE;
	err.msg[0] = 0; /* the one line, if any, is out */
out:
	if (rc == EXIT_USAGE && err.msg[0])
		cli_usage_error(err.msg);
	inspect_result_free(&res);
	creds_free(trust);
	cli_free_password(password);
	return rc;
}

struct pki_wait {
	struct loop *loop;
	int rc;
	struct tls_error err;
};

static void on_pki_done(void *arg, int rc, const struct tls_error *err)
{
	struct pki_wait *w = arg;

	w->rc = rc;
	w->err = *err;
	loop_stop(w->loop);
}

int run_pki(const struct cli *cli)
{
	struct tls_error err = {{0}};
	char *password = NULL;
	struct pki_wait w = {.rc = -1};
	int rc = EXIT_USAGE;

	if (cli_read_password(cli, &password, &err) < 0)
		return cli_usage_error(err.msg);
	struct pki_options o = {
		.dir = cli->dir,
		.legacy = cli->legacy,
		.ca_name = cli->ca_name,
		.server_names = (const char *const *)cli->server_names.v,
		.n_server_names = cli->server_names.n,
		.client_names = (const char *const *)cli->client_names.v,
		.n_client_names = cli->client_names.n,
		.password = password,
		.force = cli->force,
	};
	/* Key generation runs in a worker thread, as the TUI needs it to; here the loop simply
	 * waits for it. */
	w.loop = loop_new();
	if (pki_start(w.loop, &o, on_pki_done, &w) < 0) {
		tls_error_set(&err, "cannot start a thread for key generation");
	} else {
		loop_run(w.loop);
		err = w.err;
	}
	loop_free(w.loop);
	cli_free_password(password);
	if (w.rc < 0)
		return cli_usage_error(err.msg);

	/* What was made, inspected like any other files: for --legacy, the lesson. */
	static const char *const shown[] = {"ca/ca.crt", "server/server.crt", "client/client.crt"};
	char *paths[3];
	for (size_t i = 0; i < 3; i++)
		paths[i] = xasprintf("%s/%s", cli->dir, shown[i]);
	struct inspect_result res;
	struct inspect_options io = {.purpose = PURPOSE_NONE};
	if (inspect_run((const char *const *)paths, 3, &io, &res, &err) == 0) {
		struct cli_out text;
		cli_out_open(&text);
		if (!cli->json) {
			fprintf(text.f, "Wrote %zu files in %s (keys are readable by you only):\n",
				sizeof(pki_files) / sizeof(pki_files[0]), cli->dir);
			for (size_t i = 0; i < sizeof(pki_files) / sizeof(pki_files[0]); i++)
				fprintf(text.f, "  %s\n", pki_files[i]);
			if (cli->legacy)
				fprintf(text.f,
					"\nThese are the classic tutorial's certificates. GnuTLS "
					"may "
					"accept them, but OpenSSL-based peers (Python's ssl, curl, "
					"nginx) refuse them at their default security level; the "
					"findings below say why, and the default (without "
					"--legacy) "
					"makes certificates they accept.\n");
		}
		print_inspection(cli, &res, "pki", cli->dir, text.f);
		rc = cli_out_write(&text) ? EXIT_USAGE : EXIT_OK;
	} else {
		rc = cli_usage_error(err.msg);
	}
	inspect_result_free(&res);
	for (size_t i = 0; i < 3; i++)
		free(paths[i]);
	return rc;
}

int run_explain(const struct cli *cli)
{
	struct profile_match *m = NULL;
	size_t n = profiles_explain(cli->message, &m);
	struct cli_out text;
	int rc;

	cli_out_open(&text);
	explain_render(text.f, cli->json ? SINK_JSON : SINK_TEXT, m, n, cli_want_color());
	rc = n ? EXIT_OK : EXIT_FINDINGS;
	if (cli_out_write(&text))
		rc = EXIT_USAGE;
	profiles_matches_free(m, n);
	return rc;
}
