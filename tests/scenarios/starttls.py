"""connect --starttls against real servers from Debian packages (Dovecot for IMAP, POP3 and
LMTP, PostgreSQL and MariaDB with client certificates required, Postfix for SMTP, slapd for LDAP,
vsftpd for FTP), each started here in the foreground with a private configuration on 127.0.0.1,
and against hostile plaintext peers."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from peers import (PY, WORK, ca, check, client, free_port, main, path, registry, server,  # noqa
                   spawn, start, tlsscope, wait_port)

table, scenario = registry()
PG_BIN = "/usr/lib/postgresql/15/bin"


def pki():
    if not os.path.exists(path("ca.crt")):
        ca()
        server((path("ca.crt"), path("ca.key")))
        client((path("ca.crt"), path("ca.key")), cn="alice")
        ca("Other Root CA", file="otherca")
        client((path("otherca.crt"), path("otherca.key")), cn="alice", name="stranger")
        client((path("ca.crt"), path("ca.key")), cn="carol", name="carol")
    # The daemons drop privileges (dovenull, postgres) and must reach their directories.
    os.chmod(WORK, 0o755)
    return path("ca.crt")


def dovecot(ssl="yes", protocols=("imap", "pop3", "lmtp"), name="dovecot"):
    pki()
    d = path(name)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    ports = {p: free_port() for p in protocols}
    conf = ["base_dir = %s/run" % d, "state_dir = %s/state" % d, "log_path = %s/log" % d,
            "protocols = " + " ".join(protocols), "listen = 127.0.0.1", "ssl = " + ssl,
            "ssl_cert = <" + path("server.crt"), "ssl_key = <" + path("server.key"),
            "passdb {\n driver = static\n args = nopassword=y\n}",
            "userdb {\n driver = static\n args = uid=nobody gid=nogroup home=%s/home/%%u\n}" % d,
            "service anvil {\n unix_listener anvil-auth-penalty {\n  mode = 0\n }\n}"]
    names = {"imap": ("imap-login", "imap", "imaps"), "pop3": ("pop3-login", "pop3", "pop3s"),
             "lmtp": ("lmtp", "lmtp", None), "sieve": ("managesieve-login", "sieve", None)}
    for p in protocols:
        svc, plain, tls = names[p]
        conf.append("service %s {\n inet_listener %s {\n  address = 127.0.0.1\n  port = %d\n }\n%s}"
                    % (svc, plain, ports[p],
                       " inet_listener %s {\n  port = 0\n }\n" % tls if tls else ""))
    with open(os.path.join(d, "dovecot.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    start(["dovecot", "-F", "-c", os.path.join(d, "dovecot.conf")], ports[protocols[0]])
    for p in protocols[1:]:
        check(wait_port(ports[p]), "dovecot listens for %s" % p)
    return ports


def postgres(ssl="on"):
    pki()
    d = path("pg")
    if not os.path.exists(d):
        os.makedirs(d)
        os.chmod(d, 0o755)
        subprocess.run(["chown", "postgres", d], check=True)
        subprocess.run([PG_BIN + "/initdb", "-D", d + "/data", "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True, user="postgres")
        # PostgreSQL wants its key owned by it and private.
        shutil.copy(path("server.key"), d + "/server.key")
        subprocess.run(["chown", "postgres", d + "/server.key"], check=True)
        os.chmod(d + "/server.key", 0o600)
        with open(d + "/data/pg_hba.conf", "w") as f:
            f.write("hostssl all all 127.0.0.1/32 trust clientcert=verify-full\n"
                    "host all all 127.0.0.1/32 reject\n")
    port = free_port()
    log = open(path("pg-%d.log" % port), "w")
    start([PG_BIN + "/postgres", "-D", d + "/data", "-k", d, "-p", str(port),
           "-c", "listen_addresses=127.0.0.1", "-c", "ssl=" + ssl,
           "-c", "ssl_cert_file=" + path("server.crt"), "-c", "ssl_key_file=" + d + "/server.key",
           "-c", "ssl_ca_file=" + path("ca.crt")], port, user="postgres", stderr=log)
    # It listens before it accepts logins ("the database system is starting up"): wait for
    # its word, with a deadline.
    end = time.monotonic() + 20
    while "ready to accept connections" not in open(log.name).read():
        check(time.monotonic() < end, "postgres became ready")
        time.sleep(0.05)  # polling interval, bounded by the deadline above
    return port


def postfix(tls="may", ask_ccert=False, req_ccert=False):
    """Postfix's master in the foreground (-d) with a private config_directory and
    queue_directory; only smtpd and the services it talks to. It runs as root and hands the
    sessions to smtpd as the postfix user, which must own data_directory."""
    pki()
    port = free_port()
    d = path("postfix-%d" % port)
    for sub in ("conf", "queue", "data"):
        os.makedirs(os.path.join(d, sub))
    os.chmod(d, 0o755)
    shutil.chown(os.path.join(d, "data"), "postfix")
    conf = {"compatibility_level": "3.6", "queue_directory": d + "/queue",
            "data_directory": d + "/data", "mail_owner": "postfix",
            "myhostname": "mx.tlsscope.test", "mydomain": "tlsscope.test", "mydestination": "",
            "inet_interfaces": "127.0.0.1", "inet_protocols": "ipv4", "smtpd_banner":
            "$myhostname ESMTP", "maillog_file": "/dev/stdout", "alias_maps": "",
            "local_recipient_maps": "", "smtpd_tls_security_level": tls,
            "smtpd_tls_cert_file": path("server.crt"), "smtpd_tls_key_file": path("server.key"),
            "smtpd_tls_CAfile": path("ca.crt"), "smtpd_tls_loglevel": "1",
            "smtpd_tls_ask_ccert": "yes" if ask_ccert or req_ccert else "no",
            "smtpd_tls_req_ccert": "yes" if req_ccert else "no"}
    with open(d + "/conf/main.cf", "w") as f:
        f.write("".join("%s = %s\n" % kv for kv in conf.items()))
    with open(d + "/conf/master.cf", "w") as f:
        f.write("127.0.0.1:%d inet n - n - - smtpd\n" % port
                + "tlsmgr unix - - n 1000? 1 tlsmgr\nanvil unix - - n - 1 anvil\n"
                "proxymap unix - - n - - proxymap\ncleanup unix n - n - 0 cleanup\n"
                "rewrite unix - - n - - trivial-rewrite\npostlog unix-dgram n - n - 1 postlogd\n")
    # "postfix check" makes the queue's subdirectories with their owners; master -d stays in
    # the foreground, and as a session leader its SIGTERM ends its whole process group.
    subprocess.run(["postfix", "-c", d + "/conf", "check"], check=True, capture_output=True)
    start(["/usr/lib/postfix/sbin/master", "-c", d + "/conf", "-d", "-s"], port,
          stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    return port


def mariadb(ssl=True):
    """mariadbd in the foreground on a private datadir, bootstrapped by mariadb-install-db; user
    alice REQUIRE X509 (a certificate from ca.crt) and carol REQUIRE SUBJECT '/CN=dave', with no
    password; root only on the socket."""
    pki()
    d = path("mariadb")
    if not os.path.exists(d):
        os.makedirs(d)
        os.chmod(d, 0o755)
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + d + "/data",
                        "--user=root",
                        "--skip-test-db"], check=True, capture_output=True)
        with open(d + "/init.sql", "w") as f:
            f.write("CREATE USER IF NOT EXISTS 'alice'@'%' REQUIRE X509;\n"
                    "CREATE USER IF NOT EXISTS 'carol'@'%' REQUIRE SUBJECT '/CN=dave';\n")
    port = free_port()
    tls = (["--ssl-cert=" + path("server.crt"), "--ssl-key=" + path("server.key"),
            "--ssl-ca=" + path("ca.crt")] if ssl else ["--skip-ssl"])
    p = spawn(["mariadbd", "--no-defaults", "--datadir=" + d + "/data",
               "--socket=" + d + "/sock", "--pid-file=" + d + "/pid", "--port=%d" % port,
               "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve",
               "--log-error=" + d + "/err-%d.log" % port, "--init-file=" + d + "/init.sql",
               "--innodb-buffer-pool-size=16M", "--skip-log-bin"] + tls, "mariadbd",
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # It listens once InnoDB is up and the init file has run.
    check(wait_port(port, deadline=60, proc=p), "mariadbd listens")
    return port


def slapd(verify="never", tls=True):
    """slapd in the foreground (-d) with a slapd.conf of its own: StartTLS, TLSVerifyClient;
    without tls, no certificate at all."""
    pki()
    port = free_port()
    d = path("slapd-%d" % port)
    os.makedirs(d)
    with open(d + "/slapd.conf", "w") as f:
        f.write("include /etc/ldap/schema/core.schema\n"
                "pidfile %s/pid\nargsfile %s/args\n" % (d, d)
                + "TLSCertificateFile %s\nTLSCertificateKeyFile %s\nTLSCACertificateFile %s\n"
                % (path("server.crt"), path("server.key"), path("ca.crt")) * tls
                + "TLSVerifyClient %s\n" % verify)
    start(["slapd", "-d", "0", "-f", d + "/slapd.conf", "-h", "ldap://127.0.0.1:%d/" % port],
          port, stderr=open(d + "/log", "w"))
    return port


def vsftpd(ssl=True, require_cert=False):
    """vsftpd in the foreground (background=NO) on its own config file."""
    pki()
    port = free_port()
    d = path("vsftpd-%d" % port)
    os.makedirs(d + "/empty")
    conf = {"listen": "YES", "listen_ipv6": "NO", "listen_address": "127.0.0.1",
            "listen_port": port, "background": "NO", "anonymous_enable": "NO",
            "local_enable": "YES", "secure_chroot_dir": d + "/empty", "seccomp_sandbox": "NO",
            "isolate": "NO", "isolate_network": "NO", "xferlog_enable": "NO",
            "vsftpd_log_file": d + "/log", "pam_service_name": "vsftpd",
            "ssl_enable": "YES" if ssl else "NO", "rsa_cert_file": path("server.crt"),
            "rsa_private_key_file": path("server.key"), "ca_certs_file": path("ca.crt"),
            "require_cert": "YES" if require_cert else "NO",
            "validate_cert": "YES" if require_cert else "NO"}
    with open(d + "/vsftpd.conf", "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in conf.items()))
    start(["vsftpd", d + "/vsftpd.conf"], port, stderr=open(d + "/err", "w"))
    return port


def prosody(tls=True):
    """Prosody in the foreground (-F) on its own config file, one virtual host "localhost"; as
    root only with run_as_root (mod_posix refuses otherwise). Without tls, no mod_tls and no
    certificate directory of Debian's to find one in."""
    pki()
    port = free_port()
    d = path("prosody-%d" % port)
    os.makedirs(d + "/data")
    ssl = ('{ certificate = "%s", key = "%s" }' % (path("server.crt"), path("server.key"))
           if tls else "nil")
    conf = ['pidfile = "%s/pid"' % d, 'data_path = "%s/data"' % d, "run_as_root = true",
            'log = { { levels = { min = "info" }, to = "file", filename = "%s/log" } }' % d,
            "c2s_ports = { %d }" % port, 'c2s_interfaces = { "127.0.0.1" }', "s2s_ports = { }",
            "http_ports = { }", "https_ports = { }", "c2s_direct_tls_ports = { }",
            "s2s_direct_tls_ports = { }", 'certificates = "%s/data"' % d,
            'modules_enabled = { %s"saslauth", "disco", "posix" }' % ('"tls", ' * tls),
            'modules_disabled = { "s2s" }', 'authentication = "anonymous"',
            "c2s_require_encryption = false", "ssl = " + ssl,
            'VirtualHost "localhost"', "  ssl = " + ssl]
    with open(d + "/prosody.cfg.lua", "w") as f:
        f.write("\n".join(conf) + "\n")
    start(["prosody", "-F", "--config", d + "/prosody.cfg.lua"], port,
          stderr=open(d + "/err", "w"))
    return port


