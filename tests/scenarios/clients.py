"""Per-client verdicts: the real client beside tlsscope on the same chain.

Each scenario makes one chain built to split clients, serves it from openssl s_server on
127.0.0.1 (security level 0, so that it can serve RSA-1024 and SHA-1 chains at all), runs
tlsscope connect --json with the chain's root as --ca and --no-system-trust, then runs every
real client it can on the same name with the same single root, and requires for each client:
  - tlsscope's "clients" entry for it has the same verdict (accept or reject), and
  - on reject, the entry's "says" holds the real client's distinctive phrase (the one the
    client printed, found in its output), and
  - every reason's finding is also in "findings" (a verdict never stands alone).

Clients run for real: Python ssl (Debian's /usr/bin/python3), curl, openssl s_client
-verify_return_error, gnutls-cli, Go (a small crypto/tls client built here with the Debian
toolchain, standard library only, no network), Node (Debian 12's nodejs 18: its package files,
fetched with `apt-get download`, unpacked into a private directory), Java (HttpsURLConnection
with a private truststore) and Chromium (headless, private NSS database) on a few chains.

Versions and cipher suites: openssl s_server limited to one version (TLS 1.0, 1.1) or one
suite (CBC-SHA256, DHE, CCM) and every real client; tlsscope with its default priority, or a
narrower one so that its follow-up probe finds what the server speaks.

Firefox is not run (no headless package with a scriptable certificate error here): its rules
come from mozilla::pkix (security/nss/lib/mozpkix in the NSS sources) and are kept with the
profile in src/engine/profiles.c: no CN fallback (pkixnames.cpp), no AIA fetching (Mozilla's
intermediate preloading instead, wiki.mozilla.org/Security/CryptoEngineering/
Intermediate_Preloading), RSA down to 1024 bits (MIN_RSA_BITS_WEAK), SHA-1 allowed only below
a locally added root (security.pki.sha1_enforcement_level), wildcards need two labels after
the star.

Where tlsscope built under a sanitizer runs (TLSSCOPE_SANITIZED set), these agreement tests
skip (exit 77): they measure other programs, and the sanitizer run measures tlsscope."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))
from peers import (PY, WORK, Failure, cert, check, key, main, path, registry, sh, spawn,  # noqa
                   start, free_port, openssl_server, tlsscope, legacy_pki, GNUTLS_SERV_END,
                   ca, server, client, tlsscope_listener, check_status, validate, nginx_sites,
                   nginx_tls_site, nginx_error_log, apache, haproxy)

tests, scenario = registry()
TIMEOUT = 20


# ---------------- chains ----------------

def root(name="Split Root", kind="ecdsa", bits=None, days=3650, file="root", extra=()):
    return cert(file, ['cn = "%s"' % name, "ca", "cert_signing_key", "crl_signing_key",
                       "expiration_days = %d" % days] + list(extra), None, kind, bits)


def intermediate(signer, kind="ecdsa", bits=None, file="int", extra=(), hash_=None):
    crt, k = key_and_cert(file, ['cn = "Split Intermediate"', "ca", "cert_signing_key",
                                 "expiration_days = 1000"] + list(extra), signer, kind, bits,
                          hash_)
    return crt, k


def key_and_cert(name, template, signer, kind="ecdsa", bits=None, hash_=None):
    if not hash_:
        return cert(name, template, signer, kind, bits)
    k = key(name, kind, bits)
    tmpl = path(name + ".tmpl")
    with open(tmpl, "w") as f:
        f.write("\n".join(template) + "\n")
    out = path(name + ".crt")
    sh("certtool", "--generate-certificate", "--load-privkey", k, "--load-ca-certificate",
       signer[0], "--load-ca-privkey", signer[1], "--template", tmpl, "--outfile", out,
       "--hash", hash_)
    return out, k


def leaf(signer, cn="localhost", dns=("localhost",), ips=(), eku=("tls_www_server",),
         days=200, kind="ecdsa", bits=None, file="leaf", extra=(), san=True):
    lines = ['cn = "%s"' % cn, "signing_key", "encryption_key"] + list(eku)
    if san:
        lines += ['dns_name = "%s"' % d for d in dns] + ['ip_address = "%s"' % i for i in ips]
    lines.append("expiration_days = %d" % days)
    return cert(file, lines + list(extra), signer, kind, bits)


def cat(name, *files):
    out = path(name + ".pem")
    with open(out, "w") as f:
        for p in files:
            f.write(open(p).read())
    return out


def v1_intermediate(signer):
    """An X.509 v1 CA as openssl x509 -req makes without -extfile, signing a modern leaf."""
    k = path("v1int.key")
    sh("openssl", "genrsa", "-out", k, "2048")
    req = path("v1int.req")
    sh("openssl", "req", "-new", "-key", k, "-subj", "/CN=Split v1 Intermediate", "-out", req)
    out = path("v1int.crt")
    sh("openssl", "x509", "-req", "-in", req, "-CA", signer[0], "-CAkey", signer[1],
       "-CAcreateserial", "-days", "600", "-sha256", "-out", out)
    return out, k


def http_file_server(file):
    """A loopback HTTP server for one file (an AIA caIssuers URL points at it)."""
    port = free_port()
    d = path("aia_%d" % port)
    os.makedirs(d)
    shutil.copy(file, os.path.join(d, "int.der"))
    start([PY, "-m", "http.server", "--bind", "127.0.0.1", "--directory", d, str(port)], port)
    return port


# Each chain: (served leaf + chain file, key, root file, name to reach).
def chain_modern():
    r = root()
    i = intermediate(r)
    l = leaf(i)
    return cat("served", l[0], i[0]), l[1], r[0], "localhost"


def chain_cn_only():
    r = root()
    l = leaf(r, san=False)
    return l[0], l[1], r[0], "localhost"


def chain_ip_in_cn():
    r = root()
    l = leaf(r, cn="127.0.0.1", san=False)
    return l[0], l[1], r[0], "127.0.0.1"


def chain_ip_as_dns_san():
    r = root()
    l = leaf(r, cn="127.0.0.1", dns=("127.0.0.1",))
    return l[0], l[1], r[0], "127.0.0.1"


def chain_rsa1024_leaf():
    r = root()
    l = leaf(r, kind="rsa", bits=1024)
    return l[0], l[1], r[0], "localhost"


def chain_rsa1024_issuer():
    r = root()
    i = intermediate(r, kind="rsa", bits=1024)
    l = leaf(i)
    return cat("served", l[0], i[0]), l[1], r[0], "localhost"


def chain_rsa1024_root():
    r = root(kind="rsa", bits=1024)
    l = leaf(r)
    return l[0], l[1], r[0], "localhost"


def chain_sha1_intermediate():
    r = root(kind="rsa", bits=2048)
    i = intermediate(r, kind="rsa", bits=2048, hash_="SHA1")
    l = leaf(i)
    return cat("served", l[0], i[0]), l[1], r[0], "localhost"


def chain_missing_intermediate_aia():
    r = root()
    i = intermediate(r)
    der = path("int.der")
    sh("certtool", "--certificate-info", "--infile", i[0], "--outder", "--outfile", der)
    port = http_file_server(der)
    l = leaf(i, extra=['ca_issuers_uri = "http://127.0.0.1:%d/int.der"' % port])
    return l[0], l[1], r[0], "localhost"


def chain_long_validity():
    r = root(days=7300)
    l = leaf(r, days=3650)
    return l[0], l[1], r[0], "localhost"


def chain_no_eku():
    r = root()
    l = leaf(r, eku=())
    return l[0], l[1], r[0], "localhost"


def chain_client_eku():
    r = root()
    l = leaf(r, eku=("tls_www_client",))
    return l[0], l[1], r[0], "localhost"


def chain_v1_intermediate():
    r = root(kind="rsa", bits=2048)
    i = v1_intermediate(r)
    l = leaf(i)
    return cat("served", l[0], i[0]), l[1], r[0], "localhost"


def chain_path_length_exceeded():
    """root -> intermediate with pathLenConstraint 0 -> a second intermediate -> leaf."""
    r = root()
    i1 = intermediate(r, file="int1", extra=["path_len = 0"])
    i2 = cert("int2", ['cn = "Split Sub Intermediate"', "ca", "cert_signing_key",
                       "expiration_days = 900"], i1)
    l = leaf(i2)
    return cat("served", l[0], i2[0], i1[0]), l[1], r[0], "localhost"


def chain_name_constraint_violated():
    """An intermediate permitted only example.test (name constraints) signs localhost."""
    r = root()
    i = intermediate(r, extra=['nc_permit_dns = "example.test"'])
    l = leaf(i)
    return cat("served", l[0], i[0]), l[1], r[0], "localhost"


def chain_name_constraint_kept():
    """The same constraint, a leaf inside it: accepted by all."""
    r = root()
    i = intermediate(r, extra=['nc_permit_dns = "example.test"'])
    l = leaf(i, cn="www.example.test", dns=("www.example.test",))
    return cat("served", l[0], i[0]), l[1], r[0], "www.example.test"


def chain_wildcard_three_labels():
    r = root()
    l = leaf(r, cn="*.example.test", dns=("*.example.test",))
    return l[0], l[1], r[0], "a.example.test"


def chain_wildcard_two_labels():
    r = root()
    l = leaf(r, cn="*.test", dns=("*.test",))
    return l[0], l[1], r[0], "a.test"


def chain_legacy():
    pki = legacy_pki()
    return pki["server"][0], pki["server"][1], pki["ca"][0], "127.0.0.1"


def chain_tlsscope_pki():
    d = path("pki")
    r = tlsscope(["pki", d, "--json"])
    check(r.rc == 0, "tlsscope pki: %s" % r.err)
    return (os.path.join(d, "server", "server.crt"), os.path.join(d, "server", "server.key"),
            os.path.join(d, "ca", "ca.crt"), "localhost")


# ---------------- the real clients ----------------

def is_ip(name):
    return bool(re.match(r"^[0-9.]+$", name)) or ":" in name


def run(cmd, **kw):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                           **kw)
    except subprocess.TimeoutExpired:
        raise Failure("%s did not finish within %d s" % (cmd[0], TIMEOUT))
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def client_python(port, name, ca):
    src = textwrap.dedent("""
        import socket, ssl, sys
        port, name, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        ctx = ssl.create_default_context(cafile=ca)
        s = socket.create_connection(('127.0.0.1', port), timeout=10)
        try:
            ctx.wrap_socket(s, server_hostname=name).close()
        except (ssl.SSLError, ssl.CertificateError) as e:
            print(e)
            sys.exit(1)
        print('accepted')
        """)
    rc, out = run([PY, "-c", src, str(port), name, ca])
    return rc == 0, out


def client_curl(port, name, ca):
    cmd = ["curl", "-sS", "-o", "/dev/null", "--max-time", "10", "--cacert", ca, "--capath",
           "/nonexistent"]
    host = "[%s]" % name if ":" in name else name
    if not is_ip(name):
        cmd += ["--resolve", "%s:%d:127.0.0.1" % (name, port)]
    rc, out = run(cmd + ["https://%s:%d/" % (host, port)])
    return rc == 0, out


def client_openssl(port, name, ca):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-verify_return_error",
           "-CAfile", ca, "-no-CApath", "-no-CAstore"]
    cmd += ["-verify_ip", name] if is_ip(name) else ["-verify_hostname", name,
                                                      "-servername", name]
    rc, out = run(cmd)
    return rc == 0, out


def client_gnutls(port, name, ca):
    cmd = ["gnutls-cli", "--x509cafile", ca, "--port", str(port), "--verify-hostname", name,
           "127.0.0.1"]
    rc, out = run(cmd)
    return rc == 0, out


GO_SRC = """package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

