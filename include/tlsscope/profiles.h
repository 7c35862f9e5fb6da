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
