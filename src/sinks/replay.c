/* The replay of a recording (sinks.h, record.h): each event back into a sink, the final
 * reports rebuilt field by field from the tables of record.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "sinks.h"

/* ---- reading ---- */

/* The engine's static strings (finding ids, algorithm names) come back as copies that the
 * replay owns and frees after the report. */
struct replay {
	struct strlist statics;
};

static int unhex(const char *s, unsigned char **out, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2)
		return -1;
	*n = len / 2;
	*out = xmalloc(*n + 1);
	for (size_t i = 0; i < *n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(*out);
			return -1;
		}
		(*out)[i] = (unsigned char)v;
	}
	(*out)[*n] = 0;
	return 0;
}

/* A string written by jtext: 0 with *out owned by the caller (NULL for null), or -1. */
static int text_read(const json_t *j, char **out)
{
	size_t n;

	*out = NULL;
	if (json_is_null(j))
		return 0;
	if (json_is_string(j)) {
		*out = xstrdup(json_string_value(j));
		return 0;
	}
	const json_t *h = json_object_get(j, "hex");
	return json_is_string(h) ? unhex(json_string_value(h), (unsigned char **)out, &n) : -1;
}

static int obj_read(const json_t *o, char *base, const struct fields *t, struct replay *rp);

static int list_read(const json_t *a, struct strlist *l)
{
	size_t i;
	const json_t *v;
	char *s;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		if (text_read(v, &s) < 0 || !s)
			return -1;
		strlist_take(l, s);
	}
	return 0;
}

static int arr_read(const json_t *a, const struct field *f, char *p, char *base, struct replay *rp)
{
	size_t n = json_array_size(a);
	char *v = n ? xcalloc(n, f->size) : NULL;

	if (!json_is_array(a))
		return -1;
	*(char **)p = v;
	*(size_t *)(base + f->aux) = n;
	for (size_t i = 0; i < n; i++)
		if (obj_read(json_array_get(a, i), v + i * f->size, f->sub, rp) < 0)
			return -1;
	return 0;
}

static int bytes_read(const json_t *j, unsigned char **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (json_is_null(j))
		return 0;
	return json_is_string(j) ? unhex(json_string_value(j), out, n) : -1;
}

static int ptr_read(const json_t *j, const struct field *f, char *p, struct replay *rp)
{
	if (json_is_null(j))
		return 0;
	*(char **)p = xcalloc(1, f->size);
	return obj_read(j, *(char **)p, f->sub, rp);
}

static int chars_read(const json_t *j, const struct field *f, char *p)
{
	const char *s = json_string_value(j);

	if (!s || strlen(s) >= f->aux)
		return -1;
	strcpy(p, s);
	return 0;
}

static int fixed_read(const json_t *j, const struct field *f, char *p, char *base)
{
	unsigned char *b;
	size_t n;

	if (bytes_read(j, &b, &n) < 0 || n > f->aux) {
		free(b);
		return -1;
	}
	if (n)
		memcpy(p, b, n);
	*(size_t *)(base + f->size) = n;
	free(b);
	return 0;
}

static int static_read(const json_t *j, char *p, struct replay *rp)
{
	char *s;

	if (text_read(j, &s) < 0)
		return -1;
	if (s)
		strlist_take(&rp->statics, s);
	*(const char **)p = s;
	return 0;
}

static int field_read(const json_t *j, char *base, const struct field *f, struct replay *rp)
{
	char *p = base + f->off;
	bool num = json_is_integer(j);

	switch (f->kind) {
	case K_STR:
		return text_read(j, (char **)p);
	case K_STATIC:
		return static_read(j, p, rp);
	case K_BOOL:
		*(bool *)p = json_is_true(j);
		return json_is_boolean(j) ? 0 : -1;
	case K_INT:
		*(int *)p = (int)json_integer_value(j);
		return num ? 0 : -1;
	case K_UINT:
		*(unsigned *)p = (unsigned)json_integer_value(j);
		return num ? 0 : -1;
	case K_LL:
		*(long long *)p = (long long)json_integer_value(j);
		return num ? 0 : -1;
	case K_DBL:
		*(double *)p = json_number_value(j);
		return json_is_number(j) ? 0 : -1;
	case K_SIZE:
		*(size_t *)p = (size_t)json_integer_value(j);
		return num ? 0 : -1;
	case K_LIST:
		return list_read(j, (struct strlist *)p);
	case K_CHARS:
		return chars_read(j, f, p);
	case K_BYTES:
		return bytes_read(j, (unsigned char **)p, (size_t *)(base + f->aux));
	case K_FIXED:
		return fixed_read(j, f, p, base);
	case K_OBJ:
		return obj_read(j, p, f->sub, rp);
	case K_ARR:
		return arr_read(j, f, p, base, rp);
	case K_PTR:
		return ptr_read(j, f, p, rp);
	}
	return -1;
}

