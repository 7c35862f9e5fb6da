/* The report of one connection: every fact the engine observed, in the shape of the JSON report
 * (DESIGN.md §4). The engine fills it; sinks only read it. All strings are owned by the report
 * and freed by report_free; NULL means "absent" (null in JSON). */
#ifndef TLSSCOPE_REPORT_H
#define TLSSCOPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/findings.h"
#include "tlsscope/util.h"

enum tls_mode { TLS_MODE_CONNECT, TLS_MODE_LISTEN };

enum tls_client_cert_mode { CLIENT_CERT_NONE, CLIENT_CERT_REQUEST, CLIENT_CERT_REQUIRE };

enum tls_dir { TLS_DIR_SENT, TLS_DIR_RECEIVED };

/* One handshake message (or alert, or probe) in the order it happened. */
enum tls_step_type {
	STEP_CLIENT_HELLO,
	STEP_SERVER_HELLO,
	STEP_HELLO_RETRY_REQUEST,
	STEP_ENCRYPTED_EXTENSIONS,
	STEP_CERTIFICATE,
	STEP_CERTIFICATE_REQUEST,
	STEP_CERTIFICATE_VERIFY,
	STEP_CERTIFICATE_STATUS,
	STEP_SERVER_KEY_EXCHANGE,
	STEP_SERVER_HELLO_DONE,
	STEP_CLIENT_KEY_EXCHANGE,
	STEP_FINISHED,
	STEP_NEW_SESSION_TICKET,
	STEP_KEY_UPDATE,
	STEP_END_OF_EARLY_DATA,
	STEP_ALERT,
	STEP_PROBE,
	STEP_OTHER,
	STEP_STARTTLS, /* a plaintext command or answer before the handshake */
	STEP_PROXY,    /* a request to the proxy or its answer, before everything else */
};

enum tls_hs_status { HS_NOT_STARTED, HS_COMPLETE, HS_FAILED, HS_TIMEOUT };

enum tls_subject { SUBJ_CONNECTION, SUBJ_SERVER_CHAIN, SUBJ_CLIENT_CHAIN };

struct tls_step {
	double t_ms;
	enum tls_dir dir;
	enum tls_step_type type;
	bool probe;
	bool failure_point; /* the handshake broke here */
	char *detail;	    /* may be NULL */
};

struct tls_alert {
	bool present;
	int level; /* 1 warning, 2 fatal */
	int code;
};

/* The facts of one X.509 certificate (chain.c fills it). */
struct tls_cert_info {
	unsigned index;
	char *subject;
	char *issuer;
	char *serial_hex; /* lowercase, no leading zero bytes */
	char *serial_dec;
	long long not_before, not_after; /* seconds since the epoch */
	struct strlist san;		 /* "DNS:x", "IP:x", "URI:x", "email:x", ... */
	const char *key_algorithm;	 /* static: "RSA", "ECDSA", "Ed25519", ... */
	unsigned key_bits;
	char *key_curve; /* EC curve name, or NULL */
	char *signature_algorithm;
	int sign_algo;	  /* gnutls_sign_algorithm_t */
	bool sign_secure; /* the signature algorithm is acceptable for certificates */
	char sha256[65];
	struct strlist key_usage;
	struct strlist eku; /* names for known purposes, dotted OIDs otherwise */
	bool has_key_usage, has_eku, has_basic_constraints;
	bool is_ca;
	int path_len; /* -1: no limit or not a CA */
	bool self_signed;
	int version;
	bool has_aia_ca_issuers;
	bool issues_previous;	/* chain[index - 1] names this certificate as its issuer */
	unsigned verify_status; /* GnuTLS status bits for this certificate (verify.c) */
	struct strlist status;	/* finding ids that apply to this certificate */
	unsigned char *der;
	size_t der_len;
	/* Constraint facts (chain.c, verify.c): what an issuer allows below it. */
	struct strlist name_constraints; /* "permitted DNS:example.com", "excluded IP:10.0.0.0/8" */
	struct strlist unknown_critical; /* OIDs of critical extensions no client knows */
	int nc_violated_by;		 /* index of the certificate whose name breaks this
					  * issuer's name constraints (-1: none, verify.c) */
	bool path_len_exceeded;		 /* more CAs below it than its pathLenConstraint allows */
	bool is_anchor;			 /* a trust anchor the peer did not send (report.anchor) */
};

