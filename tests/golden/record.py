#!/usr/bin/python3
"""Makes the golden recordings from real handshakes on 127.0.0.1, then the stored outputs.

    python3 tests/golden/record.py [BUILD_DIR]          (default: build)
    python3 tests/golden/record.py --check [BUILD_DIR]  the same into a temporary directory:
                                                        only the live-versus-replay check

Each case runs tlsscope against a real peer (gnutls-serv, or tlsscope's own listener with
tlsscope as the client) with certificates from `tlsscope pki` (and certtool for an expired
leaf), with TLSSCOPE_RECORD=tests/golden/NAME.recording: the event stream and the final
report, with its capture time. Then BUILD_DIR/tests/golden_replay --update replays each
recording into the sinks and writes NAME.txt, NAME.json, NAME.jsonl (NAME.lines.txt for a
listener), and this script checks that the replay gives what the live run printed."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = "--check" in sys.argv[1:]
ARGS = [a for a in sys.argv[1:] if a != "--check"]
BUILD = os.path.abspath(ARGS[0] if ARGS else os.path.join(ROOT, "build"))
os.environ.setdefault("TLSSCOPE", os.path.join(BUILD, "tlsscope"))
os.environ.setdefault("TLSSCOPE_SCHEMA", os.path.join(ROOT, "docs", "report.schema.json"))
os.environ["TZ"] = "UTC"  # the listener's lines show the time of day, as the replay does
sys.path.insert(0, os.path.join(ROOT, "tests", "scenarios"))
import peers  # noqa: E402
from peers import check, gnutls_serv, path  # noqa: E402

REPLAY = os.environ.get("GOLDEN_REPLAY", os.path.join(BUILD, "tests", "golden_replay"))
OUT = path("golden") if CHECK else HERE
os.makedirs(OUT, exist_ok=True)


def recording(name):
    return os.path.join(OUT, name + ".recording")


def connect(name, port, *args, verdict):
    """One client connection, recorded; returns what it printed (its JSON report)."""
    r = peers.tlsscope(["connect", "127.0.0.1:%d" % port, "--json", "--verify-name",
                        "localhost"] + list(args), env={"TLSSCOPE_RECORD": recording(name)})
    check(r.report["verdict"] == verdict, "%s: verdict %s, got %s (%s)"
          % (name, verdict, r.report["verdict"], r.ids()))
    return {name + ".json": r.out}


def pki():
    peers.tlsscope(["pki", path("pki")])
    p = lambda f: path("pki/" + f)  # noqa: E731
    expired = peers.server((p("ca/ca.crt"), p("ca/ca.key")), name="expired",
                           extra=['activation_date = "2020-01-01 00:00:00"',
                                  'expiration_date = "2021-01-01 00:00:00"'])
    return p, expired


def listen(name, ca, server_id, client_id):
    """tlsscope's listener, recorded, reporting two clients: one with a certificate, one
    without. Returns its lines (the summary line left out)."""
    import subprocess as sp
    lst, port = peers.tlsscope_listener(server_id, "--client-ca", ca, "--count", "2",
                                        "--batch", stdout=sp.PIPE,
                                        env={"TLSSCOPE_RECORD": recording(name), "TZ": "UTC"})
    target = "127.0.0.1:%d" % port
    peers.tlsscope(["connect", target, "--batch", "--ca", ca, "--verify-name", "localhost",
                    "--cert", client_id[0], "--key", client_id[1]])
    peers.tlsscope(["connect", target, "--batch", "--ca", ca, "--verify-name", "localhost"])
    rc = lst.wait(timeout=30)
    check(rc in (0, 1), "the listener ended after two connections (status %s)" % rc)
    lines = lst.stdout.read().decode().splitlines(True)
    check(len(lines) >= 2 and lines[-1].startswith("tlsscope: 2 connections"),
          "the listener's summary: %r" % lines[-1:])
    return {name + ".lines.txt": "".join(lines[:-1])}


def main():
    p, expired = pki()
    srv = (p("server/server.crt"), p("server/server.key"))
    ca = p("ca/ca.crt")
    live = {}
    port = gnutls_serv(*srv)
    live.update(connect("oneway-ok", port, "--ca", ca, verdict="ok"))
    live.update(connect("untrusted-chain", port, "--no-system-trust", verdict="fail"))
    port = gnutls_serv(*srv, ca_file=ca, client_cert="require")
    live.update(connect("twoway-cert-not-sent", port, "--ca", ca, verdict="fail"))
    live.update(connect("twoway-ok", port, "--ca", ca, "--cert", p("client/client.crt"),
                        "--key", p("client/client.key"), verdict="ok"))
    port = gnutls_serv(*expired)
    live.update(connect("expired-leaf", port, "--ca", ca, verdict="fail"))
    live.update(listen("listen-two-clients", ca, srv,
                       (p("client/client.crt"), p("client/client.key"))))
    subprocess.run([REPLAY, "--update", OUT], check=True)
    # The replay gives what the live run printed, byte for byte.
    for f, text in sorted(live.items()):
        with open(os.path.join(OUT, f)) as g:
            check(g.read() == text, "%s: the replay differs from the live run" % f)
    subprocess.run([REPLAY, OUT], check=True)
    peers.finish()
    if not CHECK:
        print("recordings and outputs in %s" % os.path.relpath(HERE, ROOT))


if __name__ == "__main__":
    main()
