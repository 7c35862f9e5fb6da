/* The terminal and JSON sanitizers on arbitrary bytes: what comes out is printable and valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/textsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *e = textsafe_escape((const char *)data, size);
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort(); /* a control byte reached the terminal */
	free(e);
	char *u = textsafe_utf8((const char *)data, size);
	char *again = textsafe_utf8(u, strlen(u));
	if (strcmp(u, again) != 0)
		abort(); /* repaired text must already be valid */
	free(again);
	free(u);
	free(textsafe_bytes(data, size));
	return 0;
}
