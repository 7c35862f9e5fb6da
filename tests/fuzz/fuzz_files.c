/* Arbitrary bytes as a file given to inspect and to the identity loader: certificates, keys,
 * PKCS#12, CSRs, CRLs, or garbage. Nothing may crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tlsscope/creds.h"
#include "tlsscope/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct tls_error err;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/tlsscope-fuzz-%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);

	const char *paths[2] = {path, path};
	struct inspect_options o = {
		.password = "fuzz", .purpose = PURPOSE_SERVER, .verify_name = "localhost"};
	struct inspect_result r;
	inspect_run(paths, 2, &o, &r, &err);
	inspect_result_free(&r);

	struct tls_creds *c = creds_new();
	creds_set_identity(c, path, NULL, NULL, &err);
	creds_add_ca_file(c, path, &err);
	creds_add_crl_file(c, path, &err);
	creds_free(c);
	unlink(path);
	return 0;
}
