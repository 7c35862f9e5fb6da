/* The connection view: header, timeline (with the negotiated summary beside it), chain and
 * findings, for a connection we make, a demo, a listener's connection or inspected files. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/demo.h"
#include "list.h"
#include "screens.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/names.h"
#include "views.h"

enum conn_kind { CONN_CLIENT, CONN_VIEW, CONN_DEMO, CONN_INSPECT };
enum { R_TIMELINE, R_CHAIN, R_FINDINGS, N_REGIONS };

struct conn {
	struct ui_screen base;
	enum conn_kind kind;
	struct ui *ui;
	const char *mode;
	char *title;
	/* CONN_CLIENT */
	struct tls_report report;
	struct tls_client *client;
	struct tls_creds *creds;
	bool running;
	double t0;
	bool whatif_system; /* the what-if form's "system trust" */
	/* CONN_VIEW */
	const struct tls_report *(*get)(void *arg);
	void *get_arg;
	void (*free_get_arg)(void *arg);
	/* CONN_DEMO */
	struct demo_run *demo;
	size_t scenario;
	bool listener_side;
	/* CONN_INSPECT */
	struct inspect_result *ins;

	int focus;
	struct ui_list list[N_REGIONS];
	bool moved; /* the user moved in the timeline: stop following its end */
};

static const struct tls_report *conn_report(struct conn *c)
{
	switch (c->kind) {
	case CONN_CLIENT:
		return &c->report;
	case CONN_VIEW:
		return c->get(c->get_arg);
	case CONN_DEMO:
		return c->listener_side ? demo_listener_report(c->demo)
					: demo_client_report(c->demo);
	case CONN_INSPECT:
		return &c->ins->report;
	}
	return NULL;
}

/* The report what-if may change: ours, or the demo client's. */
static struct tls_report *conn_report_mut(struct conn *c)
{
	if (c->kind == CONN_CLIENT)
		return &c->report;
	if (c->kind == CONN_DEMO && !c->listener_side)
		return demo_client_report(c->demo);
	return NULL;
}

static bool conn_running(struct conn *c)
{
	if (c->kind == CONN_CLIENT)
		return c->running;
	if (c->kind == CONN_DEMO)
		return demo_running(c->demo);
	return false;
}

static size_t region_count(struct conn *c, const struct tls_report *r, int region)
{
	if (!r)
		return 0;
	switch (region) {
	case R_TIMELINE:
		return c->kind == CONN_INSPECT ? c->ins->n_files : r->handshake.n_steps;
	case R_CHAIN:
		return r->n_chain;
	default:
		return r->n_findings;
	}
}

/* ---- drawing ---- */

struct layout {
	int tl_y, tl_h, tl_w, ch_y, ch_h, fi_y, fi_h, de_y, de_h;
};

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Rows: 2 header, a rule and the timeline, a rule and the chain, a rule, the findings and the
 * selected finding's detail, the key bar. The timeline is sure of a few rows, the chain then
 * gets what it needs (up to what fits), the timeline the rest it needs, and the detail what
 * is left. */
static void layout(int rows, int cols, int tl_need, int n_chain, int n_find, int de_need,
		   struct layout *o)
{
	int avail = rows - 6;

	o->fi_h = clamp(n_find, 1, rows >= 30 ? 6 : 4);
	o->de_h = clamp(de_need, 3, 5);
	int tl_min = clamp(tl_need, 3, 6);
	int room = avail - o->fi_h - o->de_h - tl_min;
	o->ch_h = clamp(n_chain, 1, room > 1 ? room : 1);
	o->tl_h = avail - o->ch_h - o->fi_h - o->de_h;
	int want = tl_need > 3 ? tl_need : 3;
	/* The negotiated values before the detail's last lines (it scrolls in its own view). */
	if (o->tl_h < want && o->de_h > 3) {
		int shift = want - o->tl_h < o->de_h - 3 ? want - o->tl_h : o->de_h - 3;
		o->de_h -= shift;
		o->tl_h += shift;
	}
	if (o->tl_h > want) {
		o->de_h += o->tl_h - want;
		o->tl_h = want;
	}
	if (o->tl_h < 1) {
		o->de_h += o->tl_h - 1;
		o->tl_h = 1;
	}
	o->tl_w = cols >= 80 ? cols - 31 : cols;
	o->tl_y = 3;
	o->ch_y = o->tl_y + o->tl_h + 1;
	o->fi_y = o->ch_y + o->ch_h + 1;
	o->de_y = o->fi_y + o->fi_h;
}

