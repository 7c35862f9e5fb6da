/* The form engine: fields, editing, drawing, and the file picker for file fields. */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "screens.h"

const char *field_value(const struct field *f)
{
	return f->value && *f->value ? f->value : NULL;
}

void field_set(struct field *f, const char *value)
{
	free(f->value);
	f->value = xstrdup(value ? value : "");
}

size_t field_paths(const struct field *f, struct strlist *out)
{
	const char *p = f->value ? f->value : "";
	size_t n = 0;

	while (*p) {
		size_t len = strcspn(p, ";");
		const char *s = p, *e = p + len;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s) {
			strlist_take(out, xstrndup(s, (size_t)(e - s)));
			n++;
		}
		p += len + (p[len] == ';');
	}
	return n;
}

static size_t add_field(struct form *fm)
{
	if (fm->n >= FORM_MAX_FIELDS)
		abort(); /* a programming error: the forms are fixed */
	return fm->n++;
}

struct field *form_text(struct form *fm, enum field_type type, const char *label, const char *hint,
			const char *value)
{
	struct field *f = &fm->f[add_field(fm)];
	*f = (struct field){.type = type, .label = label, .hint = hint};
	field_set(f, value);
	return f;
}

struct field *form_bool(struct form *fm, const char *label, const char *hint, bool on)
{
	struct field *f = &fm->f[add_field(fm)];
	*f = (struct field){.type = F_BOOL, .label = label, .hint = hint, .on = on};
	return f;
}

struct field *form_choice(struct form *fm, const char *label, const char *hint,
			  const char *const *choices, int choice)
{
	struct field *f = &fm->f[add_field(fm)];
	*f = (struct field){.type = F_CHOICE,
			    .label = label,
			    .hint = hint,
			    .choices = choices,
			    .choice = choice};
	return f;
}

static int n_choices(const struct field *f)
{
	int n = 0;
	while (f->choices[n])
		n++;
	return n;
}

/* The box, then each field in order with its label, value, cursor and note: one pass down the
 * form that reads best in one piece (a few lines over 80). */
static void form_draw(struct ui_screen *s, struct ui *ui)
{
	struct form *fm = (struct form *)s;
	int w = ui->cols - 6 < 90 ? ui->cols - 6 : 90;
	/* The note's lines, each wrapped to the box. */
	struct ui_lines note = {0};
	for (const char *l = fm->note; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *one = xstrndup(l, strcspn(l, "\n"));
		lines_wrap(&note, ST_WARN, -1, "", one, true, w - 4);
		free(one);
	}
	int h = (int)fm->n + 5 + (int)note.n;
	int y = fm->at_top ? 2 : (ui->rows - h) / 2, x = (ui->cols - w) / 2;
	int label_w = 0, cur_y = -1, cur_x = -1;

	for (size_t i = 0; i < fm->n; i++)
		if (text_width(fm->f[i].label) > label_w)
			label_w = text_width(fm->f[i].label);
	term_box(y, x, h, w, fm->title, false);
	for (size_t i = 0; i < fm->n; i++) {
		const struct field *f = &fm->f[i];
		int fy = y + 1 + (int)i, vx = x + 3 + label_w + 2, vw = w - (vx - x) - 2;
		bool cur = i == fm->cur;
		struct ui_lines L = {0};
		struct ui_line *ln = lines_add(&L, -1);

		term_text(fy, x + 2, 1, ST_KEY, cur ? ">" : " ");
		term_text(fy, x + 3, label_w, cur ? ST_TITLE : ST_NORMAL, f->label);
		switch (f->type) {
		case F_BOOL:
			line_addf(ln, cur ? ST_TITLE : ST_NORMAL, "[%s]", f->on ? "x" : " ");
			break;
		case F_CHOICE: {
			int all = 0;
			for (int k = 0; f->choices[k]; k++)
				all += text_width(f->choices[k]) + 2;
			/* Too many to show side by side: the chosen one, between arrows. */
			if (all > vw)
				line_addf(ln, ST_SELECTED, "< %s >", f->choices[f->choice]);
			for (int k = 0; all <= vw && f->choices[k]; k++)
				line_addf(ln, k == f->choice ? ST_SELECTED : ST_DIM, " %s ",
					  f->choices[k]);
			break;
		}
		case F_SECRET:
			/* A fixed-width mask: the length of a password is not shown either. */
			line_addf(ln, ST_NORMAL, "%s", *f->value ? "********" : "");
			break;
		default: {
			/* Show the end of a long value: that is where typing happens. */
			const char *v = f->value;
			while (text_width(v) > vw - 1)
				v++;
			while (((unsigned char)*v & 0xc0) == 0x80)
				v++;
			line_add_safe(ln, ST_NORMAL, v);
			break;
		}
		}
		if (f->type != F_BOOL && f->type != F_CHOICE) {
			/* An underline shows where the field is. */
			for (int k = 0; k < vw; k++)
				term_text(fy, vx + k, 1, ST_DIM, ui->utf8 ? "\u00b7" : ".");
		}
		term_line(fy, vx, vw, ln, false);
		if (cur && f->type != F_BOOL && f->type != F_CHOICE) {
			char *t = lines_text(&L, 0);
			cur_y = fy;
			cur_x = vx + text_width(t);
			if (cur_x >= vx + vw)
				cur_x = vx + vw - 1;
			free(t);
		}
		lines_free(&L);
	}
	int hy = y + 1 + (int)fm->n + 1;
	for (size_t i = 0; i < note.n; i++)
		term_line(hy++, x + 2, w - 4, &note.v[i], false);
	lines_free(&note);
	const struct field *f = &fm->f[fm->cur];
	term_text(hy, x + 2, w - 4, ST_INFO, f->hint ? f->hint : "");
	term_text(hy + 1, x + 2, w - 4, ST_DIM,
		  f->type == F_FILE || f->type == F_FILES
			  ? "Enter apply  Esc cancel  Tab next field  F2/^O pick a file"
		  : f->type == F_BOOL || f->type == F_CHOICE
			  ? "Enter apply  Esc cancel  Tab next field  Space change"
			  : "Enter apply  Esc cancel  Tab next field  ^U clear");
	term_cursor(cur_y, cur_x, cur_y >= 0);
}

