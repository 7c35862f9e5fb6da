/* The TUI's frame: a stack of screens (views, forms, dialogs, the file picker) on one engine
 * loop, the key table and the terminal layer. Only term.c calls curses for drawing; screens
 * draw through term_* and views. */
#ifndef TLSSCOPE_UI_SCREEN_H
#define TLSSCOPE_UI_SCREEN_H

#include <stdbool.h>

#include "lines.h"
#include "setup.h"
#include "tlsscope/loop.h"

/* ---- keys (keymap.c) ---- */

/* A key: a character (a Unicode code point) or KEYF(curses key code). */
#define KEYF(k)	    (0x1000000 + (k))
#define KEY_CTRL(c) ((c)&0x1f)
#define KEY_ESC	    27

enum ui_action {
	ACT_NONE,
	ACT_QUIT,
	ACT_HELP,
	ACT_NEXT,
	ACT_PREV,
	ACT_UP,
	ACT_DOWN,
	ACT_LEFT,
	ACT_RIGHT,
	ACT_PGUP,
	ACT_PGDN,
	ACT_TOP,
	ACT_BOTTOM,
	ACT_OPEN,
	ACT_BACK,
	ACT_FILTER,
	ACT_RECONNECT,
	ACT_TARGET,
	ACT_TRUST,
	ACT_IDENTITY,
	ACT_WHATIF,
	ACT_LISTEN,
	ACT_EXPORT,
	ACT_SAVE,
	ACT_FULLCHAIN,
	ACT_VERDICTS,
	ACT_HIDDEN,
	ACT_TOGGLE,
	ACT_BROWSE,
	ACT_RECENT,
	ACT_SIDE,
	ACT_SCENARIO,
	ACT_HOME,
	ACT_ERASE,
	ACT_CLEAR,
};

/* Where a binding applies: a screen's context bits. */
enum {
	CTX_CONN = 1 << 0,   /* connection view (connect, demo, inspect, a listen connection) */
	CTX_LISTEN = 1 << 1, /* listen view */
	CTX_HOME = 1 << 2,
	CTX_TEXT = 1 << 3, /* certificate detail, help, finding detail */
	CTX_PICKER = 1 << 4,
	CTX_FORM = 1 << 5,
	CTX_DIALOG = 1 << 6,
	CTX_DEMO = 1 << 7,    /* added to CTX_CONN in the demo */
	CTX_CLIENT = 1 << 8,  /* added to CTX_CONN when we are the client (reconnect, forms) */
	CTX_CERT = 1 << 9,    /* added to CTX_TEXT on a certificate */
	CTX_FILTER = 1 << 10, /* typing a filter: letters are text */
	CTX_LISTS = CTX_CONN | CTX_LISTEN | CTX_HOME | CTX_TEXT | CTX_PICKER,
};

enum ui_action keymap_lookup(unsigned ctx, int key);
/* The key bar of a context: the bindings marked for it, "q quit  ? help ...". */
void keymap_bar(struct ui_line *ln, unsigned ctx);
/* Every binding of the contexts in ctx, one line each, for `?`. */
void keymap_help(struct ui_lines *L, unsigned ctx);

/* ---- screens (app.c) ---- */

struct ui;
struct ui_screen;

struct ui_screen_ops {
	unsigned ctx; /* CTX_* bits for the key table */
	bool overlay; /* drawn over the screen below (dialogs and forms) */
	unsigned (*context)(struct ui_screen *s); /* NULL: ctx */
	void (*draw)(struct ui_screen *s, struct ui *ui);
	/* act is the key's action in this context (ACT_NONE when unbound). */
	void (*key)(struct ui_screen *s, struct ui *ui, int key, enum ui_action act);
	void (*free)(struct ui_screen *s);
	bool (*busy)(struct ui_screen *s); /* a connection runs: q asks first. May be NULL. */
};

struct ui_screen {
	const struct ui_screen_ops *ops;
	struct ui_screen *below;
};

