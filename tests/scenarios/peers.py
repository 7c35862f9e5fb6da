"""Real TLS peers on 127.0.0.1 for the scenario tests, certificates made with certtool at test
time, and a runner for tlsscope that validates every JSON report against the schema.

Peers are started on ephemeral ports and waited for by polling with a deadline."""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

PY = "/usr/bin/python3"
WORK = tempfile.mkdtemp(prefix="tlsscope-scenario-")
_procs = []  # (Popen, what, allowed exit statuses after SIGTERM)

# Sanitizer reports go to files here (log_path), so that a report from a process whose stderr
# a test discards is still seen; main() fails the scenario when any file appears. The exit
# statuses are set in tests/meson.build and tests/run.sh to codes tlsscope never uses.
SANITIZER_LOGS = os.path.join(WORK, "sanitizer")
SANITIZER_STATUS = {90: "a sanitizer"}  # ASan, UBSan and LSan alike (tests/meson.build)
SANITIZER_TEXT = ("runtime error:", "AddressSanitizer", "LeakSanitizer",
                  "UndefinedBehaviorSanitizer")
os.makedirs(SANITIZER_LOGS)
for _var, _name in (("ASAN_OPTIONS", "asan"), ("UBSAN_OPTIONS", "ubsan"),
                    ("LSAN_OPTIONS", "lsan")):
    os.environ[_var] = (os.environ.get(_var, "") + ":log_path="
                        + os.path.join(SANITIZER_LOGS, _name)).lstrip(":")


def _cleanup():
    for p, _, _ in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(WORK, ignore_errors=True)


atexit.register(_cleanup)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def sanitizer_text(text):
    """The first line of a sanitizer report in text, or None."""
    for line in (text or "").splitlines():
        if any(t in line for t in SANITIZER_TEXT):
            return line
    return None


def check_status(rc, what, allowed=(0, 1, 2), err=""):
    """A sanitizer's exit status, a signal, or a status not in allowed fails the test."""
    line = sanitizer_text(err)
    check(line is None, "%s: sanitizer report on stderr: %s" % (what, line))
    check(rc not in SANITIZER_STATUS,
          "%s: exit %s, %s's status" % (what, rc, SANITIZER_STATUS.get(rc)))
    check(rc in allowed, "%s: exit status %s, expected one of %s" % (what, rc, allowed))


# Peers that die of SIGTERM (gnutls-serv, openssl, Python) report -15; tlsscope listen ends
# with its summary and 0 or 1.
PEER_END = (0, -signal.SIGTERM)
TLSSCOPE_END = (0, 1)
GNUTLS_SERV_END = (1,)  # gnutls-serv catches SIGTERM and exits 1


def spawn(cmd, what=None, allowed=PEER_END, **kw):
    """Popen, remembered: finish() ends it with SIGTERM and checks its status."""
    p = subprocess.Popen(cmd, **kw)
    _procs.append((p, what or os.path.basename(cmd[0]), allowed))
    return p


def spawn_tlsscope(args, **kw):
    """tlsscope in the background (a listener), ended by finish() with SIGTERM: its status
    must be 0 or 1 and no sanitizer may have spoken."""
    env = dict(os.environ, NO_COLOR="1", HOME=WORK)
    env.pop("SSLKEYLOGFILE", None)
    env.update(kw.pop("env", None) or {})
    kw.setdefault("stdin", subprocess.DEVNULL)
    return spawn([os.environ["TLSSCOPE"]] + list(args), "tlsscope " + " ".join(args[:2]),
                 TLSSCOPE_END, env=env, **kw)


def tlsscope_listener(identity, *args, **kw):
    """tlsscope listen on an ephemeral loopback port with identity (crt, key) and args, through
    spawn_tlsscope; waits until it accepts. Returns (Popen, port)."""
    port = free_port()
    p = spawn_tlsscope(["listen", "127.0.0.1:%d" % port, "--cert", identity[0], "--key",
                        identity[1]] + list(args), **kw)
    check(wait_port(port, proc=p), "the listener is up")
    return p, port


