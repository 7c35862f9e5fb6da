/* The peer profiles' parts, shared between profiles_table.c (one row per implementation: its
 * rules and words), profiles.c (the judging) and profiles_explain.c (explain). Internal to the
 * engine: no public header includes it. */
#ifndef TLSSCOPE_ENGINE_PROFILES_PRIVATE_H
#define TLSSCOPE_ENGINE_PROFILES_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/profiles.h"

/* The words an implementation prints for each failure. {name} is the name or IP it was asked to
 * check, {dns} the leaf's DNS names ("a, b"), {san} its subjectAltNames ("DNS:a, IP:b"). NULL
 * where the implementation never fails that way. */
struct profile_says {
	const char *untrusted;		  /* no path to a trusted root */
	const char *missing_intermediate; /* only the leaf sent, its issuer unknown */
	const char *untrusted_leaf;	  /* server: a lone client certificate, issuer unknown */
	const char *self_signed;
	const char *expired;
	const char *weak_leaf, *weak_ca;
	const char *sha1;
	const char *not_ca;
	const char *purpose;
	const char *path_len, *name_constraint;
	const char *name;	   /* a DNS name that the certificate does not hold */
	const char *ip;		   /* an IP that the certificate does not hold */
	const char *cn_only;	   /* a DNS name found only in the CN */
	const char *ip_in_cn;	   /* an IP found only in the CN */
	const char *ip_as_dns;	   /* an IP found only as a DNS subjectAltName */
	const char *old_version;   /* the server speaks only versions below min_version */
	const char *legacy_sigalg; /* TLS 1.0/1.1 with a signed key exchange (MD5+SHA-1) */
	const char *no_cipher;	   /* the server's suite is of a kind the client lacks */
};

/* Kinds of cipher suite a client may lack by default (struct profile's lacks). */
enum suite_kind { SUITE_DHE = 1, SUITE_CCM = 2, SUITE_CBC_SHA2 = 4 };

struct profile {
	const char *id, *name;
	bool weak_leaf, weak_ca; /* refuses RSA/DSA below 2048 bits, EC below 224 */
	bool sha1_ok;		 /* accepts SHA-1 signatures below a private root */
	bool cn_fallback;	 /* a DNS name may match the CN when there is no SAN */
	bool ip_in_cn;		 /* an IP may match the CN when there is no SAN */
	bool ip_as_dns;		 /* an IP may match a DNS subjectAltName */
	bool aia_fetch;		 /* fetches a missing issuer from AIA caIssuers */
	bool one_label_wildcard; /* "*.test" matches "a.test" */
	bool anchor_eku;	 /* refuses an anchor whose extendedKeyUsage excludes the role */
	/* Versions and suites. min_version: the lowest it offers (a server: accepts) by default,
	 * as 10 (TLS 1.0) to 13 (TLS 1.3); 0 for a row with no version rule. legacy_sigalg: it
	 * refuses the MD5+SHA-1 signature of a TLS 1.0/1.1 ECDHE or DHE key exchange (OpenSSL
	 * 3.0 above security level 0), so there only RSA key exchange works. lacks (clients
	 * only): the kinds of suite it does not offer (enum suite_kind). */
	int min_version;
	bool legacy_sigalg;
	unsigned lacks;
	struct profile_says says;
};

#define N(a)	    (sizeof(a) / sizeof((a)[0]))
#define SAYS(field) offsetof(struct profile_says, field)

/* profiles_table.c: clients judge a server chain, servers a client chain. */
extern const struct profile profiles_clients[];
extern const size_t profiles_n_clients;
extern const struct profile profiles_servers[];
extern const size_t profiles_n_servers;

/* The words of p at offset off of struct profile_says (SAYS(field)), or NULL. */
static inline const char *says_of(const struct profile *p, size_t off)
{
	return *(const char *const *)((const char *)&p->says + off);
}

#endif