static void on_picked(struct ui *ui, void *arg, const char *path)
{
	struct form *fm = arg;
	struct field *f = &fm->f[fm->browse_field];

	if (f->type == F_FILES && field_value(f)) {
		char *v = xasprintf("%s; %s", f->value, path);
		free(f->value);
		f->value = v;
	} else {
		field_set(f, path);
	}
	if (fm->changed)
		fm->changed(ui, fm);
}

/* Appends a code point, UTF-8 encoded. */
static void field_insert(struct field *f, int key)
{
	char buf[5];
	size_t n;
	unsigned c = (unsigned)key;

	if (c < 0x80) {
		buf[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		buf[0] = (char)(0xc0 | (c >> 6));
		buf[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		buf[0] = (char)(0xe0 | (c >> 12));
		buf[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		buf[0] = (char)(0xf0 | (c >> 18));
		buf[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		buf[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		buf[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf[n] = '\0';
	size_t len = strlen(f->value);
	if (len > 4000)
		return;
	f->value = xrealloc(f->value, len + n + 1);
	memcpy(f->value + len, buf, n + 1);
}

static void field_erase(struct field *f)
{
	size_t len = strlen(f->value);
	while (len > 0 && ((unsigned char)f->value[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	f->value[len] = '\0';
}

static bool is_text(const struct field *f)
{
	return f->type != F_BOOL && f->type != F_CHOICE;
}

static void form_key(struct ui_screen *s, struct ui *ui, int key, enum ui_action act)
{
	struct form *fm = (struct form *)s;
	struct field *f = &fm->f[fm->cur];
	bool changed = false;

	/* Printable characters are text in a text field, whatever they are bound to elsewhere. */
	if (is_text(f) && key >= 0x20 && key < KEYF(0) && key != 0x7f) {
		field_insert(f, key);
		changed = true;
		act = ACT_NONE;
	}
	switch (act) {
	case ACT_NEXT:
		fm->cur = (fm->cur + 1) % fm->n;
		break;
	case ACT_PREV:
		fm->cur = (fm->cur + fm->n - 1) % fm->n;
		break;
	case ACT_TOGGLE:
	case ACT_RIGHT:
	case ACT_LEFT:
		if (f->type == F_BOOL) {
			f->on = !f->on;
			changed = true;
		} else if (f->type == F_CHOICE) {
			int n = n_choices(f);
			f->choice = (f->choice + (act == ACT_LEFT ? n - 1 : 1)) % n;
			changed = true;
		}
		break;
	case ACT_ERASE:
		if (is_text(f)) {
			field_erase(f);
			changed = true;
		}
		break;
	case ACT_CLEAR:
		if (is_text(f)) {
			field_set(f, "");
			changed = true;
		}
		break;
	case ACT_BROWSE:
		if (f->type == F_FILE || f->type == F_FILES) {
			struct strlist paths = {0};
			field_paths(f, &paths);
			fm->browse_field = fm->cur;
			if (!paths.n && f->key_of && field_value(f->key_of))
				picker_open_key(ui, f->label, f->key_of->value, on_picked, fm);
			else
				picker_open(ui, f->label, paths.n ? paths.v[paths.n - 1] : NULL,
					    on_picked, fm);
			strlist_free(&paths);
		}
		break;
	case ACT_RECENT:
		if (fm->recent) {
			fm->recent(ui, fm);
			changed = true;
		}
		break;
	case ACT_OPEN:
		term_cursor(0, 0, false);
		if (!fm->apply || fm->apply(ui, fm) == 0)
			ui_remove(ui, s); /* apply may have opened a screen above the form */
		return;
	case ACT_BACK:
		term_cursor(0, 0, false);
		if (fm->cancelled)
			fm->cancelled(ui, fm);
		ui_remove(ui, s);
		return;
	default:
		break;
	}
	if (changed && fm->changed)
		fm->changed(ui, fm);
}

static void form_free(struct ui_screen *s)
{
	struct form *fm = (struct form *)s;

	term_cursor(0, 0, false);
	for (size_t i = 0; i < fm->n; i++) {
		if (fm->f[i].value && fm->f[i].type == F_SECRET)
			gnutls_memset(fm->f[i].value, 0, strlen(fm->f[i].value));
		free(fm->f[i].value);
	}
	if (fm->free_arg)
		fm->free_arg(fm->arg);
	free(fm->note);
	free(fm->title);
	free(fm);
}

static const struct ui_screen_ops form_ops = {
	.ctx = CTX_FORM,
	.overlay = true,
	.draw = form_draw,
	.key = form_key,
	.free = form_free,
};

struct form *form_new(const char *title)
{
	struct form *fm = xcalloc(1, sizeof(*fm));
	fm->base.ops = &form_ops;
	fm->title = xstrdup(title);
	return fm;
}
