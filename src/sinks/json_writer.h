/* A streaming JSON writer for the report sinks: values go out as they are walked, with no tree
 * built first. */
#ifndef TLSSCOPE_SINKS_JSON_WRITER_H
#define TLSSCOPE_SINKS_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>

/* The JSON documents are written as they are walked, without building a tree first: a report
 * per connection of a busy listener would otherwise cost a few hundred small allocations. The
 * bytes are jansson's json_dumps with JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER and
 * JSON_REAL_PRECISION(12), one line (JSON_COMPACT) or JSON_INDENT(2): the same separators and
 * indentation, the same escapes (\" \\ \b \f \n \r \t, \u00XX for other control characters,
 * \uXXXX and UTF-16 surrogate pairs, upper-case hex, for non-ASCII), the same reals (%.12g, with
 * ".0" added when that looks like an integer, the exponent without "+" or leading zeros). DEL
 * (0x7f), which jansson writes raw, travels as \u007f: a terminal showing the report must not get
 * it. Strings that are not valid UTF-8 are repaired first (textsafe_utf8_nul), as jansson would
 * refuse them. */

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool has[JW_MAX_DEPTH]; /* the open container at this depth has an element */
	size_t n;
	char buf[4096];
};

void jw_begin(struct jw *w, FILE *f, bool one_line);
/* Writes out what is buffered (at the end of a document). */
void jw_flush(struct jw *w);

/* Each value takes its key inside an object, NULL inside an array. */
void jw_open(struct jw *w, const char *key, const char *bracket);
void jw_close(struct jw *w, const char *bracket);
#define jw_obj(w, key) jw_open(w, key, "{")
#define jw_end_obj(w)  jw_close(w, "}")
#define jw_arr(w, key) jw_open(w, key, "[")
#define jw_end_arr(w)  jw_close(w, "]")

void jw_null(struct jw *w, const char *key);
void jw_bool(struct jw *w, const char *key, bool b);
void jw_int(struct jw *w, const char *key, long long v);
/* A value JSON cannot hold (NaN, infinity: json_real refuses them) leaves the key out. */
void jw_real(struct jw *w, const char *key, double v);
/* A string value, null when s is NULL. */
void jw_str(struct jw *w, const char *key, const char *s);
/* A string the program itself names (as json_string): a NULL one leaves the key out. */
void jw_name(struct jw *w, const char *key, const char *s);

/* What fn writes as one document, as a string the caller frees ("{}" when memory ran out). */
typedef void (*jw_doc_fn)(struct jw *w, const void *arg);
char *jw_dump(jw_doc_fn fn, const void *arg, bool one_line);

#endif
