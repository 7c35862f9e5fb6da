/* STARTTLS: the plaintext exchange that upgrades a mail, directory or database connection to TLS
 * (SMTP RFC 3207, IMAP RFC 2595/9051, POP3 RFC 2595, FTP RFC 4217, LDAP RFC 4511 §4.14, XMPP
 * RFC 6120 §5, NNTP RFC 4642, ManageSieve RFC 5804, PostgreSQL's SSLRequest, MySQL's SSL
 * request), and the protocol's first request once TLS is up. Each protocol is one row of a table
 * in starttls.c. Everything the server says is bounded (one line, one exchange) and escaped
 * before it reaches the report. */
#ifndef TLSSCOPE_STARTTLS_H
#define TLSSCOPE_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/report.h"

struct tls_trace;
struct starttls_proto;
struct starttls;

/* The row for a protocol name ("smtp", ...), or NULL. */
const struct starttls_proto *starttls_find(const char *name);
/* The protocol a port implies (25 and 587: smtp, ...), or NULL. */
const struct starttls_proto *starttls_by_port(unsigned port);
const char *starttls_name(const struct starttls_proto *p); /* static */
/* The protocol names, comma-separated, for messages (static). */
const char *starttls_names(void);
/* The protocol whose plaintext greeting these first bytes are (a plain TLS connect that met
 * one), or NULL; the port settles "220" between SMTP and FTP. */
const char *starttls_recognise(const unsigned char *b, size_t n, unsigned port);

/* A plaintext upgrade for p on the way to host (XMPP names it). rep->starttls is filled as it
 * goes. Free with starttls_free (accepts NULL). */
struct starttls *starttls_new(const struct starttls_proto *p, const char *host,
			      struct tls_report *rep);
void starttls_free(struct starttls *st);

/* Runs the exchange on t->fd as far as it goes without blocking: 0 when the server agreed (the
 * TLS handshake starts now), 1 when it must wait for *events, -1 when it is over without an
 * upgrade (rep->starttls.outcome and handshake.error say why). One "StartTLS" step per command
 * and per answer. */
int starttls_run(struct starttls *st, struct tls_trace *t, short *events);
/* The deadline passed during the exchange. */
void starttls_timeout(struct starttls *st, double timeout_s);

/* After the handshake: the protocol's first request (EHLO, CAPABILITY, PostgreSQL's startup
 * message for user), or false when it has none. *req is the caller's to free. */
bool starttls_app_request(const struct starttls *st, const char *user, char **req, size_t *len);
/* Whether buf holds the whole first answer to it. */
bool starttls_app_complete(const struct starttls *st, const char *buf, size_t len);
/* Reads that answer into rep->application (error: why none came, or NULL). */
void starttls_app_judge(const struct starttls *st, const char *buf, size_t len, const char *error,
			struct tls_report *rep);

#endif
