"""The TUI end to end, through tmux: tlsscope runs in a detached pane of 100x30 against real
peers on 127.0.0.1, keys go in with send-keys, and the screen is read with capture-pane, polled
with a deadline. One scenario per meson test.

Usage: tui.py SCENARIO | --list"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()
_panes = []


class Pane:
    """tlsscope in a tmux pane. After tlsscope exits, the shell prints EXITED and the
    terminal's modes, so a test can see that the terminal was given back intact."""

    def __init__(self, args, x=100, y=30, env=None, cwd=WORK):
        self.sock = path("tmux-%d.sock" % len(_panes))
        _panes.append(self)
        # LC_ALL, not LANG: Python started without a locale puts LC_CTYPE=C.UTF-8 into the
        # environment (PEP 538), and LC_CTYPE wins over LANG.
        e = {"TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "XDG_STATE_HOME": path("state"),
             "HOME": WORK}
        e.update(env or {})
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in e.items())
        cmd = " ".join(shlex.quote(a) for a in [os.environ["TLSSCOPE"]] + list(args))
        shell = ("cd %s; env %s %s; echo EXITED $?; stty -a | grep -o -- '-*icanon' | "
                 "sed 's/^/MODE /'; tput cnorm >/dev/null; sleep 120" % (shlex.quote(cwd), envs, cmd))
        self.tmux("new-session", "-d", "-s", "t", "-x", str(x), "-y", str(y), "sh", "-c", shell)

    def tmux(self, *a):
        return subprocess.run(["tmux", "-S", self.sock] + list(a), capture_output=True,
                              text=True)

    def text(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout

    def keys(self, *k):
        self.tmux("send-keys", "-t", "t", *k)

    def typed(self, s):
        self.tmux("send-keys", "-t", "t", "-l", s)

    def wait(self, *words, gone=(), deadline=10.0):
        """Polls until every word is on the screen (and none of gone); fails with the
        screen otherwise."""
        end = time.monotonic() + deadline
        s = ""
        while time.monotonic() < end:
            s = self.text()
            if all(w in s for w in words) and not any(g in s for g in gone):
                return s
            time.sleep(0.05)  # polling interval, bounded by the deadline
        raise Failure("waited for %r (and not %r); the screen:\n%s" % (words, gone, s))

    def wait_match(self, pattern, what, deadline=10.0):
        """Polls until the regular expression matches the screen: a capture may catch a frame
        half drawn, so one look is not enough."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if re.search(pattern, self.text()):
                return
            time.sleep(0.05)  # polling interval, bounded by the deadline
        raise Failure("%s; the screen:\n%s" % (what, self.text()))

    def wait_match_text(self, pattern, what, deadline=10.0):
        """As wait_match, over the text inside a box (a form over the screen), its lines
        joined with spaces: a form's note wraps."""
        end = time.monotonic() + deadline
        while True:
            inside = [l[l.index("\u2502") + 1:l.rindex("\u2502")].strip()
                      for l in self.text().splitlines() if l.count("\u2502") >= 2]
            flat = " ".join(inside)
            if re.search(pattern, flat):
                return flat
            if time.monotonic() >= end:
                raise Failure("%s; the screen:\n%s" % (what, self.text()))
            time.sleep(0.05)  # polling interval, bounded by the deadline

    def row(self, prefix):
        """The first screen line that starts with prefix."""
        for line in self.text().splitlines():
            if line.startswith(prefix):
                return line
        raise Failure("no line starts with %r:\n%s" % (prefix, self.text()))

    def tlsscope_pid(self, deadline=5.0):
        """tlsscope's pid, polled for: the pane's shell starts it a moment after the pane."""
        end = time.monotonic() + deadline
        pid = self.running_pid()
        while pid is None and time.monotonic() < end:
            time.sleep(0.02)  # polling interval, bounded by the deadline
            pid = self.running_pid()
        check(pid is not None, "tlsscope is not running in the pane")
        return pid

    def running_pid(self):
        """tlsscope's pid among the pane shell's children (read from /proc), or None."""
        shell = self.tmux("display", "-p", "-t", "t", "#{pane_pid}").stdout.strip()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = f.read().rsplit(")", 1)[1].split()[1]
                if ppid == shell and "tlsscope" in os.readlink("/proc/%s/exe" % pid):
                    return int(pid)
            except (OSError, IndexError):
                pass
        return None

    def close(self):
        """Ends tlsscope with SIGTERM if it still runs; its status must be 143 (the signal) or
        what it exited with before, and never a sanitizer's."""
        if getattr(self, "closed", False):
            return
        self.closed = True
        if self.running_pid() is not None:
            os.kill(self.running_pid(), signal.SIGTERM)
        m = re.search(r"EXITED (\d+)", self.wait("EXITED"))
        rc = int(m.group(1))
        check(rc not in SANITIZER_STATUS, "the TUI exited %d, %s's status" % (
            rc, SANITIZER_STATUS.get(rc)))

    def alternate_screen(self):
        return self.tmux("display", "-p", "-t", "t", "#{alternate_on}").stdout.strip() == "1"

    def expect_restored(self, how):
        s = self.wait("EXITED", "MODE ")
        check("MODE icanon" in s, "%s: the terminal is back in canonical mode" % how)
        check(not self.alternate_screen(), "%s: the alternate screen is left" % how)
        return s


def _close_panes():
    try:
        for p in _panes:
            p.close()
    finally:
        for p in _panes:
            subprocess.run(["tmux", "-S", p.sock, "kill-server"], capture_output=True)


def connect_pane(port, root, *extra, **kw):
    """tlsscope connect to 127.0.0.1:port, trusting only root."""
    args = ["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust"]
    return Pane(args + list(extra), **kw)


def pki():
    root = ca("TUI Root CA")
    good = server(root, cn="tui.example.test", dns=("localhost", "tui.example.test"))
    cli = client(root, cn="tui client")
    return root, good, cli


@scenario
def connect_tls13_shows_version_chain_and_verdict():
    root, good, _ = pki()
    port = gnutls_serv(*good, priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("TLS1.3", "ClientHello", "ServerHello", "Finished", "tui.example.test", "\u2714 OK")
    p.wait_match("0 tui\\.example\\.test .*\u2714trust \u2714name \u2714dates",
                 "every check of the leaf is marked ok")
    p.wait_match("by TUI Root CA", "the issuer is shown")
    p.keys("q")
    p.expect_restored("q")


@scenario
def hostname_mismatch_and_untrusted_ca_marked_on_the_right_certificate():
    root, good, _ = pki()
    chain = bundle("chain.pem", good[0], root[0])
    port = gnutls_serv_chain(chain, good[1])
    p = Pane(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--verify-name",
              "other.example"])
    p.wait("hostname-mismatch", "untrusted-issuer", "FAIL")
    p.wait_match("(?m)^0 tui\\.example\\.test [^\\n]*\u2718name", "the name mark is on the leaf")
    p.wait_match("(?m)^1 TUI Root CA [^\\n]*\u2718trust", "the trust mark is on the root")
    check("name" not in p.row("1 TUI Root CA"), "no name mark on the root")
    # The selected finding shows its detail and fix.
    p.wait("Fix:")
    p.keys("q")
    p.expect_restored("q")


def pick(p, name):
    """In the file picker: filter by name; one Enter picks the first match."""
    p.wait("Pick a file")
    p.keys("/")
    p.typed(name)
    p.wait("filter: " + name)
    p.keys("Enter")
    p.wait(gone=("Pick a file",))


@scenario
def client_identity_through_the_file_picker():
    root, good, cli = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("client-cert-required", "Here: i loads a client certificate")
    p.keys("i")
    p.wait("Client identity", "Certificate")
    p.keys("F2")
    p.wait("Pick a file", "client.crt")
    p.wait_match(r"certificate\s+client\.crt\s+tui client",
                 "the picker tells a certificate and previews its subject")
    p.wait_match(r"key\s+client\.key", "the picker tells a key")
    pick(p, "client.crt")
    p.wait("Client identity", "client.crt")
    p.keys("Tab", "C-o")
    pick(p, "client.key")
    p.wait("Client identity", "client.key")
    p.keys("Enter")
    p.wait("\u2714 OK", "asked for, sent", gone=("Client identity",))
    # The finding went away, and the header names the identity.
    p.wait("identity: client.crt + client.key", gone=("client-cert-required",))
    recent = open(path("state/tlsscope/recent")).read()
    check("identity\t" in recent and "client.crt" in recent, "the identity is remembered")
    p.keys("q")
    p.expect_restored("q")


@scenario
def wrong_pkcs12_password_shows_a_dialog_and_the_ui_stays():
    root, good, cli = pki()
    p12 = path("client.p12")
    sh("certtool", "--to-p12", "--load-certificate", cli[0], "--load-privkey", cli[1],
       "--p12-name", "tui", "--password", "right-password", "--outder", "--outfile", p12)
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    p = connect_pane(port, root)
    p.wait("client-cert-required")
    p.keys("i")
    p.wait("Client identity")
    p.typed(p12)
    p.wait("PKCS#12 file holds the key")
    p.keys("Tab", "Tab")
    p.typed("wrong-password")
    s = p.wait("********")
    check("wrong-password" not in s, "the password is masked")
    check("*" * 9 not in s, "the mask does not show the password's length")
    p.keys("Enter")
    s = p.wait("Cannot load this identity")
    check("password" in s.lower(), "the dialog says the password is wrong")
    check("wrong-password" not in s, "the password is not shown")
    p.keys("Enter")
    p.wait("Client identity", gone=("Cannot load",))
    # Fix it in place: the form kept the path.
    p.keys("C-u")
    p.typed("right-password")
    p.keys("Enter")
    p.wait("asked for, sent", "\u2714 OK", gone=("Client identity",))
    p.keys("q")
    p.expect_restored("q")


@scenario
def resize_to_80x24_and_smaller_and_back():
    root, good, _ = pki()
    port = gnutls_serv(*good)
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("tui.example.test", "OK")
    p.tmux("resize-window", "-t", "t", "-x", "80", "-y", "24")
    s = p.wait("tui.example.test", "Findings", "q quit")
    check(max(len(l) for l in s.splitlines()) <= 80, "nothing drawn past 80 columns")
    p.tmux("resize-window", "-t", "t", "-x", "60", "-y", "20")
    p.wait("needs 80x24")
    p.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
    p.wait("tui.example.test", "Handshake", gone=("needs 80x24",))
    check("EXITED" not in p.text(), "still running")
    p.keys("q")
    p.expect_restored("q")


@scenario
def keys_answer_while_the_peer_stalls_and_esc_cancels():
    port = staller()
    p = Pane(["connect", "127.0.0.1:%d" % port, "--timeout", "60", "--no-probe"])
    p.wait("ClientHello", "handshake")
    # The spinner turns and the elapsed time grows while the peer says nothing.
    first = p.row("tlsscope connect")
    time.sleep(0.3)  # let the clock move: the assertion is that the header changed
    p.wait("handshake", gone=(first,), deadline=2)
    p.keys("?")
    t0 = time.monotonic()
    p.wait("Keys here", deadline=2)
    answered = time.monotonic() - t0
    p.keys("Escape")
    p.wait("Handshake", gone=("Keys here",), deadline=2)
    p.keys("Escape")  # cancels the connection
    s = p.wait("cancelled", deadline=3)
    check("FAIL" in s, "a cancelled run is not OK")
    p.keys("q")
    p.expect_restored("q")
    print("help answered in %.0f ms while the peer stalled" % (answered * 1000))


@scenario
def quit_sigint_and_sigterm_restore_the_terminal():
    port = staller()
    for how in ("q", "SIGINT", "SIGTERM"):
        p = Pane(["connect", "127.0.0.1:%d" % port, "--timeout", "60"])
        p.wait("ClientHello")
        check(p.alternate_screen(), "the TUI uses the alternate screen")
        if how == "q":
            p.keys("q")  # a connection runs: it asks first
            p.wait("Quit anyway?")
            p.keys("y")
        else:
            os.kill(p.tlsscope_pid(), getattr(signal, how))
        s = p.expect_restored(how)
        code = re.search(r"EXITED (\d+)", s).group(1)
        check(code == {"q": "1", "SIGINT": "130", "SIGTERM": "143"}[how],
              "%s: exit code %s" % (how, code))
        p.close()
        p.tmux("kill-server")


@scenario
def listen_view_shows_each_client_live():
    root, good, cli = pki()
    port = free_port()
    p = Pane(["listen", "127.0.0.1:%d" % port, "--cert", good[0], "--key", good[1],
              "--client-ca", root[0]])
    p.wait("tlsscope listen", "port %d" % port, "waiting for clients")
    base = ["gnutls-cli", "-p", str(port), "127.0.0.1", "--x509cafile", root[0],
            "--verify-hostname", "localhost"]
    subprocess.run(base + ["--x509certfile", cli[0], "--x509keyfile", cli[1]],
                   input="", capture_output=True, timeout=20)
    p.wait("tui client", "1 connection")
    subprocess.run(base, input="", capture_output=True, timeout=20)
    p.wait("2 connections", "no client certificate")
    p.wait_match(r"127\.0\.0\.1:\d+\s+TLS1\.3\s+tui client", "a row names the client")
    p.keys("Up", "Enter")
    s = p.wait("connection #1", "Client certificate chain (1)", "0 tui client")
    p.keys("Escape")
    p.wait("2 connections", gone=("connection #1",))
    p.keys("s")
    p.wait("Save the report")
    p.keys("C-u")
    p.typed(path("saved.json"))
    p.keys("Enter")
    p.wait("Wrote the JSON report")
    saved = json.load(open(path("saved.json")))
    validate(saved)
    check(saved["mode"] == "listen", "the saved report is the listener's")
    p.keys("Enter")
    p.keys("q")
    p.expect_restored("q")


@scenario
def home_screen_opens_the_demo_and_both_sides():
    p = Pane([])
    p.wait("Connect to a server", "Listen for clients", "Run the demo", "Recent targets")
    p.keys("End")
    for _ in range(5):
        p.keys("Up")
    p.keys("Down", "Down", "Down", "Down")  # Run the demo
    p.keys("Enter")
    p.wait("demo ok: the client's view", "OK", "asked for, sent")
    p.keys("v")
    p.wait("demo ok: the listener's view", "0 demo client")
    p.keys("n")
    p.wait("demo no-client-cert", "client-cert-required")
    p.keys("Escape")
    p.wait("Connect to a server")
    p.keys("q")
    p.expect_restored("q")


@scenario
def whatif_toggles_reverify_at_once():
    root, good, _ = pki()
    port = gnutls_serv(*good)
    p = connect_pane(port, root, "--verify-name", "wrong.example")
    p.wait("hostname-mismatch")
    p.keys("w")
    p.wait("What if", "Check hostname")
    p.keys("Tab", "Space")  # the hostname check off
    s = p.wait("\u2714 OK", gone=("hostname-mismatch",))
    p.keys("Escape")  # restores the policy
    p.wait("hostname-mismatch", "FAIL", gone=("What if",))
    p.keys("q")
    p.expect_restored("q")


@scenario
def inspect_opens_files_and_certificate_detail():
    root, good, _ = pki()
    p = Pane(["inspect", good[0], good[1], root[0], "--ca", root[0]])
    p.wait("Files", "certificate", "matches certificate 0", "tui.example.test")
    p.keys("Enter")  # the first certificate's detail: findings are empty, the chain has focus
    s = p.wait("serial hex", "serial dec", "SHA-256", "DNS:tui.example.test")
    p.keys("e")
    p.wait("Export the certificate")
    p.keys("C-u")
    p.typed(path("exported.der"))
    p.keys("Enter")
    p.wait("Exported", "DER")
    der = open(path("exported.der"), "rb").read()
    check(der[:1] == b"\x30", "the export is DER")
    p.keys("Enter", "Escape", "q")
    p.expect_restored("q")


@scenario
def ascii_and_monochrome_fallbacks():
    root, good, _ = pki()
    port = gnutls_serv(*good)
    p = connect_pane(port, root, "--verify-name", "localhost",
                     env={"LC_ALL": "C", "NO_COLOR": "1"})
    s = p.wait("-> ClientHello", "+ OK")
    p.wait_match(r"0 tui\.example\.test .*\+trust \+name", "ASCII marks")
    check(all(ord(c) < 128 for c in s), "nothing but ASCII on the screen")
    colored = p.tmux("capture-pane", "-p", "-e", "-t", "t").stdout
    check(not re.search(r"\x1b\[[0-9;]*3[1-7](;|m)", colored), "no color with NO_COLOR")
    p.keys("q")
    p.expect_restored("q")


@scenario
def hostile_certificate_text_is_shown_escaped():
    root = ca("Hostile Root")
    evil = server(root, cn="evil\x1b]2;owned\x07\x1b[2J", name="evil")
    port = gnutls_serv(*evil)
    p = connect_pane(port, root, "--verify-name", "localhost")
    s = p.wait("evil\\x1b]2")
    title = p.tmux("display", "-p", "-t", "t", "#{pane_title}").stdout
    check("owned" not in title, "the certificate did not set the terminal title")
    p.keys("q")
    p.expect_restored("q")


@scenario
def bad_input_on_a_terminal_is_one_line_and_exit_2():
    p = Pane(["connect", "127.0.0.1:9", "--ca", path("missing.pem")])
    s = p.wait("EXITED 2")
    check("tlsscope: " in s and "missing.pem" in s, "one line names the file")
    check(not p.alternate_screen(), "the screen was never taken")


@scenario
def home_generates_a_pki_through_its_form():
    p = Pane([])
    p.wait("Generate a PKI")
    p.keys("Down", "Down", "Down", "Enter")
    p.wait("Generate a PKI: a CA", "Directory")
    p.keys("C-u")
    p.typed("made/pki")
    p.keys("Enter")
    p.wait("PKI written", "made/pki")
    key = os.stat(path("made/pki/client/client.key"))
    check(key.st_mode & 0o777 == 0o600, "keys are 0600")
    check(os.path.exists(path("made/pki/ca/ca.crt")), "the CA is there")
    p.keys("Enter", "q")
    p.expect_restored("q")


@scenario
def a_storm_of_keys_leaves_the_ui_alive():
    """Random keys (a fixed seed) through every screen the connection view reaches: forms,
    dialogs, the picker, help, what-if, export and save; then SIGTERM still restores."""
    import random
    root, good, cli = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="request")
    p = connect_pane(port, root)
    p.wait("Findings")
    keys = ["Tab", "BTab", "Enter", "Escape", "Up", "Down", "PgUp", "PgDn", "Home", "End",
            "Left", "Right", "Space", "BSpace", "C-u", "F2", "F3", "i", "t", "w", "e", "s",
            "r", "?", "/", ".", "j", "k", "g", "G"]
    rng = random.Random(7)
    for _ in range(40):
        p.keys(*[rng.choice(keys) for _ in range(10)])
        s = p.text()
        check("EXITED" not in s and "Sanitizer" not in s, "still running:\n" + s)
    p.tlsscope_pid()
    os.kill(p.tlsscope_pid(), signal.SIGTERM)
    s = p.expect_restored("SIGTERM after the storm")
    check("EXITED 143" in s, "ended by the signal, not by a crash")


