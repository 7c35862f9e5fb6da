"""tlsscope listen against real clients on 127.0.0.1: openssl s_client, gnutls-cli, curl, the
seed's Python urllib client, and tlsscope connect itself. One scenario per meson test.

Usage: listen.py SCENARIO | --list"""
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import *  # noqa: E402,F401,F403

SCENARIOS, scenario = registry()


class Listener:
    """tlsscope listen on an ephemeral port, JSON Lines read as they come."""

    def __init__(self, crt, k, *extra, host="127.0.0.1", fmt="--json"):
        self.port = free_port(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        addr = "[%s]:%d" % (host, self.port) if ":" in host else "%s:%d" % (host, self.port)
        self.p = spawn_tlsscope(["listen", addr, "--cert", crt, "--key", k, fmt] + list(extra),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check(wait_port(self.port, host, proc=self.p), "listener up: %s" % self.stderr())
        self.host = host
        # Drain stdout as it comes: a full pipe would stall the listener, as it would any
        # program whose reader stops reading.
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr(self):
        if self.p.poll() is None:
            return ""
        return self.p.stderr.read()

    def reports(self, n, deadline=30.0):
        """The next n reports (a line each), polling stdout until the deadline."""
        out = []
        end = time.monotonic() + deadline
        while len(out) < n and time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            rep = json.loads(line)
            validate(rep)
            out.append(rep)
        check(len(out) == n, "%d reports, got %d" % (n, len(out)))
        return out

    def stop(self):
        """SIGTERM; the listener must end with its summary, 0 or 1, and no sanitizer report
        (finish() checks the status again at the end of the scenario)."""
        rc = end(self.p)
        self.reader.join(timeout=10)
        out = []
        while not self.lines.empty():
            line = self.lines.get()
            if line is not None:
                out.append(line)
        err = self.p.stderr.read()
        check_status(rc, "tlsscope listen", allowed=TLSSCOPE_END, err=err)
        return rc, "".join(out), err


def errors(rep):
    return {f["id"] for f in rep["findings"] if f["severity"] == "error"}


def ids(rep):
    return {f["id"] for f in rep["findings"]}


def s_client(port, *extra, data="GET / HTTP/1.0\r\n\r\n", host="127.0.0.1"):
    target = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    try:
        return subprocess.run(["openssl", "s_client", "-ign_eof", "-connect", target]
                              + list(extra), input=data, capture_output=True, text=True,
                              timeout=20).stdout
    except subprocess.TimeoutExpired:
        raise Failure("openssl s_client did not finish: the listener kept the connection")


def gnutls_cli(port, *extra):
    r = subprocess.run(["gnutls-cli", "-p", str(port), "127.0.0.1"] + list(extra),
                       input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True,
                       timeout=20)
    return r.stdout + r.stderr


def pki():
    root = ca()
    return root, server(root), client(root)


TLS = {"1.2": ("-tls1_2", "NORMAL:-VERS-TLS1.3"), "1.3": ("-tls1_3", "NORMAL")}


def matrix(tool, mode):
    """A client tool with and without a certificate, over TLS 1.2 and 1.3, in one mode."""
    root, srv, cl = pki()
    lst = Listener(*srv, "--client-ca", root[0], "--client-cert", mode)
    runs = []
    for version in ("1.2", "1.3"):
        for with_cert in (True, False):
            if tool == "openssl":
                args = ["-CAfile", root[0], TLS[version][0]]
                if with_cert:
                    args += ["-cert", cl[0], "-key", cl[1]]
                out = s_client(lst.port, *args)
            else:
                args = ["--x509cafile", root[0], "--priority", TLS[version][1]]
                if with_cert:
                    args += ["--x509certfile", cl[0], "--x509keyfile", cl[1]]
                out = gnutls_cli(lst.port, *args)
            rep = lst.reports(1)[0]
            runs.append((version, with_cert, out, rep))
    for version, with_cert, out, rep in runs:
        what = "%s TLS %s %s a certificate, mode %s" % (tool, version,
                                                       "with" if with_cert else "without", mode)
        if with_cert or mode == "request":
            check(rep["negotiated"]["version"] == "TLS" + version, what + ": version")
            check("HTTP/1.1 200 OK" in out, what + ": served 200: %r" % out[-300:])
        if with_cert:
            check(rep["verdict"] == "ok" and not rep["findings"], what + ": %s" % ids(rep))
            leaf = rep["peer_chain"][0]
            check(leaf["subject"] == "CN=scenario client" and "clientAuth" in leaf["eku"],
                  what + ": client chain")
            check(rep["client_auth"]["sent"] and rep["client_auth"]["requested"], what)
        elif mode == "request":
            check(rep["verdict"] == "ok" and ids(rep) == {"client-sent-no-cert"}, what)
            check(rep["findings"][0]["severity"] == "info", what + ": only a note")
        else:
            check(errors(rep) == {"client-sent-no-cert"} and rep["verdict"] == "fail",
                  what + ": %s" % ids(rep))
            check(rep["handshake"]["alert_sent"] is not None, what + ": refused with an alert")
            check("HTTP/1.1" not in out, what + ": not served")
        check(rep["mode"] == "listen" and rep["peer"]["address"].startswith("127.0.0.1:"), what)
    rc, _, err = lst.stop()
    check("4 connections" in err, "summary line on SIGTERM: %r" % err)
    check(rc == (0 if mode == "request" else 1), "exit code %s" % rc)


@scenario
def openssl_request():
    matrix("openssl", "request")


@scenario
def openssl_require():
    matrix("openssl", "require")


@scenario
def gnutls_cli_request():
    matrix("gnutls", "request")


@scenario
def gnutls_cli_require():
    matrix("gnutls", "require")


@scenario
def curl_and_seed_python_client():
    root, srv, cl = pki()
    lst = Listener(*srv, "--client-ca", root[0], "--client-cert", "require")
    out = subprocess.run(["curl", "-s", "--max-time", "10", "--cacert", root[0], "--cert", cl[0],
                          "--key", cl[1], "https://localhost:%d/" % lst.port],
                         capture_output=True, text=True, timeout=20).stdout
    check("verdict ok" in out and "CN=scenario client" in out, "curl sees the summary: %r" % out)
    rep = lst.reports(1)[0]
    check(rep["verdict"] == "ok" and rep["target"]["sni"] == "localhost", rep["target"])
    seed = path("seed_client.py")
    with open(seed, "w") as f:
        f.write(textwrap.dedent("""
            import ssl, sys, urllib.request
            context = ssl.SSLContext(ssl.PROTOCOL_TLS)
            context.check_hostname = False
            context.load_verify_locations(sys.argv[2])
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_cert_chain(sys.argv[3], sys.argv[4])
            request = urllib.request.Request('https://127.0.0.1:%s/' % sys.argv[1])
            print(urllib.request.urlopen(request, context=context, timeout=10).read().decode())
            """))
    r = subprocess.run([PY, seed, str(lst.port), root[0], cl[0], cl[1]], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 0 and "verdict ok" in r.stdout, "seed client: %r" % r.stderr[-300:])
    check(lst.reports(1)[0]["verdict"] == "ok", "seed client report")
    lst.stop()


SERIAL = "7f" + "00112233445566778899aabbccddeeff0011"  # 20 bytes


def serial_listener(*allow):
    root = ca()
    srv = server(root)
    cl = cert("serialclient", ['cn = "serial client"', "signing_key", "tls_www_client",
                               "serial = 0x%s" % SERIAL, "expiration_days = 100"], signer=root)
    args = ["--client-ca", root[0], "--client-cert", "require"]
    for a in allow:
        args += ["--allow-serial", a]
    return root, cl, Listener(*srv, *args)


@scenario
def serial_allowlist_forms():
    dec = str(int(SERIAL, 16))
    colons = ":".join(SERIAL[i:i + 2] for i in range(0, len(SERIAL), 2)).upper()
    for given, form in ((SERIAL, "hex"), ("0x" + SERIAL.upper(), "hex"), (colons, "hex"),
                        (dec, "decimal")):
        root, cl, lst = serial_listener("0x1234", given)
        s_client(lst.port, "-CAfile", root[0], "-cert", cl[0], "-key", cl[1])
        rep = lst.reports(1)[0]
        check(rep["peer_chain"][0]["serial_hex"] == SERIAL, rep["peer_chain"][0]["serial_hex"])
        check(rep["peer_chain"][0]["serial_dec"] == dec, "decimal computed from the bytes")
        check(rep["serial_check"] == {"allowed": True, "matched": given, "form": form},
              "%s: %s" % (given, rep["serial_check"]))
        check(rep["verdict"] == "ok", "%s: %s" % (given, ids(rep)))
        lst.stop()


@scenario
def serial_not_allowed_shows_both_forms():
    root, cl, lst = serial_listener("4660", "0x99:88")
    out = s_client(lst.port, "-CAfile", root[0], "-cert", cl[0], "-key", cl[1])
    rep = lst.reports(1)[0]
    check(errors(rep) == {"client-serial-not-allowed"}, ids(rep))
    f = [f for f in rep["findings"] if f["id"] == "client-serial-not-allowed"][0]
    check(SERIAL in f["detail"] and str(int(SERIAL, 16)) in f["detail"], f["detail"])
    check(rep["serial_check"]["allowed"] is False, rep["serial_check"])
    check("403 Forbidden" in out and "client-serial-not-allowed" in out, "the client is told")
    # The configured values, each with how it was read, in the finding and the HTTP body.
    for told in (f["detail"], out):
        check("4660 (hex 0x4660 or decimal 4660)" in told and "0x99:88 (hex 9988)" in told,
              "the configured values: %s" % told)
    check("serial: hex %s, decimal %s" % (SERIAL, int(SERIAL, 16)) in out, out)
    check("allowed serials: 4660 (hex" in out, out)
    rc, lines, err = lst.stop()
    # The value that reads both ways is warned about, on stderr only; the hex one is not.
    check("--allow-serial 4660 reads both as hex 0x4660 and as decimal 4660" in err, err)
    check("99:88" not in err, err)
    check(all(l.startswith("{") for l in lines.splitlines()), "stdout: JSON only: %r" % lines)
    # --strict refuses it during the handshake instead, with an alert.
    root, cl, lst = serial_listener("4660")
    lst.stop()
    srv = server(root)
    strict = Listener(*srv, "--client-ca", root[0], "--client-cert", "require",
                      "--allow-serial", "4660", "--strict")
    s_client(strict.port, "-CAfile", root[0], "-cert", cl[0], "-key", cl[1])
    rep = strict.reports(1)[0]
    check(rep["handshake"]["alert_sent"] is not None, "refused with an alert")
    check("client-serial-not-allowed" in errors(rep), ids(rep))
    strict.stop()


@scenario
def many_clients_beside_stalled_ones():
    root, srv, _ = pki()
    lst = Listener(*srv, "--handshake-timeout", "1.5", "--history", "20")
    stalled = [socket.create_connection(("127.0.0.1", lst.port)) for _ in range(5)]
    for s in stalled:
        s.send(b"\x16")  # a byte of a record header, then nothing: a real stall, not a probe
    t0 = time.monotonic()
    procs = [subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % lst.port,
                               "-CAfile", root[0]], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for _ in range(50)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    served = sum("Verify return code: 0" in o for o in outs)
    check(served == 50, "50 handshakes beside 5 stalled clients: %d" % served)
    reps = lst.reports(55, deadline=30)
    timeouts = [r for r in reps if r["handshake"]["status"] == "timeout"]
    check(len(timeouts) == 5, "the 5 stalled clients time out: %d" % len(timeouts))
    check(all(r["timing"]["total_ms"] >= 1400 for r in timeouts), "at their deadline")
    check(all("handshake-timeout" in errors(r) for r in timeouts), "reported as such")
    check(time.monotonic() - t0 < 20, "no client waited on another")
    # History is a ring of 20: another 60 connections leave the listener's memory flat.
    rss = []
    for _ in range(3):
        for _ in range(20):
            subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % lst.port,
                            "-CAfile", root[0]], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=20)
        lst.reports(20)
        with open("/proc/%d/status" % lst.p.pid) as f:
            rss.append(int([l for l in f if l.startswith("VmRSS")][0].split()[1]))
    check(rss[2] <= rss[0] * 1.5 + 2048, "memory stays bounded: %s kB" % rss)
    for s in stalled:
        s.close()
    lst.stop()


