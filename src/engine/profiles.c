/* Peer profiles (include/tlsscope/profiles.h). Each row's rules and words come from a run of the
 * real program on a chain built to show the rule (tests/scenarios/clients.py); where a rule could
 * not be run here, the comment on the row names the implementation's source or documentation. */
#include "tlsscope/profiles.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "tlsscope/diagnose.h"
#include "tlsscope/util.h"

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
	/* Versions and suites (clients only). min_version: the lowest it offers by default, as
	 * 10 (TLS 1.0) to 13 (TLS 1.3); 0 for a row with no version rule. legacy_sigalg: it
	 * refuses the MD5+SHA-1 signature of a TLS 1.0/1.1 ECDHE or DHE key exchange (OpenSSL
	 * 3.0 above security level 0), so there only RSA key exchange works. lacks: the kinds of
	 * suite it does not offer (enum suite_kind). */
	int min_version;
	bool legacy_sigalg;
	unsigned lacks;
	struct profile_says says;
};

/* OpenSSL 3.0's X509_verify_cert_error_string texts, as every OpenSSL-based program prints them. */
#define OSSL_UNTRUSTED	 "unable to get local issuer certificate"
#define OSSL_LEAF	 "unable to verify the first certificate"
#define OSSL_SELF_SIGNED "self-signed certificate"
#define OSSL_EXPIRED	 "certificate has expired"
#define OSSL_WEAK_EE	 "EE certificate key too weak"
#define OSSL_WEAK_CA	 "CA certificate key too weak"
#define OSSL_SHA1	 "CA signature digest algorithm too weak"
#define OSSL_NOT_CA	 "invalid CA certificate"
#define OSSL_PURPOSE	 "unsuitable certificate purpose"
#define OSSL_PATHLEN	 "path length constraint exceeded"
#define OSSL_NC		 "permitted subtree violation"
#define OSSL_HOST	 "hostname mismatch"
#define OSSL_IP		 "IP address mismatch"

#define PY(s)	       "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " s " (_ssl.c:992)"
#define CURL(s)	       "curl: (60) SSL certificate problem: " s
#define S_CLIENT(n, s) "verify error:num=" #n ":" s
#define GNUTLS(s)      "Status: The certificate is NOT trusted. " s
#define NODE(code, s)  code ": " s
#define JAVA_PATH      "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
#define JAVA_VALID     "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
/* Java's words for the failures its client and server trust managers share. */
#define JAVA_NO_PATH                                                                               \
	JAVA_PATH "sun.security.provider.certpath.SunCertPathBuilderException: unable to find "    \
		  "valid certification path to requested target"
#define JAVA_EXPIRED                                                                               \
	JAVA_VALID "java.security.cert.CertPathValidatorException: validity check failed"
#define JAVA_NOT_CA                                                                                \
	JAVA_VALID "java.security.cert.CertPathValidatorException: basic constraints check "       \
		   "failed: this is not a CA certificate"
/* Handshake failures, as each client printed them against a server limited to one version or
 * suite (tests/scenarios/clients.py, the version and suite scenarios). */
#define OSSL_SIGALG_AT(f)                                                                          \
	"error:0A00014D:SSL routines:" f ":legacy sigalg disallowed or unsupported"
#define OSSL_ALERT_40	    "error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure"
#define OSSL_ALERT_40_AT(f) "error:0A000410:SSL routines:" f ":sslv3 alert handshake failure"
#define PY_SSL(code, s)	    code s " (_ssl.c:992)"
#define CURL_SSL(s)	    "curl: (35) OpenSSL/3.0: " s
#define NGINX(n, s)	    "client SSL certificate verify error: (" #n ":" s ")"
#define APACHE(n, s)	    "Certificate Verification: Error (" #n "): " s
#define GO_SERVER(s)	    "tls: failed to verify client certificate: " s