static void files_lines(struct ui_lines *L, const struct inspect_result *ins)
{
	for (size_t i = 0; i < ins->n_files; i++) {
		struct ui_line *ln = lines_add(L, (int)i);
		line_addf(ln, ST_INFO, "%-12s", ins->files[i].type);
		line_add_safe(ln, ST_TITLE, ins->files[i].path);
		line_addf(ln, ST_DIM, "  ");
		line_add_safe(ln, ST_DIM, ins->files[i].detail);
	}
	for (size_t i = 0; i < ins->n_keys; i++) {
		const struct inspect_key *k = &ins->keys[i];
		struct ui_line *ln = lines_add(L, -1);
		line_addf(ln, ST_NORMAL, "key %s %u-bit ", k->algorithm, k->bits);
		line_add_safe(ln, ST_DIM, k->path);
		if (k->matches_certificate >= 0)
			line_addf(ln, ST_OK, "  matches certificate %d", k->matches_certificate);
		else
			line_addf(ln, ST_ERROR, "  matches none of the certificates");
	}
	if (ins->report.n_chain)
		lines_text_line(L, ins->chain_complete ? ST_OK : ST_WARN, -1, "chain %s",
				ins->chain_complete ? "complete: leaf to a self-signed root"
						    : "not complete");
}

static char *conn_title(struct conn *c)
{
	if (c->kind == CONN_DEMO)
		return xasprintf("demo %s: %s", demo_name(c->scenario),
				 c->listener_side ? "the listener's view" : "the client's view");
	return c->title ? xstrdup(c->title) : NULL;
}

/* The summary column as wide as its longest line, within a third of the screen; what is
 * longer wraps there, and the timeline wraps at its own edge: nothing is cut. Returns the
 * timeline's width. */
static int timeline_width(const struct ui_lines *sum, int cols)
{
	int w = cols >= 80 ? cols - 31 : cols;

	if (!sum->n)
		return cols; /* nothing was negotiated (inspect): the files take the width */
	if (w >= cols)
		return w;
	int sw = 24;
	for (size_t i = 0; i < sum->n; i++) {
		char *t = lines_text(sum, i);
		if (text_width(t) + 3 > sw)
			sw = text_width(t) + 3;
		free(t);
	}
	if (sw > cols / 3 + 4)
		sw = cols / 3 + 4;
	return cols - sw;
}

static void draw_chain(struct conn *c, struct ui *ui, const struct tls_report *r,
		       struct ui_lines *ch, const struct layout *lo)
{
	char rule[64];

	snprintf(rule, sizeof(rule), "%s (%zu)",
		 c->kind == CONN_INSPECT      ? "Certificates"
		 : r->mode == TLS_MODE_LISTEN ? "Client certificate chain"
					      : "Certificate chain",
		 r->n_chain);
	term_rule(lo->ch_y - 1, 0, ui->cols, rule, c->focus == R_CHAIN);
	if (!ch->n)
		lines_text_line(ch, ST_DIM, -1, "%s",
				conn_running(c) ? "(no certificate yet)" : "(no certificate)");
	list_draw(&c->list[R_CHAIN], lo->ch_y, 0, lo->ch_h, ui->cols, ch, c->list[R_CHAIN].sel,
		  c->focus == R_CHAIN);
}

static void draw_findings(struct conn *c, struct ui *ui, const struct tls_report *r,
			  struct ui_lines *fi, const struct layout *lo)
{
	char rule[64];

