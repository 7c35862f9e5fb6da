/* The terminal UI: main.c hands it a parsed command line when stdin and stdout are terminals
 * and neither --json nor --batch was asked for. */
#ifndef TLSSCOPE_UI_UI_H
#define TLSSCOPE_UI_UI_H

#include <stdbool.h>

struct cli;

/* True when the command should run in the TUI. */
bool ui_wanted(const struct cli *cli);

/* Runs the TUI for cli's command (home, connect, listen, inspect, demo) until the user quits.
 * Problems found before the screen starts (unreadable files, a port in use) are printed as one
 * line and give exit code 2, as in batch mode. Returns the exit code. */
int ui_run(const struct cli *cli);

#endif
