/* The terminal: curses set-up and teardown, styles to attributes, and painting lines. The only
 * file that draws with curses. */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "screen.h"
/* After screen.h: term.h defines macros (lines, columns) that would rename its parameters. */
#include <term.h>

bool term_known(void)
{
	int err = 0;
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	del_curterm(cur_term); /* newterm loads its own */
	return true;
}

static bool active;
static bool ascii_only;
static SCREEN *screen;

/* Line drawing: Unicode box characters on a UTF-8 terminal (the alternate character set is
 * not reliable through multiplexers), ASCII otherwise. */
static const struct frame {
	const char *h, *v, *tl, *tr, *bl, *br;
} frame_utf8 = {"\u2500", "\u2502", "\u250c", "\u2510", "\u2514", "\u2518"},
  frame_ascii = {"-", "|", "+", "+", "+", "+"};
static const struct frame *frame = &frame_ascii;

/* Color pairs and the monochrome fallback, by style. */
static const struct style_attr {
	short fg;
	attr_t color_attr;
	attr_t mono_attr;
} styles[ST_COUNT] = {
	[ST_NORMAL] = {-1, A_NORMAL, A_NORMAL},
	[ST_DIM] = {-1, A_DIM, A_NORMAL},
	[ST_TITLE] = {-1, A_BOLD, A_BOLD},
	[ST_OK] = {COLOR_GREEN, A_NORMAL, A_NORMAL},
	[ST_ERROR] = {COLOR_RED, A_BOLD, A_BOLD},
	[ST_WARN] = {COLOR_YELLOW, A_NORMAL, A_UNDERLINE},
	[ST_INFO] = {COLOR_CYAN, A_NORMAL, A_NORMAL},
	[ST_KEY] = {COLOR_CYAN, A_BOLD, A_BOLD},
	[ST_SELECTED] = {-1, A_REVERSE, A_REVERSE},
	[ST_FRAME] = {COLOR_BLUE, A_BOLD, A_BOLD},
};

static bool use_color;

/* The selected row: an explicit background in color (reverse video on top of colored text is
 * hard to read), reverse video in monochrome. */
#define PAIR_SELECTED (ST_COUNT + 1)

static attr_t style_attr(enum ui_style st)
{
	if (!use_color)
		return styles[st].mono_attr;
	return styles[st].color_attr | (styles[st].fg >= 0 ? COLOR_PAIR(st + 1) : 0);
}

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int term_init(struct ui *ui)
{
	setlocale(LC_CTYPE, "");
	ui->utf8 = locale_is_utf8();
	ascii_only = !ui->utf8;
	ui->g = glyphs_get(ui->utf8);
	frame = ui->utf8 ? &frame_utf8 : &frame_ascii;
	/* Esc must answer at once: wait 25 ms for the rest of an escape sequence, not 1 s. */
	set_escdelay(25);
	/* newterm, not initscr: an unknown TERM must give an error, not exit the process. */
	screen = newterm(NULL, stdout, stdin);
	if (!screen)
		return -1;
	set_term(screen);
	active = true;
	cbreak(); /* not raw: Ctrl-C stays SIGINT, and the signal pipe quits cleanly */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	const char *no_color = getenv("NO_COLOR");
	use_color = has_colors() && !(no_color && *no_color);
	if (use_color) {
		start_color();
		use_default_colors();
		for (int i = 0; i < ST_COUNT; i++)
			if (styles[i].fg >= 0)
				init_pair((short)(i + 1), styles[i].fg, -1);
		init_pair(PAIR_SELECTED, COLOR_WHITE, COLOR_BLUE);
	}
	ui->color = use_color;
	getmaxyx(stdscr, ui->rows, ui->cols);
	return 0;
}

void term_done(void)
{
	if (!active)
		return;
	active = false;
	curs_set(1);
	endwin();
	/* delscreen is left to term_free: a fatal hook may run here, and endwin alone restores
	 * the terminal. */
}

void term_free(void)
{
	term_done();
	if (screen)
		delscreen(screen);
	screen = NULL;
}

void term_resize(struct ui *ui)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, ui->rows, ui->cols);
}

int term_read_key(void)
{
	wint_t wc;
	int rc = get_wch(&wc);

	if (rc == ERR)
		return -1;
	if (rc == KEY_CODE_YES)
		return KEYF((int)wc);
	return (int)wc;
}

void term_clear(void)
{
	erase();
}

void term_flush(void)
{
	refresh();
}

/* Paints text from x, at most w columns; returns the columns used. Control characters that
 * slipped through (and, without UTF-8, anything not ASCII) show as '?'. */
