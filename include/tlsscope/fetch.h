/* A small blocking HTTP/1.0 client for OCSP and AIA fetching, meant for a worker thread: one
 * request, the whole answer, bounded by an absolute deadline. Only http:// URLs (OCSP and
 * caIssuers are plain HTTP by design, RFC 5280 §4.2.2.1). */
#ifndef TLSSCOPE_FETCH_H
#define TLSSCOPE_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

#define FETCH_MAX_BODY (1024 * 1024)

/* GET (body NULL) or POST body with content_type to url. On success returns 0 with the
 * response body in *out (caller frees) and the HTTP status in *status; on failure -1 with a
 * reason in *err (caller frees). deadline_ms is on the util_now_ms scale; a fetch also ends
 * soon after *stop becomes true (the connection was cancelled: the thread then ends instead of
 * waiting for its deadline). stop may be NULL. */
int fetch_http(const char *url, const char *content_type, const unsigned char *body, size_t len,
	       double deadline_ms, const atomic_bool *stop, unsigned char **out, size_t *out_len,
	       int *status, char **err);

#endif
