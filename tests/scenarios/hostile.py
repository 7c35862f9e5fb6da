"""Bad input and hostile peers: nothing crashes, hangs, leaks a secret or garbles the terminal.

Usage: hostile.py SCENARIO | --list"""
import base64
import concurrent.futures
import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()


def write(name, data, mode="w"):
    p = path(name)
    with open(p, mode) as f:
        f.write(data)
    return p


def inputs():
    root = ca()
    srv = server(root)
    cl = client(root)
    pem = open(srv[0]).read()
    files = {
        "missing": path("no-such-file.pem"),
        "dir": WORK,
        "empty": write("empty.pem", ""),
        "garbage": write("garbage.bin", os.urandom(3000), "wb"),
        "truncated": write("truncated.pem", pem[:len(pem) // 2]),
        "big": path("big.pem"),
    }
    with open(files["big"], "wb") as f:
        f.truncate(11 * 1024 * 1024)
    sh("openssl", "pkcs8", "-topk8", "-in", cl[1], "-passout", "pass:right", "-out",
       path("enc.key"))
    sh("openssl", "pkcs12", "-export", "-in", cl[0], "-inkey", cl[1], "-passout", "pass:right",
       "-out", path("id.p12"))
    sh("openssl", "pkcs12", "-export", "-nokeys", "-in", cl[0], "-passout", "pass:right", "-out",
       path("nokey.p12"))
    return root, srv, cl, files


@scenario
def bad_input_matrix():
    root, srv, cl, f = inputs()
    wrong = write("wrong.txt", "wrong\n")
    right = write("right.txt", "right\n")
    c = ["connect", "127.0.0.1:9"]
    rows = [
        (c + ["--ca", f["missing"]], "no-such-file.pem"),
        (c + ["--ca", f["dir"]], "directory"),
        (c + ["--ca", f["empty"]], "empty.pem"),
        (c + ["--ca", f["garbage"]], "garbage.bin"),
        (c + ["--ca", f["truncated"]], "truncated.pem"),
        (c + ["--ca", f["big"]], "larger than"),
        (c + ["--key", cl[1]], "--key needs --cert"),
        (c + ["--cert", cl[0], "--key", srv[1]], "does not belong"),
        (c + ["--cert", cl[0], "--key", path("enc.key")], "encrypted"),
        (c + ["--cert", cl[0], "--key", path("enc.key"), "--password-file", wrong],
         "wrong password"),
        (c + ["--p12", path("id.p12"), "--password-file", wrong], "wrong password"),
        (c + ["--p12", path("nokey.p12"), "--password-file", right], "no private key"),
        (c + ["--cert", cl[1], "--key", cl[1]], "not a certificate"),
        (c + ["--cert", cl[0], "--key", cl[0]], "not a private key"),
        (c + ["--p12", path("id.p12"), "--cert", cl[0]], "--p12"),
        (c + ["--p12", path("id.p12"), "--password-env", "TLSSCOPE_UNSET_VAR"], "not set"),
        (c + ["--crl", srv[0]], "not a CRL"),
        (c + ["--intermediates", f["missing"]], "no-such-file.pem"),
        (["connect", "127.0.0.1:0"], "65535"),
        (["connect", "127.0.0.1:65536"], "65535"),
        (["connect", "127.0.0.1:https"], "65535"),
        (["connect", "exa mple.com:443"], "not a valid host"),
        (["connect", "[::1:443"], "]"),
        (c + ["--frobnicate"], "unknown option"),
        (c + ["--json", "--batch"], "exclude"),
        (c + ["--tls-max", "1.1"], "--tls-max"),
        (c + ["--timeout", "abc"], "--timeout"),
        (["inspect", f["missing"]], "no-such-file.pem"),
        (["listen", "4433"], "--cert"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--client-cert", "require"],
         "--client-ca"),
        (["pki", f["empty"]], "empty.pem"),
        (["demo", "--scenario", "nope"], "no demo scenario"),
    ]
    check(len(rows) >= 25, "at least 25 rows")
    for args, needle in rows:
        t0 = time.monotonic()
        r = tlsscope(args)
        lines = r.err.strip().splitlines()
        check(r.rc == 2, "%s: exit 2, got %d (%r)" % (args, r.rc, r.err))
        check(len(lines) == 1 and lines[0].startswith("tlsscope: ") and needle in lines[0],
              "%s: one line about %r, got %r" % (args, needle, r.err))
        check(r.out == "", "%s: nothing on stdout" % args)
        check(time.monotonic() - t0 < 5, "%s: at once" % args)
    print("%d rows" % len(rows))


@scenario
def must_succeed_inputs():
    root, srv, cl, _ = inputs()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    der_ca = path("ca.der")
    sh("certtool", "--certificate-info", "--infile", root[0], "--outder", "--outfile", der_ca)
    der_crt, der_key = to_der(*cl)
    crlf_ca = write("crlf.pem", open(root[0]).read().replace("\n", "\r\n"))
    chatty_ca = write("chatty.pem", "Issuer: our CA\nSubject: itself\n" + open(root[0]).read()
                      + "\nsome trailing notes\n")
    key_first = write("keyfirst.pem", open(cl[1]).read() + open(cl[0]).read())
    pem_key_named_der = write("client.der", open(cl[1]).read())  # PEM behind a .der name
    cases = [
        ["--ca", der_ca, "--cert", cl[0], "--key", cl[1]],
        ["--ca", root[0], "--cert", der_crt, "--key", der_key],
        ["--ca", crlf_ca, "--cert", cl[0], "--key", cl[1]],
        ["--ca", chatty_ca, "--cert", cl[0], "--key", cl[1]],
        ["--ca", root[0], "--cert", key_first, "--key", key_first],
        ["--ca", root[0], "--cert", cl[0], "--key", pem_key_named_der],
    ]
    for extra in cases:
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-system-trust"] + extra)
        check(r.rc == 0 and r.report["client_auth"]["sent"], "%s: %d %s" % (extra, r.rc, r.err))


def serve_once(handler):
    """A raw TCP peer on loopback running handler(conn) for each connection."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def loop():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


@scenario
def server_sends_random_bytes():
    def handler(conn):
        conn.recv(4096)
        conn.sendall(os.urandom(8192))
        conn.close()
    port = serve_once(handler)
    for _ in range(5):
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--timeout", "3"])
        check(r.rc == 1 and r.report["verdict"] == "fail", "exit 1: %d %s" % (r.rc, r.ids()))
        check(r.seconds < 6, "no hang: %.1fs" % r.seconds)


def answer_hello_with(data, split=False):
    """A server that reads the ClientHello and answers with data (byte by byte when split, so
    that a record arrives over many reads), then waits for the client to go."""
    def handler(conn):
        conn.recv(4096)
        for i in range(len(data)) if split else [None]:
            conn.sendall(data[i:i + 1] if split else data)
        conn.settimeout(5)
        try:
            conn.recv(4096)
        except OSError:
            pass
        conn.close()
    return serve_once(handler)


@scenario
def server_alert_of_an_invalid_level():
    # Level 3 does not exist (RFC 5246 §7.2): GnuTLS treats it as a warning, then the server
    # closes. Neither "warning" nor "without an alert" is what happened.
    for split in (False, True):
        port = answer_hello_with(bytes.fromhex("15030300020328"), split)
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-probe"])
        a = r.report["handshake"]["alert_received"]
        check(a and a["level"] == "invalid" and a["code"] == 40, "the alert as sent: %s" % a)
        check(r.rc == 1 and r.ids() == ["alert-received"], "one finding: %s" % r.ids())
        detail = r.report["findings"][0]["detail"]
        check("level 3" in detail and "handshake_failure" in detail, detail)


@scenario
def server_answers_with_the_wrong_message():
    # A well-formed record holding a handshake message that cannot come now (a
    # ServerHelloDone in place of ServerHello): a protocol error, named as such.
    port = answer_hello_with(bytes.fromhex("16030300040e000000"))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--no-probe"])
    check(r.rc == 1 and r.ids() == ["protocol-error"], "protocol-error: %s" % r.ids())
    check(r.report["handshake"]["alert_sent"]["name"] == "unexpected_message",
          r.report["handshake"]["alert_sent"])


@scenario
def listener_names_a_client_that_breaks_the_protocol():
    root = ca()
    srv = server(root)
    p, port = tlsscope_listener(srv, "--json", "--count", "2", stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    # A record that is not a ClientHello, then an alert of level 3.
    for data in (bytes.fromhex("16030100040e000000"), bytes.fromhex("15030100020328")):
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(data)
            c.settimeout(10)
            try:
                while c.recv(4096):
                    pass
            except OSError:
                pass
    out, err = p.communicate(timeout=30)
    check_status(p.returncode, "tlsscope listen --count 2", allowed=(1,), err=err)
    reps = [json.loads(l) for l in out.splitlines() if l.strip()]
    for rep in reps:
        validate(rep)
    got = [[f["id"] for f in rep["findings"]] for rep in reps]
    check(got == [["protocol-error"], ["alert-received"]], "findings: %s" % got)


def proxy(upstream, server_to_client):
    """A loopback proxy to upstream; server_to_client(data, send) decides what reaches the
    client of the server's bytes."""
    def handler(conn):
        up = socket.create_connection(("127.0.0.1", upstream))

        def c2s():
            try:
                while True:
                    d = conn.recv(65536)
                    if not d:
                        break
                    up.sendall(d)
            except OSError:
                pass
        threading.Thread(target=c2s, daemon=True).start()
        try:
            while True:
                d = up.recv(65536)
                if not d:
                    break
                server_to_client(d, conn.sendall)
        except OSError:
            pass
    return serve_once(handler)


@scenario
def server_stalls_after_server_hello():
    root = ca()
    upstream = gnutls_serv(*server(root), priority="NORMAL:-VERS-TLS1.3")
    state = {"sent": False}

    def first_record_only(data, send):
        if not state["sent"] and len(data) >= 5:
            n = 5 + int.from_bytes(data[3:5], "big")
            send(data[:n])  # the ServerHello record, then silence
            state["sent"] = True
    port = proxy(upstream, first_record_only)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--timeout", "2", "--ca", root[0],
                  "--no-system-trust"])
    steps = r.steps()
    check(r.report["handshake"]["status"] == "timeout", r.report["handshake"]["status"])
    check(("received", "ServerHello") in steps, steps)
    check("handshake-timeout" in r.ids() and r.seconds < 5, "%s %.1fs" % (r.ids(), r.seconds))
    check("ServerHello" in [f for f in r.report["findings"]
                            if f["id"] == "handshake-timeout"][0]["detail"], "says after which")


