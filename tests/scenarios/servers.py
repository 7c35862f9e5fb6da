"""Real servers that refuse a client after the handshake, or in ways that race with our last
flight: the seed's two-way Flask server with its serial check, Apache, HAProxy, nginx, Node,
a plain Python ssl server, openssl s_server and gnutls-serv. Each refusal must be an error
with its evidence, each correct setup must stay OK. One scenario per meson test."""
import os
import shutil
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import (PY, Failure, ca, cert, check, client, free_port, gnutls_serv, main, nginx,  # noqa: E402
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
    for i in range(5):
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

def apache(crt, k, ca_file, verify="require"):
    if not shutil.which("apache2"):
        raise Failure("apache2 is not installed (scripts/setup.sh)")
    port = free_port()
    d = path("apache_%d" % port)
    os.makedirs(d)
    mods = "/usr/lib/apache2/modules"
    conf = os.path.join(d, "httpd.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent("""
            ServerRoot %(d)s
            PidFile %(d)s/httpd.pid
            ErrorLog %(d)s/error.log
            LogLevel warn
            DefaultRuntimeDir %(d)s
            Mutex file:%(d)s
            LoadModule mpm_event_module %(m)s/mod_mpm_event.so
            LoadModule authz_core_module %(m)s/mod_authz_core.so
            LoadModule ssl_module %(m)s/mod_ssl.so
            Listen 127.0.0.1:%(port)d
            ServerName localhost
            DocumentRoot %(d)s
            <Directory %(d)s>
              Require all granted
            </Directory>
            SSLEngine on
            SSLCertificateFile %(crt)s
            SSLCertificateKeyFile %(k)s
            SSLCACertificateFile %(ca)s
            SSLVerifyClient %(verify)s
            SSLSessionCache none
            """) % dict(d=d, m=mods, port=port, crt=crt, k=k, ca=ca_file, verify=verify))
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("hello\n")
    start(["apache2", "-X", "-f", conf], port)
    return port


def haproxy(crt, k, ca_file, verify="required"):
    if not shutil.which("haproxy"):
        raise Failure("haproxy is not installed (scripts/setup.sh)")
    port = free_port()
    d = path("haproxy_%d" % port)
    os.makedirs(d)
    pem = os.path.join(d, "server.pem")
    with open(pem, "w") as f:
        f.write(open(crt).read() + open(k).read())
    conf = os.path.join(d, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(textwrap.dedent("""
            global
              maxconn 64
            defaults
              mode http
              timeout connect 2s
              timeout client 5s
              timeout server 5s
            frontend fe
              bind 127.0.0.1:%(port)d ssl crt %(pem)s ca-file %(ca)s verify %(verify)s
              http-request return status 200 content-type text/plain string ok
            """) % dict(port=port, pem=pem, ca=ca_file, verify=verify))
    start(["haproxy", "-db", "-f", conf], port)
    return port


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
    for i in range(5):
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


def json_text(r):
    import json
    return json.dumps(r.report)


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
