/* The listen view: a row per client connection as it ends, updating live; Enter shows one in
 * the connection view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "list.h"
#include "screens.h"
#include "views.h"

struct listen_view {
	struct ui_screen base;
	struct ui *ui;
	struct tls_server *srv;
	struct tls_creds *creds;
	struct tls_serial_rule *rules;
	size_t n_rules;
	char *addr, *priority, *alpn, *keylog, *describe;
	enum tls_client_cert_mode mode;
	unsigned history;
	unsigned long total, failed; /* reports seen */
	long long *when;	     /* report times, a ring of `history` slots by sequence */
	long sel;	     /* the selected report's sequence number, -1: follow the newest */
	struct ui_list list; /* its scroll; sel is the row of sel while a key moves it */
};

/* The report with sequence number seq, or NULL when the history has dropped it. */
static const struct tls_report *by_seq(const struct listen_view *v, unsigned long seq)
{
	size_t count = server_history_count(v->srv);

	if (seq >= v->total || v->total - seq > count)
		return NULL;
	return server_history_get(v->srv, count - (v->total - seq));
}

static void on_report(void *arg, const struct tls_report *r)
{
	struct listen_view *v = arg;

	v->when[v->total % v->history] = (long long)time(NULL);
	v->total++;
	if (!r->verdict_ok)
		v->failed++;
	v->ui->exit_code = v->failed ? 1 : 0;
	ui_dirty(v->ui);
}

static void listen_draw(struct ui_screen *s, struct ui *ui)
{
	struct listen_view *v = (struct listen_view *)s;
	struct ui_lines L = {0}, head = {0};
	size_t count = server_history_count(v->srv);
	static const char *const modes[] = {"none", "request", "require"};

	struct ui_line *ln = lines_add(&head, -1);
	line_addf(ln, ST_TITLE, "tlsscope listen  port %u", server_port(v->srv));
	line_addf(ln, ST_DIM, " on ");
	line_add_safe(ln, ST_DIM, v->addr ? v->addr : "every address");
	line_addf(ln, ST_NORMAL, "  client certs: %s  ", modes[v->mode]);
	line_addf(ln, ST_NORMAL, "%lu connection%s", v->total, v->total == 1 ? "" : "s");
	if (v->failed)
		line_addf(ln, ST_ERROR, ", %lu failed", v->failed);
	line_addf(ln, ST_INFO, ", %zu active", server_active(v->srv));
	ln = lines_add(&head, -1);
	line_add_safe(ln, ST_DIM, v->describe);
	for (size_t i = 0; i < head.n; i++)
		term_line((int)i, 0, ui->cols, &head.v[i], false);
	for (size_t i = 0; i < count; i++) {
		unsigned long seq = v->total - count + i;
		view_listen_row(&L, server_history_get(v->srv, i), v->when[seq % v->history],
				(int)(seq % 0x7fffffff), ui->cols, ui->g);
	}
	if (!count)
		lines_text_line(&L, ST_DIM, -1,
				"(waiting for clients: try  tlsscope connect 127.0.0.1:%u  or  "
				"openssl s_client -connect 127.0.0.1:%u)",
				server_port(v->srv), server_port(v->srv));
	long sel = v->sel >= 0 ? v->sel : (long)v->total - 1;
	if (sel >= 0 && !by_seq(v, (unsigned long)sel))
		sel = (long)(v->total - count);
	/* Split: the list above (as tall as it needs, up to 40% of the rows), the selected
	 * connection below, following the selection. */
	int avail = ui->rows - 5;
	int list_h = (int)L.n < avail * 2 / 5 ? (int)L.n : avail * 2 / 5;
	if (list_h < 3)
		list_h = 3;
	term_rule(2, 0, ui->cols, "Connections (newest last; Enter opens one)", true);
	list_draw(&v->list, 3, 0, list_h, ui->cols, &L, count ? (int)(sel % 0x7fffffff) : -1, true);
	const struct tls_report *r = count && sel >= 0 ? by_seq(v, (unsigned long)sel) : NULL;
	char rule[64];
	snprintf(rule, sizeof(rule), "Connection #%ld", sel + 1);
	term_rule(3 + list_h, 0, ui->cols, r ? rule : "Selected connection", false);
	if (r) {
		struct ui_lines D = {0}, F = {0};
		int zero = 0;
		view_listen_selected(&D, r, ui->cols - 1, ui->g);
		lines_fold(&F, &D, ui->cols - 1, 4);
		term_list(4 + list_h, 0, avail - list_h, ui->cols, &F, -1, false, &zero);
		lines_free(&D);
		lines_free(&F);
	}
	lines_free(&L);
	lines_free(&head);
}

