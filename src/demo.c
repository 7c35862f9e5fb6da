/* tlsscope demo: a PKI made in a private temporary directory, the listener and the client in
 * one process over loopback, and both sides' reports of the same handshake. Each scenario
 * reproduces a classic failure. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "sinks.h"
#include "tlsscope/engine.h"
#include "tlsscope/pki.h"
#include "tlsscope/server.h"

enum client_id { ID_NONE, ID_OURS, ID_OTHER_CA };

static const struct scenario {
	const char *name;
	const char *story; /* what it shows, in a line */
	bool legacy;
	enum client_id identity;
	bool server_expired;
	const char *server_name; /* the only name in the server certificate, or NULL */
	const char *allow_serial;
	const char *server_priority;
	int client_tls_max;
} scenarios[] = {
	{"ok", "two-way TLS that works: the server requires a client certificate and gets one",
	 .identity = ID_OURS},
	{"no-client-cert",
	 "the server requires a client certificate and the client has none (nginx says \"400 No "
	 "required SSL certificate was sent\"; TLS 1.3 servers send alert 116 after the "
	 "handshake)",
	 .identity = ID_NONE},
	{"wrong-ca",
	 "the client's certificate comes from a CA the server does not accept, so GnuTLS sends "
	 "none at all",
	 .identity = ID_OTHER_CA},
	{"expired", "the server's certificate has expired", .identity = ID_OURS,
	 .server_expired = true},
	{"hostname-mismatch",
	 "the server's certificate is for demo.example, but the client connects to 127.0.0.1",
	 .identity = ID_OURS, .server_name = "demo.example"},
	{"legacy-tutorial",
	 "the classic tutorial's PKI (RSA-1024, SHA-1, X.509 v1, the IP in the CN, no "
	 "subjectAltName), reached by IP",
	 .legacy = true, .identity = ID_OURS},
	{"serial-not-allowed",
	 "the server accepts only one client serial number, and this client's is another (hex "
	 "and decimal compared)",
	 .identity = ID_OURS, .allow_serial = "0x1234"},
	{"tls-version-mismatch", "the server speaks only TLS 1.3, the client at most TLS 1.2",
	 .identity = ID_OURS, .server_priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3",
	 .client_tls_max = 12},
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct demo {
	struct loop *loop;
	const struct tls_report *listener_report; /* the first connection's; the server owns it */
	bool client_done;
};

static void maybe_stop(struct demo *d)
{
	if (d->client_done && d->listener_report)
		loop_stop(d->loop);
}

static void on_client_done(void *arg)
{
	struct demo *d = arg;

	d->client_done = true;
	maybe_stop(d);
}

static void on_listener_report(void *arg, const struct tls_report *r)
{
	struct demo *d = arg;

	if (!d->listener_report)
		d->listener_report = r;
	maybe_stop(d);
}

static void on_deadline(void *arg)
{
	loop_stop(arg);
}

static int make_pki(const char *dir, const struct scenario *sc, bool other, struct tls_error *err)
{
	const char *server_names[1] = {sc->server_name ? sc->server_name : "127.0.0.1"};
	const char *legacy_names[1] = {"127.0.0.1"};
	const char *client_names[1] = {sc->legacy ? "127.0.0.2" : "demo client"};
	long long now = (long long)time(NULL);
	struct pki_options o = {
		.dir = dir,
		.legacy = sc->legacy,
		.server_names = sc->legacy ? legacy_names : server_names,
		.n_server_names = 1,
		.client_names = client_names,
		.n_client_names = 1,
		.ca_name = other ? "another CA" : "tlsscope demo CA",
		.server_not_before = sc->server_expired ? now - 400 * 86400LL : 0,
		.server_not_after = sc->server_expired ? now - 35 * 86400LL : 0,
	};
	return pki_generate(&o, err);
}

static char *file_in(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

int run_demo(const struct cli *cli)
{
	const struct scenario *sc = NULL;
	struct tls_error err = {{0}};
	const char *tmp = getenv("TMPDIR");
	char *dir_template = xasprintf("%s/tlsscope-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *other = NULL, *f[8] = {0};
	struct tls_creds *server_creds = NULL, *client_creds = NULL;
	struct tls_server *srv = NULL;
	struct tls_client *client = NULL;
	struct tls_report report;
	struct tls_serial_rule rule = {0};
	struct demo d = {0};
	bool made_dir = false;
	int rc = EXIT_USAGE;

	report_init(&report, TLS_MODE_CONNECT);
	const char *want = cli->scenario ? cli->scenario : "ok";
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].name, want) == 0)
			sc = &scenarios[i];
	if (!sc) {
		char names[512] = "";
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", scenarios[i].name);
		tls_error_set(&err, "no demo scenario '%s'; there are: %s", want, names);
		goto out;
	}
	char *dir = mkdtemp(dir_template); /* 0700: the keys stay ours */
	made_dir = dir != NULL;
	if (!dir) {
		tls_error_set(&err, "cannot make a temporary directory in %s", tmp ? tmp : "/tmp");
		goto out;
	}
	if (make_pki(dir, sc, false, &err) < 0)
		goto out;
	static const char *const rel[] = {"ca/ca.crt", "server/server.crt", "server/server.key",
					  "client/client.crt", "client/client.key"};
	for (size_t i = 0; i < 5; i++)
		f[i] = file_in(dir, rel[i]);
	if (sc->identity == ID_OTHER_CA) {
		other = file_in(dir, "other");
		if (make_pki(other, sc, true, &err) < 0)
			goto out;
		f[5] = file_in(other, "client/client.crt");
		f[6] = file_in(other, "client/client.key");
	}

	/* The listener: requires a client certificate from the demo CA. */
	server_creds = creds_new();
	if (creds_add_ca_file(server_creds, f[0], &err) < 0 ||
	    creds_set_identity(server_creds, f[1], f[2], NULL, &err) < 0)
		goto out;
	if (sc->allow_serial && serial_rule_parse(sc->allow_serial, &rule, &err) < 0)
		goto out;
	struct tls_server_config scfg = {
		.addr = "127.0.0.1",
		.creds = server_creds,
		.client_cert = CLIENT_CERT_REQUIRE,
		.serials = sc->allow_serial ? &rule : NULL,
		.n_serials = sc->allow_serial ? 1 : 0,
		.respond = RESPOND_HTTP,
		.priority = sc->server_priority,
		.handshake_timeout_s = 10,
		.strict = sc->allow_serial != NULL,
	};
	d.loop = loop_new();
	srv = server_start(d.loop, &scfg, NULL, on_listener_report, &d, &err);
	if (!srv)
		goto out;

	/* The client: trusts only the demo CA, and holds the scenario's identity. */
	client_creds = creds_new();
	if (creds_add_ca_file(client_creds, f[0], &err) < 0)
		goto out;
	if (sc->identity != ID_NONE &&
	    creds_set_identity(client_creds, sc->identity == ID_OURS ? f[3] : f[5],
			       sc->identity == ID_OURS ? f[4] : f[6], NULL, &err) < 0)
		goto out;
	struct tls_client_config ccfg = {
		.host = "127.0.0.1",
		.port = server_port(srv),
		.tls_max = sc->client_tls_max,
		.timeout_s = 10,
		.http = HTTP_AUTO,
		.creds = client_creds,
	};
	client = client_start(d.loop, &ccfg, NULL, &report, on_client_done, &d, &err);
	if (!client)
		goto out;
	loop_timer_add(d.loop, util_now_ms() + 20000, on_deadline, d.loop);
	loop_run(d.loop);

	if (cli->json) {
		char *s = report_json_dump(&report, true);
		puts(s);
		free(s);
		if (d.listener_report) {
			s = report_json_dump(d.listener_report, true);
			puts(s);
			free(s);
		}
	} else {
		bool color = cli_want_color();
		printf("tlsscope demo, scenario %s: %s.\n", sc->name, sc->story);
		printf("\n==================== the client's view ====================\n");
		report_text_print(stdout, &report, color);
		printf("\n=================== the listener's view ===================\n");
		if (d.listener_report)
			report_text_print(stdout, d.listener_report, color);
		else
			printf("(the listener saw no connection)\n");
		printf("\nOther scenarios: tlsscope demo --scenario NAME (see tlsscope --help).\n");
	}
	fflush(stdout);
	rc = report.verdict_ok && d.listener_report && d.listener_report->verdict_ok
		     ? EXIT_OK
		     : EXIT_FINDINGS;
out:
	if (rc == EXIT_USAGE)
		cli_usage_error(err.msg);
	client_free(client);
	server_free(srv);
	loop_free(d.loop);
	creds_free(client_creds);
	creds_free(server_creds);
	serial_rule_free(&rule);
	report_free(&report);
	if (made_dir)
		nftw(dir_template, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < 8; i++)
		free(f[i]);
	free(other);
	free(dir_template);
	return rc;
}
