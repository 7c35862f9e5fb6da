/* The home screen (tlsscope with no arguments), the first screen of each command, and the
 * forms that start listen, inspect and PKI from the TUI. */
#include <stdio.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "list.h"
#include "screens.h"
#include "tlsscope/pki.h"
#include "tlsscope/proxy.h"
#include "tlsscope/target.h"
#include "ui.h"
#include "views.h"

/* ---- starting a connection from home ---- */

static void connect_now(struct ui *ui, void *arg)
{
	struct ui_screen *c = conn_new_client(ui);
	(void)arg;
	ui_push(ui, c);
	conn_start(ui, c);
}

/* ---- listen ---- */

static const char *const cert_modes[] = {"none", "request", "require", NULL};
static const char *const respond_modes[] = {"http", "echo", "none", NULL};

static int listen_apply(struct ui *ui, struct form *fm)
{
	struct tls_error err = {{0}};
	struct strlist cas = {0}, serials = {0};
	struct tls_serial_rule *rules = NULL;
	size_t n_rules = 0;
	int port = target_parse_port(fm->f[0].value);
	struct tls_creds *creds = NULL;

	if (port < 0 && strcmp(fm->f[0].value, "0") != 0) {
		ui_message(ui, true, "Listen",
			   "The port is a number from 1 to 65535 (0: any free one).");
		return -1;
	}
	if (!field_value(&fm->f[2])) {
		ui_message(ui, true, "Listen",
			   "A server needs an identity: give its certificate and key (F2 picks "
			   "them; Generate a PKI on the home screen makes a set).");
		return -1;
	}
	field_paths(&fm->f[5], &cas);
	/* Serials: separated by commas or spaces. */
	char *list = xstrdup(fm->f[7].value), *save = NULL;
	for (char *p = list, *tok; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL)
		strlist_add(&serials, tok);
	free(list);
	rules = xcalloc(serials.n + 1, sizeof(*rules));
	for (; n_rules < serials.n; n_rules++)
		if (serial_rule_parse(serials.v[n_rules], &rules[n_rules], &err) < 0)
			goto fail;
	creds = creds_build(&(struct tls_creds_spec){.anchors = (const char *const *)cas.v,
						     .n_anchors = cas.n,
						     .cert = fm->f[2].value,
						     .key = field_value(&fm->f[3]),
						     .password = field_value(&fm->f[4])},
			    &err);
	if (!creds)
		goto fail;
	struct tls_server_config cfg = server_config_defaults();
	cfg.addr = field_value(&fm->f[1]);
	cfg.port = port < 0 ? 0 : (unsigned)port;
	cfg.client_cert = (enum tls_client_cert_mode)fm->f[6].choice;
	cfg.respond = (enum tls_respond)fm->f[8].choice;
	char *desc = xasprintf("identity: %s   client CAs: %zu file%s", fm->f[2].value, cas.n,
			       cas.n == 1 ? "" : "s");
	struct ui_screen *s = listen_new(ui, &cfg, creds, rules, n_rules, desc, &err);
	creds = NULL;
	rules = NULL;
	n_rules = 0;
	free(desc);
	if (!s)
		goto fail;
	strlist_free(&cas);
	strlist_free(&serials);
	ui_push(ui, s);
	return 0;
fail:
	for (size_t i = 0; i < n_rules; i++)
		serial_rule_free(&rules[i]);
	free(rules);
	creds_free(creds);
	strlist_free(&cas);
	strlist_free(&serials);
	ui_message(ui, true, "Cannot listen", "%s", err.msg);
	return -1;
}

void form_listen(struct ui *ui)
{
	struct form *fm = form_new("Listen for clients");

	form_text(fm, F_TEXT, "Port", "the TCP port (0: any free one)", "4433");
	form_text(fm, F_TEXT, "Address",
		  "empty: every address, IPv4 and IPv6; 127.0.0.1: this machine only", "");
	form_text(fm, F_FILE, "Certificate",
		  "the server's certificate, a PKCS#12 file or a pkcs11: URI", "");
	form_text(fm, F_FILE, "Key", "the server's key (empty for PKCS#12)", "");
	form_text(fm, F_SECRET, "Password / PIN", "for PKCS#12 or an encrypted key", "");
	form_text(fm, F_FILES, "Client CA",
		  "the CA that signs client certificates (sent as acceptable)", "");
	form_choice(fm, "Client certs", "ask clients for a certificate, or require one", cert_modes,
		    0);
	form_text(fm, F_TEXT, "Allow serials",
		  "only these client serials (hex or decimal), comma-separated", "");
	form_choice(fm, "Respond", "after the handshake: an HTTP page, echo, or nothing",
		    respond_modes, 0);
	fm->apply = listen_apply;
	ui_push(ui, &fm->base);
}

