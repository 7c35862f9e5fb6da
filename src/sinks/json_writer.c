#include "json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/textsafe.h"
#include "tlsscope/util.h"

void jw_flush(struct jw *w)
{
	if (w->n)
		fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->n + n > sizeof(w->buf)) {
		jw_flush(w);
		if (n > sizeof(w->buf)) {
			fwrite(s, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
}

static void jw_cstr(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_newline(struct jw *w, int depth)
{
	static const char spaces[] = "                                ";

	jw_raw(w, "\n", 1);
	for (int i = 0; i < depth; i++)
		jw_raw(w, spaces, 2);
}

/* What comes before a value: the separator and indentation, and the key inside an object. */
static void jw_pre(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (w->has[w->depth])
			jw_raw(w, ",", 1);
		w->has[w->depth] = true;
		if (w->pretty)
			jw_newline(w, w->depth);
	}
	if (key) {
		jw_raw(w, "\"", 1);
		jw_cstr(w, key);
		jw_raw(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
	}
}

void jw_open(struct jw *w, const char *key, const char *bracket)
{
	jw_pre(w, key);
	jw_raw(w, bracket, 1);
	w->has[++w->depth] = false; /* the report nests 6 deep at most */
}

void jw_close(struct jw *w, const char *bracket)
{
	bool had = w->has[w->depth];

	w->depth--;
	if (had && w->pretty)
		jw_newline(w, w->depth);
	jw_raw(w, bracket, 1);
}

void jw_null(struct jw *w, const char *key)
{
	jw_pre(w, key);
	jw_raw(w, "null", 4);
}

void jw_bool(struct jw *w, const char *key, bool b)
{
	jw_pre(w, key);
	jw_cstr(w, b ? "true" : "false");
}

void jw_int(struct jw *w, const char *key, long long v)
{
	char buf[32];

	jw_pre(w, key);
	jw_raw(w, buf, (size_t)snprintf(buf, sizeof(buf), "%lld", v));
}

/* jansson's jsonp_dtostr. A value JSON cannot hold (json_real refuses it) leaves the key out. */
void jw_real(struct jw *w, const char *key, double v)
{
	char buf[64];

	if (!isfinite(v))
		return;
	int len = snprintf(buf, sizeof(buf) - 3, "%.12g", v);
	if (len < 0 || (size_t)len >= sizeof(buf) - 3)
		return;
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	char *e = strchr(buf, 'e');
	if (e) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)len - (size_t)(end - buf) + 1);
			len -= (int)(end - start);
		}
	}
	jw_pre(w, key);
	jw_raw(w, buf, (size_t)len);
}

/* s is valid UTF-8 (NUL bytes allowed): escaped as jansson does, with DEL as \u007f. */
static void jw_escaped(struct jw *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0; /* bytes at s that need no escape */

	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		const char *esc = NULL;
		char seq[16];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		jw_raw(w, (const char *)s + run, i - run);
		size_t len = 1;
		unsigned long cp = c;
		if (c >= 0xf0)
			len = 4, cp = c & 0x07;
		else if (c >= 0xe0)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xc0)
			len = 2, cp = c & 0x1f;
		for (size_t k = 1; k < len && i + k < n; k++)
			cp = (cp << 6) | (s[i + k] & 0x3f);
		switch (cp) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case 0x7f:
			esc = "\\u007f";
			break;
		default:
			break;
		}
		if (esc) {
			jw_cstr(w, esc);
		} else {
			unsigned long units[2] = {cp, 0};
			int nu = 1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units[0] = 0xd800 | ((cp & 0xffc00) >> 10);
				units[1] = 0xdc00 | (cp & 0x3ff);
				nu = 2;
			}
			for (int u = 0; u < nu; u++) {
				char *p = seq + 6 * u;
				p[0] = '\\', p[1] = 'u';
				for (int d = 0; d < 4; d++)
					p[2 + d] = hex[(units[u] >> (12 - 4 * d)) & 0xf];
			}
			jw_raw(w, seq, 6 * (size_t)nu);
		}
		i += len;
		run = i;
	}
	jw_raw(w, (const char *)s + run, n - run);
}

/* A string value, null when s is NULL. */
void jw_str(struct jw *w, const char *key, const char *s)
{
	if (!s) {
		jw_null(w, key);
		return;
	}
	size_t len = strlen(s);
	const unsigned char *u = (const unsigned char *)s;
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = u[i] < 0x80;
	jw_pre(w, key);
	jw_raw(w, "\"", 1);
	if (ascii) {
		jw_escaped(w, u, len);
	} else {
		size_t n;
		char *clean = textsafe_utf8_nul(s, len, &n);
		jw_escaped(w, (const unsigned char *)clean, n);
		free(clean);
	}
	jw_raw(w, "\"", 1);
}

/* A string the program itself names (json_string): a NULL one leaves the key out. */
void jw_name(struct jw *w, const char *key, const char *s)
{
	if (s)
		jw_str(w, key, s);
}

void jw_begin(struct jw *w, FILE *f, bool one_line)
{
	*w = (struct jw){.f = f, .pretty = !one_line};
}

char *jw_dump(jw_doc_fn fn, const void *arg, bool one_line)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	struct jw w;

	if (!f)
		return xstrdup("{}");
	jw_begin(&w, f, one_line);
	fn(&w, arg);
	jw_flush(&w);
	if (fclose(f) != 0 || !s) {
		free(s);
		return xstrdup("{}");
	}
	return s;
}
