"""Wall time of one full connection, tlsscope connect --json against gnutls-cli and
openssl s_client, to the same gnutls-serv on 127.0.0.1, in interleaved rounds (so that machine
noise hits all three alike). Prints medians and ratios. Run on demand:
    meson test -C build --suite bench --verbose"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from peers import ca, gnutls_serv, server  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def wall(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit("%s exited %d" % (cmd[0], p.returncode))
    return took * 1000.0


def main():
    root = ca("Bench Root CA")
    port = gnutls_serv(*server(root))
    target = "127.0.0.1:%d" % port
    tools = {
        "tlsscope connect --json": [os.environ["TLSSCOPE"], "connect", target, "--json",
                                    "--ca", root[0], "--no-system-trust"],
        "gnutls-cli": ["gnutls-cli", "--x509cafile", root[0], "-p", str(port), "127.0.0.1"],
        "openssl s_client": ["openssl", "s_client", "-connect", target, "-CAfile", root[0],
                             "-verify_return_error"],
    }
    times = {name: [] for name in tools}
    for name, cmd in tools.items():  # warm caches once
        wall(cmd)
    for _ in range(ROUNDS):
        for name, cmd in tools.items():
            times[name].append(wall(cmd))
    base = statistics.median(times["tlsscope connect --json"])
    print("median wall time of %d interleaved runs against gnutls-serv (TLS 1.3, ECDSA P-256):"
          % ROUNDS)
    for name, t in times.items():
        med = statistics.median(t)
        print("  %-26s %7.1f ms  (min %.1f, max %.1f)  tlsscope/this = %.2f"
              % (name, med, min(t), max(t), base / med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
