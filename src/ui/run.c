/* The TUI's start: the setup from the command line, the first screen, then the frame
 * (app.c) with the dialogs it needs; the top of src/ui/. */
#include <stdlib.h>

#include "screens.h"
#include "tlsscope/serial.h"
#include "ui.h"

static void start_free(struct ui_start *st)
{
	for (size_t i = 0; st->rules && i < st->n_rules; i++)
		serial_rule_free(&st->rules[i]);
	free(st->rules);
	st->rules = NULL;
	st->n_rules = 0;
}

int ui_run(struct ui_start *st, struct tls_error *err)
{
	struct ui ui = {
		.exit_code = 0, .ask = ui_confirm, .help = ui_help, .started = screens_started};
	int rc = -1;

	setup_from_start(&ui.setup, st);
	st->password = NULL; /* the setup holds it now */
	ui.loop = loop_new();
	/* What can fail before the screen starts does, with one line and exit code 2. */
	struct ui_screen *first = screens_first(&ui, st, err);
	start_free(st);
	if (first)
		rc = ui_frame_run(&ui, first, err);
	setup_free(&ui.setup);
	loop_free(ui.loop);
	return rc;
}