def fifo_in(name):
    f = path(name)
    os.mkfifo(f)
    return f


def identity_from(p, cert, key):
    """Opens the identity form and submits cert and key."""
    p.keys("i")
    p.wait("Client identity")
    p.typed(cert)
    p.keys("Tab")
    p.typed(key)
    p.keys("Enter")


@scenario
def a_fifo_as_identity_or_trust_gives_a_dialog_and_keys_work():
    root, good, cli = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    nobody = fifo_in("nobody.fifo")
    p = connect_pane(port, root)
    p.wait("client-cert-required")
    identity_from(p, nobody, cli[1])
    p.wait("Cannot load this identity", "a pipe that gave no", deadline=10)
    p.keys("Enter")
    p.wait("Client identity", gone=("Cannot load",))
    p.keys("Escape")
    p.wait("Findings", gone=("Client identity",))
    p.keys("t")
    p.wait("Trust", "CA files")
    p.keys("Tab", "C-u")
    p.typed(nobody)
    p.keys("Enter")
    p.wait("Cannot use this trust", "a pipe that gave no", deadline=10)
    p.keys("Enter")
    p.wait("CA files", gone=("Cannot use",))
    p.keys("Escape")
    p.wait("Findings", gone=("CA files",))
    # Saving the report to a FIFO: refused at once, not a wait for a reader.
    p.keys("s")
    p.wait("Save the report")
    p.keys("C-u")
    p.typed(nobody)
    p.keys("Enter")
    p.wait("Cannot write the file", "not a regular file", deadline=2)
    p.keys("Enter")
    p.wait("Save the report", gone=("Cannot write",))
    p.keys("Escape")
    p.wait("Findings", gone=("Save the report",))
    p.keys("?")
    p.wait("Keys here", deadline=2)
    p.keys("Escape")
    p.wait("Findings", gone=("Keys here",), deadline=2)
    p.keys("q")
    p.expect_restored("q")