def ids(run):
    return [f["id"] for f in run.report["findings"]]


def finding(run, fid):
    return next(f for f in run.report["findings"] if f["id"] == fid)


def steps(run, kind="StartTLS"):
    return [s for s in run.report["handshake"]["steps"] if s["type"] == kind]


@scenario
def dovecot_imap_pop3_lmtp_upgrade_then_handshake():
    ports = dovecot()
    for proto in ("imap", "pop3", "lmtp"):
        r = tlsscope(["connect", "127.0.0.1:%d" % ports[proto], "--starttls", proto, "--ca",
                      path("ca.crt"), "--verify-name", "localhost", "--json"])
        check(r.rc == 0, "%s: exit 0, got %d: %s" % (proto, r.rc, ids(r)))
        check(r.report["target"]["starttls"] == proto, proto + ": target.starttls")
        st = steps(r)
        check(len(st) >= 5, "%s: greeting, capabilities, upgrade as steps: %s" % (proto, st))
        check(r.report["handshake"]["steps"][len(st)]["type"] == "ClientHello",
              proto + ": the handshake follows the upgrade")
        check(r.report["handshake"]["status"] == "complete", proto + ": handshake complete")
        app = r.report.get("application")
        check(app and app["protocol"] == proto and app["answer"],
              "%s: the first request after TLS is answered: %s" % (proto, app))


