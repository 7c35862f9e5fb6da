"""tlsscope connect against real peers on 127.0.0.1: one scenario per meson test.

Usage: connect.py SCENARIO | --list   (TLSSCOPE and TLSSCOPE_SCHEMA in the environment)
Exit 0 when every check holds, 1 with the failed check on stderr, 77 to skip."""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()


def trust(root):
    return ["--ca", root[0], "--no-system-trust"]


TLS13_SERVER_FLIGHT = [("sent", "ClientHello"), ("received", "ServerHello"),
                       ("received", "EncryptedExtensions"), ("received", "Certificate"),
                       ("received", "CertificateVerify"), ("received", "Finished"),
                       ("sent", "Finished")]


def in_order(seq, wanted):
    it = iter(seq)
    return all(w in it for w in wanted)


@scenario
def tls13_gnutls_serv():
    root = ca()
    port = gnutls_serv(*server(root))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"] + trust(root))
    rep = r.report
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, r.err))
    check(rep["negotiated"]["version"] == "TLS1.3", rep["negotiated"])
    handshake = [s for s in r.steps() if s[1] not in ("NewSessionTicket",)]
    check(handshake == TLS13_SERVER_FLIGHT, "exact TLS 1.3 flight, got %s" % handshake)
    ts = [s["t_ms"] for s in rep["handshake"]["steps"]]
    check(ts == sorted(ts) and ts[0] >= 0, "t_ms increase: %s" % ts)
    check(rep["negotiated"]["cipher_suite"].startswith("TLS_AES_") or
          rep["negotiated"]["cipher_suite"].startswith("TLS_CHACHA20"), rep["negotiated"])
    leaf = rep["peer_chain"][0]
    check(leaf["subject"] == "CN=localhost", leaf["subject"])
    check(int(leaf["serial_hex"], 16) == int(leaf["serial_dec"]), "serial hex == dec")
    check({"DNS:localhost", "IP:127.0.0.1", "IP:::1"} <= set(leaf["san"]), leaf["san"])
    check(leaf["key"] == {"algorithm": "ECDSA", "bits": 256, "curve": "SECP256R1"}, leaf["key"])
    check(leaf["eku"] == ["serverAuth"], leaf["eku"])
    check(leaf["not_before"] < leaf["not_after"], "validity order")
    v = rep["verification"]
    check(v["trusted"] and v["trust_source"] == "ca-file", v)
    check(v["hostname"] == {"checked": True, "name": "127.0.0.1", "match": True,
                            "matched_by": "ip"}, v["hostname"])
    check(rep["target"]["sni"] is None, "no SNI for an IP target")
    check(rep["findings"] == [] and rep["verdict"] == "ok", rep["findings"])
    check(all(rep["timing"][k] is not None for k in ("connect_ms", "handshake_ms", "total_ms")),
          rep["timing"])


@scenario
def tls12_gnutls_serv():
    root = ca()
    port = gnutls_serv(*server(root))
    r = tlsscope(["127.0.0.1:%d" % port, "--json", "--tls-max", "1.2"] + trust(root))
    rep = r.report
    check(r.rc == 0, "exit 0, got %d" % r.rc)
    check(rep["negotiated"]["version"] == "TLS1.2", rep["negotiated"])
    check(rep["negotiated"]["extended_master_secret"] is True, "EMS")
    check(in_order(r.steps(), [("sent", "ClientHello"), ("received", "ServerHello"),
                               ("received", "Certificate"), ("received", "ServerKeyExchange"),
                               ("received", "ServerHelloDone"), ("sent", "ClientKeyExchange"),
                               ("sent", "Finished"), ("received", "Finished")]), r.steps())
    check("EncryptedExtensions" not in [t for _, t in r.steps()], "no TLS 1.3 messages")