/* What the diagnosis holds a chain to; what-if toggles change it and re-verify. */
struct tls_policy {
	bool check_hostname;   /* default true */
	bool allow_sha1;       /* accept SHA-1 signatures on certificates */
	unsigned min_rsa_bits; /* RSA/DSA keys below this give weak-key (default 2048) */
	unsigned min_ec_bits;  /* EC keys below this give weak-key (default 224) */
	bool check_purpose;    /* wrong-purpose applies (inspect: only with --purpose) */
};

/* A follow-up probe after a handshake that failed before ServerHello (DESIGN.md §5), or, when
 * no SNI was sent, one with SNI after a failure or a certificate for another name. */
struct tls_probe {
	char *offered; /* what it offered, in words: "TLS1.0 to TLS1.3" */
	bool broad_versions, broad_ciphers;
	bool accepted; /* the server answered with a ServerHello (an SNI probe: completed) */
	char *version; /* what the server chose, when accepted */
	char *cipher_suite;
	int alert; /* the alert it sent instead, or -1 */
	/* An SNI probe: the name sent, else NULL; whether the certificate it got is valid for
	 * that name and is another than the first connection's; the leaf's names. */
	char *sni;
	bool name_ok, other_cert;
	char *served;
};

struct tls_finding {
	const char *id; /* static: the catalog's id */
	enum tls_severity severity;
	enum tls_subject subject;
	int cert_index; /* -1: not about one certificate */
	char *title;
	char *detail;
	char *fix;
};

struct tls_hostname_check {
	bool checked;
	char *name;
	bool match;
	const char *matched_by; /* static: "san", "cn", "ip"; NULL when no match */
};

struct tls_verification {
	bool done;
	bool trusted;
	unsigned gnutls_status;
	struct strlist reasons;
	const char *trust_source; /* static: "ca-file", "system"; NULL when untrusted */
	struct tls_hostname_check hostname;
};

struct tls_client_auth {
	bool requested;
	struct strlist acceptable_cas;
	bool sent;
	bool loaded;			      /* an identity was configured */
	char *loaded_subject, *loaded_issuer; /* its leaf\'s names, when loaded */
	bool issuer_not_acceptable;	      /* loaded, but its issuer is not in acceptable_cas */
	struct tls_cert_info *certificate;    /* the certificate sent, or NULL */
	int accepted;			      /* 1 yes, 0 no, -1 unknown */
	/* Connect mode: the loaded client chain (leaf first), described once; findings with
	 * subject client-chain index it. NULL when no identity was loaded. */
	struct tls_cert_info *chain;
	size_t n_chain;
	/* The server listed acceptable CAs and none of them issued a certificate of the loaded
	 * chain (by issuer DN); set whether or not it was sent (--force-client-cert). */
	bool issuer_unlisted;
	/* What the CertificateRequest asked for (connect mode): its signature algorithms, as
	 * GnuTLS names them, and the key types they (TLS 1.3) or its certificate types (TLS 1.2)
	 * allow. */
	struct strlist requested_sigalgs, requested_key_types;
	/* The loaded key cannot sign with any of requested_sigalgs: GnuTLS sends no
	 * certificate. */
	bool key_type_not_accepted;
};

struct tls_http {
	bool present;
	char *request_path;
	char *status_line;
	int status_code;
	struct strlist headers;
	char *error;	 /* why no response came, or NULL */
	char *body_head; /* the first lines of the body, escaped, or NULL */
};

/* STARTTLS (starttls.c): the plaintext upgrade before the handshake. */
enum tls_starttls_outcome {
	STARTTLS_UNUSED,
	STARTTLS_UPGRADED,
	STARTTLS_NOT_OFFERED, /* the capabilities do not list the upgrade */
	STARTTLS_REFUSED,     /* the server answered the upgrade with an error */
	STARTTLS_FAILED,      /* closed, stalled, too long, or not this protocol */
};

