"""tlsfuzzer (with tlslite-ng) against tlsscope listen: malformed, truncated, oversized and
fuzzed handshakes. Needs ../shared/tools (TLSFUZZER_TOOLS); skipped (exit 77) when it is not
there.

Every script runs every case it has (-n 0), each script against a listener of its own, and
each is judged on its own:
- a case that fails fails the test, unless EXPECTED lists it for that script, with the error
  tlsfuzzer reports; such a case is passed to the script as an expected failure (-x, -X), so
  that it failing any other way is still a failure, and it passing is one too (the table must
  follow GnuTLS, not rot);
- every EXPECTED case is also run against gnutls-serv with the same certificates, where it must
  fail the same way: the table holds GnuTLS's own behaviour, nothing of tlsscope's;
- the listener must still serve a normal client afterwards, then end on SIGTERM with its
  summary line and status (1: some connections failed, as these scripts make them), its JSON
  lines must match the summary, and no sanitizer may have spoken.

Usage: tlsfuzzer.py SCENARIO | --list"""
import ast
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

TOOLS = os.environ.get("TLSFUZZER_TOOLS", "")

SUITES = {
    "handshake-robustness": ["test_invalid_client_hello", "test_large_hello",
                             "test_truncating_of_client_hello",
                             "test_invalid_client_hello_w_record_overflow",
                             "test_record_layer_fragmentation", "test_empty_extensions"],
    # Every test_tls13_* script that applies to an RSA listener without PSK, compression or
    # brainpool curves.
    "tls13": ["test_tls13_finished", "test_tls13_large_number_of_extensions",
              "test_tls13_0rtt_garbage", "test_tls13_ccs", "test_tls13_connection_abort",
              "test_tls13_conversation", "test_tls13_crfg_curves", "test_tls13_ecdhe_curves",
              "test_tls13_empty_alert", "test_tls13_ffdhe_sanity", "test_tls13_hrr",
              "test_tls13_invalid_ciphers", "test_tls13_keyshare_omitted",
              "test_tls13_keyupdate", "test_tls13_legacy_version", "test_tls13_nociphers",
              "test_tls13_pkcs_signature", "test_tls13_record_padding",
              "test_tls13_rsa_signatures", "test_tls13_unrecognised_groups",
              "test_tls13_zero_length_data"],
    "tls13-long": ["test_tls13_dhe_shared_secret_padding", "test_tls13_record_layer_limits",
                   "test_tls13_serverhello_random", "test_tls13_version_negotiation"],
    "client-certificates": ["test_certificate_request", "test_certificate_verify",
                            "test_tls13_certificate_request"],
    "fuzzed-records": ["test_fuzzed_finished", "test_fuzzed_MAC"],
}