static int put_text(int y, int x, int w, const char *s, attr_t a)
{
	int used = 0;
	mbstate_t ps;

	memset(&ps, 0, sizeof(ps));
	attron(a);
	move(y, x);
	while (*s && used < w) {
		wchar_t wc;
		size_t len = mbrtowc(&wc, s, strlen(s), &ps);
		if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
			memset(&ps, 0, sizeof(ps));
			wc = L'?';
			len = 1;
		}
		int cw = wcwidth(wc);
		if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0) || cw < 0 || (ascii_only && wc > 0x7e)) {
			wc = L'?';
			cw = 1;
		}
		if (used + cw > w)
			break;
		if (ascii_only || wc < 0x80) {
			addch((chtype)wc);
		} else {
			wchar_t one[2] = {wc, 0};
			addnwstr(one, 1);
		}
		used += cw;
		s += len;
	}
	attroff(a);
	return used;
}

void term_text(int y, int x, int w, enum ui_style st, const char *text)
{
	if (w > 0)
		put_text(y, x, w, text, style_attr(st));
}

void term_line(int y, int x, int w, const struct ui_line *ln, bool selected)
{
	int used = 0;

	attr_t sel = use_color ? COLOR_PAIR(PAIR_SELECTED) : A_REVERSE;

	for (size_t i = 0; ln && i < ln->n && used < w; i++) {
		attr_t a = style_attr(ln->seg[i].style);
		if (selected)
			a = sel | (a & A_BOLD);
		used += put_text(y, x + used, w - used, ln->seg[i].text, a);
	}
	if (selected && used < w) {
		attron(sel);
		mvhline(y, x + used, ' ', w - used);
		attroff(sel);
	}
}

static void draw_hline(int y, int x, int w, attr_t a)
{
	for (int i = 0; i < w; i++)
		put_text(y, x + i, 1, frame->h, a);
}

void term_rule(int y, int x, int w, const char *title, bool focused)
{
	attr_t a = focused ? style_attr(ST_FRAME) : style_attr(ST_DIM);

	draw_hline(y, x, w, a);
	if (title && w > 6) {
		int used = put_text(y, x + 1, w - 2, " ", a);
		used += put_text(y, x + 1 + used, w - 2 - used, title,
				 focused ? style_attr(ST_FRAME) | A_REVERSE : style_attr(ST_TITLE));
		put_text(y, x + 1 + used, w - 2 - used, " ", a);
	}
}

void term_vline(int y, int x, int h)
{
	for (int i = 0; i < h; i++)
		put_text(y + i, x, 1, frame->v, style_attr(ST_DIM));
}

void term_box(int y, int x, int h, int w, const char *title, bool error)
{
	attr_t a = style_attr(error ? ST_ERROR : ST_FRAME);

	for (int i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	draw_hline(y, x + 1, w - 2, a);
	draw_hline(y + h - 1, x + 1, w - 2, a);
	for (int i = 1; i < h - 1; i++) {
		put_text(y + i, x, 1, frame->v, a);
		put_text(y + i, x + w - 1, 1, frame->v, a);
	}
	put_text(y, x, 1, frame->tl, a);
	put_text(y, x + w - 1, 1, frame->tr, a);
	put_text(y + h - 1, x, 1, frame->bl, a);
	put_text(y + h - 1, x + w - 1, 1, frame->br, a);
	if (title) {
		int used = put_text(y, x + 2, w - 4, " ", a);
		used += put_text(y, x + 2 + used, w - 4 - used, title, a);
		put_text(y, x + 2 + used, w - 4 - used, " ", a);
	}
}

void term_cursor(int y, int x, bool visible)
{
	curs_set(visible ? 1 : 0);
	if (visible)
		move(y, x);
}

void term_list(int y, int x, int h, int w, const struct ui_lines *L, int sel, bool focused,
	       int *scroll)
{
	if (h <= 0 || w <= 0)
		return;
	long first = sel >= 0 ? lines_find_tag(L, sel) : -1;
	if (first >= 0) {
		long last = first;
		while ((size_t)last + 1 < L->n && L->v[last + 1].tag == sel)
			last++;
		if (last >= *scroll + h)
			*scroll = (int)(last - h + 1);
		if (first < *scroll)
			*scroll = (int)first;
	}
	if (*scroll > (int)L->n - h)
		*scroll = (int)L->n - h;
	if (*scroll < 0)
		*scroll = 0;
	for (int i = 0; i < h && (size_t)(*scroll + i) < L->n; i++) {
		const struct ui_line *ln = &L->v[*scroll + i];
		term_line(y + i, x, w, ln, focused && sel >= 0 && ln->tag == sel);
	}
	/* A hint that more lines hide below or above. */
	if (*scroll + h < (int)L->n)
		term_text(y + h - 1, x + w - 3, 3, ST_DIM, " v ");
	if (*scroll > 0)
		term_text(y, x + w - 3, 3, ST_DIM, " ^ ");
}

void term_keybar(struct ui *ui, unsigned ctx)
{
	struct ui_lines L = {0};
	keymap_bar(lines_add(&L, -1), ctx);
	move(ui->rows - 1, 0);
	clrtoeol();
	term_line(ui->rows - 1, 0, ui->cols, &L.v[0], false);
	lines_free(&L);
}