	snprintf(rule, sizeof(rule), "Findings (%zu)", r->n_findings);
	term_rule(lo->fi_y - 1, 0, ui->cols, rule, c->focus == R_FINDINGS);
	if (!fi->n) {
		if (conn_running(c))
			lines_text_line(fi, ST_DIM, -1,
					"(the diagnosis comes when the connection ends)");
		else if (!r->verdict_ok) {
			struct ui_line *ln = lines_add(fi, -1);
			line_addf(ln, ST_ERROR,
				  "%s no diagnosis: the connection did not run to its end",
				  ui->g->bad);
			if (r->handshake.error) {
				line_addf(ln, ST_ERROR, " (");
				line_add_safe(ln, ST_ERROR, r->handshake.error);
				line_addf(ln, ST_ERROR, ")");
			}
		} else
			lines_text_line(fi, ST_OK, -1, "%s no problem found", ui->g->ok);
	}
	list_draw(&c->list[R_FINDINGS], lo->fi_y, 0, lo->fi_h, ui->cols, fi,
		  c->list[R_FINDINGS].sel, c->focus == R_FINDINGS);
}

static void conn_draw(struct ui_screen *s, struct ui *ui)
{
	struct conn *c = (struct conn *)s;
	const struct tls_report *r = conn_report(c);
	struct ui_lines head = {0}, tl = {0}, sum = {0}, ch = {0}, fi = {0}, de = {0};
	struct layout lo;

	if (!r) {
		term_text(0, 0, ui->cols, ST_TITLE, c->title ? c->title : "");
		term_text(2, 2, ui->cols - 4, ST_WARN,
			  c->kind == CONN_DEMO
				  ? "The listener has not seen the connection yet."
				  : "This connection has left the history (--history).");
		return;
	}
	char *title = conn_title(c);
	char *setup = c->kind == CONN_CLIENT ? setup_describe(&ui->setup) : NULL;
	if (c->kind == CONN_DEMO && !setup)
		setup = xasprintf("%s", demo_story(c->scenario));
	struct view_run run = {
		.mode = c->mode,
		.title = title,
		.running = conn_running(c) && (c->kind != CONN_DEMO || !r->n_findings),
		.elapsed_ms = util_now_ms() - c->t0,
		.tick = ui->tick,
		.setup = setup,
	};
	view_header(&head, r, &run, ui->g);
	for (size_t i = 0; i < head.n; i++)
		term_line((int)i, 0, ui->cols, &head.v[i], false);
	if (c->kind == CONN_INSPECT)
		files_lines(&tl, c->ins);
	else
		view_timeline(&tl, r, ui->g);
	view_summary(&sum, r);
	{
		/* Rows wider than the screen wrap under their text column, not cut. */
		struct ui_lines raw_ch = {0}, raw_fi = {0};
		view_chain(&raw_ch, r, ui->g);
		view_findings(&raw_fi, r, ui->g);
		lines_fold(&ch, &raw_ch, ui->cols - 1, 2);
		lines_fold(&fi, &raw_fi, ui->cols - 1, 37);
		lines_free(&raw_ch);
		lines_free(&raw_fi);
	}

	if (r->n_findings) {
		const struct tls_finding *f =
			&r->findings[clamp(c->list[R_FINDINGS].sel, 0, (int)r->n_findings - 1)];
		view_finding_detail(&de, f, ui->cols - 4, c->kind == CONN_CLIENT);
	}
	lo.tl_w = timeline_width(&sum, ui->cols);
	struct ui_lines tlf = {0}, sumf = {0};
	lines_fold(&tlf, &tl, lo.tl_w - 1, c->kind == CONN_INSPECT ? 14 : 17);
	if (lo.tl_w < ui->cols)
		lines_fold(&sumf, &sum, ui->cols - lo.tl_w - 3, 11);
	lines_free(&tl);
	lines_free(&sum);
	tl = tlf;
	sum = sumf;
	int need = (int)(tl.n > sum.n ? tl.n : sum.n);
	int tl_w = lo.tl_w;
	layout(ui->rows, ui->cols, need, (int)ch.n, (int)fi.n, (int)de.n, &lo);
	lo.tl_w = tl_w;
	char rule[64];
	snprintf(rule, sizeof(rule), c->kind == CONN_INSPECT ? "Files" : "Handshake");
	term_rule(2, 0, ui->cols, rule, c->focus == R_TIMELINE);
	if (lo.tl_w < ui->cols) {
		term_text(2, lo.tl_w + 2, 12, ST_DIM, " Negotiated ");
		term_vline(lo.tl_y, lo.tl_w, lo.tl_h);
		int zero = 0;
		term_list(lo.tl_y, lo.tl_w + 2, lo.tl_h, ui->cols - lo.tl_w - 2, &sum, -1, false,
			  &zero);
	}
	/* Until the user moves in it, the timeline shows its end: the newest message while it
	 * runs, the alert and the handshake's outcome after. */
	if (!c->moved && c->kind != CONN_INSPECT)
		c->list[R_TIMELINE].scroll = INT_MAX;
	if (!tl.n)
		lines_text_line(&tl, ST_DIM, -1, "%s",
				conn_running(c) ? "(waiting for the first message)"
						: "(no TLS message was exchanged)");
	list_draw(&c->list[R_TIMELINE], lo.tl_y, 0, lo.tl_h, lo.tl_w, &tl,
		  c->moved ? c->list[R_TIMELINE].sel : -1, c->focus == R_TIMELINE);

	draw_chain(c, ui, r, &ch, &lo);
	draw_findings(c, ui, r, &fi, &lo);
	if (r->n_findings) {
		int zero = 0;
		term_list(lo.de_y, 2, lo.de_h, ui->cols - 4, &de, -1, false, &zero);
	}
	lines_free(&head);
	lines_free(&tl);
	lines_free(&sum);
	lines_free(&ch);
	lines_free(&fi);
	lines_free(&de);
	free(title);
	free(setup);
}