func main() {
	pem, err := os.ReadFile(os.Args[3])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := tls.Dial("tcp", "127.0.0.1:"+os.Args[1], &tls.Config{RootCAs: pool, ServerName: os.Args[2]})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	c.Close()
	fmt.Println("accepted")
}
"""


def go_binary():
    return go_build("goclient", GO_SRC)


def go_build(name, src):
    """Builds one main package with the Debian toolchain (standard library only, no network)."""
    exe = path(name)
    if os.path.exists(exe):
        return exe
    go = shutil.which("go") or "/usr/lib/go/bin/go"
    check(os.path.exists(go), "go is not installed (golang-go): scripts/setup.sh installs it")
    d = path(name + "_src")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "main.go"), "w") as f:
        f.write(src)
    with open(os.path.join(d, "go.mod"), "w") as f:
        f.write("module %s\n\ngo 1.19\n" % name)
    env = dict(os.environ, GOCACHE=path("gocache"), GOPATH=path("gopath"), GOFLAGS="-mod=mod",
               GOPROXY="off", GOTOOLCHAIN="local", CGO_ENABLED="0", HOME=WORK)
    p = subprocess.run([go, "build", "-o", exe, "."], cwd=d, env=env, capture_output=True,
                       timeout=300)
    check(p.returncode == 0, "go build: %s" % p.stderr.decode()[-2000:])
    return exe


def client_go(port, name, ca):
    rc, out = run([go_binary(), str(port), name, ca])
    return rc == 0, out


NODE_SRC = """
const tls = require('tls'), fs = require('fs');
const [port, name, ca] = process.argv.slice(2);
const ip = /^[0-9.]+$/.test(name) || name.includes(':');
const opts = {host: ip ? name : '127.0.0.1', port: +port, ca: fs.readFileSync(ca)};
if (!ip) opts.servername = name;
const s = tls.connect(opts, () => { console.log('accepted'); s.end(); process.exit(0); });
s.on('error', (e) => { console.log((e.code || '') + ': ' + e.message); process.exit(1); });
"""


NODE18_DEBS = ("nodejs", "libnode108", "node-acorn", "node-cjs-module-lexer", "node-undici")


def node_command():
    """Debian 12's nodejs 18 (the issue's profile, not the newer node this machine may carry),
    unpacked from its package files (`apt-get download`, no install) into a private directory.
    Debian's libnode loads some of its JavaScript from /usr/share/nodejs (acorn, undici,
    cjs-module-lexer), so it runs in a private mount namespace where that directory is an
    overlay of the unpacked packages on /usr/share: the machine's own files stay as they are."""
    # On Debian 12 itself the installed nodejs is that version: use it as it is.
    installed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "nodejs"],
                               capture_output=True, text=True).stdout
    if installed.startswith("18.") and os.path.exists("/usr/bin/node"):
        return ["/usr/bin/node"]
    d = path("node18")
    exe = os.path.join(d, "usr", "bin", "node")
    if not os.path.exists(exe):
        # scripts/setup.sh fetches the package files: tests never reach outside this machine.
        debs = os.environ.get("TLSSCOPE_NODE18_DEBS") or "/var/cache/tlsscope/node18"
        files = os.listdir(debs) if os.path.isdir(debs) else []
        found = [os.path.join(debs, f) for f in files if f.endswith(".deb")]
        check(all(any(f.startswith(n + "_") for f in files) for n in NODE18_DEBS),
              "Debian's nodejs 18 packages are not in %s: run scripts/setup.sh" % debs)
        for f in found:
            if any(os.path.basename(f).startswith(n + "_") for n in NODE18_DEBS):
                sh("dpkg", "-x", f, d)
    lib = os.path.join(d, "usr", "lib", "x86_64-linux-gnu")
    share = os.path.join(d, "usr", "share")
    return ["unshare", "-m", "sh", "-c",
            'mount -t overlay overlay -o "lowerdir=$1:/usr/share" /usr/share && '
            'export LD_LIBRARY_PATH="$2" && shift 2 && exec "$@"', "node18", share, lib, exe]