static const struct profile clients[] = {
	{.id = "openssl",
	 .name = "openssl s_client -verify_return_error (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .cn_fallback = true,
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .lacks = SUITE_CCM,
	 .says = {.legacy_sigalg = OSSL_SIGALG_AT("tls_process_key_exchange"),
		  .no_cipher = OSSL_ALERT_40,
		  .untrusted = S_CLIENT(20, OSSL_UNTRUSTED),
		  .missing_intermediate = S_CLIENT(20, OSSL_UNTRUSTED),
		  .self_signed = S_CLIENT(18, OSSL_SELF_SIGNED),
		  .expired = S_CLIENT(10, OSSL_EXPIRED),
		  .weak_leaf = S_CLIENT(66, OSSL_WEAK_EE),
		  .weak_ca = S_CLIENT(67, OSSL_WEAK_CA),
		  .sha1 = S_CLIENT(68, OSSL_SHA1),
		  .not_ca = S_CLIENT(79, OSSL_NOT_CA),
		  .purpose = S_CLIENT(26, OSSL_PURPOSE),
		  .path_len = S_CLIENT(25, OSSL_PATHLEN),
		  .name_constraint = S_CLIENT(47, OSSL_NC),
		  .name = S_CLIENT(62, OSSL_HOST),
		  .ip = S_CLIENT(64, OSSL_IP),
		  .ip_in_cn = S_CLIENT(64, OSSL_IP),
		  .ip_as_dns = S_CLIENT(64, OSSL_IP)}},
	{.id = "python",
	 .name = "Python 3.11 ssl.create_default_context() (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .cn_fallback = true, /* hostname_checks_common_name defaults to True */
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .lacks = SUITE_CCM,
	 .says = {.legacy_sigalg = PY_SSL("[SSL] ", "legacy sigalg disallowed or unsupported"),
		  .no_cipher = PY_SSL("[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] ",
				      "sslv3 alert handshake failure"),
		  .untrusted = PY(OSSL_UNTRUSTED),
		  .missing_intermediate = PY(OSSL_UNTRUSTED),
		  .self_signed = PY(OSSL_SELF_SIGNED),
		  .expired = PY(OSSL_EXPIRED),
		  .weak_leaf = PY(OSSL_WEAK_EE),
		  .weak_ca = PY(OSSL_WEAK_CA),
		  .sha1 = PY(OSSL_SHA1),
		  .not_ca = PY(OSSL_NOT_CA),
		  .purpose = PY(OSSL_PURPOSE),
		  .path_len = PY(OSSL_PATHLEN),
		  .name_constraint = PY(OSSL_NC),
		  .name = PY("Hostname mismatch, certificate is not valid for '{name}'."),
		  .ip = PY("IP address mismatch, certificate is not valid for '{name}'."),
		  .ip_in_cn = PY("IP address mismatch, certificate is not valid for '{name}'."),
		  .ip_as_dns = PY("IP address mismatch, certificate is not valid for '{name}'.")}},
	{.id = "curl",
	 .name = "curl 7.88 with OpenSSL 3.0 (security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .cn_fallback = true,
	 .ip_in_cn = true, /* curl's own check compares the CN when there is no SAN at all */
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .lacks = SUITE_CCM,
	 .says = {.legacy_sigalg = CURL_SSL(OSSL_SIGALG_AT("")),
		  .no_cipher = CURL_SSL(OSSL_ALERT_40_AT("")),
		  .untrusted = CURL(OSSL_UNTRUSTED),
		  .missing_intermediate = CURL(OSSL_UNTRUSTED),
		  .self_signed = CURL(OSSL_SELF_SIGNED),
		  .expired = CURL(OSSL_EXPIRED),
		  .weak_leaf = CURL(OSSL_WEAK_EE),
		  .weak_ca = CURL(OSSL_WEAK_CA),
		  .sha1 = CURL(OSSL_SHA1),
		  .not_ca = CURL(OSSL_NOT_CA),
		  .purpose = CURL(OSSL_PURPOSE),
		  .path_len = CURL(OSSL_PATHLEN),
		  .name_constraint = CURL(OSSL_NC),
		  .name = "curl: (60) SSL: no alternative certificate subject name matches target "
			  "host name '{name}'",
		  .ip = "curl: (60) SSL: no alternative certificate subject name matches target "
			"host name '{name}'",
		  .ip_as_dns = "curl: (60) SSL: no alternative certificate subject name matches "
			       "target host name '{name}'"}},
	{.id = "gnutls",
	 .name = "gnutls-cli 3.7.9 (default priority and verification profile)",
	 .cn_fallback = true,
	 .min_version = 10,
	 .lacks = SUITE_CBC_SHA2,
	 .says = {.no_cipher = "*** Received alert [40]: Handshake failed",
		  .untrusted = GNUTLS("The certificate issuer is unknown."),
		  .missing_intermediate = GNUTLS("The certificate issuer is unknown."),
		  .self_signed = GNUTLS("The certificate issuer is unknown."),
		  .expired = GNUTLS("The certificate chain uses expired certificate."),
		  .sha1 = GNUTLS("The certificate chain uses insecure algorithm."),
		  .not_ca = GNUTLS("The certificate issuer is not a CA."),
		  .purpose = GNUTLS("The certificate chain does not match the intended purpose."),
		  .path_len = GNUTLS("The certificate chain violates the signer's constraints."),
		  .name_constraint =
			  GNUTLS("The certificate chain violates the signer's constraints."),
		  .name = GNUTLS("The name in the certificate does not match the expected."),
		  .ip = GNUTLS("The name in the certificate does not match the expected."),
		  .ip_in_cn = GNUTLS("The name in the certificate does not match the expected."),
		  .ip_as_dns = GNUTLS("The name in the certificate does not match the expected.")}},
	{.id = "go",
	 .name = "Go 1.19 crypto/tls default client config",
	 .one_label_wildcard = true,
	 .min_version = 12,
	 .lacks = SUITE_DHE | SUITE_CCM | SUITE_CBC_SHA2,
	 .says = {.old_version = "remote error: tls: protocol version not supported",
		  .no_cipher = "remote error: tls: handshake failure",
		  .untrusted = "x509: certificate signed by unknown authority",
		  .missing_intermediate = "x509: certificate signed by unknown authority",
		  .self_signed = "x509: certificate signed by unknown authority",
		  .expired = "x509: certificate has expired or is not yet valid",
		  .sha1 = "x509: certificate signed by unknown authority (possibly because of "
			  "\"x509: cannot verify signature: insecure algorithm SHA1-RSA "
			  "(temporarily "
			  "override with GODEBUG=x509sha1=1)\" ...)",
		  .not_ca = "x509: certificate is not authorized to sign other certificates",
		  .purpose = "x509: certificate specifies an incompatible key usage",
		  .path_len = "x509: too many intermediates for path length constraint",
		  .name_constraint = "x509: a root or intermediate certificate is not authorized "
				     "to sign for this name: DNS name \"{name}\" is not permitted "
				     "by any constraint",
		  .name = "x509: certificate is valid for {dns}, not {name}",
		  .ip = "x509: certificate is valid for {dns}, not {name}",
		  .cn_only =
			  "x509: certificate relies on legacy Common Name field, use SANs instead",
		  .ip_in_cn =
			  "x509: certificate relies on legacy Common Name field, use SANs instead",
		  .ip_as_dns = "x509: cannot validate certificate for {name} because it doesn't "
			       "contain any IP SANs"}},
	{.id = "node",
	 .name = "Node.js 18.20 tls.connect (Debian 12 package, OpenSSL 3.0 security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .cn_fallback = true, /* checkServerIdentity uses the CN when there is no DNS SAN */
	 .min_version = 12,
	 .says = {.old_version = NODE("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
				      "tlsv1 alert protocol version"),
		  .untrusted = NODE("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", OSSL_UNTRUSTED),
		  .missing_intermediate = NODE("UNABLE_TO_VERIFY_LEAF_SIGNATURE",
					       "unable to verify the first certificate"),
		  .self_signed = NODE("DEPTH_ZERO_SELF_SIGNED_CERT", OSSL_SELF_SIGNED),
		  .expired = NODE("CERT_HAS_EXPIRED", OSSL_EXPIRED),
		  .weak_leaf = NODE("UNSPECIFIED", OSSL_WEAK_EE),
		  .weak_ca = NODE("UNSPECIFIED", OSSL_WEAK_CA),
		  .sha1 = NODE("UNSPECIFIED", OSSL_SHA1),
		  .not_ca = NODE("INVALID_PURPOSE", OSSL_PURPOSE),
		  .purpose = NODE("INVALID_PURPOSE", OSSL_PURPOSE),
		  .path_len = NODE("PATH_LENGTH_EXCEEDED", OSSL_PATHLEN),
		  .name_constraint = NODE("UNSPECIFIED", OSSL_NC),
		  .name = NODE("ERR_TLS_CERT_ALTNAME_INVALID",
			       "Hostname/IP does not match certificate's altnames: Host: {name}. "
			       "is not in the cert's altnames: {san}"),
		  .ip = NODE("ERR_TLS_CERT_ALTNAME_INVALID",
			     "Hostname/IP does not match certificate's altnames: IP: {name} is not "
			     "in the cert's list: {ips}"),
		  .ip_in_cn = NODE("ERR_TLS_CERT_ALTNAME_INVALID",
				   "Hostname/IP does not match certificate's altnames: IP: {name} "
				   "is not in the cert's list: "),
		  .ip_as_dns = NODE("ERR_TLS_CERT_ALTNAME_INVALID",
				    "Hostname/IP does not match certificate's altnames: IP: {name} "
				    "is not in the cert's list: {ips}")}},
	/* Java 17 refuses TLS 1.0/1.1 and has no CCM suite (jdk.tls.disabledAlgorithms and its
	 * suite list; run in the tests). Java accepts RSA-1024 (jdk.certpath.disabledAlgorithms:
	 * RSA keySize < 1024) and SHA-1 below a private root (the SHA1 entry is "jdkCA & usage
	 * TLSServer": only roots of the JDK's own cacerts). AIA fetching is off
	 * (com.sun.security.enableAIAcaIssuers=false). */
	{.id = "java",
	 .name = "OpenJDK 17 HttpsURLConnection (default trust manager, HTTPS endpoint "
		 "identification)",
	 .sha1_ok = true,
	 .cn_fallback = true,
	 .one_label_wildcard = true,
	 .min_version = 12,
	 .lacks = SUITE_CCM,
	 .says = {.old_version = "javax.net.ssl.SSLHandshakeException: Received fatal alert: "
				 "protocol_version",
		  .no_cipher = "javax.net.ssl.SSLHandshakeException: Received fatal alert: "
			       "handshake_failure",
		  .untrusted = JAVA_NO_PATH,
		  .missing_intermediate = JAVA_NO_PATH,
		  .self_signed = JAVA_NO_PATH,
		  .expired = JAVA_EXPIRED,
		  .not_ca = JAVA_NOT_CA,
		  .purpose = "javax.net.ssl.SSLHandshakeException: Extended key usage does not "
			     "permit use for TLS server authentication",
		  .path_len =
			  JAVA_VALID "java.security.cert.CertPathValidatorException: basic "
				     "constraints check failed: pathLenConstraint violated - "
				     "this cert must be the last cert in the certification path",
		  .name_constraint = JAVA_VALID "java.security.cert.CertPathValidatorException: "
						"name constraints check failed",
		  .name = "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name "
			  "matching {name} found.",
		  .ip = "javax.net.ssl.SSLHandshakeException: No subject alternative names "
			"matching IP address {name} found",
		  .ip_in_cn = "javax.net.ssl.SSLHandshakeException: No subject alternative names "
			      "present",
		  .ip_as_dns = "javax.net.ssl.SSLHandshakeException: No subject alternative names "
			       "matching IP address {name} found"}},
	/* Chromium with the root in its NSS store. Run in the tests: TLS 1.2 at least, no DHE,
	 * CCM or CBC-SHA256 suite (BoringSSL), ERR_CERT_INVALID for a violated name constraint
	 * below a private root; no CN fallback, SHA-1
	 * below a private root refused (as ERR_CERT_INVALID), a missing intermediate fetched
	 * from AIA caIssuers. From Chromium's net/cert: RSA keys refused only below 1024 bits
	 * (IsWeakKey); the 398-day limit applies only to publicly trusted roots (Chrome Root
	 * Program policy), not to a root a user added. */
	{.id = "chrome",
	 .name = "Chromium (headless, private root in its NSS store)",
	 .aia_fetch = true,
	 .min_version = 12,
	 .lacks = SUITE_DHE | SUITE_CCM | SUITE_CBC_SHA2,
	 .says = {.old_version = "ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
		  .no_cipher = "ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
		  .untrusted = "NET::ERR_CERT_AUTHORITY_INVALID",
		  .missing_intermediate = "NET::ERR_CERT_AUTHORITY_INVALID",
		  .self_signed = "NET::ERR_CERT_AUTHORITY_INVALID",
		  .expired = "NET::ERR_CERT_DATE_INVALID",
		  .sha1 = "NET::ERR_CERT_INVALID",
		  .not_ca = "NET::ERR_CERT_INVALID",
		  .purpose = "NET::ERR_CERT_INVALID",
		  .path_len = "NET::ERR_CERT_INVALID",
		  .name_constraint = "NET::ERR_CERT_INVALID",
		  .name = "NET::ERR_CERT_COMMON_NAME_INVALID",
		  .ip = "NET::ERR_CERT_COMMON_NAME_INVALID",
		  .cn_only = "NET::ERR_CERT_COMMON_NAME_INVALID",
		  .ip_in_cn = "NET::ERR_CERT_COMMON_NAME_INVALID",
		  .ip_as_dns = "NET::ERR_CERT_COMMON_NAME_INVALID"}},
	/* Firefox, from mozilla::pkix (security/nss/lib/mozpkix): no CN fallback (pkixnames.cpp),
	 * no AIA fetching (intermediate preloading instead), RSA 1024 accepted
	 * (MIN_RSA_BITS_WEAK), SHA-1 allowed only below locally added roots
	 * (security.pki.sha1_enforcement_level 3), wildcards need two labels after the star.
	 * Versions and suites, from Firefox's release notes and NSS's defaults: TLS 1.2 at least
	 * since Firefox 78 (security.tls.version.min 3), no DHE suites since 78, and neither CCM
	 * nor CBC with SHA-256/384 among the suites it offers. */
	{.id = "firefox",
	 .name = "Firefox (mozilla::pkix, private root added to its store)",
	 .sha1_ok = true,
	 .min_version = 12,
	 .lacks = SUITE_DHE | SUITE_CCM | SUITE_CBC_SHA2,
	 .says = {.old_version = "SSL_ERROR_UNSUPPORTED_VERSION",
		  .no_cipher = "SSL_ERROR_NO_CYPHER_OVERLAP",
		  .untrusted = "SEC_ERROR_UNKNOWN_ISSUER",
		  .missing_intermediate = "SEC_ERROR_UNKNOWN_ISSUER",
		  .self_signed = "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT",
		  .expired = "SEC_ERROR_EXPIRED_CERTIFICATE",
		  .not_ca = "SEC_ERROR_CA_CERT_INVALID",
		  .purpose = "SEC_ERROR_INADEQUATE_CERT_TYPE",
		  .path_len = "SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID",
		  .name_constraint = "SEC_ERROR_CERT_NOT_IN_NAME_SPACE",
		  .name = "SSL_ERROR_BAD_CERT_DOMAIN",
		  .ip = "SSL_ERROR_BAD_CERT_DOMAIN",
		  .cn_only = "SSL_ERROR_BAD_CERT_DOMAIN",
		  .ip_in_cn = "SSL_ERROR_BAD_CERT_DOMAIN",
		  .ip_as_dns = "SSL_ERROR_BAD_CERT_DOMAIN"}},
};

