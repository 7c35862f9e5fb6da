"""The listener under load: handshakes per second and per server CPU-second for tlsscope listen
(full tracing, a JSON report per connection written to /dev/null; with its HTTP summary and
with --respond none), gnutls-serv (with --http, and lean: its echo mode with -q, the reference)
and openssl s_server, same certificate (ECDSA P-256), TLS 1.3 and 1.2, driven by the C load generator
(tests/bench/loadgen.c: PARALLEL threads, a fixed count). Server CPU is utime + stime from
/proc/PID/stat. Rounds are interleaved so that machine noise hits every server alike.
Then the listener's resident memory after 1k, 10k and 50k handshakes (default history).

Run on demand:  meson test -C build --setup bench --suite bench --verbose
Environment: BENCH_COUNT (handshakes a round, 2000), BENCH_ROUNDS (5), BENCH_PARALLEL (4),
BENCH_MEMORY=0 skips the memory run, BENCH_SERVERS="tlsscope lean,gnutls-serv lean" runs only those
(a column whose reference did not run shows "-"), TLSSCOPE_BASE=PATH adds "tlsscope base lean": the
same lean listener from another build, for a before/after in one run."""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from peers import ca, free_port, server, start  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PARALLEL = int(os.environ.get("BENCH_PARALLEL", "4"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def rss_mb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def load(port, count, version):
    out = subprocess.run([os.environ["LOADGEN"], str(port), str(count), str(PARALLEL),
                          version], capture_output=True, text=True, timeout=600)
    words = out.stdout.split()
    if out.returncode != 0 or len(words) < 6:
        raise SystemExit("loadgen: %s %s" % (out.stdout, out.stderr))
    return int(words[1]), float(words[5])


def servers(crt, key):
    """name -> command for a port. The clients send nothing after the handshake, so what a
    server would answer costs nothing but its set-up; "lean" is the least each one does."""
    tlsscope = [os.environ["TLSSCOPE"], "listen", "--cert", crt, "--key", key, "--json"]
    gnutls = ["gnutls-serv", "--x509certfile", crt, "--x509keyfile", key, "--disable-client-cert"]
    all_servers = {
        "tlsscope listen": lambda p: tlsscope + ["127.0.0.1:%d" % p],
        "tlsscope lean": lambda p: tlsscope + ["127.0.0.1:%d" % p, "--respond", "none"],
        "gnutls-serv": lambda p: gnutls + ["-p", str(p), "--http"],
        "gnutls-serv lean": lambda p: gnutls + ["-p", str(p), "-q"],
        "openssl s_server": lambda p: ["openssl", "s_server", "-accept", "127.0.0.1:%d" % p,
                                       "-cert", crt, "-key", key, "-www", "-quiet"],
    }
    base = os.environ.get("TLSSCOPE_BASE")
    if base:
        all_servers["tlsscope base lean"] = lambda p: (
            [base] + tlsscope[1:] + ["127.0.0.1:%d" % p, "--respond", "none"])
    wanted = os.environ.get("BENCH_SERVERS")
    if not wanted:
        return all_servers
    names = [w.strip() for w in wanted.split(",")] + (["tlsscope base lean"] if base else [])
    return {name: all_servers[name] for name in names}


def throughput(crt, key):
    results = {}
    running = {}
    for name, cmd in servers(crt, key).items():
        port = free_port()
        proc = start(cmd(port), port, stdout=subprocess.DEVNULL)
        running[name] = (port, proc)
        load(port, 200, "1.3")  # warm up
    for version in ("1.3", "1.2"):
        for _ in range(ROUNDS):
            for name, (port, proc) in running.items():
                c0 = cpu_seconds(proc.pid)
                n, secs = load(port, COUNT, version)
                cpu = cpu_seconds(proc.pid) - c0
                results.setdefault((name, version), []).append((n / secs, n / max(cpu, 1e-9)))
                print("  round: %-18s TLS%-4s %7.0f per CPU-second, load %.2f"
                      % (name, version, n / max(cpu, 1e-9), os.getloadavg()[0]), flush=True)
    for _, proc in running.values():
        proc.kill()
    print("handshakes, %d a round, %d parallel clients, median of %d interleaved rounds:"
          % (COUNT, PARALLEL, ROUNDS))
    print("  %-18s %-8s %12s %16s %14s %14s" % ("server", "version", "per second",
                                                 "per CPU-second", "vs gnutls lean",
                                                 "vs openssl"))
    for version in ("1.3", "1.2"):
        ref = {name: statistics.median(c for _, c in results[(name, version)])
               for name in running}
        for name in running:
            rates = results[(name, version)]
            per_s = statistics.median(r for r, _ in rates)
            per_cpu = ref[name]
            vs = ["%13.2fx" % (per_cpu / ref[r]) if r in ref else "%14s" % "-"
                  for r in ("gnutls-serv lean", "openssl s_server")]
            print("  %-18s TLS%-5s %12.0f %16.0f %s %s" % (name, version, per_s, per_cpu, *vs))


def memory(crt, key):
    port = free_port()
    proc = start([os.environ["TLSSCOPE"], "listen", "127.0.0.1:%d" % port, "--cert", crt,
                  "--key", key, "--json"], port, stdout=subprocess.DEVNULL)
    print("tlsscope listen resident memory (default --history 1000):")
    print("  %8s  %8.1f MB" % ("start", rss_mb(proc.pid)))
    made = 0
    for target in (1000, 10000, 50000):
        n, _ = load(port, target - made, "1.3")
        made += n
        print("  %8d  %8.1f MB" % (made, rss_mb(proc.pid)))
    proc.kill()


def main():
    root = ca("Bench Root CA")
    crt, key = server(root)
    throughput(crt, key)
    if os.environ.get("BENCH_MEMORY", "1") != "0":
        memory(crt, key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
