/* tlsscope: parses the command line, loads credentials, runs the engine, renders the report. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "tlsscope/diagnose.h"
#include "sinks.h"
#include "tlsscope/creds.h"
#include "tlsscope/engine.h"
#include "tlsscope/revocation.h"
#include "tlsscope/server.h"
#include "ui/ui.h"

static int run_connect(const struct cli *cli)
{
	struct tls_error err = {{0}};
	struct tls_report report;
	struct tls_creds *creds = cli_load_creds(cli, !cli->no_system_trust, &cli->ca_files, &err);

	if (!creds)
		return cli_usage_error(err.msg);
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
		.resume = cli->resume,
		.ocsp = cli->ocsp,
		.fetch_intermediates = cli->fetch_intermediates,
		.keylog_path = cli->keylog,
		.starttls = cli->starttls,
		.creds = creds,
	};
	report_init(&report, TLS_MODE_CONNECT);
	if (client_run(&cfg, NULL, &report, &err) < 0) {
		report_free(&report);
		creds_free(creds);
		return cli_usage_error(err.msg);
	}
	struct cli_out out;
	cli_out_open(&out);
	if (cli->json) {
		char *s = report_json_dump(&report, false);
		fprintf(out.f, "%s\n", s);
		free(s);
	} else {
		report_text_print(out.f, &report, cli_want_color());
	}
	int rc = report.verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	if (cli_out_write(&out) || cli_keylog_check(cli, &report))
		rc = EXIT_USAGE;
	if (cli->save_chain && revocation_save_chain(&report, creds, cli->save_chain, &err) < 0)
		rc = cli_usage_error(err.msg);
	report_free(&report);
	creds_free(creds);
	return rc;
}

/* ---- listen ---- */

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	(void)!write(signal_pipe[1], &b, 1);
}

struct listen_run {
	const struct cli *cli;
	struct loop *loop;
	bool color;
	unsigned reported, failed;
	bool output_lost; /* stdout or the key log failed: the listener stops, exit 2 */
};

static void on_listen_report(void *arg, const struct tls_report *r)
{
	struct listen_run *lr = arg;
	struct cli_out out;

	if (lr->output_lost)
		return;
	lr->reported++;
	if (!r->verdict_ok)
		lr->failed++;
	cli_out_open(&out);
	if (lr->cli->json) {
		char *s = report_json_dump(r, true);
		fprintf(out.f, "%s\n", s);
		free(s);
	} else {
		report_text_line(out.f, r, lr->color);
	}
	if (cli_out_write(&out) || cli_keylog_check(lr->cli, r)) {
		lr->output_lost = true;
		loop_stop(lr->loop);
	}
	if (lr->cli->count && lr->reported >= lr->cli->count)
		loop_stop(lr->loop);
}

/* stdout is a pipe or a socket whose reader went away (poll reports POLLERR or POLLHUP even
 * when asked for no event): stop now rather than at the next report. */
static void on_stdout_gone(void *arg, int fd, short revents)
{
	struct listen_run *lr = arg;

	if (!(revents & (POLLERR | POLLHUP)))
		return;
	loop_unwatch(lr->loop, fd);
	if (!lr->output_lost)
		cli_write_error("standard output", EPIPE);
	lr->output_lost = true;
	loop_stop(lr->loop);
}

static void watch_stdout(struct listen_run *lr)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		loop_watch(lr->loop, STDOUT_FILENO, 0, on_stdout_gone, lr);
}

static void on_signal_pipe(void *arg, int fd, short revents)
{
	unsigned char b;
	(void)revents;
	(void)!read(fd, &b, 1);
	loop_stop(arg);
}