/* ---- the client ---- */

static void on_event(void *ctx, const struct tls_event *ev)
{
	struct conn *c = ctx;
	(void)ev;
	ui_dirty(c->ui);
}

static void focus_result(struct conn *c, const struct tls_report *r)
{
	c->focus = r && r->n_findings ? R_FINDINGS : r && r->n_chain ? R_CHAIN : R_TIMELINE;
}

static void on_client_done(void *arg)
{
	struct conn *c = arg;

	c->running = false;
	c->ui->exit_code = c->report.verdict_ok ? 0 : 1;
	focus_result(c, &c->report);
	ui_dirty(c->ui);
}

static void reset_view(struct conn *c)
{
	memset(c->list, 0, sizeof(c->list));
	c->focus = R_TIMELINE;
	c->moved = false;
}

void conn_start(struct ui *ui, struct ui_screen *s)
{
	struct conn *c = (struct conn *)s;
	struct tls_error err = {{0}};
	struct tls_client_config cfg;
	struct tls_sink sink = {on_event, c};

	client_free(c->client);
	c->client = NULL;
	creds_free(c->creds);
	c->creds = NULL;
	report_free(&c->report);
	report_init(&c->report, TLS_MODE_CONNECT);
	reset_view(c);
	c->running = false;
	c->whatif_system = ui->setup.system_trust;
	if (!ui->setup.host) {
		ui_message(ui, false, "No target",
			   "Press c to say which host and port to connect to.");
		return;
	}
	c->creds = setup_creds(&ui->setup, ui->setup.system_trust, true, &err);
	if (!c->creds) {
		ui_message(ui, true, "Cannot use this setup", "%s", err.msg);
		return;
	}
	char *proxy_password = NULL;
	if (setup_proxy_password(&ui->setup, &proxy_password, &err) < 0) {
		ui_message(ui, true, "Cannot use this setup", "%s", err.msg);
		return;
	}
	setup_client_config(&ui->setup, c->creds, proxy_password, &cfg);
	c->running = true;
	ui->exit_code = 1; /* until the connection ends well */
	c->t0 = util_now_ms();
	c->client = client_start(ui->loop, &cfg, &sink, &c->report, on_client_done, c, &err);
	setup_free_secret(proxy_password); /* client_start keeps a copy */
	if (!c->client) {
		c->running = false;
		ui_message(ui, true, "Cannot connect", "%s", err.msg);
		return;
	}
	recent_add_setup(&ui->setup);
	if (ui->setup.cert)
		recent_add_identity(ui->setup.cert, ui->setup.key);
	ui_want_ticks(ui);
}