/* The same words for every server built on OpenSSL 3.0's verifier at security level 2. */
#define OSSL_SERVER_SAYS(W, LEAF)                                                                  \
	{                                                                                          \
		.untrusted = W(20, OSSL_UNTRUSTED), .missing_intermediate = W(20, OSSL_UNTRUSTED), \
		.untrusted_leaf = LEAF, .self_signed = W(18, OSSL_SELF_SIGNED),                    \
		.expired = W(10, OSSL_EXPIRED), .weak_leaf = W(66, OSSL_WEAK_EE),                  \
		.weak_ca = W(67, OSSL_WEAK_CA), .sha1 = W(68, OSSL_SHA1),                          \
		.not_ca = W(79, OSSL_NOT_CA), .purpose = W(26, OSSL_PURPOSE),                      \
		.path_len = W(25, OSSL_PATHLEN), .name_constraint = W(47, OSSL_NC)                 \
	}
/* HAProxy 2.6 logs a refused client certificate by where the error was, not what it was:
 * "SSL client certificate not trusted" (the leaf) or "SSL client CA chain cannot be verified"
 * (an issuer); the OpenSSL code is only in the ssl_c_err/ssl_c_ca_err fetches. */
#define HAPROXY_CRT	"SSL client certificate not trusted"
#define HAPROXY_CA	"SSL client CA chain cannot be verified"
#define S_SERVER(n, s)	"verify error:num=" #n ":" s
#define PY_SERVER(n, s) PY(s)
/* A Node server with rejectUnauthorized closes the connection and prints nothing; what it
 * knows is the socket's authorizationError (the code), with the OpenSSL text as message. */