struct pick {
	struct listen_view *v;
	unsigned long seq;
};

static const struct tls_report *pick_get(void *arg)
{
	struct pick *p = arg;
	return by_seq(p->v, p->seq);
}

static void listen_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct listen_view *v = (struct listen_view *)s;
	size_t count = server_history_count(v->srv);
	long first = (long)(v->total - count), last = (long)v->total - 1;
	long sel = v->sel >= 0 ? v->sel : last;
	(void)key;

	if (!count && act != ACT_BACK)
		return;
	v->list.sel = (int)(sel - first);
	if (list_key(&v->list, act, (int)count, ui->rows - 5)) {
		/* Moving to the newest row follows new connections again, like tail -f. */
		sel = first + v->list.sel;
		v->sel = sel >= last ? -1 : sel;
		return;
	}
	switch (act) {
	case ACT_OPEN: {
		struct pick *p = xcalloc(1, sizeof(*p));
		char title[64];
		p->v = v;
		p->seq = (unsigned long)(sel < first ? first : sel);
		snprintf(title, sizeof(title), "connection #%lu", p->seq + 1);
		ui_push(ui, conn_new_view("listen", title, pick_get, p, free));
		return;
	}
	case ACT_SAVE: {
		const struct tls_report *r = by_seq(v, (unsigned long)(sel < first ? first : sel));
		if (r)
			report_save(ui, r);
		return;
	}
	case ACT_VERDICTS: {
		const struct tls_report *r = by_seq(v, (unsigned long)(sel < first ? first : sel));
		if (r)
			verdicts_open(ui, r);
		return;
	}
	case ACT_BACK:
		if (s->below)
			ui_pop(ui);
		return;
	default:
		return;
	}
}

static void listen_free(struct ui_screen *s)
{
	struct listen_view *v = (struct listen_view *)s;

	server_free(v->srv);
	creds_free(v->creds);
	for (size_t i = 0; i < v->n_rules; i++)
		serial_rule_free(&v->rules[i]);
	free(v->rules);
	free(v->addr);
	free(v->priority);
	free(v->alpn);
	free(v->keylog);
	free(v->describe);
	free(v->when);
	free(v);
}

static const struct ui_screen_ops listen_ops = {
	.ctx = CTX_LISTEN,
	.draw = listen_draw,
	.key = listen_key,
	.free = listen_free,
};

struct ui_screen *listen_new(struct ui *ui, const struct tls_server_config *cfg,
			     struct tls_creds *creds, struct tls_serial_rule *rules, size_t n_rules,
			     const char *describe, struct tls_error *err)
{
	struct listen_view *v = xcalloc(1, sizeof(*v));
	struct tls_server_config c = *cfg;

	v->base.ops = &listen_ops;
	v->ui = ui;
	v->creds = creds;
	v->rules = rules;
	v->n_rules = n_rules;
	v->addr = cfg->addr ? xstrdup(cfg->addr) : NULL;
	v->priority = cfg->priority ? xstrdup(cfg->priority) : NULL;
	v->alpn = cfg->alpn ? xstrdup(cfg->alpn) : NULL;
	v->keylog = cfg->keylog_path ? xstrdup(cfg->keylog_path) : NULL;
	v->describe = xstrdup(describe ? describe : "");
	v->mode = cfg->client_cert;
	v->history = cfg->history ? cfg->history : 1000;
	v->when = xcalloc(v->history, sizeof(*v->when));
	v->sel = -1;
	c.addr = v->addr;
	c.priority = v->priority;
	c.alpn = v->alpn;
	c.keylog_path = v->keylog;
	c.creds = creds;
	c.serials = rules;
	c.n_serials = n_rules;
	c.history = v->history;
	v->srv = server_start(ui->loop, &c, NULL, on_report, v, err);
	if (!v->srv) {
		listen_free(&v->base);
		return NULL;
	}
	return &v->base;
}