def client_node(port, name, ca):
    src = path("client.js")
    with open(src, "w") as f:
        f.write(NODE_SRC)
    rc, out = run(node_command() + [src, str(port), name, ca])
    return rc == 0, out


JAVA_SRC = """
import java.net.URL;
import javax.net.ssl.HttpsURLConnection;

public class Client {
	public static void main(String[] a) throws Exception {
		try {
			HttpsURLConnection c = (HttpsURLConnection) new URL(a[0]).openConnection();
			c.setConnectTimeout(10000);
			c.setReadTimeout(10000);
			c.getResponseCode();
			System.out.println("accepted");
		} catch (Exception e) {
			System.out.println(e);
			System.exit(1);
		}
	}
}
"""


def java_class():
    d = path("java")
    if os.path.exists(os.path.join(d, "Client.class")):
        return d
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "Client.java"), "w") as f:
        f.write(JAVA_SRC)
    check(shutil.which("javac"), "javac is not installed (openjdk-17-jdk-headless)")
    sh("javac", "-d", d, os.path.join(d, "Client.java"))
    return d


def client_java(port, name, ca):
    d = java_class()
    store = path("truststore_%d.p12" % port)
    if os.path.exists(store):
        os.unlink(store)
    sh("keytool", "-importcert", "-noprompt", "-alias", "root", "-file", ca, "-keystore", store,
       "-storetype", "PKCS12", "-storepass", "changeit")
    hosts = path("java_hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost a.example.test a.test www.example.test\n")
    host = "[%s]" % name if ":" in name else name
    rc, out = run(["java", "-Djavax.net.ssl.trustStore=" + store,
                   "-Djavax.net.ssl.trustStorePassword=changeit",
                   "-Djavax.net.ssl.trustStoreType=PKCS12", "-Djdk.net.hosts.file=" + hosts,
                   "-cp", d, "Client", "https://%s:%d/" % (host, port)])
    return rc == 0, out


def client_chrome(port, name, ca):
    exe = shutil.which("chromium")
    check(exe, "chromium is not installed: scripts/setup.sh installs it")
    check(shutil.which("certutil"), "certutil is not installed (libnss3-tools)")
    home = path("chrome_home_%d" % port)
    nssdb = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nssdb)
    sh("certutil", "-N", "-d", "sql:" + nssdb, "--empty-password")
    sh("certutil", "-A", "-d", "sql:" + nssdb, "-n", "split-root", "-t", "C,,", "-i", ca)
    host = "[%s]" % name if ":" in name else name
    rc, out = run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--user-data-dir=" + home + "/profile",
                   "--host-resolver-rules=MAP * 127.0.0.1", "--dump-dom",
                   "https://%s:%d/" % (host, port)], env=dict(os.environ, HOME=home))
    # A certificate error gives Chromium's interstitial, which names the net error.
    m = re.search(r"NET::ERR_[A-Z_]+|ERR_[A-Z_]+", out)
    accepted = rc == 0 and ("s_server" in out or "Ciphers" in out or "HTTP" in out) and not m
    return accepted, out


CLIENTS = {"python": client_python, "curl": client_curl, "openssl": client_openssl,
           "gnutls": client_gnutls, "go": client_go, "node": client_node, "java": client_java,
           "chrome": client_chrome}
LIGHT = ("python", "curl", "openssl", "gnutls", "go", "node")


def serve(crt, k):
    """openssl s_server sends only the first certificate of -cert: the rest go to -cert_chain."""
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?",
                      open(crt).read(), re.S)
    extra = ["-cipher", "DEFAULT@SECLEVEL=0"]
    if len(pems) > 1:
        leaf_file, rest = path("served_leaf.pem"), path("served_chain.pem")
        open(leaf_file, "w").write(pems[0])
        open(rest, "w").write("".join(pems[1:]))
        crt, extra = leaf_file, extra + ["-cert_chain", rest]
    return openssl_server(crt, k, extra=extra)


def observe(chain, clients=CLIENTS):
    """Serves chain and runs each client: {id: (accepted, output)}."""
    crt, k, ca, name = chain
    port = serve(crt, k)
    return port, {c: CLIENTS[c](port, name, ca) for c in clients}


# ---------------- what each client printed ----------------

def phrase(client, out):
    """The real client's distinctive words in its output, or None."""
    def first(rx, group=0):
        m = re.search(rx, out, re.M)
        return m.group(group).strip() if m else None
    if client == "python":
        return first(r"certificate verify failed: (.*?) \(_ssl", 1)
    if client == "curl":
        return first(r"^curl: \(60\) .*$")
    if client == "openssl":
        return first(r"^verify error:num=\d+:.*$")
    if client == "gnutls":
        return first(r"Status: The certificate is NOT trusted\. (.*?)\.? *$", 1)
    if client == "go":
        inner = first(r'possibly because of "(.*?) \(temporarily', 1)
        return inner or first(r"^x509: .*$")
    if client == "node":
        return first(r"^[A-Z_]+: .*?(?=: *$|$)")
    if client == "java":
        # Later JDK 17 updates put the alert they send first: "(certificate_unknown) ...".
        return first(r"SSLHandshakeException: (?:\([a-z_]+\) )?(.*)$", 1)
    if client == "chrome":
        return first(r"(?:NET::)?(ERR_[A-Z_]+)", 1)
    return None


def agree(chain, clients=LIGHT, name=None):
    crt, k, ca, target = chain
    port = serve(crt, k)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--verify-name", target, "--ca", ca,
                  "--no-system-trust", "--no-http", "--json"])
    rep = r.report
    check(rep is not None and "clients" in rep, "no clients in the report: %s" % r.err)
    ids = {c["id"]: c for c in rep["clients"]}
    check(sorted(ids) == sorted(["openssl", "python", "curl", "gnutls", "go", "node", "java",
                                 "chrome", "firefox"]), "profile ids: %s" % sorted(ids))
    findings = {(f["id"], f["cert_index"]) for f in rep["findings"]}
    for c in rep["clients"]:
        check((c["verdict"] == "accept") == (not c["reasons"]),
              "%s: reasons and verdict disagree" % c["id"])
        for reason in c["reasons"]:
            check((reason["finding"], reason["cert_index"]) in findings,
                  "%s's reason %s is not among the findings %s" % (
                      c["id"], reason["finding"], sorted(findings, key=str)))
    problems = []
    for client in clients:
        accepted, out = CLIENTS[client](port, target, ca)
        mine = ids[client]
        if accepted != (mine["verdict"] == "accept"):
            problems.append("%s: real client %s, profile says %s %s\n%s" % (
                client, "accepts" if accepted else "rejects", mine["verdict"],
                [x["finding"] for x in mine["reasons"]], out[-600:]))
            continue
        if accepted:
            continue
        words = phrase(client, out)
        if not words:
            problems.append("%s: no error text found in its output:\n%s" % (client, out[-600:]))
            continue
        sentences = [s for s in re.split(r"\. ", words) if s] if client == "gnutls" else [words]
        if not any(s in x["says"] for x in mine["reasons"] for s in sentences):
            problems.append("%s printed %r; the profile says %r" % (
                client, words, [x["says"] for x in mine["reasons"]]))
            continue
        # explain recognises what the real client printed, and names that client.
        line = next((l for l in out.splitlines() if words.split(". ")[0] in l), words)
        e = tlsscope(["explain", "--json", "--", line])
        if e.rc != 0 or not any(m["client"] == client for m in e.report["matches"]):
            problems.append("%s: explain does not recognise %r (exit %d, %s)" % (
                client, line, e.rc, [m["client"] for m in (e.report or {}).get(
                    "matches", [])]))
    check(not problems, "\n".join(problems))
    return rep


