/* Arbitrary command lines, HOST:PORT strings, --allow-serial values and HTTP responses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "tlsscope/http.h"
#include "tlsscope/server.h"
#include "tlsscope/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct tls_error err;

	memcpy(s, data, size);
	s[size] = 0;

	struct tls_target t;
	target_parse(s, size % 2 ? 443 : 0, &t, &err);
	(void)target_parse_port(s);
	struct tls_serial_rule rule;
	if (serial_rule_parse(s, &rule, &err) == 0) {
		const char *form;
		serial_rules_match(&rule, 1, "1234", "4660", &form);
		serial_rule_free(&rule);
	}

	struct tls_http h = {0};
	http_parse_response((const char *)data, size, &h);
	free(h.status_line);
	strlist_free(&h.headers);
	free(h.error);
	free(h.body_head);

	/* NUL-separated words as argv. */
	char *argv[32] = {"tlsscope"};
	int argc = 1;
	for (char *p = s; p < s + size && argc < 31; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	struct cli cli;
	args_parse(argc, argv, &cli, &err);
	args_free(&cli);
	free(s);
	return 0;
}
