/* Lines of styled segments: what every view produces and term.c paints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "lines.h"
#include "tlsscope/textsafe.h"
#include "tlsscope/util.h"

static const struct ui_glyphs utf8_glyphs = {
	.ok = "\u2714",
	.bad = "\u2718",
	.warn = "!",
	.info = "i",
	.sent = "\u2192",
	.received = "\u2190",
	.failed_here = "\u25c0 failed here",
	.ellipsis = "\u2026",
	.bullet = "\u2022",
	.spinner = {"\u280b", "\u2819", "\u2839", "\u2838", "\u283c", "\u2834", "\u2826", "\u2827",
		    "\u2807", "\u280f"},
	.n_spinner = 10,
	.utf8 = true,
};

static const struct ui_glyphs ascii_glyphs = {
	.ok = "+",
	.bad = "x",
	.warn = "!",
	.info = "i",
	.sent = "->",
	.received = "<-",
	.failed_here = "<< failed here",
	.ellipsis = "~",
	.bullet = "*",
	.spinner = {"|", "/", "-", "\\"},
	.n_spinner = 4,
	.utf8 = false,
};

const struct ui_glyphs *glyphs_get(bool utf8)
{
	return utf8 ? &utf8_glyphs : &ascii_glyphs;
}

struct ui_line *lines_add(struct ui_lines *L, int tag)
{
	L->v = xrealloc(L->v, (L->n + 1) * sizeof(*L->v));
	struct ui_line *ln = &L->v[L->n++];
	*ln = (struct ui_line){.tag = tag};
	return ln;
}

static void line_take(struct ui_line *ln, enum ui_style st, char *text)
{
	ln->seg = xrealloc(ln->seg, (ln->n + 1) * sizeof(*ln->seg));
	ln->seg[ln->n++] = (struct ui_seg){.text = text, .style = st};
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *s = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	return s;
}

void line_addf(struct ui_line *ln, enum ui_style st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line_take(ln, st, vformat(fmt, ap));
	va_end(ap);
}

void line_add_safe(struct ui_line *ln, enum ui_style st, const char *untrusted)
{
	line_take(ln, st, untrusted ? textsafe_escape(untrusted, strlen(untrusted)) : xstrdup("-"));
}

void lines_blank(struct ui_lines *L)
{
	lines_add(L, -1);
}

void lines_text_line(struct ui_lines *L, enum ui_style st, int tag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line_take(lines_add(L, tag), st, vformat(fmt, ap));
	va_end(ap);
}

/* Decodes one UTF-8 character; returns its length (1 for an invalid byte, *wc = -1). */
static size_t utf8_next(const char *s, wchar_t *wc)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;
	wchar_t c;

	if (u[0] < 0x80) {
		*wc = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] < 0xe0) {
		len = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] < 0xf0) {
		len = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] < 0xf5) {
		len = 4;
		c = u[0] & 0x07;
	} else {
		*wc = -1;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*wc = -1;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	*wc = c;
	return len;
}

static int char_width(wchar_t wc)
{
	if (wc < 0)
		return 1;
	int w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	int w = 0;
	wchar_t wc;

	while (*s) {
		s += utf8_next(s, &wc);
		w += char_width(wc);
	}
	return w;
}

size_t text_fit(const char *s, int width)
{
	const char *p = s;
	int w = 0;
	wchar_t wc;

	while (*p) {
		size_t len = utf8_next(p, &wc);
		int cw = char_width(wc);
		if (w + cw > width)
			break;
		w += cw;
		p += len;
	}
	return (size_t)(p - s);
}