def anchors_checked(chain):
    """The anchor's own checks (weak or SHA-1 roots, cert_index null) arrive with the
    per-certificate checks of both chains; until tlsscope reports them, the chains whose only
    fault is in the anchor cannot agree and are skipped."""
    crt, k, ca, target = chain
    port = serve(crt, k)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--verify-name", target, "--ca", ca,
                  "--no-system-trust", "--no-http", "--json"])
    return any(f["cert_index"] is None and f["subject"] == "server-chain"
               for f in r.report["findings"])


def skip():
    sys.exit(77)


HEAVY = ("java",)


@scenario
def modern_chain_accepted_by_every_client():
    rep = agree(chain_modern(), LIGHT + HEAVY + ("chrome",))
    check(all(c["verdict"] == "accept" for c in rep["clients"]), "someone rejects it")


@scenario
def tlsscope_pki_accepted_by_every_profile():
    rep = agree(chain_tlsscope_pki(), LIGHT)
    check(all(c["verdict"] == "accept" for c in rep["clients"]),
          [c["id"] for c in rep["clients"] if c["verdict"] != "accept"])


@scenario
def cn_only_splits_go_from_openssl():
    agree(chain_cn_only(), LIGHT + HEAVY + ("chrome",))


@scenario
def ip_in_cn_only_curl_accepts():
    agree(chain_ip_in_cn(), LIGHT + HEAVY)


@scenario
def ip_as_dns_san_refused_by_all():
    agree(chain_ip_as_dns_san(), LIGHT + HEAVY)


@scenario
def rsa1024_leaf_refused_by_openssl_clients():
    agree(chain_rsa1024_leaf(), LIGHT + HEAVY)


@scenario
def rsa1024_issuer_refused_by_openssl_clients():
    agree(chain_rsa1024_issuer(), LIGHT)


@scenario
def rsa1024_root_refused_by_openssl_clients():
    chain = chain_rsa1024_root()
    if not anchors_checked(chain):
        skip()
    agree(chain, LIGHT)


@scenario
def sha1_intermediate_java_accepts():
    agree(chain_sha1_intermediate(), LIGHT + HEAVY + ("chrome",))


@scenario
def missing_intermediate_with_aia():
    agree(chain_missing_intermediate_aia(), LIGHT + HEAVY + ("chrome",))


@scenario
def long_validity_private_root_accepted():
    agree(chain_long_validity(), LIGHT)


@scenario
def no_eku_accepted():
    agree(chain_no_eku(), LIGHT)


@scenario
def client_eku_on_server_refused():
    agree(chain_client_eku(), LIGHT + HEAVY)


@scenario
def v1_intermediate_refused():
    agree(chain_v1_intermediate(), LIGHT + HEAVY)


@scenario
def wildcard_three_labels_accepted():
    agree(chain_wildcard_three_labels(), LIGHT)


@scenario
def wildcard_one_label_go_and_java_accept():
    agree(chain_wildcard_two_labels(), LIGHT + HEAVY)


@scenario
def path_length_exceeded_refused_by_all():
    agree(chain_path_length_exceeded(), LIGHT + HEAVY + ("chrome",))


@scenario
def name_constraint_violated_refused_by_all():
    agree(chain_name_constraint_violated(), LIGHT + HEAVY + ("chrome",))


@scenario
def name_constraint_kept_accepted_by_all():
    rep = agree(chain_name_constraint_kept(), LIGHT + HEAVY + ("chrome",))
    check(all(c["verdict"] == "accept" for c in rep["clients"]),
          [c["id"] for c in rep["clients"] if c["verdict"] != "accept"])


@scenario
def legacy_pki_per_client():
    chain = chain_legacy()
    if not anchors_checked(chain):
        skip()
    agree(chain, LIGHT + HEAVY)


# ---------------- versions and cipher suites ----------------
#
# openssl s_server limited to one version or one suite (security level 0, so that it can speak
# TLS 1.0 at all), an RSA chain; tlsscope connect with its default priority (or a narrower one),
# then every real client. What each client did must be its profile's verdict; on a refusal the
# profile's words hold what the client printed, and explain recognises that line.

HANDSHAKE_PHRASE = {
    "python": r"^(\[SSL[^\]]*\] .*?) \(_ssl",
    "curl": r"^curl: \(35\) [^:]*: (error:[0-9A-F]+:SSL routines:[^:]*:.*)$",
    "openssl": r"(error:[0-9A-F]+:SSL routines:[a-z_0-9]+:[^:]+):",
    "gnutls": r"^(\*\*\* Received alert \[\d+\]: .*)$",
    "go": r"^(remote error: tls: .*)$",
    "node": r"^([A-Z_0-9]+): [0-9A-F]+:error:[0-9A-F]+:SSL routines:[a-z_0-9]+:([^:]+):",
    "java": r"SSLHandshakeException: (?:\([a-z_]+\) )?(Received fatal alert: [a-z_]+)",
    "chrome": r"(ERR_[A-Z_]+)",
}


def handshake_phrase(client, out):
    m = re.search(HANDSHAKE_PHRASE[client], out, re.M)
    if not m:
        return None
    return ": ".join(g for g in m.groups() if g) if client == "node" else m.group(1).strip()


def rsa_chain():
    r = root("Suite Root", kind="rsa", bits=2048)
    l = leaf(r, kind="rsa", bits=2048)
    return l[0], l[1], r[0]


def agree_handshake(server_args, clients, priority=None, expect=None, served=None):
    """Serves an RSA chain with s_server server_args; requires each real client's outcome to be
    its profile's verdict. expect names the finding the refusals rest on (None: no client
    refuses) and, per client, whether the real client is expected to refuse (so the case
    splits clients as meant). served: (port, CA file) of a server already started so."""
    if served:
        port, ca_file = served
    else:
        crt, k, ca_file = rsa_chain()
        port = openssl_server(crt, k, extra=list(server_args))
    args = ["connect", "127.0.0.1:%d" % port, "--verify-name", "localhost", "--ca", ca_file,
            "--no-system-trust", "--no-http", "--json"]
    r = tlsscope(args + (["--priority", priority] if priority else []))
    rep = r.report
    check(rep is not None and "clients" in rep, "no clients in the report: %s" % r.err)
    ids = {c["id"]: c for c in rep["clients"]}
    findings = {(f["id"], f["cert_index"]) for f in rep["findings"]}
    if expect["finding"]:
        check((expect["finding"], None) in findings, "%s not among %s" % (expect["finding"],
                                                                          sorted(findings)))
    for c in rep["clients"]:
        check(c.get("min_version") in ("TLS1.0", "TLS1.2"), "%s: min_version %s" % (
            c["id"], c.get("min_version")))
        for reason in c["reasons"]:
            check((reason["finding"], reason["cert_index"]) in findings,
                  "%s's reason %s is not among the findings" % (c["id"], reason))
    problems = []
    for client in clients:
        accepted, out = CLIENTS[client](port, "localhost", ca_file)
        mine = ids[client]
        if accepted == expect[client]:
            problems.append("%s: real client %s, the case expected otherwise:\n%s" % (
                client, "accepts" if accepted else "refuses", out[-600:]))
        if accepted != (mine["verdict"] == "accept"):
            problems.append("%s: real client %s, profile says %s %s\n%s" % (
                client, "accepts" if accepted else "rejects", mine["verdict"],
                [x["says"] for x in mine["reasons"]], out[-600:]))
            continue
        if accepted:
            continue
        check(all(x["finding"] == expect["finding"] for x in mine["reasons"]), mine)
        words = handshake_phrase(client, out)
        if not words:
            problems.append("%s: no error text found in its output:\n%s" % (client, out[-600:]))
            continue
        if not any(words in x["says"] for x in mine["reasons"]):
            problems.append("%s printed %r; the profile says %r" % (
                client, words, [x["says"] for x in mine["reasons"]]))
            continue
        e = tlsscope(["explain", "--json", "--", words])
        if e.rc != 0 or not any(m["client"] == client for m in e.report["matches"]):
            problems.append("%s: explain does not recognise %r (exit %d)" % (client, words,
                                                                           e.rc))
    check(not problems, "\n".join(problems))
    return rep