def reading(pid, name, deadline=3.0):
    """Polls until the process has the FIFO open (it waits for data then)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if any(os.readlink("/proc/%d/fd/%s" % (pid, fd)) == name
                   for fd in os.listdir("/proc/%d/fd" % pid)):
                return True
        except OSError:
            pass  # an fd closed while we looked
        time.sleep(0.02)  # polling interval, bounded by the deadline
    return False


@scenario
def sigterm_and_sighup_end_the_tui_while_it_reads_a_fifo():
    root, good, cli = pki()
    port = gnutls_serv(*good)
    stuck = fifo_in("stuck.fifo")
    for how, code in (("SIGTERM", 143), ("SIGHUP", 129)):
        p = connect_pane(port, root)
        p.wait("Findings")
        identity_from(p, stuck, cli[1])
        pid = p.tlsscope_pid()
        opened = reading(pid, stuck)
        t0 = time.monotonic()
        os.kill(pid, getattr(signal, how))
        try:
            s = p.expect_restored(how)
        finally:
            if os.path.exists("/proc/%d" % pid):
                os.kill(pid, signal.SIGKILL)  # it survived the signal: no orphan left behind
        took = time.monotonic() - t0
        check("EXITED %d" % code in s, "%s: ended by the signal (exit %d)" % (how, code))
        check(took < 2, "%s: ended at once, not after the pipe's wait: %.1f s" % (how, took))
        check(opened, "%s: the FIFO was open (not blocking in open()) when the signal came" %
              how)
        p.close()
        p.tmux("kill-server")


def open_message(p, name, most=16):
    """In a finished connection view with the timeline focused (one Tab from the findings
    or the chain): Enter on each message in turn until the one called name opens; returns
    its screen."""
    for k in range(most):
        p.keys("g", *(["j"] * k))
        p.keys("Enter")
        s = p.wait("(Esc to go back)")
        if re.search(r"(?m)^\S*\s*%s \(Esc to go back\)" % re.escape(name), s) or \
                (" %s (Esc to go back)" % name) in s:
            return s
        p.keys("Escape")
        p.wait("Handshake", gone=("(Esc to go back)",))
    raise Failure("no message %r in the timeline:\n%s" % (name, p.text()))


@scenario
def enter_on_messages_shows_their_content():
    root, good, cli = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require",
                       priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = connect_pane(port, root, "--verify-name", "localhost", "--cert", cli[0], "--key", cli[1])
    p.wait("\u2714 OK", "asked for, sent")
    p.keys("Tab")
    s = open_message(p, "CertificateRequest")
    check("Acceptable CA names the server sent (1)" in s, "the list's size is shown")
    check("CN=TUI Root CA" in s, "the acceptable CA is named")
    check("Its issuer is in the list (by name)" in s, "the identity's issuer is matched by name")
    check("received: " not in s, "not the bare byte count")
    p.keys("Escape")
    p.wait("Handshake", gone=("(Esc to go back)",))
    s = open_message(p, "ServerHello")
    for w in ("version", "TLS1.3", "cipher suite", "TLS_AES", "group", "ALPN", "ext. master",
              "resumed"):
        check(w in s, "ServerHello shows %r" % w)
    p.keys("Escape")
    p.wait("Handshake", gone=("(Esc to go back)",))
    s = open_message(p, "Certificate")
    check("0 subject" in s and "CN=tui.example.test" in s and "CN=TUI Root CA" in s,
          "Certificate shows the chain's subject and issuer")
    p.keys("Escape", "q")
    p.expect_restored("q")
    # A fatal alert: level, code, name and the finding that explains it.
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("client-cert-required", "\u2718 FAIL")
    p.keys("Tab")
    s = open_message(p, "Alert")
    check("fatal (2)" in s and "116" in s and "certificate_required" in s,
          "the alert's level, code and name")
    check("Explained by client-cert-required" in s, "the finding that explains it")
    p.keys("Escape", "q")
    p.expect_restored("q")


@scenario
def certificate_request_shows_a_foreign_issuer_and_an_empty_list():
    root, good, _ = pki()
    other = ca("Other Root CA", file="other")
    stranger = client(other, cn="stranger", name="stranger")
    port = gnutls_serv(*good, ca_file=root[0], client_cert="request")
    p = connect_pane(port, root, "--verify-name", "localhost", "--cert", stranger[0], "--key",
                     stranger[1])
    p.wait("Findings", "\u2718 FAIL")
    p.keys("Tab")
    s = open_message(p, "CertificateRequest")
    check("CN=TUI Root CA" in s, "the acceptable CA is named")
    check("NOT in the list" in s, "a foreign issuer is told apart by name")
    p.keys("Escape", "q")
    p.expect_restored("q")
    # A server that names no CA: any issuer will do.
    port = gnutls_serv(*good, client_cert="request")
    p = connect_pane(port, root, "--verify-name", "localhost", "--cert", stranger[0], "--key",
                     stranger[1])
    p.wait("Findings", "asked for, sent")
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    p.keys("Tab")
    s = open_message(p, "CertificateRequest")
    check("empty list: any CA" in s, "an empty list says any CA")
    p.keys("Escape", "q")
    p.expect_restored("q")


def rsa_pss_only_server(good, root):
    """openssl s_server (TLS 1.3) that requires a client certificate and accepts only RSA-PSS
    signatures from it (-client_sigalgs)."""
    port = free_port()
    start(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", good[0], "-key",
           good[1], "-www", "-tls1_3", "-Verify", "1", "-CAfile", root[0], "-client_sigalgs",
           "rsa_pss_rsae_sha256:rsa_pss_pss_sha256"], port)
    return port


@scenario
def certificate_request_shows_signatures_and_a_key_that_cannot_sign():
    root, good, ec_cli = pki()
    rsa_cli = client(root, cn="tui rsa client", kind="rsa", name="rsaclient")
    port = rsa_pss_only_server(good, root)
    # Batch: the report names what was asked and why nothing was sent.
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--ca", root[0],
                  "--verify-name", "localhost", "--cert", ec_cli[0], "--key", ec_cli[1],
                  "--json"])
    ca_ = r.report["client_auth"]
    check(ca_["requested_signature_algorithms"] == ["RSA-PSS-RSAE-SHA256", "RSA-PSS-SHA256"],
          "the requested signature algorithms: %r" % ca_)
    check(ca_["requested_key_types"] and all("RSA" in k for k in ca_["requested_key_types"]),
          "the requested key types: %r" % ca_)
    check(r.rc == 1 and not ca_["sent"] and r.ids()[:1] == ["client-key-not-accepted"],
          "an ECDSA key is not sent, and that is the finding: %s" % r.ids())
    f = [x for x in r.report["findings"] if x["id"] == "client-key-not-accepted"][0]
    check("ECDSA" in f["detail"] and "RSA-PSS-RSAE-SHA256" in f["detail"], f["detail"])
    check("client-cert-required" not in r.ids(), "not the generic finding: %s" % r.ids())
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--ca", root[0],
                  "--verify-name", "localhost", "--cert", rsa_cli[0], "--key", rsa_cli[1],
                  "--json"])
    check(r.report["client_auth"]["sent"] and "client-key-not-accepted" not in r.ids(),
          "an RSA key of the same CA is sent: %s" % r.ids())
    # The TUI: the CertificateRequest's content lists them and says the key cannot sign.
    p = connect_pane(port, root, "--verify-name", "localhost", "--cert", ec_cli[0], "--key",
                     ec_cli[1])
    p.wait("client-key-not-accepted", "\u2718 FAIL")
    p.keys("Tab")
    s = open_message(p, "CertificateRequest")
    check(re.search(r"signatures +RSA-PSS-RSAE-SHA256, RSA-PSS-SHA256", s),
          "the signature algorithms are listed:\n" + s)
    check(re.search(r"key types +RSA", s), "the key types are listed:\n" + s)
    check("Its ECDSA key cannot sign with any of these" in s, "the key is judged:\n" + s)
    p.keys("Escape", "q")
    p.expect_restored("q")
    p = connect_pane(port, root, "--verify-name", "localhost", "--cert", rsa_cli[0], "--key",
                     rsa_cli[1])
    p.wait("asked for, sent")
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    p.keys("Tab")
    s = open_message(p, "CertificateRequest")
    check("Its RSA key can sign with one of these" in s, "an RSA key can:\n" + s)
    p.keys("Escape", "q")
    p.expect_restored("q")


@scenario
def identity_form_matches_the_issuer_by_name_and_by_key():
    """Two PKIs whose CAs share a name: the one the server lists matches the other's client
    certificate by name only; the form says by key that it will be refused."""
    root, good, cli = pki()
    twin = ca("TUI Root CA", file="twinca")  # the same name, another key
    stranger = client(twin, cn="twin client", name="twinclient")
    port = gnutls_serv(*good, ca_file=root[0], client_cert="request")
    for size in ((100, 30), (80, 24)):
        p = connect_pane(port, root, "--verify-name", "localhost", x=size[0], y=size[1])
        p.wait("Findings")
        p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
        p.keys("i")
        p.wait("Client identity")
        p.typed(stranger[0])
        p.wait("Issuer CN=TUI Root CA: in the server's list by name.")
        s = p.wait_match_text(r"By key: NO, ca\.crt holds a CA of that name, but\s+another key\s+"
                              r"signed this certificate", "the twin is told apart by key")
        p.keys("C-u")
        p.typed(cli[0])
        p.wait_match_text(r"By key: yes, the CA of that name in ca\.crt signed\s+this\s+"
                          r"certificate", "the right one matches by key")
        p.keys("Escape")
        p.wait("Findings", gone=("Client identity",))
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")
    # The server's chain holds the CA: the chain is enough, without --ca.
    chain = bundle("tuichain.pem", good[0], root[0])
    port = gnutls_serv_chain(chain, good[1], ca_file=root[0], client_cert="request")
    p = Pane(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--verify-name",
              "localhost"])
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    p.keys("i")
    p.wait("Client identity")
    p.typed(stranger[0])
    p.wait_match_text(r"By key: NO, the server's chain holds a CA of that name",
                      "the server's chain settles it")
    p.keys("C-u")
    p.typed(cli[0])
    p.wait_match_text(r"By key: yes, the CA of that name in the server's chain",
                      "and matches the right one")
    p.keys("Escape", "q")
    p.expect_restored("q")
    # Neither the chain nor the CA files hold it: not known.
    port = gnutls_serv(*good, ca_file=root[0], client_cert="request")
    other = ca("Unrelated CA", file="unrelated")
    p = Pane(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--ca", other[0],
              "--verify-name", "localhost"])
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    p.keys("i")
    p.wait("Client identity")
    p.typed(cli[0])
    p.wait("Issuer CN=TUI Root CA: in the server's list by name.")
    p.wait_match_text(r"By key: not known", "no CA of that name at hand")
    p.keys("Escape", "q")
    p.expect_restored("q")


def column(screen, first, last, left=True):
    """The text of the handshake column (left=True) or the negotiated column between screen
    lines first..last, wrapped lines joined again (after an underscore without a space)."""
    out = ""
    for line in screen.splitlines()[first:last]:
        if "\u2502" not in line:
            continue
        part = line.split("\u2502", 1)[0 if left else 1].strip()
        if not part:
            continue
        out += ("" if not out or out.endswith("_") else " ") + part
    return re.sub(r"\s+", " ", out)


def region_rows(screen, rule):
    """Screen line numbers of the region under the rule titled rule, to the next rule."""
    lines = screen.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("\u2500 " + rule))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("\u2500 ")),
               len(lines))
    return start + 1, end


@scenario
def negotiated_values_and_alerts_are_not_cut_at_80x24():
    root, good, _ = pki()
    suite = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    port = gnutls_serv(*good, ca_file=root[0], client_cert="request",
                       priority="NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM")
    p = connect_pane(port, root, "--verify-name", "localhost", x=80, y=24)
    s = p.wait("Findings", "HTTP/1.0 200 OK")
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    s = p.text()
    check(max(len(l) for l in s.splitlines()) <= 80, "nothing drawn past 80 columns")
    first, last = region_rows(s, "Handshake")
    neg = column(s, first, last, left=False)
    for value in (suite, "asked for, none sent", "HTTP/1.0 200 OK"):
        check(value in neg, "the negotiated column shows %r whole: %r" % (value, neg))
    p.keys("q")
    p.expect_restored("q")
    # A TLS 1.3 refusal after the handshake: the alert line wraps, nothing of it is lost.
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require",
                       priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = connect_pane(port, root, "--verify-name", "localhost", x=80, y=24)
    s = p.wait("client-cert-required", "\u2718 FAIL")
    first, last = region_rows(s, "Handshake")
    hs = column(s, first, last)
    check("Alert fatal certificate_required (116) after the handshake" in hs,
          "the alert line is whole: %r" % hs)
    check("client crt asked for, none sent" in column(s, first, last, left=False),
          "the client certificate state is whole")
    p.keys("q")
    p.expect_restored("q")


@scenario
def a_fatal_alert_is_never_under_a_green_handshake_complete():
    root, good, _ = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require",
                       priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = connect_pane(port, root, "--verify-name", "localhost")
    s = p.wait("client-cert-required", "\u2718 FAIL", "certificate_required (116)")
    check("\u2714 handshake complete" not in s, "no green handshake complete:\n" + s)
    first, last = region_rows(s, "Handshake")
    check("\u2718 handshake complete, then the peer ended it with the fatal alert "
          "certificate_required (116)" in column(s, first, last),
          "the status line says the alert ended it")
    p.keys("q")
    p.expect_restored("q")


@scenario
def a_cancelled_connection_never_says_no_problem_found():
    # Cancelled while connect() waits (the peer's accept queue is full) and while the
    # handshake waits for the peer.
    for port, phase in ((blackhole(), "connecting"), (staller(), "handshake")):
        p = Pane(["connect", "127.0.0.1:%d" % port, "--timeout", "60", "--no-probe"])
        p.wait(phase)
        p.keys("Escape")
        s = p.wait("cancelled", "FAIL", "Findings")
        s = p.text()
        check("no problem found" not in s,
              "%s: a cancelled run never says no problem found:\n%s" % (phase, s))
        check("Findings (0)" not in s or "no diagnosis" in s,
              "%s: without findings, the region says there is no diagnosis" % phase)
        check("protocol-error" not in s, "%s: the peer broke nothing: we cancelled" % phase)
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")


def threads(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


@scenario
def esc_during_an_ocsp_query_ends_its_thread():
    """The OCSP query runs in a thread of its own, blocked on a responder that never answers;
    Esc ends that thread within a second instead of leaving it to the 30 s deadline."""
    root = ca("TUI OCSP Root CA")
    leaf = server(root, name="ocspleaf", extra=['ocsp_uri = "http://127.0.0.1:%d/"' % staller()])
    port = gnutls_serv(leaf[0], leaf[1])
    for run in range(5):
        p = connect_pane(port, root, "--ocsp", "--timeout", "30", "--verify-name", "localhost")
        pid = p.tlsscope_pid()
        end = time.monotonic() + 10
        while threads(pid) < 2 and time.monotonic() < end:
            time.sleep(0.02)  # polling interval, bounded by the deadline
        check(threads(pid) >= 2, "run %d: the OCSP query's thread runs" % run)
        p.keys("Escape")
        p.wait("cancelled", deadline=3)
        t0 = time.monotonic()
        while threads(pid) > 1 and time.monotonic() < t0 + 5:
            time.sleep(0.02)  # polling interval, bounded by the deadline
        gone = time.monotonic() - t0
        check(threads(pid) == 1, "run %d: the thread still runs %.1f s after Esc" % (run, gone))
        check(gone < 1.0, "run %d: the thread ended %.2f s after Esc" % (run, gone))
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")


@scenario
def ocsp_on_the_command_line_asks_the_responder_in_the_tui():
    """--ocsp reaches the TUI's connection: a responder that says revoked gives revoked and
    FAIL (without it the TUI said OK: nobody was asked)."""
    import revocation
    oport = free_port()
    root, leaf = revocation.pki(ocsp_port=oport, name="tocsp")
    revocation.responder(root, revocation.index("tocsp", revoked=[leaf[0]]), oport)
    port = revocation.gnutls_staple_server(leaf)
    p = connect_pane(port, root, "--ocsp", "--verify-name", "localhost", "--no-http")
    p.wait("revoked", "\u2718 FAIL", "OCSP")
    p.wait_match("(?m)^0 .*\u2718OCSP:revoked", "the leaf's row has the responder's word")
    check("   OCSP" in p.row("trust:"), "the header says OCSP is asked: " + p.row("trust:"))
    p.keys("q")
    p.expect_restored("q")


@scenario
def fetch_intermediates_on_the_command_line_reaches_the_tui():
    import revocation
    d, hport = revocation.http_files("taia")
    url = "http://127.0.0.1:%d/i.der" % hport
    root, inter, leaf = revocation.aia_pki(url, "taia")
    revocation.publish(inter, d)
    port = revocation.gnutls_staple_server(leaf)  # sends the leaf only
    p = connect_pane(port, root, "--fetch-intermediates", "--verify-name", "localhost",
                     "--no-http")
    p.wait("missing-intermediate", "Fix:")
    p.wait_match(r"fetched\s+from\s+http://127\.0\.0\.1:%d/i\.der" % hport,
                 "the finding says where the intermediate was fetched from")
    p.keys("q")
    p.expect_restored("q")


def imap_server():
    import starttls
    return starttls.dovecot(protocols=("imap",))["imap"], path("ca.crt")


@scenario
def starttls_on_the_command_line_upgrades_in_the_tui():
    port, ca_file = imap_server()
    for run in range(3):
        p = Pane(["connect", "127.0.0.1:%d" % port, "--starttls", "imap", "--ca", ca_file,
                  "--no-system-trust", "--verify-name", "localhost"])
        s = p.wait("StartTLS", "ServerHello", "Finished", "\u2714 OK")
        check("starttls-needed" not in s, "run %d: the upgrade ran:\n%s" % (run, s))
        check("STARTTLS: imap" in p.row("trust:"), "run %d: the header names it" % run)
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")


@scenario
def target_form_sets_starttls_and_ocsp_and_recents_keep_them():
    port, ca_file = imap_server()
    p = Pane(["connect", "127.0.0.1:%d" % port, "--ca", ca_file, "--no-system-trust",
              "--verify-name", "localhost"], x=80, y=24)
    p.wait("starttls-needed")
    p.keys("c")
    p.wait("Target", "STARTTLS", "Ask OCSP", "Fetch intermediates", "by port: none")
    # The first choice names what the port in the first field implies, as it is typed.
    p.keys("C-u")
    p.typed("127.0.0.1:143")
    p.wait("by port: imap")
    p.keys("C-u")
    p.typed("127.0.0.1:%d" % port)
    p.wait("by port: none")
    p.keys(*["Tab"] * 8)
    p.wait("the plaintext upgrade before TLS")
    p.keys("Space", "Space", "Space", "Space")  # none, smtp, lmtp, imap
    p.wait("< imap >")
    p.keys("Tab", "Space")
    p.wait("[x]")
    p.keys("Enter")
    p.wait_match(r"STARTTLS: imap +OCSP", "the header shows the new setup")
    s = p.wait("StartTLS", "ServerHello", "Finished")
    check("starttls-needed" not in s, "the upgrade ran:\n" + s)
    p.keys("q")
    p.expect_restored("q")
    recent = open(path("state/tlsscope/recent")).read()
    mine = [l for l in recent.splitlines() if l.startswith("target\t127.0.0.1:%d" % port)]
    check(len(mine) == 1 and "\tstarttls=imap" in mine[0] and "\tocsp=1" in mine[0] and
          "\taia=" not in mine[0], "the entry keeps STARTTLS and OCSP: %r" % recent)
    # Home: Enter on the entry connects with the upgrade again.
    p = Pane([])
    p.wait("Recent targets", "127.0.0.1:%d" % port)
    p.keys("G", "Enter")
    p.wait("tlsscope connect", "StartTLS", "ServerHello")
    p.wait_match(r"STARTTLS: imap +OCSP", "the restored setup is in the header")
    p.keys("q")
    p.expect_restored("q")


def proxies():
    import proxy
    return proxy


@scenario
def proxy_from_the_command_line_and_the_target_form_in_the_tui():
    """--proxy and --proxy-password-file reach the TUI's connection (without them the TUI went
    straight to the target); the target form sets both; recents keep the URL and the file's
    path, never the password."""
    px_mod = proxies()
    ca_file = px_mod.pki()
    srv = px_mod.tls_server()
    px = px_mod.tinyproxy(["BasicAuth bob %s" % px_mod.PASSWORD])
    pw = px_mod.password_file()
    url = "http://bob@127.0.0.1:%d" % px
    p = Pane(["connect", "127.0.0.1:%d" % srv, "--ca", ca_file, "--no-system-trust",
              "--verify-name", "localhost", "--proxy", url, "--proxy-password-file", pw])
    s = p.wait("Proxy", "ServerHello", "Finished", "\u2714 OK")
    check("proxy: " + url in p.row("trust:"), "the header names the proxy: " + p.row("trust:"))
    check(px_mod.PASSWORD not in s, "the password is never on the screen")
    check("CONNECT" in px_mod.tinyproxy_log(px), "tinyproxy saw the CONNECT")
    p.keys("q")
    p.expect_restored("q")
    # The form: a direct connection, then the proxy set in the target form.
    p = Pane(["connect", "127.0.0.1:%d" % srv, "--ca", ca_file, "--no-system-trust",
              "--verify-name", "localhost"], x=80, y=24)
    s = p.wait("ServerHello", "\u2714 OK")
    check("\u2190 Proxy" not in s, "no proxy step yet:\n" + s)
    p.keys("c")
    p.wait("Target", "Proxy password")
    p.keys(*["Tab"] * 11)
    p.wait("http://[user@]host:port")
    p.typed("socks5://nowhere")
    p.keys("Enter")
    p.wait("Proxy", "port")  # a URL without a port is refused in a dialog
    p.keys("Enter")
    p.wait("Target", "Proxy password")
    p.keys("C-u")
    p.typed(url)
    p.keys("Tab")
    p.typed(pw)
    p.keys("Enter")
    p.wait_match(r"proxy: http://bob@127\.", "the header shows the proxy (cut at 80 columns)")
    s = p.wait("Proxy", "ServerHello", "\u2714 OK")
    check(px_mod.PASSWORD not in s, "the password is never on the screen")
    p.keys("q")
    p.expect_restored("q")
    recent = open(path("state/tlsscope/recent")).read()
    mine = [l for l in recent.splitlines() if l.startswith("target\t127.0.0.1:%d" % srv)]
    check(len(mine) == 1 and "\tproxy=" + url in mine[0] and "\tproxypw=" + pw in mine[0],
          "the entry keeps the proxy and the file's path: %r" % recent)
    check(px_mod.PASSWORD not in recent, "never the password")
    # A password file that is not a regular file is refused before the screen: exit 2.
    fifo = fifo_in("proxy.fifo")
    p = Pane(["connect", "127.0.0.1:%d" % srv, "--ca", ca_file, "--proxy", url,
              "--proxy-password-file", fifo])
    s = p.wait("EXITED")
    check("EXITED 2" in s and "not a regular file" in s, "one line, exit 2:\n" + s)


@scenario
def a_seven_certificate_chain_is_visible_when_there_is_room():
    root = ca("TUI Root CA")
    signer, chain = root, []
    for n in range(5):
        signer = cert("inter%d" % n, ['cn = "Intermediate %d"' % n, "ca", "cert_signing_key",
                                      "expiration_days = 300"], signer)
        chain.insert(0, signer[0])
    leaf = server(signer, cn="deep.example.test", dns=("localhost",))
    port = gnutls_serv_chain(bundle("chain7.pem", leaf[0], *chain, root[0]), leaf[1])
    p = connect_pane(port, root, "--verify-name", "localhost")
    s = p.wait("Certificate chain (7)", "deep.example.test", "Findings")
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    s = p.text()
    first, last = region_rows(s, "Certificate chain")
    rows = [l for l in s.splitlines()[first:last] if re.match(r"\d ", l)]
    check(len(rows) == 7, "every certificate has its row:\n" + s)
    check(rows[6].startswith("6 TUI Root CA"), "the root is the last row")
    p.keys("q")
    p.expect_restored("q")


@scenario
def listen_view_is_split_and_follows_the_selection_at_80x24():
    root, good, _ = pki()
    short = cert("short", ['cn = "tui client"', "serial = 4660", "signing_key",
                           "tls_www_client", "expiration_days = 200"], root)
    other = ca("Other Root CA", file="other")
    stranger = client(other, cn="stranger", name="stranger")
    port = free_port()
    p = Pane(["listen", "127.0.0.1:%d" % port, "--cert", good[0], "--key", good[1],
              "--client-ca", root[0]], x=80, y=24)
    p.wait("tlsscope listen", "waiting for clients")
    base = ["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust",
            "--verify-name", "localhost", "--no-http", "--json"]
    tlsscope(base + ["--cert", short[0], "--key", short[1]])
    p.wait("1 connection", "tui client")
    tlsscope(base + ["--cert", stranger[0], "--key", stranger[1], "--force-client-cert"])
    s = p.wait("2 connections", "stranger")
    p.wait_match(r"(?m)^\d\d:\d\d:\d\d 127\.0\.0\.1:\d+ +TLS1\.3 +tui client +0x1234=4660 "
                 r"+\u2714 OK", "the short serial in hex and decimal, in the row")
    p.wait_match(r"(?m)^\d\d:\d\d:\d\d .*stranger +0x[0-9a-f]{6}\u2026 \u2718 "
                 r"(client-cert-[a-z-]+)", "the long serial elided, the finding id whole")
    s = p.text()
    check(max(len(l) for l in s.splitlines()) <= 80, "nothing past 80 columns")
    fid = re.search(r"\u2718 (client-cert-[a-z-]+)", s).group(1)
    # Below the list: the newest connection, its chain, the serial whole, the finding.
    p.wait("Connection #2", "0 stranger", "error   " + fid)
    serial = re.search(r"(?m)^serial hex ([0-9a-f]+)", p.text())
    check(serial and len(serial.group(1)) > 8, "the long serial is whole below the list")
    p.keys("Up")
    p.wait("Connection #1", "0 tui client", "hex 1234  dec 4660", gone=("0 stranger",))
    p.keys("Down")
    p.wait("Connection #2", "0 stranger", gone=("0 tui client",))
    p.keys("q")
    p.expect_restored("q")


@scenario
def recent_targets_keep_and_restore_the_whole_setup():
    root, good, cli = pki()
    p12 = path("client.p12")
    sh("certtool", "--to-p12", "--load-certificate", cli[0], "--load-privkey", cli[1],
       "--p12-name", "tui", "--password", "secret-pass-77", "--outder", "--outfile", p12)
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    # An entry in the older format (host:port only) still reads.
    os.makedirs(path("state/tlsscope"), exist_ok=True)
    with open(path("state/tlsscope/recent"), "w") as f:
        f.write("target\t127.0.0.1:9\n")
    setup = ["--sni", "tui.example.test", "--verify-name", "localhost", "--tls-max", "1.2",
             "--alpn", "http/1.1"]
    p = connect_pane(port, root, "--p12", p12, "--password-env", "TUI_P12_PASS", *setup,
                     env={"TUI_P12_PASS": "secret-pass-77"})
    p.wait("asked for, sent", "\u2714 OK")
    p.keys("q")
    p.expect_restored("q")
    recent = open(path("state/tlsscope/recent")).read()
    check("secret-pass-77" not in recent, "the password is never remembered")
    check("cert=" + p12 in recent, "the PKCS#12 path is remembered")
    # The same target again with a certificate and key: the newest setup replaces the entry.
    p = connect_pane(port, root, "--cert", cli[0], "--key", cli[1], *setup)
    p.wait("asked for, sent", "\u2714 OK")
    p.keys("q")
    p.expect_restored("q")
    recent = open(path("state/tlsscope/recent")).read()
    mine = [l for l in recent.splitlines() if l.startswith("target\t127.0.0.1:%d" % port)]
    check(len(mine) == 1, "one entry per target:\n" + recent)
    for field in ("ca=" + root[0], "sni=tui.example.test", "verify=localhost", "max=12",
                  "alpn=http/1.1", "nosys=1", "cert=" + cli[0], "key=" + cli[1]):
        check("\t" + field in mine[0], "the entry keeps %r: %r" % (field, mine[0]))
    check("target\t127.0.0.1:9" in recent, "the older entry is kept")
    # Home: the list describes each entry, and Enter reconnects with the whole setup.
    p = Pane([])
    p.wait("Recent targets", "127.0.0.1:%d" % port, "127.0.0.1:9")
    p.wait_match(r"127\.0\.0\.1:%d +trust: ca\.crt +identity: client\.crt \+ client\.key"
                 % port, "the entry shows its setup")
    p.keys("G", "k")  # the newest entry is above the older one, which is last
    p.keys("Enter")
    s = p.wait("tlsscope connect", "asked for, sent", "\u2714 OK", "TLS1.2")
    check("identity: client.crt + client.key" in s and "verify name: localhost" in s,
          "the header shows the restored setup")
    p.keys("Escape")
    p.wait("Recent targets")
    p.keys("G", "Enter")  # the older entry: host:port only, the default setup
    p.wait("tlsscope connect", "127.0.0.1:9", "trust: system store")
    p.keys("q")
    p.expect_restored("q")


@scenario
def key_picker_opens_beside_the_certificate_and_selects_its_key():
    root, good, cli = pki()
    d = path("ids")
    os.makedirs(d)
    # A decoy key sorts first; the matching one must be the one selected.
    decoy = key("ids/a-decoy")
    mine = cert("ids/zz-client", ['cn = "tui client 2"', "signing_key", "tls_www_client",
                                  "expiration_days = 200"], root)
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("client-cert-required", "\u2718 FAIL")
    p.keys("i")
    p.wait("Client identity")
    p.typed(mine[0])
    p.keys("Tab", "F2")
    s = p.wait("Pick a file", "in ~/ids", "matches the certificate")
    p.wait_match(r"key: a private key, matches the certificate", "the preview names the match")
    p.keys("Enter")  # picks the selected entry: the matching key, not the decoy
    s = p.wait("Client identity", "zz-client.key", gone=("Pick a file",))
    check("a-decoy" not in s, "the decoy was not picked")
    # The password mask has one width whatever the length.
    p.keys("Tab")
    p.typed("abc")
    short = p.wait("********")
    p.typed("defghijklmnop")
    p.wait("********")
    check("*" * 9 not in p.text() and "*" * 9 not in short, "a fixed-width mask")
    p.keys("C-u")
    p.keys("Enter")
    p.wait("asked for, sent", "\u2714 OK", gone=("Client identity",))
    p.keys("q")
    p.expect_restored("q")


@scenario
def picker_filter_takes_one_enter():
    root, good, cli = pki()
    port = gnutls_serv(*good)
    p = connect_pane(port, root, "--verify-name", "localhost")
    p.wait("\u2714 OK")
    p.keys("i")
    p.wait("Client identity")
    p.keys("F2")
    p.wait("Pick a file", "client.crt")
    p.keys("/")
    p.typed("client.cr")
    p.wait("filter: client.cr")
    p.keys("Enter")
    p.wait("Client identity", "client.crt", gone=("Pick a file",))
    p.keys("Escape", "q")
    p.expect_restored("q")


def openssl_out(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True,
                          check=True).stdout


@scenario
def certificate_detail_shows_key_ids_spki_pin_and_sha1():
    import base64
    import hashlib
    root, good, _ = pki()
    pub = openssl_out("x509", "-in", good[0], "-noout", "-pubkey")
    spki = openssl_out("pkey", "-pubin", "-outform", "DER", data=pub)
    pin = "pin-sha256:" + base64.b64encode(hashlib.sha256(spki).digest()).decode()
    der = openssl_out("x509", "-in", good[0], "-outform", "DER")
    sha1 = ":".join("%02x" % b for b in hashlib.sha1(der).digest())
    ski = openssl_out("x509", "-in", good[0], "-noout", "-ext", "subjectKeyIdentifier")
    ski = ski.decode().split("\n")[1].strip().lower()
    root_ski = openssl_out("x509", "-in", root[0], "-noout", "-ext", "subjectKeyIdentifier")
    root_ski = root_ski.decode().split("\n")[1].strip().lower()
    p = Pane(["inspect", good[0], "--ca", root[0]])
    p.wait("Files", "tui.example.test")
    p.keys("Enter")
    p.wait("SHA-256", "SPKI pin")
    p.wait_match(r"(?m)^ SKI +%s" % re.escape(ski), "the subject key id")
    p.wait_match(r"(?m)^ AKI +%s" % re.escape(root_ski), "the authority key id is the CA's")
    p.wait_match(r"(?m)^ SPKI pin +%s" % re.escape(pin), "the pin as curl takes it")
    p.wait_match(r"(?m)^ SHA-1 +%s" % re.escape(sha1), "the SHA-1 fingerprint")
    p.keys("Escape", "q")
    p.expect_restored("q")



def settled(p, deadline=5.0):
    """The screen once two captures 50 ms apart agree: a capture can catch a frame half
    drawn (slow under the sanitizers)."""
    end = time.monotonic() + deadline
    s = p.text()
    while time.monotonic() < end:
        time.sleep(0.05)  # polling interval, bounded by the deadline
        t = p.text()
        if t == s:
            return t
        s = t
    raise Failure("the screen never settled:\n" + s)


def text_view_all(p, title):
    """Every line of a full-screen text view titled title, paging down to its end: each page
    joins the lines seen so far where they overlap (the scroll hints in the last column are
    left out)."""
    def body(screen):
        return [re.sub(r"\s+[v^]$", "", l) if len(l) >= 78 else l.rstrip()
                for l in screen.splitlines()[1:-1]]
    p.wait(title)
    s = settled(p)
    seen = body(s)
    # A "v" in the last column says more lines hide below.
    while any(len(l) >= 78 and l.endswith(" v") for l in s.splitlines()):
        p.keys("PageDown")
        end = time.monotonic() + 5
        while time.monotonic() < end and p.text() == s:
            time.sleep(0.05)  # polling interval, bounded by the deadline
        check(p.text() != s, "PageDown moved the text view")
        s = settled(p)
        new = body(s)
        k = max(k for k in range(min(len(seen), len(new)) + 1)
                if k == 0 or seen[-k:] == new[:k])
        seen += new[k:]
    return seen


def joined(lines):
    """Wrapped lines joined again: each line's text without its indent, one space between."""
    out = ""
    for l in lines:
        part = l.strip()
        out += ("" if not out or out.endswith("_") else " ") + part
    return re.sub(r"\s+", " ", out)