struct tls_starttls {
	const char *protocol; /* static: "smtp", ...; NULL: plain TLS */
	enum tls_starttls_outcome outcome;
	char *answer; /* the server's words that decided it, escaped, or NULL */
};

/* --proxy (proxy.c): the tunnel through an HTTP CONNECT or SOCKS5 proxy. */
enum tls_proxy_outcome {
	PROXY_UNUSED,
	PROXY_TUNNEL,  /* the proxy connected us to the target */
	PROXY_REFUSED, /* it answered with an error (403, 407, SOCKS reply 5, ...) */
	PROXY_FAILED,  /* unreachable, closed, stalled, or not that kind of proxy */
};

struct tls_proxy_facts {
	char *url;	  /* without the password; NULL: no proxy */
	const char *kind; /* static: "HTTP CONNECT", "SOCKS5", ... */
	char *address;	  /* the proxy's address as connected to, or NULL */
	enum tls_proxy_outcome outcome;
	char *answer; /* the proxy's words that decided it, escaped, or NULL */
};

/* The protocol's first request after a STARTTLS handshake and its answer, as the HTTP probe is
 * for HTTPS: a server may refuse a client certificate only then. */
struct tls_application {
	bool present;
	const char *protocol;	/* static */
	char *answer;		/* the first answer, escaped, or NULL */
	char *error;		/* why none came, or NULL */
	bool refused;		/* the answer is an error */
	bool names_certificate; /* and it speaks of the client certificate */
};

struct tls_negotiated {
	bool present;
	char *version;
	char *cipher_suite;
	char *group;
	char *signature;
	char *alpn;
	bool resumed;
	bool extended_master_secret;
	bool ocsp_stapled;
};

/* Revocation (revocation.c): what each source says about one certificate of the chain. */
enum tls_rev_state {
	REV_NONE, /* not checked by this source: null in JSON */
	REV_GOOD,
	REV_REVOKED,
	REV_EXPIRED,	 /* crl: the CRL that covers it is past its nextUpdate */
	REV_UNKNOWN,	 /* OCSP: the responder does not know the certificate */
	REV_INVALID,	 /* ocsp_stapled: for another certificate, bad signature, or stale */
	REV_UNREACHABLE, /* ocsp_queried: no usable answer */
};

struct tls_cert_revocation {
	enum tls_rev_state crl, ocsp_stapled, ocsp_queried;
	char *ocsp_url;	  /* the AIA OCSP responder asked (--ocsp), or NULL */
	char *ocsp_error; /* why the query or the staple was not usable, or NULL */
};

/* One loaded CRL, judged against the chain. */
struct tls_crl_fact {
	char *issuer;
	long long next_update; /* -1: none */
	bool expired;
	bool for_chain; /* its issuer issued a certificate of the chain */
};

struct tls_revocation_facts {
	struct tls_cert_revocation *certs; /* one per chain entry, or NULL */
	size_t n_certs;
	unsigned char *staple; /* the stapled OCSP response (DER) as received, or NULL */
	size_t staple_len;
	long long staple_this_update, staple_next_update, staple_produced; /* -1: absent */
	long long staple_revoked_at;					   /* -1: not revoked */
	char *staple_error; /* why the staple is not valid (ocsp_stapled invalid), or NULL */
	bool must_staple;   /* the leaf carries the TLS feature status_request */
	struct tls_crl_fact *crls;
	size_t n_crls;
};

/* --fetch-intermediates (aia.c): the issuers fetched through AIA caIssuers above the sent
 * chain, in order (certs[0] issued the sent chain's top). */
struct tls_fetched_cert {
	struct tls_cert_info info; /* index: n_chain + its place here */
	char *url;		   /* where it came from */
	const char *format;	   /* static: "der", "pem", "pkcs7" */
};

struct tls_aia_fetch {
	bool attempted; /* the sent chain was incomplete and its top names a caIssuers URL */
	struct tls_fetched_cert *certs;
	size_t n_certs;
	char *error; /* why the fetch stopped short (unreachable, not a certificate), or NULL */
};

