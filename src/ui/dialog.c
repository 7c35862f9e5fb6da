/* Message boxes, yes/no questions and full-screen text (help, certificate detail). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "screen.h"

struct dialog {
	struct ui_screen base;
	char *title, *text;
	bool error;
	void (*yes)(struct ui *ui, void *arg); /* NULL: a message */
	void *arg;
};

static void dialog_draw(struct ui_screen *s, struct ui *ui)
{
	struct dialog *d = (struct dialog *)s;
	struct ui_lines L = {0};
	int w = ui->cols - 10 < 72 ? ui->cols - 10 : 72;

	lines_wrap(&L, ST_NORMAL, -1, "", d->text, false, w - 4);
	lines_blank(&L);
	lines_text_line(&L, ST_DIM, -1, "%s",
			d->yes ? "y: yes   n or Esc: no" : "Enter or Esc: close");
	int h = (int)L.n + 2 > ui->rows - 4 ? ui->rows - 4 : (int)L.n + 2;
	int y = (ui->rows - h) / 2, x = (ui->cols - w) / 2;
	term_box(y, x, h, w, d->title, d->error);
	for (int i = 0; i + 2 < h; i++)
		term_line(y + 1 + i, x + 2, w - 4, &L.v[i], false);
	lines_free(&L);
}

static void dialog_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct dialog *d = (struct dialog *)s;
	(void)key;

	if (act == ACT_OPEN) {
		void (*yes)(struct ui *, void *) = d->yes;
		void *arg = d->arg;
		ui_pop(ui);
		if (yes)
			yes(ui, arg);
	} else if (act == ACT_BACK || (!d->yes && act != ACT_NONE) || (!d->yes && key == ' ')) {
		ui_pop(ui);
	}
}

static void dialog_free(struct ui_screen *s)
{
	struct dialog *d = (struct dialog *)s;
	free(d->title);
	free(d->text);
	free(d);
}

static const struct ui_screen_ops dialog_ops = {
	.ctx = CTX_DIALOG,
	.overlay = true,
	.draw = dialog_draw,
	.key = dialog_key,
	.free = dialog_free,
};

void ui_message(struct ui *ui, bool error, const char *title, const char *fmt, ...)
{
	struct dialog *d = xcalloc(1, sizeof(*d));
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->base.ops = &dialog_ops;
	d->title = xstrdup(title);
	d->text = xstrdup(buf);
	d->error = error;
	ui_push(ui, &d->base);
}

void ui_confirm(struct ui *ui, const char *question, void (*fn)(struct ui *ui, void *arg),
		void *arg)
{
	struct dialog *d = xcalloc(1, sizeof(*d));

	d->base.ops = &dialog_ops;
	d->title = xstrdup("Are you sure?");
	d->text = xstrdup(question);
	d->yes = fn;
	d->arg = arg;
	ui_push(ui, &d->base);
}

/* ---- full-screen text ---- */

struct text_view {
	struct ui_screen base;
	char *title;
	struct ui_lines lines;
	unsigned extra_ctx;
	struct ui_list list; /* a text only scrolls */
	void (*on_key)(struct ui *ui, void *arg, enum ui_action act);
	void *arg;
	void (*free_arg)(void *arg);
};

static void text_draw(struct ui_screen *s, struct ui *ui)
{
	struct text_view *t = (struct text_view *)s;

	term_rule(0, 0, ui->cols, t->title, true);
	list_draw(&t->list, 1, 1, ui->rows - 2, ui->cols - 2, &t->lines, -1, false);
}

static void text_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct text_view *t = (struct text_view *)s;
	int page = ui->rows - 3;
	(void)key;

	if (list_scroll_key(&t->list, act, (int)t->lines.n, page))
		return;
	switch (act) {
	case ACT_BACK:
		ui_pop(ui);
		return;
	default:
		if (t->on_key && act != ACT_NONE)
			t->on_key(ui, t->arg, act);
		return;
	}
}

static unsigned text_ctx(struct ui_screen *s)
{
	return CTX_TEXT | ((struct text_view *)s)->extra_ctx;
}

static void text_free(struct ui_screen *s)
{
	struct text_view *t = (struct text_view *)s;
	if (t->free_arg)
		t->free_arg(t->arg);
	lines_free(&t->lines);
	free(t->title);
	free(t);
}

static const struct ui_screen_ops text_ops = {
	.ctx = CTX_TEXT,
	.context = text_ctx,
	.draw = text_draw,
	.key = text_key,
	.free = text_free,
};

struct ui_screen *ui_text_new(const char *title, struct ui_lines *lines, unsigned extra_ctx,
			      void (*on_key)(struct ui *ui, void *arg, enum ui_action act),
			      void *arg, void (*free_arg)(void *arg))
{
	struct text_view *t = xcalloc(1, sizeof(*t));

	t->base.ops = &text_ops;
	t->title = xstrdup(title);
	t->lines = *lines;
	*lines = (struct ui_lines){0};
	t->extra_ctx = extra_ctx;
	t->on_key = on_key;
	t->arg = arg;
	t->free_arg = free_arg;
	return &t->base;
}

void ui_help(struct ui *ui, unsigned ctx)
{
	struct ui_lines L = {0};

	lines_text_line(&L, ST_TITLE, -1, "Keys here");
	keymap_help(&L, ctx);
	lines_blank(&L);
	lines_text_line(&L, ST_TITLE, -1, "The connection view");
	lines_wrap(&L, ST_NORMAL, -1, "  ",
		   "The header shows the target, the state (a spinner while the peer is awaited) "
		   "and the verdict. The timeline lists every handshake message as it happens (-> "
		   "sent, <- received); alerts are red, and the point where the handshake broke is "
		   "marked. The chain has a row per certificate with a mark per check: trust, "
		   "name, dates, signature, key and purpose. Each finding names the problem; the "
		   "selected one shows what happened and how to fix it.",
		   false, ui->cols - 4);
	lines_blank(&L);
	lines_wrap(&L, ST_DIM, -1, "  ",
		   "Forms: Tab moves between fields, Enter applies, Esc leaves without change; "
		   "F2 or Ctrl-O opens the file picker on a file field. Recent targets and "
		   "identities (never passwords) are kept in $XDG_STATE_HOME/tlsscope.",
		   false, ui->cols - 4);
	ui_push(ui, ui_text_new("Help (Esc to go back)", &L, 0, NULL, NULL, NULL));
}