def check_verdicts(lines, peers, who):
    """Every profile of peers (the JSON report's list) has its row with its verdict, and each
    reason's words stand whole in the wrapped text."""
    check(max(len(l) for l in lines) <= 80, "%s: nothing past 80 columns" % who)
    text = joined(lines)
    for v in peers:
        row = next((l for l in lines if re.search(r"(accept|reject) +%s " % re.escape(v["id"]),
                                                  l)), None)
        check(row is not None, "%s: a row for %s:\n%s" % (who, v["id"], "\n".join(lines)))
        check(v["verdict"] in row, "%s: %s %s" % (who, v["id"], v["verdict"]))
        for reason in v["reasons"]:
            says = re.sub(r"\s+", " ", reason["says"])
            check(("says (%s): %s" % (reason["finding"], says)) in text,
                  "%s: %s says %r whole:\n%s" % (who, v["id"], says, "\n".join(lines)))


@scenario
def verdicts_pane_p_shows_who_would_reject_at_80x24():
    root, good, _ = pki()
    # A server certificate offered as a client's: every server refuses its purpose.
    stranger = cert("wrongpurpose", ['cn = "stranger"', "signing_key", "tls_www_server",
                                      "expiration_days = 200"], root)
    port = gnutls_serv(*good)
    # Untrusted: no --ca, no system store, so every client has something to say.
    args = ["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--verify-name", "localhost"]
    clients = tlsscope(args + ["--json"]).report["clients"]
    check(any(v["verdict"] == "reject" for v in clients), "some client rejects the chain")
    p = Pane(args, x=80, y=24)
    p.wait("untrusted-issuer", "\u2718 FAIL")
    p.keys("p")
    lines = text_view_all(p, "Who would reject this server")
    check_verdicts(lines, clients, "connect")
    p.keys("Escape")
    p.wait("Findings", gone=("Who would reject",))
    p.keys("q")
    p.expect_restored("q")
    # Listen: the servers' verdicts on the client's chain, for the selected connection.
    lp, lport = tlsscope_listener(good, "--client-ca", root[0], "--json", "--count", "1",
                                  stdout=subprocess.PIPE)
    cli_args = ["connect", "127.0.0.1:%d", "--ca", root[0], "--no-system-trust", "--verify-name",
                "localhost", "--no-http", "--json", "--cert", stranger[0], "--key", stranger[1],
                "--force-client-cert"]
    tlsscope([a % lport if "%d" in a else a for a in cli_args])
    out, _ = lp.communicate(timeout=20)
    servers = json.loads(out.decode().splitlines()[0])["client_auth"]["servers"]
    check(any(v["verdict"] == "reject" for v in servers), "some server rejects the client")
    lport = free_port()
    p = Pane(["listen", "127.0.0.1:%d" % lport, "--cert", good[0], "--key", good[1],
              "--client-ca", root[0]], x=80, y=24)
    p.wait("waiting for clients")
    tlsscope([a % lport if "%d" in a else a for a in cli_args])
    p.wait("1 connection", "stranger")
    p.keys("p")
    lines = text_view_all(p, "Who would reject this client")
    check_verdicts(lines, servers, "listen")
    p.keys("Escape")
    p.wait("Connections", gone=("Who would reject",))
    p.keys("q")
    p.expect_restored("q")
    # The demo's previous-scenario key is N now; p shows the verdicts there too.
    p = Pane(["demo"], x=100, y=30)
    s = p.wait("demo ok: the client's view")
    p.keys("N")
    s = p.wait("demo ", gone=("demo ok:",))
    p.keys("p")
    p.wait("Who would reject this server")
    p.keys("Escape", "q")
    p.expect_restored("q")


