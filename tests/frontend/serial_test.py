#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The serial ports end to end, one case per meson test: what test ROMs send
# to COM1 reaches a -serial file; standard input reaches the guest through
# a pipe (whose end leaves the guest running) or a terminal; on a terminal
# the -nographic escape keys work (Ctrl-A X quits, Ctrl-A H lists the keys,
# Ctrl-A A sends Ctrl-A), Ctrl-C goes to the guest under -nographic and
# stops Kestrel with plain -serial stdio, and every way out restores the
# terminal. `serial_test.py --list` names the cases for meson.
import argparse
import fcntl
import os
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time

BANNER = b"echo ready\r\n"
HELP_LINE = b"C-a x    exit Kestrel"
TIMEOUT = 30.0


def fail(msg):
    print("FAIL:", msg)
    return 1


# ---- -serial file: and pipes ----

def file_case(rom_attr, expected_attr):
    def run(ctx):
        path = os.path.join(ctx.tmp, "com1.txt")
        cmd = [ctx.kestrel, "-bios", getattr(ctx, rom_attr), "-m", "16", "-serial", "file:" + path]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        print("command:", " ".join(cmd))
        print(f"status: {r.returncode}\nstdout: {r.stdout.decode(errors='replace')}")
        if r.returncode != 85:
            return fail(f"exit status {r.returncode}, expected 85 (PASS)")
        with open(path, "rb") as f:
            got = f.read()
        with open(getattr(ctx, expected_attr), "rb") as f:
            want = f.read()
        if got != want:
            return fail(f"COM1 sent {got!r}, expected {want!r}")
        return 0
    return run


def pipe_echo(ctx):
    cmd = [ctx.kestrel, "-bios", ctx.echo_rom, "-m", "16", "-nographic"]
    r = subprocess.run(cmd, input=b"hello, guest!", capture_output=True, timeout=TIMEOUT)
    if r.returncode != 85:
        return fail(f"exit status {r.returncode}, expected 85; stderr {r.stderr!r}")
    if r.stdout != BANNER + b"hello, guest!":
        return fail(f"stdout {r.stdout!r}")
    return 0