@scenario
def dovecot_without_tls_is_starttls_not_offered():
    ports = dovecot(ssl="no", protocols=("imap", "pop3"))
    for proto, token in (("imap", "STARTTLS"), ("pop3", "STLS")):
        r = tlsscope(["connect", "127.0.0.1:%d" % ports[proto], "--starttls", proto, "--json"])
        check(r.rc == 1, proto + ": exit 1")
        check(ids(r)[:1] == ["starttls-not-offered"], "%s: starttls-not-offered: %s"
              % (proto, ids(r)))
        check(token in finding(r, "starttls-not-offered")["detail"],
              proto + ": the detail shows the capability list")
        check(not steps(r, "ClientHello"), proto + ": no ClientHello goes out")


@scenario
def plain_connect_to_imap_port_says_starttls_needed():
    ports = dovecot(protocols=("imap",))
    r = tlsscope(["connect", "127.0.0.1:%d" % ports["imap"], "--json"])
    check(r.rc == 1, "exit 1")
    check("starttls-needed" in ids(r) and "not-tls" not in ids(r),
          "starttls-needed replaces not-tls: %s" % ids(r))
    check("--starttls imap" in finding(r, "starttls-needed")["detail"], "names the option")
    check(r.report["target"]["starttls"] is None, "no upgrade was attempted")