/* ---- inspect ---- */

static int inspect_apply(struct ui *ui, struct form *fm)
{
	struct tls_error err = {{0}};
	struct strlist files = {0};
	struct inspect_result *res = xcalloc(1, sizeof(*res));

	if (!field_paths(&fm->f[0], &files)) {
		free(res);
		ui_message(ui, true, "Inspect", "Pick a file (F2).");
		return -1;
	}
	struct inspect_options o = {.password = field_value(&fm->f[1])};
	if (inspect_run((const char *const *)files.v, files.n, &o, res, &err) < 0) {
		inspect_result_free(res);
		free(res);
		strlist_free(&files);
		ui_message(ui, true, "Cannot inspect", "%s", err.msg);
		return -1;
	}
	strlist_free(&files);
	ui_push(ui, conn_new_inspect(res, "files"));
	return 0;
}

static void inspect_picked(struct ui *ui, void *arg, const char *path)
{
	struct form *fm = arg;
	field_set(&fm->f[0], path);
	(void)ui;
}

void form_inspect(struct ui *ui)
{
	struct form *fm = form_new("Inspect files");

	form_text(fm, F_FILES, "Files",
		  "certificates, chains, keys, PKCS#12, CSRs, CRLs; several separated by ;", "");
	form_text(fm, F_SECRET, "Password", "for PKCS#12 files and encrypted keys", "");
	fm->apply = inspect_apply;
	ui_push(ui, &fm->base);
	picker_open(ui, "a file to inspect", NULL, inspect_picked, fm);
}

/* ---- pki ---- */

struct pki_job {
	struct pki_options o;
	char *dir, *password;
	struct strlist server, client;
	struct ui *ui;
};

static void pki_job_free(struct pki_job *j)
{
	free(j->dir);
	if (j->password)
		gnutls_memset(j->password, 0, strlen(j->password));
	free(j->password);
	strlist_free(&j->server);
	strlist_free(&j->client);
	free(j);
}

static void on_pki_done(void *arg, int rc, const struct tls_error *err)
{
	struct pki_job *j = arg;

	if (rc < 0)
		ui_message(j->ui, true, "Cannot make the PKI", "%s", err->msg);
	else
		ui_message(
			j->ui, false, "PKI written",
			"In %s: ca/ca.crt and ca/ca.key (the CA), server/server.crt and .key, "
			"client/client.crt, .key and .p12, certDER/ (DER copies). Keys are 0600.%s "
			"Next: listen with the server's files and client CA ca/ca.crt, then "
			"connect with the client's.",
			j->dir,
			j->o.legacy ? " These are the tutorial's legacy certificates: "
				      "connect to see every finding they give."
				    : "");
	ui_redraw(j->ui);
	pki_job_free(j);
}

static int pki_apply(struct ui *ui, struct form *fm)
{
	struct pki_job *j = xcalloc(1, sizeof(*j));
	struct field tmp = {0};

	if (!field_value(&fm->f[0])) {
		free(j);
		ui_message(ui, true, "PKI", "Say which directory to write.");
		return -1;
	}
	j->ui = ui;
	j->dir = xstrdup(fm->f[0].value);
	j->password = field_value(&fm->f[4]) ? xstrdup(fm->f[4].value) : NULL;
	/* Names: separated by commas or spaces (the field_paths splitter wants ;). */
	tmp.value = xstrdup(fm->f[2].value);
	for (char *p = tmp.value; *p; p++)
		if (*p == ',' || *p == ' ')
			*p = ';';
	field_paths(&tmp, &j->server);
	free(tmp.value);
	if (field_value(&fm->f[3]))
		strlist_add(&j->client, fm->f[3].value);
	j->o = (struct pki_options){
		.dir = j->dir,
		.legacy = fm->f[1].on,
		.server_names = (const char *const *)j->server.v,
		.n_server_names = j->server.n,
		.client_names = (const char *const *)j->client.v,
		.n_client_names = j->client.n,
		.password = j->password,
		.force = fm->f[5].on,
	};
	if (pki_start(ui->loop, &j->o, on_pki_done, j) < 0) {
		pki_job_free(j);
		ui_message(ui, true, "PKI", "Cannot start the key generation.");
		return -1;
	}
	return 0;
}

