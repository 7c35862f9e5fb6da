/* The TUI's drawing model: views render reports into lines of styled segments, and only the
 * terminal layer (term.c) turns them into curses calls. Views are pure functions, unit-tested
 * without a terminal. */
#ifndef TLSSCOPE_UI_LINES_H
#define TLSSCOPE_UI_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* Roles, not colors: term.c maps each to a color pair or, in monochrome, to an attribute. */
enum ui_style {
	ST_NORMAL,
	ST_DIM,
	ST_TITLE,
	ST_OK,
	ST_ERROR,
	ST_WARN,
	ST_INFO,
	ST_KEY,	     /* a key name in the key bar and help */
	ST_SELECTED, /* the selected row of the focused region */
	ST_FRAME,    /* region titles and rules */
	ST_COUNT,
};

struct ui_seg {
	char *text; /* printable UTF-8 (or ASCII), never raw network text */
	enum ui_style style;
};

struct ui_line {
	struct ui_seg *seg;
	size_t n;
	int tag; /* the item this line shows (a step, a certificate, a finding), or -1 */
};

/* A growable list of lines; zero-initialised is empty. */
struct ui_lines {
	struct ui_line *v;
	size_t n;
};

/* Symbols, in UTF-8 or in ASCII when the terminal cannot show UTF-8. */
struct ui_glyphs {
	const char *ok, *bad, *warn, *info, *sent, *received, *failed_here, *ellipsis, *bullet;
	const char *spinner[10];
	unsigned n_spinner;
	bool utf8;
};

const struct ui_glyphs *glyphs_get(bool utf8);

struct ui_line *lines_add(struct ui_lines *L, int tag);
/* Appends a segment of trusted text (our own words, numbers, catalog strings). */
void line_addf(struct ui_line *ln, enum ui_style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends text from the network or a certificate: control characters, escape sequences and
 * bidi overrides are shown escaped (textsafe_escape); NULL shows as "-". */
void line_add_safe(struct ui_line *ln, enum ui_style st, const char *untrusted);
/* Appends an empty line, or one line of trusted text in one style. */
void lines_blank(struct ui_lines *L);
void lines_text_line(struct ui_lines *L, enum ui_style st, int tag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Word-wraps text (escaped when untrusted) to width columns; lines after the first are indented
 * by the display width of prefix. */
void lines_wrap(struct ui_lines *L, enum ui_style st, int tag, const char *prefix, const char *text,
		bool untrusted, int width);
/* Appends in's lines to out, each broken to width columns at spaces (or after an
 * underscore): a continuation is indented by indent columns, or starts at the left edge when
 * the word does not fit beside the indent. Only a word wider than width is cut. */
void lines_fold(struct ui_lines *out, const struct ui_lines *in, int width, int indent);
/* The text of line i, segments joined (for tests and searches). Caller frees. */
char *lines_text(const struct ui_lines *L, size_t i);
/* The first line whose tag is tag, or -1. */
long lines_find_tag(const struct ui_lines *L, int tag);
void lines_free(struct ui_lines *L); /* accepts an empty list; leaves it empty */

/* Display columns of UTF-8 text (wide characters count 2, invalid bytes 1). */
int text_width(const char *s);
/* The number of bytes of s that fit in width columns. */
size_t text_fit(const char *s, int width);

#endif
