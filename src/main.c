/* tlsscope: parses the command line, loads credentials, runs the engine, renders the report. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "sinks.h"
#include "tlsscope/creds.h"
#include "tlsscope/engine.h"

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

static int usage_error(const char *msg)
{
	fprintf(stderr, "tlsscope: %s\n", msg);
	return EXIT_USAGE;
}

static bool want_color(void)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

static struct tls_creds *load_creds(const struct cli *cli, struct tls_error *err)
{
	struct tls_creds *c = creds_new();

	if (!c) {
		tls_error_set(err, "cannot allocate TLS credentials");
		return NULL;
	}
	if (!cli->no_system_trust && creds_add_system_trust(c, err) < 0)
		goto fail;
	for (size_t i = 0; i < cli->ca_files.n; i++)
		if (creds_add_ca_file(c, cli->ca_files.v[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < cli->intermediates.n; i++)
		if (creds_add_intermediates(c, cli->intermediates.v[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < cli->crls.n; i++)
		if (creds_add_crl_file(c, cli->crls.v[i], err) < 0)
			goto fail;
	if (cli->cert && creds_set_identity(c, cli->cert, cli->key, err) < 0)
		goto fail;
	return c;
fail:
	creds_free(c);
	return NULL;
}

static int run_connect(const struct cli *cli)
{
	struct tls_error err = {{0}};
	struct tls_report report;
	struct tls_creds *creds = load_creds(cli, &err);

	if (!creds)
		return usage_error(err.msg);
	struct tls_client_config cfg = {
		.host = cli->target.host,
		.port = cli->target.port,
		.sni = cli->sni,
		.no_sni = cli->no_sni,
		.verify_name = cli->verify_name,
		.alpn = cli->alpn,
		.priority = cli->priority,
		.tls_max = cli->tls_max,
		.timeout_s = cli->timeout_s,
		.http = cli->http,
		.http_path = cli->http_path,
		.strict = cli->strict,
		.force_client_cert = cli->force_client_cert,
		.no_probe = cli->no_probe,
		.creds = creds,
	};
	report_init(&report, TLS_MODE_CONNECT);
	if (client_run(&cfg, NULL, &report, &err) < 0) {
		report_free(&report);
		creds_free(creds);
		return usage_error(err.msg);
	}
	if (cli->json) {
		char *s = report_json_dump(&report, false);
		puts(s);
		free(s);
	} else {
		report_text_print(stdout, &report, want_color());
	}
	fflush(stdout);
	int rc = report.verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	report_free(&report);
	creds_free(creds);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct tls_error err = {{0}};
	int rc;

	/* A peer that leaves early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (args_parse(argc, argv, &cli, &err) < 0) {
		args_free(&cli);
		return usage_error(err.msg);
	}
	switch (cli.command) {
	case CMD_HELP:
		args_usage(stdout);
		rc = EXIT_OK;
		break;
	case CMD_VERSION:
		printf("tlsscope %s (GnuTLS %s)\n", TLSSCOPE_VERSION, gnutls_check_version(NULL));
		rc = EXIT_OK;
		break;
	case CMD_CONNECT:
		rc = run_connect(&cli);
		break;
	case CMD_HOME:
		args_usage(stderr);
		rc = EXIT_USAGE;
		break;
	default: {
		char msg[128];
		snprintf(msg, sizeof(msg), "'%s' is not available in this version yet",
			 args_command_name(cli.command));
		rc = usage_error(msg);
		break;
	}
	}
	args_free(&cli);
	return rc;
}
