/* The findings catalog (include/tlsscope/findings.h): one row per enum finding_id, and the
 * look-ups by enum value and by string id. Data only: the diagnosis adds findings from it. */
#include "tlsscope/findings.h"

#include <stddef.h>
#include <string.h>

/* The TUI's hint for every client-cert-* finding. */
#define HINT_CLIENT_CERT "i loads a client certificate and key (F2 picks the files)"

/* The findings catalog (DESIGN.md §5), one row per enum finding_id: its string id (stable API),
 * severity, title, usual fix, the chain view's column and the TUI's key hint. The designators
 * stand on their own line so that each row reads {"id", SEV_...} (tests/docs_check.py). */
static const struct diag_entry catalog[] = {
	/* clang-format off */
	[FINDING_DNS_FAILURE] =
	{"dns-failure", SEV_ERROR, "The host name does not resolve",
	 "Check the spelling of the host, or connect by IP address and give the certificate's "
	 "name with --verify-name."},
	[FINDING_CONNECTION_REFUSED] =
	{"connection-refused", SEV_ERROR, "Nothing accepts connections on that port",
	 "Start the server, or check the port: is it listening on this address "
	 "(ss -ltnp), and does a firewall reject the connection?"},
	[FINDING_CONNECTION_TIMEOUT] =
	{"connection-timeout", SEV_ERROR, "The TCP connection was not established in time",
	 "A firewall may drop the packets, or the host is down. Check the address and port, "
	 "and raise --timeout for a slow network."},
	[FINDING_NOT_TLS] =
	{"not-tls", SEV_ERROR, "The peer does not speak TLS on this port",
	 "This port serves plain text (often HTTP). Use the TLS port (usually 443), or enable "
	 "TLS on the server (nginx: 'listen PORT ssl;', Flask: ssl_context=...)."},
	[FINDING_HANDSHAKE_TIMEOUT] =
	{"handshake-timeout", SEV_ERROR, "The TLS handshake stalled",
	 "The server accepted TCP but stopped answering. Check that the port really serves TLS "
	 "and that the server is not overloaded or waiting for something else (a proxy protocol "
	 "header, STARTTLS)."},
	[FINDING_CONNECTION_CLOSED] =
	{"connection-closed", SEV_ERROR, "The peer closed the connection during the handshake",
	 "The server hung up without saying why. Its log usually has the reason; common causes "
	 "are a protocol or cipher mismatch, a missing client certificate, or SNI for an "
	 "unknown name."},
	[FINDING_PROTOCOL_VERSION_MISMATCH] =
	{"protocol-version-mismatch", SEV_ERROR, "No TLS version both sides allow",
	 "Allow a common version on one side: modern servers require TLS 1.2 or 1.3.",
	 .key_hint = "c changes the highest version offered"},
	[FINDING_NO_SHARED_CIPHER] =
	{"no-shared-cipher", SEV_ERROR, "No cipher suite, group or signature algorithm in common",
	 "Enable a common cipher suite on one side (try --priority NORMAL), or give the server "
	 "a certificate whose key type the client supports."},
	[FINDING_SNI_REQUIRED] =
	{"sni-required", SEV_ERROR, "The server needs SNI with a name it serves",
	 "Send the name as SNI: connect by name, or add --sni NAME when connecting by address; or "
	 "make the server answer without SNI (nginx: a listen ... default_server block with this "
	 "certificate, no ssl_reject_handshake; HAProxy: no strict-sni on the bind line)."},
	[FINDING_ALERT_RECEIVED] =
	{"alert-received", SEV_ERROR, "The peer refused with a TLS alert",
	 "The alert names the reason; the peer's log has the details."},
	[FINDING_PROTOCOL_ERROR] =
	{"protocol-error", SEV_ERROR, "The peer broke the TLS protocol",
	 "The peer sent something no TLS implementation accepts at that point. Check that the "
	 "port serves plain TLS (no PROXY protocol header, no STARTTLS, not DTLS), and compare "
	 "with another client: openssl s_client -connect HOST:PORT -msg shows the same bytes."},
	[FINDING_UNTRUSTED_ISSUER] =
	{"untrusted-issuer", SEV_ERROR, "The certificate chain does not lead to a trusted CA",
	 "Trust the CA that issued it (--ca ca.crt, or add it to the system store), or, if it "
	 "is a public CA, make the server also send its intermediate certificate "
	 "(nginx: ssl_certificate with the full chain).",
	 .check = CHECK_TRUST,
	 .key_hint = "t adds the CA file that issued the server's certificate"},
	[FINDING_MISSING_INTERMEDIATE] =
	{"missing-intermediate", SEV_ERROR, "The server does not send its intermediate certificate",
	 "Configure the server with the full chain: leaf first, then the intermediates "
	 "(cat server.crt intermediate.crt > fullchain.pem).",
	 .check = CHECK_TRUST, .key_hint = "t adds the intermediate (Intermediates field)"},
	[FINDING_SELF_SIGNED] =
	{"self-signed", SEV_ERROR, "The certificate is self-signed and not trusted",
	 "Trust this certificate explicitly (--ca server.crt), or issue the server certificate "
	 "from a CA that clients trust.",
	 .check = CHECK_TRUST,
	 .key_hint = "t adds the certificate itself as a CA file, if you trust it"},
	[FINDING_EXPIRED] =
	{"expired", SEV_ERROR, "A certificate has expired",
	 "Renew the certificate and install the new one on the server.",
	 .check = CHECK_DATES,
	 .key_hint = "s saves this report for whoever renews the certificate"},
	[FINDING_NOT_YET_VALID] =
	{"not-yet-valid", SEV_ERROR, "A certificate is not valid yet",
	 "Check the clock of the machine that issued it and of this machine; reissue with a "
	 "start date in the past.", .check = CHECK_DATES},
	[FINDING_INSECURE_SIGNATURE] =
	{"insecure-signature", SEV_ERROR, "A certificate is signed with an insecure algorithm",
	 "Reissue the certificate with SHA-256 (openssl x509 -sha256, certtool --hash SHA256).",
	 .check = CHECK_SIG, .key_hint = "w allows SHA-1 to see what else is wrong"},
	[FINDING_WEAK_KEY] =
	{"weak-key", SEV_ERROR, "A certificate has a key that is too small",
	 "Generate a new key of at least 2048 bits RSA or 256 bits EC and reissue the "
	 "certificate.",
	 .check = CHECK_KEY, .key_hint = "w lowers the minimum key size to see what else is wrong"},
	[FINDING_NOT_A_CA] =
	{"not-a-ca", SEV_ERROR, "A certificate that issues others is not marked as a CA",
	 "Reissue the issuing certificate with basicConstraints=critical,CA:TRUE "
	 "(certtool: 'ca' in the template).", .check = CHECK_TRUST},
	[FINDING_PATH_LENGTH_EXCEEDED] =
	{"path-length-exceeded", SEV_ERROR, "A CA's pathLenConstraint does not allow this chain",
	 "Issue the certificate directly from a CA whose pathLenConstraint allows the "
	 "intermediates below it, or reissue the CA with a larger path_len (certtool) / "
	 "basicConstraints=critical,CA:TRUE,pathlen:N (openssl)."},
	[FINDING_NAME_CONSTRAINT_VIOLATED] =
	{"name-constraint-violated", SEV_ERROR,
	 "A name in the chain is outside a CA's name constraints",
	 "Issue the certificate for a name the CA permits, or from a CA without name "
	 "constraints that exclude it."},
	[FINDING_ANCHOR_EXPIRED] =
	{"anchor-expired", SEV_ERROR, "A trust anchor (root CA) has expired",
	 "Replace the expired root in the trust store (--ca, the system store or --client-ca) "
	 "with its current version, and have the server send a chain that leads to it."},
	[FINDING_UNKNOWN_CRITICAL_EXTENSION] =
	{"unknown-critical-extension", SEV_ERROR,
	 "A certificate carries a critical extension clients do not understand",
	 "Reissue the certificate without that extension, or with it marked not critical."},
	[FINDING_WRONG_PURPOSE] =
	{"wrong-purpose", SEV_ERROR, "The certificate is not allowed for this purpose",
	 "Reissue it with the right extendedKeyUsage: serverAuth for servers, clientAuth for "
	 "clients (openssl: extendedKeyUsage=serverAuth; certtool: tls_www_server).",
	 .check = CHECK_USE},
	[FINDING_REVOKED] =
	{"revoked", SEV_ERROR, "A certificate has been revoked",
	 "Issue and install a new certificate.", .check = CHECK_TRUST},
	[FINDING_HOSTNAME_MISMATCH] =
	{"hostname-mismatch", SEV_ERROR, "The certificate is not valid for this name",
	 "Reissue the certificate with the name in its subjectAltName, or connect with a name "
	 "it holds.",
	 .check = CHECK_NAME,
	 .key_hint = "c sets the verify name; w shows the chain without the name check"},
	[FINDING_CN_ONLY_NO_SAN] =
	{"cn-only-no-san", SEV_ERROR, "The certificate has no subjectAltName",
	 "Reissue with subjectAltName (openssl: -addext 'subjectAltName=DNS:name,IP:addr'; "
	 "certtool: dns_name/ip_address in the template).",
	 .check = CHECK_NAME, .key_hint = "w shows the chain without the name check"},
	[FINDING_IP_NOT_IN_SAN] =
	{"ip-not-in-san", SEV_ERROR, "The IP address is not in the certificate's subjectAltName",
	 "Reissue with subjectAltName = IP:ADDRESS (openssl), or ip_address = ADDRESS "
	 "(certtool).",
	 .check = CHECK_NAME,
	 .key_hint = "c sets the verify name; w shows the chain without the name check"},
	[FINDING_V1_CERTIFICATE] =
	{"v1-certificate", SEV_WARNING, "An X.509 version 1 certificate (no extensions)",
	 "Reissue as version 3: openssl x509 -req needs -extfile with the extensions.",
	 .check = CHECK_SIG},
	[FINDING_EXPIRES_SOON] =
	{"expires-soon", SEV_WARNING, "A certificate expires within 30 days",
	 "Renew the certificate before it expires.", .check = CHECK_DATES},
	[FINDING_CHAIN_ORDER] =
	{"chain-order", SEV_WARNING, "The chain is out of order or holds unrelated certificates",
	 "Send the leaf first, then each issuer in turn, and nothing else."},
	[FINDING_TLS_VERSION_OLD] =
	{"tls-version-old", SEV_WARNING, "An old TLS version was negotiated",
	 "Enable TLS 1.2 and 1.3 on the server; TLS 1.0 and 1.1 are deprecated (RFC 8996)."},
	[FINDING_CLIENT_CERT_REQUIRED] =
	{"client-cert-required", SEV_ERROR,
	 "The server requires a client certificate and none was sent",
	 "Give a client certificate and key: --cert client.crt --key client.key (or --p12).",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_CERT_REQUESTED] =
	{"client-cert-requested", SEV_INFO,
	 "The server asked for a client certificate; none was sent and it went on",
	 "Nothing to do unless the application expects a client certificate.",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_CERT_REJECTED] =
	{"client-cert-rejected", SEV_ERROR, "The server refused the client certificate",
	 "Make sure the client certificate is issued by a CA the server trusts, is valid now and "
	 "carries extendedKeyUsage clientAuth.",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_CERT_CA_NOT_ACCEPTED] =
	{"client-cert-ca-not-accepted", SEV_ERROR,
	 "The client certificate's issuer is not one the server accepts",
	 "Use a client certificate issued by one of the CAs the server lists, or add your CA to "
	 "the server's client CA file. --force-client-cert sends it anyway.",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_KEY_NOT_ACCEPTED] =
	{"client-key-not-accepted", SEV_ERROR,
	 "The client key cannot sign with any algorithm the server accepts",
	 "Use a client certificate whose key type is one the server's CertificateRequest lists "
	 "(an RSA key for RSA-PSS or RSA-PKCS#1 algorithms, ECDSA for ECDSA ones), or allow "
	 "your key's algorithms on the server.",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_CERT_NOT_REQUESTED] =
	{"client-cert-not-requested", SEV_WARNING,
	 "A client certificate was loaded but the server never asked for one",
	 "Enable client certificate checking on the server (nginx: ssl_verify_client on;) if "
	 "you expected it.",
	 .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_SENT_NO_CERT] =
	{"client-sent-no-cert", SEV_ERROR, "The client sent no certificate",
	 "Configure the client with a certificate and key."},
	[FINDING_CLIENT_CERT_UNTRUSTED] =
	{"client-cert-untrusted", SEV_ERROR,
	 "The client certificate does not lead to the client CA",
	 "Issue the client certificate from the CA given with --client-ca, or give its CA.",
	 .check = CHECK_TRUST, .key_hint = HINT_CLIENT_CERT},
	[FINDING_CLIENT_SERIAL_NOT_ALLOWED] =
	{"client-serial-not-allowed", SEV_ERROR, "The client certificate's serial is not allowed",
	 "Add the serial with --allow-serial (hex or decimal), or use the expected certificate."},
	/* Revocation (revocation.c) and the chain as sent. */
	[FINDING_OCSP_STAPLE_INVALID] =
	{"ocsp-staple-invalid", SEV_ERROR, "The stapled OCSP response is not valid",
	 "Make the server staple a fresh response for its own certificate, signed by its issuer: "
	 "nginx fetches one itself with ssl_stapling on; (and ssl_trusted_certificate with the "
	 "issuer); a static file (ssl_stapling_file, gnutls-serv --ocsp-response) must be "
	 "renewed before its nextUpdate."},
	[FINDING_OCSP_MUST_STAPLE_MISSING] =
	{"ocsp-must-staple-missing", SEV_ERROR,
	 "The certificate requires a stapled OCSP response and none was sent",
	 "The certificate carries the TLS feature status_request (OCSP must-staple): clients "
	 "that honour it (Firefox) refuse it without a staple. Enable stapling on the server "
	 "(nginx: ssl_stapling on; ssl_stapling_verify on;), or reissue without must-staple."},
	[FINDING_OCSP_UNREACHABLE] =
	{"ocsp-unreachable", SEV_WARNING, "The certificate's OCSP responder gave no usable answer",
	 "Clients that check OCSP soft-fail or wait for it: check that the responder in the "
	 "certificate's Authority Information Access answers over HTTP, or staple the "
	 "response on the server."},
	[FINDING_OCSP_UNKNOWN] =
	{"ocsp-unknown", SEV_WARNING, "The OCSP responder does not know the certificate",
	 "The responder answered \"unknown\": its database lacks this certificate (a CA's "
	 "index.txt without it, or the wrong responder in AIA). Add the certificate to the "
	 "responder's database."},
	[FINDING_CRL_EXPIRED] =
	{"crl-expired", SEV_ERROR, "A revocation list is past its nextUpdate",
	 "Issue a fresh CRL and install it where it is used (openssl ca -gencrl -crlhours N, "
	 "certtool --generate-crl with crl_next_update), and renew it on a schedule shorter "
	 "than its validity."},
	[FINDING_CRL_NOT_FOR_CHAIN] =
	{"crl-not-for-chain", SEV_WARNING, "A loaded revocation list is for no certificate here",
	 "Load the CRL of the CA that issued these certificates; this one is issued by another "
	 "CA and checks nothing."},
	/* --proxy (proxy.c). */
	[FINDING_PROXY_FAILURE] =
	{"proxy-failure", SEV_ERROR, "The proxy did not connect us to the server",
	 "The proxy's answer says why (the detail quotes it): a 403 or a SOCKS ruleset refusal is "
	 "its policy (tinyproxy: ConnectPort; Squid: http_access and SSL_ports; Dante: socks "
	 "pass rules), a 401/407 or a refused user wants USER@ in --proxy and "
	 "--proxy-password-file, and an unreachable proxy is its address or port. Nothing was "
	 "learnt about the server itself."},
	/* STARTTLS (starttls.c). */
	[FINDING_STARTTLS_NOT_OFFERED] =
	{"starttls-not-offered", SEV_ERROR, "The server does not offer the STARTTLS upgrade",
	 "Enable TLS on the server (Postfix: smtpd_tls_security_level = may with a certificate; "
	 "Dovecot: ssl = yes; PostgreSQL: ssl = on; OpenLDAP: olcTLSCertificateFile), or use its "
	 "implicit-TLS port (465, 993, 995, 636) without --starttls."},
	[FINDING_STARTTLS_REFUSED] =
	{"starttls-refused", SEV_ERROR, "The server refused the STARTTLS upgrade",
	 "The server's answer says why; its log has the details. Check that its TLS certificate "
	 "and key load (a server that cannot load them often still advertises the upgrade)."},
	[FINDING_STARTTLS_FAILED] =
	{"starttls-failed", SEV_ERROR, "The plaintext exchange before STARTTLS broke",
	 "The server closed, stalled, or said something this protocol does not allow before the "
	 "upgrade. Check the protocol (--starttls PROTO) and the port, and the server's log."},
	[FINDING_STARTTLS_NEEDED] =
	{"starttls-needed", SEV_ERROR,
	 "The port speaks a plaintext protocol that upgrades with "
	 "STARTTLS",
	 "Connect with --starttls PROTO (named in the detail), or use the protocol's implicit-TLS "
	 "port."},
	[FINDING_CHAIN_HAS_ROOT] =
	{"chain-has-root", SEV_INFO, "The server sends its root certificate along",
	 "Allowed, but useless: clients must already have the root. Drop it from the chain file "
	 "(leaf first, then the intermediates)."},
	[FINDING_CLIENTS_LACK_SUITE] =
	{"clients-lack-suite", SEV_WARNING,
	 "The server takes only cipher suites that common clients do not offer",
	 "Enable ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 on the server (openssl-based: "
	 "ECDHE+AESGCM:ECDHE+CHACHA20 in its cipher list; GnuTLS: +ECDHE-RSA or +ECDHE-ECDSA with "
	 "+AES-128-GCM)."},
	/* clang-format on */
};
_Static_assert(sizeof(catalog) / sizeof(catalog[0]) == FINDING__COUNT,
	       "every enum finding_id has its row in the catalog");

const struct diag_entry *findings_entry(enum finding_id id)
{
	return &catalog[id];
}

int findings_parse(const char *id, enum finding_id *out)
{
	for (size_t i = 0; i < FINDING__COUNT; i++)
		if (strcmp(catalog[i].id, id) == 0) {
			*out = (enum finding_id)i;
			return 0;
		}
	return -1;
}
