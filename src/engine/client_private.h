/* Engine-internal: the client's state, shared by client.c (the connection and its children's
 * lifecycle), client_app.c (what follows the handshake) and client_followup.c (what the
 * follow-up connections are and what their outcome means) and client_connect.c (resolution, TCP
 * and the proxy). client_app.c, client_followup.c and client_connect.c call nothing in
 * client.c: they read and fill the state and say what to do next, or call back through the
 * pointers they were given. */
#ifndef TLSSCOPE_ENGINE_CLIENT_PRIVATE_H
#define TLSSCOPE_ENGINE_CLIENT_PRIVATE_H

#include <gnutls/gnutls.h>
#include <netdb.h>

#include "tlsscope/engine.h"
#include "tlsscope/proxy.h"
#include "tlsscope/resolve.h"
#include "tlsscope/verify.h"
#include "trace.h"

enum phase {
	P_START,
	P_RESOLVE,
	P_CONNECT,
	P_PROXY,
	P_STARTTLS,
	P_HANDSHAKE,
	P_POST,
	P_HTTP,
	P_DONE
};

/* What a connection is for: the one asked for, or a child connection the first one owns
 * (DESIGN.md §5). A child reports to its parent through done and is freed by the parent. */
enum client_role {
	ROLE_MAIN,
	ROLE_RESUME,	/* --resume's second connection, with the first session's data */
	ROLE_PROBE,	/* a version/cipher probe: stops at the server's first answer */
	ROLE_SNI_PROBE, /* a full handshake with SNI, stopped once the certificate is in */
	/* After a handshake on a suite some clients lack: a probe offering only common suites
	 * (the child itself runs as a ROLE_PROBE). */
	ROLE_SUITE_PROBE,
};

/* The child connection a main connection runs at a time. */
struct client_child {
	enum client_role role; /* ROLE_MAIN: none */
	struct tls_client *conn;
	struct tls_report report; /* a probe's report (the resumption's is rep->resumption) */
	char *priority;		  /* a probe's priority string */
	int timer;		  /* frees the child from the loop once it is done */
	bool late;		  /* SNI probe: started after the first connection was over */
};

struct tls_client {
	struct loop *loop;
	struct tls_client_config cfg; /* its strings point into own[]: the caller's may go */
	char *own[10];
	enum client_role role;
	bool cancelled;	     /* client_cancel ran: no follow-up starts */
	struct tls_trace tr; /* report, sink, t0, socket, session */
	struct tls_report *rep;
	void (*done)(void *arg);
	void *done_arg;

	enum phase phase;
	double deadline;
	int timer;
	void (*io_step)(struct tls_client *c); /* what runs when the watched socket is ready */
	struct resolve_job *rj;
	struct addrinfo *ai_list, *ai_next;
	int last_errno;
	bool is_ip;

	gnutls_priority_t prio;
	gnutls_certificate_credentials_t cred; /* our own: the caller's creds stay unchanged */
	gnutls_datum_t alpn[TRACE_MAX_ALPN];
	unsigned n_alpn;
	char *alpn_buf;
	struct verify_request vreq;
	bool ticket_seen;
	struct revocation_query *ocsp_query; /* --ocsp, while it runs */
	struct aia_fetch *aia_fetch;	     /* --fetch-intermediates, while it runs */
	bool followups_started;		     /* the fetch and the OCSP query were considered */
	void (*lookups_done)(struct tls_client *c); /* what follows the fetch and the query */

	/* --resume: the session to come back with (lent to the child, freed with us). */
	gnutls_datum_t session_data;
	const gnutls_datum_t *resume_data; /* a resumption child: the parent's session_data */

	struct client_child child;
	bool sni_probed;   /* the SNI probe ran (once a connection) */
	bool suite_probed; /* the common-suite probe was considered */
	int n_followups;   /* probes started, SNI probe included: at most three */
	int probe_stage;

	double handshake_done_ms; /* trace_elapsed() when the handshake completed, -1: not */
	bool wait_first_record;	  /* no HTTP request: wait for the server's first data or close */
	bool body_wait;		  /* the headers of a refusal are in: a short wait for its body */
	struct starttls *st;	  /* the plaintext upgrade (and the request after TLS), or NULL */
	/* --proxy: the exchange with it, or NULL; with socks5:// the target's address, resolved
	 * here before the proxy's own name. */
	struct tls_proxy_spec px_spec;
	struct proxy *px;
	bool resolving_target;
	struct sockaddr_storage target_addr;
	bool have_target_addr;
	void (*reached)(struct tls_client *c); /* client_connect.c's two ends */
	void (*unreached)(struct tls_client *c);

	char *req;
	size_t req_len;
	bool req_sent;
	char *resp;
	size_t resp_len;
};

/* ---- client_connect.c: from the name to the target's bytes ---- */