@scenario
def server_drip_feeds():
    root = ca()
    upstream = gnutls_serv(*server(root))

    def drip(data, send):
        for b in data:
            send(bytes([b]))
            time.sleep(0.3)  # the hostile peer's pace, not a wait for readiness
    port = proxy(upstream, drip)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--timeout", "2", "--ca", root[0],
                  "--no-system-trust"])
    check(r.report["handshake"]["status"] == "timeout" and r.rc == 1, r.ids())
    check(r.seconds < 5, "the deadline holds against a slow drip: %.1fs" % r.seconds)


@scenario
def server_sends_100_certificate_chain():
    root = ca()
    issuer, chain = root, []
    for i in range(99):
        issuer = cert("i%d" % i, ['cn = "Intermediate %d"' % i, "ca", "cert_signing_key",
                                  "expiration_days = 30"], signer=issuer)
        chain.append(issuer[0])
    leaf = server(issuer)
    port = openssl_server(*leaf, extra=["-cert_chain", bundle("long", *reversed(chain))])
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust", "--timeout", "10"])
    check(r.rc in (0, 1) and r.report is not None, "a report, no crash: %d" % r.rc)
    text = tlsscope(["connect", "127.0.0.1:%d" % port, "--batch", "--ca", root[0],
                     "--no-system-trust"])
    check(text.rc in (0, 1) and "Verdict" in text.out, "text report too")


