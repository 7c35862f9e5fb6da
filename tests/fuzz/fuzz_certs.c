/* Arbitrary bytes as certificates: the file-type detector, the certificate parser, the facts of
 * each certificate, verification, diagnosis and both reports built from them. */
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sinks.h"
#include "tlsscope/chain.h"
#include "tlsscope/creds.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_error err;
	gnutls_x509_crt_t *crts;
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	(void)creds_kind(data, size);
	int n = creds_parse_certs(data, size, "fuzz", &crts, &err);
	if (n <= 0)
		return 0;
	struct tls_report r;
	report_init(&r, TLS_MODE_CONNECT);
	r.target.host = xstrdup("localhost");
	r.target.port = 443;
	r.target.verify_name = xstrdup(size % 2 ? "localhost" : "127.0.0.1");
	r.handshake.status = HS_COMPLETE;
	struct tls_creds *c = creds_new();
	struct verify_request req;
	verify_request_init(&req, c, r.target.verify_name, GNUTLS_KP_TLS_WWW_SERVER, &r.policy);
	verify_report(&req, crts, (unsigned)n, &r);
	diagnose_connect(&r);
	diagnose_recheck(&r, c);
	char *json = report_json_dump(&r, size % 3 == 0);
	free(json);
	report_text_print(devnull, &r, size % 5 == 0);
	report_free(&r);
	creds_free(c);
	chain_free(crts, (unsigned)n);
	return 0;
}