#define NODE_SERVER_SAYS                                                                           \
	{                                                                                          \
		.untrusted = NODE("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", OSSL_UNTRUSTED),            \
		.missing_intermediate = NODE("UNABLE_TO_VERIFY_LEAF_SIGNATURE", OSSL_LEAF),        \
		.untrusted_leaf = NODE("UNABLE_TO_VERIFY_LEAF_SIGNATURE", OSSL_LEAF),              \
		.self_signed = NODE("DEPTH_ZERO_SELF_SIGNED_CERT", OSSL_SELF_SIGNED),              \
		.expired = NODE("CERT_HAS_EXPIRED", OSSL_EXPIRED),                                 \
		.weak_leaf = NODE("UNSPECIFIED", OSSL_WEAK_EE),                                    \
		.weak_ca = NODE("UNSPECIFIED", OSSL_WEAK_CA),                                      \
		.sha1 = NODE("UNSPECIFIED", OSSL_SHA1),                                            \
		.not_ca = NODE("INVALID_PURPOSE", OSSL_PURPOSE),                                   \
		.purpose = NODE("INVALID_PURPOSE", OSSL_PURPOSE),                                  \
		.path_len = NODE("PATH_LENGTH_EXCEEDED", OSSL_PATHLEN),                            \
		.name_constraint = NODE("UNSPECIFIED", OSSL_NC)                                    \
	}

