"""connect --starttls against real servers from Debian packages (Dovecot for IMAP, POP3 and
LMTP, PostgreSQL with client certificates required), each started here in the foreground with a
private configuration on 127.0.0.1, and against hostile plaintext peers."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from peers import (PY, WORK, ca, check, client, free_port, main, path, registry, server,  # noqa
                   start, tlsscope, wait_port)

table, scenario = registry()
PG_BIN = "/usr/lib/postgresql/15/bin"


def pki():
    if not os.path.exists(path("ca.crt")):
        ca()
        server((path("ca.crt"), path("ca.key")))
        client((path("ca.crt"), path("ca.key")), cn="alice")
        ca("Other Root CA", file="otherca")
        client((path("otherca.crt"), path("otherca.key")), cn="alice", name="stranger")
    # The daemons drop privileges (dovenull, postgres) and must reach their directories.
    os.chmod(WORK, 0o755)
    return path("ca.crt")


def dovecot(ssl="yes", protocols=("imap", "pop3", "lmtp")):
    pki()
    d = path("dovecot")
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
             "lmtp": ("lmtp", "lmtp", None)}
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
