"""Every certificate of a chain is judged, the trust anchor the server does not send included:
chains built to break one rule each (keyUsage without keyCertSign, pathLenConstraint, name
constraints, an unknown critical extension, a weak or an expired anchor), served by openssl
s_server, and refused by the real clients (openssl s_client -verify_return_error, Python's ssl,
gnutls-cli, curl) beside tlsscope, whose finding must name the same cause."""
import datetime
import ipaddress
import os
import ssl
import socket
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import (Failure, bundle, check, end, main, openssl_server, path, registry, sh,  # noqa
                   spawn_tlsscope, free_port, wait_port, tlsscope, PY, WORK)

warnings.filterwarnings("ignore")  # cryptography warns when asked for SHA-1, which we want
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

SCENARIOS, scenario = registry()
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def make(name, cn, signer=None, ca=False, pathlen=None, key_kind="ec", hash_=hashes.SHA256,
         cert_sign=True, permitted=None, days=(-1, 200), crit_oid=None, ca_eku=None):
    """One certificate (and its key) under WORK: name.crt, name.key. signer: (cert, key)."""
    k = (rsa.generate_private_key(65537, int(key_kind[3:])) if key_kind.startswith("rsa")
         else ec.generate_private_key(ec.SECP256R1()))
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    iss_name, iss_key = (signer[0].subject, signer[1]) if signer else (subj, k)
    b = (x509.CertificateBuilder().subject_name(subj).issuer_name(iss_name)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW + days[0] * DAY).not_valid_after(NOW + days[1] * DAY)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), False))
    if signer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            iss_key.public_key()), False)
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, encipher_only=False, decipher_only=False)
    if ca:
        b = b.add_extension(x509.BasicConstraints(True, pathlen), True)
        b = b.add_extension(x509.KeyUsage(digital_signature=not cert_sign,
                                          key_cert_sign=cert_sign, crl_sign=cert_sign,
                                          **usage), True)
        if ca_eku:
            b = b.add_extension(x509.ExtendedKeyUsage(ca_eku), False)
        if permitted:
            b = b.add_extension(x509.NameConstraints([x509.DNSName(p) for p in permitted],
                                                     None), True)
    else:
        b = b.add_extension(x509.BasicConstraints(False, None), True)
        b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                          crl_sign=False, **usage), True)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False)
    if crit_oid:
        b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(crit_oid),
                                                       b"\x05\x00"), True)
    c = b.sign(iss_key, hash_())
    with open(path(name + ".crt"), "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(path(name + ".key"), "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    os.chmod(path(name + ".key"), 0o600)
    return c, k


def files(name):
    return path(name + ".crt"), path(name + ".key")


# ---------------- the real clients ----------------

def openssl_client(port, ca):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost", "-verify_hostname", "localhost",
                        "-CAfile", ca, "-verify_return_error"],
                       input="", capture_output=True, text=True, timeout=20)
    return p.returncode == 0, p.stdout + p.stderr


def python_client(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="localhost"):
                return True, ""
    except ssl.SSLError as e:
        return False, str(e)


def python_client_subprocess(port, ca):
    """Debian's Python (its OpenSSL and security level), not the one running the tests."""
    code = ("import socket,ssl,sys\nctx=ssl.create_default_context(cafile=sys.argv[2])\n"
            "try:\n s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=10)\n"
            " ctx.wrap_socket(s,server_hostname='localhost')\nexcept ssl.SSLError as e:\n"
            " print(e); sys.exit(1)\n")
    p = subprocess.run([PY, "-c", code, str(port), ca], capture_output=True, text=True,
                       timeout=20)
    return p.returncode == 0, p.stdout + p.stderr


def gnutls_client(port, ca):
    p = subprocess.run(["gnutls-cli", "--x509cafile", ca, "--port", str(port),
                        "--sni-hostname", "localhost", "--verify-hostname", "localhost",
                        "127.0.0.1"], input="", capture_output=True, text=True, timeout=20)
    return p.returncode == 0, p.stdout + p.stderr


def curl_client(port, ca):
    p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "--cacert", ca, "--resolve",
                        "localhost:%d:127.0.0.1" % port, "https://localhost:%d/" % port],
                       capture_output=True, text=True, timeout=20)
    return p.returncode == 0, p.stdout + p.stderr


CLIENTS = {"openssl": openssl_client, "python": python_client_subprocess,
           "gnutls-cli": gnutls_client, "curl": curl_client}


def serve(leaf, chain=None):
    crt, k = files(leaf)
    extra = ["-cert_chain", chain if os.path.isabs(chain) else path(chain + ".crt")] \
        if chain else []
    return openssl_server(crt, k, extra=extra)