SUITE_CLIENTS = LIGHT + HEAVY + ("chrome",)


@scenario
def tls10_only_server_refused_but_by_gnutls():
    """TLS 1.0 with ECDHE-RSA: Go, Node 18, Java 17 and Chromium offer TLS 1.2 at least; the
    OpenSSL clients offer TLS 1.0 but refuse its MD5+SHA-1 key-exchange signature ("legacy
    sigalg disallowed or unsupported"); gnutls-cli connects."""
    agree_handshake(["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA@SECLEVEL=0"], SUITE_CLIENTS,
                    expect={"finding": "tls-version-old",
                            **{c: c != "gnutls" for c in SUITE_CLIENTS}})


@scenario
def tls11_only_rsa_kx_splits_openssl_from_go():
    """TLS 1.1 with RSA key exchange (nothing signed): the OpenSSL clients and gnutls-cli
    connect; Go, Node 18, Java 17 and Chromium refuse the version."""
    agree_handshake(["-tls1_1", "-cipher", "AES128-SHA@SECLEVEL=0"], SUITE_CLIENTS,
                    expect={"finding": "tls-version-old",
                            **{c: c in ("go", "node", "java", "chrome") for c in
                               SUITE_CLIENTS}})


@scenario
def tls10_only_server_narrow_priority_probe():
    """tlsscope offering TLS 1.2/1.3 only: the handshake fails, the probe finds TLS 1.0, and
    the profiles judge what the probe saw (protocol-version-mismatch)."""
    agree_handshake(["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"], LIGHT,
                    priority="NORMAL:-VERS-TLS1.0:-VERS-TLS1.1",
                    expect={"finding": "protocol-version-mismatch",
                            **{c: c in ("go", "node") for c in LIGHT}})


@scenario
def cbc_sha256_only_server_go_and_gnutls_refuse():
    """A TLS 1.2 server with ECDHE-RSA-AES128-SHA256 only: GnuTLS's NORMAL and Go 1.19's
    defaults have no CBC suite with SHA-256 (tlsscope too: no-shared-cipher, the probe names
    the suite); OpenSSL, Node and Java offer it."""
    agree_handshake(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"], SUITE_CLIENTS,
                    expect={"finding": "no-shared-cipher",
                            **{c: c in ("gnutls", "go", "chrome") for c in SUITE_CLIENTS}})


@scenario
def dhe_only_server_go_and_chrome_refuse():
    """A TLS 1.2 server with DHE-RSA-AES128-GCM-SHA256 only, tlsscope offering no DHE: the
    probe names the DHE suite (no-shared-cipher); Go 1.19 and Chromium have no DHE at all."""
    agree_handshake(["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"], SUITE_CLIENTS,
                    priority="NORMAL:-DHE-RSA",
                    expect={"finding": "no-shared-cipher",
                            **{c: c in ("go", "chrome") for c in SUITE_CLIENTS}})


@scenario
def ccm_only_server_refused_by_openssl_go_java():
    """A TLS 1.2 server with AES128-CCM only, tlsscope offering no CCM: OpenSSL's DEFAULT
    list (openssl, Python, curl), Go, Java 17 and Chromium lack CCM; Node 18's list and
    gnutls-cli have it."""
    agree_handshake(["-tls1_2", "-cipher", "AES128-CCM"], SUITE_CLIENTS,
                    priority="NORMAL:-AES-128-CCM:-AES-256-CCM",
                    expect={"finding": "no-shared-cipher",
                            **{c: c not in ("node", "gnutls") for c in SUITE_CLIENTS}})


# tlsscope's own default offer holds DHE and CCM suites, which Go, Chromium and Firefox (DHE,
# CCM) and OpenSSL's DEFAULT list (CCM) lack: a completed handshake on one of them is followed
# by one probe offering only ECDHE with AES-GCM, ChaCha20-Poly1305 or AES-CBC-SHA1, and the
# profiles judge from what the server did with it.

COMMON_OFFER = "offered only ECDHE with AES-GCM"


def finding_of(rep, fid):
    return next((f for f in rep["findings"] if f["id"] == fid), None)


def suite_probe_steps(rep):
    return [s["detail"] for s in rep["handshake"]["steps"]
            if s.get("probe") and s["detail"].startswith(COMMON_OFFER)]


@scenario
def dhe_only_server_default_offer_go_and_chrome_refuse():
    """A TLS 1.2 server with DHE-RSA-AES128-GCM-SHA256 only, tlsscope with its default offer:
    it connects on DHE, the common-suite probe is refused, and Go 1.19 and Chromium (no DHE)
    are judged as they did: refused, with their words (clients-lack-suite). With --no-probe
    there is no evidence that the server takes anything else: still refused, and the finding
    says it was not asked."""
    server = ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"]
    crt, k, ca_file = rsa_chain()
    port = openssl_server(crt, k, extra=server)
    rep = agree_handshake(server, SUITE_CLIENTS, served=(port, ca_file),
                          expect={"finding": "clients-lack-suite",
                                  **{c: c in ("go", "chrome") for c in SUITE_CLIENTS}})
    check(rep["verdict"] == "ok" and "DHE" in rep["negotiated"]["cipher_suite"],
          "tlsscope itself connects on DHE: %s" % rep["negotiated"])
    steps = suite_probe_steps(rep)
    check(len(steps) == 1 and "refused" in steps[0], "one refused suite probe: %s" % steps)
    f = finding_of(rep, "clients-lack-suite")
    check(f["severity"] == "warning" and "go, chrome, firefox" in f["detail"] and
          "cannot connect" in f["detail"], f)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--verify-name", "localhost", "--ca",
                  ca_file, "--no-system-trust", "--no-http", "--no-probe", "--json"])
    check(r.rc == 0 and not suite_probe_steps(r.report), "--no-probe: %s" % r.err)
    f = finding_of(r.report, "clients-lack-suite")
    check(f is not None and "not asked" in f["detail"], "--no-probe: %s" % f)
    v = {c["id"]: c["verdict"] for c in r.report["clients"]}
    check(v["go"] == "reject" and v["chrome"] == "reject" and v["openssl"] == "accept", v)


@scenario
def ccm_only_server_default_offer_refused_by_openssl_go_java():
    """A TLS 1.2 server with AES128-CCM only, tlsscope with its default offer (which holds
    CCM): the probe is refused; OpenSSL's DEFAULT list (openssl, Python, curl), Go, Java 17
    and Chromium lack CCM and are judged refused; Node 18 and gnutls-cli connect."""
    rep = agree_handshake(["-tls1_2", "-cipher", "AES128-CCM"], SUITE_CLIENTS,
                          expect={"finding": "clients-lack-suite",
                                  **{c: c not in ("node", "gnutls") for c in SUITE_CLIENTS}})
    check("CCM" in rep["negotiated"]["cipher_suite"], rep["negotiated"])
    check(len(suite_probe_steps(rep)) == 1, suite_probe_steps(rep))


@scenario
def dhe_preferred_with_ecdhe_accepted_by_every_client():
    """A TLS 1.2 server that prefers DHE but also takes ECDHE: tlsscope connects on DHE, the
    probe gets ECDHE, and every profile accepts, as every real client does (tlsscope run 3
    times: the probe's answer must hold every time)."""
    server = ["-tls1_2", "-serverpref", "-cipher",
              "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"]
    crt, k, ca_file = rsa_chain()
    port = openssl_server(crt, k, extra=server)
    for i in range(3):
        rep = agree_handshake(server, SUITE_CLIENTS if i == 0 else (), served=(port, ca_file),
                              expect={"finding": None, **{c: False for c in SUITE_CLIENTS}})
        check("DHE" in rep["negotiated"]["cipher_suite"], rep["negotiated"])
        steps = suite_probe_steps(rep)
        check(len(steps) == 1 and "ECDHE" in steps[0], "the probe got ECDHE: %s" % steps)
        check(not finding_of(rep, "clients-lack-suite"), rep["findings"])
        check(all(c["verdict"] == "accept" for c in rep["clients"]), rep["clients"])


