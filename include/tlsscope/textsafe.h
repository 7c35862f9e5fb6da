/* Text from the network or from certificates must never reach a terminal or a JSON string raw. */
#ifndef TLSSCOPE_TEXTSAFE_H
#define TLSSCOPE_TEXTSAFE_H

#include <stddef.h>

/* A NUL byte inside a certificate's name (a SAN "localhost\0.evil.example") cannot live in a
 * C string: the engine carries it as the pair C0 80 (the overlong form, as Java's modified
 * UTF-8 does), which no valid UTF-8 text contains. textsafe_escape shows it as \x00 and
 * textsafe_utf8_nul gives it back as a NUL byte (JSON \u0000). */

/* Returns a new string where control characters (C0, DEL, C1), bidirectional overrides and
 * invalid UTF-8 are shown as escapes (\x1b, \u202e); valid printable UTF-8 stays. Caller frees. */
char *textsafe_escape(const char *s, size_t len);

/* Returns a new string with invalid UTF-8 sequences replaced by U+FFFD, for JSON (jansson
 * rejects invalid UTF-8 and the field would vanish). Caller frees. */
char *textsafe_utf8(const char *s, size_t len);

/* As textsafe_utf8, but a carried NUL (C0 80) becomes a NUL byte; *out_len is the length of
 * the result, NULs included. Caller frees. */
char *textsafe_utf8_nul(const char *s, size_t len, size_t *out_len);

/* Escapes arbitrary bytes as printable ASCII ("HTTP/1.1 400 Bad\r\n" stays readable). */
char *textsafe_bytes(const unsigned char *b, size_t len);

#endif