/* Servers judge a client chain: no name check; the EKU must allow clientAuth. */
static const struct profile servers[] = {
	{.id = "nginx",
	 .name = "nginx 1.22 ssl_verify_client on (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = OSSL_SERVER_SAYS(NGINX, NGINX(21, OSSL_LEAF))},
	{.id = "apache",
	 .name = "Apache httpd 2.4 SSLVerifyClient require (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = OSSL_SERVER_SAYS(APACHE, NULL)},
	{.id = "haproxy",
	 .name = "HAProxy 2.6 verify required (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = {.untrusted = HAPROXY_CA,
		  .missing_intermediate = HAPROXY_CRT,
		  .untrusted_leaf = HAPROXY_CRT,
		  .self_signed = HAPROXY_CRT,
		  .expired = HAPROXY_CRT,
		  .weak_leaf = HAPROXY_CRT,
		  .weak_ca = HAPROXY_CA,
		  .sha1 = HAPROXY_CA,
		  .not_ca = HAPROXY_CA,
		  .purpose = HAPROXY_CRT,
		  .path_len = HAPROXY_CA,
		  .name_constraint = HAPROXY_CRT}},
	{.id = "python",
	 .name = "Python 3.11 ssl server, verify_mode CERT_REQUIRED (OpenSSL 3.0)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = OSSL_SERVER_SAYS(PY_SERVER, NULL)},
	{.id = "go",
	 .name = "Go 1.19 crypto/tls RequireAndVerifyClientCert",
	 .says = {.untrusted = GO_SERVER("x509: certificate signed by unknown authority"),
		  .missing_intermediate =
			  GO_SERVER("x509: certificate signed by unknown authority"),
		  .self_signed = GO_SERVER("x509: certificate signed by unknown authority"),
		  .expired = GO_SERVER("x509: certificate has expired or is not yet valid"),
		  .sha1 = GO_SERVER("x509: cannot verify signature: insecure algorithm SHA1-RSA"),
		  .not_ca = GO_SERVER(
			  "x509: certificate is not authorized to sign other certificates"),
		  .purpose = GO_SERVER("x509: certificate specifies an incompatible key usage"),
		  .path_len =
			  GO_SERVER("x509: too many intermediates for path length constraint")}},
	{.id = "node",
	 .name = "Node.js 18.20 tls.createServer requestCert (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = NODE_SERVER_SAYS},
	{.id = "java",
	 .name = "OpenJDK 17 SSLServerSocket needClientAuth (default trust manager)",
	 .sha1_ok = true,
	 .says = {.untrusted = JAVA_NO_PATH,
		  .missing_intermediate = JAVA_NO_PATH,
		  .self_signed = JAVA_NO_PATH,
		  .expired = JAVA_EXPIRED,
		  .not_ca = JAVA_NOT_CA,
		  .purpose = "javax.net.ssl.SSLHandshakeException: Extended key usage does not "
			     "permit use for TLS client authentication"}},
	/* Without --verify-client-cert gnutls-serv verifies nothing ("Peer's certificate was NOT
	 * verified"). With it, run in tests/scenarios/clients.py: it refuses an expired client
	 * certificate, and accepts one whose EKU is serverAuth only (it asks for no key purpose)
	 * and an RSA-1024 one. */
	{.id = "gnutls",
	 .name = "gnutls-serv 3.7.9 --require-client-cert --verify-client-cert",
	 .says = {.untrusted = GNUTLS("The certificate issuer is unknown."),
		  .missing_intermediate = GNUTLS("The certificate issuer is unknown."),
		  .self_signed = GNUTLS("The certificate issuer is unknown."),
		  .expired = GNUTLS("The certificate chain uses expired certificate."),
		  .sha1 = GNUTLS("The certificate chain uses insecure algorithm."),
		  .not_ca = GNUTLS("The certificate issuer is not a CA."),
		  .path_len = GNUTLS("The certificate chain violates the signer's constraints."),
		  .name_constraint =
			  GNUTLS("The certificate chain violates the signer's constraints.")}},
	{.id = "openssl",
	 .name = "openssl s_server -Verify (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .says = OSSL_SERVER_SAYS(S_SERVER, NULL)},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------- rules over findings ---------------- */

static bool always(const struct profile *p, const struct tls_report *r, const struct tls_finding *f)
{
	(void)p, (void)r, (void)f;
	return true;
}

static bool is_leaf(const struct tls_finding *f)
{
	return f->cert_index == 0;
}

static bool weak_leaf(const struct profile *p, const struct tls_report *r,
		      const struct tls_finding *f)
{
	(void)r;
	return is_leaf(f) && p->weak_leaf;
}

static bool weak_ca(const struct profile *p, const struct tls_report *r,
		    const struct tls_finding *f)
{
	(void)r;
	return !is_leaf(f) && p->weak_ca;
}

static bool sha1_refused(const struct profile *p, const struct tls_report *r,
			 const struct tls_finding *f)
{
	(void)r, (void)f;
	return !p->sha1_ok;
}

/* A wrong purpose on a sent certificate, or on the anchor (cert_index -1) where the profile
 * checks the anchor's EKU: OpenSSL does (tests/scenarios/checks.py runs s_client, Python and
 * curl against it), GnuTLS does not. */
static bool purpose_refused(const struct profile *p, const struct tls_report *r,
			    const struct tls_finding *f)
{
	(void)r;
	return f->cert_index >= 0 || p->anchor_eku;
}

/* An AIA fetcher completes a chain whose only missing link has a caIssuers pointer. */
static bool issuer_not_fetched(const struct profile *p, const struct tls_report *r,
			       const struct tls_finding *f)
{
	(void)f;
	/* With --fetch-intermediates the fetch is known to work, or not. */
	if (r->aia.attempted)
		return !(p->aia_fetch && r->aia.n_certs && r->verification.trusted);
	return !(p->aia_fetch && r->n_chain && r->chain[r->n_chain - 1].has_aia_ca_issuers);
}

/* Connect mode: the client chain is one certificate. nginx (ssl_verify_depth 1), Node and
 * HAProxy then say "unable to verify the first certificate" (21) or their own words for it;
 * Apache 2.4, s_server -Verify 2 and Python say "unable to get local issuer certificate" (20),
 * as the real servers did in tests/scenarios/clients.py: untrusted_leaf is set for the first. */
static bool lone_leaf(const struct profile *p, const struct tls_report *r,
		      const struct tls_finding *f)
{
	(void)f;
	return r->client_auth.n_chain == 1 && p->says.untrusted_leaf;
}

static bool not_lone_leaf(const struct profile *p, const struct tls_report *r,
			  const struct tls_finding *f)
{
	return !lone_leaf(p, r, f);
}

/* Listen mode: the client's chain is the report's chain. */
static bool lone_sent_leaf(const struct profile *p, const struct tls_report *r,
			   const struct tls_finding *f)
{
	(void)f;
	return r->n_chain == 1 && p->says.untrusted_leaf;
}

static bool not_lone_sent_leaf(const struct profile *p, const struct tls_report *r,
			       const struct tls_finding *f)
{
	return !lone_sent_leaf(p, r, f);
}

struct rule {
	const char *finding;
	bool (*refuses)(const struct profile *p, const struct tls_report *r,
			const struct tls_finding *f);
	size_t says; /* offset of the words in struct profile_says */
};

#define SAYS(field) offsetof(struct profile_says, field)

/* The hostname findings are judged apart (name_case below): one failure, several ids. */
static const struct rule rules[] = {
	{"untrusted-issuer", always, SAYS(untrusted)},
	{"missing-intermediate", issuer_not_fetched, SAYS(missing_intermediate)},
	{"self-signed", always, SAYS(self_signed)},
	{"expired", always, SAYS(expired)},
	{"not-yet-valid", always, SAYS(expired)},
	{"anchor-expired", always, SAYS(expired)},
	{"weak-key", weak_leaf, SAYS(weak_leaf)},
	{"weak-key", weak_ca, SAYS(weak_ca)},
	{"insecure-signature", sha1_refused, SAYS(sha1)},
	{"not-a-ca", always, SAYS(not_ca)},
	{"wrong-purpose", purpose_refused, SAYS(purpose)},
	{"path-length-exceeded", always, SAYS(path_len)},
	{"name-constraint-violated", always, SAYS(name_constraint)},
	/* Connect mode: the server's own CA list does not hold the client chain's issuer. */
	{"client-cert-ca-not-accepted", lone_leaf, SAYS(untrusted_leaf)},
	{"client-cert-ca-not-accepted", not_lone_leaf, SAYS(untrusted)},
	/* Listen mode: the client chain does not lead to --client-ca; every server that checks
	 * client certificates refuses that (nginx, Apache, HAProxy, ...: "unable to get local
	 * issuer certificate", tests/scenarios/clients.py own-client-cert-unlisted-issuer-...). */
	{"client-cert-untrusted", lone_sent_leaf, SAYS(untrusted_leaf)},
	{"client-cert-untrusted", not_lone_sent_leaf, SAYS(untrusted)},
};

/* ---------------- the name ---------------- */

enum name_case {
	NAME_OK,
	NAME_CN_ONLY,
	NAME_IP_IN_CN,
	NAME_IP_AS_DNS,
	NAME_ONE_LABEL_WILDCARD,
	NAME_MISMATCH,
	NAME_IP_MISMATCH
};

struct name_rule {
	enum name_case c;
	const char *finding;
	size_t says;
	size_t accepts; /* offset of the bool in struct profile that lets it pass; 0: never */
};

#define ACCEPTS(field) offsetof(struct profile, field)

static const struct name_rule name_rules[] = {
	{NAME_CN_ONLY, "cn-only-no-san", SAYS(cn_only), ACCEPTS(cn_fallback)},
	{NAME_IP_IN_CN, "ip-not-in-san", SAYS(ip_in_cn), ACCEPTS(ip_in_cn)},
	{NAME_IP_AS_DNS, "ip-not-in-san", SAYS(ip_as_dns), ACCEPTS(ip_as_dns)},
	{NAME_ONE_LABEL_WILDCARD, "hostname-mismatch", SAYS(name), ACCEPTS(one_label_wildcard)},
	{NAME_MISMATCH, "hostname-mismatch", SAYS(name), 0},
	{NAME_IP_MISMATCH, "hostname-mismatch", SAYS(ip), 0},
};

static bool is_ip(const char *s)
{
	unsigned char buf[16];
	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* The CN of an RFC 4514 subject ("CN=x,O=y"), copied into out; false when there is none. */
static bool subject_cn(const char *subject, char *out, size_t len)
{
	for (const char *p = subject; p && *p; p++) {
		if ((p == subject || p[-1] == ',') && strncmp(p, "CN=", 3) == 0) {
			size_t n = strcspn(p + 3, ",");
			if (n >= len)
				return false;
			memcpy(out, p + 3, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

static bool has_finding(const struct tls_report *r, const char *id, enum tls_subject subj)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].subject == subj && strcmp(r->findings[i].id, id) == 0)
			return true;
	return false;
}

/* "*.test" against "a.test": a wildcard with a single label after the star. */
static bool one_label_wildcard(const struct tls_cert_info *leaf, const char *name)
{
	const char *dot = strchr(name, '.');
	if (!dot || strchr(dot + 1, '.'))
		return false;
	for (size_t i = 0; i < leaf->san.n; i++) {
		const char *s = leaf->san.v[i];
		if (strncmp(s, "DNS:*.", 6) == 0 && !strchr(s + 6, '.') &&
		    strcasecmp(s + 6, dot + 1) == 0)
			return true;
	}
	return false;
}

static enum name_case name_case(const struct tls_report *r, enum tls_subject subj)
{
	const char *name = r->verification.hostname.name;
	bool mismatch = has_finding(r, "hostname-mismatch", subj);
	char cn[256];

	if (!r->n_chain || !name)
		return NAME_OK;
	if (!mismatch)
		return has_finding(r, "cn-only-no-san", subj) ? NAME_CN_ONLY : NAME_OK;
	const struct tls_cert_info *leaf = &r->chain[0];
	if (is_ip(name)) {
		char dns[300];
		snprintf(dns, sizeof(dns), "DNS:%s", name);
		if (!leaf->san.n && subject_cn(leaf->subject, cn, sizeof(cn)) &&
		    strcasecmp(cn, name) == 0)
			return NAME_IP_IN_CN;
		if (strlist_contains(&leaf->san, dns))
			return NAME_IP_AS_DNS;
		return NAME_IP_MISMATCH;
	}
	return one_label_wildcard(leaf, name) ? NAME_ONE_LABEL_WILDCARD : NAME_MISMATCH;
}

/* ---------------- words ---------------- */

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The leaf's subjectAltNames of one kind ("DNS:" or "IP:"), joined; with_kind keeps it. */
static void put_sans(char **buf, size_t *len, size_t *cap, const struct tls_report *r,
		     const char *kind, bool with_kind)
{
	bool first = true;
	if (!r->n_chain)
		return;
	for (size_t i = 0; i < r->chain[0].san.n; i++) {
		const char *s = r->chain[0].san.v[i];
		if (kind && strncmp(s, kind, strlen(kind)) != 0)
			continue;
		if (!first)
			put(buf, len, cap, ", ", 2);
		first = false;
		const char *v = with_kind ? s : strchr(s, ':') + 1;
		put(buf, len, cap, v, strlen(v));
	}
}

/* The template with {name}, {dns}, {ips} and {san} filled in from r. */
static char *expand(const char *tmpl, const struct tls_report *r)
{
	char *buf = xstrdup("");
	size_t len = 0, cap = 1;
	const char *name = r->verification.hostname.name ? r->verification.hostname.name : "";

	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{name}", 6) == 0) {
			put(&buf, &len, &cap, name, strlen(name));
			p += 6;
		} else if (strncmp(p, "{dns}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, "DNS:", false);
			p += 5;
		} else if (strncmp(p, "{ips}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, "IP:", true);
			p += 5;
		} else if (strncmp(p, "{san}", 5) == 0) {
			put_sans(&buf, &len, &cap, r, NULL, true);
			p += 5;
		} else {
			size_t n = strcspn(p + 1, "{") + 1;
			put(&buf, &len, &cap, p, n);
			p += n;
		}
	}
	return buf;
}

static const char *says_of(const struct profile *p, size_t off)
{
	return *(const char *const *)((const char *)&p->says + off);
}

static void add_reason(struct profile_verdict *v, const char *finding, int cert_index,
		       const char *says, const struct tls_report *r)
{
	for (size_t i = 0; i < v->n_reasons; i++)
		if (strcmp(v->reasons[i].finding, finding) == 0 &&
		    v->reasons[i].cert_index == cert_index)
			return;
	v->reasons = xrealloc(v->reasons, (v->n_reasons + 1) * sizeof(*v->reasons));
	v->reasons[v->n_reasons++] = (struct profile_reason){
		.finding = finding, .cert_index = cert_index, .says = expand(says, r)};
}

static const char *catalog_id(const char *id)
{
	const struct diag_entry *e = diagnose_lookup(id);
	return e ? e->id : NULL;
}

/* ---------------- versions and suites ---------------- */

static const char *const version_names[] = {
	[10] = "TLS1.0", [11] = "TLS1.1", [12] = "TLS1.2", [13] = "TLS1.3"};

/* "TLS1.2" -> 12; 0 when unknown. */
static int version_rank(const char *v)
{
	for (size_t i = 0; v && i < N(version_names); i++)
		if (version_names[i] && strcmp(version_names[i], v) == 0)
			return (int)i;
	return 0;
}

/* Suite names as GnuTLS gives them (TLS_DHE_RSA_AES_128_CCM) or as IANA does
 * (TLS_DHE_RSA_WITH_AES_128_CCM): the same prefixes and parts. */
static const struct {
	unsigned kind;
	const char *prefix, *part;
} suite_kinds[] = {
	{SUITE_DHE, "TLS_DHE_", NULL},
	{SUITE_CCM, NULL, "_CCM"},
	{SUITE_CBC_SHA2, NULL, "_CBC_SHA256"},
	{SUITE_CBC_SHA2, NULL, "_CBC_SHA384"},
};

static unsigned suite_kind(const char *suite)
{
	unsigned k = 0;
	for (size_t i = 0; suite && i < N(suite_kinds); i++)
		if ((suite_kinds[i].prefix &&
		     strncmp(suite, suite_kinds[i].prefix, strlen(suite_kinds[i].prefix)) == 0) ||
		    (suite_kinds[i].part && strstr(suite, suite_kinds[i].part)))
			k |= suite_kinds[i].kind;
	return k;
}

/* An ECDHE or DHE key exchange, which TLS 1.0/1.1 sign with MD5+SHA-1. */
static bool signed_kx(const char *suite)
{
	return suite &&
	       (strncmp(suite, "TLS_ECDHE_", 10) == 0 || strncmp(suite, "TLS_DHE_", 8) == 0);
}

/* What the server was seen to speak, and the finding that says so: the version tlsscope itself
 * negotiated when it is an old one (tls-version-old), else a follow-up probe's answer after a
 * version or suite mismatch. False when the report shows neither. */
struct server_choice {
	const char *version, *suite, *finding;
};

static bool server_choice(const struct tls_report *r, struct server_choice *c)
{
	static const char *const mismatches[] = {"protocol-version-mismatch", "no-shared-cipher"};

	if (r->negotiated.present && has_finding(r, "tls-version-old", SUBJ_CONNECTION)) {
		*c = (struct server_choice){r->negotiated.version, r->negotiated.cipher_suite,
					    "tls-version-old"};
		return true;
	}
	for (size_t m = 0; m < N(mismatches); m++) {
		if (!has_finding(r, mismatches[m], SUBJ_CONNECTION))
			continue;
		for (size_t i = 0; i < r->n_probes; i++)
			if (r->probes[i].accepted && !r->probes[i].sni) {
				*c = (struct server_choice){r->probes[i].version,
							    r->probes[i].cipher_suite,
							    mismatches[m]};
				return true;
			}
	}
	return false;
}

/* A client refuses a version below its minimum; an OpenSSL one at security level 2 also the
 * signed key exchange of TLS 1.0/1.1; and, after a mismatch, a suite of a kind it lacks. */
static void judge_version(const struct profile *p, const struct tls_report *r,
			  struct profile_verdict *v)
{
	struct server_choice c;
	if (!p->min_version || !server_choice(r, &c))
		return;
	int rank = version_rank(c.version);
	const char *says = NULL;
	if (rank && rank < p->min_version)
		says = p->says.old_version;
	else if (rank && rank < 12 && p->legacy_sigalg && signed_kx(c.suite))
		says = p->says.legacy_sigalg;
	else if (strcmp(c.finding, "tls-version-old") != 0 && (suite_kind(c.suite) & p->lacks))
		says = p->says.no_cipher;
	if (says && catalog_id(c.finding))
		add_reason(v, catalog_id(c.finding), -1, says, r);
}

static void judge_one(const struct profile *p, const struct tls_report *r, enum tls_subject subj,
		      struct profile_verdict *v)
{
	*v = (struct profile_verdict){.id = p->id, .name = p->name, .accept = true};
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		if (f->subject != subj)
			continue;
		for (size_t k = 0; k < N(rules); k++) {
			const char *says = says_of(p, rules[k].says);
			if (strcmp(rules[k].finding, f->id) != 0 || !says ||
			    !rules[k].refuses(p, r, f))
				continue;
			add_reason(v, f->id, f->cert_index, says, r);
		}
	}
	enum name_case c = subj == SUBJ_SERVER_CHAIN ? name_case(r, subj) : NAME_OK;
	for (size_t k = 0; k < N(name_rules) && c != NAME_OK; k++) {
		const struct name_rule *nr = &name_rules[k];
		if (nr->c != c || (nr->accepts && *(const bool *)((const char *)p + nr->accepts)))
			continue;
		/* The case's own id when the report has it, else the mismatch every case gives. */
		const char *id =
			has_finding(r, nr->finding, subj) ? nr->finding : "hostname-mismatch";
		const char *says =
			says_of(p, nr->says) ? says_of(p, nr->says) : says_of(p, SAYS(name));
		if (says && catalog_id(id))
			add_reason(v, catalog_id(id), 0, says, r);
	}
	if (subj == SUBJ_SERVER_CHAIN)
		judge_version(p, r, v);
	v->min_version = p->min_version ? version_names[p->min_version] : NULL;
	v->accept = v->n_reasons == 0;
}

void profiles_judge(const struct tls_report *r, enum profile_side side, struct profile_set *out)
{
	const struct profile *table = side == PROFILE_CLIENTS ? clients : servers;
	size_t n = side == PROFILE_CLIENTS ? N(clients) : N(servers);
	enum tls_subject subj = side == PROFILE_CLIENTS ? SUBJ_SERVER_CHAIN : SUBJ_CLIENT_CHAIN;

	out->v = xmalloc(n * sizeof(*out->v));
	out->n = n;
	for (size_t i = 0; i < n; i++)
		judge_one(&table[i], r, subj, &out->v[i]);
}

bool profiles_apply(const struct tls_report *r, enum profile_side side)
{
	struct server_choice c;
	return r->n_chain || (side == PROFILE_CLIENTS && server_choice(r, &c));
}

void profiles_free(struct profile_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->v[i].n_reasons; k++)
			free(s->v[i].reasons[k].says);
		free(s->v[i].reasons);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* ---------------- explain ---------------- */

/* Messages that are not a profile's verification words but come up in the same logs. */
struct extra_message {
	const char *client, *finding, *text;
};

static const struct extra_message extras[] = {
	/* OpenSSL 1.1's wording of X509_V_ERR_INVALID_PURPOSE (3.0 says "unsuitable"). */
	{"nginx", "wrong-purpose", "unsupported certificate purpose"},
	{"nginx", "client-cert-required", "No required SSL certificate was sent"},
	{"java", "untrusted-issuer", "PKIX path building failed"},
	{"curl", "untrusted-issuer", "SSL certificate problem: unable to get local issuer"},
	{"openssl", "self-signed", "self-signed certificate in certificate chain"},
	{"openssl", "self-signed", "self signed certificate"},
	{"go", "ip-not-in-san", "doesn't contain any IP SANs"},
	{"go", "hostname-mismatch", "x509: certificate is valid for"},
	{"java", "hostname-mismatch", "No subject alternative DNS name matching"},
	{"java", "ip-not-in-san", "No subject alternative names matching IP address"},
	{"python", "hostname-mismatch", "certificate verify failed: Hostname mismatch"},
	{"python", "ip-not-in-san", "certificate verify failed: IP address mismatch"},
	{"node", "hostname-mismatch", "is not in the cert's altnames"},
	{"node", "ip-not-in-san", "is not in the cert's list"},
};

/* Templates are compared piece by piece: split at placeholders and punctuation, because users
 * paste a line with other names, ports, codes and file positions in it, or only part of it. */
#define MAX_PIECES 24

struct piece {
	const char *p;
	size_t n;
};

static bool is_cut(const char *p)
{
	return strchr("{}()[]'\":,", *p) || (p[0] == '.' && p[1] == ' ');
}

static size_t pieces_of(const char *tmpl, struct piece *out)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n < MAX_PIECES;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			p = e ? e + 1 : p + 1;
			continue;
		}
		while (*p && (is_cut(p) || isspace((unsigned char)*p)) && *p != '{')
			p++;
		const char *start = p;
		while (*p && !is_cut(p))
			p++;
		size_t len = (size_t)(p - start);
		while (len && isspace((unsigned char)start[len - 1]))
			len--;
		if (len >= 4 && strspn(start, "0123456789") < len)
			out[n++] = (struct piece){start, len};
	}
	return n;
}

static bool has_piece(const char *message, const struct piece *pc)
{
	for (const char *m = message; *m; m++)
		if (strncasecmp(m, pc->p, pc->n) == 0)
			return true;
	return false;
}

/* A piece that the profile prints for more than one failure (its prefix) tells nothing. */
static bool is_common(const struct profile *p, const struct piece *pc, const char *own);

/* 0 when message is not this template; else how much of it the message holds. */
static size_t match_score(const char *message, const char *tmpl, const struct profile *p)
{
	struct piece pcs[MAX_PIECES];
	size_t n = pieces_of(tmpl, pcs), score = 0, distinct = 0;

	for (size_t i = 0; i < n; i++) {
		if (!has_piece(message, &pcs[i]))
			continue;
		score += pcs[i].n;
		if (pcs[i].n >= 8 && (!p || !is_common(p, &pcs[i], tmpl)))
			distinct++;
	}
	return distinct ? score : 0;
}

static void add_match(struct profile_match **out, size_t *n, const char *client,
		      const char *finding, const char *name)
{
	const struct diag_entry *e = diagnose_lookup(finding);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*out)[i].client, client) == 0 &&
		    strcmp((*out)[i].finding, finding) == 0)
			return;
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = (struct profile_match){
		.client = client,
		.finding = finding,
		.title = e ? e->title : finding,
		.detail = xasprintf("%s prints this. tlsscope's finding: %s.", name,
				    e ? e->title : finding),
		.fix = e ? e->fix : ""};
}

