/* The HTTP probe's answer: status line and headers, as far as they came. */
#ifndef TLSSCOPE_HTTP_H
#define TLSSCOPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/report.h"

/* Parses the start of an HTTP/1.x response (buf need not be NUL-terminated; it may be cut
 * anywhere) into h: status_line, status_code (0 when it is not HTTP), headers up to the blank
 * line. Sets h->error when nothing came. */
void http_parse_response(const char *buf, size_t len, struct tls_http *h);

/* body_head keeps at most this much of the body (then escaped). */
#define HTTP_BODY_HEAD_LINES 8
#define HTTP_BODY_HEAD_BYTES 400

/* Whether the answer speaks of a certificate (status line or the body's first lines): a 401
 * or 403 that does is a refusal of the client certificate. */
bool http_names_certificate(const struct tls_http *h);

#endif
