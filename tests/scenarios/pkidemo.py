"""tlsscope pki, inspect and demo: generated PKIs against real peers, the legacy recipe against
the tutorial's own openssl commands, inspect on every file type, every demo scenario.

Usage: pkidemo.py SCENARIO | --list"""
import json
import os
import re
import stat
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()


FILES = ["ca/ca.key", "ca/ca.crt", "server/server.key", "server/server.crt", "client/client.key",
         "client/client.crt", "client/client.p12", "certDER/ca.der", "certDER/server.der",
         "certDER/client.der"]


def pki(name, *extra):
    d = path(name)
    r = tlsscope(["pki", d, "--json"] + list(extra))
    check(r.rc == 0, "pki %s: exit 0, got %d %s" % (extra, r.rc, r.err))
    return d, r


def x509_text(p):
    return sh("openssl", "x509", "-in", p, "-noout", "-text").stdout


@scenario
def modern_pki_files_and_verification():
    d, r = pki("modern", "--server-name", "localhost", "--server-name", "127.0.0.1",
               "--client-name", "device 7", "--client-name", "device7.example")
    for f in FILES:
        check(os.path.exists(os.path.join(d, f)), "%s written" % f)
    for f in FILES:
        mode = stat.S_IMODE(os.stat(os.path.join(d, f)).st_mode)
        if f.endswith((".key", ".p12")):
            check(mode & 0o077 == 0, "%s is private: %o" % (f, mode))
    v = subprocess.run(["openssl", "verify", "-CAfile", d + "/ca/ca.crt", d + "/server/server.crt",
                        d + "/client/client.crt"], capture_output=True, text=True)
    check(v.returncode == 0, "openssl verify: %s" % v.stdout + v.stderr)
    for who in ("server", "client"):
        c = subprocess.run(["certtool", "--verify", "--load-ca-certificate", d + "/ca/ca.crt",
                            "--infile", "%s/%s/%s.crt" % (d, who, who)], capture_output=True,
                           text=True)
        check(c.returncode == 0, "certtool --verify %s: %s" % (who, c.stdout[-200:]))
    ca_t, srv_t, cl_t = (x509_text(d + p) for p in ("/ca/ca.crt", "/server/server.crt",
                                                    "/client/client.crt"))
    check("CA:TRUE, pathlen:0" in ca_t, "CA:TRUE pathlen 0")
    check("DNS:localhost, IP Address:127.0.0.1" in srv_t and "TLS Web Server Authentication"
          in srv_t, "server SAN and EKU")
    check("TLS Web Client Authentication" in cl_t and "DNS:device7.example" in cl_t and
          "CN = device 7" in cl_t, "client CN, SAN, EKU")
    check(all("ecdsa-with-SHA256" in t and "Version: 3" in t for t in (ca_t, srv_t, cl_t)),
          "ECDSA, SHA-256, v3")
    rep = r.report
    check(rep["mode"] == "pki" and not [f for f in rep["findings"] if f["severity"] == "error"],
          "the report of a modern PKI has no errors: %s" % r.ids())
    # The empty password opens the .p12.
    p12 = subprocess.run(["openssl", "pkcs12", "-in", d + "/client/client.p12", "-passin", "pass:",
                          "-nokeys"], capture_output=True, text=True)
    check(p12.returncode == 0 and "CN = device 7" in p12.stdout, "client.p12: %s" % p12.stderr)


@scenario
def modern_pki_refuses_overwrite_and_protects_p12():
    d, _ = pki("again")
    before = open(d + "/ca/ca.crt").read()
    r = tlsscope(["pki", d])
    check(r.rc == 2 and "--force" in r.err and len(r.err.strip().splitlines()) == 1, r.err)
    check(open(d + "/ca/ca.crt").read() == before, "nothing overwritten")
    pw = path("p12pass")
    with open(pw, "w") as f:
        f.write("hunter2\n")
    r = tlsscope(["pki", d, "--force", "--password-file", pw])
    check(r.rc == 0 and open(d + "/ca/ca.crt").read() != before, "--force overwrites")
    check("hunter2" not in r.out + r.err, "the password is not printed")
    ok = subprocess.run(["openssl", "pkcs12", "-in", d + "/client/client.p12", "-passin",
                         "pass:hunter2", "-nokeys"], capture_output=True, text=True)
    check(ok.returncode == 0, "the .p12 opens with its password")
    bad = subprocess.run(["openssl", "pkcs12", "-in", d + "/client/client.p12", "-passin",
                          "pass:", "-nokeys"], capture_output=True, text=True)
    check(bad.returncode != 0, "and not without it")
    nested = path("not/yet/there")
    r = tlsscope(["pki", nested])
    check(r.rc == 0 and os.path.exists(nested + "/ca/ca.crt"), "parents are made: %r" % r.err)
    r = tlsscope(["pki", d + "/x", "--server-name", "bad name"])
    check(r.rc == 2 and "bad name" in r.err, r.err)