@scenario
def tls13_openssl_rsa():
    root = ca()
    port = openssl_server(*server(root, kind="rsa", bits=2048))
    r = tlsscope(["connect", "localhost:%d" % port, "--json"] + trust(root))
    rep = r.report
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, rep and rep["findings"]))
    check(rep["negotiated"]["version"] == "TLS1.3", rep["negotiated"])
    check(rep["target"]["sni"] == "localhost", "SNI is the host name")
    check(rep["peer_chain"][0]["key"]["algorithm"] == "RSA", rep["peer_chain"][0]["key"])
    check(rep["peer_chain"][0]["key"]["bits"] == 2048, rep["peer_chain"][0]["key"])
    check(rep["verification"]["hostname"]["matched_by"] == "san", rep["verification"])
    check(in_order(r.steps(), TLS13_SERVER_FLIGHT), r.steps())
    # OpenSSL sends its session tickets right after the handshake: the post-handshake read
    # ends on the first one instead of waiting for its cap.
    check(("received", "NewSessionTicket") in r.steps(), "ticket seen")
    check(rep["timing"]["total_ms"] < 900, "no fixed wait: %s" % rep["timing"])


@scenario
def tls12_openssl_ecdsa():
    root = ca()
    port = openssl_server(*server(root), extra=["-tls1_2"])
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"] + trust(root))
    check(r.rc == 0, "exit 0, got %d" % r.rc)
    check(r.report["negotiated"]["version"] == "TLS1.2", r.report["negotiated"])
    check("ECDHE_ECDSA" in r.report["negotiated"]["cipher_suite"], r.report["negotiated"])


def _mtls_ok(r, server_kind):
    rep = r.report
    check(r.rc == 0, "exit 0 with a client certificate against %s, got %d: %s"
          % (server_kind, r.rc, rep and rep["findings"]))
    ca_ = rep["client_auth"]
    check(ca_["requested"] and ca_["sent"] and ca_["accepted"] is True, ca_)
    check(ca_["certificate"]["subject"] == "CN=scenario client", ca_["certificate"])
    check("clientAuth" in ca_["certificate"]["eku"], ca_["certificate"])
    check(any("Scenario Root CA" in c for c in ca_["acceptable_cas"]), ca_["acceptable_cas"])
    check(("sent", "Certificate") in r.steps() and ("sent", "CertificateVerify") in r.steps(),
          r.steps())


@scenario
def client_cert_pem():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--cert", client(root)[0],
                  "--key", path("client.key")] + trust(root))
    _mtls_ok(r, "gnutls-serv")
    # The server asked for a certificate, so the HTTP probe went out by itself.
    check(r.report["http"] and r.report["http"]["status_line"].startswith("HTTP/1.0 200"),
          r.report["http"])


@scenario
def client_cert_der():
    root = ca()
    port = openssl_server(*server(root), ca_file=root[0], verify="require")
    crt, k = to_der(*client(root, kind="rsa"))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--cert", crt, "--key", k]
                 + trust(root))
    _mtls_ok(r, "openssl s_server")
    check(r.report["client_auth"]["certificate"]["key"]["algorithm"] == "RSA", "RSA client key")


@scenario
def client_cert_missing_tls13():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"] + trust(root))
    rep = r.report
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    # TLS 1.3: gnutls_handshake succeeds; the refusal comes as the first record after it.
    check(rep["handshake"]["status"] == "complete", rep["handshake"]["status"])
    check(rep["handshake"]["alert_received"] == {"level": "fatal", "code": 116,
                                                 "name": "certificate_required"},
          rep["handshake"]["alert_received"])
    check(rep["handshake"]["steps"][-1]["type"] == "Alert", r.steps())
    check(rep["client_auth"]["requested"] and not rep["client_auth"]["sent"], rep["client_auth"])
    check("client-cert-required" in r.ids(), r.ids())
    check(rep["verdict"] == "fail", rep["verdict"])
    check(r.seconds < 5, "no long wait: %.1fs" % r.seconds)


