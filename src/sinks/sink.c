/* The report sinks: text, text lines, JSON and JSON Lines behind one struct tls_sink, and the
 * one-shot renderers that commands choose once (sinks.h). */
#include <stdlib.h>

#include "sinks.h"

static void render_text(FILE *f, const struct tls_report *r, bool color, long long clock)
{
	(void)clock;
	report_text_print(f, r, color);
}

static void render_text_line(FILE *f, const struct tls_report *r, bool color, long long clock)
{
	report_text_line(f, r, color, clock);
}

static void render_json(FILE *f, const struct tls_report *r, bool one_line)
{
	report_json_write(f, r, one_line);
	fputc('\n', f);
}

static void render_json_pretty(FILE *f, const struct tls_report *r, bool color, long long clock)
{
	(void)color, (void)clock;
	render_json(f, r, false);
}

static void render_json_line(FILE *f, const struct tls_report *r, bool color, long long clock)
{
	(void)color, (void)clock;
	render_json(f, r, true);
}

static void (*const renderers[])(FILE *, const struct tls_report *, bool, long long) = {
	[SINK_TEXT] = render_text,
	[SINK_TEXT_LINE] = render_text_line,
	[SINK_JSON] = render_json_pretty,
	[SINK_JSONL] = render_json_line,
};

void report_render(FILE *f, enum sink_format format, const struct tls_report *r, bool color,
		   long long clock)
{
	renderers[format](f, r, color, clock);
}

static void report_sink_event(void *ctx, const struct tls_event *ev)
{
	struct report_sink *s = ctx;

	if (ev->type != EV_DONE || s->stopped)
		return;
	FILE *f = s->out.begin(s->out.arg);
	report_render(f, s->format, ev->report, s->color, s->clock);
	if (s->out.end && s->out.end(s->out.arg, ev->report) < 0)
		s->stopped = true;
}

void report_sink_init(struct report_sink *s, enum sink_format format, bool color,
		      const struct sink_output *out)
{
	*s = (struct report_sink){
		.sink = {.fn = report_sink_event, .ctx = s},
		.format = format,
		.color = color,
		.out = *out,
	};
}

static FILE *file_begin(void *arg)
{
	return ((struct report_sink *)arg)->file;
}

void report_sink_init_file(struct report_sink *s, enum sink_format format, bool color, FILE *f)
{
	report_sink_init(s, format, color, &(struct sink_output){.begin = file_begin, .arg = s});
	s->file = f;
}

void inspect_render(FILE *f, enum sink_format format, const struct inspect_result *r,
		    const char *mode, const char *dir, bool legacy, bool color)
{
	if (format == SINK_JSON || format == SINK_JSONL) {
		char *s = inspect_json_dump(r, mode, dir, legacy);
		fprintf(f, "%s\n", s);
		free(s);
	} else {
		inspect_text_print(f, r, color);
	}
}

void explain_render(FILE *f, enum sink_format format, const struct profile_match *m, size_t n,
		    bool color)
{
	if (format == SINK_JSON || format == SINK_JSONL) {
		char *s = explain_json_dump(m, n);
		fprintf(f, "%s\n", s);
		free(s);
	} else {
		explain_text_print(f, m, n, color);
	}
}