static void restart_cb(struct ui *ui, void *arg)
{
	conn_start(ui, arg);
}

/* ---- the demo ---- */

static void on_demo_done(void *arg)
{
	struct conn *c = arg;
	const struct tls_report *cr = demo_client_report(c->demo);
	const struct tls_report *lr = demo_listener_report(c->demo);

	c->ui->exit_code = cr->verdict_ok && lr && lr->verdict_ok ? 0 : 1;
	focus_result(c, conn_report(c));
	ui_dirty(c->ui);
}

static int demo_restart(struct ui *ui, struct conn *c, struct tls_error *err)
{
	struct tls_sink sink = {on_event, c};

	demo_free(c->demo);
	c->demo = NULL;
	reset_view(c);
	c->t0 = util_now_ms();
	c->demo = demo_start(ui->loop, c->scenario, &sink, on_demo_done, c, err);
	if (!c->demo)
		return -1;
	ui_want_ticks(ui);
	return 0;
}

/* ---- keys ---- */

static void whatif_recheck(struct ui *ui, void *arg)
{
	struct conn *c = arg;
	struct tls_report *r = conn_report_mut(c);
	struct tls_error err = {{0}};

	if (!r)
		return;
	if (c->kind == CONN_DEMO) {
		diagnose_recheck(r, demo_client_trust(c->demo));
	} else {
		struct tls_creds *trust = setup_creds(&ui->setup, c->whatif_system, false, &err);
		if (!trust) {
			ui_message(ui, true, "Cannot load the trust store", "%s", err.msg);
			return;
		}
		diagnose_recheck(r, trust);
		creds_free(trust);
		c->ui->exit_code = r->verdict_ok ? 0 : 1;
	}
	if (c->list[R_FINDINGS].sel >= (int)r->n_findings)
		c->list[R_FINDINGS].sel = 0;
}

static void open_step(struct ui *ui, const struct tls_report *r, size_t i)
{
	struct ui_lines L = {0};
	char title[96];

	view_step_detail(&L, r, i, ui->cols - 4, ui->g);
	snprintf(title, sizeof(title), "%s (Esc to go back)",
		 names_step(r->handshake.steps[i].type));
	ui_push(ui, ui_text_new(title, &L, 0, NULL, NULL, NULL));
}

static void open_finding(struct ui *ui, const struct tls_report *r, const struct tls_finding *f)
{
	struct ui_lines L = {0};
	struct ui_line *ln = lines_add(&L, -1);

	line_addf(ln,
		  f->severity == SEV_ERROR     ? ST_ERROR
		  : f->severity == SEV_WARNING ? ST_WARN
					       : ST_INFO,
		  "%s %s", names_severity(f->severity), f->id);
	lines_blank(&L);
	lines_wrap(&L, ST_TITLE, -1, "", f->title, true, ui->cols - 4);
	lines_blank(&L);
	lines_wrap(&L, ST_NORMAL, -1, "What happened: ", f->detail, true, ui->cols - 4);
	lines_blank(&L);
	lines_wrap(&L, ST_OK, -1, "Fix: ", f->fix, true, ui->cols - 4);
	if (f->cert_index >= 0 && (size_t)f->cert_index < r->n_chain) {
		lines_blank(&L);
		char *cn = view_common_name(r->chain[f->cert_index].subject);
		struct ui_line *l2 = lines_add(&L, -1);
		line_addf(l2, ST_DIM, "About certificate %d: ", f->cert_index);
		line_add_safe(l2, ST_DIM, cn);
		free(cn);
	}
	ui_push(ui, ui_text_new("Finding (Esc to go back)", &L, 0, NULL, NULL, NULL));
}

