"""Real servers that refuse a client after the handshake, or in ways that race with our last
flight: the seed's two-way Flask server with its serial check, Apache, HAProxy, nginx, Node,
a plain Python ssl server, openssl s_server and gnutls-serv. Each refusal must be an error
with its evidence, each correct setup must stay OK. One scenario per meson test."""
import os
import shutil
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import (GNUTLS_SERV_END, PY, Failure, apache, ca, cert, check, client, free_port,  # noqa: E402
                   gnutls_serv, gnutls_serv_sni, haproxy, main, nginx, nginx_strict_sni,
                   openssl_server, path, registry, server, start, tlsscope)

SCENARIOS, scenario = registry()


def connect(port, root, ident=None, *extra):
    args = ["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0], "--no-system-trust"]
    if ident:
        args += ["--cert", ident[0], "--key", ident[1]]
    return tlsscope(args + list(extra))


def finding(r, fid):
    return next((f for f in r.report["findings"] if f["id"] == fid), None)


def expired_client(root):
    return cert("expired_client", ['cn = "expired client"', "signing_key", "tls_www_client",
                                   'activation_date = "2020-01-01 00:00:00"',
                                   'expiration_date = "2021-01-01 00:00:00"'], root)


def rejected(r, what, closed=False):
    check(r.rc == 1, "%s: exit 1, got %d: %s" % (what, r.rc, r.ids()))
    f = finding(r, "client-cert-rejected")
    check(f is not None, "%s: client-cert-rejected: %s" % (what, r.ids()))
    check(r.report["client_auth"]["accepted"] is False, "%s: accepted false" % what)
    if closed:
        check("without an answer" in f["detail"], "%s: detail: %s" % (what, f["detail"]))
        check("application, not TLS" in f["detail"], "%s: app: %s" % (what, f["detail"]))
        check(r.report["handshake"].get("closed_after_ms", -1) >= 0, "%s: closed_after_ms" % what)
    return f


def ok(r, what):
    check(r.rc == 0, "%s: exit 0, got %d: %s\n%s" % (what, r.rc, r.ids(),
                                                     [f["detail"] for f in r.report["findings"]]))


# ---- the seed's two-way Flask server: werkzeug's verify_request checks the serial ----

def flask_serial_server(crt, k, ca_file, allowed_serial):
    """The second seed article: ssl CERT_REQUIRED with ca_certs, and
    werkzeug.serving.BaseWSGIServer.verify_request overridden to check the client
    certificate's serial number; a refused one is closed without an HTTP answer."""
    port = free_port()
    src = path("flask_serial_%d.py" % port)
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import ssl, sys
            import werkzeug.serving
            from flask import Flask
            port, crt, key, ca, allowed = sys.argv[1:6]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, key)
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
            def verify_request(self, request, client_address):
                cert = request.getpeercert()
                return cert is not None and cert.get('serialNumber', '').lower() == allowed
            werkzeug.serving.BaseWSGIServer.verify_request = verify_request
            app = Flask(__name__)
            @app.route('/')
            def hello():
                return 'Hello World!'
            app.run(host='127.0.0.1', port=int(port), ssl_context=ctx)
            """))
    start([PY, src, str(port), crt, k, ca_file, allowed_serial], port)
    return port


def serial_hex(crt):
    from peers import sh
    out = sh("openssl", "x509", "-in", crt, "-noout", "-serial").stdout
    return out.strip().split("=")[1].lower()


@scenario
def flask_serial_check():
    root = ca()
    srv = server(root)
    cli = client(root)
    other = client(root, cn="other client", name="other")
    port = flask_serial_server(srv[0], srv[1], root[0], serial_hex(cli[0]))
    # The close races our HTTP request: every one of 20 runs must see the refusal.
    for i in range(20):
        r = connect(port, root, other)
        f = rejected(r, "wrong serial run %d" % i, closed=True)
    check("closing the connection" in f["detail"], f["detail"])
    r = connect(port, root, cli)
    ok(r, "allowed serial")
    check(r.report["http"]["status_line"].startswith("HTTP/1.1 200"), "200: %s" % r.report["http"])
    check(r.report["client_auth"]["accepted"] is True, "accepted")
    # --no-http: the close is still seen, as the first thing after the handshake.
    r = connect(port, root, other, "--no-http")
    rejected(r, "wrong serial, --no-http", closed=True)
    check(r.report["http"] is None, "no request sent")


# ---- Apache and HAProxy refuse after a TLS 1.3 handshake: the alert races our Finished ----

def refused_20_times(port, root, ident, what, codes):
    """The race is between the server's alert and our Finished: every run must see the
    alert, whichever wins."""
    for i in range(20):
        r = connect(port, root, ident, "--force-client-cert")
        a = r.report["handshake"]["alert_received"]
        check(r.rc == 1, "%s run %d: exit %d %s" % (what, i, r.rc, r.ids()))
        check(a is not None and a["code"] in codes,
              "%s run %d: the server's alert, got %s (%s)" % (what, i, a, r.ids()))
        check("client-cert-rejected" in r.ids() or "client-cert-required" in r.ids(),
              "%s run %d: %s" % (what, i, r.ids()))
        check("connection-closed" not in r.ids(), "%s run %d: %s" % (what, i, r.ids()))


@scenario
def apache_refuses_after_tls13():
    root = ca()
    other_root = ca("Other Root CA", "other_ca")
    srv = server(root)
    port = apache(srv[0], srv[1], root[0])
    stranger = client(other_root, cn="stranger", name="stranger")
    refused_20_times(port, root, stranger, "apache, foreign CA", (48, 42, 116))
    refused_20_times(port, root, expired_client(root), "apache, expired", (45, 42))
    r = connect(port, root, client(root), "--http=/index.html")
    ok(r, "apache, good client")
    check(r.report["http"]["status_line"].startswith("HTTP/1.1 200"), "200")


@scenario
def haproxy_refuses_after_tls13():
    root = ca()
    other_root = ca("Other Root CA", "other_ca")
    srv = server(root)
    port = haproxy(srv[0], srv[1], root[0])
    stranger = client(other_root, cn="stranger", name="stranger")
    refused_20_times(port, root, stranger, "haproxy, foreign CA", (48, 42, 116))
    refused_20_times(port, root, expired_client(root), "haproxy, expired", (45, 42))
    r = connect(port, root, client(root))
    ok(r, "haproxy, good client")


@scenario
def nginx_expired_client_400():
    root = ca()
    srv = server(root)
    port = nginx(srv[0], srv[1], root[0])
    r = connect(port, root, expired_client(root))
    f = rejected(r, "nginx expired")
    check("400" in f["detail"] and "expired" in f["detail"], f["detail"])
    check(r.report["http"].get("body_head"), "body_head: %s" % r.report["http"])
    check("certificate" in r.report["http"]["body_head"].lower(), r.report["http"]["body_head"])
    # The text report shows the body as lines, not one line of \x0d\x0a escapes.
    ident = expired_client(root)
    t = tlsscope(["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust",
                  "--cert", ident[0], "--key", ident[1]])
    check(any("<title>400 The SSL certificate error</title>" in l for l in t.out.splitlines()),
          "the body's title is a line of its own:\n" + t.out[-1500:])
    check("\\x0d" not in t.out and "\\x0a" not in t.out, "no line-end escapes in the text")
    ok(connect(port, root, client(root)), "nginx good client")


# ---- Node: requestCert with the check in the application; it destroys the socket ----

@scenario
def node_closes_without_alert():
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise Failure("node is not installed")
    root = ca()
    srv = server(root)
    cli = client(root)
    other_root = ca("Other Root CA", "other_ca")
    stranger = client(other_root, cn="stranger", name="stranger")
    port = free_port()
    src = path("node_server.js")
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            const fs = require('fs'), https = require('https');
            const [port, crt, key, ca] = process.argv.slice(2);
            const srv = https.createServer({cert: fs.readFileSync(crt), key: fs.readFileSync(key),
                ca: fs.readFileSync(ca), requestCert: true, rejectUnauthorized: false},
              (req, res) => { res.end('hello\\n'); });
            srv.on('secureConnection', (s) => { if (!s.authorized) s.destroy(); });
            srv.listen(+port, '127.0.0.1');
            """))
    start([node, src, str(port), srv[0], srv[1], root[0]], port)
    for i in range(20):  # the close races our request: every run must see it
        rejected(connect(port, root, stranger, "--force-client-cert"), "node stranger run %d" % i, closed=True)
        r = connect(port, root)
        check(r.rc == 1 and "client-cert-required" in r.ids(), "node none: %s" % r.ids())
    ok(connect(port, root, cli), "node good client")


