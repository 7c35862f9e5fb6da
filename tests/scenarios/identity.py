"""Identities in every form against servers that require a client certificate, and the session
extras: key log, resumption. One scenario per meson test.

Usage: identity.py SCENARIO | --list"""
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()


def sha256_of(crt):
    out = sh("openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256").stdout
    return out.split("=", 1)[1].strip().replace(":", "").lower()


def write(name, text):
    p = path(name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o600)
    return p


def forms(root):
    """Every way to hold the same client identity. Returns {name: (args, env)}."""
    crt, k = client(root, kind="rsa")
    pw = write("password.txt", "s3cret\n")
    der_crt, der_key = to_der(crt, k)
    sh("openssl", "pkcs8", "-topk8", "-in", k, "-passout", "pass:s3cret", "-out",
       path("client_p8enc.key"))
    sh("openssl", "rsa", "-in", k, "-traditional", "-out", path("client_pkcs1.key"))
    sh("certtool", "--to-p12", "--load-certificate", crt, "--load-privkey", k, "--p12-name",
       "client", "--password", "s3cret", "--outder", "--outfile", path("certtool.p12"))
    chain = bundle("client_chain", crt, root[0])
    sh("openssl", "pkcs12", "-export", "-in", chain, "-inkey", k, "-passout", "pass:s3cret",
       "-out", path("openssl.p12"))
    sh("openssl", "pkcs12", "-export", "-legacy", "-in", crt, "-inkey", k, "-passout",
       "pass:s3cret", "-out", path("legacy.p12"))
    sh("openssl", "pkcs12", "-export", "-in", crt, "-inkey", k, "-passout", "pass:",
       "-out", path("empty.p12"))
    # An EC identity with a SEC1 ("EC PRIVATE KEY") key.
    sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
       path("sec1.key"))
    sec1_crt = path("sec1.crt")
    tmpl = write("sec1.tmpl", 'cn = "scenario client"\nsigning_key\ntls_www_client\n'
                              "expiration_days = 100\n")
    sh("certtool", "--generate-certificate", "--load-privkey", path("sec1.key"),
       "--load-ca-certificate", root[0], "--load-ca-privkey", root[1], "--template", tmpl,
       "--outfile", sec1_crt)
    env_pw = {"TLSSCOPE_TEST_PW": "s3cret"}
    return crt, {
        "pem": (["--cert", crt, "--key", k], None),
        "der": (["--cert", der_crt, "--key", der_key], None),
        "pkcs1": (["--cert", crt, "--key", path("client_pkcs1.key")], None),
        "pkcs8-encrypted": (["--cert", crt, "--key", path("client_p8enc.key"),
                             "--password-file", pw], None),
        "pkcs12-certtool": (["--p12", path("certtool.p12"), "--password-file", pw], None),
        "pkcs12-openssl-with-chain": (["--p12", path("openssl.p12"), "--password-env",
                                       "TLSSCOPE_TEST_PW"], env_pw),
        "pkcs12-openssl-legacy": (["--p12", path("legacy.p12"), "--password-file", pw], None),
        "pkcs12-empty-password": (["--p12", path("empty.p12")], None),
        "pkcs12-given-as-cert": (["--cert", path("certtool.p12"), "--password-file", pw], None),
    }, sec1_crt


def identity_matrix(server_kind):
    root = ca()
    if server_kind == "gnutls-serv":
        port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    else:
        port = openssl_server(*server(root), ca_file=root[0], verify="require")
    crt, cases, sec1_crt = forms(root)
    cases["sec1"] = (["--cert", sec1_crt, "--key", path("sec1.key")], None)
    want = {name: sha256_of(sec1_crt if name == "sec1" else crt) for name in cases}
    for name, (args, env) in cases.items():
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                      "--no-system-trust"] + args, env=env)
        check(r.rc == 0, "%s against %s: exit 0, got %d %s %s" % (name, server_kind, r.rc,
                                                                  r.ids(), r.err))
        ca_ = r.report["client_auth"]
        check(ca_["sent"] and ca_["certificate"]["sha256"] == want[name],
              "%s: the right client certificate was sent" % name)