@scenario
def modern_pki_accepted_by_real_peers():
    d, _ = pki("peers")
    ca_, srv, cl = d + "/ca/ca.crt", (d + "/server/server.crt", d + "/server/server.key"), \
        (d + "/client/client.crt", d + "/client/client.key")
    # As the server identity, with the generated client identity, for nginx, openssl and Python.
    port = nginx(*srv, ca_file=ca_)
    out = subprocess.run(["curl", "-s", "--max-time", "10", "--cacert", ca_, "--cert", cl[0],
                          "--key", cl[1], "https://localhost:%d/" % port], capture_output=True,
                         text=True)
    check(out.stdout.strip() == "ok", "nginx + curl: %r %r" % (out.stdout, out.stderr))
    port = openssl_server(*srv, ca_file=ca_, verify="require")
    r = tlsscope(["connect", "localhost:%d" % port, "--json", "--ca", ca_, "--no-system-trust",
                  "--cert", cl[0], "--key", cl[1]])
    check(r.rc == 0, "openssl s_server -Verify: %s" % r.ids())
    port = python_tls_server(*srv, ca_file=ca_, require=True)
    seed = path("client.py")
    with open(seed, "w") as f:
        f.write(textwrap.dedent("""
            import ssl, sys, urllib.request
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(sys.argv[2])
            ctx.load_cert_chain(sys.argv[3], sys.argv[4])
            print(urllib.request.urlopen('https://localhost:%s/' % sys.argv[1], context=ctx,
                                         timeout=10).read().decode())
            """))
    p = subprocess.run([PY, seed, str(port), ca_, cl[0], cl[1]], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0 and "Hello World!" in p.stdout,
          "Python ssl, both sides, hostname checked: %s" % p.stderr[-300:])


@scenario
def two_pkis_never_share_a_ca_name():
    """A server's acceptable-CA list names issuers: two PKIs whose CAs had one name made a
    client certificate from the wrong one look acceptable, so it was sent and refused."""
    def subject(p):
        return sh("openssl", "x509", "-in", p, "-noout", "-subject", "-nameopt",
                  "RFC2253").stdout.strip()
    a, _ = pki("site/pki")
    b, _ = pki("other/pki")
    sa, sb = subject(a + "/ca/ca.crt"), subject(b + "/ca/ca.crt")
    check(sa != sb, "distinct CA names: %s / %s" % (sa, sb))
    check(re.fullmatch(r"subject=CN=tlsscope CA pki [0-9a-f]{8}", sa), sa)
    # A server trusting A's CA; the client certificate of B: not sent, and said why.
    port = gnutls_serv(a + "/server/server.crt", a + "/server/server.key",
                       ca_file=a + "/ca/ca.crt", client_cert="require")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", a + "/ca/ca.crt",
                  "--no-system-trust", "--cert", b + "/client/client.crt", "--key",
                  b + "/client/client.key"])
    check(r.rc == 1 and "client-cert-ca-not-accepted" in r.ids(), r.ids())
    # --ca-name names it; --legacy keeps the tutorial's name unless it is given.
    c, _ = pki("named", "--ca-name", "Lab Root 2026")
    check(subject(c + "/ca/ca.crt") == "subject=CN=Lab Root 2026", subject(c + "/ca/ca.crt"))
    legacy, _ = pki("legacy-name", "--legacy")
    check(subject(legacy + "/ca/ca.crt") == "subject=O=TLS Project Dodgy Certificate Authority",
          subject(legacy + "/ca/ca.crt"))