static int run_listen(const struct cli *cli)
{
	struct tls_error err = {{0}};
	struct tls_serial_rule *rules = NULL;
	struct tls_creds *creds = NULL;
	struct tls_server *srv = NULL;
	struct loop *loop = NULL;
	struct tls_server_config cfg;
	struct tls_report own = {0};
	int rc = EXIT_USAGE;

	rules = cli_serial_rules(cli, &err);
	if (!rules)
		goto out;
	creds = cli_load_creds(cli, false, &cli->client_ca, &err);
	if (!creds)
		goto out;
	cli_server_config(cli, &cfg);
	cfg.creds = creds;
	cfg.serials = rules;
	cfg.n_serials = cli->allow_serial.n;
	diagnose_own_chain(creds, SUBJ_SERVER_CHAIN, &own);
	cli_own_chain_warning(&own, "this listener's certificate");
	cfg.own_chain = &own;
	loop = loop_new();
	struct listen_run lr = {.cli = cli, .loop = loop, .color = cli_want_color()};
	srv = server_start(loop, &cfg, NULL, on_listen_report, &lr, &err);
	if (!srv)
		goto out;
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		struct sigaction sa = {.sa_handler = on_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		loop_watch(loop, signal_pipe[0], POLLIN, on_signal_pipe, loop);
	}
	static const char *const modes[] = {"none", "request", "require"};
	fprintf(stderr, "tlsscope: listening on %s%s%s port %u (client certificates: %s)\n",
		cli->listen_addr && strchr(cli->listen_addr, ':') ? "[" : "",
		cli->listen_addr ? cli->listen_addr : "every address",
		cli->listen_addr && strchr(cli->listen_addr, ':') ? "]" : "", server_port(srv),
		modes[cli->client_cert]);
	watch_stdout(&lr);
	loop_run(loop);
	/* Output lost: its one line is out, and a summary would be a second. */
	if (lr.output_lost)
		goto out;
	struct cli_out sum;
	cli_out_open(&sum);
	fprintf(cli->json ? stderr : sum.f, "tlsscope: %u connection%s, %u ok, %u failed\n",
		lr.reported, lr.reported == 1 ? "" : "s", lr.reported - lr.failed, lr.failed);
	if (cli_out_write(&sum) == 0)
		rc = lr.failed ? EXIT_FINDINGS : EXIT_OK;
out:
	if (rc == EXIT_USAGE && err.msg[0])
		cli_usage_error(err.msg);
	server_free(srv);
	loop_free(loop);
	creds_free(creds);
	report_free(&own);
	cli_serial_rules_free(cli, rules);
	return rc;
}

/* ---- the TUI ---- */

/* What the TUI starts with, from the command line: the TUI never sees struct cli. */
static int tui_start_from_cli(const struct cli *cli, enum ui_first first, struct ui_start *st,
			      struct tls_error *err)
{
	*st = (struct ui_start){.first = first};
	st->client = client_config_defaults();
	st->client.host = cli->target.host;
	if (cli->target.port)
		st->client.port = cli->target.port;
	st->client.sni = cli->sni;
	st->client.no_sni = cli->no_sni;
	st->client.verify_name = cli->verify_name;
	st->client.alpn = cli->alpn;
	st->client.priority = cli->priority;
	st->client.tls_max = cli->tls_max;
	st->client.timeout_s = cli->timeout_s;
	st->client.http = cli->http;
	st->client.http_path = cli->http_path;
	st->client.strict = cli->strict;
	st->client.force_client_cert = cli->force_client_cert;
	st->client.no_probe = cli->no_probe;
	st->client.resume = cli->resume;
	st->client.ocsp = cli->ocsp;
	st->client.fetch_intermediates = cli->fetch_intermediates;
	st->client.starttls = cli->starttls;
	st->client.keylog_path = cli->keylog;
	st->creds = (struct tls_creds_spec){
		.system_trust = !cli->no_system_trust,
		.anchors = (const char *const *)cli->ca_files.v,
		.n_anchors = cli->ca_files.n,
		.intermediates = (const char *const *)cli->intermediates.v,
		.n_intermediates = cli->intermediates.n,
		.crls = (const char *const *)cli->crls.v,
		.n_crls = cli->crls.n,
		.cert = cli->p12 ? cli->p12 : cli->cert,
		.key = cli->p12 ? NULL : cli->key,
	};
	cli_server_config(cli, &st->server);
	st->client_ca = (const char *const *)cli->client_ca.v;
	st->n_client_ca = cli->client_ca.n;
	st->files = (const char *const *)cli->files.v;
	st->n_files = cli->files.n;
	st->purpose = !cli->purpose			    ? PURPOSE_NONE
		      : strcmp(cli->purpose, "client") == 0 ? PURPOSE_CLIENT
							    : PURPOSE_SERVER;
	st->ask_password = cli_ask_password_tty;
	st->scenario = cli->scenario;
	if (cli_read_password(cli, &st->password, err) < 0)
		return -1;
	if (first == UI_LISTEN) {
		st->rules = cli_serial_rules(cli, err);
		if (!st->rules) {
			cli_free_password(st->password);
			return -1;
		}
		st->n_rules = cli->allow_serial.n;
	}
	return 0;
}