@scenario
def server_with_64k_certificate():
    root = ca()
    k = key("big")
    csr = path("big.csr")
    sh("openssl", "req", "-new", "-key", k, "-subj", "/CN=localhost", "-out", csr)
    names = ",".join("DNS:h%04d.%s.example" % (i, "x" * 40) for i in range(1100))
    ext = write("big.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1,%s\n"
                "extendedKeyUsage=serverAuth\n" % names)
    big = (path("big.crt"), k)
    sh("openssl", "x509", "-req", "-in", csr, "-CA", root[0], "-CAkey", root[1],
       "-CAcreateserial", "-days", "5", "-out", big[0], "-extfile", ext)
    check(os.path.getsize(big[0]) > 64 * 1024, "the certificate is over 64 KB")
    port = gnutls_serv(*big)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust"])
    check(r.rc == 0 and len(r.report["peer_chain"][0]["san"]) == 1102,
          "all names read: %d %s" % (r.rc, r.ids()))


ESCAPES = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\x07\u009b31m\u202eevil"


@scenario
def escape_sequences_in_certificate_fields():
    root = ca()
    k = key("esc")
    csr = path("esc.csr")
    sh("openssl", "req", "-new", "-utf8", "-key", k, "-subj", "/CN=x" + ESCAPES + "/O=" + ESCAPES,
       "-out", csr)
    ext = write("esc.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1,URI:http://a/%s\n"
                % "b\\x1b")
    crt = path("esc.crt")
    sh("openssl", "x509", "-req", "-in", csr, "-CA", root[0], "-CAkey", root[1],
       "-CAcreateserial", "-days", "5", "-out", crt, "-extfile", ext)
    port = gnutls_serv(crt, k)
    base = ["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust"]
    t = tlsscope(base + ["--batch"])
    raw = t.out
    for bad in ("\x1b", "\x07", "\u009b", "\u202e"):
        check(bad not in raw, "no raw %r in the text report" % bad)
    check("\\x1b[2J" in raw and "\\u202e" in raw, "shown escaped")
    j = tlsscope(base + ["--json"])
    check(all(ord(ch) < 128 for ch in j.out), "JSON is ASCII")
    # Intact, apart from RFC 4514's escaping of ';' in a DN string.
    check(ESCAPES in j.report["peer_chain"][0]["subject"].replace("\\;", ";"),
          "and the value survives intact")
    lst_root = ca("Listen Root", file="lroot")
    lsrv = server(lst_root)
    p, lport = tlsscope_listener(lsrv, "--client-ca", root[0], "--batch", "--count", "1",
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % lport, "-cert", crt,
                    "-key", k], stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    out, _ = p.communicate(timeout=20)
    check(b"\x1b" not in out and b"\x07" not in out and b"\xc2\x9b" not in out,
          "listen's text lines escape them too")


