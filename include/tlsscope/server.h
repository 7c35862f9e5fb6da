/* The listener: a TLS server that traces every client's handshake on the one loop, checks the
 * client's certificate without aborting, and reports each connection when it ends. */
#ifndef TLSSCOPE_SERVER_H
#define TLSSCOPE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/creds.h"
#include "tlsscope/event.h"
#include "tlsscope/loop.h"
#include "tlsscope/report.h"
#include "tlsscope/serial.h"

enum tls_respond { RESPOND_HTTP, RESPOND_ECHO, RESPOND_NONE };

struct tls_server_config {
	const char *addr; /* NULL: every address, IPv4 and IPv6 */
	unsigned port;	  /* 0: an ephemeral port (server_port tells which) */
	/* The server identity and the --client-ca anchors; borrowed until server_free. The
	 * engine's one certificate callback is installed on creds->cred (GnuTLS keeps it on the
	 * credentials, and the acceptable-CA list a server sends comes from them too); servers
	 * sharing creds share that callback, a client never touches it. */
	struct tls_creds *creds;
	enum tls_client_cert_mode client_cert;
	const struct tls_serial_rule *serials; /* the --allow-serial rules, or NULL */
	size_t n_serials;
	enum tls_respond respond;
	const char *priority;	    /* NULL: "NORMAL" */
	const char *alpn;	    /* comma-separated, or NULL */
	double handshake_timeout_s; /* per connection (default 10) */
	unsigned max_conns;	    /* concurrent connections (default 256) */
	unsigned history;	    /* reports kept (default 1000) */
	bool strict;		    /* reject a client whose certificate fails, in the handshake */
	const char *keylog_path;    /* NSS key log to append to, or NULL */
	const struct tls_report *own_chain; /* diagnose_own_chain of creds, or NULL; outlives */
};

/* The defaults of DESIGN.md §1 in one place: every address, an ephemeral port, no client
 * certificate, respond http, a 10 s handshake timeout, 256 connections, 1000 reports kept. */
struct tls_server_config server_config_defaults(void);

struct tls_server;

/* Called on the loop thread when a connection's report is final. The report belongs to the
 * server's history ring: valid until the ring drops it (after `history` more connections) or
 * the server is freed. */
typedef void (*tls_report_fn)(void *arg, const struct tls_report *r);

/* Binds and starts accepting on l. Events of every connection go to sink (may be NULL).
 * Returns NULL with err set (address in use, no identity, bad priority or ALPN). */
struct tls_server *server_start(struct loop *l, const struct tls_server_config *cfg,
				const struct tls_sink *sink, tls_report_fn on_report, void *arg,
				struct tls_error *err);

unsigned server_port(const struct tls_server *s);
size_t server_active(const struct tls_server *s); /* connections in progress */

/* The history, oldest first: i from 0 to server_history_count() - 1. */
size_t server_history_count(const struct tls_server *s);
const struct tls_report *server_history_get(const struct tls_server *s, size_t i);

/* Closes every connection without reporting it and stops listening. Accepts NULL. */
void server_free(struct tls_server *s);

#endif
