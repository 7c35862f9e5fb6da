/* Engine-internal: the client's state, shared by client.c and client_followup.c. */
#ifndef TLSSCOPE_ENGINE_CLIENT_PRIVATE_H
#define TLSSCOPE_ENGINE_CLIENT_PRIVATE_H

#include <gnutls/gnutls.h>
#include <netdb.h>

#include "tlsscope/engine.h"
#include "tlsscope/resolve.h"
#include "tlsscope/verify.h"
#include "trace.h"

enum phase { P_START, P_RESOLVE, P_CONNECT, P_STARTTLS, P_HANDSHAKE, P_POST, P_HTTP, P_DONE };

struct tls_client {
	struct loop *loop;
	struct tls_client_config cfg; /* its strings point into own[]: the caller's may go */
	char *own[8];
	bool cancelled;	     /* client_cancel ran: no follow-up starts */
	struct tls_trace tr; /* report, sink, t0, socket, session */
	struct tls_report *rep;
	void (*done)(void *arg);
	void *done_arg;

	enum phase phase;
	double deadline;
	int timer;
	struct resolve_job *rj;
	struct addrinfo *ai_list, *ai_next;
	int last_errno;
	bool is_ip;

	gnutls_priority_t prio;
	gnutls_datum_t alpn[TRACE_MAX_ALPN];
	unsigned n_alpn;
	char *alpn_buf;
	struct verify_request vreq;
	bool ticket_seen;
	struct revocation_query *ocsp_query; /* --ocsp, while it runs */
	struct aia_fetch *aia_fetch;	     /* --fetch-intermediates, while it runs */
	bool followups_started;		     /* the fetch and the OCSP query were considered */

	/* --resume: the session to come back with; the second connection is a client of its
	 * own (in probe, below) that sets it before its handshake. */
	bool is_resume;
	gnutls_datum_t session_data;
	bool session_data_lent;

	/* Follow-up probes (DESIGN.md §5): a probe is a client of its own that stops at the
	 * server's first answer. */
	bool is_probe;
	bool is_sni_probe;   /* a full handshake with SNI, stopped once the certificate is in */
	bool sni_probe_late; /* it started after the first connection was over (client_finish) */
	bool sni_probed;     /* it ran (once a connection) */
	int n_followups;     /* probes started, SNI probe included: at most three */
	int probe_stage;
	struct tls_client *probe;
	int probe_timer;
	struct tls_report probe_report;
	char *probe_priority;

	double handshake_done_ms; /* trace_elapsed() when the handshake completed, -1: not */
	bool wait_first_record;	  /* no HTTP request: wait for the server's first data or close */
	bool body_wait;		  /* the headers of a refusal are in: a short wait for its body */
	struct starttls *st;	  /* the plaintext upgrade (and the request after TLS), or NULL */

	char *req;
	size_t req_len;
	bool req_sent;
	char *resp;
	size_t resp_len;
};

/* The connection is over: close it, then resume (--resume) or conclude. */
void client_finish(struct tls_client *c);
/* The report is final: diagnose it and hand it over. */
void client_conclude(struct tls_client *c);
/* The follow-up connections are over: the OCSP query (--ocsp), then the conclusion. */
void client_after_followups(struct tls_client *c);

/* --resume: a second client with the first session's data; concludes when it is done. */
void client_start_resume(struct tls_client *c);
/* After a handshake refused before ServerHello: whether to probe, and the probes, which end
 * in client_finish. */
bool client_should_probe(const struct tls_client *c);
void client_start_probes(struct tls_client *c);
/* No SNI was sent (an IP target, --no-sni) and the handshake failed, or the certificate is not
 * valid for the name checked: whether to try once with SNI. The name is --verify-name when it
 * is a DNS name, else a DNS name of the served leaf; an IP is never sent (RFC 6066 §3). */
bool client_should_probe_sni(const struct tls_client *c);
/* Starts it. late: the first connection is over (from client_finish), and the probe ends in
 * the OCSP query or the conclusion; else it ends in the version probes or client_finish. */
void client_start_sni_probe(struct tls_client *c, bool late);

#endif
