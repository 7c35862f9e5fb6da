/* tlsscope demo: runs one of the engine's scenarios (engine/demo.c) to the end and prints both
 * sides' reports of the same handshake, the client's first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sinks.h"
#include "tlsscope/demo.h"

static void on_batch_done(void *arg)
{
	loop_stop(arg);
}

/* What the output says around the two reports: the text has headings, JSON Lines only the
 * two objects. */
struct demo_frame {
	enum sink_format format;
	bool intro;
	const char *client, *listener, *nobody, *outro;
};

static const struct demo_frame demo_frames[] = {
	[SINK_TEXT] = {.format = SINK_TEXT,
		       .intro = true,
		       .client = "\n==================== the client's view ====================\n",
		       .listener =
			       "\n=================== the listener's view ===================\n",
		       .nobody = "(the listener saw no connection)\n",
		       .outro = "\nOther scenarios: tlsscope demo --scenario NAME (see tlsscope "
				"--help).\n"},
	[SINK_JSONL] =
		{.format = SINK_JSONL, .client = "", .listener = "", .nobody = "", .outro = ""},
};

int run_demo(const struct cli *cli)
{
	struct tls_error err = {{0}};
	const char *want = cli->scenario ? cli->scenario : "ok";
	long i = demo_find(want);

	if (i < 0) {
		char names[512] = "";
		for (size_t k = 0; k < demo_count(); k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 k ? ", " : "", demo_name(k));
		tls_error_set(&err, "no demo scenario '%s'; there are: %s", want, names);
		return cli_usage_error(err.msg);
	}
	struct loop *loop = loop_new();
	struct demo_run *d = demo_start(loop, (size_t)i, NULL, on_batch_done, loop, &err);
	if (!d) {
		loop_free(loop);
		return cli_usage_error(err.msg);
	}
	loop_run(loop);

	/* The client's report first, then the listener's, rendered once both are in (the
	 * listener's may come first). */
	const struct demo_frame *fr = &demo_frames[cli->json ? SINK_JSONL : SINK_TEXT];
	const struct tls_report *lr = demo_listener_report(d);
	const struct tls_report *cr = demo_client_report(d);
	bool color = cli_want_color();
	struct cli_out out;
	cli_out_open(&out);
	if (fr->intro)
		fprintf(out.f, "tlsscope demo, scenario %s: %s.\n", demo_name((size_t)i),
			demo_story((size_t)i));
	fputs(fr->client, out.f);
	report_render(out.f, fr->format, cr, color, 0);
	fputs(fr->listener, out.f);
	if (lr)
		report_render(out.f, fr->format, lr, color, 0);
	else
		fputs(fr->nobody, out.f);
	fputs(fr->outro, out.f);
	int rc = cr->verdict_ok && lr && lr->verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	if (cli_out_write(&out))
		rc = EXIT_USAGE;
	demo_free(d);
	loop_free(loop);
	return rc;
}