void form_pki(struct ui *ui)
{
	struct form *fm = form_new("Generate a PKI: a CA, a server and a client");

	form_text(fm, F_TEXT, "Directory", "where ca/ server/ client/ certDER/ go", "tlsscope-pki");
	form_bool(fm, "Legacy recipe",
		  "the old tutorial's RSA-1024, SHA-1, v1 certificates: to see why they fail",
		  false);
	form_text(fm, F_TEXT, "Server names", "DNS names and IPs for the server, comma-separated",
		  "localhost, 127.0.0.1, ::1");
	form_text(fm, F_TEXT, "Client name", "the client certificate's CN", "tlsscope client");
	form_text(fm, F_SECRET, "P12 password", "for client/client.p12 (empty: none)", "");
	form_bool(fm, "Overwrite", "replace files that exist", false);
	fm->apply = pki_apply;
	ui_push(ui, &fm->base);
}

/* ---- home ---- */

static void open_connect(struct ui *ui)
{
	form_target(ui, connect_now, NULL);
}

static void open_demo(struct ui *ui)
{
	struct tls_error err = {{0}};
	struct ui_screen *s = conn_new_demo(ui, "ok", &err);
	if (s)
		ui_push(ui, s);
	else
		ui_message(ui, true, "The demo cannot start", "%s", err.msg);
}

static const struct home_item {
	const char *label;
	const char *hint;
	void (*open)(struct ui *ui);
} items[] = {
	{"Connect to a server", "see a server's handshake, chain and problems (c)", open_connect},
	{"Listen for clients", "a TLS server that shows each client's handshake (l)", form_listen},
	{"Inspect files", "certificates, keys, PKCS#12: what they hold and whether they fit",
	 form_inspect},
	{"Generate a PKI", "a CA, a server and a client certificate, modern or legacy", form_pki},
	{"Run the demo", "one-way and two-way TLS over loopback, nothing to set up", open_demo},
};

#define N_ITEMS (sizeof(items) / sizeof(items[0]))

struct home {
	struct ui_screen base;
	struct strlist recent;
	struct ui_list list;
};

static void home_draw(struct ui_screen *s, struct ui *ui)
{
	struct home *h = (struct home *)s;
	struct ui_lines L = {0};

	strlist_free(&h->recent);
	recent_list("target", &h->recent, 10);
	term_text(0, 0, ui->cols, ST_TITLE, "tlsscope " TLSSCOPE_VERSION);
	term_text(1, 0, ui->cols, ST_DIM,
		  "Shows a TLS handshake as it happens and explains every problem, with the fix.");
	term_rule(2, 0, ui->cols, "Start", true);
	for (size_t i = 0; i < N_ITEMS; i++) {
		struct ui_line *ln = lines_add(&L, (int)i);
		line_addf(ln, ST_TITLE, "  %-22s", items[i].label);
		line_addf(ln, ST_DIM, "%s", items[i].hint);
	}
	lines_blank(&L);
	lines_text_line(&L, ST_FRAME, -1, "Recent targets%s",
			h->recent.n ? " (Enter connects)" : ": none yet");
	for (size_t i = 0; i < h->recent.n; i++) {
		struct ui_line *ln = lines_add(&L, (int)(N_ITEMS + i));
		char *d = recent_describe(h->recent.v[i]);
		line_addf(ln, ST_NORMAL, "  ");
		line_add_safe(ln, ST_NORMAL, d);
		free(d);
	}
	lines_blank(&L);
	lines_wrap(&L, ST_DIM, -1, "",
		   "New here? Run the demo: it shows a working two-way TLS setup and the classic "
		   "failures (press n for the next one). Or, from a shell: tlsscope HOST:PORT "
		   "--ca ca.crt --cert client.crt --key client.key.",
		   false, ui->cols - 2);
	int n = (int)(N_ITEMS + h->recent.n);
	list_clamp(&h->list, n);
	list_draw(&h->list, 3, 0, ui->rows - 4, ui->cols, &L, h->list.sel, true);
	lines_free(&L);
}

static void home_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct home *h = (struct home *)s;
	int n = (int)(N_ITEMS + h->recent.n);
	(void)key;

	if (list_key(&h->list, act, n, ui->rows - 6))
		return;
	switch (act) {
	case ACT_TARGET:
		open_connect(ui);
		break;
	case ACT_LISTEN:
		form_listen(ui);
		break;
	case ACT_OPEN:
		if (h->list.sel < (int)N_ITEMS) {
			items[h->list.sel].open(ui);
		} else {
			if (recent_restore(h->recent.v[h->list.sel - N_ITEMS], &ui->setup) == 0)
				connect_now(ui, NULL);
		}
		break;
	default:
		break;
	}
}

