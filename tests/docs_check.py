"""The documentation agrees with the program: the man page renders without warnings, names
every option --help lists (and no other), and every finding id of the catalog; the README
names every finding id and keeps a two-command quick start.

Usage: docs_check.py SOURCE_ROOT (TLSSCOPE in the environment)"""
import os
import re
import subprocess
import sys

root = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


man = os.path.join(root, "doc", "tlsscope.1")
lint = subprocess.run(["groff", "-mdoc", "-Tutf8", "-ww", "-z", man], capture_output=True,
                      text=True)
check(lint.returncode == 0 and not lint.stderr.strip(), "groff warnings: %r" % lint.stderr)
rendered = subprocess.run(["groff", "-mdoc", "-Tascii", "-P-cbou", man], capture_output=True,
                          text=True).stdout
rendered = re.sub(r"-\n\s+", "-", rendered)  # options hyphenated across lines

helptext = subprocess.run([os.environ["TLSSCOPE"], "--help"], capture_output=True,
                          text=True).stdout
opts = lambda text: set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]", text))
in_help, in_man = opts(helptext), opts(rendered)
check(in_help <= in_man, "options in --help but not in the man page: %s" % sorted(in_help - in_man))
check(in_man <= in_help, "options in the man page but not in --help: %s" % sorted(in_man - in_help))

with open(os.path.join(root, "src", "engine", "findings.c")) as f:
    ids = re.findall(r'^\s*\{"([a-z0-9-]+)", SEV_', f.read(), re.M)
check(len(ids) >= 30, "catalog ids found: %d" % len(ids))
with open(os.path.join(root, "README.md")) as f:
    readme = f.read()
for i in ids:
    check(re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(i), rendered),
          "finding %s missing from the man page" % i)
    check("`%s`" % i in readme, "finding %s missing from the README" % i)

quick = re.search(r"^## Quick start\n+```\n(.*?)```", readme, re.M | re.S)
check(quick and len([l for l in quick.group(1).splitlines() if l.strip()]) == 2,
      "README quick start: one fenced block of exactly two commands")

for f in failures:
    print("FAIL", f)
print("docs: %d problem%s" % (len(failures), "" if len(failures) == 1 else "s"))
sys.exit(1 if failures else 0)
