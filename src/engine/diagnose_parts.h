/* The diagnosis's parts, shared between its files: diagnose.c (the entry points that run the
 * parts), diagnose_common.c (adding findings, small helpers the parts share), diagnose_reach.c
 * (resolving, TCP, STARTTLS, not TLS at all), diagnose_handshake.c (the one handshake-failure
 * ladder for both roles), diagnose_client.c (client certificates), diagnose_chain.c (trust and the
 * per-certificate checks) and diagnose_name.c (SNI, hostname). Internal to the engine: no public
 * header includes it. */
#ifndef TLSSCOPE_ENGINE_DIAGNOSE_PARTS_H
#define TLSSCOPE_ENGINE_DIAGNOSE_PARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/findings.h"
#include "tlsscope/report.h"

/* Which end of the connection tlsscope was: connect (the client) or listen (the server). The
 * words for the peer, and a few checks, depend on it. */
enum diag_side { DIAG_CONNECT, DIAG_LISTEN };

/* diagnose_common.c: adding findings from the catalog. detail is formatted; fix NULL means the
 * catalog's; cert_index also marks that certificate's status (-1: none). */
void diag_add(struct tls_report *r, enum finding_id id, enum tls_subject subj, int cert_index,
	      const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with a severity other than the catalog's (a finding that matters less here). */
void diag_add_sev(struct tls_report *r, enum finding_id id, enum tls_severity sev,
		  enum tls_subject subj, int cert_index, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Copies a finding of another report (same catalog id) into r, with sev, cert_index, fix. */
void diag_copy(struct tls_report *r, const struct tls_finding *f, enum tls_severity sev,
	       enum tls_subject subj, int cert_index, const char *fix);

/* diagnose_common.c: small helpers. */
/* The list joined with ", " into buf, or empty when it has no entries. */
void diag_join(const struct strlist *l, char *buf, size_t len, const char *empty);
/* The name of the last handshake message (not an alert, not a probe's) and its direction. */
const char *diag_last_step(const struct tls_report *r, enum tls_dir *dir);
/* "certificate_required", or "unknown". */
const char *diag_alert_name(int code);
bool diag_has_step(const struct tls_report *r, enum tls_dir dir, enum tls_step_type type);
/* An alert ended the handshake: a fatal one, one of a level that is neither warning nor fatal,
 * or a warning after which the peer hung up. */
bool diag_alert_ended(const struct tls_report *r);

/* diagnose_reach.c */
/* Name resolution and TCP: true when the connection never got that far. */
bool diag_reach(struct tls_report *r);
/* The STARTTLS upgrade before the handshake failed: true when that is the whole story. */
bool diag_starttls(struct tls_report *r);
/* The peer's first bytes are not TLS: adds not-tls (or starttls-needed) and returns true. */
bool diag_not_tls(struct tls_report *r, enum diag_side side);

/* diagnose_handshake.c */
/* The handshake-failure ladder: timeout, not TLS, version or cipher mismatch, the peer's
 * alert, the peer hanging up. claimed: an earlier finding explains the failure. */
void diag_handshake(struct tls_report *r, enum diag_side side, bool claimed);
void diag_version(struct tls_report *r);
/* A failed handshake no error finding explains, once every other check has run. */
void diag_unexplained(struct tls_report *r, enum diag_side side);

/* diagnose_client.c */
void diag_identity(struct tls_report *r);
bool diag_client_cert(struct tls_report *r);
bool diag_listen_client_cert(struct tls_report *r);
void diag_serial(struct tls_report *r);

/* diagnose_chain.c */
/* Trust, every certificate, the anchor, the order and revocation of r->chain. */
void diag_chain(struct tls_report *r, enum tls_subject subj);
void diag_trust(struct tls_report *r, enum tls_subject subj, bool *any);
void diag_anchor(struct tls_report *r, enum tls_subject subj, long long now, bool *any);
/* The per-certificate checks of r->chain[i]; files: the certificates come from files (inspect),
 * not from a peer. Sets *any when an error was found. */
void diag_cert(struct tls_report *r, enum tls_subject subj, size_t i, long long now, bool files,
	       bool *any);
bool diag_has_purpose(const struct tls_cert_info *ci, bool server);

/* diagnose_suites.c: clients-lack-suite, from the client profiles' suite rules. */
void diag_suites(struct tls_report *r);

/* diagnose_name.c */
bool diag_sni(struct tls_report *r);
void diag_hostname(struct tls_report *r, enum tls_subject subj);
/* inspect: certificate i is a server leaf with its name only in the CN. */
void diag_cn_only(struct tls_report *r, enum tls_subject subj, size_t i);

#endif