/* --proxy parsed into c->px_spec (and named in the report); -1 with err set. */
int reach_setup(struct tls_client *c, struct tls_error *err);
/* Resolution, TCP (one address after another) and the proxy's tunnel: then reached(c) once
 * the target's bytes flow (c->tr.fd, EV_CONNECTED sent), or unreached(c) with the report
 * saying why. */
void reach_start(struct tls_client *c, void (*reached)(struct tls_client *c),
		 void (*unreached)(struct tls_client *c));
/* The deadline passed in P_RESOLVE, P_CONNECT or P_PROXY: the report says where. */
void reach_timeout(struct tls_client *c);
void reach_free(struct tls_client *c);

/* ---- client_app.c: the report's facts, and after the handshake ---- */

/* The offered versions, the key log, the target and the loaded client chain, before the
 * connection. */
void app_prepare_report(struct tls_client *c);
/* --starttls, or the protocol the port implies (not "none"): c->st. -1 with err set for an
 * unknown protocol. */
int app_starttls_setup(struct tls_client *c, struct tls_error *err);
/* The server's chain (verified) and the negotiated parameters into the report. */
void app_collect_chain(struct tls_client *c);
void app_collect_negotiated(struct tls_client *c);
/* The deadline passed in the handshake: a timeout that says where it waited. */
void app_handshake_timeout(struct tls_client *c);

/* What a step of the reading after the handshake asks for. */
enum app_next {
	APP_WAIT_IN,   /* watch for POLLIN, then call again */
	APP_WAIT_OUT,  /* watch for POLLOUT, then call again */
	APP_BODY_WAIT, /* a refusal's headers are in: a short wait for its body, call again */
	APP_DONE,      /* over: app_http_end (HTTP) or what follows the post-handshake read */
};

/* Whether one HTTP (or the STARTTLS protocol's) request follows the handshake. */
bool app_http_wanted(const struct tls_client *c);
/* TLS 1.3 (or a refusal that only shows as a close): the read after the handshake. */
enum app_next app_post_read(struct tls_client *c);
/* Builds the request (c->req). */
void app_http_begin(struct tls_client *c);
/* Sends the request and reads the answer as far as it goes. */
enum app_next app_http_pump(struct tls_client *c);
/* The answer is in, or the time is up (timeout: say so unless waiting for a body): parses it
 * into the report. */
void app_http_end(struct tls_client *c, bool timeout);

/* ---- client_followup.c: what the child connections are and what they found ---- */

/* DESIGN.md §5: a failed connection gets at most three follow-up connections. */
#define CLIENT_MAX_FOLLOWUPS 3

/* After the connections: --fetch-intermediates, then --ocsp, within the deadline. Returns true
 * when one started (then(c) follows once they are over), false when none applies. */
bool followup_lookups_start(struct tls_client *c, void (*then)(struct tls_client *c));
/* Esc during them: stops them (what they found is kept). Returns true when one ran: the caller
 * concludes. */
bool followup_lookups_cancel(struct tls_client *c);

/* After a completed handshake on a suite some client profile lacks (DHE, CCM, CBC with
 * SHA-256/384): the configuration of one probe that offers only what every common client
 * offers. False when none is due (or --no-probe, or no time or follow-up left). */
bool followup_suite_config(const struct tls_client *c, struct tls_client_config *pc);
/* The suite probe is over: its outcome into c->rep (a probe and a Probe step). */
void followup_suite_record(struct tls_client *c);

/* The configuration of --resume's second connection (false: no time left). */
bool followup_resume_config(const struct tls_client *c, struct tls_client_config *rc);
/* After a handshake refused before ServerHello: whether to probe. */
bool followup_should_probe(const struct tls_client *c);
/* The next version/cipher probe from c->probe_stage on: its configuration, its priority string
 * in *priority (the caller frees it). False when no stage is left. */
bool followup_probe_config(const struct tls_client *c, struct tls_client_config *pc,
			   char **priority);
/* The probe is over: its outcome into c->rep (a probe and a Probe step), and the next stage. */
void followup_probe_record(struct tls_client *c);
/* A probe's message callback: notes the server's choice and stops at its first answer. */
int followup_probe_message(void *owner, enum tls_step_type type, bool taken, unsigned incoming,
			   const gnutls_datum_t *msg);
/* No SNI was sent (an IP target, --no-sni) and the handshake failed, or the certificate is not
 * valid for the name checked: whether to try once with SNI. The name is --verify-name when it
 * is a DNS name, else a DNS name of the served leaf; an IP is never sent (RFC 6066 §3). */
bool followup_should_probe_sni(const struct tls_client *c);
void followup_sni_config(const struct tls_client *c, struct tls_client_config *pc);
/* The SNI probe is over: its outcome into c->rep. Returns whether it found the right
 * certificate with the name. */
bool followup_sni_record(struct tls_client *c);

#endif
