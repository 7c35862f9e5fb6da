/* The findings catalog as data: one id per problem tlsscope can name, and one row per id
 * (DESIGN.md §5). The string ids are stable API (the JSON and text reports, --explain, the
 * profiles); in C a finding is named by its enum value, so a misspelled id does not compile. */
#ifndef TLSSCOPE_FINDINGS_H
#define TLSSCOPE_FINDINGS_H

#include <stdbool.h>

enum tls_severity { SEV_ERROR, SEV_WARNING, SEV_INFO };

/* In the catalog's order (src/engine/findings.c); FINDING__COUNT is the number of rows. */
enum finding_id {
	FINDING_DNS_FAILURE,		     /* dns-failure */
	FINDING_CONNECTION_REFUSED,	     /* connection-refused */
	FINDING_CONNECTION_TIMEOUT,	     /* connection-timeout */
	FINDING_NOT_TLS,		     /* not-tls */
	FINDING_HANDSHAKE_TIMEOUT,	     /* handshake-timeout */
	FINDING_CONNECTION_CLOSED,	     /* connection-closed */
	FINDING_PROTOCOL_VERSION_MISMATCH,   /* protocol-version-mismatch */
	FINDING_NO_SHARED_CIPHER,	     /* no-shared-cipher */
	FINDING_SNI_REQUIRED,		     /* sni-required */
	FINDING_ALERT_RECEIVED,		     /* alert-received */
	FINDING_PROTOCOL_ERROR,		     /* protocol-error */
	FINDING_UNTRUSTED_ISSUER,	     /* untrusted-issuer */
	FINDING_MISSING_INTERMEDIATE,	     /* missing-intermediate */
	FINDING_SELF_SIGNED,		     /* self-signed */
	FINDING_EXPIRED,		     /* expired */
	FINDING_NOT_YET_VALID,		     /* not-yet-valid */
	FINDING_INSECURE_SIGNATURE,	     /* insecure-signature */
	FINDING_WEAK_KEY,		     /* weak-key */
	FINDING_NOT_A_CA,		     /* not-a-ca */
	FINDING_PATH_LENGTH_EXCEEDED,	     /* path-length-exceeded */
	FINDING_NAME_CONSTRAINT_VIOLATED,    /* name-constraint-violated */
	FINDING_ANCHOR_EXPIRED,		     /* anchor-expired */
	FINDING_UNKNOWN_CRITICAL_EXTENSION,  /* unknown-critical-extension */
	FINDING_WRONG_PURPOSE,		     /* wrong-purpose */
	FINDING_REVOKED,		     /* revoked */
	FINDING_HOSTNAME_MISMATCH,	     /* hostname-mismatch */
	FINDING_CN_ONLY_NO_SAN,		     /* cn-only-no-san */
	FINDING_IP_NOT_IN_SAN,		     /* ip-not-in-san */
	FINDING_V1_CERTIFICATE,		     /* v1-certificate */
	FINDING_EXPIRES_SOON,		     /* expires-soon */
	FINDING_CHAIN_ORDER,		     /* chain-order */
	FINDING_TLS_VERSION_OLD,	     /* tls-version-old */
	FINDING_CLIENT_CERT_REQUIRED,	     /* client-cert-required */
	FINDING_CLIENT_CERT_REQUESTED,	     /* client-cert-requested */
	FINDING_CLIENT_CERT_REJECTED,	     /* client-cert-rejected */
	FINDING_CLIENT_CERT_CA_NOT_ACCEPTED, /* client-cert-ca-not-accepted */
	FINDING_CLIENT_KEY_NOT_ACCEPTED,     /* client-key-not-accepted */
	FINDING_CLIENT_CERT_NOT_REQUESTED,   /* client-cert-not-requested */
	FINDING_CLIENT_SENT_NO_CERT,	     /* client-sent-no-cert */
	FINDING_CLIENT_CERT_UNTRUSTED,	     /* client-cert-untrusted */
	FINDING_CLIENT_SERIAL_NOT_ALLOWED,   /* client-serial-not-allowed */
	FINDING_OCSP_STAPLE_INVALID,	     /* ocsp-staple-invalid */
	FINDING_OCSP_MUST_STAPLE_MISSING,    /* ocsp-must-staple-missing */
	FINDING_OCSP_UNREACHABLE,	     /* ocsp-unreachable */
	FINDING_OCSP_UNKNOWN,		     /* ocsp-unknown */
	FINDING_CRL_EXPIRED,		     /* crl-expired */
	FINDING_CRL_NOT_FOR_CHAIN,	     /* crl-not-for-chain */
	FINDING_PROXY_FAILURE,		     /* proxy-failure */
	FINDING_STARTTLS_NOT_OFFERED,	     /* starttls-not-offered */
	FINDING_STARTTLS_REFUSED,	     /* starttls-refused */
	FINDING_STARTTLS_FAILED,	     /* starttls-failed */
	FINDING_STARTTLS_NEEDED,	     /* starttls-needed */
	FINDING_CHAIN_HAS_ROOT,		     /* chain-has-root */
	FINDING_CLIENTS_LACK_SUITE,	     /* clients-lack-suite */
	FINDING__COUNT
};

/* The column of the TUI's chain view that a finding about one certificate fails. */
enum finding_check {
	CHECK_NONE,
	CHECK_TRUST,
	CHECK_NAME,
	CHECK_DATES,
	CHECK_SIG,
	CHECK_KEY,
	CHECK_USE,
};

struct diag_entry {
	const char *id; /* "dns-failure" */
	enum tls_severity severity;
	const char *title;
	const char *fix; /* the usual fix; a finding may give a more specific one */
	enum finding_check check;
	const char *key_hint; /* what to press in the TUI to act on it, or NULL */
};

/* The catalog row of id (a valid enum value); never NULL. */
const struct diag_entry *findings_entry(enum finding_id id);

/* The enum value of a string id into *out: 0, or -1 for an id the catalog does not know. */
int findings_parse(const char *id, enum finding_id *out);

#endif