void lines_wrap(struct ui_lines *L, enum ui_style st, int tag, const char *prefix, const char *text,
		bool untrusted, int width)
{
	char *own = untrusted ? textsafe_escape(text ? text : "-", strlen(text ? text : "-"))
			      : xstrdup(text ? text : "");
	int indent = text_width(prefix);
	int avail = width - indent > 10 ? width - indent : 10;
	const char *p = own;
	bool first = true;

	do {
		while (!first && *p == ' ')
			p++;
		size_t fit = text_fit(p, avail);
		size_t cut = fit;
		if (p[fit]) {
			/* Break at the last space that fits; a word longer than the line is cut. */
			size_t sp = fit;
			while (sp > 0 && p[sp] != ' ')
				sp--;
			if (sp > 0)
				cut = sp;
		}
		struct ui_line *ln = lines_add(L, tag);
		if (first)
			line_addf(ln, st, "%s", prefix);
		else
			line_addf(ln, st, "%*s", indent, "");
		line_take(ln, st, xstrndup(p, cut));
		p += cut;
		first = false;
	} while (*p && (*p != ' ' || p[strspn(p, " ")]));
	free(own);
}

char *lines_text(const struct ui_lines *L, size_t i)
{
	size_t len = 0;
	const struct ui_line *ln = &L->v[i];

	for (size_t k = 0; k < ln->n; k++)
		len += strlen(ln->seg[k].text);
	char *s = xmalloc(len + 1);
	s[0] = '\0';
	for (size_t k = 0; k < ln->n; k++)
		strcat(s, ln->seg[k].text);
	return s;
}

long lines_find_tag(const struct ui_lines *L, int tag)
{
	for (size_t i = 0; i < L->n; i++)
		if (L->v[i].tag == tag)
			return (long)i;
	return -1;
}

void lines_free(struct ui_lines *L)
{
	for (size_t i = 0; i < L->n; i++) {
		for (size_t k = 0; k < L->v[i].n; k++)
			free(L->v[i].seg[k].text);
		free(L->v[i].seg);
	}
	free(L->v);
	L->v = NULL;
	L->n = 0;
}

/* A break may follow a space run, or an underscore (cipher suite names are one long word). */
static size_t token_len(const char *p)
{
	if (*p == ' ')
		return strspn(p, " ");
	size_t n = 0;
	while (p[n] && p[n] != ' ' && p[n] != '_')
		n++;
	return p[n] == '_' ? n + 1 : n;
}

void lines_fold(struct ui_lines *out, const struct ui_lines *in, int width, int indent)
{
	if (width < 8)
		width = 8;
	if (indent > width / 2)
		indent = width / 2;
	for (size_t i = 0; i < in->n; i++) {
		const struct ui_line *src = &in->v[i];
		struct ui_line *ln = lines_add(out, src->tag);
		int col = 0;
		bool cont = false; /* on a continuation line, nothing but the indent yet */

		for (size_t k = 0; k < src->n; k++) {
			const char *p = src->seg[k].text;
			enum ui_style st = src->seg[k].style;
			while (*p) {
				size_t len = token_len(p);
				char *tok = xstrndup(p, len);
				int tw = text_width(tok);
				if (cont && *p == ' ') {
					free(tok);
					p += len;
					continue;
				}
				if (col + tw > width && *p != ' ' && col > (cont ? indent : 0)) {
					/* Wrap: under the indent when the word fits there, else
					 * from the left edge. */
					int ind = tw <= width - indent ? indent : 0;
					free(tok); /* taken again on the new line */
					ln = lines_add(out, src->tag);
					if (ind)
						line_addf(ln, ST_NORMAL, "%*s", ind, "");
					col = ind;
					cont = true;
					continue;
				}
				if (col + tw > width && *p != ' ') {
					/* Longer than a whole line: cut it, the rest on the next.
					 */
					size_t fit = text_fit(tok, width - col);
					if (!fit)
						fit = 1;
					line_take(ln, st, xstrndup(p, fit));
					free(tok);
					p += fit;
					ln = lines_add(out, src->tag);
					col = 0;
					cont = true;
					continue;
				}
				line_take(ln, st, tok);
				col += tw;
				cont = cont && *p == ' ';
				p += len;
			}
		}
	}
}
