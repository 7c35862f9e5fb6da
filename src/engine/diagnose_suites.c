/* clients-lack-suite: a handshake completed on a suite that some common clients do not offer
 * (tlsscope's own offer is broader), and the server took none they offer in the common-suite
 * probe (client_followup.c), or was not asked. Which clients, and which kinds of suite, come
 * from the client profiles' rows. */
#include <stdio.h>

#include "diagnose_parts.h"
#include "tlsscope/profiles.h"

void diag_suites(struct tls_report *r)
{
	char who[200], kinds[80], got[256];
	const struct tls_probe *p = profiles_common_probe(r);

	if (!profiles_suite_refusers(r, who, sizeof(who), kinds, sizeof(kinds)))
		return;
	if (!p)
		snprintf(got, sizeof(got),
			 "was not asked for a suite they offer (no probe: --no-probe, or no time "
			 "left)");
	else if (p->accepted)
		snprintf(got, sizeof(got), "chose %s %s when offered %s",
			 p->version ? p->version : "?", p->cipher_suite ? p->cipher_suite : "",
			 PROFILES_COMMON_OFFER);
	else
		snprintf(got, sizeof(got), "refused a second connection that offered %s",
			 PROFILES_COMMON_OFFER);
	diag_add(r, FINDING_CLIENTS_LACK_SUITE, SUBJ_CONNECTION, -1, NULL,
		 "The server chose %s %s and %s. These clients offer no %s suite and %s: %s.",
		 r->negotiated.version ? r->negotiated.version : "?",
		 r->negotiated.cipher_suite ? r->negotiated.cipher_suite : "", got, kinds,
		 p ? "cannot connect" : "may be unable to connect", who);
}
