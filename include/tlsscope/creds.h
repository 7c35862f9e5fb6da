/* Trust anchors and identities loaded from files. */
#ifndef TLSSCOPE_CREDS_H
#define TLSSCOPE_CREDS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>

#include "tlsscope/util.h"

struct tls_creds {
	gnutls_certificate_credentials_t cred; /* trust for GnuTLS sessions */
	gnutls_x509_trust_list_t trust;	       /* the same anchors, for verify.c */
	gnutls_x509_trust_list_t ca_files;     /* the --ca anchors alone (NULL when none) */
	/* The system store is part of the trust. It is loaded only when a verification needs it
	 * (creds_need_system_trust): a chain that the --ca anchors alone verify never pays the
	 * ~15 ms of reading it. */
	bool system_trust;
	struct creds_lazy *lazy; /* whether the system store was loaded yet */
	unsigned n_ca_certs;
	/* --intermediates: untrusted certificates that may complete a chain the peer sent
	 * incomplete (NULL/0 when none). */
	gnutls_x509_crt_t *intermediates;
	unsigned n_intermediates;
	unsigned n_crls;
	gnutls_x509_crl_t *crl_list; /* the n_crls CRLs, for revocation.c's own judgement */
	/* The identity (NULL/0 when none), leaf first. */
	gnutls_pcert_st *pcerts;
	gnutls_x509_crt_t *id_crts;
	unsigned n_id;
	gnutls_privkey_t key;
};

/* What credentials to build: every field may be empty. The strings are borrowed for the
 * call only. */
struct tls_creds_spec {
	bool system_trust;	    /* the system store (read when first needed) */
	const char *const *anchors; /* trust anchor files (connect --ca, listen --client-ca) */
	size_t n_anchors;
	const char *const *intermediates; /* untrusted intermediates (--intermediates) */
	size_t n_intermediates;
	const char *const *crls; /* revocation lists (--crl) */
	size_t n_crls;
	/* The identity: a certificate file, a PKCS#12 file (key NULL) or a pkcs11: URI; NULL:
	 * none. */
	const char *cert, *key;
	const char *password; /* already read (never from a command line); NULL: none given */
};

/* Builds credentials from spec, in that order: system store, anchors, intermediates, CRLs,
 * identity. NULL with one line in err naming the file that failed. */
struct tls_creds *creds_build(const struct tls_creds_spec *spec, struct tls_error *err);

/* Allocates empty credentials. Returns NULL only if GnuTLS cannot allocate. */
struct tls_creds *creds_new(void);
void creds_free(struct tls_creds *c); /* accepts NULL */

/* Adds the system trust store, to be loaded when first needed. Returns 0 (err stays for the
 * callers that check). */
int creds_add_system_trust(struct tls_creds *c, struct tls_error *err);

/* Loads the system store into c's trust if it is part of it and not loaded yet (c is const for
 * the callers that only verify: the load is a cache fill). Returns 0, or -1 when it could not
 * be read (the anchors from files still work). */
int creds_need_system_trust(const struct tls_creds *c);

/* True once the system store has been read (for tests and benchmarks). */
bool creds_system_trust_loaded(const struct tls_creds *c);

/* Adds trust anchors from a PEM file (one or many certificates) or a DER certificate. */
int creds_add_ca_file(struct tls_creds *c, const char *path, struct tls_error *err);

/* Adds untrusted intermediate certificates (PEM bundle or DER). */
int creds_add_intermediates(struct tls_creds *c, const char *path, struct tls_error *err);

/* Adds certificate revocation lists (PEM or DER), checked during verification. */
int creds_add_crl_file(struct tls_creds *c, const char *path, struct tls_error *err);

/* Adds trust anchors already in memory (copies them). */
int creds_add_ca_certs(struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n,
		       struct tls_error *err);

/* Loads an identity. cert is a certificate file (PEM chain or DER), a PKCS#12 file (then key
 * is NULL: the key is inside), or a pkcs11: URI; key is a key file (PKCS#1, PKCS#8 plain or
 * encrypted, SEC1; PEM or DER) or a pkcs11: URI. password opens PKCS#12 files and encrypted
 * keys and is the PKCS#11 PIN; NULL means none given (the empty password is tried). The key
 * must belong to the certificate. Returns 0 or -1 with one line in err naming the file. */
int creds_set_identity(struct tls_creds *c, const char *cert, const char *key, const char *password,
		       struct tls_error *err);

/* What a file holds, judged from its content: "certificate", "key", "encrypted-key",
 * "pkcs12", "csr", "crl" or "unknown". */
const char *creds_kind(const unsigned char *data, size_t len);

/* Loads a private key file (password for encrypted ones; NULL: none given). */
int creds_load_key(const char *path, const char *password, gnutls_privkey_t *key,
		   struct tls_error *err);

/* Reads a certificate file (PEM, several, or DER): the count and an array for chain_free, or
 * -1 with err naming the file. */
int creds_read_certs(const char *path, gnutls_x509_crt_t **out, struct tls_error *err);

/* True when key is the private half of crt's public key. */
bool creds_key_matches(gnutls_x509_crt_t crt, gnutls_privkey_t key);

/* Loads certificates from memory, PEM or DER (detected from the content). *out is an array
 * the caller frees with chain_free. Returns the count (>= 1), or -1 with err set. */
int creds_parse_certs(const unsigned char *data, size_t len, const char *path,
		      gnutls_x509_crt_t **out, struct tls_error *err);

#endif