static int run_tui(const struct cli *cli, enum ui_first first)
{
	struct tls_error err = {{0}};
	struct ui_start st;

	if (tui_start_from_cli(cli, first, &st, &err) < 0)
		return cli_usage_error(err.msg);
	int rc = ui_run(&st, &err);
	return rc < 0 ? cli_usage_error(err.msg) : rc;
}

/* ---- commands ---- */

static int run_help(const struct cli *cli)
{
	struct cli_out out;

	(void)cli;
	cli_out_open(&out);
	args_usage(out.f);
	return cli_out_write(&out) ? EXIT_USAGE : EXIT_OK;
}

static int run_version(const struct cli *cli)
{
	struct cli_out out;

	(void)cli;
	cli_out_open(&out);
	fprintf(out.f, "tlsscope %s (GnuTLS %s)\n", TLSSCOPE_VERSION, gnutls_check_version(NULL));
	return cli_out_write(&out) ? EXIT_USAGE : EXIT_OK;
}

/* The home screen off a terminal: the usage, and a usage error. */
static int run_home(const struct cli *cli)
{
	(void)cli;
	args_usage(stderr);
	return EXIT_USAGE;
}

/* Each command's batch run and, for those the TUI shows, its first screen. The names and the
 * operand parsers are args.c's rows of the same commands. */
static const struct command_run {
	int (*run)(const struct cli *cli);
	bool tui;
	enum ui_first first;
} command_runs[] = {
	[CMD_HOME] = {run_home, true, UI_HOME},
	[CMD_CONNECT] = {run_connect, true, UI_CONNECT},
	[CMD_LISTEN] = {run_listen, true, UI_LISTEN},
	[CMD_INSPECT] = {run_inspect, true, UI_INSPECT},
	[CMD_PKI] = {run_pki, false, UI_HOME},
	[CMD_DEMO] = {run_demo, true, UI_DEMO},
	[CMD_EXPLAIN] = {run_explain, false, UI_HOME},
	[CMD_HELP] = {run_help, false, UI_HOME},
	[CMD_VERSION] = {run_version, false, UI_HOME},
};

int main(int argc, char **argv)
{
	struct cli cli;
	struct tls_error err = {{0}};
	int rc;

	/* A peer that leaves early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (args_parse(argc, argv, &cli, &err) < 0) {
		args_free(&cli);
		return cli_usage_error(err.msg);
	}
	const struct command_run *c = &command_runs[cli.command];
	if (c->tui && !cli.json && !cli.batch && ui_wanted()) {
		rc = run_tui(&cli, c->first);
		args_free(&cli);
		return rc;
	}
	rc = c->run(&cli);
	args_free(&cli);
	/* Whatever went through stdio after all (nothing should): its failure is a failure too. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc != EXIT_USAGE)
		rc = cli_write_error("standard output", errno ? errno : EIO);
	return rc;
}
