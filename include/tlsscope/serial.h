/* --allow-serial: the rules a listener checks client certificates' serial numbers against
 * (serial.c). */
#ifndef TLSSCOPE_SERIAL_H
#define TLSSCOPE_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/util.h"

/* One --allow-serial value. A value that reads both as hex and as decimal ("4660") matches
 * either way; "0x..." or colons make it hex only, letters make it hex. */
struct tls_serial_rule {
	char *text; /* as given */
	char *hex;  /* normalised lowercase hex without leading zeros, or NULL */
	char *dec;  /* normalised decimal, or NULL */
};

/* Parses text into rule (caller frees with serial_rule_free). Returns 0 or -1 with err set. */
int serial_rule_parse(const char *text, struct tls_serial_rule *rule, struct tls_error *err);
void serial_rule_free(struct tls_serial_rule *rule);
/* The rule in words, labelled: "0x1234 (hex 1234)", "4660 (hex 0x4660 or decimal 4660)". */
void serial_rule_describe(const struct tls_serial_rule *rule, char *buf, size_t len);
/* Whether the rule reads both ways (digits only, without 0x or colons). */
bool serial_rule_is_ambiguous(const struct tls_serial_rule *rule);

/* Checks a certificate's serial (normalised hex and decimal, as chain.c gives them) against
 * the rules. Returns the index of the rule that matched, or -1; *form says "hex" or "decimal". */
int serial_rules_match(const struct tls_serial_rule *rules, size_t n, const char *serial_hex,
		       const char *serial_dec, const char **form);

#endif