@scenario
def identities_against_gnutls_serv():
    identity_matrix("gnutls-serv")


@scenario
def identities_against_openssl_verify():
    identity_matrix("openssl")


@scenario
def identity_errors():
    root = ca()
    crt, cases, _ = forms(root)
    wrong = write("wrong.txt", "nope\n")
    other_key = key("other")
    bad = [
        (["--p12", path("certtool.p12")], "has a password"),
        (["--p12", path("certtool.p12"), "--password-file", wrong], "wrong password"),
        (["--cert", crt, "--key", path("client_p8enc.key")], "encrypted"),
        (["--cert", crt, "--key", path("client_p8enc.key"), "--password-file", wrong],
         "wrong password"),
        (["--cert", crt, "--key", other_key], "does not belong"),
        (["--cert", crt, "--key", crt], "not a private key"),
        (["--cert", crt, "--key", path("certtool.p12")], "--p12"),
        (["--cert", path("client_p8enc.key"), "--key", path("client_pkcs1.key")],
         "not a certificate"),
        (["--cert", crt], "--key"),
        (["--p12", path("password.txt")], "not a certificate"),
        (["--p12", path("certtool.p12"), "--password-env", "TLSSCOPE_NO_SUCH_VAR"],
         "not set"),
        (["--p12", path("certtool.p12"), "--cert", crt], "--p12"),
        (["--cert", "pkcs11:token=no-such-token;object=x;type=cert", "--key",
          "pkcs11:token=no-such-token;object=x;type=private"], "PKCS#11"),
    ]
    for args, needle in bad:
        r = tlsscope(["connect", "127.0.0.1:9", "--json"] + args)
        lines = r.err.strip().splitlines()
        check(r.rc == 2 and len(lines) == 1 and needle in lines[0],
              "%s: exit 2 and one line about %r; got %d %r" % (args, needle, r.rc, r.err))
        check("s3cret" not in r.err and "nope" not in r.err, "no password in messages")


def softhsm_token(root):
    """A SoftHSM2 token made here, with the client's key and certificate imported by p11tool."""
    d = path("softhsm")
    os.makedirs(os.path.join(d, "tokens"))
    conf = os.path.join(d, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write("directories.tokendir = %s/tokens\nobjectstore.backend = file\n" % d)
    env = dict(os.environ, SOFTHSM2_CONF=conf, GNUTLS_PIN="4321", GNUTLS_SO_PIN="87654321")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "scenario", "--pin",
                    "4321", "--so-pin", "87654321"], check=True, capture_output=True, env=env)
    crt, k = client(root)
    for what in (["--load-privkey", k], ["--load-certificate", crt]):
        subprocess.run(["p11tool", "--login", "--write", "--label", "client"] + what
                       + ["pkcs11:token=scenario"], check=True, capture_output=True, env=env)
    return crt, {"SOFTHSM2_CONF": conf}


URI = "pkcs11:token=scenario;object=client;type="


