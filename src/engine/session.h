/* Engine-internal: one TLS session set-up for both roles. client.c and server.c (and a test
 * that drives the two over memory) describe what they want in a struct session_config; this
 * module makes the GnuTLS session, installs the one handshake hook, the certificate callback
 * and the --strict verify callback, and reads records with one classification. */
#ifndef TLSSCOPE_ENGINE_SESSION_H
#define TLSSCOPE_ENGINE_SESSION_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <sys/types.h>

#include "tlsscope/creds.h"
#include "tlsscope/report.h"
#include "tlsscope/util.h"
#include "tlsscope/verify.h"
#include "trace.h"

enum session_role { SESSION_CLIENT, SESSION_SERVER };

/* Called for every handshake message but ChangeCipherSpec, before it is recorded; taken says
 * whether the once-per-message rule (trace_hook_takes) records this call. Returns 1 to record
 * it as a step when taken, 0 to leave it out, or a GnuTLS error to stop the handshake (a probe
 * stops at the server's first answer). owner is the trace's owner. */
typedef int (*session_message_fn)(void *owner, enum tls_step_type type, bool taken,
				  unsigned incoming, const gnutls_datum_t *msg);

/* A check of the peer's leaf after the chain verified, for --strict (the listener's serial
 * allowlist). Returns 0 to accept, -1 to refuse. */
typedef int (*session_leaf_fn)(void *owner, gnutls_x509_crt_t leaf);

/* What a session needs; everything is borrowed and must outlive the session. */
struct session_config {
	enum session_role role;
	gnutls_priority_t prio;
	gnutls_certificate_credentials_t cred; /* the certificate callback is set on it */
	const struct tls_creds *creds;	       /* the identity the callback hands out */
	const gnutls_datum_t *alpn;
	unsigned n_alpn;
	session_message_fn on_message; /* NULL: every taken message is a step */
	/* --strict: verify in the handshake with vreq (and on_leaf), NULL: not strict. */
	const struct verify_request *strict_vreq;
	session_leaf_fn on_leaf;
	bool peer_cert_required; /* --strict refuses a peer without a certificate */
	/* Client only. */
	const char *sni;		   /* NULL: none */
	const gnutls_datum_t *resume_data; /* a session to resume, or NULL */
	bool force_client_cert;		   /* send ours though the issuer is not listed */
	/* Server only. */
	enum tls_client_cert_mode client_cert;
	const gnutls_datum_t *ticket_key; /* session tickets, or NULL */
};

/* Makes t->s for the role, on t's transport (trace_set_transport: t->io, or t->fd). t->rep,
 * t->owner and the transport fields must be set. The config is copied into t. Returns 0, or
 * the GnuTLS error (session_deinit frees what was made). */
int session_init(struct tls_trace *t, const struct session_config *cfg);
void session_deinit(struct tls_trace *t); /* frees t->s; accepts a trace without one */

/* Creates the certificate credentials a client session uses: its own, so that a caller's
 * tls_creds is never changed (its certificate callback stays the caller's). Freed with
 * gnutls_certificate_free_credentials. Returns 0 or a GnuTLS error. */
int session_client_cred(gnutls_certificate_credentials_t *cred);

/* The priority string (NULL or empty: "NORMAL"), with TLS 1.3 disabled when tls_max is 12.
 * Returns 0, or -1 with err saying where the string is wrong. */
int session_priority(const char *priority, int tls_max, gnutls_priority_t *prio,
		     struct tls_error *err);
/* The TLS versions prio allows, highest first ("TLS1.3", ...; GnuTLS's static names), at
 * most SESSION_MAX_VERSIONS. Returns the count. */
#define SESSION_MAX_VERSIONS 8
int session_versions(gnutls_priority_t prio, const char *out[SESSION_MAX_VERSIONS]);

/* The highest version a ClientHello offers: its supported_versions extension (RFC 8446
 * §4.2.1) when present, else legacy_version ("TLS1.3", static). NULL when the message cannot
 * be read. */
const char *session_client_hello_max_version(const gnutls_datum_t *msg);

/* What one read gave (session_read). Warning alerts are recorded and skipped; a fatal one is
 * recorded (as after the handshake) and gives SESSION_ALERT. */
enum session_read {
	SESSION_DATA,	   /* *n bytes in buf */
	SESSION_AGAIN,	   /* nothing yet, nothing buffered: wait for POLLIN */
	SESSION_EOF,	   /* close_notify */
	SESSION_ALERT,	   /* a fatal alert (recorded) */
	SESSION_TRANSPORT, /* the connection broke or closed without close_notify: *rc says how */
	SESSION_ERROR,	   /* anything else (a bad record, a KeyUpdate gone wrong): *rc */
};

/* Reads one record's worth of application data into buf. *n is the byte count for
 * SESSION_DATA; *rc the GnuTLS code for SESSION_TRANSPORT and SESSION_ERROR (else 0). */
enum session_read session_read(struct tls_trace *t, void *buf, size_t len, size_t *n, int *rc);

#endif