def judge(port, ca, finding, refusers, says, cert_index="any", severity="error"):
    """tlsscope and each real client in refusers on the same server and anchor: all refuse,
    tlsscope names finding (at cert_index, null for an anchor), its detail quotes what the
    clients say, and untrusted-issuer's generic advice is gone."""
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--verify-name", "localhost", "--ca", ca,
                  "--no-system-trust", "--json"])
    check(r.rc == 1, "tlsscope connect: exit %s, expected 1\n%s" % (r.rc, r.err))
    got = [f for f in r.report["findings"] if f["id"] == finding]
    check(got, "no %s among %s" % (finding, r.ids()))
    f = got[0]
    check(f["severity"] == severity, "%s has severity %s" % (finding, f["severity"]))
    if cert_index != "any":
        check(f["cert_index"] == cert_index, "%s at cert_index %r, expected %r" % (
            finding, f["cert_index"], cert_index))
    check(says in f["detail"], "%s's detail does not quote %r: %s" % (finding, says,
                                                                    f["detail"]))
    check("untrusted-issuer" not in r.ids(), "untrusted-issuer still given: %s" % r.ids())
    for name in refusers:
        ok, out = CLIENTS[name](port, ca)
        check(not ok, "%s accepted a chain tlsscope calls %s" % (name, finding))
        if name in ("openssl", "python"):
            check(says in out, "%s does not say %r: %s" % (name, says, out[-600:]))
    return r


def root():
    return make("root", "Checks Root CA", ca=True)


@scenario
def keyusage_without_keycertsign_is_not_a_ca_like_openssl_says():
    i = make("int", "No KeyCertSign CA", root(), ca=True, cert_sign=False)
    make("leaf", "localhost", i)
    port = serve("leaf", "int")
    r = judge(port, path("root.crt"), "not-a-ca", CLIENTS,
              "invalid CA certificate", cert_index=1)
    f = [f for f in r.report["findings"] if f["id"] == "not-a-ca"][0]
    check("keyUsage" in f["detail"] and "keyCertSign" in f["fix"], "not-a-ca: %s" % f)


@scenario
def anchor_pathlen_zero_above_an_intermediate_is_path_length_exceeded():
    r0 = make("root", "Pathlen Zero Root", ca=True, pathlen=0)
    i = make("int", "Below Pathlen Zero", r0, ca=True)
    make("leaf", "localhost", i)
    port = serve("leaf", "int")
    r = judge(port, path("root.crt"), "path-length-exceeded", CLIENTS,
              "path length constraint exceeded", cert_index=None)
    f = [f for f in r.report["findings"] if f["id"] == "path-length-exceeded"][0]
    sha = sh("openssl", "x509", "-in", path("root.crt"), "-noout", "-fingerprint",
             "-sha256").stdout.split("=")[1].strip().replace(":", "").lower()
    check("CN=Pathlen Zero Root" in f["detail"] and sha in f["detail"],
          "the anchor is not named by subject and sha256: %s" % f["detail"])


@scenario
def sent_intermediate_pathlen_zero_is_path_length_exceeded_at_its_index():
    i1 = make("int1", "Pathlen Zero Intermediate", root(), ca=True, pathlen=0)
    i2 = make("int2", "Second Intermediate", i1, ca=True)
    make("leaf", "localhost", i2)
    port = serve("leaf", bundle("chain", path("int2.crt"), path("int1.crt")))
    judge(port, path("root.crt"), "path-length-exceeded", CLIENTS,
          "path length constraint exceeded", cert_index=2)


@scenario
def leaf_outside_permitted_names_is_name_constraint_violated():
    i = make("int", "Example Only CA", root(), ca=True, permitted=["example.com"])
    make("leaf", "localhost", i)
    port = serve("leaf", "int")
    judge(port, path("root.crt"), "name-constraint-violated", CLIENTS,
          "permitted subtree violation", cert_index=1)


@scenario
def unknown_critical_extension_is_named_like_openssl_says():
    make("leaf", "localhost", root(), crit_oid="1.3.6.1.4.1.55555.1")
    port = serve("leaf")
    judge(port, path("root.crt"), "unknown-critical-extension", CLIENTS,
          "unhandled critical extension", cert_index=0)


@scenario
def weak_sha1_anchor_is_weak_key_with_null_index_not_insecure_signature():
    w = make("root", "Weak Legacy Root", ca=True, key_kind="rsa1024", hash_=hashes.SHA1)
    make("leaf", "localhost", w)
    port = serve("leaf")
    # GnuTLS checks no key size: only the OpenSSL-based clients refuse it.
    r = judge(port, path("root.crt"), "weak-key", ("openssl", "python", "curl"),
              "CA certificate key too weak", cert_index=None)
    check("insecure-signature" not in r.ids(),
          "a self-signed anchor's SHA-1 self-signature counted: %s" % r.ids())
    ok, _ = gnutls_client(port, path("root.crt"))
    check(ok, "gnutls-cli refused the weak anchor: the detail's 'GnuTLS may accept' is wrong")