# Cases that fail against GnuTLS itself: script -> case -> (what tlsfuzzer reports, why).
# Each one fails the same way against gnutls-serv (checked by every run, see above).
EXPECTED = {
    "test_large_hello": {
        "huge hello": (
            "Unexpected message from peer: Alert(fatal, decode_error)",
            "a ClientHello of 131110 bytes: above GnuTLS's limit for one handshake message "
            "(128 KiB, gnutls_handshake_set_max_packet_length), so GNUTLS_E_HANDSHAKE_TOO_LARGE "
            "and decode_error, where the script expects the handshake to go on"),
    },
    "test_tls13_large_number_of_extensions": {
        "empty unassigned extensions, ids in range from 2 to 4119": (
            "Unexpected message from peer: Alert(fatal, unsupported_extension)",
            "the script's 'unassigned' IDs include extensions GnuTLS implements (11 "
            "ec_point_formats, 22 encrypt_then_mac, 23 extended_master_secret, 35 "
            "session_ticket, ...); sent empty, one is refused (GNUTLS_E_RECEIVED_ILLEGAL_"
            "EXTENSION, unsupported_extension) where the script expects them ignored"),
        "unassigned extensions with random payload, ids in range from 2 to 1047": (
            "Unexpected message from peer: Alert(fatal, illegal_parameter)",
            "the same IDs with random bodies: GnuTLS parses the ones it implements and answers "
            "illegal_parameter (GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER)"),
    },
    "test_tls13_keyupdate": {
        "app data split, conversation with KeyUpdate msg": (
            "Timeout when waiting for peer message",
            "the client sends 'GET', a KeyUpdate(update_requested), and waits for the server's "
            "KeyUpdate before the rest of the request. GnuTLS sends its KeyUpdate with the next "
            "record the application sends (lib/tls13/key_update.c: 'performed prior to sending "
            "the next application message', which RFC 8446 4.6.3 allows), and the HTTP "
            "responder has nothing to send before the request is complete: both sides wait"),
        "multiple KeyUpdate messages": (
            "Unexpected closure from peer",
            "32 KeyUpdates in a row: GnuTLS limits how often the peer may update its keys "
            "(lib/tls13/key_update.c), fails the read with GNUTLS_E_TOO_MANY_HANDSHAKE_PACKETS "
            "and the connection ends (internal_error) while the client is still sending"),
        "two KeyUpdates in one record": (
            'Expected alert description "unexpected_message" does not match received '
            '"bad_record_mac"',
            "GnuTLS applies the first KeyUpdate's new key to the rest of its record and "
            "answers bad_record_mac, where the script expects unexpected_message (RFC 8446 5.1: "
            "a KeyUpdate must end its record)"),
    },
    "test_certificate_request": {
        "check sigalgs in cert request": (
            "Unexpected signature algorithms",
            "GnuTLS's CertificateRequest lists its own signature algorithms, in its own order, "
            "not the script's default list"),
    },
    "test_tls13_certificate_request": {
        "check sigalgs in cert request": (
            "Unexpected signature algorithms",
            "as in test_certificate_request, for TLS 1.3"),
        "verify extensions in CertificateRequest": (
            "Server sent unexpected extension(s): status_request, 47",
            "GnuTLS's TLS 1.3 CertificateRequest carries status_request and "
            "certificate_authorities (47, RFC 8446 4.2.4: the --client-ca list); the script "
            "expects signature_algorithms alone"),
    },
}

# Cases tlsfuzzer cannot judge on a loaded machine: those whose conversation waits for an
# optional message with ExpectNoMessage(0.001). tlsfuzzer's runner (tlsfuzzer/runner.py)
# puts the socket's timeout back only when that wait times out; when the message does come
# (GnuTLS sends its NewSessionTickets right after its Finished, so it has come), the 1 ms
# timeout stays for the rest of the conversation, and the server must answer the padded
# Finished within 1 ms. A loaded machine misses that now and then, gnutls-serv as much as
# tlsscope. For these the listener's report decides: it must show the padded Finished received
# and decode_error sent, which is what the case asks for.
ONE_MS_WINDOW = {
    "test_tls13_finished": (re.compile(r"^padding - cipher (\S+), pad_byte \d+, pad_left (\d+), "
                                       r"pad_right (\d+)$"),
                            "Timeout when waiting for peer message"),
}

# Scripts run with their own sample size, not -n 0: test_tls13_dhe_shared_secret_padding's
# cases are key exchange groups, each repeated until the shared secret has leading zeros, and
# its default runs one group; -n 0 would run six, 2000 handshakes. test_tls13_certificate_request
# has no -n.
OWN_SAMPLE = {"test_tls13_dhe_shared_secret_padding", "test_tls13_certificate_request"}

SUMMARY = re.compile(r"^tlsscope: (\d+) connections?, (\d+) ok, (\d+) failed$", re.M)


def tools_env():
    return dict(os.environ, PYTHONPATH="%s/tlsfuzzer:%s/tlslite-ng" % (TOOLS, TOOLS))


def script_args(script, port, cl, cases=(), expected=None, sample=True):
    args = [PY, "-m", "tlsfuzzer._apps." + script, "-h", "127.0.0.1", "-p", str(port)]
    if "certificate" in script:
        args += ["-k", cl[1], "-c", cl[0]]
    if sample and script not in OWN_SAMPLE:
        args += ["-n", "0"]
    for case, (message, _) in (expected or {}).items():
        args += ["-x", case, "-X", message]
    return args + list(cases)


