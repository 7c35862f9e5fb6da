/* Text from the network or from certificates must never reach a terminal or a JSON string raw. */
#ifndef TLSSCOPE_TEXTSAFE_H
#define TLSSCOPE_TEXTSAFE_H

#include <stddef.h>

/* Returns a new string where control characters (C0, DEL, C1), bidirectional overrides and
 * invalid UTF-8 are shown as escapes (\x1b, \u202e); valid printable UTF-8 stays. Caller frees. */
char *textsafe_escape(const char *s, size_t len);

/* Returns a new string with invalid UTF-8 sequences replaced by U+FFFD, for JSON (jansson
 * rejects invalid UTF-8 and the field would vanish). Caller frees. */
char *textsafe_utf8(const char *s, size_t len);

/* Escapes arbitrary bytes as printable ASCII ("HTTP/1.1 400 Bad\r\n" stays readable). */
char *textsafe_bytes(const unsigned char *b, size_t len);

#endif