/* Which finding each field of struct profile_says stands for, for explain. */
static const struct {
	size_t says;
	const char *finding;
} says_findings[] = {
	{SAYS(untrusted), "untrusted-issuer"},
	{SAYS(missing_intermediate), "missing-intermediate"},
	{SAYS(untrusted_leaf), "client-cert-untrusted"},
	{SAYS(self_signed), "self-signed"},
	{SAYS(expired), "expired"},
	{SAYS(weak_leaf), "weak-key"},
	{SAYS(weak_ca), "weak-key"},
	{SAYS(sha1), "insecure-signature"},
	{SAYS(not_ca), "not-a-ca"},
	{SAYS(purpose), "wrong-purpose"},
	{SAYS(path_len), "path-length-exceeded"},
	{SAYS(name_constraint), "name-constraint-violated"},
	{SAYS(name), "hostname-mismatch"},
	{SAYS(ip), "hostname-mismatch"},
	{SAYS(cn_only), "cn-only-no-san"},
	{SAYS(ip_in_cn), "ip-not-in-san"},
	{SAYS(ip_as_dns), "ip-not-in-san"},
	{SAYS(old_version), "protocol-version-mismatch"},
	{SAYS(legacy_sigalg), "tls-version-old"},
	{SAYS(no_cipher), "no-shared-cipher"},
};