def end(p, deadline=10.0):
    """SIGTERM, then wait; a process that does not end within the deadline is killed and
    reported. Returns the exit status."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise Failure("%s did not end within %.0f s of SIGTERM" % (p.args[0], deadline))


def finish():
    """Ends every process the scenario started, checks each one's exit status, and fails on
    any sanitizer report written to SANITIZER_LOGS."""
    problems = []
    for p, what, allowed in _procs:
        try:
            rc = end(p)
            if rc in SANITIZER_STATUS or rc not in allowed:
                problems.append("%s: exit status %s (%s)" % (
                    what, rc, SANITIZER_STATUS.get(rc, "expected %s" % (allowed,))))
        except Failure as e:
            problems.append(str(e))
    for name in sorted(os.listdir(SANITIZER_LOGS)):
        with open(os.path.join(SANITIZER_LOGS, name), errors="replace") as f:
            problems.append("sanitizer report %s:\n%s" % (name, f.read()[-4000:]))
    check(not problems, "\n".join(problems))


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def path(name):
    return os.path.join(WORK, name)


# ---------------- certificates ----------------

def key(name, kind="ecdsa", bits=None):
    out = path(name + ".key")
    args = ["certtool", "--generate-privkey", "--outfile", out, "--key-type", kind]
    if bits:
        args += ["--bits", str(bits)]
    sh(*args)
    os.chmod(out, 0o600)
    return out


def cert(name, template, signer=None, kind="ecdsa", bits=None):
    """template: lines of a certtool template. signer: (crt, key) or None for self-signed."""
    k = key(name, kind, bits)
    tmpl = path(name + ".tmpl")
    with open(tmpl, "w") as f:
        f.write("\n".join(template) + "\n")
    out = path(name + ".crt")
    if signer:
        sh("certtool", "--generate-certificate", "--load-privkey", k, "--load-ca-certificate",
           signer[0], "--load-ca-privkey", signer[1], "--template", tmpl, "--outfile", out)
    else:
        sh("certtool", "--generate-self-signed", "--load-privkey", k, "--template", tmpl,
           "--outfile", out)
    return out, k


def ca(name="Scenario Root CA", file="ca"):
    return cert(file,
                ['cn = "%s"' % name, "ca", "cert_signing_key", "crl_signing_key",
                 "expiration_days = 365"])


def server(signer, cn="localhost", dns=("localhost",), ips=("127.0.0.1", "::1"), kind="ecdsa",
           bits=None, extra=(), name="server"):
    lines = ['cn = "%s"' % cn, "signing_key", "encryption_key", "tls_www_server"]
    lines += ['dns_name = "%s"' % d for d in dns] + ['ip_address = "%s"' % i for i in ips]
    if not any(l.startswith("expiration") for l in extra):
        lines.append("expiration_days = 200")
    return cert(name, lines + list(extra), signer, kind, bits)


def client(signer, cn="scenario client", kind="ecdsa", name="client"):
    return cert(name, ['cn = "%s"' % cn, "signing_key", "tls_www_client",
                       "expiration_days = 200"], signer, kind)


def to_der(pem_cert, pem_key):
    c, k = path("der_cert.der"), path("der_key.der")
    sh("certtool", "--certificate-info", "--infile", pem_cert, "--outder", "--outfile", c)
    sh("certtool", "--key-info", "--infile", pem_key, "--outder", "--outfile", k)
    return c, k


# ---------------- peers ----------------

def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family)
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, host="127.0.0.1", deadline=10.0, proc=None):
    end = time.monotonic() + deadline
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            s = socket.socket(family)
            s.settimeout(0.5)
            s.connect((host, port))
            s.close()
            return True
        except OSError:
            time.sleep(0.02)  # polling interval, bounded by the deadline above
    return False


def start(cmd, port, host="127.0.0.1", allowed=PEER_END, **kw):
    kw.setdefault("stdin", subprocess.PIPE)
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    p = spawn(cmd, allowed=allowed, **kw)
    if not wait_port(port, host, proc=p):
        raise Failure("peer did not start: " + " ".join(cmd))
    return p


def gnutls_serv(crt, k, ca_file=None, client_cert="none", priority=None):
    port = free_port()
    cmd = ["gnutls-serv", "-p", str(port), "--x509certfile", crt, "--x509keyfile", k, "--http"]
    if ca_file:
        cmd += ["--x509cafile", ca_file]
    cmd += {"require": ["--require-client-cert"], "request": ["--verify-client-cert"],
            "none": ["--disable-client-cert"]}[client_cert]
    if priority:
        cmd += ["--priority", priority]
    start(cmd, port, allowed=GNUTLS_SERV_END)
    return port


def openssl_server(crt, k, ca_file=None, verify=None, extra=(), host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    port = free_port(family, host)
    accept = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    cmd = ["openssl", "s_server", "-accept", accept, "-cert", crt, "-key", k, "-www"]
    if ca_file:
        cmd += ["-CAfile", ca_file]
    if verify == "require":
        cmd += ["-Verify", "2", "-verify_return_error"]
    cmd += list(extra)
    start(cmd, port, host)
    return port


def nginx_tls_site(crt, k, ca_file=None, verify="on", extra=""):
    """One nginx server block on the port nginx_sites gives, answering 200 "ok"; with ca_file,
    client certificates checked (ssl_verify_client verify) against it. extra: more directives."""
    client = ("ssl_client_certificate %s; ssl_verify_client %s;" % (ca_file, verify)
              if ca_file else "")
    return textwrap.dedent("""
        server {
          listen 127.0.0.1:%%(port)d ssl;
          ssl_certificate %s; ssl_certificate_key %s;
          %s %s
          location / { return 200 "ok\\n"; }
        }""") % (crt, k, client, extra)


def nginx(crt, k, ca_file, verify="on"):
    return nginx_sites(nginx_tls_site(crt, k, ca_file, verify))


def apache(crt, k, ca_file, verify="require", log_level="warn"):
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
            LogLevel %(log_level)s
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
            """) % dict(d=d, m=mods, port=port, crt=crt, k=k, ca=ca_file, verify=verify,
                   log_level=log_level))
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("hello\n")
    start(["apache2", "-X", "-f", conf], port)
    return port