# ---------------- servers judging tlsscope's own client certificate ----------------
#
# connect with an identity: client_auth.chain describes the loaded chain, client_auth.servers
# judges it as each server would. The real servers run here, each given the same client CA:
# nginx (ssl_verify_client on), Apache (SSLVerifyClient require), HAProxy (verify required),
# openssl s_server -Verify -verify_return_error, gnutls-serv --require-client-cert
# --verify-client-cert, a Python ssl server with CERT_REQUIRED, Go net/http with
# tls.RequireAndVerifyClientCert, Node 18 https with requestCert and rejectUnauthorized, and a
# Java 17 SSLServerSocket with setNeedClientAuth(true) (compiled here with javac). What
# each real server did (refused: tlsscope's client-cert-rejected or a failed handshake;
# accepted: the request answered) must be the profile's verdict, and on a refusal the profile's
# words hold what the server logged.

PY_SERVER_SRC = textwrap.dedent("""
    import socket, ssl, sys
    port, crt, key, ca = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    s = socket.create_server(("127.0.0.1", int(port)))
    while True:
        c, _ = s.accept()
        try:
            t = ctx.wrap_socket(c, server_side=True)
            t.recv(4096)
            t.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n")
            t.close()
        except (ssl.SSLError, OSError) as e:
            print(e, file=sys.stderr, flush=True)
            c.close()
    """)


def log_file(name):
    return open(path(name), "w")


def real_nginx(crt, k, ca):
    """nginx logs a client's verify error at level info, and answers 400 "The SSL
    certificate error"."""
    port = nginx_sites(nginx_tls_site(crt, k, ca), log_level="info")
    return port, nginx_error_log(port)


def real_s_server(crt, k, ca):
    port = free_port()
    log = path("s_server_%d.log" % port)
    start(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", crt, "-key", k,
           "-CAfile", ca, "-Verify", "2", "-verify_return_error", "-www"], port,
          stdout=log_file(log), stderr=subprocess.STDOUT)
    return port, log


def real_gnutls_serv(crt, k, ca):
    port = free_port()
    log = path("gnutls_serv_%d.log" % port)
    # stdbuf: gnutls-serv prints its verification status to a buffered stdout.
    start(["stdbuf", "-oL", "gnutls-serv", "-p", str(port), "--x509certfile", crt, "--x509keyfile", k,
           "--x509cafile", ca, "--require-client-cert", "--verify-client-cert", "--http"],
          port, allowed=GNUTLS_SERV_END, stdout=log_file(log), stderr=subprocess.STDOUT)
    return port, log


def real_python_server(crt, k, ca):
    port = free_port()
    src, log = path("pyserv_%d.py" % port), path("pyserv_%d.log" % port)
    open(src, "w").write(PY_SERVER_SRC)
    start([PY, src, str(port), crt, k, ca], port, stderr=log_file(log))
    return port, log


def real_apache(crt, k, ca):
    """Apache logs a client's verify error at level info ("Certificate Verification: Error
    (10): certificate has expired")."""
    port = apache(crt, k, ca, log_level="info")
    return port, os.path.join(path("apache_%d" % port), "error.log")


def real_haproxy(crt, k, ca):
    """HAProxy's connection log (to its stdout) names why a handshake failed."""
    log = path("haproxy_%d.log" % len(os.listdir(WORK)))
    port = haproxy(crt, k, ca, log="log stdout format raw local0 info", stdout=log_file(log),
                   stderr=subprocess.STDOUT)
    return port, log


GO_SERVER_SRC = """package main

import (
	"crypto/tls"
	"crypto/x509"
	"log"
	"net/http"
	"os"
)

func main() {
	pem, err := os.ReadFile(os.Args[4])
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	srv := &http.Server{
		Addr:      "127.0.0.1:" + os.Args[1],
		TLSConfig: &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("ok\\n"))
		}),
		ErrorLog: log.New(os.Stderr, "", 0),
	}
	log.Fatal(srv.ListenAndServeTLS(os.Args[2], os.Args[3]))
}
"""


def real_go_server(crt, k, ca):
    """net/http with tls.RequireAndVerifyClientCert: its ErrorLog gets "http: TLS handshake
    error from ...: tls: failed to verify client certificate: x509: ..."."""
    exe = go_build("goserver", GO_SERVER_SRC)
    port = free_port()
    log = path("goserver_%d.log" % port)
    start([exe, str(port), crt, k, ca], port, stderr=log_file(log))
    return port, log


NODE_SERVER_SRC = """
const https = require('https'), fs = require('fs');
const [port, crt, key, ca] = process.argv.slice(2);
const s = https.createServer({cert: fs.readFileSync(crt), key: fs.readFileSync(key),
                              ca: fs.readFileSync(ca), requestCert: true,
                              rejectUnauthorized: true}, (req, res) => res.end('ok\\n'));
// With rejectUnauthorized the server closes a refused client's connection and emits nothing:
// what it knows is the socket's authorizationError, read here when that socket closes (the
// keylog event is the public way to reach the TLSSocket during its handshake).
s.on('keylog', (line, t) => {
  if (!t._logged) {
    t._logged = true;
    t.on('close', () => { if (t.authorizationError) console.error('authorizationError: ' + t.authorizationError); });
  }
});
s.on('tlsClientError', (e) => console.error((e.code || '') + ': ' + e.message));
s.listen(+port, '127.0.0.1');
"""


def real_node_server(crt, k, ca):
    """https.createServer with requestCert and rejectUnauthorized (Debian 12's Node 18); the
    server's tlsClientError event is logged."""
    port = free_port()
    src, log = path("nodeserv_%d.js" % port), path("nodeserv_%d.log" % port)
    open(src, "w").write(NODE_SERVER_SRC)
    start(node_command() + [src, str(port), crt, k, ca], port, stderr=log_file(log))
    return port, log


JAVA_SERVER_SRC = """
import java.io.*;
import java.net.InetAddress;
import java.security.KeyStore;
import javax.net.ssl.*;

public class Server {
	public static void main(String[] a) throws Exception {
		char[] pw = "changeit".toCharArray();
		KeyStore ks = KeyStore.getInstance("PKCS12");
		ks.load(new FileInputStream(a[1]), pw);
		KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		kmf.init(ks, pw);
		KeyStore ts = KeyStore.getInstance("PKCS12");
		ts.load(new FileInputStream(a[2]), pw);
		TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		tmf.init(ts);
		SSLContext ctx = SSLContext.getInstance("TLS");
		ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
		SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
			.createServerSocket(Integer.parseInt(a[0]), 16, InetAddress.getByName("127.0.0.1"));
		ss.setNeedClientAuth(true);
		while (true) {
			try (SSLSocket s = (SSLSocket) ss.accept()) {
				s.setSoTimeout(10000);
				s.startHandshake();
				s.getInputStream().read(new byte[4096]);
				OutputStream out = s.getOutputStream();
				out.write("HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n".getBytes());
				out.flush();
			} catch (Exception e) {
				System.err.println(e);
				System.err.flush();
			}
		}
	}
}
"""

JAVA_END = (0, -15, 143)  # the JVM ends on SIGTERM with 143