static bool is_common(const struct profile *p, const struct piece *pc, const char *own)
{
	for (size_t k = 0; k < N(says_findings); k++) {
		const char *s = says_of(p, says_findings[k].says);
		if (!s || strcmp(s, own) == 0)
			continue;
		for (const char *m = s; *m; m++)
			if (strncasecmp(m, pc->p, pc->n) == 0)
				return true;
	}
	return false;
}

struct candidate {
	const char *client, *finding, *name;
	size_t score;
};

static void consider(struct candidate *c, size_t *n, size_t cap, const char *client,
		     const char *finding, const char *name, size_t score)
{
	if (score && *n < cap)
		c[(*n)++] = (struct candidate){client, finding, name, score};
}

static const char *profile_name(const char *id)
{
	for (size_t i = 0; i < N(clients); i++)
		if (strcmp(clients[i].id, id) == 0)
			return clients[i].name;
	for (size_t i = 0; i < N(servers); i++)
		if (strcmp(servers[i].id, id) == 0)
			return servers[i].name;
	return id;
}

size_t profiles_explain(const char *message, struct profile_match **out)
{
	struct candidate c[512];
	size_t nc = 0, n = 0, best = 0;
	const struct {
		const struct profile *t;
		size_t n;
	} tables[] = {{clients, N(clients)}, {servers, N(servers)}};

	*out = NULL;
	for (size_t t = 0; t < N(tables); t++)
		for (size_t i = 0; i < tables[t].n; i++)
			for (size_t k = 0; k < N(says_findings); k++) {
				const struct profile *p = &tables[t].t[i];
				const char *s = says_of(p, says_findings[k].says);
				if (s)
					consider(c, &nc, N(c), p->id, says_findings[k].finding,
						 p->name, match_score(message, s, p));
			}
	for (size_t i = 0; i < N(extras); i++)
		consider(c, &nc, N(c), extras[i].client, extras[i].finding,
			 profile_name(extras[i].client),
			 match_score(message, extras[i].text, NULL));
	/* The closest copies only: curl's line also holds OpenSSL's words that others print. */
	for (size_t i = 0; i < nc; i++)
		if (c[i].score > best)
			best = c[i].score;
	for (size_t i = 0; i < nc; i++)
		if (c[i].score == best)
			add_match(out, &n, c[i].client, c[i].finding, c[i].name);
	return n;
}

void profiles_matches_free(struct profile_match *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].detail);
	free(m);
}