@scenario
def dovecot_managesieve_upgrade_and_disabled():
    ports = dovecot(protocols=("sieve",))
    r = tlsscope(["connect", "127.0.0.1:%d" % ports["sieve"], "--starttls", "sieve"] + trust())
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, ids(r)))
    st = [s["detail"] for s in steps(r)]
    check(len(st) == 3 and '"STARTTLS"' in st[0] and st[1] == "STARTTLS" and
          st[2].startswith("OK"), "capabilities as the greeting, STARTTLS, OK: %s" % st)
    check(r.report["handshake"]["steps"][3]["type"] == "ClientHello", "the handshake follows")
    ans = r.report["application"]["answer"]
    check('"IMPLEMENTATION"' in ans and '"STARTTLS"' not in ans,
          "the capabilities again inside TLS, without STARTTLS: %s" % ans)
    ports = dovecot(ssl="no", protocols=("sieve",), name="dovecot-no-tls")
    r = tlsscope(["connect", "127.0.0.1:%d" % ports["sieve"], "--starttls", "sieve", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "ssl = no: %s" % ids(r))
    check("IMPLEMENTATION" in finding(r, "starttls-not-offered")["detail"], "capabilities shown")
    r = tlsscope(["connect", "127.0.0.1:%d" % ports["sieve"], "--json"])
    check(r.rc == 1 and "starttls-needed" in ids(r), "plain connect: %s" % ids(r))
    check("--starttls sieve" in finding(r, "starttls-needed")["detail"], "names the option")


@scenario
def prosody_xmpp_upgrade_and_disabled():
    port = prosody()
    # The stream names the domain: the SNI name (an IP address sends none).
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "xmpp", "--sni", "localhost"]
                 + trust())
    check(r.rc == 0, "exit 0, got %d: %s" % (r.rc, ids(r)))
    st = [s["detail"] for s in steps(r)]
    check(len(st) == 4 and "to='localhost'" in st[0] and "<starttls" in st[1]
          and "<proceed" in st[3], "stream, features, starttls, proceed: %s" % st)
    check(r.report["handshake"]["steps"][4]["type"] == "ClientHello", "the handshake follows")
    ans = r.report["application"]["answer"]
    check("stream:features" in ans and "mechanisms" in ans and "<starttls" not in ans,
          "a new stream inside TLS: its features, without starttls: %s" % ans)
    port = prosody(tls=False)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "xmpp", "--sni", "localhost",
                  "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "no certificate: %s" % ids(r))
    check("stream:features" in finding(r, "starttls-not-offered")["detail"], "features shown")


