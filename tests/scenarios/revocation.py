"""Revocation against real peers: stapled OCSP responses served by gnutls-serv
(--ocsp-response) and openssl s_server (-status_file), made by openssl ocsp from an index.txt
CA database; a real OCSP responder (openssl ocsp -port) for --ocsp; CRLs made by certtool,
openssl ca and python3-cryptography (for a nextUpdate already past); nginx refusing every
client behind an expired CRL; tlsscope listen --crl for client certificates."""
import datetime
import os
import select
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))
from peers import (GNUTLS_SERV_END, Failure, ca, cert, check, check_status, client, free_port,
                   main, path, registry, server, sh, spawn, spawn_tlsscope, staller, start, tlsscope,
                   wait_port, bundle, nginx_sites, nginx_tls_site, nginx_error_log)

SCENARIOS, scenario = registry()
FAR = "301231235959Z"  # index.txt expiry column: openssl ocsp does not use it for lookups


def serial_of(crt):
    return sh("openssl", "x509", "-in", crt, "-noout", "-serial").stdout.strip().split("=")[1]


def index(name, good=(), revoked=()):
    """An openssl ca database (index.txt) listing certificates as valid or revoked."""
    out = path(name + ".index")
    with open(out, "w") as f:
        for c in good:
            f.write("V\t%s\t\t%s\tunknown\t/CN=x\n" % (FAR, serial_of(c)))
        for c in revoked:
            f.write("R\t%s\t240101000000Z\t%s\tunknown\t/CN=x\n" % (FAR, serial_of(c)))
    return out


def staple(name, issuer, crt, idx, signer=None):
    """An OCSP response for crt made by openssl ocsp from idx, signed by signer (default the
    issuer)."""
    signer = signer or issuer
    req, resp = path(name + ".req"), path(name + ".der")
    sh("openssl", "ocsp", "-issuer", issuer[0], "-cert", crt, "-no_nonce", "-reqout", req)
    sh("openssl", "ocsp", "-index", idx, "-rsigner", signer[0], "-rkey", signer[1], "-CA",
       issuer[0], "-reqin", req, "-respout", resp, "-ndays", "1")
    return resp


def _crypto(issuer):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    data = open(issuer[1], "rb").read()
    k = serialization.load_pem_private_key(data[data.index(b"-----BEGIN"):], None)
    return x509.load_pem_x509_certificate(open(issuer[0], "rb").read()), k


def stale_staple(name, issuer, crt):
    """A good OCSP response whose nextUpdate is a day past (openssl ocsp cannot make one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    ica, k = _crypto(issuer)
    leaf = x509.load_pem_x509_certificate(open(crt, "rb").read())
    now = datetime.datetime.utcnow()
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf, issuer=ica, algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=now - datetime.timedelta(days=2), next_update=now - datetime.timedelta(days=1),
        revocation_time=None, revocation_reason=None).responder_id(
        ocsp.OCSPResponderEncoding.HASH, ica)
    out = path(name + ".der")
    with open(out, "wb") as f:
        f.write(b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return out


def expired_crl(name, issuer, *revoked):
    """A CRL whose nextUpdate is already past, as a forgotten renewal leaves it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    ica, k = _crypto(issuer)
    now = datetime.datetime.utcnow()
    b = x509.CertificateRevocationListBuilder().issuer_name(ica.subject).last_update(
        now - datetime.timedelta(days=10)).next_update(now - datetime.timedelta(days=1))
    for c in revoked:
        rc = x509.load_pem_x509_certificate(open(c, "rb").read())
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(
            rc.serial_number).revocation_date(now - datetime.timedelta(days=5)).build())
    out = path(name + ".crl")
    with open(out, "wb") as f:
        f.write(b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return out


def certtool_crl(name, issuer, *revoked, days=30):
    tmpl = path(name + ".crltmpl")
    with open(tmpl, "w") as f:
        f.write("crl_next_update = %d\ncrl_number = 1\n" % days)
    out = path(name + ".crl")
    args = ["certtool", "--generate-crl", "--load-ca-privkey", issuer[1],
            "--load-ca-certificate", issuer[0], "--template", tmpl, "--outfile", out]
    if revoked:
        b = path(name + ".revoked.pem")
        with open(b, "w") as f:
            for c in revoked:
                f.write(open(c).read())
        args += ["--load-certificate", b]
    sh(*args)
    return out


def openssl_crl(name, issuer, idx, hours):
    """openssl ca -gencrl -crlhours HOURS from an index.txt database."""
    cnf = path(name + ".cnf")
    with open(cnf, "w") as f:
        f.write(textwrap.dedent("""
            [ca]
            default_ca = d
            [d]
            database = %s
            default_md = sha256
            crlnumber = %s
            """) % (idx, path(name + ".crlnumber")))
    with open(path(name + ".crlnumber"), "w") as f:
        f.write("01\n")
    out = path(name + ".crl")
    sh("openssl", "ca", "-config", cnf, "-gencrl", "-crlhours", str(hours), "-keyfile",
       issuer[1], "-cert", issuer[0], "-out", out)
    return out


def pki(ocsp_port=None, must_staple=False, name="leaf"):
    root = ca("Revocation Root CA", "rca")
    extra = []
    if ocsp_port:
        extra.append('ocsp_uri = "http://127.0.0.1:%d/"' % ocsp_port)
    if must_staple:
        extra.append("tls_feature = 5")
    return root, server(root, extra=extra, name=name)


def gnutls_staple_server(leaf, resp=None):
    port = free_port()
    cmd = ["gnutls-serv", "-p", str(port), "--x509certfile", leaf[0], "--x509keyfile", leaf[1],
           "--http", "--disable-client-cert"]
    if resp:
        cmd += ["--ocsp-response", resp, "--ignore-ocsp-response-errors"]
    start(cmd, port, allowed=GNUTLS_SERV_END)
    return port


def openssl_staple_server(leaf, resp):
    port = free_port()
    start(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", leaf[0], "-key",
           leaf[1], "-www", "-status_file", resp], port)
    return port


