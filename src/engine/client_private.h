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

	/* --resume: the session to come back with; the second connection is a client of its
	 * own (in probe, below) that sets it before its handshake. */
	bool is_resume;
	gnutls_datum_t session_data;
	bool session_data_lent;

	/* Follow-up probes (DESIGN.md §5): a probe is a client of its own that stops at the
	 * server's first answer. */
	bool is_probe;
	int probe_stage;
	struct tls_client *probe;
	int probe_timer;
	struct tls_report probe_report;
	char *probe_priority;

	double handshake_done_ms; /* trace_elapsed() when the handshake completed, -1: not */
	bool wait_first_record;
	bool body_wait;
	/* the headers of a refusal are in: a short wait for its body */ /* no HTTP request:
									    wait for the
									    server's first
									    data or close */

	struct starttls *st; /* the plaintext upgrade (and the request after TLS), or NULL */

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

/* --resume: a second client with the first session's data; concludes when it is done. */
void client_start_resume(struct tls_client *c);
/* After a handshake refused before ServerHello: whether to probe, and the probes, which end
 * in client_finish. */
bool client_should_probe(const struct tls_client *c);
void client_start_probes(struct tls_client *c);

#endif