@scenario
def silent_port_checks_are_not_reported():
    root, srv, _ = pki()
    lst = Listener(*srv, fmt="--batch")
    for _ in range(3):
        socket.create_connection(("127.0.0.1", lst.port)).close()
    s_client(lst.port, "-CAfile", root[0])
    rc, out, err = lst.stop()
    lines = [l for l in out.splitlines() if l.strip() and not l.startswith(" ")]
    check(len(lines) == 2 and "1 connection, 1 ok" in out, "one line and the summary: %r" % out)


@scenario
def plain_http_client_is_not_tls():
    root, srv, _ = pki()
    lst = Listener(*srv)
    s = socket.create_connection(("127.0.0.1", lst.port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
    rep = lst.reports(1)[0]
    check(errors(rep) == {"not-tls"}, ids(rep))
    check("plain HTTP" in rep["findings"][0]["detail"], rep["findings"][0]["detail"])
    lst.stop()


@scenario
def echo_mode():
    root, srv, _ = pki()
    lst = Listener(*srv, "--respond", "echo", "--handshake-timeout", "2")
    out = s_client(lst.port, "-CAfile", root[0], data="hello tlsscope\n")
    # s_client does not print what it sends: the line in its output came back from the listener.
    check("hello tlsscope" in out, "echoed back: %r" % out[-200:])
    check(lst.reports(1)[0]["verdict"] == "ok", "report")
    lst.stop()


@scenario
def connect_against_listen():
    """The tool against itself in every client-auth mode: both reports agree."""
    root, srv, cl = pki()
    for mode in ("none", "request", "require"):
        for with_cert in (False, True):
            extra = ["--client-ca", root[0], "--client-cert", mode] if mode != "none" else []
            lst = Listener(*srv, *extra)
            args = ["connect", "127.0.0.1:%d" % lst.port, "--json", "--ca", root[0],
                    "--no-system-trust"]
            if with_cert:
                args += ["--cert", cl[0], "--key", cl[1]]
            c = tlsscope(args).report
            s = lst.reports(1)[0]
            what = "mode %s, %s certificate" % (mode, "with" if with_cert else "without")
            if mode == "require" and not with_cert:
                check("client-cert-required" in errors(c), what + ": client side %s" % ids(c))
                check("client-sent-no-cert" in errors(s), what + ": listener side %s" % ids(s))
            else:
                for k in ("version", "cipher_suite"):
                    check(c["negotiated"][k] == s["negotiated"][k], what + ": " + k)
                sent = with_cert and mode != "none"
                check(c["client_auth"]["sent"] == sent == bool(s["peer_chain"]), what)
                if sent:
                    check(c["client_auth"]["certificate"]["sha256"] ==
                          s["peer_chain"][0]["sha256"], what + ": same client certificate")
                if sent:
                    check("scenario client" in s["peer_chain"][0]["subject"],
                          what + ": the listener saw the client's certificate")
                check(s["verdict"] == "ok", what + ": listener %s" % ids(s))
                check(c["peer_chain"][0]["sha256"] != "" and c["verdict"] == "ok",
                      what + ": client %s" % ids(c))
                # The listener's HTTP answer reached the client's probe when one went out.
                if c["http"]:
                    check(c["http"]["status_line"].startswith("HTTP/1.1 200"), c["http"])
            lst.stop()


@scenario
def ipv6_listener():
    try:
        t = socket.socket(socket.AF_INET6)
        t.bind(("::1", 0))
        t.close()
    except OSError:
        sys.exit(77)
    root, srv, _ = pki()
    lst = Listener(*srv, host="::1")
    r = tlsscope(["connect", "[::1]:%d" % lst.port, "--json", "--ca", root[0],
                  "--no-system-trust"])
    check(r.rc == 0, "exit 0: %s" % r.ids())
    check(lst.reports(1)[0]["peer"]["address"].startswith("[::1]:"), "IPv6 peer")
    lst.stop()


@scenario
def listen_usage_errors():
    root, srv, _ = pki()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    cases = [
        (["listen"], "needs a port"),
        (["listen", "99999", "--cert", srv[0], "--key", srv[1]], "65535"),
        (["listen", "4433"], "--cert"),
        (["listen", "localhost:4433", "--cert", srv[0], "--key", srv[1]], "IP address"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--client-cert", "require"],
         "--client-ca"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--client-cert", "maybe"],
         "none, request or require"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--allow-serial", "xyz"],
         "not a serial"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--respond", "html"], "--respond"),
        (["listen", "4433", "--cert", srv[0], "--key", srv[1], "--count", "0"], "--count"),
        (["listen", "127.0.0.1:%d" % port, "--cert", srv[0], "--key", srv[1]], "in use"),
    ]
    for args, needle in cases:
        r = tlsscope(args)
        lines = r.err.strip().splitlines()
        check(r.rc == 2 and len(lines) == 1 and needle in lines[0],
              "%s: exit 2 with one line about %r, got %d %r" % (args, needle, r.rc, r.err))
    busy.close()


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
