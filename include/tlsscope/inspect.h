/* inspect: what certificate, key, PKCS#12, CSR and CRL files hold, whether they form a chain and
 * whether a key belongs to a certificate, with the catalog's findings where they apply. */
#ifndef TLSSCOPE_INSPECT_H
#define TLSSCOPE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/creds.h"
#include "tlsscope/report.h"

enum inspect_purpose { PURPOSE_NONE, PURPOSE_SERVER, PURPOSE_CLIENT };

struct inspect_options {
	const char *password; /* for PKCS#12 and encrypted keys; NULL: none given */
	/* Asked for a password when a file needs one and none was given (a terminal prompt);
	 * returns a string the caller frees, or NULL. May be NULL. */
	char *(*ask_password)(const char *path, void *arg);
	void *ask_arg;
	enum inspect_purpose purpose;  /* wrong-purpose is checked only when given */
	const struct tls_creds *trust; /* --ca: verify the chain; NULL: no trust findings */
	const char *verify_name;       /* a name to check the leaf against, or NULL */
};

struct inspect_file {
	char *path;
	const char *type; /* static: certificate, chain, key, pkcs12, csr, crl, unknown */
	char *detail;	  /* one line about the content (never key material) */
};

struct inspect_key {
	char *path;
	const char *algorithm; /* static */
	unsigned bits;
	int matches_certificate; /* index into report.chain, or -1 */
};

/* One leaf's path through the files: leaf, its issuer, ... up to top. */
struct inspect_chain {
	size_t leaf, top; /* indexes into report.chain */
	size_t length;	  /* certificates on the path, leaf and top included */
	bool complete;	  /* top is self-signed: the path ends at a root among the files */
};

struct inspect_result {
	struct inspect_file *files;
	size_t n_files;
	struct inspect_key *keys;
	size_t n_keys;
	/* Every leaf (a certificate that issued none of the others) and its path upwards; the
	 * files are complete when each leaf's path ends at a self-signed root among them. */
	struct inspect_chain *chains;
	size_t n_chains;
	bool chain_complete;
	enum inspect_purpose purpose; /* as asked (o->purpose) */
	struct tls_report report; /* chain = every certificate, issuer order; findings; verdict */
};

/* Reads every file and fills out (freed with inspect_result_free, also after a failure).
 * Returns 0, or -1 with err set for an unreadable file or a wrong or missing password. */
int inspect_run(const char *const *paths, size_t n, const struct inspect_options *o,
		struct inspect_result *out, struct tls_error *err);
void inspect_result_free(struct inspect_result *r);

#endif
