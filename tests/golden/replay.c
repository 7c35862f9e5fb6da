/* Golden replay: every recording in DIR (NAME.recording: the event stream of a real handshake,
 * made by tests/golden/record.py) is replayed into the text, JSON and JSON Lines sinks, and a
 * listener's recording into the text-line sink too; each output must equal the stored one
 * (NAME.txt, NAME.json, NAME.jsonl, NAME.lines.txt) byte for byte. Time-relative words are in
 * the recorded reports and the text line's clock is each report's capture time, in UTC, so the
 * outputs do not depend on when or where the test runs.
 *   golden_replay DIR            compare; exit 1 on any difference, naming its first line
 *   golden_replay --update DIR   write the outputs instead (after an intended change) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinks.h"

static const struct golden_format {
	const char *suffix;
	enum sink_format format;
	bool listen_only;
} formats[] = {
	{".txt", SINK_TEXT, false},
	{".json", SINK_JSON, false},
	{".jsonl", SINK_JSONL, false},
	{".lines.txt", SINK_TEXT_LINE, true},
};

/* In front of the report sink: notes whether a listener made the recording. */
struct peek {
	struct tls_sink sink;
	const struct tls_sink *next;
	bool listen;
};

static void peek_event(void *ctx, const struct tls_event *ev)
{
	struct peek *p = ctx;

	if (ev->type == EV_DONE && ev->report->mode == TLS_MODE_LISTEN)
		p->listen = true;
	p->next->fn(p->next->ctx, ev);
}

/* The recording rendered as format into *out (caller frees); -1 when it cannot be replayed. */
static int render(const char *recording, enum sink_format format, char **out, size_t *len,
		  bool *listen)
{
	struct tls_error err = {{0}};
	struct report_sink rs;
	FILE *in = fopen(recording, "r");
	FILE *mem = open_memstream(out, len);
	int n = -1;

	if (in && mem) {
		report_sink_init_file(&rs, format, false, mem);
		struct peek p = {.sink = {.fn = peek_event}, .next = &rs.sink};
		p.sink.ctx = &p;
		n = record_replay(in, &p.sink, &rs.clock, &err);
		*listen = p.listen;
	}
	if (n < 1)
		fprintf(stderr, "%s: %s\n", recording, n < 0 ? err.msg : "no report in it");
	if (in)
		fclose(in);
	if (mem)
		fclose(mem);
	return n < 1 ? -1 : 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, len);
	char chunk[4096];
	size_t n;

	if (!f) {
		fclose(mem);
		free(buf);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	return buf;
}

/* 0 when the files agree; else a line on stderr naming the first line that differs. */
static int compare(const char *path, const char *got, size_t got_len)
{
	size_t want_len;
	char *want = slurp(path, &want_len);
	unsigned line = 1;
	size_t i = 0;

	if (!want) {
		fprintf(stderr, "%s: missing (make it with golden_replay --update)\n", path);
		return -1;
	}
	while (i < got_len && i < want_len && got[i] == want[i])
		line += got[i++] == '\n';
	int rc = i == got_len && i == want_len ? 0 : -1;
	if (rc)
		fprintf(stderr, "%s: the sink's output differs from line %u on\n", path, line);
	free(want);
	return rc;
}

static int write_out(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");
	int rc = f && fwrite(s, 1, len, f) == len ? 0 : -1;

	if (f && fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "%s: cannot write\n", path);
	return rc;
}

/* One recording (DIR/NAME.recording) against its outputs. Returns the number of failures. */
static int check_recording(const char *dir, const char *name, size_t name_len, bool update)
{
	char rec[4096], out[4096];
	int failures = 0;

	snprintf(rec, sizeof(rec), "%s/%.*s.recording", dir, (int)name_len, name);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const struct golden_format *g = &formats[i];
		char *s = NULL;
		size_t len = 0;
		bool listen = false;
		snprintf(out, sizeof(out), "%s/%.*s%s", dir, (int)name_len, name, g->suffix);
		if (render(rec, g->format, &s, &len, &listen) < 0)
			failures++;
		else if (!g->listen_only || listen)
			failures += (update ? write_out(out, s, len) : compare(out, s, len)) < 0;
		free(s);
	}
	printf("%s %.*s\n", failures ? "FAIL" : "ok  ", (int)name_len, name);
	return failures;
}

int main(int argc, char **argv)
{
	bool update = argc == 3 && strcmp(argv[1], "--update") == 0;
	const char *dir = argv[argc - 1];
	int failures = 0, n = 0;
	struct dirent **ents;

	if (argc != 2 && !update) {
		fprintf(stderr, "usage: golden_replay [--update] DIR\n");
		return 2;
	}
	/* The listener's text line shows the local time: UTC here, wherever the test runs. */
	setenv("TZ", "UTC", 1);
	tzset();
	int count = scandir(dir, &ents, NULL, alphasort);
	if (count < 0) {
		perror(dir);
		return 2;
	}
	for (int i = 0; i < count; i++) {
		const char *nm = ents[i]->d_name;
		size_t len = strlen(nm), ext = strlen(".recording");
		if (len > ext && strcmp(nm + len - ext, ".recording") == 0) {
			failures += check_recording(dir, nm, len - ext, update);
			n++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!n) {
		fprintf(stderr, "%s: no recording (NAME.recording) to replay\n", dir);
		return 1;
	}
	printf("%d recording%s, %d failure%s\n", n, n == 1 ? "" : "s", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