def pipe_eof_keeps_running(ctx):
    cmd = [ctx.kestrel, "-bios", ctx.echo_rom, "-m", "16", "-serial", "stdio"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(b"ab")
    p.stdin.close()
    p.stdin = None  # communicate() below must not touch it
    out = read_until(p.stdout.fileno(), BANNER + b"ab")
    time.sleep(1.0)
    alive = p.poll() is None
    p.terminate()
    rest, err = p.communicate(timeout=TIMEOUT)
    if not out.endswith(BANNER + b"ab"):
        return fail(f"stdout {out + rest!r}")
    if not alive:
        return fail(f"Kestrel ended at the end of its input (status {p.returncode}, stderr {err!r})")
    return 0


# ---- a pseudo-terminal on standard input and output ----

class Pty:
    """Kestrel with a pseudo-terminal as its controlling terminal and stdio."""

    def __init__(self, args):
        self.master, self.slave = os.openpty()
        self.before = termios.tcgetattr(self.slave)
        self.output = b""
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(self.slave, fd)
                os.execv(args[0], args)
            finally:
                os._exit(127)
        self.pid = pid
        self.status = None

    def send(self, data):
        os.write(self.master, data)

    def expect(self, data, timeout=TIMEOUT):
        end = time.monotonic() + timeout
        while data not in self.output and time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:
                    break
        return data in self.output

    def wait(self, timeout=TIMEOUT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                self.expect(b"\0never", 0.2)  # collect what is left
                return True
            self.expect(b"\0never", 0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return False

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]

    def restored(self):
        return termios.tcgetattr(self.slave) == self.before

    def exit_code(self):
        return os.waitstatus_to_exitcode(self.status)


def pty_case(args, body):
    def run(ctx):
        t = Pty([ctx.kestrel, "-bios", ctx.echo_rom, "-m", "16", *args])
        try:
            problem = body(t)
        finally:
            if t.status is None:
                t.wait(5)
        print("output:", repr(t.output))
        if problem:
            return fail(problem)
        if not t.restored():
            return fail("the terminal settings were not restored")
        return 0
    return run


def ready(t):
    # The terminal keeps output processing (ONLCR), as QEMU's: the guest's
    # "\r\n" shows as "\r\r\n", so only the text is matched.
    return None if t.expect(b"echo ready") else f"no banner; output {t.output!r}"


def ctrl_a_x(t):
    if (p := ready(t)):
        return p
    if t.lflag() & (termios.ECHO | termios.ICANON | termios.ISIG):
        return "the terminal is not in raw mode (ECHO, ICANON or ISIG still set)"
    t.send(b"\x01x")
    if not t.wait():
        return "Kestrel did not quit on Ctrl-A X"
    if t.exit_code() != 0:
        return f"exit status {t.exit_code()}, expected 0"
    return None if b"kestrel: terminated" in t.output else "no 'terminated' message"


def ctrl_a_h(t):
    if (p := ready(t)):
        return p
    t.send(b"\x01h")
    if not t.expect(HELP_LINE):
        return "Ctrl-A H printed no key list"
    t.send(b"\x01c")
    if not t.expect(b"the monitor is not available yet"):
        return "Ctrl-A C said nothing"
    t.send(b"!")
    if not t.wait():
        return "the guest did not get '!' after the help"
    return None if t.exit_code() == 85 else f"exit status {t.exit_code()}, expected 85"


def ctrl_a_a(t):
    if (p := ready(t)):
        return p
    t.send(b"x\x01ay\x01\x01z!")
    if not t.wait():
        return "the guest did not finish"
    if not t.output.endswith(b"\nx\x01y\x01z!"):
        return "Ctrl-A A / Ctrl-A Ctrl-A did not send one Ctrl-A each"
    return None if t.exit_code() == 85 else f"exit status {t.exit_code()}, expected 85"


def ctrl_c_to_guest(t):
    if (p := ready(t)):
        return p
    t.send(b"\x03!")
    if not t.wait():
        return "the guest did not finish"
    if not t.output.endswith(b"\n\x03!"):
        return "Ctrl-C did not reach the guest under -nographic"
    return None if t.exit_code() == 85 else f"exit status {t.exit_code()}, expected 85"


def ctrl_c_stops_kestrel(t):
    if (p := ready(t)):
        return p
    t.send(b"\x03")
    if not t.wait():
        return "Ctrl-C did not stop Kestrel with -serial stdio"
    if t.exit_code() != -signal.SIGINT:
        return f"exit status {t.exit_code()}, expected death by SIGINT"
    return None if b"terminating on signal 2" in t.output else "no message on stderr"


def sigterm(t):
    if (p := ready(t)):
        return p
    os.kill(t.pid, signal.SIGTERM)
    if not t.wait():
        return "SIGTERM did not stop Kestrel"
    return None if t.exit_code() == -signal.SIGTERM else f"exit status {t.exit_code()}"


def read_until(fd, data, timeout=TIMEOUT):
    out = b""
    end = time.monotonic() + timeout
    while data not in out and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            out += chunk
    return out


CASES = {
    "file-poll": file_case("poll_rom", "poll_expected"),
    "file-thre-irq": file_case("irq_rom", "irq_expected"),
    "pipe-echo": pipe_echo,
    "pipe-eof-keeps-running": pipe_eof_keeps_running,
    "pty-ctrl-a-x": pty_case(["-nographic"], ctrl_a_x),
    "pty-ctrl-a-h": pty_case(["-nographic"], ctrl_a_h),
    "pty-ctrl-a-a": pty_case(["-serial", "mon:stdio"], ctrl_a_a),
    "pty-ctrl-c-to-guest": pty_case(["-nographic"], ctrl_c_to_guest),
    "pty-ctrl-c-stdio": pty_case(["-serial", "stdio"], ctrl_c_stops_kestrel),
    "pty-sigterm": pty_case(["-nographic"], sigterm),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    p.add_argument("--kestrel")
    p.add_argument("--poll-rom")
    p.add_argument("--poll-expected")
    p.add_argument("--irq-rom")
    p.add_argument("--irq-expected")
    p.add_argument("--echo-rom")
    p.add_argument("case", nargs="?")
    ctx = p.parse_args()
    if ctx.list:
        print("\n".join(CASES))
        return 0
    if ctx.case not in CASES:
        print(f"unknown case {ctx.case!r}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        ctx.tmp = tmp
        return CASES[ctx.case](ctx)


if __name__ == "__main__":
    sys.exit(main())
