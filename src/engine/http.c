#include "tlsscope/http.h"

#include "tlsscope/textsafe.h"

#include <stdlib.h>
#include <string.h>

void http_parse_response(const char *buf, size_t len, struct tls_http *h)
{
	const char *p = buf, *end = buf + len;

	if (!buf || len == 0) {
		if (!h->error)
			h->error = xstrdup("the server sent no HTTP response");
		return;
	}
	const char *eol = memmem(p, len, "\r\n", 2);
	const char *line_end = eol ? eol : end;
	h->status_line = xmemdup0(p, (size_t)(line_end - p));
	/* "HTTP/1.1 400 Bad Request": three digits after the version. */
	if (strncmp(h->status_line, "HTTP/", 5) == 0) {
		const char *sp = strchr(h->status_line, ' ');
		int code = 0, digits = 0;
		for (const char *d = sp ? sp + 1 : ""; *d >= '0' && *d <= '9' && digits < 3; d++)
			code = code * 10 + (*d - '0'), digits++;
		h->status_code = digits == 3 ? code : 0;
	}
	p = eol ? eol + 2 : end;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			break;
		strlist_take(&h->headers, xmemdup0(p, (size_t)(eol - p)));
		p = eol + 2;
	}
	/* The first lines of the body: a refusal often says why only there ("No required SSL
	 * certificate was sent"). */
	if (eol && eol == p && p + 2 < end) {
		const char *b = p + 2;
		size_t blen = (size_t)(end - b);
		for (int lines = 0, i = 0; (size_t)i < blen; i++)
			if (b[i] == '\n' && ++lines == HTTP_BODY_HEAD_LINES) {
				blen = (size_t)i;
				break;
			}
		if (blen > HTTP_BODY_HEAD_BYTES)
			blen = HTTP_BODY_HEAD_BYTES;
		h->body_head = textsafe_escape(b, blen);
	}
}

bool http_names_certificate(const struct tls_http *h)
{
	const char *parts[] = {h->status_line, h->body_head};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && strcasestr(parts[i], "certificate"))
			return true;
	return false;
}
