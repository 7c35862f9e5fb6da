/* --allow-serial: the rules the listener checks a client certificate's serial against. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/serial.h"

static char *strip_zeros(const char *s)
{
	while (s[0] == '0' && s[1])
		s++;
	return xstrdup(s);
}

int serial_rule_parse(const char *text, struct tls_serial_rule *rule, struct tls_error *err)
{
	char buf[256];
	size_t n = 0;
	bool hex_only = false, digits_only = true;
	const char *p = text;

	memset(rule, 0, sizeof(*rule));
	if (strncmp(p, "0x", 2) == 0 || strncmp(p, "0X", 2) == 0) {
		hex_only = true;
		p += 2;
	}
	for (; *p; p++) {
		if (*p == ':') {
			hex_only = true;
			continue;
		}
		if (!isxdigit((unsigned char)*p) || n + 1 >= sizeof(buf)) {
			tls_error_set(err,
				      "--allow-serial '%s': not a serial number (hex, with or "
				      "without 0x and colons, or decimal)",
				      text);
			return -1;
		}
		if (!isdigit((unsigned char)*p))
			digits_only = false;
		buf[n++] = (char)tolower((unsigned char)*p);
	}
	buf[n] = 0;
	if (n == 0) {
		tls_error_set(err, "--allow-serial '%s': empty serial number", text);
		return -1;
	}
	rule->text = xstrdup(text);
	rule->hex = strip_zeros(buf);
	if (digits_only && !hex_only)
		rule->dec = strip_zeros(buf);
	return 0;
}

void serial_rule_free(struct tls_serial_rule *rule)
{
	free(rule->text);
	free(rule->hex);
	free(rule->dec);
	memset(rule, 0, sizeof(*rule));
}

bool serial_rule_is_ambiguous(const struct tls_serial_rule *rule)
{
	return rule->hex && rule->dec;
}

void serial_rule_describe(const struct tls_serial_rule *rule, char *buf, size_t len)
{
	if (serial_rule_is_ambiguous(rule))
		snprintf(buf, len, "%s (hex 0x%s or decimal %s)", rule->text, rule->hex, rule->dec);
	else
		snprintf(buf, len, "%s (hex %s)", rule->text, rule->hex);
}

int serial_rules_match(const struct tls_serial_rule *rules, size_t n, const char *serial_hex,
		       const char *serial_dec, const char **form)
{
	char *hex = strip_zeros(serial_hex);
	int found = -1;

	for (size_t i = 0; i < n && found < 0; i++) {
		if (rules[i].hex && strcmp(rules[i].hex, hex) == 0) {
			found = (int)i;
			*form = "hex";
		} else if (rules[i].dec && strcmp(rules[i].dec, serial_dec) == 0) {
			found = (int)i;
			*form = "decimal";
		}
	}
	free(hex);
	return found;
}
