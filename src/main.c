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

/* ---- output: the sink a command chooses once, writing to stdout ---- */

/* Each report goes out in one write(2) (cli_out), so that a failed write is seen with its
 * reason; a key log that failed is an output failure too. TLSSCOPE_RECORD=FILE puts a recorder
 * in front of the sink (the golden tests' recordings, tests/golden/record.py). */
struct stdout_sink {
	const struct cli *cli;
	struct loop *loop; /* stopped when the output is gone (listen), or NULL */
	struct cli_out out;
	struct report_sink rs;
	struct record_sink rec;
	FILE *rec_file;
	bool failed;
};

static FILE *stdout_begin(void *arg)
{
	struct stdout_sink *o = arg;

	cli_out_open(&o->out);
	return o->out.f;
}

static int stdout_end(void *arg, const struct tls_report *r)
{
	struct stdout_sink *o = arg;

	if (cli_out_write(&o->out) || cli_keylog_check(o->cli, r)) {
		o->failed = true;
		if (o->loop)
			loop_stop(o->loop);
		return -1;
	}
	return 0;
}

/* The sink to give the engine: the report sink, behind the recorder when one is asked for.
 * NULL after an error line when the recording cannot be written. */
static const struct tls_sink *stdout_sink_open(struct stdout_sink *o, const struct cli *cli,
					       enum sink_format format)
{
	const char *rec = getenv("TLSSCOPE_RECORD");

	o->cli = cli;
	report_sink_init(&o->rs, format, cli_want_color(),
			 &(struct sink_output){.begin = stdout_begin, .end = stdout_end, .arg = o});
	if (!rec || !*rec)
		return &o->rs.sink;
	o->rec_file = fopen(rec, "w");
	if (!o->rec_file) {
		cli_write_error(rec, errno);
		return NULL;
	}
	record_sink_init(&o->rec, o->rec_file, &o->rs.sink);
	return &o->rec.sink;
}

/* 0, or EXIT_USAGE after an error line when the recording could not be written. */
static int stdout_sink_close(struct stdout_sink *o)
{
	const char *rec = getenv("TLSSCOPE_RECORD");

	if (o->rec_file && (ferror(o->rec_file) | fclose(o->rec_file)))
		return cli_write_error(rec, errno ? errno : EIO);
	return 0;
}

static int run_connect(const struct cli *cli)
{
	struct tls_error err = {{0}};
	struct tls_report report;
	struct tls_creds *creds = cli_load_creds(cli, !cli->no_system_trust, &cli->ca_files, &err);

	if (!creds)
		return cli_usage_error(err.msg);
	char *proxy_password = NULL;
	if (cli->proxy_password_file &&
	    cli_read_password_file(cli->proxy_password_file, &proxy_password, &err) < 0) {
		creds_free(creds);
		return cli_usage_error(err.msg);
	}
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
		.proxy = cli->proxy,
		.proxy_password = proxy_password,
		.creds = creds,
	};
	struct stdout_sink out = {0};
	const struct tls_sink *sink =
		stdout_sink_open(&out, cli, cli->json ? SINK_JSON : SINK_TEXT);
	if (!sink) {
		cli_free_password(proxy_password);
		creds_free(creds);
		return EXIT_USAGE;
	}
	report_init(&report, TLS_MODE_CONNECT);
	int started = client_run(&cfg, sink, &report, &err);
	cli_free_password(proxy_password);
	if (started < 0) {
		stdout_sink_close(&out);
		report_free(&report);
		creds_free(creds);
		return cli_usage_error(err.msg);
	}
	int rc = report.verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	if (out.failed || stdout_sink_close(&out))
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
	unsigned reported, failed;
	struct stdout_sink out; /* out.failed: stdout or the key log failed: stop, exit 2 */
};

/* After the sink wrote the connection's line (or its JSON Lines object). */
static void on_listen_report(void *arg, const struct tls_report *r)
{
	struct listen_run *lr = arg;

	if (lr->out.failed)
		return;
	lr->reported++;
	if (!r->verdict_ok)
		lr->failed++;
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
	if (!lr->out.failed)
		cli_write_error("standard output", EPIPE);
	lr->out.failed = true;
	lr->out.rs.stopped = true;
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
	struct listen_run lr = {.cli = cli};
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
	lr.loop = lr.out.loop = loop;
	const struct tls_sink *sink =
		stdout_sink_open(&lr.out, cli, cli->json ? SINK_JSONL : SINK_TEXT_LINE);
	if (!sink)
		goto out;
	srv = server_start(loop, &cfg, sink, on_listen_report, &lr, &err);
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
	if (lr.out.failed)
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
	if (stdout_sink_close(&lr.out))
		rc = EXIT_USAGE;
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
	st->client.proxy = cli->proxy;
	st->proxy_password_file = cli->proxy_password_file;
	st->client.keylog_path = cli->keylog;
	st->creds = cli_creds_spec(cli, !cli->no_system_trust, &cli->ca_files);
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
