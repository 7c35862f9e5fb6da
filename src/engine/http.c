#include "tlsscope/http.h"

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
}
