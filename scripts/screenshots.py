#!/usr/bin/python3
"""Regenerates screenshots/*.png from real runs: tlsscope in a tmux pane against real peers on
127.0.0.1, the pane captured with its colors (capture-pane -e), turned into HTML by aha and
into a PNG by headless Chromium.

Usage: TLSSCOPE=build/tlsscope /usr/bin/python3 scripts/screenshots.py [OUTDIR]
Needs tmux, gnutls-bin, aha, chromium and fonts-dejavu-core (apt-get install them)."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tui"))
os.environ["TLSSCOPE"] = os.path.abspath(os.environ.get("TLSSCOPE", "build/tlsscope"))
import tui  # noqa: E402  (the tmux Pane of the TUI tests, and their peers)
from peers import (WORK, bundle, ca, cert, client, finish, free_port, gnutls_serv, nginx,  # noqa: E402
                   path, server)

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "screenshots"))
COLS, ROWS = 100, 30
PAGE = """<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #1d1f21; }}
pre {{ margin: 0; padding: 10px 12px; color: #d8d8d8; background: #1d1f21;
      font: 15px/1.25 'DejaVu Sans Mono', monospace; }}
</style><pre>{}</pre>"""


def shoot(pane, name, cols=COLS, rows=ROWS):
    ansi = pane.tmux("capture-pane", "-e", "-p", "-t", "t").stdout
    body = subprocess.run(["aha", "--black", "--no-header"], input=ansi, capture_output=True,
                          text=True, check=True).stdout
    os.makedirs(path("pages"), exist_ok=True)
    page = path("pages/" + name + ".html")
    with open(page, "w") as f:
        f.write(PAGE.format(body))
    # DejaVu Sans Mono at 15 px: 9.04 px a column, 18.75 px a row.
    width, height = int(cols * 9.04) + 26, int(rows * 18.75) + 22
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=%d,%d" % (width, height),
                    "--screenshot=" + os.path.join(OUT, name + ".png"), "file://" + page],
                   check=True, capture_output=True, timeout=120)
    print("wrote", os.path.join(OUT, name + ".png"))


def main():
    os.makedirs(OUT, exist_ok=True)
    root = ca("Example Root CA")
    good = server(root, cn="www.example.test", dns=("localhost", "www.example.test"))
    cli = client(root, cn="alice")
    other_root = ca("Some Other CA", file="other")
    other = client(other_root, cn="mallory", name="mallory")
    # A tidy directory for the picker to show: what a user has after making a PKI.
    project = path("project")
    os.makedirs(project)
    for f in (root[0], good[0], good[1], cli[0], cli[1]):
        shutil.copy(f, project)
    subprocess.run(["certtool", "--to-p12", "--load-certificate", cli[0], "--load-privkey",
                    cli[1], "--p12-name", "alice", "--password", "secret", "--outder",
                    "--outfile", os.path.join(project, "client.p12")], check=True,
                   capture_output=True)

    p = tui.Pane([], COLS, ROWS)
    p.wait("Run the demo")
    shoot(p, "home")
    p.tmux("kill-server")

    port = gnutls_serv(*good, priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = tui.Pane(["connect", "localhost:%d" % port, "--ca", root[0], "--no-system-trust"],
                 COLS, ROWS)
    p.wait("\u2714 OK", "NewSessionTicket")
    shoot(p, "connection-ok")
    p.keys("Enter")  # no findings: the chain has the focus
    p.wait("serial hex")
    shoot(p, "certificate-detail")
    p.tmux("kill-server")

    port = gnutls_serv(*good, ca_file=root[0], client_cert="require")
    p = tui.Pane(["connect", "localhost:%d" % port, "--ca", "ca.crt", "--no-system-trust"],
                 COLS, ROWS, cwd=project)
    p.wait("client-cert-required", "Fix:")
    shoot(p, "mtls-failure")
    p.keys("i")
    p.wait("Client identity")
    p.keys("F2")
    p.wait("Pick a file", "client.crt")
    p.keys("Down", "Down")
    shoot(p, "file-picker")
    p.tmux("kill-server")

    # Two-way at 80x24: nginx refuses at the HTTP layer and says why in its body.
    port = nginx(good[0], good[1], root[0])
    p = tui.Pane(["connect", "localhost:%d" % port, "--ca", "ca.crt", "--no-system-trust"],
                 80, 24, cwd=project)
    p.wait("client-cert-required", "HTTP body")
    shoot(p, "mtls-failure-80x24", 80, 24)
    p.tmux("kill-server")

    # Who would reject this: a server whose chain no client trusts.
    port = gnutls_serv(*good, priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    p = tui.Pane(["connect", "localhost:%d" % port, "--no-system-trust"], COLS, ROWS)
    p.wait("untrusted-issuer", "\u2718 FAIL")
    p.keys("p")
    p.wait("Who would reject this server", "firefox")
    shoot(p, "verdicts")
    p.tmux("kill-server")

    lport = free_port()
    p = tui.Pane(["listen", "127.0.0.1:%d" % lport, "--cert", good[0], "--key", good[1],
                  "--client-ca", root[0]], COLS, ROWS)
    p.wait("waiting for clients")
    base = ["gnutls-cli", "-p", str(lport), "127.0.0.1", "--x509cafile", root[0],
            "--verify-hostname", "localhost"]
    for extra in (["--x509certfile", cli[0], "--x509keyfile", cli[1]], [],
                  ["--x509certfile", other[0], "--x509keyfile", other[1]],
                  ["--x509certfile", cli[0], "--x509keyfile", cli[1], "--priority",
                   "NORMAL:-VERS-TLS1.3"]):
        subprocess.run(base + extra, input="", capture_output=True, timeout=20)
    p.wait("4 connections")
    shoot(p, "listen")
    p.tmux("kill-server")

    # The split listen view at 80x24, the selection on a refused client: its chain, findings
    # and the servers' verdicts below the list.
    lport = free_port()
    p = tui.Pane(["listen", "127.0.0.1:%d" % lport, "--cert", good[0], "--key", good[1],
                  "--client-ca", root[0]], 80, 24)
    p.wait("waiting for clients")
    base[2] = str(lport)
    wrong = cert("wrongpurpose", ['cn = "bob"', "signing_key", "tls_www_server",
                                  "expiration_days = 200"], root)
    for extra in (["--x509certfile", cli[0], "--x509keyfile", cli[1]],
                  ["--x509certfile", wrong[0], "--x509keyfile", wrong[1]],
                  ["--x509certfile", cli[0], "--x509keyfile", cli[1]]):
        subprocess.run(base + extra, input="", capture_output=True, timeout=20)
    p.wait("3 connections")
    p.keys("Up")
    p.wait("Connection #2", "wrong-purpose")
    shoot(p, "listen-split-80x24", 80, 24)
    p.tmux("kill-server")

    p = tui.Pane(["demo", "--scenario", "legacy-tutorial"], COLS, ROWS)
    p.wait("weak-key", "insecure-signature")
    shoot(p, "demo-legacy-tutorial")
    p.tmux("kill-server")


if __name__ == "__main__":
    try:
        main()
    finally:
        # Each pane's tmux server was ended after its shot; any left over goes now.
        for pane in tui._panes:
            pane.tmux("kill-server")
        finish()
