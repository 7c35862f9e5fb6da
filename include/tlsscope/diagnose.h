/* Findings: the facts of a connection turned into problems, each with cause and fix. */
#ifndef TLSSCOPE_DIAGNOSE_H
#define TLSSCOPE_DIAGNOSE_H

#include "tlsscope/creds.h"
#include "tlsscope/findings.h"
#include "tlsscope/report.h"

/* The catalog row for a string id (explain, the profiles, the TUI), or NULL. */
const struct diag_entry *diagnose_lookup(const char *id);

/* Adds every finding that applies to a client connection's report and sets the verdict.
 * Findings already in the report are replaced. */
void diagnose_connect(struct tls_report *r);

/* The same for one client connection of the listener (mode listen): the client's chain, its
 * certificate against the --client-cert mode, and the serial allowlist. */
void diagnose_listen(struct tls_report *r);

/* The findings that files alone can show (inspect): per certificate, trust when r's verification
 * was done, the name when checked. subj says which side the certificates are for. */
void diagnose_inspect(struct tls_report *r, enum tls_subject subj);

/* Judges this side's own certificate chain (c's identity, leaf first) as a peer will, before any
 * connection: dates, keys, algorithms, constraints, and the key purpose of subj's role. Fills
 * out (report_init'ed here, freed by the caller with report_free); no identity: no findings. */
void diagnose_own_chain(const struct tls_creds *c, enum tls_subject subj, struct tls_report *out);

/* What-if: verifies the chain captured in r again, without reconnecting, against the anchors,
 * intermediates and CRLs of trust and under r->policy (hostname check, SHA-1, key sizes), then
 * diagnoses again. Returns 0, or -1 when r holds no chain. */
int diagnose_recheck(struct tls_report *r, const struct tls_creds *trust);

#endif
