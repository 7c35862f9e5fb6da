"""Wall time of one verified connection: tlsscope connect --json against gnutls-cli and openssl
s_client, to the same gnutls-serv on 127.0.0.1 (TLS 1.3), with an ECDSA P-256 and an RSA-2048
server certificate, in interleaved rounds (so that machine noise hits every tool alike). Each
tool verifies against the test CA and exits after the handshake. tlsscope is measured twice:
with --no-system-trust, and as people run it (--ca adds to the system store, which it reads
only when the CA file alone does not verify the chain).

Run on demand:  meson test -C build --setup bench --suite bench --verbose
Environment: BENCH_ROUNDS (30)."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from peers import ca, gnutls_serv, server  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def wall(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit("%s exited %d" % (" ".join(cmd), p.returncode))
    return took * 1000.0


def tools(root, port):
    target = "127.0.0.1:%d" % port
    exe = os.environ["TLSSCOPE"]
    return {
        "tlsscope --json": [exe, "connect", target, "--json", "--ca", root[0],
                            "--verify-name", "localhost"],
        "tlsscope --json --no-system-trust": [exe, "connect", target, "--json", "--ca",
                                              root[0], "--no-system-trust", "--verify-name",
                                              "localhost"],
        "gnutls-cli": ["gnutls-cli", "--x509cafile", root[0], "-p", str(port), "localhost"],
        "openssl s_client": ["openssl", "s_client", "-connect", target, "-CAfile", root[0],
                             "-verify_return_error", "-verify_hostname", "localhost"],
    }


def measure(kind, bits):
    root = ca("Bench Root CA %s" % kind, file="ca-" + kind)
    port = gnutls_serv(*server(root, kind=kind, bits=bits, name="server-" + kind),
                       priority="NORMAL:-VERS-ALL:+VERS-TLS1.3")
    cmds = tools(root, port)
    times = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the page cache once
        wall(cmd)
    for _ in range(ROUNDS):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd))
    med = {name: statistics.median(t) for name, t in times.items()}
    fastest_other = min(med["gnutls-cli"], med["openssl s_client"])
    print("TLS 1.3, %s server certificate, %d interleaved rounds:" % (
        "ECDSA P-256" if kind == "ecdsa" else "RSA-2048", ROUNDS))
    print("  %-36s %9s %17s %22s" % ("tool", "median", "p10..p90", "/ faster of the others"))
    for name, t in times.items():
        t = sorted(t)
        print("  %-36s %7.1f ms %7.1f..%-7.1f ms %10.2fx" % (
            name, med[name], t[len(t) // 10], t[(len(t) * 9) // 10 - 1],
            med[name] / fastest_other))


def main():
    measure("ecdsa", None)
    measure("rsa", 2048)
    return 0


if __name__ == "__main__":
    sys.exit(main())
