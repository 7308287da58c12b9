#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Runs one command with no standard input and checks its exit status, its
# standard output (exact text, a file's text, or a regular expression) and
# its standard error. Used by the ROM tests.
import argparse
import re
import subprocess
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--status", type=int, required=True, help="expected exit status")
    p.add_argument("--stdout-file", help="file holding the exact expected stdout")
    p.add_argument("--stdout-regex", help="regex that must match the whole stdout")
    p.add_argument("--stderr", default="", help="exact expected stderr (default: empty)")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=a.timeout)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out after {a.timeout}s: {' '.join(cmd)}")
        return 1
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    problems = []
    if r.returncode != a.status:
        problems.append(f"exit status {r.returncode}, expected {a.status}")
    if a.stdout_file is not None:
        with open(a.stdout_file, encoding="utf-8") as f:
            want = f.read()
        if out != want:
            problems.append(f"stdout differs; expected:\n{want!r}")
    if a.stdout_regex is not None and not re.fullmatch(a.stdout_regex, out, re.S):
        problems.append(f"stdout does not match /{a.stdout_regex}/")
    if err != a.stderr:
        problems.append(f"stderr differs; expected {a.stderr!r}")
    print("command:", " ".join(cmd))
    print(f"status: {r.returncode}\nstdout: {out!r}\nstderr: {err!r}")
    for msg in problems:
        print("FAIL:", msg)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
