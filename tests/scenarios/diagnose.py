"""The diagnosis corpus: one misconfigured (or correct) real peer on 127.0.0.1 per scenario, with
a PKI made at test time, and the exact set of error findings tlsscope must report for it.

Usage: diagnose.py SCENARIO | --list | --table
Each scenario checks: the exit code, the exact set of error ids, the warning and info ids it
names, that every finding has a detail and a fix, and (through peers.tlsscope) that the report
validates against docs/report.schema.json."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS = {}


def scenario(errors=(), warnings=(), infos=(), rc=None):
    """errors: the exact set of error ids; warnings/infos: ids that must be there (exactly, when
    given as a list; the modern setup asks for none at all)."""
    def wrap(fn):
        SCENARIOS[fn.__name__.replace("_", "-")] = (fn, set(errors), warnings, infos,
                                                    rc if rc is not None else (1 if errors else 0))
        return fn
    return wrap


def trust(root):
    return ["--ca", root[0], "--no-system-trust"]


def connect(target, *args):
    return tlsscope(["connect", target, "--json"] + list(args))


def local(port):
    return "127.0.0.1:%d" % port


def inter_ca(root, cn="Scenario Intermediate CA", is_ca=True, extra=()):
    lines = ['cn = "%s"' % cn, "cert_signing_key", "crl_signing_key", "expiration_days = 300"]
    if is_ca:
        lines.append("ca")
    return cert("inter", lines + list(extra), signer=root)


# ---------------- a correct setup ----------------

@scenario(errors=(), warnings=[], infos=[])
def modern_setup_is_clean():
    root = ca()
    return connect(local(gnutls_serv(*server(root))), *trust(root))


@scenario(errors=(), warnings=[], infos=[])
def modern_setup_with_intermediate_is_clean():
    root = ca()
    inter = inter_ca(root)
    leaf = server(inter)
    port = gnutls_serv(bundle("fullchain", leaf[0], inter[0]), leaf[1])
    return connect("localhost:%d" % port, *trust(root))


@scenario(errors=(), warnings=[], infos=[])
def modern_two_way_is_clean():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    return connect(local(port), "--cert", client(root)[0], "--key", path("client.key"),
                   *trust(root))


# ---------------- reaching the server ----------------

@scenario(errors=["dns-failure"])
def dns_failure():
    # In a network namespace of its own nothing leaves this machine: the lookup fails at once.
    # As root a new network namespace needs no user namespace (chroots and containers often
    # refuse those); as anyone else, -r maps the user to root inside a user namespace first.
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    probe = subprocess.run(unshare + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped: cannot make a network namespace (%s: %s)"
              % (" ".join(unshare), probe.stderr.strip()), file=sys.stderr)
        sys.exit(77)
    exe = os.environ["TLSSCOPE"]
    r = subprocess.run(unshare + [exe, "connect", "no-such-host.example:443", "--json"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, NO_COLOR="1", HOME=WORK))
    check_status(r.returncode, "tlsscope in a network namespace", allowed=(1,), err=r.stderr)
    import json
    rep = json.loads(r.stdout)
    validate(rep)
    return Run(r.returncode, r.stdout, r.stderr, 0, rep)


@scenario(errors=["connection-refused"])
def connection_refused():
    return connect(local(free_port()))


@scenario(errors=["connection-timeout"])
def connection_timeout():
    return connect(local(blackhole()), "--timeout", "1")


@scenario(errors=["not-tls"])
def plain_http_on_the_port():
    return connect(local(plain_http()))


@scenario(errors=["handshake-timeout"])
def server_never_answers():
    return connect(local(staller()), "--timeout", "1")


@scenario(errors=["connection-closed"])
def server_hangs_up():
    return connect(local(closer()))


# ---------------- versions and ciphers ----------------

@scenario(errors=["protocol-version-mismatch"])
def tls13_only_server_tls12_client():
    root = ca()
    port = gnutls_serv(*server(root), priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    r = connect(local(port), "--tls-max", "1.2", *trust(root))
    probes = [s for s in r.report["handshake"]["steps"] if s.get("probe")]
    check(probes and "TLS1.3" in probes[0]["detail"], "a probe found TLS 1.3: %s" % probes)
    return r


@scenario(errors=["protocol-version-mismatch"])
def tls12_only_openssl_tls13_client():
    root = ca()
    port = openssl_server(*server(root), extra=["-tls1_2"])
    return connect(local(port), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", *trust(root))


@scenario(errors=["no-shared-cipher"])
def no_common_cipher_suite():
    root = ca()
    port = gnutls_serv(*server(root), priority="NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-128-CBC")
    r = connect(local(port), "--priority", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305:+AES-256-GCM",
                *trust(root))
    check(any("AES_128_CBC" in (s["detail"] or "") for s in r.report["handshake"]["steps"]
              if s.get("probe")), "a probe names the server's cipher")
    return r


@scenario(errors=["sni-required"])
def server_refuses_the_sni():
    root = ca()
    port = gnutls_serv_sni(server(root)[0], path("server.key"), "other.example")
    r = connect("localhost:%d" % port, *trust(root))
    check(r.report["handshake"]["alert_received"]["name"] == "unrecognized_name",
          r.report["handshake"]["alert_received"])
    return r


@scenario(errors=["sni-required"])
def haproxy_strict_sni_by_ip():
    root = ca()
    return connect(local(haproxy(*server(root), strict_sni=True)), *trust(root))


@scenario(errors=["sni-required"])
def nginx_reject_handshake_by_ip_with_name():
    root = ca()
    port = nginx_strict_sni(*server(root))
    return connect(local(port), "--verify-name", "localhost", *trust(root))


@scenario(errors=["sni-required"])
def nginx_default_vhost_by_ip_with_name():
    root = ca()
    srv = server(root)
    other = server(root, cn="default.invalid", dns=("default.invalid",), ips=(), name="default")
    port = nginx_strict_sni(*srv, default=other)
    return connect(local(port), "--verify-name", "localhost", *trust(root))


@scenario(errors=(), warnings=["tls-version-old"])
def tls11_negotiated():
    root = ca()
    port = gnutls_serv(*server(root), priority="NORMAL:+VERS-TLS1.1")
    return connect(local(port), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.1", *trust(root))


# ---------------- trust ----------------

@scenario(errors=["untrusted-issuer"])
def unknown_ca():
    other = ca("Unknown Root CA", file="other_ca")
    return connect(local(gnutls_serv(*server(other))), "--no-system-trust")


@scenario(errors=["untrusted-issuer"])
def untrusted_root_sent_along():
    other = ca("Unknown Root CA", file="other_ca")
    leaf = server(other)
    port = gnutls_serv(bundle("with_root", leaf[0], other[0]), leaf[1])
    return connect(local(port), "--no-system-trust")


@scenario(errors=["missing-intermediate"])
def intermediate_not_sent_aia():
    root = ca()
    inter = inter_ca(root)
    leaf = server(inter, extra=['ca_issuers_uri = "http://127.0.0.1:9/inter.crt"'])
    return connect(local(gnutls_serv(*leaf)), *trust(root))


@scenario(errors=["missing-intermediate"])
def intermediate_not_sent_but_given():
    root = ca()
    inter = inter_ca(root)
    r = connect(local(gnutls_serv(*server(inter))), "--intermediates", inter[0], *trust(root))
    check(r.report["verification"]["trusted"] is True, "the given intermediate completes it")
    return r


@scenario(errors=["self-signed"])
def self_signed_server():
    leaf = cert("selfsigned", ['cn = "localhost"', 'dns_name = "localhost"',
                               'ip_address = "127.0.0.1"', "tls_www_server", "signing_key",
                               "expiration_days = 100"])
    return connect(local(gnutls_serv(*leaf)), "--no-system-trust")


@scenario(errors=["expired"])
def expired_leaf():
    root = ca()
    leaf = server(root, extra=['activation_date = "2020-01-01 00:00:00 UTC"',
                               'expiration_date = "2021-01-01 00:00:00 UTC"'])
    r = connect(local(gnutls_serv(*leaf)), *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "expired"][0]
    check(f["cert_index"] == 0 and "2021-01-01" in f["detail"], f)
    return r


@scenario(errors=["not-yet-valid"])
def leaf_not_yet_valid():
    root = ca()
    leaf = server(root, extra=['activation_date = "2035-01-01 00:00:00 UTC"',
                               'expiration_date = "2036-01-01 00:00:00 UTC"'])
    return connect(local(gnutls_serv(*leaf)), *trust(root))


@scenario(errors=(), warnings=["expires-soon"])
def leaf_expires_in_ten_days():
    root = ca()
    return connect(local(gnutls_serv(*server(root, extra=["expiration_days = 10"]))),
                   *trust(root))


@scenario(errors=["insecure-signature"])
def sha1_signed_leaf():
    root = ca()
    k = key("sha1")
    tmpl = path("sha1.tmpl")
    with open(tmpl, "w") as f:
        f.write('cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\n'
                "tls_www_server\nsigning_key\nexpiration_days = 100\n")
    crt = path("sha1.crt")
    sh("certtool", "--generate-certificate", "--load-privkey", k, "--load-ca-certificate",
       root[0], "--load-ca-privkey", root[1], "--template", tmpl, "--hash", "SHA1",
       "--outfile", crt)
    return connect(local(gnutls_serv(crt, k)), *trust(root))


@scenario(errors=["weak-key"])
def rsa1024_leaf():
    root = ca()
    return connect(local(gnutls_serv(*server(root, kind="rsa", bits=1024))), *trust(root))


@scenario(errors=["not-a-ca"])
def intermediate_without_ca_flag():
    root = ca()
    inter = inter_ca(root, cn="Not A CA", is_ca=False)
    leaf = server(inter)
    port = gnutls_serv(bundle("chain", leaf[0], inter[0]), leaf[1])
    r = connect(local(port), *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "not-a-ca"][0]
    check(f["cert_index"] == 1, f)
    return r


@scenario(errors=["wrong-purpose"])
def client_certificate_served_as_server():
    root = ca()
    leaf = cert("clientish", ['cn = "localhost"', 'dns_name = "localhost"',
                              'ip_address = "127.0.0.1"', "tls_www_client", "signing_key",
                              "expiration_days = 100"], signer=root)
    return connect(local(gnutls_serv(*leaf)), *trust(root))


@scenario(errors=["revoked"])
def revoked_by_crl():
    root = ca()
    leaf = server(root)
    return connect(local(gnutls_serv(*leaf)), "--crl", crl(root, leaf[0]), *trust(root))


@scenario(errors=(), warnings=["chain-order"])
def chain_sent_out_of_order():
    root = ca()
    inter = inter_ca(root)
    leaf = server(inter)
    unrelated = ca("Unrelated CA", file="unrelated")
    # GnuTLS sorts a server's chain when it loads it; openssl s_server sends -cert_chain as is.
    port = openssl_server(*leaf, extra=["-cert_chain", bundle("misordered", unrelated[0],
                                                               inter[0])])
    return connect(local(port), *trust(root))


# ---------------- names ----------------

@scenario(errors=["hostname-mismatch"])
def wrong_name():
    root = ca()
    r = connect(local(gnutls_serv(*server(root))), "--verify-name", "other.example",
                *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "hostname-mismatch"][0]
    check("DNS:localhost" in f["detail"] and "other.example" in f["fix"], f)
    return r


@scenario(errors=["cn-only-no-san"])
def name_only_in_cn():
    root = ca()
    leaf = cert("cnonly", ['cn = "localhost"', "tls_www_server", "signing_key",
                           "expiration_days = 100"], signer=root)
    r = connect("localhost:%d" % gnutls_serv(*leaf), *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "cn-only-no-san"][0]
    check("Python" in f["detail"] and "subjectAltName" in f["fix"], f)
    return r


@scenario(errors=["hostname-mismatch", "cn-only-no-san", "ip-not-in-san"])
def ip_only_in_cn():
    root = ca()
    leaf = cert("ipcn", ['cn = "127.0.0.1"', "tls_www_server", "signing_key",
                         "expiration_days = 100"], signer=root)
    r = connect(local(gnutls_serv(*leaf)), *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "ip-not-in-san"][0]
    check("IP:127.0.0.1" in f["fix"], f)
    return r


@scenario(errors=["hostname-mismatch", "ip-not-in-san"])
def ip_as_dns_name():
    root = ca()
    leaf = cert("ipdns", ['cn = "device"', 'dns_name = "127.0.0.1"', "tls_www_server",
                          "signing_key", "expiration_days = 100"], signer=root)
    return connect(local(gnutls_serv(*leaf)), *trust(root))


@scenario(errors=["cn-only-no-san"], warnings=["v1-certificate"])
def version1_leaf():
    root = cert("rsaroot", ['cn = "RSA Root"', "ca", "cert_signing_key", "expiration_days = 90"],
                kind="rsa", bits=2048)
    return connect("localhost:%d" % gnutls_serv(*openssl_v1_cert(root)), *trust(root))


# ---------------- client certificates ----------------

@scenario(errors=["client-cert-required"])
def no_client_cert_tls13():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    return connect(local(port), *trust(root))


@scenario(errors=["client-cert-required"])
def no_client_cert_tls12():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    return connect(local(port), "--tls-max", "1.2", *trust(root))


@scenario(errors=["client-cert-required"])
def no_client_cert_openssl_verify():
    root = ca()
    port = openssl_server(*server(root), ca_file=root[0], verify="require")
    return connect(local(port), *trust(root))


@scenario(errors=["client-cert-required"])
def no_client_cert_nginx_400():
    root = ca()
    r = connect(local(nginx(*server(root), ca_file=root[0])), *trust(root))
    check(r.report["handshake"]["status"] == "complete", "nginx completes the handshake")
    check(" 400 " in r.report["http"]["status_line"] + " ", r.report["http"])
    return r


@scenario(errors=(), infos=["client-cert-requested"])
def client_cert_optional_not_sent():
    root = ca()
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="request")
    return connect(local(port), *trust(root))


@scenario(errors=["client-cert-ca-not-accepted"])
def client_cert_from_other_ca():
    root = ca()
    other = ca("Other Client CA", file="other_ca")
    port = gnutls_serv(*server(root), ca_file=root[0], client_cert="require")
    r = connect(local(port), "--cert", client(other)[0], "--key", path("client.key"),
                *trust(root))
    f = [f for f in r.report["findings"] if f["id"] == "client-cert-ca-not-accepted"][0]
    check("Scenario Root CA" in f["detail"] and "Other Client CA" in f["detail"], f)
    check(r.report["client_auth"]["sent"] is False, "GnuTLS sent nothing")
    return r


@scenario(errors=["client-cert-rejected"])
def client_cert_from_other_ca_forced():
    root = ca()
    other = ca("Other Client CA", file="other_ca")
    # gnutls-serv only requires a certificate; openssl s_server -Verify also checks it.
    port = openssl_server(*server(root), ca_file=root[0], verify="require")
    r = connect(local(port), "--cert", client(other)[0], "--key", path("client.key"),
                "--force-client-cert", *trust(root))
    check(r.report["client_auth"]["sent"] is True, "sent when forced")
    return r


@scenario(errors=["client-cert-rejected"])
def nginx_optional_bad_cert():
    root = ca()
    other = ca("Other Client CA", file="other_ca")
    port = nginx(*server(root), ca_file=root[0], verify="optional")
    r = connect(local(port), "--cert", client(other)[0], "--key", path("client.key"),
                "--force-client-cert", *trust(root))
    check(r.report["http"]["status_line"].split()[1] in ("400", "495"), r.report["http"])
    return r


@scenario(errors=["client-cert-rejected", "expired"])  # expired: our own certificate
def nginx_expired_client_cert():
    root = ca()
    port = nginx(*server(root), ca_file=root[0])
    expired = cert("expired_client", ['cn = "expired client"', "signing_key", "tls_www_client",
                                      'activation_date = "2020-01-01 00:00:00"',
                                      'expiration_date = "2021-01-01 00:00:00"'], root)
    r = connect(local(port), "--cert", expired[0], "--key", expired[1], *trust(root))
    check(r.report["http"]["status_line"].split()[1] == "400", r.report["http"])
    return r


@scenario(errors=["client-cert-rejected"])
def apache_client_cert_from_other_ca():
    root = ca()
    other = ca("Other Client CA", file="other_ca")
    port = apache(*server(root), ca_file=root[0])
    r = connect(local(port), "--cert", client(other)[0], "--key", path("client.key"),
                "--force-client-cert", *trust(root))
    check(r.report["handshake"]["alert_received"] is not None, "apache's alert")
    return r


@scenario(errors=(), warnings=["client-cert-not-requested"])
def client_cert_never_asked_for():
    root = ca()
    return connect(local(gnutls_serv(*server(root))), "--cert", client(root)[0], "--key",
                   path("client.key"), *trust(root))


# ---------------- the seeds ----------------

@scenario(errors=(), warnings=[], infos=[])
def flask_one_way_seed():
    root = ca()
    return connect(local(flask_app(*server(root))), "--http", *trust(root))


@scenario(errors=["client-cert-required"])
def flask_two_way_seed_without_cert():
    root = ca()
    port = python_tls_server(*server(root), ca_file=root[0], require=True)
    return connect(local(port), *trust(root))


# OpenSSL builds the server's chain from its verify store (the client CA file), root included:
# Python's ssl server sends the root along, which chain-has-root notes.
@scenario(errors=(), warnings=[], infos=["chain-has-root"])
def flask_two_way_seed_with_cert():
    root = ca()
    port = python_tls_server(*server(root), ca_file=root[0], require=True)
    r = connect(local(port), "--cert", client(root)[0], "--key", path("client.key"),
                *trust(root))
    check(r.report["http"]["status_line"].endswith("200 OK"), r.report["http"])
    return r


LEGACY_ERRORS = ["insecure-signature", "weak-key", "hostname-mismatch", "cn-only-no-san",
                 "ip-not-in-san"]


@scenario(errors=LEGACY_ERRORS, warnings=["v1-certificate"])
def tutorial_pki_gnutls_serv():
    pki = legacy_pki()
    return connect(local(gnutls_serv(*pki["server"])), "--ca", pki["ca"][0], "--no-system-trust")


@scenario(errors=LEGACY_ERRORS, warnings=["v1-certificate"])
def tutorial_pki_openssl_seclevel0():
    pki = legacy_pki()
    port = openssl_server(*pki["server"], extra=["-cipher", "DEFAULT@SECLEVEL=0"])
    return connect(local(port), "--ca", pki["ca"][0], "--no-system-trust")


@scenario(errors=LEGACY_ERRORS, warnings=["v1-certificate"])
def tutorial_pki_flask_seclevel0():
    pki = legacy_pki()
    port = python_tls_server(*pki["server"], seclevel0=True)
    return connect(local(port), "--ca", pki["ca"][0], "--no-system-trust")


# ---------------- running ----------------

def ids(rep, severity):
    return [f["id"] for f in rep["findings"] if f["severity"] == severity]


def run(name):
    fn, errors, warnings, infos, rc = SCENARIOS[name]
    r = fn()
    rep = r.report
    check(rep is not None, "a JSON report (exit %d, stderr %r)" % (r.rc, r.err))
    got = set(ids(rep, "error"))
    check(got == errors, "errors: want %s, got %s" % (sorted(errors), sorted(got)))
    for sev, want in (("warning", warnings), ("info", infos)):
        have = ids(rep, sev)
        if isinstance(want, list):
            check(sorted(set(have)) == sorted(want), "%ss: want %s, got %s" % (sev, want, have))
        else:
            check(set(want) <= set(have), "%ss: want %s, got %s" % (sev, want, have))
    check(r.rc == rc, "exit %d, got %d" % (rc, r.rc))
    check(rep["verdict"] == ("ok" if rc == 0 else "fail"), "verdict %s" % rep["verdict"])
    for f in rep["findings"]:
        check(f["detail"] and f["fix"] and f["title"], "detail and fix for %s" % f["id"])


def table():
    for name, (_, errors, warnings, infos, rc) in SCENARIOS.items():
        extra = sorted(set(warnings) | set(infos))
        print("%-40s exit %d  %s%s" % (name, rc, ", ".join(sorted(errors)) or "-",
                                       ("  (+ " + ", ".join(extra) + ")") if extra else ""))


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        table()
        sys.exit(0)
    sys.exit(main(SCENARIOS, run=run))
