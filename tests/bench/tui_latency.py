"""The TUI's latency through tmux: from a key sent to the screen showing its effect, while the
peer stalls the handshake (a server that accepts and never answers), and the time to the first
paint. The same measurements against `cat` and `echo` in the same kind of pane give the cost
of tmux and capture-pane themselves, so the difference is tlsscope's.

Run on demand:  meson test -C build --setup bench --suite bench --verbose
Environment: BENCH_ROUNDS (30)."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tui"))
import tui  # noqa: E402  (the tmux Pane of the TUI tests)
from peers import staller  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def until(pane, pred, deadline=5.0):
    """Seconds until pred(screen) holds, polling capture-pane as fast as it answers."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < deadline:
        if pred(pane.text()):
            return time.perf_counter() - t0
        time.sleep(0.001)  # let tmux run between captures; bounded by the deadline
    raise SystemExit("timed out; the screen of %s:\n%s\n%s" % (
        pane.sock, pane.text(), pane.tmux("list-panes", "-a", "-F",
                                          "#{pane_dead} #{pane_current_command}").stdout))


def key_latency(pane, key, pred):
    t0 = time.perf_counter()
    pane.keys(key)
    until(pane, pred)
    return (time.perf_counter() - t0) * 1000


def stats(name, ms):
    ms = sorted(ms)
    print("  %-44s median %6.1f ms   p90 %6.1f ms   (n=%d)"
          % (name, statistics.median(ms), ms[int(len(ms) * 0.9) - 1], len(ms)))
    return statistics.median(ms)


def first_paint(args, words):
    t0 = time.perf_counter()
    pane = tui.Pane(args)
    until(pane, lambda s: all(w in s for w in words))
    took = (time.perf_counter() - t0) * 1000
    pane.tmux("kill-server")
    return took


def main():
    port = staller()
    exe = os.environ["TLSSCOPE"]
    print("TUI latency through tmux (%d rounds), the peer stalling the handshake:" % ROUNDS)
    pane = tui.Pane(["connect", "127.0.0.1:%d" % port, "--timeout", "600", "--no-probe"])
    until(pane, lambda s: "ClientHello" in s)
    help_ms, back_ms, move_ms = [], [], []
    for _ in range(ROUNDS):
        help_ms.append(key_latency(pane, "?", lambda s: "Keys here" in s))
        back_ms.append(key_latency(pane, "Escape", lambda s: "Keys here" not in s))
        pane.keys("t")
        until(pane, lambda s: "System store" in s)
        move_ms.append(key_latency(pane, "Tab", lambda s: ">CA files" in s))
        pane.keys("Escape")
        until(pane, lambda s: "System store" not in s)
    pane.tmux("kill-server")
    echo = tui.Pane.__new__(tui.Pane)
    echo.sock = tui.path("tmux-cat.sock")
    tui._servers.append(echo.sock)
    echo.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "cat")
    base_ms = []
    for i in range(ROUNDS):
        ch = "abcdefghij"[i % 10]
        before = echo.text().count(ch)
        base_ms.append(key_latency(echo, ch, lambda s, c=ch, b=before: s.count(c) > b))
    echo.tmux("kill-server")
    stats("? opens help (tlsscope)", help_ms)
    stats("Esc closes help (includes ESCDELAY 25 ms)", back_ms)
    stats("Tab moves in a form (tlsscope)", move_ms)
    stats("a key echoed by cat (tmux's own cost)", base_ms)
    print("  (a key to cat goes through the terminal's line discipline and echo; the figures "
          "are an upper bound of tlsscope's own time)")

    paint = [first_paint(["connect", "127.0.0.1:%d" % port, "--timeout", "600", "--no-probe"],
                         ["tlsscope connect", "Handshake"]) for _ in range(10)]
    home = [first_paint([], ["Run the demo"]) for _ in range(10)]
    shell = []
    for i in range(10):
        t0 = time.perf_counter()
        p = tui.Pane.__new__(tui.Pane)
        p.sock = tui.path("tmux-echo-%d.sock" % i)  # a fresh server each time, as Pane does
        tui._servers.append(p.sock)
        p.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
               "sh -c 'echo READY; sleep 60'")
        until(p, lambda s: "READY" in s)
        shell.append((time.perf_counter() - t0) * 1000)
        p.tmux("kill-server")
    print("time to first paint, from tmux new-session (10 runs):")
    a = stats("connection view", paint)
    b = stats("home screen", home)
    c = stats("sh -c 'echo READY' (tmux's own cost)", shell)
    print("  tlsscope's share: about %.1f ms (connection view), %.1f ms (home)" % (a - c, b - c))
    tui._kill_tmux()
    return 0


if __name__ == "__main__":
    sys.exit(main())
