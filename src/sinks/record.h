/* Recordings (record.c writes them, replay.c reads them): the shape of a report as a table of
 * fields, one row per field of struct tls_report and of the structs inside it. Private to
 * src/sinks/. */
#ifndef TLSSCOPE_SINKS_RECORD_H
#define TLSSCOPE_SINKS_RECORD_H

#include <stddef.h>

#include "tlsscope/event.h"

#define RECORDING_VERSION 1

enum fkind {
	K_STR,	  /* char *, owned */
	K_STATIC, /* const char *, static in the engine: interned on replay */
	K_BOOL,
	K_INT, /* int, and the enums (int-sized, checked below) */
	K_UINT,
	K_LL,
	K_DBL,
	K_SIZE,
	K_LIST,	 /* struct strlist */
	K_CHARS, /* char[aux], NUL-terminated */
	K_BYTES, /* unsigned char * with its size_t length at aux */
	K_FIXED, /* unsigned char[aux] with its size_t length at len */
	K_OBJ,	 /* a struct inside: sub */
	K_ARR,	 /* a pointer to len elements of size bytes, the count a size_t at aux */
	K_PTR,	 /* a pointer to one struct of size bytes, or NULL */
};

struct fields;
struct field {
	const char *name;
	enum fkind kind;
	size_t off, aux, size;
	const struct fields *sub;
};
struct fields {
	const struct field *f;
	size_t n;
};

extern const struct fields record_report_fields, record_step_fields;

/* The events by name, as the recording writes them: "step", "done", ... */
extern const char *const record_event_names[];
#define RECORD_N_EVENTS ((size_t)EV_DONE + 1)

#endif