@scenario
def client_cert_missing_tls12():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--tls-max", "1.2"] + trust(root))
    rep = r.report
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check(rep["handshake"]["status"] == "failed", rep["handshake"]["status"])
    check(rep["handshake"]["alert_received"] is not None, "an alert came")
    check(any(s.get("failure_point") for s in rep["handshake"]["steps"]), "failure point marked")
    check("client-cert-required" in r.ids(), r.ids())


@scenario
def stalling_server():
    port = staller()
    t0 = time.monotonic()
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--timeout", "1.5"])
    took = time.monotonic() - t0
    rep = r.report
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check(rep["handshake"]["status"] == "timeout", rep["handshake"]["status"])
    check(1.4 <= took < 4.0, "deadline honoured: %.2fs" % took)
    check(r.ids() == ["handshake-timeout"], r.ids())
    check("ClientHello" in rep["findings"][0]["detail"], rep["findings"][0]["detail"])


@scenario
def closed_port():
    port = free_port()
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"])
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check(r.report["handshake"]["status"] == "not-started", r.report["handshake"])
    check(r.ids() == ["connection-refused"], r.ids())
    check(r.report["negotiated"] is None and r.report["peer_chain"] == [], "no TLS facts")


@scenario
def plain_http_server():
    port = plain_http()
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"])
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check("not-tls" in r.ids(), r.ids())
    detail = [f for f in r.report["findings"] if f["id"] == "not-tls"][0]["detail"]
    check("HTML" in detail or "HTTP" in detail, detail)


@scenario
def untrusted_and_wrong_name():
    """Every problem at once: an unknown CA, an expired leaf, and a name it does not hold."""
    other = ca("Unknown Root CA", file="other_ca")
    expired = server(other, extra=['activation_date = "2020-01-01 00:00:00 UTC"',
                                   'expiration_date = "2021-01-01 00:00:00 UTC"'])
    port = gnutls_serv(*expired)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-system-trust",
                  "--verify-name", "other.example"])
    rep = r.report
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check(rep["handshake"]["status"] == "complete", "handshake completes without --strict")
    ids = r.ids()
    for want in ("untrusted-issuer", "expired", "hostname-mismatch"):
        check(want in ids, "%s in %s" % (want, ids))
    mismatch = [f for f in rep["findings"] if f["id"] == "hostname-mismatch"][0]
    check("DNS:localhost" in mismatch["detail"], mismatch["detail"])
    check(rep["verification"]["trusted"] is False, rep["verification"])
    check(rep["verification"]["hostname"]["match"] is False, rep["verification"]["hostname"])
    check("expired" in rep["peer_chain"][0]["status"], rep["peer_chain"][0]["status"])


@scenario
def strict_aborts_in_handshake():
    other = ca("Unknown Root CA", file="other_ca")
    port = gnutls_serv(*server(other))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-system-trust", "--strict"])
    rep = r.report
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    check(rep["handshake"]["status"] == "failed", rep["handshake"]["status"])
    check(rep["handshake"]["alert_sent"] is not None, "we told the server why")
    check(("sent", "Finished") not in r.steps(), "no client Finished after a failed check")
    check(rep["peer_chain"], "the chain is still reported")
    check("untrusted-issuer" in r.ids(), r.ids())


