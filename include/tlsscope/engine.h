/* The client engine: one connection from name resolution to the final report. */
#ifndef TLSSCOPE_ENGINE_H
#define TLSSCOPE_ENGINE_H

#include <stdbool.h>

#include "tlsscope/creds.h"
#include "tlsscope/event.h"
#include "tlsscope/loop.h"
#include "tlsscope/report.h"

enum tls_http_mode { HTTP_AUTO, HTTP_ON, HTTP_OFF };

/* client_start copies the strings: the caller may free them once it returns. */
struct tls_client_config {
	const char *host;
	unsigned port;
	const char *sni; /* NULL: the host when it is a name */
	bool no_sni;
	const char *verify_name; /* NULL: the host */
	const char *alpn;	 /* comma-separated, or NULL */
	const char *priority;	 /* GnuTLS priority string, or NULL for "NORMAL" */
	int tls_max;		 /* 0 default, 12 or 13 */
	double timeout_s;	 /* bounds the whole run */
	enum tls_http_mode http;
	const char *http_path; /* NULL: "/" */
	bool strict;
	bool force_client_cert;
	bool no_probe;		  /* no follow-up probes after a failed handshake */
	bool resume;		  /* connect again, resuming the first session */
	bool ocsp;		  /* ask the certificates' AIA OCSP responders (revocation.c) */
	bool fetch_intermediates; /* complete an incomplete chain from AIA caIssuers (aia.c) */
	const char *keylog_path;  /* NSS key log to append to, or NULL */
	/* STARTTLS before the handshake: a protocol name (starttls.h), "none" for plain TLS, or
	 * NULL for the protocol the port implies (587: smtp, 5432: postgres, ...). */
	const char *starttls;
	/* --proxy: "http://[user@]host:port", "socks5://...", "socks5h://..." (proxy.h), or NULL;
	 * proxy_password is the password for its user (never in the URL), or NULL. */
	const char *proxy;
	const char *proxy_password;
	/* Required; borrowed until client_free, never changed: the client's certificate callback
	 * lives on GnuTLS credentials of its own. */
	struct tls_creds *creds;
};

/* The defaults of DESIGN.md §1 in one place: port 443, a 10 s timeout, HTTP automatic; no
 * creds (the caller sets them). */
struct tls_client_config client_config_defaults(void);

struct tls_client;

/* Starts a connection on loop. Events go to sink; the report (zeroed or initialised by the
 * caller, who frees it) is filled as it goes. done is called once, on the loop thread, when the
 * report is final. Returns NULL with err set when the configuration is unusable (bad priority
 * string, bad ALPN list). */
struct tls_client *client_start(struct loop *l, const struct tls_client_config *cfg,
				const struct tls_sink *sink, struct tls_report *report,
				void (*done)(void *arg), void *done_arg, struct tls_error *err);

/* Stops a running connection (Esc in the TUI): the report ends as a failure "cancelled", and
 * no follow-up (--resume's second connection, a probe) starts; a running resumption stops. */
void client_cancel(struct tls_client *c);
void client_free(struct tls_client *c); /* accepts NULL; cancels if still running */

/* Runs one connection to the end on a loop of its own. Returns 0, or -1 with err set for an
 * unusable configuration. */
int client_run(const struct tls_client_config *cfg, const struct tls_sink *sink,
	       struct tls_report *report, struct tls_error *err);

#endif
