/* Findings: the facts of a connection turned into problems, each with cause and fix. */
#ifndef TLSSCOPE_DIAGNOSE_H
#define TLSSCOPE_DIAGNOSE_H

#include "tlsscope/report.h"

struct diag_entry {
	const char *id;
	enum tls_severity severity;
	const char *title;
	const char *fix; /* the usual fix; a finding may give a more specific one */
};

/* The catalog row for id, or NULL. */
const struct diag_entry *diagnose_lookup(const char *id);

/* Adds every finding that applies to a client connection's report and sets the verdict. */
void diagnose_connect(struct tls_report *r);

#endif