@scenario
def legacy_pki_matches_the_tutorial():
    d, r = pki("legacy", "--legacy", "--server-name", "192.168.111.100")
    ref = legacy_pki(server_cn="192.168.111.100", client_cn="192.168.111.101")
    for who in ("ca", "server", "client"):
        ours = x509_text("%s/%s/%s.crt" % (d, who, who))
        theirs = x509_text(ref[who][0])
        for pattern in (r"Public-Key: \(\d+ bit\)", r"Signature Algorithm: \S+",
                        r"Version: \d", r"Subject: .*", r"Issuer: .*"):
            a, b = re.search(pattern, ours), re.search(pattern, theirs)
            check(a and b and a.group(0) == b.group(0),
                  "%s %s: ours %r, the tutorial's %r" % (who, pattern, a and a.group(0),
                                                       b and b.group(0)))
        check("X509v3 extensions" not in ours, "%s: no extensions" % who)
        days = sh("openssl", "x509", "-in", "%s/%s/%s.crt" % (d, who, who), "-noout", "-dates")
        check(days.returncode == 0, "dates")
    ids = set(r.ids())
    check({"weak-key", "insecure-signature", "cn-only-no-san", "v1-certificate"} <= ids, ids)
    text = tlsscope(["pki", path("legacy2"), "--legacy"]).out
    check("OpenSSL-based peers" in text, "the lesson is said")
    # The lesson: Python's ssl, at its default security level, refuses the legacy identity.
    p = subprocess.run([PY, "-c", "import ssl,sys; c=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); "
                        "c.load_cert_chain(sys.argv[1], sys.argv[2])",
                        d + "/server/server.crt", d + "/server/server.key"],
                       capture_output=True, text=True)
    check(p.returncode != 0 and "too small" in p.stderr, "OpenSSL refuses it: %r" % p.stderr[-200:])


@scenario
def inspect_every_file_type():
    d, _ = pki("files")
    k = key("csrkey")
    csr = path("req.csr")
    sh("openssl", "req", "-new", "-key", k, "-subj", "/CN=request.example", "-out", csr)
    crl_file = path("list.crl")
    tmpl = path("crl.tmpl")
    with open(tmpl, "w") as f:
        f.write("crl_next_update = 30\ncrl_number = 7\n")
    sh("certtool", "--generate-crl", "--load-ca-privkey", d + "/ca/ca.key", "--load-ca-certificate",
       d + "/ca/ca.crt", "--load-certificate", d + "/client/client.crt", "--template", tmpl,
       "--outfile", crl_file)
    bundle_file = bundle("srvchain", d + "/server/server.crt", d + "/ca/ca.crt")
    junk = path("junk.bin")
    with open(junk, "wb") as f:
        f.write(b"\x00\x01 not a certificate\n")
    files = [bundle_file, d + "/certDER/client.der", d + "/server/server.key",
             d + "/client/client.p12", csr, crl_file]
    r = tlsscope(["inspect", "--json"] + files)
    check(r.rc == 0, "exit 0: %d %s %s" % (r.rc, r.ids(), r.err))
    types = [f["type"] for f in r.report["files"]]
    check(types == ["chain", "certificate", "key", "pkcs12", "csr", "crl"], types)
    # A file that is none of those is an input error, not a line in a report that says OK.
    bad = tlsscope(["inspect", "--json"] + files + [junk])
    check(bad.rc == 2 and bad.out == "" and "junk.bin" in bad.err, "junk: %d %r" % (bad.rc, bad.err))
    check(r.report["chain_complete"] is True and len(r.report["chains"]) == 2,
          "two leaves, each with its path to the CA: %s" % r.report["chains"])
    check(len(r.report["certificates"]) == 3, "the same certificate from two files counts once")
    alone = tlsscope(["inspect", "--json", bundle_file])
    check(alone.report["chain_complete"] is True, "server + CA form a chain")
    keys = {os.path.basename(k_["path"]): k_ for k_ in r.report["keys"]}
    subjects = [c["subject"] for c in r.report["certificates"]]
    srv_index = subjects.index("CN=localhost")
    check(keys["server.key"]["matches_certificate"] == srv_index, "server key matches")
    check(keys["server.key"]["algorithm"] == "ECDSA" and keys["server.key"]["bits"] == 256, keys)
    body = "".join(open(d + "/server/server.key").read().splitlines()[1:-1])
    check(body[:40] not in r.out, "no key material printed")
    text = tlsscope(["inspect"] + files).out
    check("request for CN=request.example" in text and "1 revoked" in text, text[:600])
    # A key that belongs to no certificate, a wrong purpose, a foreign CA.
    other = key("stranger")
    r = tlsscope(["inspect", "--json", d + "/server/server.crt", other])
    check(r.report["keys"][0]["matches_certificate"] is None, "mismatch shown")
    r = tlsscope(["inspect", "--json", "--purpose", "client", d + "/server/server.crt"])
    check("wrong-purpose" in r.ids() and r.rc == 1, r.ids())
    foreign = ca("Foreign CA", file="foreign")
    r = tlsscope(["inspect", "--json", "--ca", foreign[0], d + "/server/server.crt"])
    check("untrusted-issuer" in r.ids() and r.rc == 1, r.ids())
    r = tlsscope(["inspect", "--json", "--ca", d + "/ca/ca.crt", d + "/server/server.crt"])
    check(r.rc == 0 and r.report["verification"]["trusted"], r.ids())