static void home_free(struct ui_screen *s)
{
	struct home *h = (struct home *)s;
	strlist_free(&h->recent);
	free(h);
}

static const struct ui_screen_ops home_ops = {
	.ctx = CTX_HOME,
	.draw = home_draw,
	.key = home_key,
	.free = home_free,
};

struct ui_screen *home_new(struct ui *ui)
{
	struct home *h = xcalloc(1, sizeof(*h));
	(void)ui;
	h->base.ops = &home_ops;
	return &h->base;
}

/* ---- the first screen of each command ---- */

static struct ui_screen *first_home(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	(void)st;
	(void)err;
	return home_new(ui);
}

static struct ui_screen *first_connect(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	/* Unreadable files and wrong passwords are usage errors, as in batch mode. */
	struct tls_creds *c = setup_creds(&ui->setup, ui->setup.system_trust, true, err);
	struct tls_proxy_spec px;
	char *proxy_password = NULL;
	(void)st;

	if (!c)
		return NULL;
	creds_free(c);
	if ((ui->setup.proxy && proxy_parse(ui->setup.proxy, &px, err) < 0) ||
	    setup_proxy_password(&ui->setup, &proxy_password, err) < 0)
		return NULL;
	setup_free_secret(proxy_password);
	ui->connect_on_start = conn_new_client(ui);
	return ui->connect_on_start;
}

static struct ui_screen *first_listen(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	struct tls_creds_spec spec = st->creds;

	spec.system_trust = false;
	spec.anchors = st->client_ca;
	spec.n_anchors = st->n_client_ca;
	spec.password = ui->setup.password;
	struct tls_creds *creds = creds_build(&spec, err);
	if (!creds)
		return NULL;
	struct tls_server_config cfg = st->server;
	const char *id = spec.cert ? spec.cert : "none";
	char *desc = xasprintf("identity: %s   client CAs: %zu file%s%s",
			       strrchr(id, '/') ? strrchr(id, '/') + 1 : id, st->n_client_ca,
			       st->n_client_ca == 1 ? "" : "s",
			       st->n_rules ? "   serial allowlist on" : "");
	/* listen_new takes the rules over, also on failure. */
	struct ui_screen *s = listen_new(ui, &cfg, creds, st->rules, st->n_rules, desc, err);
	st->rules = NULL;
	st->n_rules = 0;
	free(desc);
	return s;
}

static struct ui_screen *first_inspect(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	struct inspect_result *res = xcalloc(1, sizeof(*res));
	struct tls_creds *trust = NULL;
	struct ui_screen *s = NULL;

	if (st->creds.n_anchors) {
		trust = creds_build(&(struct tls_creds_spec){.anchors = st->creds.anchors,
							     .n_anchors = st->creds.n_anchors},
				    err);
		if (!trust)
			goto out;
	}
	/* Before curses starts, a password is asked for on the terminal, as in batch mode. */
	struct inspect_options o = {
		.password = ui->setup.password,
		.ask_password = ui->setup.password ? NULL : st->ask_password,
		.purpose = st->purpose,
		.trust = trust,
		.verify_name = st->client.verify_name,
	};
	if (inspect_run(st->files, st->n_files, &o, res, err) == 0) {
		s = conn_new_inspect(res, st->n_files == 1 ? st->files[0] : "files");
		res = NULL;
	}
out:
	if (res) {
		inspect_result_free(res);
		free(res);
	}
	creds_free(trust);
	return s;
}

static struct ui_screen *first_demo(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	return conn_new_demo(ui, st->scenario, err);
}

/* The first screen of each command, by enum ui_first. */
static struct ui_screen *(*const first_screens[UI_N_FIRST])(struct ui *, struct ui_start *,
							    struct tls_error *) = {
	[UI_HOME] = first_home,	      [UI_CONNECT] = first_connect, [UI_LISTEN] = first_listen,
	[UI_INSPECT] = first_inspect, [UI_DEMO] = first_demo,
};

struct ui_screen *screens_first(struct ui *ui, struct ui_start *st, struct tls_error *err)
{
	return first_screens[st->first < UI_N_FIRST ? st->first : UI_HOME](ui, st, err);
}

void screens_started(struct ui *ui)
{
	if (ui->connect_on_start)
		conn_start(ui, ui->connect_on_start);
}
