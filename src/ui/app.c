/* The TUI's frame: the screen stack, input from the engine's loop, signals, redraws. It calls
 * no screen: the dialogs it needs and the first screen come from run.c through struct ui. */
#include <curses.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screens.h"
#include "ui.h"

bool ui_wanted(void)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return false;
	/* A terminal type without a terminfo entry gets the text report, not an error. */
	return term_known();
}

void ui_push(struct ui *ui, struct ui_screen *s)
{
	s->below = ui->top;
	ui->top = s;
	ui_dirty(ui);
}

void ui_pop(struct ui *ui)
{
	struct ui_screen *s = ui->top;

	if (!s)
		return;
	ui->top = s->below;
	s->ops->free(s);
	ui_dirty(ui);
	if (!ui->top)
		ui_quit(ui, ui->exit_code);
}

void ui_remove(struct ui *ui, struct ui_screen *s)
{
	if (ui->top == s) {
		ui_pop(ui);
		return;
	}
	for (struct ui_screen *above = ui->top; above; above = above->below) {
		if (above->below == s) {
			above->below = s->below;
			s->ops->free(s);
			ui_dirty(ui);
			return;
		}
	}
}

static unsigned screen_ctx(struct ui_screen *s)
{
	return s->ops->context ? s->ops->context(s) : s->ops->ctx;
}

void ui_redraw(struct ui *ui)
{
	struct ui_screen *base = ui->top, *chain[32];
	size_t n = 0;

	if (ui->redraw_timer) {
		loop_timer_cancel(ui->loop, ui->redraw_timer);
		ui->redraw_timer = 0;
	}
	if (ui->quitting)
		return;
	term_clear();
	if (ui->rows < 24 || ui->cols < 80) {
		char msg[96];
		snprintf(msg, sizeof(msg), "tlsscope needs 80x24; this terminal is %dx%d.",
			 ui->cols, ui->rows);
		term_text(0, 0, ui->cols, ST_WARN, msg);
		term_text(1, 0, ui->cols, ST_DIM, "Make it larger, or press q to quit.");
		term_flush();
		return;
	}
	/* Draw from the last full screen up through the overlays above it. */
	while (base && base->ops->overlay && base->below && n < 31)
		chain[n++] = base, base = base->below;
	if (base)
		chain[n++] = base;
	for (size_t i = n; i-- > 1;)
		chain[i]->ops->draw(chain[i], ui);
	/* Full screens leave the last row to the key bar; an overlay's cursor is placed last. */
	if (ui->top) {
		term_keybar(ui, screen_ctx(ui->top));
		ui->top->ops->draw(ui->top, ui);
	}
	term_flush();
}

static void on_redraw_timer(void *arg)
{
	struct ui *ui = arg;
	ui->redraw_timer = 0;
	ui_redraw(ui);
}

void ui_dirty(struct ui *ui)
{
	if (!ui->redraw_timer && !ui->quitting)
		ui->redraw_timer =
			loop_timer_add(ui->loop, util_now_ms() + 15, on_redraw_timer, ui);
}

static bool any_busy(struct ui *ui)
{
	for (struct ui_screen *s = ui->top; s; s = s->below)
		if (s->ops->busy && s->ops->busy(s))
			return true;
	return false;
}

static void on_tick(void *arg)
{
	struct ui *ui = arg;

	ui->tick_timer = 0;
	ui->tick++;
	if (!any_busy(ui))
		return;
	ui_redraw(ui);
	ui->tick_timer = loop_timer_add(ui->loop, util_now_ms() + 100, on_tick, ui);
}

void ui_want_ticks(struct ui *ui)
{
	if (!ui->tick_timer)
		ui->tick_timer = loop_timer_add(ui->loop, util_now_ms() + 100, on_tick, ui);
}

void ui_quit(struct ui *ui, int exit_code)
{
	ui->exit_code = exit_code;
	ui->quitting = true;
	loop_stop(ui->loop);
}