/* Fields the recording lacks keep their zero value (an older recording). */
static int obj_read(const json_t *o, char *base, const struct fields *t, struct replay *rp)
{
	if (!json_is_object(o))
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const json_t *j = json_object_get(o, t->f[i].name);
		if (j && field_read(j, base, &t->f[i], rp) < 0)
			return -1;
	}
	return 0;
}

/* ---- replay ---- */

struct replay_run {
	const struct tls_sink *sink;
	long long *clock;
	struct {
		unsigned id;
		struct tls_report *partial; /* the steps so far */
	} conns[RECORD_MAX_ACTIVE];
	int reports;
};

static struct tls_report *partial_get(struct replay_run *run, unsigned id, bool drop)
{
	size_t free_slot = RECORD_MAX_ACTIVE;

	for (size_t i = 0; i < RECORD_MAX_ACTIVE; i++) {
		if (run->conns[i].partial && run->conns[i].id == id) {
			struct tls_report *r = run->conns[i].partial;
			if (!drop)
				return r;
			report_free(r);
			free(r);
			run->conns[i].partial = NULL;
			return NULL;
		}
		if (!run->conns[i].partial && free_slot == RECORD_MAX_ACTIVE)
			free_slot = i;
	}
	if (drop || free_slot == RECORD_MAX_ACTIVE)
		return NULL;
	struct tls_report *r = xmalloc(sizeof(*r));
	report_init(r, TLS_MODE_CONNECT);
	run->conns[free_slot].id = id;
	run->conns[free_slot].partial = r;
	return r;
}

static void emit(const struct replay_run *run, enum tls_event_type type, double t_ms,
		 const struct tls_step *step, const struct tls_report *r)
{
	struct tls_event ev = {.type = type, .t_ms = t_ms, .step = step, .report = r};
	if (run->sink->fn)
		run->sink->fn(run->sink->ctx, &ev);
}

/* EV_DONE: the whole report, rendered against the wall-clock time it ended. */
static int replay_done(struct replay_run *run, const json_t *o, double t_ms)
{
	struct replay rp = {{0}};
	struct tls_report r;
	int rc;

	report_init(&r, TLS_MODE_CONNECT);
	rc = obj_read(json_object_get(o, "report"), (char *)&r, &record_report_fields, &rp);
	if (rc == 0) {
		if (run->clock)
			*run->clock = (long long)json_integer_value(json_object_get(o, "wall"));
		emit(run, EV_DONE, t_ms, NULL, &r);
		run->reports++;
	}
	report_free(&r);
	strlist_free(&rp.statics);
	return rc;
}

static int replay_step(struct replay_run *run, const json_t *o, struct tls_report *partial,
		       double t_ms)
{
	struct replay rp = {{0}};
	struct tls_step st = {0};
	int rc = obj_read(json_object_get(o, "step"), (char *)&st, &record_step_fields, &rp);

	if (rc == 0 && partial) {
		struct tls_step *s = report_add_step(partial, st.t_ms, st.dir, st.type, st.detail);
		s->probe = st.probe;
		s->failure_point = st.failure_point;
		emit(run, EV_STEP, t_ms, s, partial);
	}
	free(st.detail);
	strlist_free(&rp.statics);
	return rc;
}

static int replay_line(struct replay_run *run, const json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "event"));
	unsigned id = (unsigned)json_integer_value(json_object_get(o, "conn"));
	double t_ms = json_number_value(json_object_get(o, "t_ms"));
	size_t type = 0;

	while (type < RECORD_N_EVENTS && !(name && strcmp(name, record_event_names[type]) == 0))
		type++;
	if (type == RECORD_N_EVENTS)
		return -1;
	if (type == EV_DONE) {
		int rc = replay_done(run, o, t_ms);
		partial_get(run, id, true);
		return rc;
	}
	struct tls_report *partial = partial_get(run, id, false);
	if (type == EV_STEP)
		return replay_step(run, o, partial, t_ms);
	if (partial)
		emit(run, (enum tls_event_type)type, t_ms, NULL, partial);
	return 0;
}

int record_replay(FILE *f, const struct tls_sink *sink, long long *clock, struct tls_error *err)
{
	struct replay_run run = {.sink = sink, .clock = clock};
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		lineno++;
		if (lineno == 1)
			rc = o && json_integer_value(json_object_get(o, "version")) ==
						     RECORDING_VERSION
				     ? 0
				     : -1;
		else
			rc = o ? replay_line(&run, o) : -1;
		json_decref(o);
		if (rc < 0)
			tls_error_set(err, "line %u: %s", lineno,
				      lineno == 1 ? "not a tlsscope recording (version 1)"
						  : "not an event of a recording");
	}
	free(line);
	for (size_t i = 0; i < RECORD_MAX_ACTIVE; i++)
		if (run.conns[i].partial) {
			report_free(run.conns[i].partial);
			free(run.conns[i].partial);
		}
	if (rc == 0 && lineno == 0) {
		tls_error_set(err, "an empty recording");
		rc = -1;
	}
	return rc < 0 ? -1 : run.reports;
}