class Outcome:
    """A script's run: its counts, its FAILED and XPASSED lists, and each case's last error."""

    def __init__(self, r, seconds):
        self.rc, self.out, self.seconds = r.returncode, r.stdout + r.stderr, seconds
        self.counts = {k: int(v) for k, v in re.findall(r"^(PASS|XFAIL|FAIL|XPASS): (\d+)$",
                                                         r.stdout, re.M)}
        self.failed = self._list("FAILED")
        self.xpassed = self._list("XPASSED")
        self.errors = {}
        case = None
        for line in r.stdout.splitlines():
            m = re.match(r"^(.*) \.\.\.$", line)
            if m:
                case = m.group(1)
            elif case and re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line):
                self.errors[case] = line

    def _list(self, title):
        m = re.search(r"^%s:\n((?:\t.*\n?)*)" % title, self.out, re.M)
        return [ast.literal_eval(l.strip()) for l in m.group(1).splitlines()] if m else []

    def line(self):
        return "PASS %s XFAIL %s FAIL %s XPASS %s (%.0f s)" % tuple(
            [self.counts.get(k, "?") for k in ("PASS", "XFAIL", "FAIL", "XPASS")]
            + [self.seconds])


def run_script(args, timeout=900):
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=tools_env(),
                       stdin=subprocess.DEVNULL)
    return Outcome(r, time.monotonic() - t0)


class Listener:
    """tlsscope listen for one script: JSON lines to a file, stderr to a file (never a pipe
    nobody reads), ended with SIGTERM."""

    def __init__(self, name, srv, auth):
        self.port = free_port()
        self.out, self.err = path(name + ".json"), path(name + ".err")
        with open(self.out, "w") as o, open(self.err, "w") as e:
            self.p = subprocess.Popen(
                [os.environ["TLSSCOPE"], "listen", "127.0.0.1:%d" % self.port, "--cert", srv[0],
                 "--key", srv[1], "--json", "--history", "50"] + auth,
                stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                env=dict(os.environ, NO_COLOR="1", HOME=WORK))
        check(wait_port(self.port, proc=self.p), "%s: the listener did not start" % name)

    def stderr(self):
        with open(self.err, errors="replace") as f:
            return f.read()

    def reports(self):
        with open(self.out, errors="replace") as f:
            return [json.loads(l) for l in f if l.strip()]

    def stop(self):
        """SIGTERM; returns the problems seen: status, summary, JSON lines, sanitizers."""
        problems = []
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return ["did not end within 60 s of SIGTERM"]
        err = self.stderr()
        bad = [l for l in err.splitlines()
               if any(t in l for t in ("runtime error", "AddressSanitizer", "LeakSanitizer"))]
        if bad:
            problems.append("sanitizer output on stderr:\n" + err[-4000:])
        m = SUMMARY.search(err)
        if not m:
            problems.append("exit status %s without a summary line; stderr:\n%s"
                            % (rc, err[-2000:]))
            return problems
        n, failed = int(m.group(1)), int(m.group(3))
        if rc != (1 if failed else 0):
            problems.append("exit status %s after '%s'" % (rc, m.group(0)))
        try:
            lines = len(self.reports())
            if lines != n:
                problems.append("%d JSON lines for '%s'" % (lines, m.group(0)))
        except ValueError as e:
            problems.append("a JSON line does not parse: %s" % e)
        return problems


def one_ms_verdict(script, outcome, listener):
    """The failed ONE_MS_WINDOW cases that the listener's reports do not clear."""
    if script not in ONE_MS_WINDOW:
        return outcome.failed
    pattern, message = ONE_MS_WINDOW[script]
    answered = {}  # size of the Finished received -> connections that got decode_error for it
    for r in listener.reports():
        hs = r["handshake"]
        alert = hs.get("alert_sent") or {}
        for s in hs["steps"]:
            if s["dir"] == "received" and s["type"] == "Finished" and alert.get("code") == 50:
                size = int(s["detail"].split()[0])
                answered[size] = answered.get(size, 0) + 1
    left = []
    for case in outcome.failed:
        m = pattern.match(case)
        if not m or message not in outcome.errors.get(case, ""):
            left.append(case)
            continue
        size = (48 if m.group(1).endswith("SHA384") else 32) + int(m.group(2)) + int(m.group(3))
        if answered.get(size, 0) > 0:
            answered[size] -= 1
            print("%s: %r missed tlsfuzzer's 1 ms window; the listener received the %d-byte "
                  "Finished and sent decode_error" % (script, case, size))
        else:
            left.append(case)
    return left