@scenario
def listen_survives_garbage_stalls_and_crowds():
    root = ca()
    srv = server(root)
    p, port = tlsscope_listener(srv, "--json", "--handshake-timeout", "3", "--history", "50",
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                # Under ASan, freed memory waits in a quarantine that would
                                # look like growth: keep it small so RSS says what it holds.
                                env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")
                                     + ":quarantine_size_mb=4"})
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(os.urandom(2000))
        s.close()
    # Stallers of two kinds: ten that send part of a record header and stop, ten that connect
    # and never send a byte at all.
    stallers = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    for s in stallers[:10]:
        s.sendall(b"\x16\x03\x01")
    ctx = ssl.create_default_context(cafile=root[0])
    crowd = 200
    gate = threading.Barrier(crowd)

    def handshake(_):
        gate.wait(timeout=30)  # all of the crowd connects at the same moment
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                return t.version()

    def rss():
        with open("/proc/%d/status" % p.pid) as f:
            return int([l for l in f if l.startswith("VmRSS")][0].split()[1])
    t0 = time.monotonic()
    versions, sizes = [], []
    with concurrent.futures.ThreadPoolExecutor(crowd) as ex:
        for _ in range(2):
            versions += list(ex.map(handshake, range(crowd)))
            sizes.append(rss())
    check(len(versions) == 2 * crowd and all(v == "TLSv1.3" for v in versions),
          "two crowds of %d at once served" % crowd)
    check(time.monotonic() - t0 < 60, "within a minute")
    # History holds 50 reports: the second crowd must not grow the listener much.
    check(sizes[1] <= sizes[0] * 1.5 + 8192, "bounded memory: %s kB" % sizes)
    check(p.poll() is None, "still running")
    # Both kinds of staller are dropped at the 3 s handshake deadline, not held for ever.
    end_by = time.monotonic() + 15
    for s in stallers:
        s.settimeout(max(0.1, end_by - time.monotonic()))
        try:
            check(s.recv(100) == b"", "a staller gets end of file")
        except socket.timeout:
            raise Failure("a staller was still held 15 s later")
        except ConnectionResetError:
            pass
        s.close()
    rc = end(p)
    check_status(rc, "tlsscope listen", allowed=TLSSCOPE_END, err=p.stderr.read().decode())


@scenario
def secrets_never_printed():
    d = path("pki")
    pw = write("pw.txt", "Tr0ub4dor&3\n")
    outs = []
    r = tlsscope(["pki", d, "--password-file", pw])
    outs.append(r.out + r.err)
    keys = [d + "/ca/ca.key", d + "/server/server.key", d + "/client/client.key"]
    port = gnutls_serv(d + "/server/server.crt", d + "/server/server.key",
                       ca_file=d + "/ca/ca.crt", client_cert="require")
    for fmt in ("--json", "--batch"):
        for ident in (["--cert", d + "/client/client.crt", "--key", d + "/client/client.key"],
                      ["--p12", d + "/client/client.p12", "--password-file", pw]):
            r = tlsscope(["connect", "127.0.0.1:%d" % port, fmt, "--ca", d + "/ca/ca.crt"]
                         + ident)
            outs.append(r.out + r.err)
        r = tlsscope(["inspect", fmt, "--password-file", pw] + keys + [d + "/client/client.p12"])
        outs.append(r.out + r.err)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--p12", d + "/client/client.p12",
                  "--password-file", write("bad.txt", "Tr0ub4dor&4\n")])
    outs.append(r.out + r.err)
    r = tlsscope(["demo", "--json"])
    outs.append(r.out + r.err)
    everything = "\n".join(outs)
    check("Tr0ub4dor" not in everything, "no password in any output")
    for k in keys:
        body = [l for l in open(k).read().splitlines() if l and not l.startswith("-----")]
        for line in body:
            check(line not in everything, "no line of %s in any output" % k)
        der = base64.b64decode("".join(body))
        check(der.hex()[16:80] not in everything, "no hex of %s" % k)



if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