def connect(port, root, *extra):
    return tlsscope(["connect", "127.0.0.1:%d" % port, "--no-system-trust", "--ca", root[0],
                     "--json"] + list(extra))


def rev(run, i=0):
    return run.report["revocation"][i]


def finding(run, fid):
    return [f for f in run.report["findings"] if f["id"] == fid]


def gnutls_cli_says(port, root):
    p = subprocess.run(["gnutls-cli", "--x509cafile", root[0], "-p", str(port), "127.0.0.1"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    return p.stdout + p.stderr


def s_client_status(port, root):
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile",
                        root[0], "-status"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    return p.stdout + p.stderr


# ---------------- stapled responses ----------------

@scenario
def staple_good_is_good():
    root, leaf = pki()
    resp = staple("good", root, leaf[0], index("good", good=[leaf[0]]))
    for port in (gnutls_staple_server(leaf, resp), openssl_staple_server(leaf, resp)):
        r = connect(port, root)
        check(r.rc == 0, "good staple: exit %d %s" % (r.rc, r.ids()))
        check(rev(r)["ocsp_stapled"] == "good", rev(r))
        check(r.report["negotiated"]["ocsp_stapled"] is True, r.report["negotiated"])
        check(rev(r)["staple"]["next_update"] is not None, rev(r))
        check("revoked" not in r.ids(), r.ids())


@scenario
def staple_revoked_gives_revoked():
    root, leaf = pki()
    resp = staple("revoked", root, leaf[0], index("revoked", revoked=[leaf[0]]))
    for port, peer in ((gnutls_staple_server(leaf, resp), "gnutls-serv"),
                       (openssl_staple_server(leaf, resp), "s_server")):
        r = connect(port, root)
        check(r.rc == 1 and r.report["verdict"] == "fail", "%s: exit %d" % (peer, r.rc))
        f = finding(r, "revoked")
        check(len(f) == 1 and f[0]["subject"] == "server-chain" and f[0]["cert_index"] == 0
              and "by the stapled OCSP response" in f[0]["detail"], "%s: %s" % (peer, f))
        check(rev(r)["ocsp_stapled"] == "revoked", rev(r))
        check(rev(r)["staple"]["revoked_at"] is not None, rev(r))
        # The tools' own clients say the same of the same staple.
        if peer == "gnutls-serv":
            out = gnutls_cli_says(port, root)
            check("revoked" in out.lower(), "gnutls-cli does not see it revoked: " + out[-500:])
        out = s_client_status(port, root)
        check("Cert Status: revoked" in out, "s_client -status: " + out[-800:])


@scenario
def staple_for_another_certificate_is_invalid():
    root, leaf = pki()
    other = server(root, name="other", dns=("other.example",))
    resp = staple("other", root, other[0], index("other", good=[other[0]]))
    r = connect(openssl_staple_server(leaf, resp), root)
    f = finding(r, "ocsp-staple-invalid")
    check(r.rc == 1 and f and "another certificate" in f[0]["detail"], "%s %s" % (r.ids(), f))
    check(rev(r)["ocsp_stapled"] == "invalid", rev(r))


@scenario
def staple_with_bad_signature_is_invalid():
    root, leaf = pki()
    stranger = ca("Unrelated CA", "stranger")
    resp = staple("badsig", root, leaf[0], index("badsig", good=[leaf[0]]), signer=stranger)
    for port in (openssl_staple_server(leaf, resp), gnutls_staple_server(leaf, resp)):
        r = connect(port, root)
        f = finding(r, "ocsp-staple-invalid")
        check(r.rc == 1 and f and "signature" in f[0]["detail"], "%s %s" % (r.ids(), f))
        check(rev(r)["ocsp_stapled"] == "invalid", rev(r))


@scenario
def staple_past_next_update_is_invalid():
    root, leaf = pki()
    resp = stale_staple("stale", root, leaf[0])
    r = connect(openssl_staple_server(leaf, resp), root)
    f = finding(r, "ocsp-staple-invalid")
    check(r.rc == 1 and f and "nextUpdate" in f[0]["detail"], "%s %s" % (r.ids(), f))
    check(rev(r)["ocsp_stapled"] == "invalid", rev(r))


@scenario
def must_staple_without_staple():
    root, leaf = pki(must_staple=True)
    r = connect(gnutls_staple_server(leaf), root)
    f = finding(r, "ocsp-must-staple-missing")
    check(r.rc == 1 and len(f) == 1 and f[0]["cert_index"] == 0, "%s" % r.ids())
    check(rev(r)["ocsp_stapled"] is None, rev(r))
    # With a good staple the same certificate is fine.
    resp = staple("ms", root, leaf[0], index("ms", good=[leaf[0]]))
    r = connect(gnutls_staple_server(leaf, resp), root)
    check(r.rc == 0 and "ocsp-must-staple-missing" not in r.ids(), r.ids())


@scenario
def no_staple_no_revocation_state():
    root, leaf = pki()
    r = connect(gnutls_staple_server(leaf), root)
    check(r.rc == 0, r.ids())
    check(r.report["revocation"] == [{"cert_index": 0, "crl": None, "ocsp_stapled": None,
                                      "ocsp_queried": None}], r.report["revocation"])


# ---------------- CRLs ----------------

@scenario
def crl_fresh_from_certtool_and_openssl():
    root, leaf = pki()
    port = gnutls_staple_server(leaf)
    fresh = [certtool_crl("ct", root, days=30),
             openssl_crl("os", root, index("os", good=[leaf[0]]), hours=48)]
    for c in fresh:
        r = connect(port, root, "--crl", c)
        check(r.rc == 0 and rev(r)["crl"] == "good", "%s: %s %s" % (c, r.ids(), rev(r)))
        check(r.report["crls"][0]["expired"] is False and r.report["crls"][0]["for_chain"],
              r.report["crls"])
    for c in (certtool_crl("ctr", root, leaf[0]),
              openssl_crl("osr", root, index("osr", revoked=[leaf[0]]), hours=48)):
        r = connect(port, root, "--crl", c)
        check(r.rc == 1 and rev(r)["crl"] == "revoked" and r.ids().count("revoked") == 1,
              "%s: %s %s" % (c, r.ids(), rev(r)))


@scenario
def crl_expired_connect():
    root, leaf = pki()
    r = connect(gnutls_staple_server(leaf), root, "--crl", expired_crl("old", root))
    f = finding(r, "crl-expired")
    check(r.rc == 1 and len(f) == 1 and f[0]["severity"] == "error", r.ids())
    check("nginx" in f[0]["detail"] and "refuses every certificate" in f[0]["detail"], f)
    check("untrusted-issuer" not in r.ids(), "the expired CRL is the whole story: %s" % r.ids())
    check(rev(r)["crl"] == "expired" and r.report["crls"][0]["expired"], rev(r))


@scenario
def crl_of_another_ca_is_not_for_chain():
    root, leaf = pki()
    stranger = ca("Unrelated CA", "stranger")
    r = connect(gnutls_staple_server(leaf), root, "--ca", stranger[0], "--crl",
                certtool_crl("stranger", stranger))
    f = finding(r, "crl-not-for-chain")
    check(r.rc == 0 and len(f) == 1 and f[0]["severity"] == "warning", r.ids())
    check(rev(r)["crl"] is None and r.report["crls"][0]["for_chain"] is False, rev(r))


def listen_once(root, leaf, crl_file, cl):
    port = free_port()
    p = spawn_tlsscope(["listen", "127.0.0.1:%d" % port, "--cert", leaf[0], "--key", leaf[1],
                        "--client-ca", root[0], "--client-cert", "require", "--crl", crl_file,
                        "--count", "1", "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    check(wait_port(port, proc=p), "tlsscope listen did not start")
    # A port check is not reported (DESIGN.md §1), so the next connection is the one.
    subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-cert", cl[0],
                    "-key", cl[1], "-CAfile", root[0]], capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=30)
    out, err = p.communicate(timeout=30)
    check_status(p.returncode, "tlsscope listen", allowed=(0, 1), err=err.decode())
    import json
    from peers import validate
    rep = json.loads(out.decode().strip().splitlines()[-1])
    validate(rep)
    return p.returncode, rep


@scenario
def listen_crl_revokes_client():
    root, leaf = pki()
    cl = client(root)
    rc, rep = listen_once(root, leaf, certtool_crl("cl", root, cl[0]), cl)
    f = [x for x in rep["findings"] if x["id"] == "revoked"]
    check(rc == 1 and len(f) == 1 and f[0]["subject"] == "client-chain", rep["findings"])
    check(rep["revocation"][0]["crl"] == "revoked", rep["revocation"])


@scenario
def listen_crl_expired():
    root, leaf = pki()
    cl = client(root)
    rc, rep = listen_once(root, leaf, expired_crl("lold", root), cl)
    ids = [x["id"] for x in rep["findings"]]
    check(rc == 1 and "crl-expired" in ids, ids)
    f = [x for x in rep["findings"] if x["id"] == "crl-expired"][0]
    check(f["subject"] == "client-chain" and "every client" in f["detail"], f)


def nginx_crl(leaf, root, crl_file):
    port = nginx_sites(nginx_tls_site(leaf[0], leaf[1], root[0], extra="ssl_crl %s;" % crl_file),
                       log_level="info")
    return port, nginx_error_log(port)


@scenario
def nginx_refuses_good_client_behind_expired_crl():
    root, leaf = pki()
    cl = client(root)
    # A fresh CRL that does not list the client: nginx lets it in.
    port, _ = nginx_crl(leaf, root, certtool_crl("ngood", root))
    r = connect(port, root, "--cert", cl[0], "--key", cl[1])
    check(r.rc == 0 and r.report["http"]["status_line"].split()[1] == "200", r.ids())
    # The same client behind an expired CRL: refused, and tlsscope says why.
    old = expired_crl("nold", root)
    port, log = nginx_crl(leaf, root, old)
    r = connect(port, root, "--cert", cl[0], "--key", cl[1])
    check(r.rc == 1 and r.report["http"]["status_line"].split()[1] == "400", r.report["http"])
    check("CRL has expired" in open(log).read(), "nginx's log does not say why")
    r = connect(port, root, "--cert", cl[0], "--key", cl[1], "--crl", old)
    check("crl-expired" in r.ids(), r.ids())


def haproxy_crl(leaf, root, crl_file):
    """HAProxy in the foreground (-db) terminating TLS with verify required and crl-file on the
    bind line, answering 200 itself; its port."""
    port = free_port()
    d = path("haproxy_%d" % port)
    os.makedirs(d)
    pem = os.path.join(d, "server.pem")
    with open(pem, "w") as f:
        f.write(open(leaf[0]).read() + open(leaf[1]).read())
    conf = os.path.join(d, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(textwrap.dedent("""
            global
              maxconn 64
            defaults
              mode http
              timeout connect 5s
              timeout client 5s
              timeout server 5s
            frontend tls
              bind 127.0.0.1:%(port)d ssl crt %(pem)s ca-file %(ca)s verify required crl-file %(crl)s
              http-request return status 200 content-type text/plain string ok
            """) % dict(port=port, pem=pem, ca=root[0], crl=crl_file))
    start(["haproxy", "-db", "-f", conf], port, allowed=(0, -15, 143))
    return port


@scenario
def haproxy_refuses_good_client_behind_expired_crl():
    root, leaf = pki()
    cl = client(root)
    port = haproxy_crl(leaf, root, certtool_crl("hgood", root))
    r = connect(port, root, "--cert", cl[0], "--key", cl[1], "--http")
    check(r.rc == 0 and r.report["client_auth"]["accepted"] is True and
          r.report["http"]["status_line"].split()[1] == "200", "%s %s" % (r.ids(), r.report["http"]))
    old = expired_crl("hold", root)
    port = haproxy_crl(leaf, root, old)
    for _ in range(3):  # every client, every time
        r = connect(port, root, "--cert", cl[0], "--key", cl[1], "--http")
        check(r.rc == 1 and r.report["client_auth"]["accepted"] is False,
              "HAProxy takes a client behind an expired CRL: %s" % r.ids())
    r = connect(port, root, "--cert", cl[0], "--key", cl[1], "--http", "--crl", old)
    f = finding(r, "crl-expired")
    check(f and "HAProxy" in f[0]["detail"], "%s %s" % (r.ids(), f))


# ---------------- --ocsp against openssl ocsp -port ----------------

def responder(root, idx, port):
    """openssl ocsp as a responder. It is not probed with a bare TCP connect as other peers
    are: OpenSSL 3.0's responder stops serving after a connection that sends nothing, so
    readiness is its own "ACCEPT" line, polled with a deadline. -port takes no address: it
    listens on every address of that ephemeral port, and is reached on 127.0.0.1."""
    p = spawn(["openssl", "ocsp", "-index", idx, "-port", str(port), "-rsigner", root[0],
               "-rkey", root[1], "-CA", root[0], "-ndays", "1"], "openssl ocsp",
              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end_at = time.monotonic() + 10
    seen = b""
    while time.monotonic() < end_at and b"ACCEPT" not in seen and p.poll() is None:
        ready, _, _ = select.select([p.stdout], [], [], max(0.0, end_at - time.monotonic()))
        if ready:
            seen += os.read(p.stdout.fileno(), 4096)
    check(b"ACCEPT" in seen, "openssl ocsp did not start: %r" % seen)


@scenario
def ocsp_query_good_revoked_unknown():
    port = free_port()
    root, leaf = pki(ocsp_port=port)
    other = server(root, name="other2", extra=['ocsp_uri = "http://127.0.0.1:%d/"' % port])
    gone = server(root, name="gone", extra=['ocsp_uri = "http://127.0.0.1:%d/"' % port])
    responder(root, index("resp", good=[leaf[0]], revoked=[gone[0]]), port)
    for crt, want, fid in ((leaf, "good", None), (gone, "revoked", "revoked"),
                           (other, "unknown", "ocsp-unknown")):
        r = connect(gnutls_staple_server(crt), root, "--ocsp")
        check(rev(r)["ocsp_queried"] == want, "%s: %s" % (want, rev(r)))
        check(rev(r)["responder"]["url"] == "http://127.0.0.1:%d/" % port, rev(r))
        if fid:
            f = finding(r, fid)
            check(len(f) == 1 and f[0]["cert_index"] == 0, "%s: %s" % (want, r.ids()))
        else:
            check(r.rc == 0, "good: %s" % r.ids())
    # Without --ocsp nobody is asked.
    r = connect(gnutls_staple_server(gone), root)
    check(rev(r)["ocsp_queried"] is None and r.rc == 0, rev(r))


@scenario
def ocsp_unreachable_within_timeout():
    closed = free_port()
    root, leaf = pki(ocsp_port=closed)
    r = connect(gnutls_staple_server(leaf), root, "--ocsp")
    check(rev(r)["ocsp_queried"] == "unreachable" and "ocsp-unreachable" in r.ids(), rev(r))
    check(r.rc == 0, "a warning only: %s" % r.ids())
    # A responder that accepts and never answers: bounded by --timeout.
    silent = staller()
    root, leaf = pki(ocsp_port=silent, name="leaf2")
    r = connect(gnutls_staple_server(leaf), root, "--ocsp", "--timeout", "2")
    check(rev(r)["ocsp_queried"] == "unreachable", rev(r))
    check(r.seconds < 4.5, "--timeout 2 took %.1f s" % r.seconds)


@scenario
def ocsp_query_nonce_must_match():
    """Each request carries a fresh nonce: a signed, fresh, "good" answer made for another
    request (with its nonce) is not taken; the same answer without a nonce is."""
    d, hport = http_files("nonce")
    root, leaf = pki(ocsp_port=hport)
    idx = index("nonce", good=[leaf[0]])
    req = path("nonce.req")
    sh("openssl", "ocsp", "-issuer", root[0], "-cert", leaf[0], "-reqout", req)  # with nonce
    sh("openssl", "ocsp", "-index", idx, "-rsigner", root[0], "-rkey", root[1], "-CA", root[0],
       "-reqin", req, "-respout", os.path.join(d, "ocsp.der"), "-ndays", "1")
    txt = sh("openssl", "ocsp", "-respin", os.path.join(d, "ocsp.der"), "-resp_text",
             "-noverify").stdout
    check("Nonce" in txt, "the canned answer carries its request's nonce: " + txt[-400:])
    port = gnutls_staple_server(leaf)
    r = connect(port, root, "--ocsp")
    check(rev(r)["ocsp_queried"] == "unreachable" and "nonce" in rev(r)["responder"]["error"],
          rev(r))
    check("ocsp-unreachable" in r.ids(), r.ids())
    # The same kind of answer without a nonce (pre-signed, as public CAs serve them): good.
    with open(os.path.join(d, "ocsp.der"), "wb") as f:
        f.write(open(staple("nononce", root, leaf[0], idx), "rb").read())
    r = connect(port, root, "--ocsp")
    check(rev(r)["ocsp_queried"] == "good" and r.rc == 0, "%s %s" % (rev(r), r.ids()))


@scenario
def ocsp_query_with_resume():
    port = free_port()
    root, leaf = pki(ocsp_port=port)
    responder(root, index("resume", revoked=[leaf[0]]), port)
    r = connect(gnutls_staple_server(leaf), root, "--ocsp", "--resume")
    check(r.report.get("resumption") is not None, "the second connection is reported")
    check(r.report["resumption"]["resumed"] is True, r.report["resumption"])
    check(rev(r)["ocsp_queried"] == "revoked" and "revoked" in r.ids() and r.rc == 1,
          "%s %s" % (rev(r), r.ids()))


# ---------------- the chain the server should send ----------------

def three_level():
    root = ca("Chain Root CA", "croot")
    inter = cert("cinter", ['cn = "Chain Intermediate CA"', "ca", "cert_signing_key",
                            "crl_signing_key", "expiration_days = 300"], root)
    return root, inter, server(inter, name="cleaf")


def nginx_serves(chain_file, k):
    """nginx started with chain_file as ssl_certificate; its port."""
    return nginx_sites(nginx_tls_site(chain_file, k))


@scenario
def save_chain_is_the_fullchain():
    root, inter, leaf = three_level()
    # The server forgot its intermediate; --intermediates completes it, --save-chain writes it.
    port = gnutls_staple_server(leaf)
    out = path("fullchain.pem")
    r = connect(port, root, "--intermediates", inter[0], "--save-chain", out)
    check("missing-intermediate" in r.ids(), r.ids())
    pem = open(out).read()
    check(pem.count("BEGIN CERTIFICATE") == 2, "leaf and intermediate, no root: %s" % pem)
    check(pem.startswith(open(leaf[0]).read().split("-----BEGIN")[0] + "-----BEGIN")
          and open(inter[0]).read().strip().split("\n")[1] in pem, "order or content")
    # openssl verify: the saved chain's leaf verifies with the rest as -untrusted.
    p = subprocess.run(["openssl", "verify", "-CAfile", root[0], "-untrusted", out, leaf[0]],
                       capture_output=True, text=True)
    check(p.returncode == 0 and ": OK" in p.stdout, p.stdout + p.stderr)
    # nginx takes it as ssl_certificate, and then sends the whole chain.
    r = connect(nginx_serves(out, leaf[1]), root)
    check(r.rc == 0 and len(r.report["peer_chain"]) == 2, "%s %d" % (r.ids(), r.rc))
    check("missing-intermediate" not in r.ids() and "chain-has-root" not in r.ids(), r.ids())


@scenario
def chain_with_root_is_noted_and_saved_without():
    root, inter, leaf = three_level()
    sent = bundle("withroot", leaf[0], inter[0], root[0])
    start_port = free_port()
    start(["gnutls-serv", "-p", str(start_port), "--x509certfile", sent, "--x509keyfile",
           leaf[1], "--http", "--disable-client-cert"], start_port, allowed=GNUTLS_SERV_END)
    out = path("noroot.pem")
    r = connect(start_port, root, "--save-chain", out)
    f = finding(r, "chain-has-root")
    check(r.rc == 0 and len(f) == 1 and f[0]["severity"] == "info" and f[0]["cert_index"] == 2,
          "%s %s" % (r.ids(), f))
    check(open(out).read().count("BEGIN CERTIFICATE") == 2, "the root is left out")
    # An unwritable path is one clear error, exit 2.
    r = tlsscope(["connect", "127.0.0.1:%d" % start_port, "--no-system-trust", "--ca", root[0],
                  "--save-chain", path("no/such/dir/x.pem")])
    check(r.rc == 2 and "x.pem" in r.err and len(r.err.strip().splitlines()) == 1, r.err)


# ---------------- --fetch-intermediates against a loopback HTTP server ----------------

HTTP_FILES = """
import http.server, os, sys
d, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def answer(self, name, ctype):
        p = os.path.join(d, os.path.basename(self.path.split("?")[0]) or name)
        if not os.path.isfile(p):
            self.send_error(404)
            return
        body = open(p, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.answer("", "application/pkix-cert")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.path = "/ocsp.der"
        self.answer("ocsp.der", "application/ocsp-response")
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def http_files(name):
    """A Python http.server on 127.0.0.1 serving the files of a directory of its own (GET) and
    ocsp.der there for any POST; the directory and the port."""
    d = path(name + "_www")
    os.makedirs(d)
    port = free_port()
    start(["/usr/bin/python3", "-c", HTTP_FILES, d, str(port)], port)
    return d, port


def aia_pki(url, name):
    """Root, intermediate, and a leaf whose AIA caIssuers points at url."""
    root = ca("AIA Root CA", name + "_root")
    inter = cert(name + "_inter", ['cn = "AIA Intermediate CA"', "ca", "cert_signing_key",
                                   "expiration_days = 300"], root)
    leaf = server(inter, name=name + "_leaf", extra=['ca_issuers_uri = "%s"' % url])
    return root, inter, leaf


def publish(inter, d):
    """The intermediate as DER, PEM and PKCS#7 (openssl crl2pkcs7 -nocrl, DER), in d."""
    sh("openssl", "x509", "-in", inter[0], "-outform", "DER", "-out", os.path.join(d, "i.der"))
    with open(os.path.join(d, "i.pem"), "w") as f:
        f.write(open(inter[0]).read())
    sh("openssl", "crl2pkcs7", "-nocrl", "-certfile", inter[0], "-outform", "DER", "-out",
       os.path.join(d, "i.p7c"))


def sha256_of(crt):
    out = sh("openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256").stdout
    return out.strip().split("=")[1].replace(":", "").lower()


def client_verdict(r, cid):
    for c in r.report.get("clients", []):
        if c.get("id") == cid:
            return c
    raise Failure("no client %s in %s" % (cid, [c.get("id") for c in r.report["clients"]]))


@scenario
def fetch_intermediates_der_pem_pkcs7():
    d, hport = http_files("aia")
    for fmt, fname in (("der", "i.der"), ("pem", "i.pem"), ("pkcs7", "i.p7c")):
        url = "http://127.0.0.1:%d/%s" % (hport, fname)
        root, inter, leaf = aia_pki(url, "aia_" + fmt)
        publish(inter, d)
        port = gnutls_staple_server(leaf)  # sends the leaf only
        # Without the option: untrusted, nothing fetched, no built_chain.
        r = connect(port, root)
        check(r.rc == 1 and "missing-intermediate" in r.ids(), "%s: %s" % (fmt, r.ids()))
        check(not r.report["verification"]["trusted"] and "built_chain" not in r.report,
              "%s: %s" % (fmt, r.report["verification"]))
        out = path("fullchain_%s.pem" % fmt)
        r = connect(port, root, "--fetch-intermediates", "--save-chain", out)
        check(r.rc == 1, "%s: still an error finding: exit %d %s" % (fmt, r.rc, r.ids()))
        check(r.report["verification"]["trusted"], "%s: the fetched intermediate completes "
              "the chain: %s" % (fmt, r.report["verification"]))
        check(len(r.report["peer_chain"]) == 1, "%s: peer_chain is what was sent" % fmt)
        b = r.report["built_chain"]
        check([x["source"] for x in b] == ["sent", "fetched", "anchor"] and
              [x["fetched"] for x in b] == [False, True, False], "%s: %s" % (fmt, b))
        check(b[1]["url"] == url and b[1]["format"] == fmt and
              b[1]["sha256"] == sha256_of(inter[0]), "%s: %s" % (fmt, b[1]))
        check(r.report["aia_fetch_error"] is None, r.report["aia_fetch_error"])
        f = finding(r, "missing-intermediate")
        check(len(f) == 1 and f[0]["severity"] == "error", "%s: %s" % (fmt, f))
        check(sha256_of(inter[0]) in f[0]["fix"] and "AIA Intermediate CA" in f[0]["fix"] and
              "--save-chain fullchain.pem" in f[0]["fix"] and url in f[0]["detail"],
              "%s: %s" % (fmt, f[0]))
        # Chrome fetches: its profile agrees now; curl (OpenSSL) does not.
        check(client_verdict(r, "chrome")["verdict"] == "accept", client_verdict(r, "chrome"))
        check(client_verdict(r, "curl")["verdict"] != "accept", client_verdict(r, "curl"))
        # The written fullchain holds the fetched intermediate, verifies, and nginx takes it.
        pem = open(out).read()
        check(pem.count("BEGIN CERTIFICATE") == 2, "%s: leaf and fetched intermediate" % fmt)
        p = subprocess.run(["openssl", "verify", "-CAfile", root[0], "-untrusted", out,
                            leaf[0]], capture_output=True, text=True)
        check(p.returncode == 0, p.stdout + p.stderr)
        r = connect(nginx_serves(out, leaf[1]), root)
        check(r.rc == 0 and len(r.report["peer_chain"]) == 2, "%s: nginx %s" % (fmt, r.ids()))


@scenario
def fetch_intermediates_unreachable_within_timeout():
    closed = free_port()
    root, inter, leaf = aia_pki("http://127.0.0.1:%d/i.der" % closed, "aia_closed")
    port = gnutls_staple_server(leaf)
    r = connect(port, root, "--fetch-intermediates")
    err = r.report["aia_fetch_error"] or ""
    check(r.rc == 1 and "cannot connect" in err and str(closed) in err, err)
    check(not r.report["verification"]["trusted"], r.report["verification"])
    check([x["source"] for x in r.report["built_chain"]] == ["sent"], r.report["built_chain"])
    f = finding(r, "missing-intermediate")
    check(f and "fetching it" in f[0]["detail"] and str(closed) in f[0]["detail"], f)
    check(client_verdict(r, "chrome")["verdict"] != "accept", "chrome could not fetch either")
    # A server that accepts and never answers: bounded by --timeout.
    silent = staller()
    root, inter, leaf = aia_pki("http://127.0.0.1:%d/i.der" % silent, "aia_silent")
    r = connect(gnutls_staple_server(leaf), root, "--fetch-intermediates", "--timeout", "2")
    check(r.seconds < 4.5, "--timeout 2 took %.1f s" % r.seconds)
    check("timeout" in (r.report["aia_fetch_error"] or ""), r.report["aia_fetch_error"])
    # Something that is no certificate: said so.
    d, hport = http_files("aia_junk")
    with open(os.path.join(d, "i.der"), "w") as fjunk:
        fjunk.write("<html>not here</html>")
    root, inter, leaf = aia_pki("http://127.0.0.1:%d/i.der" % hport, "aia_junk")
    r = connect(gnutls_staple_server(leaf), root, "--fetch-intermediates")
    check("no certificate" in (r.report["aia_fetch_error"] or ""), r.report["aia_fetch_error"])


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
