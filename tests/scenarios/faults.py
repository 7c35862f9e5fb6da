"""Faults that must not get through silently: output that cannot be written (a full disk, a
closed pipe, a reader that leaves a listener), a key log that cannot be written, options given
to a command they do not apply to, timeouts the check and the message disagree on, and file
names with escape sequences in error lines. One scenario per meson test.

Usage: faults.py SCENARIO | --list"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()
ENV = dict(os.environ, NO_COLOR="1", HOME=WORK)
ENV.pop("SSLKEYLOGFILE", None)


def exe():
    return os.environ["TLSSCOPE"]


def run_to(args, stdout, timeout=60):
    """tlsscope with stdout on the given descriptor or file; (exit code, stderr lines)."""
    p = subprocess.run([exe()] + args, stdin=subprocess.DEVNULL, stdout=stdout,
                       stderr=subprocess.PIPE, timeout=timeout, env=ENV)
    return p.returncode, p.stderr.decode("utf-8", "replace").splitlines()


def closed_pipe():
    """The write end of a pipe whose read end is already closed: every write is EPIPE."""
    r, w = os.pipe()
    os.close(r)
    return w


def one_error_line(rc, lines, needles, what):
    check(rc == 2, "%s: exit 2, got %d (%r)" % (what, rc, lines))
    check(len(lines) == 1, "%s: one line on stderr, got %r" % (what, lines))
    for n in needles:
        check(n in lines[0], "%s: %r in %r" % (what, n, lines[0]))


_pki = {}


def pki():
    """A CA, a server and a client certificate, made once per run."""
    if not _pki:
        root = ca()
        _pki["root"], _pki["srv"], _pki["cl"] = root, server(root), client(root)
    return _pki["root"], _pki["srv"], _pki["cl"]


def outputs(port):
    """Every command that prints a report, in each format, with a server where it needs one."""
    root, srv, cl = pki()
    conn = ["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust"]
    d = path("pki-out")
    return [
        conn + ["--json"], conn + ["--batch"],
        ["inspect", srv[0], "--json"], ["inspect", srv[0], "--batch"],
        ["pki", d + "-json", "--json"], ["pki", d + "-text"],
        ["demo", "--json"], ["demo", "--batch"],
        ["--help"], ["--version"],
    ]


def fresh(args):
    """pki refuses a directory it already filled: a new one for each run."""
    if args[0] == "pki":
        fresh.n = getattr(fresh, "n", 0) + 1
        return [args[0], "%s-%d" % (args[1], fresh.n)] + args[2:]
    return args


@scenario
def output_to_a_full_disk_is_exit_2():
    root, srv, cl = pki()
    port = gnutls_serv(srv[0], srv[1])
    for args in outputs(port):
        with open(os.devnull, "w") as null:
            rc, lines = run_to(fresh(args), null)
        check(rc in (0, 1), "%s to /dev/null works: exit %d, %r" % (args, rc, lines))
        with open("/dev/full", "w") as full:
            rc, lines = run_to(fresh(args), full)
        one_error_line(rc, lines, ["cannot write to standard output", "No space left"],
                       "%s >/dev/full" % args)


@scenario
def output_to_a_closed_pipe_is_exit_2():
    root, srv, cl = pki()
    port = gnutls_serv(srv[0], srv[1])
    for args in outputs(port):
        w = closed_pipe()
        try:
            rc, lines = run_to(fresh(args), w)
        finally:
            os.close(w)
        one_error_line(rc, lines, ["cannot write to standard output", "Broken pipe"],
                       "%s into a closed pipe" % args)


def listener(args, stdout):
    port = free_port()
    root, srv, cl = pki()
    # These listeners end by themselves, exit 2, when their output goes; finish() still ends
    # any that does not and checks every status.
    p = spawn([exe(), "listen", "127.0.0.1:%d" % port, "--cert", srv[0], "--key", srv[1]] + args,
              "tlsscope listen", allowed=(0, 1, 2), stdin=subprocess.DEVNULL, stdout=stdout,
              stderr=subprocess.PIPE, env=ENV)
    check(wait_port(port, proc=p), "listener up")
    return p, port


def connect_once(port):
    root, srv, cl = pki()
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust", "--timeout", "10"])
    check(r.rc == 0, "the client's handshake works: %d %r" % (r.rc, r.err))


def ends_within(p, seconds, what):
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise Failure("%s: the listener still runs after %g s" % (what, seconds))
    lines = [l for l in p.stderr.read().decode("utf-8", "replace").splitlines()
             if "listening on" not in l]
    return p.returncode, lines


@scenario
def listen_stops_when_its_reader_leaves():
    """listen --json | head -n1: a client connects, the listener writes its report, the reader
    takes that line and is gone; the listener exits (exit 2, one line) instead of serving on.
    20 runs, every one right: the reader may leave before or after the listener looks."""
    for i in range(20):
        r, w = os.pipe()
        p, port = listener(["--json"], w)
        os.close(w)
        with os.fdopen(r, "rb") as reader:
            connect_once(port)
            line = reader.readline()
        check(json.loads(line)["mode"] == "listen", "run %d: the reader got the report" % i)
        rc, lines = ends_within(p, 5, "run %d" % i)
        one_error_line(rc, lines, ["cannot write to standard output", "Broken pipe"],
                       "run %d" % i)


@scenario
def listen_notices_a_closed_pipe_while_idle():
    """No connection at all: the reader leaves and the listener stops at once (poll reports
    the pipe's error), in either output format."""
    for fmt in ("--json", "--batch"):
        for i in range(5):
            r, w = os.pipe()
            p, port = listener([fmt], w)
            os.close(w)
            os.close(r)
            rc, lines = ends_within(p, 5, "%s run %d" % (fmt, i))
            one_error_line(rc, lines, ["cannot write to standard output", "Broken pipe"],
                           "%s run %d" % (fmt, i))


@scenario
def listen_stops_when_stdout_is_full():
    """stdout on a full disk (no pipe to watch): the listener stops at its first report."""
    for fmt in ("--json", "--batch"):
        with open("/dev/full", "w") as full:
            p, port = listener([fmt], full)
        connect_once(port)
        rc, lines = ends_within(p, 5, fmt)
        one_error_line(rc, lines, ["cannot write to standard output", "No space left"], fmt)


@scenario
def keylog_that_cannot_be_written_is_exit_2():
    root, srv, cl = pki()
    port = gnutls_serv(srv[0], srv[1])
    conn = ["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust", "--json"]
    # The same run into a real file writes a key log: the full-disk case tests a real write.
    kl = path("keys.log")
    r = tlsscope(conn + ["--keylog", kl])
    check(r.rc == 0, "with a writable key log: exit 0, got %d (%r)" % (r.rc, r.err))
    with open(kl) as f:
        check(f.read().strip(), "the key log was written")
    for extra in ([], ["--resume"]):
        r = tlsscope(conn + extra + ["--keylog", "/dev/full"])
        lines = r.err.splitlines()
        one_error_line(r.rc, lines, ["key log", "/dev/full", "No space left"],
                       "connect %s --keylog /dev/full" % extra)
        check(json.loads(r.out)["verdict"] == "ok", "the report is still printed")
    # A FIFO as the key log: refused at once (opening it would wait for a reader for ever).
    fifo = path("keys.fifo")
    os.mkfifo(fifo)
    for cmd in (conn, ["listen", "127.0.0.1:%d" % free_port(), "--cert", srv[0], "--key",
                       srv[1], "--json"]):
        r = tlsscope(cmd + ["--keylog", fifo], timeout=10)
        check(r.rc == 2 and r.err.strip().endswith("keys.fifo: not a regular file") and
              len(r.err.strip().splitlines()) == 1 and r.seconds < 5,
              "%s --keylog FIFO: exit 2, one line, at once: %d %r %.1fs"
              % (cmd[0], r.rc, r.err, r.seconds))
    # A listener whose key log fails stops at the connection that showed it.
    with open(os.devnull, "w") as null:
        p, lport = listener(["--json", "--keylog", "/dev/full"], null)
    connect_once(lport)
    rc, lines = ends_within(p, 5, "listen --keylog /dev/full")
    one_error_line(rc, lines, ["key log", "/dev/full", "No space left"],
                   "listen --keylog /dev/full")


@scenario
def options_for_other_commands_are_refused():
    root, srv, cl = pki()
    d = path("never-made")
    rows = [
        (["connect", "127.0.0.1:9", "--legacy", "--count", "3", "--allow-serial", "zz"],
         "--legacy is for pki, not connect"),
        (["connect", "127.0.0.1:9", "--count", "3"], "--count is for listen, not connect"),
        (["connect", "127.0.0.1:9", "--allow-serial", "zz"], "--allow-serial is for listen"),
        (["connect", "127.0.0.1:9", "--scenario", "ok"], "--scenario is for demo"),
        (["connect", "127.0.0.1:9", "--purpose", "server"], "--purpose is for inspect"),
        (["demo", "--ca", "nothing.pem"], "--ca is for connect and inspect, not demo"),
        (["demo", "--timeout", "5"], "--timeout is for connect, not demo"),
        (["inspect", srv[0], "--resume", "--strict"], "--resume is for connect, not inspect"),
        (["inspect", srv[0], "--strict"], "--strict is for connect and listen, not inspect"),
        (["inspect", srv[0], "--keylog", path("k.log")], "--keylog is for connect and listen"),
        (["pki", d, "--ca", root[0]], "--ca is for connect and inspect, not pki"),
        (["pki", d, "--cert", srv[0]], "--cert is for connect and listen, not pki"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--ca", root[0]],
         "--ca is for connect and inspect, not listen"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--timeout", "3"],
         "--timeout is for connect, not listen"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--http"],
         "--http is for connect, not listen"),
        (["--legacy"], "--legacy is for pki"),
    ]
    for args, needle in rows:
        r = tlsscope(args)
        one_error_line(r.rc, r.err.splitlines(), [needle], str(args))
    check(not os.path.exists(d), "pki made nothing")
    # Each option still works where it applies.
    r = tlsscope(["inspect", srv[0], "--ca", root[0], "--verify-name", "localhost", "--json"])
    check(r.rc == 0, "inspect --ca --verify-name: %d %r" % (r.rc, r.err))
    r = tlsscope(["demo", "--scenario", "ok", "--batch"])
    check(r.rc == 0, "demo --scenario --batch: %d %r" % (r.rc, r.err))


@scenario
def timeouts_accept_what_their_message_says():
    root, srv, cl = pki()
    lst = ["listen", "4433", "--cert", srv[0], "--key", srv[1]]
    for opt, base in (("--timeout", ["connect", "127.0.0.1:9"]), ("--handshake-timeout", lst)):
        for bad in ("0", "0.0009", "-1", "3600.5", "nan", "inf", "abc", ""):
            r = tlsscope(base + [opt, bad])
            one_error_line(r.rc, r.err.splitlines(), [opt, "from 0.001 to 3600"],
                           "%s %r" % (opt, bad))
    # The bounds themselves are accepted: a listener comes up with each.
    for good in ("0.001", "3600"):
        with open(os.devnull, "w") as null:
            p, port = listener(["--handshake-timeout", good, "--json"], null)
        check(p.poll() is None, "--handshake-timeout %s accepted" % good)
        p.terminate()
        p.wait(timeout=10)
    closed = free_port()
    r = tlsscope(["connect", "127.0.0.1:%d" % closed, "--timeout", "0.001", "--json"])
    check(r.rc == 1, "--timeout 0.001 accepted (the connection fails): %d %r" % (r.rc, r.err))


@scenario
def error_lines_are_escaped():
    """A file name with an escape sequence, a carriage return, a line break or a bidi override
    reaches stderr escaped, on one line."""
    root, srv, cl = pki()
    notdir = path("a-file\x1b[2J")
    with open(notdir, "w") as f:
        f.write("not a directory\n")
    nasty = path("evil\x1b[2J\x1b]0;owned\x07\rname\n\u202egnp.pem")
    rows = [
        ["inspect", nasty],
        ["connect", "127.0.0.1:9", "--ca", nasty],
        ["connect", "127.0.0.1:9", "--cert", nasty, "--key", nasty],
        ["listen", "4433", "--cert", nasty, "--key", nasty],
        ["pki", notdir + "/sub"],
        ["connect", "127.0.0.1:9", "--keylog", nasty + "/no/such/dir"],
        ["connect", "127.0.0.1:9", "--\x1b[31mred"],
        ["demo", "--scenario", "\x1b[31mred"],
        ["connect", "exa\x1bmple:443"],
    ]
    for args in rows:
        p = subprocess.run([exe()] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=60, env=ENV)
        err = p.stderr
        check(p.returncode == 2, "%r: exit 2, got %d (%r)" % (args, p.returncode, err))
        check(err.endswith(b"\n") and err.count(b"\n") == 1, "%r: one line: %r" % (args, err))
        raw = [c for c in err[:-1] if c < 0x20 or c == 0x7f]
        check(not raw, "%r: no raw control character on stderr: %r" % (args, err))
        check("\u202e".encode() not in err, "%r: no raw bidi override: %r" % (args, err))
        check(b"\\x1b" in err or b"\\u202e" in err, "%r: shown escaped: %r" % (args, err))


@scenario
def tui_save_and_export_report_write_errors():
    """The TUI's s (save the report) and e (export a certificate) into a file that cannot be
    written: a dialog says why, and the UI goes on."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tui"))
    import tui
    try:
        p = tui.Pane(["demo"])
        p.wait("demo ok: the client's view", "OK", "asked for, sent")
        for key, title in (("s", "Save the report"), ("e", "Export the certificate")):
            p.keys(key)
            p.wait(title)
            p.keys("C-u")
            p.typed("/dev/full")
            p.keys("Enter")
            s = p.wait("Cannot write the file", "/dev/full")
            check("No space left" in s.replace("\n", " ") or "No space" in s,
                  "%s: the dialog gives the reason:\n%s" % (key, s))
            p.keys("Enter")
            p.wait("demo ok: the client's view", gone=("Cannot write the file",))
            p.keys("Escape")
            p.wait("demo ok: the client's view", gone=(title,))
        p.keys("q")
        p.expect_restored("q")
    finally:
        tui._close_panes()


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