def real_java_server(crt, k, ca):
    """A small SSLServerSocket with setNeedClientAuth(true), compiled here with javac."""
    d = path("javaserver")
    if not os.path.exists(os.path.join(d, "Server.class")):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "Server.java"), "w") as f:
            f.write(JAVA_SERVER_SRC)
        check(shutil.which("javac"), "javac is not installed (openjdk-17-jdk-headless)")
        sh("javac", "-d", d, os.path.join(d, "Server.java"))
    port = free_port()
    ks, ts = path("jks_%d.p12" % port), path("jts_%d.p12" % port)
    sh("openssl", "pkcs12", "-export", "-in", crt, "-inkey", k, "-name", "server", "-out", ks,
       "-passout", "pass:changeit")
    sh("keytool", "-importcert", "-noprompt", "-alias", "clientca", "-file", ca, "-keystore",
       ts, "-storetype", "PKCS12", "-storepass", "changeit")
    log = path("javaserver_%d.log" % port)
    start(["java", "-cp", d, "Server", str(port), ks, ts], port, allowed=JAVA_END,
          stderr=log_file(log))
    return port, log


REAL_SERVERS = {"nginx": real_nginx, "openssl": real_s_server, "gnutls": real_gnutls_serv,
                "python": real_python_server, "apache": real_apache, "haproxy": real_haproxy,
                "go": real_go_server, "node": real_node_server, "java": real_java_server}
SERVER_PHRASE = {
    "nginx": r"client SSL certificate verify error: \((\d+:[^)]*)\)",
    "openssl": r"^verify error:num=(\d+:.*)$",
    "gnutls": r"Status: The certificate is NOT trusted\. (.*?) *$",
    "python": r"certificate verify failed: (.*?) \(_ssl",
    "apache": r"(Certificate Verification: Error \(\d+\): [^\[]*?) *(?:\[|$)",
    "haproxy": r"fe/\d+: (.*)$",
    # Go adds the times to an expired certificate's words: "...: current time X is after Y".
    "go": r"TLS handshake error from [^ ]+: (.*?)(?:: current time .*)?$",
    "node": r"^authorizationError: ([A-Z_0-9]+)$",
    "java": r"SSLHandshakeException: (?:\([a-z_]+\) )?(.*)$",
}
SERVER_IDS = ["nginx", "apache", "haproxy", "python", "go", "node", "java", "gnutls", "openssl"]


def client_identity(kind):
    """(crt, key, server's client CA, extra args) for one kind of client certificate."""
    r = root("Client Root", file="croot")
    other = root("Other Client Root", file="oroot")
    lines = {"expired": ["tls_www_client", 'activation_date = "2020-01-01 00:00:00"',
                         'expiration_date = "2021-01-01 00:00:00"'],
             "server-eku": ["tls_www_server", "expiration_days = 100"],
             "rsa1024": ["tls_www_client", "expiration_days = 100"],
             "good": ["tls_www_client", "expiration_days = 100"],
             "unlisted": ["tls_www_client", "expiration_days = 100"],
             "no-intermediate": ["tls_www_client", "expiration_days = 100"]}[kind]
    signer = other if kind == "unlisted" else r
    if kind == "no-intermediate":  # issued by an intermediate that is not sent
        signer = intermediate(r, file="cint")
    crt, k = cert("cl_" + kind, ['cn = "client %s"' % kind, "signing_key"] + lines, signer,
                  "rsa" if kind == "rsa1024" else "ecdsa", 1024 if kind == "rsa1024" else None)
    return crt, k, r[0], ["--force-client-cert"] if kind in ("unlisted", "no-intermediate") else []


def servers_agree(kind, expect_reject):
    crt, k, client_ca, extra = client_identity(kind)
    sroot = root("Server Root", file="sroot")
    srv = leaf(sroot, file="srv", ips=("127.0.0.1",))
    problems, reports = [], {}
    for sid, launch in REAL_SERVERS.items():
        port, log = launch(srv[0], srv[1], client_ca)
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--ca", sroot[0], "--no-system-trust",
                      "--cert", crt, "--key", k, "--json"] + extra)
        rep = reports[sid] = r.report
        ca = rep["client_auth"]
        check(len(ca["chain"]) == 1 and ca["chain"][0]["sha256"] and
              ca["chain"][0]["subject"] == "CN=client %s" % kind, "client_auth.chain: %s" % ca)
        ids = {v["id"]: v for v in ca["servers"]}
        check(sorted(ids) == sorted(SERVER_IDS), "server ids: %s" % sorted(ids))
        findings = {(f["id"], f["cert_index"]) for f in rep["findings"]
                    if f["subject"] == "client-chain"}
        for v in ca["servers"]:
            for reason in v["reasons"]:
                check((reason["finding"], reason["cert_index"]) in findings,
                      "%s's reason %s is not a client-chain finding %s" % (
                          v["id"], reason, findings))
        refused = "client-cert-rejected" in r.ids() or rep["handshake"]["status"] != "complete"
        http = rep["http"] and rep["http"]["status_line"] or ""
        # Any answer is an accepted certificate (Apache without mod_dir answers / with 404).
        check(refused or http.startswith("HTTP/"), "%s: neither refused nor answered: %s" % (
            sid, http))
        mine = ids[sid]
        if not ca["acceptable_cas"] and kind in ("unlisted", "no-intermediate"):
            # This server names no acceptable CA (Python's ssl sends none): the issuer cannot
            # be judged from the handshake, and the profile does not guess.
            check(refused and mine["verdict"] == "accept", "%s: %s" % (sid, mine))
            continue
        if refused != (mine["verdict"] == "reject"):
            problems.append("%s: real server %s, profile says %s %s" % (
                sid, "refuses" if refused else "accepts", mine["verdict"], mine["reasons"]))
            continue
        if refused != expect_reject.get(sid, expect_reject.get("*")):
            problems.append("%s: %s, expected otherwise" % (sid, "refused" if refused else
                                                               "accepted"))
        if not refused:
            continue
        # The refusal names the certificate's own fault, not three guesses.
        rej = [f for f in rep["findings"] if f["id"] == "client-cert-rejected"]
        causes = [x["finding"] for x in mine["reasons"]]
        if rej and not any("[%s]" % c in rej[0]["detail"] for c in causes):
            problems.append("%s: the refusal does not name %s: %s" % (sid, causes,
                                                                      rej[0]["detail"]))
        deadline = time.monotonic() + 5
        while True:  # the server may write its log after the connection ends
            text = open(log).read()
            # Every error it logged: the port check before tlsscope's connection gives one too
            # (Go: "EOF", Java: "Remote host terminated the handshake").
            logged = [w.strip() for w in re.findall(SERVER_PHRASE[sid], text, re.M)]
            agreed = [w for w in logged if any(w in x["says"] for x in mine["reasons"])]
            if agreed or time.monotonic() > deadline:
                break
            time.sleep(0.02)  # polling interval, bounded by the deadline above
        if not logged:
            problems.append("%s: no verify error in its log:\n%s" % (sid, text[-800:]))
        elif not agreed:
            problems.append("%s logged %r; the profile says %r" % (
                sid, logged, [x["says"] for x in mine["reasons"]]))
    check(not problems, "\n".join(problems))
    return reports


# Which versions each server accepts by default: tlsscope connects with an identity and offers
# only TLS 1.1 (or 1.0), leading with ECDHE as GnuTLS's NORMAL does. What each real server did
# (refused: the handshake failed; accepted: the request answered) must be its own profile's
# verdict in that connection's report, and on a refusal the profile's words hold what the
# server logged. The OpenSSL 3.0 servers (security level 2) have TLS 1.0/1.1 enabled but refuse
# the MD5+SHA-1 signature; HAProxy 2.6, Node 18 and Java 17 refuse the version.
VERSION_PHRASE = {
    "nginx": r"SSL_do_handshake\(\) failed \(SSL: (error:[0-9A-F]+:SSL routines::[^)]*)\)",
    "openssl": r"(error:[0-9A-F]+:SSL routines:[a-z_]+:[^:]+):",
    "python": r"(\[SSL: [A-Z_]+\] [^(]*?) \(_ssl",
    "apache": r"(SSL Library Error: error:[0-9A-F]+:SSL routines::[a-z ]+)",
    "haproxy": r"fe/\d+: (SSL handshake failure)",
    "node": r"^(ERR_[A-Z_]+): [0-9A-F]+:(error:[0-9A-F]+:SSL routines:[a-z_]+:[^:]+):",
    # Later JDK 17 updates (17.0.21) put the alert they send first: "(protocol_version) ...".
    "java": r"SSLHandshakeException: (?:\([a-z_]+\) )?(Client requested protocol \S+ is not "
            r"enabled or supported in server context)",
}