void verdicts_open(struct ui *ui, const struct tls_report *r)
{
	struct ui_lines L = {0};
	/* Two columns narrower than the text view: its scroll hints never cover a word. */
	bool servers = r->mode == TLS_MODE_LISTEN;

	lines_wrap(
		&L, ST_DIM, -1, "",
		servers ? "How each server would judge this client's certificate chain, and "
			  "what it would print when it refuses it."
			: "How each client would judge this server's certificate chain, and what "
			  "it would print when it refuses it.",
		false, ui->cols - 6);
	lines_blank(&L);
	view_verdicts(&L, r, ui->cols - 6, ui->g);
	ui_push(ui, ui_text_new(servers ? "Who would reject this client (Esc to go back)"
					: "Who would reject this server (Esc to go back)",
				&L, 0, NULL, NULL, NULL));
}

/* One switch over the connection screen's actions, each case a few lines: longer than 80
 * lines, and read best as the one table of what each key does here. */
static void conn_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct conn *c = (struct conn *)s;
	const struct tls_report *r = conn_report(c);
	size_t count = region_count(c, r, c->focus);
	int page = 5;
	(void)key;

	switch (act) {
	case ACT_NEXT:
	case ACT_PREV:
		for (int i = 0; i < N_REGIONS; i++) {
			c->focus = (c->focus + (act == ACT_NEXT ? 1 : N_REGIONS - 1)) % N_REGIONS;
			if (region_count(c, r, c->focus))
				break;
		}
		if (c->focus == R_TIMELINE && !c->moved && r)
			c->list[R_TIMELINE].sel = (int)region_count(c, r, R_TIMELINE) - 1;
		c->moved = c->focus == R_TIMELINE ? true : c->moved;
		break;
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PGUP:
	case ACT_PGDN:
	case ACT_TOP:
	case ACT_BOTTOM:
		if (!count)
			break;
		list_key(&c->list[c->focus], act, (int)count, page);
		if (c->focus == R_TIMELINE)
			c->moved = true;
		break;
	case ACT_OPEN:
		if (!count)
			break;
		if (c->focus == R_CHAIN)
			cert_open(ui, &r->chain[c->list[R_CHAIN].sel], r, NULL);
		else if (c->focus == R_FINDINGS)
			open_finding(ui, r, &r->findings[c->list[R_FINDINGS].sel]);
		else if (c->kind != CONN_INSPECT)
			open_step(ui, r, (size_t)c->list[R_TIMELINE].sel);
		break;
	case ACT_BACK:
		if (c->kind == CONN_CLIENT && c->running)
			client_cancel(c->client);
		else if (s->below)
			ui_pop(ui);
		break;
	case ACT_RECONNECT:
		if (c->kind == CONN_CLIENT) {
			conn_start(ui, s);
		} else if (c->kind == CONN_DEMO) {
			struct tls_error err = {{0}};
			if (demo_restart(ui, c, &err) < 0)
				ui_message(ui, true, "The demo cannot start", "%s", err.msg);
		}
		break;
	case ACT_TARGET:
		if (c->kind == CONN_CLIENT)
			form_target(ui, restart_cb, c);
		break;
	case ACT_TRUST:
		if (c->kind == CONN_CLIENT)
			form_trust(ui, restart_cb, c);
		break;
	case ACT_IDENTITY:
		if (c->kind == CONN_CLIENT)
			form_identity(ui, &c->report, restart_cb, c);
		break;
	case ACT_WHATIF: {
		struct tls_report *m = conn_report_mut(c);
		if (!m || !m->n_chain || conn_running(c))
			ui_message(
				ui, false, "What-if",
				"What-if re-verifies the certificate chain the %s sent; there is "
				"none to check%s.",
				c->kind == CONN_DEMO ? "listener" : "server",
				conn_running(c) ? " until the connection ends" : "");
		else
			form_whatif(ui, m, c->kind == CONN_DEMO ? NULL : &c->whatif_system,
				    whatif_recheck, c);
		break;
	}
	case ACT_EXPORT:
		if (r && r->n_chain)
			cert_export(ui, &r->chain[c->focus == R_CHAIN ? c->list[R_CHAIN].sel : 0]);
		break;
	case ACT_SAVE:
		if (r)
			report_save(ui, r);
		break;
	case ACT_FULLCHAIN:
		if (r)
			chain_save(ui, r, c->kind == CONN_CLIENT ? c->creds : NULL);
		break;
	case ACT_VERDICTS:
		if (r)
			verdicts_open(ui, r);
		break;
	case ACT_SIDE:
		if (c->kind == CONN_DEMO) {
			c->listener_side = !c->listener_side;
			reset_view(c);
			focus_result(c, conn_report(c));
		}
		break;
	case ACT_SCENARIO:
		if (c->kind == CONN_DEMO) {
			struct tls_error err = {{0}};
			size_t n = demo_count();
			c->scenario = (c->scenario + (key == 'N' ? n - 1 : 1)) % n;
			c->listener_side = false;
			if (demo_restart(ui, c, &err) < 0)
				ui_message(ui, true, "The demo cannot start", "%s", err.msg);
		}
		break;
	default:
		break;
	}
}