@scenario
def inspect_passwords_and_bad_input():
    d = path("secret")
    r = tlsscope(["pki", d, "--password-env", "P12PW"], env={"P12PW": "s3cret"})
    check(r.rc == 0, "pki with a .p12 password: %s" % r.err)
    wrong = path("wrong")
    with open(wrong, "w") as f:
        f.write("not it\n")
    for args, needle in (([d + "/client/client.p12", "--password-file", wrong], "wrong password"),
                         ([path("nope.pem")], "No such file"),
                         ([d], "directory")):
        r = tlsscope(["inspect"] + args)
        check(r.rc == 2 and needle in r.err and len(r.err.strip().splitlines()) == 1,
              "%s: %d %r" % (args, r.rc, r.err))
    r = tlsscope(["inspect", "--json", d + "/client/client.p12", "--password-env", "P12PW"],
                 env={"P12PW": "s3cret"})
    check(r.rc == 0 and r.report["files"][0]["type"] == "pkcs12", "opens with it: %s" % r.err)
    r = tlsscope(["inspect", d + "/client/client.p12"])
    check(r.rc == 2 and "has a password" in r.err, "no terminal, no password: %r" % r.err)


DEMO = {
    "ok": ([], []),
    "no-client-cert": (["client-cert-required"], ["client-sent-no-cert"]),
    "wrong-ca": (["client-cert-ca-not-accepted"], ["client-sent-no-cert"]),
    "expired": (["expired"], []),
    "hostname-mismatch": (["hostname-mismatch"], []),
    # The listener refuses the legacy client certificate with a 403 that names it.
    "legacy-tutorial": (["weak-key", "insecure-signature", "hostname-mismatch", "cn-only-no-san",
                         "ip-not-in-san", "client-cert-rejected"],
                        ["weak-key", "insecure-signature"]),
    "serial-not-allowed": (["client-cert-rejected"], ["client-serial-not-allowed"]),
    "tls-version-mismatch": (["protocol-version-mismatch"], ["protocol-version-mismatch"]),
}


@scenario
def demo_every_scenario():
    tmp = path("demo-tmp")
    os.makedirs(tmp)
    for name, (want_client, want_listener) in DEMO.items():
        r = tlsscope(["demo", "--scenario", name, "--json"], env={"TMPDIR": tmp})
        check(isinstance(r.report, list) and len(r.report) == 2, "%s: two reports" % name)
        c, l = r.report
        check(c["mode"] == "connect" and l["mode"] == "listen", "client first, then listener")
        for side, rep, want in (("client", c, want_client), ("listener", l, want_listener)):
            got = {f["id"] for f in rep["findings"] if f["severity"] == "error"}
            check(got == set(want), "%s %s: want %s, got %s" % (name, side, want, sorted(got)))
        check(r.rc == (0 if name == "ok" else 1), "%s: exit %d" % (name, r.rc))
        if name == "ok":
            check(c["client_auth"]["certificate"]["sha256"] == l["peer_chain"][0]["sha256"],
                  "both sides saw the same client certificate")
        if name == "legacy-tutorial":
            check("v1-certificate" in {f["id"] for f in c["findings"]}, "v1 warning")
        check(os.listdir(tmp) == [], "%s: the temporary PKI is gone: %s" % (name, os.listdir(tmp)))
    t = tlsscope(["demo"])
    check(t.rc == 0 and "the client's view" in t.out and "the listener's view" in t.out, t.out[:300])
    bad = tlsscope(["demo", "--scenario", "nonsense"])
    check(bad.rc == 2 and "no-client-cert" in bad.err, bad.err)



if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
