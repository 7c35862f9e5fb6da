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
#include "demo.h"
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

struct demo_run {
	struct loop *loop;
	const struct scenario *sc;
	char *dir, *other;
	struct tls_creds *server_creds, *client_creds;
	struct tls_serial_rule rule;
	struct tls_server *srv;
	struct tls_client *client;
	struct tls_report report;
	const struct tls_report *listener_report; /* the first connection's; the server owns it */
	bool client_done, finished;
	int deadline;
	void (*done)(void *arg);
	void *done_arg;
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

size_t demo_count(void)
{
	return N_SCENARIOS;
}

const char *demo_name(size_t i)
{
	return i < N_SCENARIOS ? scenarios[i].name : NULL;
}

const char *demo_story(size_t i)
{
	return i < N_SCENARIOS ? scenarios[i].story : NULL;
}

long demo_find(const char *name)
{
	for (size_t i = 0; i < N_SCENARIOS; i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void finish(struct demo_run *d)
{
	if (d->finished)
		return;
	d->finished = true;
	loop_timer_cancel(d->loop, d->deadline);
	d->deadline = 0;
	if (d->done)
		d->done(d->done_arg);
}

static void on_client_done(void *arg)
{
	struct demo_run *d = arg;

	d->client_done = true;
	if (d->listener_report)
		finish(d);
}

static void on_listener_report(void *arg, const struct tls_report *r)
{
	struct demo_run *d = arg;

	if (!d->listener_report)
		d->listener_report = r;
	if (d->client_done)
		finish(d);
}

static void on_deadline(void *arg)
{
	struct demo_run *d = arg;
	d->deadline = 0;
	finish(d);
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

/* The listener requires a client certificate from the demo CA; the client trusts only the
 * demo CA and holds the scenario's identity. */
static int start_sides(struct demo_run *d, const struct tls_sink *sink, struct tls_error *err)
{
	const struct scenario *sc = d->sc;
	char *f[7] = {0};
	static const char *const rel[] = {"ca/ca.crt", "server/server.crt", "server/server.key",
					  "client/client.crt", "client/client.key"};
	int rc = -1;

	for (size_t i = 0; i < 5; i++)
		f[i] = file_in(d->dir, rel[i]);
	if (sc->identity == ID_OTHER_CA) {
		d->other = file_in(d->dir, "other");
		if (make_pki(d->other, sc, true, err) < 0)
			goto out;
		f[5] = file_in(d->other, "client/client.crt");
		f[6] = file_in(d->other, "client/client.key");
	}
	d->server_creds = creds_new();
	if (!d->server_creds || creds_add_ca_file(d->server_creds, f[0], err) < 0 ||
	    creds_set_identity(d->server_creds, f[1], f[2], NULL, err) < 0)
		goto out;
	if (sc->allow_serial && serial_rule_parse(sc->allow_serial, &d->rule, err) < 0)
		goto out;
	struct tls_server_config scfg = {
		.addr = "127.0.0.1",
		.creds = d->server_creds,
		.client_cert = CLIENT_CERT_REQUIRE,
		.serials = sc->allow_serial ? &d->rule : NULL,
		.n_serials = sc->allow_serial ? 1 : 0,
		.respond = RESPOND_HTTP,
		.priority = sc->server_priority,
		.handshake_timeout_s = 10,
		.strict = sc->allow_serial != NULL,
	};
	d->srv = server_start(d->loop, &scfg, NULL, on_listener_report, d, err);
	if (!d->srv)
		goto out;
	d->client_creds = creds_new();
	if (!d->client_creds || creds_add_ca_file(d->client_creds, f[0], err) < 0)
		goto out;
	if (sc->identity != ID_NONE &&
	    creds_set_identity(d->client_creds, sc->identity == ID_OURS ? f[3] : f[5],
			       sc->identity == ID_OURS ? f[4] : f[6], NULL, err) < 0)
		goto out;
	struct tls_client_config ccfg = {
		.host = "127.0.0.1",
		.port = server_port(d->srv),
		.tls_max = sc->client_tls_max,
		.timeout_s = 10,
		.http = HTTP_AUTO,
		.creds = d->client_creds,
	};
	d->client = client_start(d->loop, &ccfg, sink, &d->report, on_client_done, d, err);
	rc = d->client ? 0 : -1;
out:
	for (size_t i = 0; i < 7; i++)
		free(f[i]);
	return rc;
}

struct demo_run *demo_start(struct loop *l, size_t scenario, const struct tls_sink *sink,
			    void (*done)(void *arg), void *arg, struct tls_error *err)
{
	const char *tmp = getenv("TMPDIR");
	struct demo_run *d = xcalloc(1, sizeof(*d));

	d->loop = l;
	d->sc = &scenarios[scenario < N_SCENARIOS ? scenario : 0];
	d->done = done;
	d->done_arg = arg;
	report_init(&d->report, TLS_MODE_CONNECT);
	d->dir = xasprintf("%s/tlsscope-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir)) { /* 0700: the keys stay ours */
		tls_error_set(err, "cannot make a temporary directory in %s", tmp ? tmp : "/tmp");
		free(d->dir);
		d->dir = NULL;
		goto fail;
	}
	if (make_pki(d->dir, d->sc, false, err) < 0 || start_sides(d, sink, err) < 0)
		goto fail;
	d->deadline = loop_timer_add(l, util_now_ms() + 20000, on_deadline, d);
	return d;
fail:
	d->done = NULL;
	demo_free(d);
	return NULL;
}

struct tls_report *demo_client_report(struct demo_run *d)
{
	return &d->report;
}

const struct tls_report *demo_listener_report(const struct demo_run *d)
{
	return d->listener_report;
}

const struct tls_creds *demo_client_trust(const struct demo_run *d)
{
	return d->client_creds;
}

bool demo_running(const struct demo_run *d)
{
	return !d->finished;
}

void demo_free(struct demo_run *d)
{
	if (!d)
		return;
	loop_timer_cancel(d->loop, d->deadline);
	client_free(d->client);
	server_free(d->srv);
	creds_free(d->client_creds);
	creds_free(d->server_creds);
	serial_rule_free(&d->rule);
	report_free(&d->report);
	if (d->dir)
		nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(d->dir);
	free(d->other);
	free(d);
}

static void on_batch_done(void *arg)
{
	loop_stop(arg);
}

/* What the output says around the two reports: the text has headings, JSON Lines only the
 * two objects. */
struct demo_frame {
	enum sink_format format;
	bool intro;
	const char *client, *listener, *nobody, *outro;
};

static const struct demo_frame demo_frames[] = {
	[SINK_TEXT] = {.format = SINK_TEXT,
		       .intro = true,
		       .client = "\n==================== the client's view ====================\n",
		       .listener =
			       "\n=================== the listener's view ===================\n",
		       .nobody = "(the listener saw no connection)\n",
		       .outro = "\nOther scenarios: tlsscope demo --scenario NAME (see tlsscope "
				"--help).\n"},
	[SINK_JSONL] =
		{.format = SINK_JSONL, .client = "", .listener = "", .nobody = "", .outro = ""},
};

int run_demo(const struct cli *cli)
{
	struct tls_error err = {{0}};
	const char *want = cli->scenario ? cli->scenario : "ok";
	long i = demo_find(want);

	if (i < 0) {
		char names[512] = "";
		for (size_t k = 0; k < N_SCENARIOS; k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 k ? ", " : "", scenarios[k].name);
		tls_error_set(&err, "no demo scenario '%s'; there are: %s", want, names);
		return cli_usage_error(err.msg);
	}
	struct loop *loop = loop_new();
	struct demo_run *d = demo_start(loop, (size_t)i, NULL, on_batch_done, loop, &err);
	if (!d) {
		loop_free(loop);
		return cli_usage_error(err.msg);
	}
	loop_run(loop);

	/* The client's report first, then the listener's, rendered once both are in (the
	 * listener's may come first). */
	const struct demo_frame *fr = &demo_frames[cli->json ? SINK_JSONL : SINK_TEXT];
	const struct tls_report *lr = d->listener_report;
	bool color = cli_want_color();
	struct cli_out out;
	cli_out_open(&out);
	if (fr->intro)
		fprintf(out.f, "tlsscope demo, scenario %s: %s.\n", d->sc->name, d->sc->story);
	fputs(fr->client, out.f);
	report_render(out.f, fr->format, &d->report, color, 0);
	fputs(fr->listener, out.f);
	if (lr)
		report_render(out.f, fr->format, lr, color, 0);
	else
		fputs(fr->nobody, out.f);
	fputs(fr->outro, out.f);
	int rc = d->report.verdict_ok && lr && lr->verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	if (cli_out_write(&out))
		rc = EXIT_USAGE;
	demo_free(d);
	loop_free(loop);
	return rc;
}