# ---- 401/403 at the application, plain Python ssl ----

def python_status_server(crt, k, ca_file, code, body):
    port = free_port()
    src = path("pystatus_%d.py" % port)
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import http.server, ssl, sys
            port, crt, key, ca, code, body = sys.argv[1:7]
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    has = self.connection.getpeercert() is not None
                    self.send_response(200 if has and code == '0' else int(code) or 200)
                    self.send_header('Content-Type', 'text/plain')
                    self.end_headers()
                    self.wfile.write(body.encode() + b'\\n')
                    self.close_connection = True
                def log_message(self, *a):
                    pass
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, key)
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
            s = http.server.HTTPServer(('127.0.0.1', int(port)), H)
            s.socket = ctx.wrap_socket(s.socket, server_side=True)
            s.serve_forever()
            """))
    start([PY, src, str(port), crt, k, ca_file, str(code), body], port)
    return port


@scenario
def http_401_403_rules():
    root = ca()
    srv = server(root)
    cli = client(root)
    # 403 naming the certificate, with one sent: a refusal.
    p = python_status_server(srv[0], srv[1], root[0], 403, "client certificate not allowed")
    f = rejected(connect(p, root, cli), "403 naming the certificate")
    check("403" in f["detail"], f["detail"])
    # 401 with none sent: the certificate is what is missing.
    p = python_status_server(srv[0], srv[1], root[0], 401, "login required")
    r = connect(p, root)
    check(r.rc == 1 and "client-cert-required" in r.ids(), "401, none sent: %s" % r.ids())
    # 403 that does not speak of certificates, with one sent: just the application's answer.
    p = python_status_server(srv[0], srv[1], root[0], 403, "forbidden path")
    r = connect(p, root, cli)
    ok(r, "403 not about the certificate")
    check(r.report["http"]["status_code" if "status_code" in r.report["http"] else "status_line"]
          and "403" in r.report["http"]["status_line"], "the 403 shown")
    # A plain server that answers and closes without close_notify stays OK.
    p = python_status_server(srv[0], srv[1], root[0], 0, "hello")
    ok(connect(p, root, cli), "python ssl, good client")


@scenario
def openssl_and_gnutls_correct_setups():
    root = ca()
    srv = server(root)
    cli = client(root)
    p = openssl_server(srv[0], srv[1], root[0], verify="require")
    ok(connect(p, root, cli), "s_server require, good client")
    g = gnutls_serv(srv[0], srv[1], root[0], client_cert="require")
    ok(connect(g, root, cli), "gnutls-serv require, good client")
    r = connect(g, root)
    check(r.rc == 1 and "client-cert-required" in r.ids(), "gnutls-serv none: %s" % r.ids())


# ---- probes that cover what GnuTLS can offer, and fixes that never repeat the offer ----

@scenario
def probes_cbc_sha384_and_tls11_only():
    root = ca()
    srv = server(root, kind="rsa", bits=2048)
    # A TLS 1.2 server with CBC-SHA384 only: NORMAL does not offer it, the probe must.
    p = openssl_server(srv[0], srv[1], extra=["-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA384"])
    r = connect(p, root)
    check(r.rc == 1 and "no-shared-cipher" in r.ids(), "CBC-SHA384: %s" % r.ids())
    f = finding(r, "no-shared-cipher")
    check("SHA384" in f["detail"] and "+SHA256:+SHA384" in f["fix"], "%s / %s" % (
        f["detail"], f["fix"]))
    check("did not help" not in json_text(r), "no false 'did not help'")
    # A TLS 1.1-only server: the fix names TLS 1.1, never a version already offered.
    p = openssl_server(srv[0], srv[1], extra=["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
    r = connect(p, root, None, "--priority", "NORMAL:-VERS-TLS1.1:-VERS-TLS1.0")
    f = finding(r, "protocol-version-mismatch")
    check(f is not None, "TLS 1.1 only: %s" % r.ids())
    check("TLS1.1" in f["fix"] and "1.3" not in f["fix"].split("enable")[0], f["fix"])


# ---- strict SNI reached by IP: SNI is the fix, not another certificate ----

def sni_checks(what, port, root, name="localhost", default_cert=None):
    """By IP without a name to try, by IP with --verify-name (the follow-up with SNI works),
    the same with --no-probe, and by name (OK)."""
    ip = "127.0.0.1:%d" % port
    base = ["--ca", root[0], "--no-system-trust", "--json"]
    if default_cert is None:
        r = tlsscope(["connect", ip] + base)
        f = finding(r, "sni-required")
        check(r.rc == 1 and f is not None, "%s by IP: %s" % (what, r.ids()))
        check(r.report["handshake"]["alert_received"]["code"] == 112, "%s: alert 112" % what)
        check("alert-received" not in r.ids(), "%s: one finding: %s" % (what, r.ids()))
        check("No SNI was sent" in f["detail"] and "IP address" in f["detail"] and
              "unrecognized_name (112)" in f["detail"] and "--verify-name" in f["detail"],
              "%s: detail: %s" % (what, f["detail"]))
        check("--sni NAME" in f["fix"] and "peer's log" not in json_text(r), f["fix"])
    r = tlsscope(["connect", ip, "--verify-name", name] + base)
    f = finding(r, "sni-required")
    check(r.rc == 1 and f is not None, "%s, --verify-name: %s" % (what, r.ids()))
    check({x["id"] for x in r.report["findings"] if x["severity"] == "error"} ==
          {"sni-required"}, "%s: only sni-required: %s" % (what, r.ids()))
    check(("with SNI %s the handshake completed" % name) in f["detail"] and
          ("DNS:%s" % name) in f["detail"], "%s: both results: %s" % (what, f["detail"]))
    check(("--sni %s" % name) in f["fix"] and "default_server" in f["fix"] and
          "strict-sni" in f["fix"] and "Reissue" not in f["fix"], "%s: fix %s" % (what, f["fix"]))
    probes = [s for s in r.report["handshake"]["steps"] if s.get("probe")]
    check(len(probes) == 1 and ("SNI %s" % name) in probes[0]["detail"],
          "%s: one SNI probe: %s" % (what, probes))
    if default_cert:
        check(default_cert in f["detail"], "%s: the default certificate: %s" % (what, f["detail"]))
        check("hostname-mismatch" not in r.ids(), "%s: %s" % (what, r.ids()))
    r = tlsscope(["connect", ip, "--verify-name", name, "--no-probe"] + base)
    check(not any(s.get("probe") for s in r.report["handshake"]["steps"]),
          "%s: --no-probe sends no probe" % what)
    f = finding(r, "sni-required")
    if default_cert:
        check(f is None and "hostname-mismatch" in r.ids(), "%s, --no-probe: %s" % (what, r.ids()))
    else:
        check(f is not None and "with SNI" not in f["detail"], "%s, --no-probe: %s" % (what, r.ids()))
    ok(tlsscope(["connect", "%s:%d" % (name, port)] + base), "%s by name" % what)


@scenario
def haproxy_strict_sni_by_ip():
    root = ca()
    srv = server(root)
    sni_checks("haproxy strict-sni", haproxy(*srv, strict_sni=True), root)


@scenario
def nginx_reject_handshake_by_ip():
    root = ca()
    srv = server(root)
    sni_checks("nginx ssl_reject_handshake", nginx_strict_sni(*srv), root)


@scenario
def nginx_default_vhost_by_ip():
    root = ca()
    srv = server(root)
    other = server(root, cn="default.invalid", dns=("default.invalid",), ips=(), name="default")
    port = nginx_strict_sni(*srv, default=other)
    sni_checks("nginx default vhost", port, root, default_cert="DNS:default.invalid")
    # By IP without a name: the probe tries the leaf's own name, gets the same certificate,
    # and the finding stays about the name the certificate lacks.
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--ca", root[0], "--no-system-trust",
                  "--json"])
    check("sni-required" not in r.ids() and "hostname-mismatch" in r.ids(), r.ids())
    probes = [s for s in r.report["handshake"]["steps"] if s.get("probe")]
    check(len(probes) == 1 and "SNI default.invalid" in probes[0]["detail"], probes)


@scenario
def gnutls_serv_sni_hostname_fatal():
    root = ca()
    srv = server(root)
    port = gnutls_serv_sni(*srv, "localhost")
    base = ["--ca", root[0], "--no-system-trust", "--json"]
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--sni", "other.example"] + base)
    f = finding(r, "sni-required")
    check(r.rc == 1 and f is not None and "alert-received" not in r.ids(), r.ids())
    check("other.example" in f["detail"] and "unrecognized_name (112)" in f["detail"], f["detail"])
    check("server_name other.example" in f["fix"] and "--sni NAME" in f["fix"], f["fix"])
    ok(tlsscope(["connect", "localhost:%d" % port] + base), "gnutls-serv by name")
    # Without SNI gnutls-serv serves its only certificate, which holds the IP: no finding.
    ok(tlsscope(["connect", "127.0.0.1:%d" % port] + base), "gnutls-serv without SNI")


def json_text(r):
    import json
    return json.dumps(r.report)


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