@scenario
def expired_anchor_is_anchor_expired_in_connect():
    e = make("root", "Expired Root", ca=True, days=(-400, -10))
    make("leaf", "localhost", e, days=(-20, 100))
    port = serve("leaf")
    r = judge(port, path("root.crt"), "anchor-expired", CLIENTS, "certificate has expired",
              cert_index=None)
    check("expired" not in r.ids(), "the anchor also called expired: %s" % r.ids())


@scenario
def modern_pki_has_none_of_these_findings_and_every_client_accepts():
    d = path("pki")
    rc = subprocess.run([os.environ["TLSSCOPE"], "pki", d, "--batch"], capture_output=True,
                        env=dict(os.environ, HOME=WORK)).returncode
    check(rc == 0, "tlsscope pki: exit %d" % rc)
    ca = os.path.join(d, "ca", "ca.crt")
    port = openssl_server(os.path.join(d, "server", "server.crt"),
                          os.path.join(d, "server", "server.key"))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--verify-name", "localhost", "--ca", ca,
                  "--no-system-trust", "--json"])
    check(r.rc == 0 and not [i for i in r.ids() if i != "client-cert-requested"],
          "modern pki: exit %d, %s" % (r.rc, r.ids()))
    for name, fn in CLIENTS.items():
        ok, out = fn(port, ca)
        check(ok, "%s refused the modern pki: %s" % (name, out[-400:]))


@scenario
def inspect_bundle_of_roots_gives_expired_root_anchor_expired_warning():
    ok_root = make("root", "Current Root", ca=True)
    make("old", "Expired Root", ca=True, days=(-400, -10))
    other = make("other", "Another Root", ca=True)
    del ok_root, other
    b = bundle("roots", path("root.crt"), path("old.crt"), path("other.crt"))
    r = tlsscope(["inspect", b, "--json"])
    check(r.rc == 0, "a bundle of roots with one expired: exit %d, %s" % (r.rc, r.ids()))
    got = [f for f in r.report["findings"] if f["id"] == "anchor-expired"]
    check(got and got[0]["severity"] == "warning" and "Expired Root" in got[0]["detail"]
          and "expired" not in r.ids() and "renew" not in got[0]["fix"].lower(),
          "bundle of roots: %s" % r.report["findings"])
    # The same root at the top of a chain it signed fails that chain: an error.
    make("leaf", "localhost", None)
    e = make("old2", "Expired Root Two", ca=True, days=(-400, -10))
    make("leaf2", "localhost", e, days=(-20, 100))
    r = tlsscope(["inspect", path("leaf2.crt"), path("old2.crt"), "--json"])
    got = [f for f in r.report["findings"] if f["id"] == "anchor-expired"]
    check(r.rc == 1 and got and got[0]["severity"] == "error", "chain: %s" % r.ids())
    ok, out = openssl_verify(path("old2.crt"), path("leaf2.crt"))
    check(not ok and "certificate has expired" in out, "openssl verify: %s" % out)


@scenario
def inspect_pki_output_is_one_chain_per_leaf_to_its_ca():
    """Everything `tlsscope pki` writes (CA, server and client certificates, keys, DER copies,
    the PKCS#12) is two chains, one per leaf, both ending at the CA: complete. A leaf whose
    issuer is not among the files leaves its own chain open, and the text names it."""
    d = path("pki")
    rc = subprocess.run([os.environ["TLSSCOPE"], "pki", d, "--batch"], capture_output=True,
                        env=dict(os.environ, HOME=WORK)).returncode
    check(rc == 0, "tlsscope pki: exit %d" % rc)
    written = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(d) for f in fs)
    check(any(f.endswith(".p12") for f in written) and any(f.endswith(".der") for f in written),
          "pki wrote %s" % written)
    r = tlsscope(["inspect", "--json"] + written)
    check(r.rc == 0 and not r.ids(), "inspect: exit %d, %s %s" % (r.rc, r.ids(), r.err))
    certs = [c["subject"] for c in r.report["certificates"]]
    ca = next(i for i, c in enumerate(r.report["certificates"]) if c["self_signed"])
    chains = r.report["chains"]
    check(r.report["chain_complete"] is True and len(chains) == 2 and
          all(c["complete"] and c["top"] == ca and c["length"] == 2 for c in chains) and
          sorted(certs[c["leaf"]] for c in chains) == ["CN=localhost", "CN=tlsscope client"],
          "chains %s over %s" % (chains, certs))
    t = tlsscope(["inspect"] + written)
    check("complete: each leaf to a self-signed root" in t.out, t.out[-800:])
    # A leaf from elsewhere: its chain stops short, the other two stay complete.
    make("stray", "stray leaf", make("elsewhere", "Elsewhere CA", ca=True))
    r = tlsscope(["inspect", "--json", path("stray.crt")] + written)
    chains = r.report["chains"]
    names = [c["subject"] for c in r.report["certificates"]]
    open_ = [c for c in chains if not c["complete"]]
    check(r.report["chain_complete"] is False and len(chains) == 3 and len(open_) == 1 and
          names[open_[0]["leaf"]] == "CN=stray leaf", "with a stray leaf: %s" % chains)
    t = tlsscope(["inspect", path("stray.crt")] + written)
    check("CN=stray leaf stops at" in t.out and "CN=Elsewhere CA" in t.out, t.out[-800:])


