/* Reaching the peer: the proxy, the name, the TCP connection, the STARTTLS upgrade, and a peer that
 * does not speak TLS at all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_parts.h"
#include "tlsscope/starttls.h"
#include "tlsscope/textsafe.h"

bool diag_reach(struct tls_report *r)
{
	const char *err = r->handshake.error ? r->handshake.error : "";

	/* Through a proxy that failed, every other symptom (refused, timed out, unresolvable)
	 * is the proxy's. */
	if (r->proxy.outcome == PROXY_REFUSED || r->proxy.outcome == PROXY_FAILED)
		diag_add(r, FINDING_PROXY_FAILURE, SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else if (r->handshake.gai_error)
		diag_add(r, FINDING_DNS_FAILURE, SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else if (r->handshake.sys_errno == ETIMEDOUT)
		diag_add(r, FINDING_CONNECTION_TIMEOUT, SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else if (r->handshake.sys_errno)
		diag_add(r, FINDING_CONNECTION_REFUSED, SUBJ_CONNECTION, -1, NULL, "%s.", err);
	else
		return false;
	return true;
}

bool diag_starttls(struct tls_report *r)
{
	static const struct {
		enum tls_starttls_outcome outcome;
		enum finding_id id;
	} ids[] = {{STARTTLS_NOT_OFFERED, FINDING_STARTTLS_NOT_OFFERED},
		   {STARTTLS_REFUSED, FINDING_STARTTLS_REFUSED},
		   {STARTTLS_FAILED, FINDING_STARTTLS_FAILED}};
	const struct tls_starttls *st = &r->starttls;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (st->protocol && st->outcome == ids[i].outcome) {
			diag_add(r, ids[i].id, SUBJ_CONNECTION, -1, NULL, "%s.",
				 r->handshake.error ? r->handshake.error : st->protocol);
			return true;
		}
	return false;
}

/* A plain TLS connect met a plaintext greeting this tool can upgrade from. */
static bool starttls_needed(struct tls_report *r)
{
	const char *p = r->starttls.protocol
				? NULL
				: starttls_recognise(r->handshake.first_bytes,
						     r->handshake.n_first_bytes, r->target.port);
	if (!p)
		return false;
	char *bytes = textsafe_bytes(r->handshake.first_bytes, r->handshake.n_first_bytes);
	diag_add(r, FINDING_STARTTLS_NEEDED, SUBJ_CONNECTION, -1, NULL,
		 "The server greeted in plain text (\"%s\"): this is %s, which starts in plain "
		 "text and upgrades to TLS. Connect with --starttls %s.",
		 bytes, p, p);
	free(bytes);
	return true;
}

/* A TLS record starts with a content type (20..24) and major version 3 (RFC 8446 §5.1). */
static bool looks_like_tls(const unsigned char *b, size_t n)
{
	if (n == 0)
		return true;
	if (b[0] < 20 || b[0] > 24)
		return false;
	return n < 2 || b[1] == 3;
}

static bool starts_with(const unsigned char *b, const char *s)
{
	return strncmp((const char *)b, s, strlen(s)) == 0;
}

bool diag_not_tls(struct tls_report *r, enum diag_side side)
{
	const unsigned char *b = r->handshake.first_bytes;
	bool listen = side == DIAG_LISTEN;

	if (looks_like_tls(b, r->handshake.n_first_bytes))
		return false;
	if (!listen && starttls_needed(r))
		return true;
	/* Plain HTTP: a server's answer, or a client's request. */
	bool http = listen ? starts_with(b, "GET ") || starts_with(b, "POST ")
			   : starts_with(b, "HTTP/");
	char *bytes = textsafe_bytes(b, r->handshake.n_first_bytes);
	diag_add(r, FINDING_NOT_TLS, SUBJ_CONNECTION, -1,
		 listen ? "Point the client at https:// (or its TLS option) for this port." : NULL,
		 "%s \"%s\", which is not a TLS %s%s.",
		 listen ? "The client's first bytes were" : "The first bytes from the peer were",
		 bytes, listen ? "ClientHello" : "record",
		 !http	  ? ""
		 : listen ? ": it speaks plain HTTP (http:// instead of https://)"
			  : ": it is a plain HTTP server");
	free(bytes);
	return true;
}
