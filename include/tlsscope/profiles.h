/* Peer profiles: how other TLS implementations would judge a chain ("who would reject this, and
 * what will it print"). One table row per implementation holds its rules and the words it prints
 * for each failure; a verdict is computed from the facts and findings already in a report, so
 * every reason names a finding that stands in the report's findings. Verdicts never change the
 * report's own verdict. */
#ifndef TLSSCOPE_PROFILES_H
#define TLSSCOPE_PROFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/report.h"

/* Clients judge a server chain; servers judge a client chain. */
enum profile_side { PROFILE_CLIENTS, PROFILE_SERVERS };

struct profile_reason {
	const char *finding; /* static: a finding id present in the report */
	int cert_index;	     /* the finding's cert_index (-1: null) */
	char *says;	     /* what that implementation prints */
};

struct profile_verdict {
	const char *id;	  /* static: "python", "nginx", ... */
	const char *name; /* static: the implementation and version the rules are for */
	bool accept;
	const char *min_version; /* static: the lowest version it offers by default ("TLS1.2"),
				    or NULL where the profile has no version rule */
	struct profile_reason *reasons;
	size_t n_reasons;
};

struct profile_set {
	struct profile_verdict *v;
	size_t n;
};

/* Judges r's chain (peer_chain) for every profile of side. out is filled (free it with
 * profiles_free, also when r holds no chain: then every profile is judged on what is there). */
void profiles_judge(const struct tls_report *r, enum profile_side side, struct profile_set *out);
void profiles_free(struct profile_set *s); /* accepts NULL and a zeroed set */
/* Whether r gives the profiles anything to judge: a chain, or (clients) no chain but what a
 * follow-up probe saw the server choose after a version or suite mismatch; then only the
 * version and suite are judged. */
bool profiles_apply(const struct tls_report *r, enum profile_side side);

/* Suites: tlsscope's own offer holds kinds that some clients lack (DHE, CCM, CBC with
 * SHA-256/384), so a completed handshake on one of them says nothing about those clients.
 * profiles_suite_uncommon: whether some client profile lacks the kind of suite (a GnuTLS or
 * IANA name). A connection on such a suite is followed by one probe (client_followup.c) that
 * offers PROFILES_COMMON_OFFER (its tls_probe's offered text); the profiles judge from its
 * outcome, and without it (--no-probe, no time left) as if the server had refused it. */
#define PROFILES_COMMON_OFFER                                                                      \
	"only ECDHE with AES-GCM, ChaCha20-Poly1305 or AES-CBC-SHA1, which every common client "   \
	"offers"
bool profiles_suite_uncommon(const char *suite);
/* r's common-suite probe, or NULL. */
const struct tls_probe *profiles_common_probe(const struct tls_report *r);
/* The client profiles that cannot connect for the suite alone: their ids joined with ", "
 * into who, the kinds of suite they lack ("DHE or AES-CCM") into kinds; false when none. */
bool profiles_suite_refusers(const struct tls_report *r, char *who, size_t who_len, char *kinds,
			     size_t kinds_len);

/* One recognised error message (explain). */
struct profile_match {
	const char *client;  /* static: a client or server profile id */
	const char *finding; /* static: the finding id */
	const char *title;   /* static: the catalog's title */
	char *detail;	     /* what it means, in words */
	const char *fix;     /* static: the catalog's fix */
};

/* Finds every profile message that message is a copy of (case and placeholders ignored).
 * *out receives an array of matches (free with profiles_matches_free). Returns the count. */
size_t profiles_explain(const char *message, struct profile_match **out);
void profiles_matches_free(struct profile_match *m, size_t n);

#endif
