#include "tlsscope/textsafe.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tlsscope/util.h"

/* Decodes one UTF-8 sequence at s (n bytes left). Returns its length and the code point, or 0
 * when the sequence is invalid (overlong, surrogate, truncated, above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that change how a terminal shows the text around them. */
static bool is_dangerous(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c;
}

/* C0 80: a NUL byte carried inside a C string (textsafe.h). */
static bool is_carried_nul(const unsigned char *s, size_t n)
{
	return n >= 2 && s[0] == 0xc0 && s[1] == 0x80;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static char *buf_finish(struct buf *b)
{
	if (!b->p)
		return xstrdup("");
	return b->p;
}

char *textsafe_escape(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	struct buf b = {0};
	char esc[16];

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 && is_carried_nul(s + i, len - i)) {
			buf_put(&b, "\\x00", 4);
			i += 2;
			continue;
		}
		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			buf_put(&b, esc, strlen(esc));
			i++;
			continue;
		}
		if (is_dangerous(cp)) {
			if (cp < 0x80)
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
			else
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
			buf_put(&b, esc, strlen(esc));
		} else {
			buf_put(&b, (const char *)s + i, n);
		}
		i += n;
	}
	return buf_finish(&b);
}

static char *utf8_repair(const char *str, size_t len, size_t *out_len)
{
	const unsigned char *s = (const unsigned char *)str;
	struct buf b = {0};

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 && out_len && is_carried_nul(s + i, len - i)) {
			buf_put(&b, "", 1);
			i += 2;
			continue;
		}
		if (n == 0 || cp == 0) {
			buf_put(&b, "\xef\xbf\xbd", 3);
			i += n ? n : 1;
			continue;
		}
		buf_put(&b, (const char *)s + i, n);
		i += n;
	}
	if (out_len)
		*out_len = b.n;
	return buf_finish(&b);
}

char *textsafe_utf8(const char *s, size_t len)
{
	return utf8_repair(s, len, NULL);
}

char *textsafe_utf8_nul(const char *s, size_t len, size_t *out_len)
{
	return utf8_repair(s, len, out_len);
}

char *textsafe_bytes(const unsigned char *s, size_t len)
{
	struct buf b = {0};
	char esc[8];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '\r')
			buf_put(&b, "\\r", 2);
		else if (c == '\n')
			buf_put(&b, "\\n", 2);
		else if (c == '\t')
			buf_put(&b, "\\t", 2);
		else if (c == '\\')
			buf_put(&b, "\\\\", 2);
		else if (c >= 0x20 && c < 0x7f)
			buf_put(&b, (const char *)&c, 1);
		else {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			buf_put(&b, esc, 4);
		}
	}
	return buf_finish(&b);
}
