"""Real TLS peers on 127.0.0.1 for the scenario tests, certificates made with certtool at test
time, and a runner for tlsscope that validates every JSON report against the schema.

Peers are started on ephemeral ports and waited for by polling with a deadline."""
import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time

PY = "/usr/bin/python3"
WORK = tempfile.mkdtemp(prefix="tlsscope-scenario-")
_procs = []


def _cleanup():
    for p in _procs:
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


def start(cmd, port, host="127.0.0.1", **kw):
    kw.setdefault("stdin", subprocess.PIPE)
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    p = subprocess.Popen(cmd, **kw)
    _procs.append(p)
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
    start(cmd, port)
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


def nginx(crt, k, ca_file, verify="on"):
    port = free_port()
    d = path("nginx_%d" % port)
    os.makedirs(os.path.join(d, "logs"))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent("""
            daemon off; master_process off; worker_processes 1;
            pid %(d)s/nginx.pid; error_log %(d)s/logs/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path %(d)s; proxy_temp_path %(d)s; fastcgi_temp_path %(d)s;
              uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
              server {
                listen 127.0.0.1:%(port)d ssl;
                ssl_certificate %(crt)s; ssl_certificate_key %(k)s;
                ssl_client_certificate %(ca)s; ssl_verify_client %(verify)s;
                location / { return 200 "ok\\n"; }
              }
            }""") % dict(d=d, port=port, crt=crt, k=k, ca=ca_file, verify=verify))
    start(["nginx", "-c", conf, "-p", d, "-e", os.path.join(d, "logs", "error.log")], port)
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


def staller():
    """Accepts TCP connections and never sends a byte."""
    port = free_port()
    src = path("staller.py")
    with open(src, "w") as f:
        f.write(textwrap.dedent("""
            import socket, sys
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', int(sys.argv[1])))
            s.listen(8)
            held = []
            while True:
                held.append(s.accept()[0])
            """))
    start([PY, src, str(port)], port)
    return port


# ---------------- tlsscope ----------------

_schema = None


def validate(report):
    global _schema
    import jsonschema
    if _schema is None:
        with open(os.environ["TLSSCOPE_SCHEMA"]) as f:
            _schema = json.load(f)
    jsonschema.validate(report, _schema)


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
    if "--json" in args and p.returncode in (0, 1):
        report = json.loads(out)
        validate(report)
    return Run(p.returncode, out, p.stderr.decode("utf-8", "replace"), seconds, report)