def servers_versions_agree(version, expect_refused):
    crt, k, client_ca, _ = client_identity("good")
    sroot = root("Server Root", file="sroot")
    srv = leaf(sroot, file="srv", ips=("127.0.0.1",))
    problems = []
    for sid, launch in REAL_SERVERS.items():
        port, log = launch(srv[0], srv[1], client_ca)
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--ca", sroot[0], "--no-system-trust",
                      "--cert", crt, "--key", k, "--json", "--tls-max", "1.2", "--priority",
                      "NORMAL:-VERS-ALL:+VERS-TLS%s" % version])
        rep = r.report
        mine = {v["id"]: v for v in rep["client_auth"]["servers"]}[sid]
        findings = {(f["id"], f["cert_index"]) for f in rep["findings"]}
        for reason in mine["reasons"]:
            check((reason["finding"], reason["cert_index"]) in findings,
                  "%s's reason %s is not among the findings" % (sid, reason))
        http = rep["http"] and rep["http"]["status_line"] or ""
        refused = rep["handshake"]["status"] != "complete" or not http.startswith("HTTP/")
        if refused != (sid in expect_refused):
            problems.append("%s: real server %s TLS %s, the case expected otherwise" % (
                sid, "refuses" if refused else "accepts", version))
        if refused != (mine["verdict"] == "reject"):
            problems.append("%s: real server %s TLS %s, profile says %s %s" % (
                sid, "refuses" if refused else "accepts", version, mine["verdict"],
                mine["reasons"]))
            continue
        if not refused:
            continue
        deadline = time.monotonic() + 5
        while True:  # the server may write its log after the connection ends
            text = open(log).read()
            logged = [": ".join(g for g in m if g) if isinstance(m, tuple) else m
                      for m in re.findall(VERSION_PHRASE[sid], text, re.M)]
            agreed = [w for w in logged if any(w in x["says"] for x in mine["reasons"])]
            if agreed or time.monotonic() > deadline:
                break
            time.sleep(0.02)  # polling interval, bounded by the deadline above
        if not agreed:
            problems.append("%s logged %r; the profile says %r\n%s" % (
                sid, logged, [x["says"] for x in mine["reasons"]], text[-600:]))
            continue
        e = tlsscope(["explain", "--json", "--", agreed[0]])
        if e.rc != 0 or not any(m["client"] == sid for m in e.report["matches"]):
            problems.append("%s: explain does not recognise %r" % (sid, agreed[0]))
    check(not problems, "\n".join(problems))


@scenario
def server_versions_tls11_offer():
    """TLS 1.1 only: refused by nginx, Apache, s_server and Python (no suitable signature
    algorithm), HAProxy, Node 18 and Java 17 (the version); gnutls-serv and Go 1.19 take it."""
    servers_versions_agree("1.1", ("nginx", "apache", "openssl", "python", "haproxy", "node",
                                   "java"))


@scenario
def server_versions_tls10_offer():
    """TLS 1.0 only: the same split as TLS 1.1."""
    servers_versions_agree("1.0", ("nginx", "apache", "openssl", "python", "haproxy", "node",
                                   "java"))


@scenario
def listen_client_from_a_foreign_ca_refused_by_every_server():
    """tlsscope listen trusting one CA; a client certificate from another: every server
    profile refuses it, as the real servers do in own-client-cert-unlisted-issuer-refused."""
    root, other = ca("Listen Client CA", file="lca"), ca("Foreign Client CA", file="fca")
    srv = server(root)
    foreign = client(other, cn="foreign client", name="foreign")
    p, port = tlsscope_listener(srv, "--client-ca", root[0], "--json", "--count", "1",
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-cert",
                    foreign[0], "-key", foreign[1]], stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=20)
    out, err = p.communicate(timeout=20)
    check_status(p.returncode, "tlsscope listen --count 1", allowed=(1,), err=err)
    rep = json.loads(out.splitlines()[0])
    validate(rep)
    check("client-cert-untrusted" in [f["id"] for f in rep["findings"]], rep["findings"])
    verdicts = {v["id"]: v["verdict"] for v in rep["client_auth"]["servers"]}
    check(verdicts and all(v == "reject" for v in verdicts.values()),
          "every server refuses a client from a foreign CA: %s" % verdicts)


@scenario
def own_client_cert_good_accepted_by_every_server():
    for rep in servers_agree("good", {"*": False}).values():
        check(all(v["verdict"] == "accept" for v in rep["client_auth"]["servers"]),
              rep["client_auth"]["servers"])
        check(rep["verdict"] == "ok", rep["findings"])


@scenario
def own_client_cert_expired_refused_by_every_server():
    rep = servers_agree("expired", {"*": True})["nginx"]
    check(" 400 " in rep["http"]["status_line"] and "SSL certificate error" in
          rep["http"].get("body_head", ""), rep["http"])
    f = [x for x in rep["findings"] if x["id"] == "expired" and x["subject"] == "client-chain"]
    check(f and f[0]["cert_index"] == 0 and f[0]["severity"] == "error", rep["findings"])
    check("expired" in rep["client_auth"]["chain"][0]["status"], rep["client_auth"]["chain"])


@scenario
def own_client_cert_server_eku_gnutls_accepts():
    """OpenSSL-based servers refuse a client certificate whose EKU is serverAuth only
    ("unsuitable certificate purpose"); gnutls-serv asks for no key purpose and accepts it."""
    servers_agree("server-eku", {"*": True, "gnutls": False})


@scenario
def own_client_cert_rsa1024_gnutls_accepts():
    """OpenSSL at security level 2 refuses an RSA-1024 client key ("EE certificate key too
    weak": nginx, Apache, HAProxy, Node, Python, s_server); GnuTLS, Go 1.19 (no key size
    rule) and Java 17 (jdk.certpath.disabledAlgorithms: RSA keySize < 1024) accept it."""
    servers_agree("rsa1024", {"*": True, "gnutls": False, "go": False, "java": False})


@scenario
def own_client_cert_unlisted_issuer_refused():
    """Issued by a CA the server does not list, sent anyway (--force-client-cert): every
    server refuses it as untrusted, and the refusal names the issuer."""
    rep = servers_agree("unlisted", {"*": True})["nginx"]
    f = [x for x in rep["findings"] if x["id"] == "client-cert-ca-not-accepted"]
    check(f and "CN=Other Client Root" in f[0]["detail"], rep["findings"])


@scenario
def own_client_cert_without_its_intermediate_refused():
    """Issued by an intermediate of the server's client CA, sent alone: every server that
    names its CAs refuses it; nginx, Node and HAProxy word it as the first certificate that
    cannot be verified, Apache, s_server, Go and Java as an unknown issuer."""
    servers_agree("no-intermediate", {"*": True})


@scenario
def explain_unknown_message_exits_1():
    r = tlsscope(["explain", "--json", "the weather is fine today"])
    check(r.rc == 1 and r.report["matches"] == [], "exit %d %s" % (r.rc, r.report))
    r = tlsscope(["explain", "client SSL certificate verify error: (26:unsupported "
                  "certificate purpose) while reading client request headers"])
    check(r.rc == 0 and "nginx" in r.out and "wrong-purpose" in r.out, r.out)


if __name__ == "__main__":
    if os.environ.get("TLSSCOPE_SANITIZED") and sys.argv[1:] != ["--list"]:
        sys.exit(77)
    sys.exit(main(tests))
