"""Handshakes per second of tlsscope listen against gnutls-serv, same certificate, same
clients (two processes of Python ssl handshaking back to back), in interleaved rounds so that
machine noise hits both alike. Run on demand:
    meson test -C build --setup bench --suite bench --verbose"""
import multiprocessing
import os
import socket
import ssl
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from peers import ca, free_port, gnutls_serv, server, start  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = 2


def hammer(port, cafile, seconds, out):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.create_connection(("127.0.0.1", port)) as s:
            with ctx.wrap_socket(s, server_hostname="localhost"):
                n += 1
    out.put(n)


def rate(port, cafile):
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=hammer, args=(port, cafile, SECONDS, q))
             for _ in range(CLIENTS)]
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS


def main():
    root = ca("Bench Root CA")
    crt, key = server(root)
    port = free_port()
    start([os.environ["TLSSCOPE"], "listen", "127.0.0.1:%d" % port, "--cert", crt, "--key", key,
           "--respond", "none", "--json", "--history", "100"], port,
          stdout=subprocess.DEVNULL)
    servers = {"tlsscope listen": port, "gnutls-serv": gnutls_serv(crt, key)}
    rates = {name: [] for name in servers}
    for _ in range(ROUNDS):
        for name, p in servers.items():
            rates[name].append(rate(p, root[0]))
    base = statistics.median(rates["tlsscope listen"])
    print("handshakes per second, %d clients, %d rounds of %.0f s (TLS 1.3, ECDSA P-256):"
          % (CLIENTS, ROUNDS, SECONDS))
    for name, r in rates.items():
        med = statistics.median(r)
        print("  %-16s %7.0f /s  (rounds: %s)  tlsscope/this = %.2f"
              % (name, med, ", ".join("%.0f" % x for x in r), base / med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