@scenario
def postgres_client_cert_required_missing_right_and_foreign():
    port = postgres()
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "postgres", "--ca", path("ca.crt"),
            "--verify-name", "localhost", "--json"]
    r = tlsscope(base)
    check(r.rc == 1, "without a certificate: exit 1, got %d %s" % (r.rc, ids(r)))
    check("client-cert-required" in ids(r), "client-cert-required: %s" % ids(r))
    check("valid client certificate" in finding(r, "client-cert-required")["detail"],
          "the FATAL message is quoted")
    check("FATAL" in r.report["application"]["answer"], "application.answer has the refusal")
    check(r.report["handshake"]["status"] == "complete", "the TLS handshake itself succeeded")
    r = tlsscope(base + ["--cert", path("client.crt"), "--key", path("client.key")])
    check(r.rc == 0, "with the right certificate: exit 0, got %s" % ids(r))
    check("authenticated" in r.report["application"]["answer"],
          "the startup message for user alice is accepted: %s" % r.report["application"])
    r = tlsscope(base + ["--cert", path("stranger.crt"), "--key", path("stranger.key"),
                         "--force-client-cert"])
    check(r.rc == 1, "with a certificate from another CA: exit 1")
    check("client-cert-rejected" in ids(r), "client-cert-rejected: %s" % ids(r))


@scenario
def postgres_ssl_off_is_starttls_not_offered():
    port = postgres(ssl="off")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "postgres", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"],
          "SSLRequest answered 'N': %s" % ids(r))


def trust():
    return ["--ca", path("ca.crt"), "--verify-name", "localhost", "--json"]


ALICE = lambda: ["--cert", path("client.crt"), "--key", path("client.key")]  # noqa: E731
STRANGER = lambda: ["--cert", path("stranger.crt"), "--key", path("stranger.key"),  # noqa: E731
                    "--force-client-cert"]