static void do_quit(struct ui *ui, void *arg)
{
	(void)arg;
	ui_quit(ui, ui->exit_code);
}

void ui_ask_quit(struct ui *ui, int exit_code)
{
	ui->exit_code = exit_code;
	if (any_busy(ui))
		ui->ask(ui, "A connection is still running. Quit anyway?", do_quit, NULL);
	else
		ui_quit(ui, exit_code);
}

static void dispatch(struct ui *ui, int key)
{
	struct ui_screen *s = ui->top;

	if (!s)
		return;
	unsigned ctx = screen_ctx(s);
	enum ui_action act = keymap_lookup(ctx, key);
	if (act == ACT_HELP && !(ctx & CTX_DIALOG)) {
		ui->help(ui, ctx);
		return;
	}
	if (act == ACT_QUIT) {
		ui_ask_quit(ui, ui->exit_code);
		return;
	}
	s->ops->key(s, ui, key, act);
}

static void on_input(void *arg, int fd, short revents)
{
	struct ui *ui = arg;
	int key;
	(void)fd;

	while (!ui->quitting && (key = term_read_key()) >= 0) {
		if (key == KEYF(KEY_RESIZE))
			getmaxyx(stdscr, ui->rows,
				 ui->cols); /* resizeterm queued it: sizes are set */
		else
			dispatch(ui, key);
	}
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		ui_quit(ui, ui->exit_code); /* the terminal went away */
		return;
	}
	ui_redraw(ui);
}

/* ---- signals: through a pipe into the loop ---- */

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t quit_signal;

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	if (sig != SIGWINCH)
		quit_signal = sig;
	(void)!write(signal_pipe[1], &b, 1);
}

/* A file read that waits for a pipe gives up when a signal asked us to quit: the loop then
 * reads the signal pipe and ends, whatever the read was for. */
static bool quit_requested(void)
{
	return quit_signal != 0;
}

static void on_signal_pipe(void *arg, int fd, short revents)
{
	struct ui *ui = arg;
	unsigned char b;
	(void)revents;

	while (read(fd, &b, 1) == 1) {
		if (b == SIGWINCH) {
			term_resize(ui);
			ui_redraw(ui);
		} else {
			ui_quit(ui, 128 + b);
		}
	}
}

static void signals_set(struct ui *ui, bool on)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
	struct sigaction sa = {.sa_handler = on ? on_signal : SIG_DFL};

	if (on && pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	util_set_read_cancel(on ? quit_requested : NULL);
	util_set_read_wake_fd(on ? STDIN_FILENO : -1);
	if (on) {
		loop_watch(ui->loop, signal_pipe[0], POLLIN, on_signal_pipe, ui);
	} else if (signal_pipe[0] >= 0) {
		loop_unwatch(ui->loop, signal_pipe[0]);
		close(signal_pipe[0]);
		close(signal_pipe[1]);
		signal_pipe[0] = signal_pipe[1] = -1;
	}
}

/* ---- the run ---- */

int ui_frame_run(struct ui *ui, struct ui_screen *first, struct tls_error *err)
{
	if (term_init(ui) < 0) {
		first->ops->free(first);
		tls_error_set(err, "cannot start the terminal UI; use --batch or --json");
		return -1;
	}
	xalloc_set_fatal_hook(term_done);
	signals_set(ui, true);
	loop_watch(ui->loop, STDIN_FILENO, POLLIN, on_input, ui);
	ui_push(ui, first);
	if (ui->started)
		ui->started(ui);
	ui_redraw(ui);
	loop_run(ui->loop);

	ui->quitting = true;
	term_free();
	signals_set(ui, false);
	loop_unwatch(ui->loop, STDIN_FILENO);
	while (ui->top) {
		struct ui_screen *s = ui->top;
		ui->top = s->below;
		s->ops->free(s);
	}
	xalloc_set_fatal_hook(NULL);
	return ui->exit_code;
}
