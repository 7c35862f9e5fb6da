/* The peer profiles' rows (profiles_private.h). Each row's rules and words come from a run of
 * the real program on a chain built to show the rule (tests/scenarios/clients.py); where a rule
 * could not be run here, the comment on the row names the implementation's source or
 * documentation. */
#include "profiles_private.h"

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

const struct profile profiles_clients[] = {
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
#define OSSL_SERVER_SAYS(W, LEAF, ...)                                                             \
	{                                                                                          \
		.untrusted = W(20, OSSL_UNTRUSTED), .missing_intermediate = W(20, OSSL_UNTRUSTED), \
		.untrusted_leaf = LEAF, .self_signed = W(18, OSSL_SELF_SIGNED),                    \
		.expired = W(10, OSSL_EXPIRED), .weak_leaf = W(66, OSSL_WEAK_EE),                  \
		.weak_ca = W(67, OSSL_WEAK_CA), .sha1 = W(68, OSSL_SHA1),                          \
		.not_ca = W(79, OSSL_NOT_CA), .purpose = W(26, OSSL_PURPOSE),                      \
		.path_len = W(25, OSSL_PATHLEN), .name_constraint = W(47, OSSL_NC), __VA_ARGS__    \
	}
/* HAProxy 2.6 logs a refused client certificate by where the error was, not what it was:
 * "SSL client certificate not trusted" (the leaf) or "SSL client CA chain cannot be verified"
 * (an issuer); the OpenSSL code is only in the ssl_c_err/ssl_c_ca_err fetches. */
#define HAPROXY_CRT    "SSL client certificate not trusted"
#define HAPROXY_CA     "SSL client CA chain cannot be verified"
#define S_SERVER(n, s) "verify error:num=" #n ":" s
/* Servers offered TLS 1.0 or 1.1 (tlsscope --tls-max 1.2 --priority NORMAL:-VERS-ALL:+VERS-TLS1.1,
 * which leads with ECDHE), as the real servers logged it in tests/scenarios/clients.py
 * (server-versions-...): the OpenSSL 3.0 servers at security level 2 have TLS 1.0/1.1 enabled
 * but refuse the MD5+SHA-1 signature; HAProxy 2.6, Node 18 and Java 17 refuse the version;
 * gnutls-serv and Go 1.19 connect. */
#define OSSL_NO_SIGALG	 "error:0A000076:SSL routines::no suitable signature algorithm"
#define APACHE_NO_SIGALG "SSL Library Error: " OSSL_NO_SIGALG
#define PY_SERVER(n, s)	 PY(s)
/* A Node server with rejectUnauthorized closes the connection and prints nothing; what it
 * knows is the socket's authorizationError (the code), with the OpenSSL text as message. */
#define NODE_SERVER_SAYS                                                                           \
	{                                                                                          \
		.old_version = NODE("ERR_SSL_UNSUPPORTED_PROTOCOL",                                \
				    "error:0A000102:SSL routines:"                                 \
				    "tls_early_post_process_client_hello:unsupported protocol"),   \
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
const struct profile profiles_servers[] = {
	{.id = "nginx",
	 .name = "nginx 1.22 ssl_verify_client on (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .says = OSSL_SERVER_SAYS(NGINX, NGINX(21, OSSL_LEAF),
				  .legacy_sigalg =
					  "SSL_do_handshake() failed (SSL: " OSSL_NO_SIGALG ")")},
	{.id = "apache",
	 .name = "Apache httpd 2.4 SSLVerifyClient require (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .says = OSSL_SERVER_SAYS(APACHE, NULL, .legacy_sigalg = APACHE_NO_SIGALG)},
	{.id = "haproxy",
	 .name = "HAProxy 2.6 verify required (OpenSSL 3.0, security level 2)",
	 .anchor_eku = true,
	 .weak_leaf = true,
	 .weak_ca = true,
	 .min_version = 12,
	 .says = {.old_version = "SSL handshake failure",
		  .untrusted = HAPROXY_CA,
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
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .says = OSSL_SERVER_SAYS(PY_SERVER, NULL,
				  .legacy_sigalg = PY_SSL("[SSL: NO_SUITABLE_SIGNATURE_ALGORITHM] ",
							  "no suitable signature algorithm"))},
	{.id = "go",
	 .name = "Go 1.19 crypto/tls RequireAndVerifyClientCert",
	 .min_version = 10,
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
	 .min_version = 12,
	 .says = NODE_SERVER_SAYS},
	{.id = "java",
	 .name = "OpenJDK 17 SSLServerSocket needClientAuth (default trust manager)",
	 .sha1_ok = true,
	 .min_version = 12,
	 .says = {.old_version = "javax.net.ssl.SSLHandshakeException: Client requested protocol "
				 "{tlsv} is not enabled or supported in server context",
		  .untrusted = JAVA_NO_PATH,
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
	 .min_version = 10,
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
	 .min_version = 10,
	 .legacy_sigalg = true,
	 .says = OSSL_SERVER_SAYS(S_SERVER, NULL,
				  .legacy_sigalg = "error:0A000076:SSL routines:tls_choose_sigalg:"
						   "no suitable signature algorithm")},
};
const size_t profiles_n_clients = sizeof(profiles_clients) / sizeof(profiles_clients[0]);
const size_t profiles_n_servers = sizeof(profiles_servers) / sizeof(profiles_servers[0]);