static unsigned conn_ctx(struct ui_screen *s)
{
	struct conn *c = (struct conn *)s;
	return CTX_CONN | (c->kind == CONN_CLIENT ? CTX_CLIENT : 0) |
	       (c->kind == CONN_DEMO ? CTX_DEMO : 0);
}

static bool conn_busy(struct ui_screen *s)
{
	return conn_running((struct conn *)s);
}

static void conn_free(struct ui_screen *s)
{
	struct conn *c = (struct conn *)s;

	client_free(c->client);
	creds_free(c->creds);
	report_free(&c->report);
	demo_free(c->demo);
	if (c->free_get_arg)
		c->free_get_arg(c->get_arg);
	if (c->ins) {
		inspect_result_free(c->ins);
		free(c->ins);
	}
	free(c->title);
	free(c);
}

static const struct ui_screen_ops conn_ops = {
	.ctx = CTX_CONN,
	.context = conn_ctx,
	.draw = conn_draw,
	.key = conn_key,
	.free = conn_free,
	.busy = conn_busy,
};

static struct conn *conn_alloc(enum conn_kind kind, const char *mode, const char *title)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->base.ops = &conn_ops;
	c->kind = kind;
	c->mode = mode;
	c->title = title ? xstrdup(title) : NULL;
	report_init(&c->report, TLS_MODE_CONNECT);
	return c;
}

struct ui_screen *conn_new_client(struct ui *ui)
{
	struct conn *c = conn_alloc(CONN_CLIENT, "connect", NULL);
	c->ui = ui;
	return &c->base;
}

struct ui_screen *conn_new_view(const char *mode, const char *title,
				const struct tls_report *(*get)(void *arg), void *arg,
				void (*free_arg)(void *arg))
{
	struct conn *c = conn_alloc(CONN_VIEW, mode, title);
	c->get = get;
	c->get_arg = arg;
	c->free_get_arg = free_arg;
	focus_result(c, get(arg));
	return &c->base;
}

struct ui_screen *conn_new_demo(struct ui *ui, const char *scenario, struct tls_error *err)
{
	long i = demo_find(scenario ? scenario : "ok");
	if (i < 0) {
		tls_error_set(err, "no demo scenario '%s'", scenario);
		return NULL;
	}
	struct conn *c = conn_alloc(CONN_DEMO, "demo", NULL);
	c->ui = ui;
	c->scenario = (size_t)i;
	if (demo_restart(ui, c, err) < 0) {
		conn_free(&c->base);
		return NULL;
	}
	return &c->base;
}

struct ui_screen *conn_new_inspect(struct inspect_result *r, const char *title)
{
	struct conn *c = conn_alloc(CONN_INSPECT, "inspect", title);
	c->ins = r;
	focus_result(c, &r->report);
	return &c->base;
}