@scenario
def pkcs11_token_in_connect_and_listen():
    root = ca()
    crt, env = softhsm_token(root)
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    pin = write("pin.txt", "4321\n")
    base = ["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0], "--no-system-trust"]
    for args in (["--cert", URI + "cert", "--key", URI + "private", "--password-file", pin],
                 ["--cert", URI + "cert", "--key", URI + "private?pin-value=4321"]):
        r = tlsscope(base + args, env=env)
        check(r.rc == 0 and r.report["client_auth"]["certificate"]["sha256"] == sha256_of(crt),
              "token identity %s: %d %s %s" % (args[-1], r.rc, r.ids(), r.err))
    r = tlsscope(base + ["--cert", URI + "cert", "--key", URI + "private"], env=env)
    check(r.rc == 2 and "PIN" in r.err, "no PIN: one clear line: %r" % r.err)
    # The listener's own identity from the token.
    lport = free_port()
    srv_crt, srv_key = server(root)
    d = path("softhsm")
    penv = dict(os.environ, SOFTHSM2_CONF=env["SOFTHSM2_CONF"], GNUTLS_PIN="4321")
    for what in (["--load-privkey", srv_key], ["--load-certificate", srv_crt]):
        subprocess.run(["p11tool", "--login", "--write", "--label", "server"] + what
                       + ["pkcs11:token=scenario"], check=True, capture_output=True, env=penv)
    lst = spawn_tlsscope(["listen", "127.0.0.1:%d" % lport, "--cert",
                          "pkcs11:token=scenario;object=server;type=cert", "--key",
                          "pkcs11:token=scenario;object=server;type=private",
                          "--password-file", pin, "--json", "--count", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    check(wait_port(lport, proc=lst), "listener with a token identity starts: %s" % d)
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % lport, "-CAfile",
                          root[0], "-verify_return_error"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=20).stdout
    check("Verify return code: 0" in out, "the client trusts the token's certificate")
    o, e = lst.communicate(timeout=20)
    check_status(lst.returncode, "tlsscope listen --count 1", allowed=(0,), err=e)
    check('"verdict":"ok"' in o, "listener report: %r %r" % (o, e))


def keylog_lines(p):
    with open(p) as f:
        return [l.split() for l in f.read().splitlines() if l.strip()]


@scenario
def keylog_tls13_and_tls12():
    root = ca()
    port = gnutls_serv(*server(root))
    kl = path("keys.log")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust", "--keylog", kl])
    check(r.rc == 0 and r.report["keylog"]["path"] == kl, "report names the key log")
    check(stat.S_IMODE(os.stat(kl).st_mode) == 0o600, "key log is 0600")
    lines = keylog_lines(kl)
    labels = {l[0] for l in lines}
    for want in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                 "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
        check(want in labels, "%s in %s" % (want, labels))
    check(all(len(l) == 3 and re.fullmatch("[0-9a-f]{64}", l[1]) and
              re.fullmatch("[0-9a-f]{64,96}", l[2]) for l in lines), "NSS format")
    check(len({l[1] for l in lines}) == 1, "one client random for one connection")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust", "--keylog", kl, "--tls-max", "1.2"])
    tls12 = [l for l in keylog_lines(kl) if l[0] == "CLIENT_RANDOM"]
    check(len(tls12) == 1 and re.fullmatch("[0-9a-f]{96}", tls12[0][2]), "TLS 1.2 master secret")
    # GnuTLS's own SSLKEYLOGFILE keeps working beside it.
    env_log = path("env.log")
    tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0], "--no-system-trust"],
             env={"SSLKEYLOGFILE": env_log})
    check(os.path.exists(env_log) and keylog_lines(env_log), "SSLKEYLOGFILE honoured")


def resumes(port, root, *extra):
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--ca", root[0],
                  "--no-system-trust", "--resume"] + list(extra))
    res = r.report["resumption"]
    check(r.rc == 0, "exit 0: %s" % r.ids())
    check(res["status"] == "complete" and res["resumed"] is True, "resumed: %s" % res)
    # The first handshake is a full one: only the second is resumed.
    check(r.report["negotiated"]["resumed"] is False, "first handshake not resumed")
    types = [s["type"] for s in res["steps"]]
    check("Certificate" not in types and "ClientHello" in types, "abbreviated: %s" % types)
    return r


@scenario
def resumption_gnutls_and_openssl():
    root = ca()
    port = gnutls_serv(*server(root))
    resumes(port, root)
    resumes(port, root, "--tls-max", "1.2")
    oport = openssl_server(*server(root))
    resumes(oport, root)
    resumes(oport, root, "--tls-max", "1.2")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--batch", "--ca", root[0],
                  "--no-system-trust", "--resume"])
    check("Resumption (second connection)" in r.out and "resumed         yes" in r.out, r.out)



if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