@scenario
def http_body_of_an_nginx_refusal_is_in_the_connection_view():
    root, good, _ = pki()
    port = nginx(good[0], good[1], root[0])
    for x, y in ((100, 30), (80, 24)):
        p = connect_pane(port, root, "--verify-name", "localhost", x=x, y=y)
        s = p.wait("HTTP/1.1 400 Bad", "Findings")
        p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
        s = p.text()
        check(max(len(l) for l in s.splitlines()) <= x, "%dx%d: nothing past the edge" % (x, y))
        first, last = region_rows(s, "Handshake")
        hs = column(s, first, last)
        check("HTTP/1.1 400 Bad Request" in column(s, first, last, left=False),
              "%dx%d: the status line in the negotiated column" % (x, y))
        check("HTTP body 400 No required SSL certificate was sent" in hs,
              "%dx%d: the body's words where the handshake ends: %r\n%s" % (x, y, hs, s))
        check("<center>" not in hs, "%dx%d: the markup is left out" % (x, y))
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")


def revoked_staple_pki():
    """A leaf whose stapled OCSP response says revoked, and a CRL (certtool) that says good."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "scenarios"))
    import revocation
    root, leaf = revocation.pki(name="rleaf")
    idx = revocation.index("tui", revoked=[leaf[0]])
    resp = revocation.staple("tui", root, leaf[0], idx)
    crl_file = revocation.certtool_crl("tui", root)
    return root, leaf, revocation.gnutls_staple_server(leaf, resp), crl_file


@scenario
def chain_pane_marks_revocation_and_the_detail_has_ocsp_times():
    root, leaf, port, crl_file = revoked_staple_pki()
    p = connect_pane(port, root, "--verify-name", "localhost", "--crl", crl_file, "--no-http")
    p.wait("revoked", "\u2718 FAIL")
    p.wait_match("(?m)^0 .*\u2714CRL \u2718staple:revoked", "the leaf's row marks each source")
    # The findings have the focus: Tab goes round to the timeline, then to the chain.
    p.keys("Tab", "Tab", "Enter")
    lines = text_view_all(p, "Certificate 0 (e export")
    text = "\n".join(l.strip() for l in lines)
    check(re.search(r"(?m)^CRL +\u2714 good", text), "the detail says the CRL's word:\n" + text)
    check(re.search(r"(?m)^stapled OCSP +\u2718 revoked", text), "the staple's word")
    check(re.search(r"(?m)^queried OCSP +- not checked", text), "no query was made")
    for label in ("produced", "this update", "next update", "revoked at"):
        check(re.search(r"(?m)^%s +\d{4}-\d\d-\d\d" % label, text),
              "the staple's %s time:\n%s" % (label, text))
    p.keys("Escape", "q")
    p.expect_restored("q")


def pem_blocks(data):
    return re.findall(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----", data)


@scenario
def f_saves_the_fullchain_leaf_first_no_root_and_refuses_a_fifo():
    root = ca("TUI Root CA")
    inter = cert("tinter", ['cn = "TUI Intermediate CA"', "ca", "cert_signing_key",
                            "expiration_days = 300"], root)
    leaf = server(inter, cn="full.example.test", dns=("localhost",))
    # The server sends its root along and its intermediate: the fullchain has neither root
    # nor anything else, leaf first.
    port = gnutls_serv_chain(bundle("sent.pem", leaf[0], inter[0], root[0]), leaf[1])
    p = connect_pane(port, root, "--verify-name", "localhost", "--no-http")
    p.wait("Certificate chain (3)", "Findings")
    p.wait_match(r"tlsscope connect .*(OK|FAIL)", "the connection ended")
    out = path("fullchain-out.pem")
    p.keys("f")
    p.wait("Save the fullchain")
    p.keys("C-u")
    p.typed(out)
    p.keys("Enter")
    p.wait("Wrote the fullchain (2 certificates")
    got = pem_blocks(open(out).read())
    want = [pem_blocks(open(leaf[0]).read())[0], pem_blocks(open(inter[0]).read())[0]]
    norm = lambda b: re.sub(r"\s+", "", b)
    check([norm(b) for b in got] == [norm(b) for b in want],
          "leaf, then the intermediate, no root:\n%s" % open(out).read())
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--ca", root[0],
                  "--verify-name", "localhost", "--no-http", "--save-chain",
                  path("cli-fullchain.pem")])
    check(open(path("cli-fullchain.pem")).read() == open(out).read(),
          "the same bytes as --save-chain")
    p.keys("Enter")
    p.wait("Findings", gone=("Wrote the",))
    nobody = fifo_in("fullchain.fifo")
    p.keys("f")
    p.wait("Save the fullchain")
    p.keys("C-u")
    p.typed(nobody)
    p.keys("Enter")
    p.wait("Cannot write the file", "not a regular file", deadline=2)
    p.keys("Enter")
    p.wait("Save the fullchain", gone=("Cannot write",))
    p.keys("Escape")
    p.wait("Findings", gone=("Save the fullchain",))
    p.keys("q")
    p.expect_restored("q")


@scenario
def a_key_is_not_kept_waiting_behind_a_fifo():
    """While the identity form reads a FIFO that gives nothing, a key press ends the wait at
    once (the pipe's own limit is 3 s): the dialog comes within a second of the key."""
    root, good, cli = pki()
    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    nobody = fifo_in("silent.fifo")
    for _ in range(5):
        p = connect_pane(port, root)
        p.wait("client-cert-required")
        identity_from(p, nobody, cli[1])
        check(reading(p.tlsscope_pid(), nobody), "the FIFO is being read")
        t0 = time.monotonic()
        p.keys("x")
        p.wait("Cannot load this identity", "before a key was pressed", deadline=10)
        took = time.monotonic() - t0
        check(took < 1.5, "the key ended the wait at once: %.2f s" % took)
        p.keys("Enter")
        p.wait("Client identity", gone=("Cannot load",))
        p.keys("Escape")
        p.wait("Findings", gone=("Client identity",))
        p.keys("q")
        p.expect_restored("q")
        p.close()
        p.tmux("kill-server")


if __name__ == "__main__":
    sys.exit(main(SCENARIOS, cleanup=_close_panes))
