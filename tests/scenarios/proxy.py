"""connect --proxy through real proxies from Debian packages, each started here in the
foreground with a private configuration on 127.0.0.1: tinyproxy (HTTP CONNECT, with and without
Basic authentication and a port rule), Dante (SOCKS5, with a ruleset and a hosts file of its
own) and microsocks (SOCKS5 with a user and password), and hostile proxies."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from peers import (GNUTLS_SERV_END, ca, check, client, free_port, gnutls_serv, main, path,  # noqa
                   raw_peer, registry, server, start, tlsscope)

table, scenario = registry()
PASSWORD = "s3cret-proxy-word"


def pki():
    if not os.path.exists(path("ca.crt")):
        ca()
        server((path("ca.crt"), path("ca.key")), dns=("localhost", "intranet.test"))
        client((path("ca.crt"), path("ca.key")), cn="alice")
    return path("ca.crt")


def password_file(text=PASSWORD):
    f = path("proxy-password")
    with open(f, "w") as out:
        out.write(text + "\n")
    os.chmod(f, 0o600)
    return f


def tinyproxy(extra=()):
    port = free_port()
    conf = path("tinyproxy-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("\n".join(["Port %d" % port, "Listen 127.0.0.1", "Allow 127.0.0.1",
                           "LogFile \"%s\"" % path("tinyproxy-%d.log" % port),
                           "LogLevel Connect", "MaxClients 50", "User nobody",
                           "Group nogroup"] + list(extra)) + "\n")
    log = path("tinyproxy-%d.log" % port)
    open(log, "w").close()
    os.chmod(log, 0o666)  # tinyproxy writes it as nobody
    os.chmod(path(""), 0o755)
    start(["tinyproxy", "-d", "-c", conf], port)
    return port


def tinyproxy_log(port):
    with open(path("tinyproxy-%d.log" % port), errors="replace") as f:
        return f.read()


def dante(rules=(), hosts=None):
    """danted on 127.0.0.1; rules are socks rules placed before the one that passes all.
    hosts: lines of an /etc/hosts that only the proxy sees (a mount namespace of its own)."""
    port = free_port()
    conf = path("danted-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("\n".join(["logoutput: stderr", "internal: 127.0.0.1 port = %d" % port,
                           "external: 127.0.0.1", "socksmethod: none", "clientmethod: none",
                           "user.privileged: root", "user.unprivileged: nobody",
                           "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }"]
                          + list(rules)
                          + ["socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect }"]) + "\n")
    cmd = ["danted", "-f", conf]
    if hosts is not None:
        h = path("danted-hosts-%d" % port)
        with open(h, "w") as f:
            f.write("\n".join(hosts) + "\n")
        cmd = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
               h] + cmd
    start(cmd, port, stderr=open(path("danted-%d.log" % port), "w"))
    return port


def microsocks(user="bob", password=PASSWORD):
    port = free_port()
    start(["microsocks", "-i", "127.0.0.1", "-p", str(port), "-u", user, "-P", password], port)
    return port


def tls_server(client_cert="none"):
    pki()
    return gnutls_serv(path("server.crt"), path("server.key"), path("ca.crt"), client_cert)


def ids(run):
    return [f["id"] for f in run.report["findings"]]


def finding(run, fid):
    found = [f for f in run.report["findings"] if f["id"] == fid]
    check(found, "finding %s in %s" % (fid, ids(run)))
    return found[0]


def proxy_steps(report):
    steps = report["handshake"]["steps"] if "handshake" in report else report["steps"]
    return [s for s in steps if s["type"] == "Proxy"]


def connect(target, proxy, *args):
    return tlsscope(["connect", target, "--ca", path("ca.crt"), "--json", "--proxy", proxy]
                    + list(args))


def no_secret(run):
    check(PASSWORD not in run.out and PASSWORD not in run.err, "the password is never shown")


# ---------------- HTTP CONNECT ----------------

@scenario
def http_connect_through_tinyproxy():
    srv = tls_server()
    px = tinyproxy()
    r = connect("localhost:%d" % srv, "http://127.0.0.1:%d" % px)
    check(r.rc == 0, "OK through the proxy: %s" % ids(r))
    check(r.report["target"]["proxy"] == "http://127.0.0.1:%d" % px, "target.proxy")
    check(r.report["proxy"]["outcome"] == "tunnel", "proxy outcome")
    st = proxy_steps(r.report)
    check(len(st) == 2 and st[0]["dir"] == "sent"
          and st[0]["detail"] == "CONNECT localhost:%d HTTP/1.1" % srv, "CONNECT step: %s" % st)
    check(st[1]["dir"] == "received" and " 200 " in st[1]["detail"], "200 step: %s" % st)
    check(r.report["handshake"]["steps"][0]["type"] == "Proxy", "the proxy comes first in the timeline")
    check("CONNECT" in tinyproxy_log(px) and "localhost:%d" % srv in tinyproxy_log(px),
          "tinyproxy saw the CONNECT")
    text = tlsscope(["connect", "localhost:%d" % srv, "--ca", path("ca.crt"), "--proxy",
                     "http://127.0.0.1:%d" % px])
    check(text.rc == 0 and "Proxy" in text.out and "127.0.0.1:%d" % px in text.out,
          "the text report shows the proxy")


@scenario
def http_connect_refused_by_port_rule():
    srv = tls_server()
    px = tinyproxy(["ConnectPort 443"])
    r = connect("127.0.0.1:%d" % srv, "http://127.0.0.1:%d" % px)
    check(r.rc == 1, "a refused CONNECT fails")
    f = finding(r, "proxy-failure")
    check(f["severity"] == "error" and "403" in f["detail"], "names the 403: %s" % f)
    check(r.report["proxy"]["outcome"] == "refused", "outcome refused")
    check(not set(ids(r)) & {"tcp-refused", "not-tls", "handshake-failed"},
          "nothing is blamed on the target: %s" % ids(r))


@scenario
def http_proxy_basic_authentication():
    srv = tls_server()
    px = tinyproxy(["BasicAuth bob %s" % PASSWORD])
    r = connect("127.0.0.1:%d" % srv, "http://127.0.0.1:%d" % px)
    f = finding(r, "proxy-failure")
    # tinyproxy answers 407 without credentials and 401 for wrong ones.
    check(r.rc == 1 and "407" in f["detail"] and "--proxy-password-file" in f["detail"],
          "no user: 407 and how to give one: %s" % f)
    r = connect("127.0.0.1:%d" % srv, "http://bob@127.0.0.1:%d" % px,
                "--proxy-password-file", password_file())
    check(r.rc == 0, "with the user and password: OK %s" % ids(r))
    check(r.report["target"]["proxy"] == "http://bob@127.0.0.1:%d" % px, "user shown, no password")
    check("not shown" in proxy_steps(r.report)[0]["detail"], "the step says the credential is hidden")
    no_secret(r)
    r = connect("127.0.0.1:%d" % srv, "http://bob@127.0.0.1:%d" % px,
                "--proxy-password-file", password_file("wrong-" + PASSWORD[::-1]))
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "401" in f["detail"] and "wrong" in f["detail"], "wrong password: %s" % f)


@scenario
def password_in_proxy_url_is_refused():
    r = tlsscope(["connect", "127.0.0.1:1", "--proxy",
                  "http://bob:%s@127.0.0.1:3128" % PASSWORD])
    check(r.rc == 2 and len(r.err.strip().splitlines()) == 1, "one line, exit 2")
    check("--proxy-password-file" in r.err, "says where the password goes")
    no_secret(r)
    for bad in ("ftp://127.0.0.1:21", "127.0.0.1:3128", "http://127.0.0.1", "socks5://:1080",
                "http://127.0.0.1:3128/path", "http://\x1b[31m:1"):
        r = tlsscope(["connect", "127.0.0.1:1", "--proxy", bad])
        check(r.rc == 2 and len(r.err.strip().splitlines()) == 1 and "\x1b" not in r.err,
              "bad proxy URL %r: one escaped line, exit 2 (%r)" % (bad, r.err))


@scenario
def socks5_url_for_an_http_proxy_says_so():
    """tinyproxy given a SOCKS5 greeting waits, silently, for the rest of a request line."""
    srv = tls_server()
    px = tinyproxy()
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px, "--timeout", "2")
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "use http://" in f["detail"], "the hint: %s" % f["detail"])


@scenario
def longest_host_user_and_password_fit():
    """A 253-byte host name, a 255-byte user and a 255-byte password (RFC 1929's limits): the
    requests are whole, and one byte more is one error line. SOCKS5 through microsocks to a real
    server; HTTP CONNECT to a peer that checks the request it got (tinyproxy refuses credentials
    past about 100 bytes, as curl sees too)."""
    srv = tls_server()
    user, pw = "u" * 255, "p" * 255
    r = connect("127.0.0.1:%d" % srv, "socks5://%s@127.0.0.1:%d" % (user, microsocks(user, pw)),
                "--proxy-password-file", password_file(pw))
    check(r.rc == 0, "SOCKS5 with the longest user and password: %s" % ids(r))
    host = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    port = raw_peer("checking-proxy", r"""
        import base64
        want = "CONNECT HOST:443 HTTP/1.1\r\nHost: HOST:443\r\n"
        cred = base64.b64encode(("u" * 255 + ":" + "p" * 255).encode()).decode()
        while True:
            c = s.accept()[0]
            got = b""
            while b"\r\n\r\n" not in got:
                more = c.recv(4096)
                if not more:
                    break
                got += more
            t = got.decode("latin-1")
            whole = t.startswith(want) and ("Proxy-Authorization: Basic " + cred + "\r\n") in t
            c.sendall(b"HTTP/1.1 403 Forbidden (whole)\r\n\r\n" if whole
                      else b"HTTP/1.1 400 Bad Request (cut)\r\n\r\n")
            c.close()
        """.replace("HOST", host))
    r = connect("%s:443" % host, "http://%s@127.0.0.1:%d" % (user, port),
                "--proxy-password-file", password_file(pw))
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "403 Forbidden (whole)" in f["detail"], "the request arrived whole: %s"
          % f["detail"][-200:])
    check(pw not in r.out and pw not in r.err, "the password is never shown")
    r = tlsscope(["connect", "%s:443" % host, "--proxy", "http://%s@127.0.0.1:%d" % (user, port),
                  "--proxy-password-file", password_file(pw + "p")])
    check(r.rc == 2 and "255" in r.err and len(r.err.strip().splitlines()) == 1,
          "a longer password is one error line: %r" % r.err)


@scenario
def proxy_unreachable_is_named():
    pki()
    dead = free_port()
    r = connect("127.0.0.1:443", "socks5://127.0.0.1:%d" % dead)
    check(r.rc == 1, "fails")
    f = finding(r, "proxy-failure")
    check("proxy 127.0.0.1 port %d" % dead in f["detail"] and "refused" in f["detail"].lower(),
          "names the proxy and the refusal: %s" % f)
    check("tcp-refused" not in ids(r), "not blamed on the target: %s" % ids(r))


# ---------------- SOCKS5 ----------------

@scenario
def socks5_through_dante():
    srv = tls_server()
    px = dante()
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px)
    check(r.rc == 0, "OK through Dante: %s" % ids(r))
    details = [s["detail"] for s in proxy_steps(r.report)]
    check(details[0].startswith("greeting") and details[1] == "method no-authentication"
          and details[2] == "CONNECT 127.0.0.1 port %d" % srv
          and details[3] == "reply 0: succeeded", "SOCKS5 steps: %s" % details)
    with open(path("danted-%d.log" % px), errors="replace") as f:
        log = f.read()
    check("127.0.0.1.%d" % srv in log, "Dante logged the connection")


@scenario
def socks5_ruleset_refusal():
    srv = tls_server()
    px = dante(["socks block { from: 0.0.0.0/0 to: 127.0.0.1/32 port = %d }" % srv])
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px)
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "not allowed by ruleset" in f["detail"], "Dante's reply 2: %s" % f)


@scenario
def socks5h_sends_the_name():
    srv = tls_server()
    px = dante()
    r = connect("localhost:%d" % srv, "socks5h://127.0.0.1:%d" % px)
    check(r.rc == 0, "socks5h: %s %s" % (ids(r), r.err[-300:]))
    details = [s["detail"] for s in proxy_steps(r.report)]
    check("CONNECT localhost port %d (the proxy resolves the name)" % srv in details,
          "the name is sent, not an address: %s" % details)
    check(r.report["target"]["address"] is None, "no address was looked up here")


def private_hosts_possible():
    """Whether a mount namespace with a hosts file of its own can be made here (not in every
    container or chroot)."""
    h = path("hosts-probe")
    with open(h, "w") as f:
        f.write("127.0.0.1 localhost\n")
    p = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts', h],
                       capture_output=True)
    return p.returncode == 0


@scenario
def socks5h_name_only_the_proxy_knows():
    if not private_hosts_possible():
        print("skipped: no mount namespace for a private hosts file here", file=sys.stderr)
        sys.exit(77)
    srv = tls_server()
    px = dante(hosts=["127.0.0.1 localhost", "127.0.0.1 intranet.test"])
    # tlsscope never looks the name up: the proxy does (from a hosts file only it sees).
    r = connect("intranet.test:%d" % srv, "socks5h://127.0.0.1:%d" % px)
    check(r.rc == 0, "socks5h: the proxy resolves intranet.test: %s %s" % (ids(r), r.err[-300:]))
    details = [s["detail"] for s in proxy_steps(r.report)]
    check("CONNECT intranet.test port %d (the proxy resolves the name)" % srv in details,
          "the name is sent: %s" % details)
    check(r.report["negotiated"] and r.report["verification"]["trusted"], "verified by name")


@scenario
def socks5_user_and_password():
    srv = tls_server()
    px = microsocks()
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px)
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "none acceptable" in f["detail"]
          and "--proxy-password-file" in f["detail"], "no user: named: %s" % f)
    r = connect("127.0.0.1:%d" % srv, "socks5h://bob@127.0.0.1:%d" % px,
                "--proxy-password-file", password_file())
    check(r.rc == 0, "with user and password: OK %s" % ids(r))
    no_secret(r)
    r = connect("127.0.0.1:%d" % srv, "socks5://bob@127.0.0.1:%d" % px,
                "--proxy-password-file", password_file("not-it"))
    f = finding(r, "proxy-failure")
    check(r.rc == 1 and "username/password refused" in f["detail"], "wrong password: %s" % f)


# ---------------- what goes through the tunnel ----------------

@scenario
def two_way_tls_through_a_proxy():
    srv = tls_server("require")
    px = dante()
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px)
    check(r.rc == 1 and "client-cert-required" in ids(r), "no identity: %s" % ids(r))
    r = connect("127.0.0.1:%d" % srv, "socks5://127.0.0.1:%d" % px, "--cert",
                path("client.crt"), "--key", path("client.key"))
    check(r.rc == 0 and r.report["client_auth"]["sent"], "with the identity: %s" % ids(r))


@scenario
def follow_ups_go_through_the_proxy():
    """--resume's second connection and the probes after a failed handshake use the proxy
    too: a direct connection would test another path."""
    srv = tls_server()
    px = tinyproxy()
    r = connect("localhost:%d" % srv, "http://127.0.0.1:%d" % px, "--resume")
    check(r.rc == 0 and r.report["resumption"], "resumed: %s" % ids(r))
    check(tinyproxy_log(px).count("Established connection") >= 2
          or tinyproxy_log(px).count("CONNECT") >= 2, "both connections went through tinyproxy")
    check(proxy_steps(r.report["resumption"]), "the resumption has its proxy steps")
    # A TLS 1.2-only priority the server refuses: the probes follow, through the proxy.
    old = gnutls_serv(path("server.crt"), path("server.key"), priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    px2 = tinyproxy()
    r = connect("localhost:%d" % old, "http://127.0.0.1:%d" % px2, "--tls-max", "1.2")
    probes = [st for st in r.report["handshake"]["steps"] if st["type"] == "Probe"]
    check(r.rc == 1 and probes, "probes ran: %s" % ids(r))
    log = tinyproxy_log(px2)
    print("probes %d, proxy connections %d" % (len(probes), log.count("Established connection")))
    check(log.count("Established connection") >= 1 + len(probes),
          "every probe went through the proxy (%d probes):\n%s" % (len(probes), log[-1500:]))


@scenario
def starttls_through_proxies_20_times():
    """The target speaks first (an IMAP greeting) and may follow the proxy's answer in the same
    segment: only the proxy's answer is consumed. Dovecot, through tinyproxy and Dante."""
    import starttls
    ports = starttls.dovecot(protocols=("imap",))
    tp, dn = tinyproxy(), dante()
    for i in range(10):
        for proxy in ("http://127.0.0.1:%d" % tp, "socks5://127.0.0.1:%d" % dn):
            r = connect("127.0.0.1:%d" % ports["imap"], proxy, "--starttls", "imap")
            upgraded = [st for st in r.report["handshake"]["steps"] if st["type"] == "StartTLS"]
            check(r.rc == 0 and r.report["target"]["starttls"] == "imap" and upgraded
                  and r.report["negotiated"], "run %d via %s: %s %s"
                  % (i, proxy, ids(r), r.report["handshake"]["error"]))


# ---------------- hostile proxies ----------------

HOSTILE = {
    "flood": """
        while True:
            c = s.accept()[0]
            c.recv(4096)
            try:
                c.sendall(b"HTTP/1.1 200 OK\\r\\n" + b"X-Pad: " + b"a" * 100000)
            except OSError:
                pass
            c.close()
        """,
    "garbage": """
        while True:
            c = s.accept()[0]
            c.recv(4096)
            c.sendall(b"SSH-2.0-OpenSSH_9.2 \\x1b[2J\\x1b]0;owned\\x07\\r\\n\\r\\n")
            c.close()
        """,
    "silent": """
        held = []
        while True:
            held.append(s.accept()[0])
        """,
    "socks4": """
        while True:
            c = s.accept()[0]
            c.recv(64)
            c.sendall(b"\\x04\\x5a")
            c.close()
        """,
}


@scenario
def hostile_proxies_are_bounded_and_escaped():
    pki()
    ports = {name: raw_peer("hostile-proxy-" + name, loop) for name, loop in HOSTILE.items()}
    for name, kind in (("flood", "http"), ("garbage", "http"), ("silent", "http"),
                       ("silent", "socks5"), ("socks4", "socks5")):
        port = ports[name]
        r = connect("127.0.0.1:443", "%s://127.0.0.1:%d" % (kind, port), "--timeout", "3")
        check(r.rc == 1 and r.seconds < 10, "%s/%s: fails in time (%.1f s)" % (name, kind,
                                                                            r.seconds))
        f = finding(r, "proxy-failure")
        check("\x1b" not in r.out and "\x07" not in r.out, "%s: escaped" % name)
        expect = {"flood": "more than", "garbage": "not an HTTP answer",
                  "silent": "within 3.0 s", "socks4": "not a SOCKS5 answer"}[name]
        check(expect in f["detail"], "%s/%s: %s in %s" % (name, kind, expect, f["detail"]))


if __name__ == "__main__":
    sys.exit(main(table))