def wait_log(name, words, deadline=10.0):
    """Whether words appear in the log file name within the deadline (daemons log late)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with open(name, errors="replace") as f:
            if words in f.read():
                return True
        time.sleep(0.05)  # polling interval, bounded by the deadline above
    return False


def repeated(n, base, fid, words, what):
    """n runs in a row, each one exit 1 with fid first among the errors and words in it: the
    server's refusal may come before or after the client's first request."""
    for i in range(n):
        r = tlsscope(base)
        errors = [f["id"] for f in r.report["findings"] if f["severity"] == "error"]
        check(r.rc == 1 and errors[:1] == [fid],
              "%s, run %d: exit 1 and %s, got %d %s" % (what, i + 1, fid, r.rc, errors))
        check(words in finding(r, fid)["detail"], "%s, run %d: %r quoted: %s"
              % (what, i + 1, words, finding(r, fid)["detail"]))
    return r


@scenario
def postfix_smtp_upgrade_with_client_cert_asked():
    port = postfix(ask_ccert=True)
    log = path("postfix-%d/log" % port)
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "smtp"] + trust()
    r = tlsscope(base)
    check(r.rc == 0, "without a certificate: exit 0, got %d %s" % (r.rc, ids(r)))
    check(r.report["target"]["starttls"] == "smtp", "target.starttls")
    st = [s["detail"] for s in steps(r)]
    check(len(st) == 5 and st[0].startswith("220 mx.tlsscope.test") and st[1].startswith("EHLO")
          and "250-STARTTLS" in st[2] and st[3] == "STARTTLS" and st[4].startswith("220 2.0.0"),
          "greeting, EHLO, capabilities, STARTTLS, 220 as steps: %s" % st)
    check(r.report["handshake"]["steps"][5]["type"] == "ClientHello", "the handshake follows")
    check(r.report["client_auth"]["requested"] and "client-cert-requested" in ids(r),
          "smtpd_tls_ask_ccert: the certificate is asked for: %s" % ids(r))
    check("Scenario Root CA" in " ".join(r.report["client_auth"]["acceptable_cas"]),
          "the CA names of smtpd_tls_CAfile: %s" % r.report["client_auth"]["acceptable_cas"])
    ans = r.report["application"]["answer"]
    check(ans.startswith("250-mx.tlsscope.test") and "STARTTLS" not in ans,
          "EHLO again inside TLS, which no longer offers STARTTLS: %s" % ans)
    check(wait_log(log, "Anonymous TLS connection established"), "postfix: anonymous TLS")
    r = tlsscope(base + ALICE())
    check(r.rc == 0 and r.report["client_auth"]["sent"], "with alice: exit 0, sent: %s" % ids(r))
    check(not [i for i in ids(r) if i.startswith("client-cert")], "nothing to say: %s" % ids(r))
    check(wait_log(log, "Trusted TLS connection established"), "postfix trusts alice")
    r = tlsscope(base + STRANGER())
    check(r.rc == 0 and r.report["client_auth"]["sent"], "stranger: postfix only asked")
    check(wait_log(log, "Untrusted TLS connection established"), "postfix: stranger untrusted")


@scenario
def postfix_smtp_client_cert_required_missing_right_and_foreign():
    port = postfix(tls="encrypt", req_ccert=True)
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "smtp"] + trust()
    r = repeated(20, base, "client-cert-required", "No client certificate presented",
                 "no certificate")
    check(r.report["handshake"]["status"] == "complete", "the handshake itself completed")
    r = tlsscope(base + ALICE())
    check(r.rc == 0, "with alice: exit 0, got %s" % ids(r))
    check(r.report["application"]["answer"].startswith("250-"), "EHLO is answered")
    repeated(20, base + STRANGER(), "client-cert-rejected", "Client certificate not trusted",
             "another CA's certificate")


@scenario
def postfix_without_starttls_and_plain_connect():
    port = postfix(tls="none")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "smtp", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "not offered: %s" % ids(r))
    detail = finding(r, "starttls-not-offered")["detail"]
    check("PIPELINING" in detail and "STARTTLS" in detail, "the EHLO answer is shown: " + detail)
    check(not steps(r, "ClientHello"), "no ClientHello goes out")
    port = postfix()
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"])
    check(r.rc == 1 and "starttls-needed" in ids(r) and "not-tls" not in ids(r),
          "starttls-needed replaces not-tls: %s" % ids(r))
    detail = finding(r, "starttls-needed")["detail"]
    check("smtp" in detail and "--starttls smtp" in detail, "names smtp and the option: " + detail)


@scenario
def mariadb_require_x509_missing_right_and_foreign():
    port = mariadb()
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "mysql"] + trust()
    r = tlsscope(base)
    check(r.rc == 1, "without a certificate: exit 1, got %d %s" % (r.rc, ids(r)))
    check(r.report["handshake"]["status"] == "complete", "the TLS handshake itself succeeded")
    check(r.report["client_auth"]["requested"], "ssl-ca: the server asks for a certificate")
    check("client-cert-required" in ids(r), "client-cert-required: %s" % ids(r))
    check("Access denied for user 'root'" in finding(r, "client-cert-required")["detail"],
          "the server's answer is quoted: %s" % finding(r, "client-cert-required")["detail"])
    check(r.report["application"]["answer"].startswith("ERROR 1045 (28000)"),
          "application.answer: %s" % r.report["application"])
    r = tlsscope(base + ALICE())
    check(r.rc == 0, "with alice's certificate: exit 0, got %s %s"
          % (ids(r), r.report.get("application")))
    check(r.report["application"]["answer"] == "OK (logged in)",
          "alice REQUIRE X509 logs in: %s" % r.report["application"])
    # The right CA, the wrong subject: TLS accepts it, the login does not.
    r = tlsscope(base + ["--cert", path("carol.crt"), "--key", path("carol.key")])
    check(r.rc == 1 and "client-cert-rejected" in ids(r),
          "carol's subject is not /CN=dave: client-cert-rejected: %s" % ids(r))
    check("Access denied for user 'carol'" in finding(r, "client-cert-rejected")["detail"],
          "the login's refusal is quoted: %s" % finding(r, "client-cert-rejected")["detail"])
    repeated(20, base + STRANGER(), "client-cert-rejected", "unknown_ca",
             "another CA's certificate")


@scenario
def mariadb_without_ssl_and_plain_connect():
    port = mariadb(ssl=False)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "mysql", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "skip-ssl: %s" % ids(r))
    check("CLIENT_SSL" in finding(r, "starttls-not-offered")["detail"], "says why")
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"])
    check(r.rc == 1 and "starttls-needed" in ids(r), "plain connect: %s" % ids(r))
    check("--starttls mysql" in finding(r, "starttls-needed")["detail"], "names the option")


@scenario
def slapd_starttls_with_and_without_demanded_client_cert():
    port = slapd("never")
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "ldap"] + trust()
    r = tlsscope(base)
    check(r.rc == 0, "TLSVerifyClient never: exit 0, got %d %s" % (r.rc, ids(r)))
    check([s["detail"] for s in steps(r)][-1] == "ExtendedResponse", "the upgrade as steps")
    check(r.report["handshake"]["status"] == "complete", "handshake complete")
    check(r.report["application"]["answer"] == "resultCode 0 (success)",
          "Who am I? is answered inside TLS: %s" % r.report["application"])
    port = slapd("demand")
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "ldap"] + trust()
    repeated(20, base, "client-cert-required", "closing the connection",
             "demand, no certificate")
    r = tlsscope(base + ALICE())
    check(r.rc == 0 and r.report["client_auth"]["sent"], "demand, alice: %s" % ids(r))
    check(r.report["application"]["answer"] == "resultCode 0 (success)",
          "demand, alice: Who am I? is answered: %s" % r.report["application"])
    repeated(20, base + STRANGER(), "client-cert-rejected", "alert", "demand, another CA's")
    port = slapd(tls=False)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "ldap", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "no TLS: %s" % ids(r))
    check("protocolError" in finding(r, "starttls-not-offered")["detail"], "the answer is shown")
    check(not steps(r, "ClientHello"), "no ClientHello goes out")


@scenario
def vsftpd_auth_tls_required_cert_and_disabled():
    port = vsftpd()
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "ftp"] + trust()
    r = tlsscope(base)
    check(r.rc == 0, "ssl_enable=YES: exit 0, got %d %s" % (r.rc, ids(r)))
    st = [s["detail"] for s in steps(r)]
    check(st[3] == "AUTH TLS" and st[4].startswith("234"), "AUTH TLS answered 234: %s" % st)
    check(r.report["application"]["answer"].startswith("211"), "FEAT again inside TLS")
    port = vsftpd(require_cert=True)
    base = ["connect", "127.0.0.1:%d" % port, "--starttls", "ftp"] + trust()
    repeated(20, base, "client-cert-required", "alert", "require_cert, no certificate")
    r = tlsscope(base + ALICE())
    check(r.rc == 0 and r.report["client_auth"]["sent"], "require_cert, alice: %s" % ids(r))
    repeated(20, base + STRANGER(), "client-cert-rejected", "alert", "require_cert, another CA's")
    port = vsftpd(ssl=False)
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "ftp", "--json"])
    check(r.rc == 1 and ids(r)[:1] == ["starttls-not-offered"], "ssl_enable=NO: %s" % ids(r))
    r = tlsscope(["connect", "127.0.0.1:%d" % port, "--json"])
    check(r.rc == 1 and "starttls-needed" in ids(r), "plain connect: %s" % ids(r))
    check("--starttls ftp" in finding(r, "starttls-needed")["detail"], "names the option")


# A plaintext peer that misbehaves: one behaviour per run, chosen by argv.
HOSTILE = r'''
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(8)
while True:
    c, _ = s.accept()
    try:
        if mode == "longline":
            c.sendall(b"220 " + b"A" * 100000)
        elif mode == "flood":
            c.sendall(b"220 mx ESMTP\r\n"); c.recv(100)
            c.sendall(b"250-\x1b[31mred\r\n" * 40000)
        elif mode == "drip":
            for ch in b"220 mx ESMTP\r\n":
                c.sendall(bytes([ch])); time.sleep(0.05)
            c.recv(100)
            c.sendall(b"250-mx\r\n")  # and nothing more
            time.sleep(30)
        elif mode == "refuse":
            c.sendall(b"220 mx ESMTP\r\n"); c.recv(100)
            c.sendall(b"250-mx\r\n250 STARTTLS\r\n"); c.recv(100)
            c.sendall(b"454 4.7.0 TLS not available \x1b]0;owned\x07\r\n")
            c.recv(100)
    except OSError:
        pass
    c.close()
'''


def hostile(mode):
    port = free_port()
    script = path("hostile.py")
    with open(script, "w") as f:
        f.write(HOSTILE)
    start([PY, script, mode, str(port)], port)
    return port


@scenario
def hostile_smtp_peers_are_bounded_and_escaped():
    for mode, fid, words in (("longline", "starttls-failed", "longer than"),
                             ("flood", "starttls-failed", "more than"),
                             ("drip", "starttls-failed", "within"),
                             ("refuse", "starttls-refused", "454 4.7.0")):
        port = hostile(mode)
        r = tlsscope(["connect", "127.0.0.1:%d" % port, "--starttls", "smtp", "--timeout", "3",
                      "--json"], timeout=20)
        check(r.rc == 1, "%s: exit 1" % mode)
        check(ids(r)[:1] == [fid], "%s: %s, got %s" % (mode, fid, ids(r)))
        detail = finding(r, fid)["detail"]
        check(words in detail, "%s: the detail says %r: %s" % (mode, words, detail[:300]))
        check(r.seconds < 8, "%s: bounded by --timeout (%.1f s)" % (mode, r.seconds))
        text = r.out + "".join(s["detail"] or "" for s in r.report["handshake"]["steps"])
        check("\x1b" not in text and "\x07" not in text, mode + ": escapes stay escaped")
        check(all(len(s["detail"] or "") < 1000 for s in r.report["handshake"]["steps"]),
              mode + ": step details are capped")


if __name__ == "__main__":
    sys.exit(main(table))
