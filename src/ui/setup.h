/* What a connection from the TUI uses: target, trust and identity, as the forms edit them. The
 * password stays in memory only (wiped on free) and is never saved. */
#ifndef TLSSCOPE_UI_SETUP_H
#define TLSSCOPE_UI_SETUP_H

#include <stdbool.h>

#include "tlsscope/creds.h"
#include "tlsscope/engine.h"
#include "tlsscope/util.h"

struct ui_start;

struct ui_setup {
	char *host;
	unsigned port;
	char *sni;
	bool no_sni;
	char *verify_name;
	char *alpn;
	int tls_max;
	double timeout_s;
	char *priority;
	enum tls_http_mode http;
	char *http_path;
	bool strict, force_client_cert, no_probe, resume;
	bool ocsp, fetch_intermediates;
	char *starttls;		   /* a protocol, "none", or NULL: what the port implies */
	char *proxy;		   /* --proxy's URL (no password in it), or NULL */
	char *proxy_password_file; /* its user's password, read at each connection; NULL: none */
	char *keylog;
	bool system_trust;
	struct strlist ca_files, intermediates, crls;
	char *cert;	/* a certificate file, a PKCS#12 file or a pkcs11: URI; NULL: none */
	char *key;	/* NULL with PKCS#12 */
	char *password; /* NULL: none given */
};

/* Copies what connect needs from what the TUI starts with; st->password (may be NULL) is
 * taken over. */
void setup_from_start(struct ui_setup *s, const struct ui_start *st);
void setup_free(struct ui_setup *s);
/* Replaces *dst with a copy of src (NULL or "" give NULL). */
void setup_set(char **dst, const char *src);
void setup_set_password(struct ui_setup *s, const char *password);

/* Credentials for a connection: the system store when system is true, the CA files,
 * intermediates, CRLs and, when with_identity, the identity. NULL with err set on failure. */
struct tls_creds *setup_creds(const struct ui_setup *s, bool system, bool with_identity,
			      struct tls_error *err);
/* The connection's configuration; proxy_password (from setup_proxy_password, may be NULL) and
 * the strings of s are borrowed until client_start returns (it copies them). */
void setup_client_config(const struct ui_setup *s, struct tls_creds *creds,
			 const char *proxy_password, struct tls_client_config *cfg);
/* The proxy password: the first line of the password file (a regular file only: a FIFO
 * would hold the screen). *out is NULL when there is no file; free it with
 * setup_free_secret. Returns 0, or -1 with err set. */
int setup_proxy_password(const struct ui_setup *s, char **out, struct tls_error *err);
/* Wipes and frees a secret; accepts NULL. */
void setup_free_secret(char *secret);
/* "trust: system + 1 CA file   identity: client.crt   SNI: x" for the header. Caller frees. */
char *setup_describe(const struct ui_setup *s);

#endif
