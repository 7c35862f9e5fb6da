/* The PKI people need to try TLS: a CA, a server and a client, in the layout the tutorials use
 * (ca/ server/ client/ certDER/), modern by default or the classic 1024-bit SHA-1 recipe. */
#ifndef TLSSCOPE_PKI_H
#define TLSSCOPE_PKI_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/loop.h"
#include "tlsscope/util.h"

struct pki_options {
	const char *dir;
	/* The tutorial's recipe: RSA-1024, SHA-1, X.509 v1 (no extensions), the CA named only by
	 * O=... Dodgy Certificate Authority, the server's name in its CN, 5000 days. */
	bool legacy;
	const char *const *server_names; /* DNS names and IPs; NULL/0: localhost, 127.0.0.1, ::1 */
	size_t n_server_names;
	const char *const *client_names; /* the first is the CN; NULL/0: "tlsscope client" */
	size_t n_client_names;
	const char *password; /* for client/client.p12; NULL: the empty password */
	bool force;	      /* overwrite existing files */
	/* The CA's CN. NULL: "tlsscope CA DIRNAME XXXXXXXX" (the directory's last component and 8
	 * random hex digits), so that two PKIs never share an issuer name: a server's
	 * acceptable-CA list names issuers, and a client certificate from another PKI of the same
	 * name would be sent and refused. --legacy keeps the tutorial's O= alone unless set. */
	const char *ca_name;
	long long server_not_before, server_not_after; /* 0: now, and the default lifetime */
};

/* The files pki_generate writes, relative to the directory. */
extern const char *const pki_files[10];

/* Generates and writes the PKI: keys 0600, certificates 0644, each file written whole under a
 * temporary name and renamed. Refuses, before writing anything, when a file exists and
 * !force. Blocks (key generation): the TUI runs it through pki_start. Returns 0, or -1 with
 * err set. */
int pki_generate(const struct pki_options *o, struct tls_error *err);

/* pki_generate in a worker thread; done runs on the loop thread with its result. The options
 * and their strings must stay valid until then. Returns -1 if no thread could be started. */
int pki_start(struct loop *l, const struct pki_options *o,
	      void (*done)(void *arg, int rc, const struct tls_error *err), void *arg);

#endif