@scenario
def anchor_with_client_auth_eku_only_is_wrong_purpose_for_openssl_clients_not_gnutls():
    """A root whose extendedKeyUsage allows clientAuth only, above a serverAuth leaf: run here,
    openssl s_client, Python's ssl and curl refuse it ("unsuitable certificate purpose"),
    gnutls-cli accepts it. So wrong-purpose with cert_index null, and only the OpenSSL-based
    profiles reject."""
    r = make("root", "Client-Only Root", ca=True, ca_eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    make("leaf", "localhost", r)
    port = serve("leaf")
    rep = judge(port, path("root.crt"), "wrong-purpose", ("openssl", "python", "curl"),
                "unsuitable certificate purpose", cert_index=None).report
    ok, out = gnutls_client(port, path("root.crt"))
    check(ok, "gnutls-cli refused the root: %s" % out[-400:])
    verdicts = {c["id"]: c["verdict"] for c in rep["clients"]}
    check(all(verdicts[c] == "reject" for c in ("openssl", "python", "curl", "node")) and
          verdicts["gnutls"] == "accept", "verdicts: %s" % verdicts)


@scenario
def anchor_keyusage_without_keycertsign_is_not_a_ca_with_null_index():
    """A root whose keyUsage lacks keyCertSign: openssl s_client, Python's ssl, gnutls-cli and
    curl all refuse it (OpenSSL: "invalid CA certificate"), and every profile rejects."""
    r = make("root", "No KeyCertSign Root", ca=True, cert_sign=False)
    make("leaf", "localhost", r)
    port = serve("leaf")
    rep = judge(port, path("root.crt"), "not-a-ca", CLIENTS, "invalid CA certificate",
                cert_index=None).report
    check(all(c["verdict"] == "reject" for c in rep["clients"]),
          [(c["id"], c["verdict"]) for c in rep["clients"]])


def openssl_verify(ca, leaf):
    p = subprocess.run(["openssl", "verify", "-CAfile", ca, leaf], capture_output=True,
                       text=True)
    return p.returncode == 0, p.stdout + p.stderr


@scenario
def listen_judges_its_own_weak_certificate_and_names_it_when_python_refuses():
    import json
    make("leaf", "localhost", None, key_kind="rsa1024")  # self-signed RSA-1024, no CA flag
    crt, k = files("leaf")
    port = free_port()
    p = spawn_tlsscope(["listen", "127.0.0.1:%d" % port, "--cert", crt, "--key", k, "--json",
                        "--count", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    check(wait_port(port, proc=p), "listener did not start")
    ok, says = python_client_subprocess(port, crt)
    check(not ok and "EE certificate key too weak" in says, "Python: %r" % says)
    rc = p.wait(timeout=20)
    out, err = p.stdout.read(), p.stderr.read()
    check(rc == 1, "listen --count 1: exit %s" % rc)
    warn = [l for l in err.splitlines() if l.startswith("tlsscope: warning:")]
    check(len(warn) == 1 and "weak-key" in warn[0], "no weak-key warning line: %r" % err)
    lines = [l for l in out.splitlines() if l.strip()]
    check(len(lines) == 1, "one JSON object per connection on stdout: %r" % out[:300])
    r = json.loads(lines[0])
    from peers import validate
    validate(r)
    ids = [f["id"] for f in r["findings"]]
    weak = [f for f in r["findings"] if f["id"] == "weak-key"]
    check(weak and weak[0]["subject"] == "server-chain" and weak[0]["cert_index"] is None,
          "weak-key of the listener's chain: %s" % r["findings"])
    check("EE certificate key too weak" in weak[0]["detail"], weak[0]["detail"])
    alert = [f for f in r["findings"] if f["id"] == "alert-received"]
    check(alert and "weak-key" in alert[0]["detail"] and "CA" not in alert[0]["fix"]
          and "2048" in alert[0]["fix"], "the client's refusal is not tied to the key: %s" % ids)


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