def judge(script, outcome, what):
    """The problems in one script's run against what (tlsscope or gnutls-serv)."""
    problems = []
    if "FAIL" not in outcome.counts:
        return ["%s against %s: no counts (exit %s):\n%s" % (script, what, outcome.rc,
                                                             outcome.out[-3000:])]
    for case in outcome.failed:
        problems.append("%s against %s: %r failed: %s" % (
            script, what, case, outcome.errors.get(case, "(no error line)")[:400]))
    for case in outcome.xpassed:
        problems.append("%s against %s: %r is in EXPECTED but passed: take it out of the table"
                        % (script, what, case))
    # A script exits 1 when a case failed or an expected failure passed, else 0.
    if outcome.rc != (1 if outcome.counts["FAIL"] or outcome.counts.get("XPASS") else 0):
        problems.append("%s against %s: exit %s, %s" % (script, what, outcome.rc,
                                                        outcome.line()))
    return problems


def run_suite(name):
    if not os.path.isdir(os.path.join(TOOLS, "tlsfuzzer")):
        print("no ../shared/tools here: skipped", file=sys.stderr)
        sys.exit(77)
    root = ca()
    srv = server(root, kind="rsa", bits=2048)  # tlsfuzzer's default suites use RSA
    cl = client(root, kind="rsa")
    # Only the client-certificate scripts expect a CertificateRequest.
    auth = ["--client-ca", root[0], "--client-cert", "request"] \
        if name == "client-certificates" else []
    problems, lines = [], []
    for script in SUITES[name]:
        lst = Listener(script, srv, auth)
        stopped = False
        try:
            outcome = run_script(script_args(script, lst.port, cl,
                                             expected=EXPECTED.get(script)))
            failed = len(outcome.failed)
            outcome.failed = one_ms_verdict(script, outcome, lst)
            lines.append("%-46s %s%s" % (script, outcome.line(), (
                ", %d of them judged by the listener's reports"
                % (failed - len(outcome.failed))) if failed > len(outcome.failed) else ""))
            problems += judge(script, outcome, "tlsscope")
            if lst.p.poll() is not None:
                problems.append("%s: the listener died (exit %s):\n%s" % (
                    script, lst.p.returncode, lst.stderr()[-3000:]))
            else:
                out = subprocess.run(["openssl", "s_client", "-connect",
                                      "127.0.0.1:%d" % lst.port, "-CAfile", root[0]],
                                     stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                     timeout=30).stdout
                if "Verify return code: 0" not in out:
                    problems.append("%s: a normal client is not served afterwards" % script)
            problems += ["%s: listener: %s" % (script, p) for p in lst.stop()]
            stopped = True
        finally:
            if not stopped:
                lst.p.kill()
                lst.p.wait()
        # The expected failures, against GnuTLS's own server: they must fail there the same way.
        if script in EXPECTED:
            port = gnutls_serv(srv[0], srv[1], ca_file=root[0] if auth else None,
                               client_cert="request" if auth else "none")
            ref = run_script(script_args(script, port, cl, cases=EXPECTED[script],
                                         expected=EXPECTED[script], sample=False))
            lines.append("%-46s %s against gnutls-serv" % ("", ref.line()))
            problems += judge(script, ref, "gnutls-serv")
            if ref.counts.get("XFAIL") != len(EXPECTED[script]):
                problems.append("%s against gnutls-serv: %s XFAIL for %d cases in EXPECTED" % (
                    script, ref.counts.get("XFAIL"), len(EXPECTED[script])))
    print("\n".join(lines))
    check(not problems, "\n".join(problems))


if __name__ == "__main__":
    sys.exit(main(SUITES, run=run_suite))