def haproxy(crt, k, ca_file=None, verify="required", strict_sni=False, log="", **kw):
    """HAProxy answering 200 itself; ca_file None: no client certificates; strict_sni: a
    handshake whose SNI names no certificate (or that has none) is refused."""
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
              %(log)s
            defaults
              mode http
              %(dlog)s
              timeout connect 2s
              timeout client 5s
              timeout server 5s
            frontend fe
              bind 127.0.0.1:%(port)d ssl crt %(pem)s %(verify)s
              http-request return status 200 content-type text/plain string ok
            """) % dict(port=port, pem=pem, log=log, dlog="log global\n  option httplog" if log else "",
                        verify=("ca-file %s verify %s" % (ca_file, verify) if ca_file else "") +
                        (" strict-sni" if strict_sni else "")))
    start(["haproxy", "-db", "-f", conf], port, **kw)
    return port


def nginx_sites(servers, log_level=""):
    """nginx in the foreground with the given server blocks; each holds %(port)d for the one
    port, which is returned. Its error log (at log_level, e.g. "info" for client verify
    errors) is nginx_error_log(port)."""
    port = free_port()
    d = path("nginx_%d" % port)
    os.makedirs(os.path.join(d, "logs"))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent("""
            daemon off; master_process off; worker_processes 1;
            pid %(d)s/nginx.pid; error_log %(d)s/logs/error.log %(level)s;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path %(d)s; proxy_temp_path %(d)s; fastcgi_temp_path %(d)s;
              uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
            """) % dict(d=d, level=log_level) + servers % dict(port=port) + "\n}\n")
    start(["nginx", "-c", conf, "-p", d, "-e", os.path.join(d, "logs", "error.log")], port)
    return port


def nginx_error_log(port):
    return path("nginx_%d/logs/error.log" % port)


def nginx_strict_sni(crt, k, name="localhost", default=None):
    """A named server block for name, and a default_server that rejects the handshake
    (ssl_reject_handshake on), or, with default (crt, key), serves that certificate."""
    dflt = ("ssl_certificate %s; ssl_certificate_key %s; location / { return 200 \"default\\n\"; }"
            % default if default else "ssl_reject_handshake on;")
    return nginx_sites("""
      server { listen 127.0.0.1:%%(port)d ssl default_server; %s }
      server { listen 127.0.0.1:%%(port)d ssl; server_name %s;
               ssl_certificate %s; ssl_certificate_key %s;
               location / { return 200 "ok\\n"; } }""" % (dflt, name, crt, k))


def gnutls_serv_sni(crt, k, name):
    """gnutls-serv that refuses, with a fatal unrecognized_name, an SNI other than name."""
    port = free_port()
    start(["gnutls-serv", "-p", str(port), "--x509certfile", crt, "--x509keyfile", k,
           "--sni-hostname", name, "--sni-hostname-fatal"], port, allowed=GNUTLS_SERV_END)
    return port


def flask_app(crt, k):
    """The seed article's one-way server: app.run(ssl_context=('server.crt','server.key'))."""
    port = free_port()
    src = path("flask_app.py")
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import sys
            from flask import Flask
            app = Flask(__name__)
            @app.route('/')
            def hello():
                return 'Hello World!'
            app.run(host='127.0.0.1', port=int(sys.argv[1]), ssl_context=(sys.argv[2], sys.argv[3]))
            """))
    start([PY, src, str(port), crt, k], port)
    return port


def plain_http():
    port = free_port()
    start([PY, "-m", "http.server", "--bind", "127.0.0.1", str(port)], port, cwd=WORK)
    return port


def raw_peer(name, loop):
    """A plain TCP peer in a process of its own on an ephemeral loopback port: a listening
    socket s, then loop (Python source, at the left margin) doing what it does."""
    port = free_port()
    src = path(name + ".py")
    with open(src, "w") as f:
        f.write("import socket, sys\ns = socket.socket()\n"
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                "s.bind(('127.0.0.1', int(sys.argv[1])))\ns.listen(8)\n"
                + textwrap.dedent(loop))
    start([PY, src, str(port)], port)
    return port


def staller():
    """Accepts TCP connections and never sends a byte."""
    return raw_peer("staller", """
        held = []
        while True:
            held.append(s.accept()[0])
        """)

# ---------------- tlsscope ----------------

_schemas = {}


def validate(report):
    """Against docs/report.schema.json, or docs/inspect.schema.json for inspect and pki."""
    import jsonschema
    name = os.environ["TLSSCOPE_SCHEMA"]
    if report.get("mode") in ("inspect", "pki"):
        name = os.path.join(os.path.dirname(name), "inspect.schema.json")
    elif report.get("mode") == "explain":
        name = os.path.join(os.path.dirname(name), "explain.schema.json")
    if name not in _schemas:
        with open(name) as f:
            _schemas[name] = json.load(f)
    jsonschema.validate(report, _schemas[name])


class Run:
    def __init__(self, rc, out, err, seconds, report):
        self.rc, self.out, self.err, self.seconds, self.report = rc, out, err, seconds, report

    def ids(self):
        return [f["id"] for f in (self.report or {}).get("findings", [])]

    def steps(self):
        return [(s["dir"], s["type"]) for s in self.report["handshake"]["steps"]]


def tlsscope(args, timeout=60, env=None):
    e = dict(os.environ, NO_COLOR="1", HOME=WORK)
    e.pop("SSLKEYLOGFILE", None)
    if env:
        e.update(env)
    t0 = time.monotonic()
    p = subprocess.run([os.environ["TLSSCOPE"]] + args, capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, env=e)
    seconds = time.monotonic() - t0
    out = p.stdout.decode("utf-8", "replace")
    report = None
    err = p.stderr.decode("utf-8", "replace")
    try:
        check_status(p.returncode, "tlsscope " + " ".join(args), err=err)
    except Failure as e:
        raise Failure("%s\n%s" % (e, err[-3000:]))
    if "--json" in args and p.returncode in (0, 1):
        lines = [l for l in out.splitlines() if l.strip()]
        try:
            report = json.loads(out)
            validate(report)
        except ValueError:  # JSON Lines: demo prints the client's report, then the listener's
            report = [json.loads(l) for l in lines]
            for r in report:
                validate(r)
    return Run(p.returncode, out, err, seconds, report)


# ---------------- more peers and PKIs for the diagnosis corpus ----------------

def bundle(name, *files):
    out = path(name + ".pem")
    with open(out, "w") as f:
        for p in files:
            f.write(open(p).read())
    return out


def gnutls_serv_chain(chain_file, k, **kw):
    return gnutls_serv(chain_file, k, **kw)


def blackhole():
    """A loopback port whose accept queue is full: SYNs are dropped, connect() hangs."""
    src = path("blackhole.py")
    ready = path("blackhole.port")
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import socket, sys, time
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            s.listen(0)
            port = s.getsockname()[1]
            held = []
            while True:
                c = socket.socket()
                c.settimeout(0.3)
                try:
                    c.connect(('127.0.0.1', port))
                    held.append(c)
                except OSError:
                    break
            with open(sys.argv[1] + '.tmp', 'w') as f:
                f.write(str(port))
            import os
            os.rename(sys.argv[1] + '.tmp', sys.argv[1])
            while True:
                time.sleep(3600)
            """))
    spawn([PY, src, ready], "blackhole", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while time.monotonic() < end and not os.path.exists(ready):
        time.sleep(0.02)  # polling interval, bounded by the deadline
    check(os.path.exists(ready), "blackhole did not start")
    return int(open(ready).read())


def closer():
    """Reads the ClientHello, then closes without a word."""
    return raw_peer("closer", """
        while True:
            c = s.accept()[0]
            c.settimeout(2)
            try:
                if c.recv(4096):
                    c.close()
            except OSError:
                c.close()
        """)

def python_tls_server(crt, k, ca_file=None, require=False, seclevel0=False, flask=True):
    """The seeds' servers: a Flask app served by werkzeug with an ssl.SSLContext, optionally
    requiring a client certificate signed by ca_file (the two-way article)."""
    port = free_port()
    src = path("pyserver_%d.py" % port)
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import ssl, sys
            port, crt, key, ca, require, sec0 = sys.argv[1:7]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if sec0 == '1':
                ctx.set_ciphers('DEFAULT@SECLEVEL=0')
            ctx.load_cert_chain(crt, key)
            if ca != '-':
                ctx.load_verify_locations(ca)
            if require == '1':
                ctx.verify_mode = ssl.CERT_REQUIRED
            from flask import Flask
            app = Flask(__name__)
            @app.route('/')
            def hello():
                return 'Hello World!'
            app.run(host='127.0.0.1', port=int(port), ssl_context=ctx)
            """))
    start([PY, src, str(port), crt, k, ca_file or "-", "1" if require else "0",
           "1" if seclevel0 else "0"], port)
    return port


def legacy_pki(server_cn="127.0.0.1", client_cn="127.0.0.2"):
    """The seed tutorial's recipe: RSA-1024, SHA-1, v1 certificates, O= only on the CA, the IP
    in the CN, no subjectAltName, 5000 days."""
    d = path("legacy")
    os.makedirs(d, exist_ok=True)

    def o(*a):
        sh("openssl", *a, cwd=d)
    for n in ("ca", "server", "client"):
        o("genrsa", "-out", n + ".key", "1024")
    o("req", "-new", "-key", "ca.key", "-out", "ca.req", "-subj",
      "/O=TLS Project Dodgy Certificate Authority")
    o("req", "-new", "-key", "server.key", "-out", "server.req", "-subj",
      "/O=TLS Project/CN=" + server_cn)
    o("req", "-new", "-key", "client.key", "-out", "client.req", "-subj",
      "/O=TLS Project Device Certificate/CN=" + client_cn)
    o("x509", "-req", "-in", "ca.req", "-out", "ca.crt", "-sha1", "-days", "5000", "-signkey",
      "ca.key")
    for n in ("server", "client"):
        o("x509", "-req", "-in", n + ".req", "-out", n + ".crt", "-sha1", "-CAcreateserial",
          "-days", "5000", "-CA", "ca.crt", "-CAkey", "ca.key")
    return {n: (os.path.join(d, n + ".crt"), os.path.join(d, n + ".key"))
            for n in ("ca", "server", "client")}


def openssl_v1_cert(signer, cn="localhost"):
    """A version 1 certificate, as openssl x509 -req makes without -extfile."""
    k = path("v1.key")
    sh("openssl", "genrsa", "-out", k, "2048")
    req = path("v1.req")
    sh("openssl", "req", "-new", "-key", k, "-subj", "/CN=" + cn, "-out", req)
    out = path("v1.crt")
    sh("openssl", "x509", "-req", "-in", req, "-CA", signer[0], "-CAkey", signer[1],
       "-CAcreateserial", "-days", "60", "-sha256", "-out", out)
    return out, k


def crl(signer, *revoked):
    tmpl = path("crl.tmpl")
    with open(tmpl, "w") as f:
        f.write("crl_next_update = 30\ncrl_number = 1\n")
    certs = bundle("revoked", *revoked)
    out = path("ca.crl")
    sh("certtool", "--generate-crl", "--load-ca-privkey", signer[1], "--load-ca-certificate",
       signer[0], "--load-certificate", certs, "--template", tmpl, "--outfile", out)
    return out


# ---------------- the scenario scripts' common frame ----------------

def registry():
    """A dict of scenarios and a decorator that adds a function under its dashed name."""
    table = {}

    def scenario(fn):
        table[fn.__name__.replace("_", "-")] = fn
        return fn
    return table, scenario


def main(table, run=None, cleanup=None):
    """SCRIPT --list prints the scenario names (meson makes a test of each); SCRIPT NAME runs
    one: exit 0, 1 with the failed check on stderr, 2 for an unknown name, or 77 to skip."""
    if sys.argv[1:] == ["--list"]:
        print("\n".join(table))
        return 0
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in table:
        print("unknown scenario %r; known: %s" % (name, ", ".join(sorted(table))),
              file=sys.stderr)
        return 2
    failures = []
    try:
        (run or (lambda n: table[n]()))(name)
    except Failure as e:
        failures.append(str(e))
    # Then every process the scenario started ends with SIGTERM and is judged, whatever the
    # scenario's own outcome; a sanitizer report anywhere fails it.
    for step in ([cleanup] if cleanup else []) + [finish]:
        try:
            step()
        except Failure as e:
            failures.append(str(e))
    if failures:
        print("FAIL %s: %s" % (name, "\n".join(failures)), file=sys.stderr)
        return 1
    print("ok %s" % name)
    return 0
