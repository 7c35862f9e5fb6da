/* Certificate facts: what a person needs to see of each certificate in a chain. */
#ifndef TLSSCOPE_CHAIN_H
#define TLSSCOPE_CHAIN_H

#include <gnutls/x509.h>
#include <stddef.h>

#include "tlsscope/report.h"

/* Fills ci (zeroed by the caller) from crt; index is the position in the chain.
 * Returns 0, or a negative GnuTLS code when the certificate cannot be read. */
int chain_describe(gnutls_x509_crt_t crt, unsigned index, struct tls_cert_info *ci);

/* "RSA", "ECDSA", "Ed25519", ... for a gnutls_pk_algorithm_t; "unknown" otherwise. */
const char *chain_pk_name(int pk);

/* Marks in ci[i].issues_previous whether crts[i] is the issuer of crts[i - 1]. */
void chain_link(gnutls_x509_crt_t *crts, unsigned n, struct tls_cert_info *ci);

/* Serial number bytes (big-endian, as in DER, maybe with a leading zero byte) to lowercase hex
 * without leading zero bytes ("00" for zero) and to a decimal string. Caller frees. */
char *chain_serial_hex(const unsigned char *b, size_t len);
char *chain_serial_dec(const unsigned char *b, size_t len);

/* Imports a list of DER certificates. *out receives an array of n certificates (caller
 * deinits each and frees the array). Returns 0 or a negative GnuTLS code. */
int chain_import(const gnutls_datum_t *der, unsigned n, gnutls_x509_crt_t **out);
void chain_free(gnutls_x509_crt_t *crts, unsigned n);

/* The certificates --fetch-intermediates fetched (r->aia), imported (caller frees with
 * chain_free(*out, n)); 0 when none. */
unsigned chain_import_fetched(const struct tls_report *r, gnutls_x509_crt_t **out);

#endif