struct ui {
	struct loop *loop;
	struct ui_screen *top;
	const struct ui_glyphs *g;
	bool color, utf8;
	int rows, cols;
	unsigned tick; /* the spinner's frame */
	int exit_code;
	bool quitting;
	int redraw_timer, tick_timer;
	struct ui_setup setup;		    /* what connect uses: target, trust, identity */
	struct ui_screen *connect_on_start; /* the first screen connects once curses runs */
	/* What the frame needs from above it (run.c sets them): a yes/no question, the help
	 * screen, and what follows the first screen's push. */
	void (*ask)(struct ui *ui, const char *question, void (*fn)(struct ui *ui, void *arg),
		    void *arg);
	void (*help)(struct ui *ui, unsigned ctx);
	void (*started)(struct ui *ui);
};

void ui_push(struct ui *ui, struct ui_screen *s);
void ui_pop(struct ui *ui); /* frees the top screen */
/* Takes s out of the stack wherever it is, and frees it. */
void ui_remove(struct ui *ui, struct ui_screen *s);
void ui_redraw(struct ui *ui);
void ui_dirty(struct ui *ui);	   /* redraw soon, coalescing bursts of events */
void ui_want_ticks(struct ui *ui); /* spinner ticks while something runs */
void ui_quit(struct ui *ui, int exit_code);
/* Leaves, asking first when a screen on the stack is busy. */
void ui_ask_quit(struct ui *ui, int exit_code);
/* Runs the frame with first on top until quit: the terminal, signals, input. Returns the exit
 * code, or -1 with err set when the terminal cannot start (first is freed either way). */
int ui_frame_run(struct ui *ui, struct ui_screen *first, struct tls_error *err);

/* ---- dialogs (dialog.c) ---- */

/* A message box over the current screen: title and wrapped text; any key closes it. */
void ui_message(struct ui *ui, bool error, const char *title, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A yes/no question: yes runs fn(arg). */
void ui_confirm(struct ui *ui, const char *question, void (*fn)(struct ui *ui, void *arg),
		void *arg);
/* A full-screen scrollable text: title and lines (taken over), e.g. help, a certificate's
 * detail. extra_ctx adds key contexts (CTX_CERT); on_key sees keys the view does not use. */
struct ui_screen *ui_text_new(const char *title, struct ui_lines *lines, unsigned extra_ctx,
			      void (*on_key)(struct ui *ui, void *arg, enum ui_action act),
			      void *arg, void (*free_arg)(void *arg));
void ui_help(struct ui *ui, unsigned ctx);

/* ---- the terminal (term.c) ---- */

bool term_known(void);	      /* TERM has a terminfo entry */
int term_init(struct ui *ui); /* -1 when curses cannot start */
void term_done(void);	      /* restores the terminal; safe to call twice and from a fatal hook */
void term_free(void);	      /* term_done, then frees curses' memory */
void term_resize(struct ui *ui);
int term_read_key(void); /* a key, or -1 when none is waiting */
void term_clear(void);
void term_flush(void);
/* Paints a line at (y, x), clipped to w columns; selected paints the whole row highlighted. */
void term_line(int y, int x, int w, const struct ui_line *ln, bool selected);
void term_text(int y, int x, int w, enum ui_style st, const char *text);
/* A horizontal rule with a title; bold when focused. */
void term_rule(int y, int x, int w, const char *title, bool focused);
void term_vline(int y, int x, int h);
/* A framed box with a title, its inside cleared. */
void term_box(int y, int x, int h, int w, const char *title, bool error);
void term_cursor(int y, int x, bool visible);

/* Paints lines[scroll..] into a region; the line tagged sel is highlighted when focused.
 * *scroll is adjusted to keep sel in view (follow: keep the end in view when sel < 0). */
void term_list(int y, int x, int h, int w, const struct ui_lines *L, int sel, bool focused,
	       int *scroll);
/* The key bar on the last row. */
void term_keybar(struct ui *ui, unsigned ctx);

#endif