struct tls_report {
	enum tls_mode mode;
	struct {
		char *host;
		unsigned port;
		char *address;
		char *sni;
		char *verify_name;
	} target;
	struct {
		double resolve_ms, connect_ms, handshake_ms, total_ms; /* < 0: did not happen */
	} timing;
	struct {
		enum tls_hs_status status;
		char *error;
		int gnutls_error; /* 0: none */
		int sys_errno;	  /* errno of a socket failure, 0: none */
		int gai_error;	  /* getaddrinfo failure, 0: none */
		struct tls_alert alert_received, alert_sent;
		bool post_handshake_alert; /* the received alert came after the handshake completed
					    */
		bool peer_closed;	   /* the peer closed without an alert */
		bool cancelled; /* stopped by the user (client_cancel), not by the peer */
		struct tls_step *steps;
		size_t n_steps;
		unsigned char first_bytes[48]; /* the first bytes the peer sent, for not-tls */
		size_t n_first_bytes;
	} handshake;
	struct tls_negotiated negotiated;
	struct strlist offered_versions; /* what the client allowed, "TLS1.3", "TLS1.2", ... */
	struct tls_probe *probes;
	size_t n_probes;
	struct tls_cert_info *chain;
	size_t n_chain;
	/* The trust anchor that completed the chain when the peer did not send it (the --ca or
	 * system root, the --client-ca in listen mode), or NULL. Findings about it have
	 * cert_index -1 and name it in their detail. */
	struct tls_cert_info *anchor;
	/* Listen mode: the listener's own chain, judged once at start (diagnose_own_chain); its
	 * findings are carried into each connection's report. Not owned; may be NULL. */
	const struct tls_report *own_chain;
	bool intermediate_found; /* the top's issuer is among the --intermediates */
	struct tls_policy policy;
	char *keylog_path;	       /* the key log written, or NULL */
	int keylog_errno;	       /* a write to the key log failed with this errno; 0: none */
	struct tls_report *resumption; /* --resume: the second connection, or NULL */
	/* After a complete handshake the server closed (or reset) the connection without an
	 * alert and without any answer to the request or before its first record. */
	bool closed_without_answer;
	double closed_after_ms; /* from the end of the handshake to the close */
	/* Listen mode only. */
	struct {
		char *peer_address; /* "127.0.0.1:54321", "[::1]:54321" */
		enum tls_client_cert_mode client_cert;
		size_t n_serial_rules;		/* 0: no --allow-serial */
		struct strlist serial_rules;	/* each rule labelled (serial_rule_describe) */
		char *serial_matched;		/* the rule that matched, as given, or NULL */
		const char *serial_form;	/* static: "hex" or "decimal" */
		bool rejected;			/* the server refused the client */
		const char *client_max_version; /* static: the highest version the client offered */
	} listen;
	struct tls_verification verification;
	struct tls_client_auth client_auth;
	struct tls_http http;
	struct tls_starttls starttls;
	struct tls_proxy_facts proxy;
	struct tls_application application;
	struct tls_revocation_facts revocation;
	struct tls_aia_fetch aia; /* --fetch-intermediates */
	struct tls_finding *findings;
	size_t n_findings;
	bool verdict_ok;
};

void report_init(struct tls_report *r, enum tls_mode mode);
void report_free(struct tls_report *r); /* accepts NULL and a zeroed report */

/* Drops the findings and every certificate's finding ids, before a new diagnosis. */
void report_clear_findings(struct tls_report *r);
/* Frees and empties f->certs, or f->crls (a re-check fills them anew). */
void report_revocation_certs_free(struct tls_revocation_facts *f);
void report_revocation_crls_free(struct tls_revocation_facts *f);

/* Appends a step and returns it (valid until the next add). detail may be NULL. */
struct tls_step *report_add_step(struct tls_report *r, double t_ms, enum tls_dir dir,
				 enum tls_step_type type, const char *detail);

/* Appends the catalog's finding id (its string id and title); detail and fix are copied. */
struct tls_finding *report_add_finding(struct tls_report *r, enum finding_id id,
				       enum tls_severity sev, enum tls_subject subject,
				       int cert_index, const char *detail, const char *fix);

bool report_has_finding(const struct tls_report *r, const char *id);

void cert_info_free(struct tls_cert_info *ci); /* frees the contents, not ci itself */

#endif