@scenario
def text_report_escapes():
    """A certificate field with terminal escape sequences reaches neither output raw."""
    root = ca()
    d = path("evil")
    os.makedirs(d)
    k = key("evil")
    evil_cn = "evil\x1b[31mRED\x1b]0;title\x07"
    csr = os.path.join(d, "evil.csr")
    sh("openssl", "req", "-new", "-key", k, "-subj", "/CN=" + evil_cn, "-out", csr)
    crt = os.path.join(d, "evil.crt")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    sh("openssl", "x509", "-req", "-in", csr, "-CA", root[0], "-CAkey", root[1],
       "-CAcreateserial", "-days", "30", "-out", crt, "-extfile", ext)
    port = gnutls_serv(crt, k)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--batch"] + trust(root))
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, r.out[-400:]))
    check("\x1b" not in r.out and "\x07" not in r.out, "no raw escape in the text report")
    check("\\x1b[31mRED" in r.out, "the escape is shown escaped")
    for section in ("Target", "Timeline", "Negotiated", "Server chain", "Verification",
                    "Findings", "Verdict: OK"):
        check(section in r.out, "section " + section)
    j = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"] + trust(root))
    check(re.search(r"\\u001b\[31mRED", j.out, re.I), "JSON carries it as \\u001b")
    # RFC 4514 escapes the semicolon; everything else arrives as it was.
    check(j.report["peer_chain"][0]["subject"] == "CN=" + evil_cn.replace(";", "\\;"), "the value is intact: %r" % j.report["peer_chain"][0]["subject"])
    # Color only on a terminal, never when NO_COLOR is set or output is a pipe.
    c = tlsscope(["connect", "127.0.0.1:%d" % port, "--batch"] + trust(root),
                 env={"NO_COLOR": ""})
    check("\x1b[" not in c.out, "no color into a pipe")


@scenario
def usage_errors():
    root = ca()
    srv = server(root)
    pem = path("notakey.pem")
    with open(pem, "w") as f:
        f.write(open(srv[0]).read())
    cases = [
        (["connect"], "needs a target"),
        (["connect", "127.0.0.1:99999"], "65535"),
        (["connect", "127.0.0.1:443", "--no-such-option"], "unknown option"),
        (["connect", "127.0.0.1:443", "--ca", path("missing.pem")], "missing.pem"),
        (["connect", "127.0.0.1:443", "--ca", srv[1]], "private key"),
        (["connect", "127.0.0.1:443", "--cert", srv[0]], "--key"),
        (["connect", "127.0.0.1:443", "--cert", srv[0], "--key", pem], "not a private key"),
        (["connect", "127.0.0.1:443", "--cert", srv[0], "--key", root[1]], "does not belong"),
        (["connect", "127.0.0.1:443", "--timeout", "0"], "--timeout"),
        (["connect", "127.0.0.1:443", "--tls-max", "1.1"], "--tls-max"),
        (["connect", "127.0.0.1:443", "--priority", "NORMAL:+BOGUS"], "priority"),
        (["connect", "127.0.0.1:443", "--ca", WORK], "directory"),
        (["connect", "[::1:443"], "]"),
    ]
    for args, needle in cases:
        r = tlsscope(args + ["--json"])
        lines = r.err.strip().splitlines()
        check(r.rc == 2, "%s: exit 2, got %d" % (args, r.rc))
        check(len(lines) == 1 and lines[0].startswith("tlsscope: "), "%s: one line: %r"
              % (args, r.err))
        check(needle in lines[0], "%s: %r mentions %r" % (args, lines[0], needle))
        check(r.out == "", "%s: nothing on stdout" % args)
    big = path("big.pem")
    with open(big, "wb") as f:
        f.truncate(11 * 1024 * 1024)
    r = tlsscope(["connect", "127.0.0.1:443", "--ca", big])
    check(r.rc == 2 and "larger than" in r.err, "a file over 10 MiB is refused: %r" % r.err)
    h = tlsscope(["--help"])
    check(h.rc == 0 and "--verify-name" in h.out, "--help")
    v = tlsscope(["--version"])
    check(v.rc == 0 and v.out.startswith("tlsscope 0.1.0"), v.out)


@scenario
def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        print("no IPv6 loopback here", file=sys.stderr)
        sys.exit(77)
    root = ca()
    port = openssl_server(*server(root), host="::1")
    r = tlsscope(["connect", "[::1]:%d" % port, "--json"] + trust(root))
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, r.report and r.report["findings"]))
    check(r.report["target"]["address"] == "::1", r.report["target"])
    check(r.report["verification"]["hostname"]["matched_by"] == "ip", "IPv6 SAN matched")


@scenario
def nginx_client_cert():
    """nginx with ssl_verify_client on completes the handshake without a certificate and
    refuses at the HTTP layer (400): the probe goes out by itself and catches it."""
    root = ca()
    port = nginx(*server(root), ca_file=root[0])
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"] + trust(root))
    rep = r.report
    check(rep["client_auth"]["requested"] is True, rep["client_auth"])
    check(rep["http"] and " 400 " in rep["http"]["status_line"] + " ", rep["http"])
    check("client-cert-required" in r.ids(), r.ids())
    check(r.rc == 1, "exit 1, got %d" % r.rc)
    ok = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--cert", client(root)[0],
                   "--key", path("client.key")] + trust(root))
    check(ok.rc == 0, "with a certificate: exit 0, got %d: %s" % (ok.rc, ok.ids()))
    check(" 200 " in ok.report["http"]["status_line"] + " ", ok.report["http"])


@scenario
def flask_one_way():
    """The seed's Flask app with ssl_context=(crt, key); werkzeug closes without close_notify
    after answering, which is normal and must not count as an error."""
    root = ca()
    port = flask_app(*server(root))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--http"] + trust(root))
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, r.ids()))
    check(r.report["http"]["status_line"].endswith("200 OK"), r.report["http"])


def counting_peer():
    """A TCP peer that appends a line to a file for each connection it accepts, then closes
    it. Returns (port, file)."""
    log = path("accepted.log")
    open(log, "w").close()
    port = raw_peer("counter", """
        while True:
            c = s.accept()[0]
            with open(sys.argv[2], 'a') as f:
                f.write('x\\n')
            c.close()
        """.replace("sys.argv[2]", repr(log)))
    return port, log


def accepted(log):
    with open(log) as f:
        return len(f.read().splitlines())


@scenario
def options_of_other_commands_stop_before_any_connection():
    """connect with listen's and pki's options, and demo with connect's, are usage errors:
    one line, exit 2, nothing on stdout, and neither a connection to the target nor a demo
    started (they used to run silently)."""
    root = ca()
    port, log = counting_peer()
    # The control: a real connect reaches the peer, so the count can move.
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-probe", "--timeout", "3"]
                 + trust(root))
    check(r.rc == 1, "control connect to a closing peer: exit 1, got %d" % r.rc)
    deadline = time.monotonic() + 5
    while accepted(log) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    before = accepted(log)
    check(before >= 1, "the control connection was seen by the peer")
    target = "127.0.0.1:%d" % port
    for args, needle in (
            (["connect", target, "--legacy", "--count", "3", "--allow-serial", "zz"],
             "--legacy is for pki, not connect"),
            ([target, "--count", "3", "--json"], "--count is for listen, not connect"),
            (["connect", target, "--allow-serial", "zz", "--batch"],
             "--allow-serial is for listen, not connect")):
        r = tlsscope(args)
        lines = r.err.strip().splitlines()
        check(r.rc == 2 and len(lines) == 1 and needle in lines[0] and not r.out,
              "%s: exit 2, one line naming the option, no output: %d %r %r"
              % (args, r.rc, r.err, r.out[:200]))
    tmp = path("demo-tmp")
    os.mkdir(tmp)
    r = tlsscope(["demo", "--ca", root[0], "--json"], env={"TMPDIR": tmp})
    lines = r.err.strip().splitlines()
    check(r.rc == 2 and len(lines) == 1 and "--ca is for connect and inspect, not demo" in
          lines[0] and not r.out, "demo --ca: exit 2, one line: %d %r %r" % (r.rc, r.err, r.out))
    check(os.listdir(tmp) == [], "demo --ca made no PKI: %r" % os.listdir(tmp))
    # The same demo without the stray option runs and reports both sides.
    ok = tlsscope(["demo", "--json"], env={"TMPDIR": tmp})
    check(ok.rc == 0 and isinstance(ok.report, list) and len(ok.report) == 2,
          "demo --json: exit 0 and two reports: %d" % ok.rc)
    check(accepted(log) == before, "no refused command reached the peer: %d connections, %d "
          "before" % (accepted(log), before))


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
