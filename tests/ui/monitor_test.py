#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'ui' suite: the monitor over standard I/O and over TCP on 127.0.0.1
# against tests/ui/monitor.asm (registers after stop, x/i, xp, info pci,
# info mtree, sendkey read back by the guest, system_reset, malformed
# commands, quit), and the -display/-monitor errors. The window test is
# window_test.py. `monitor_test.py --list` names the cases for meson.
import argparse
import os
import re
import select
import socket
import subprocess
import sys
import time

PROMPT = b"(kestrel) "
SKIP = 77  # meson's "skipped"


class Monitor:
    """One monitor connection: send a line, read up to the next prompt."""

    def __init__(self, read_fd, write):
        self.read_fd, self.write, self.buf = read_fd, write, b""

    def read_prompt(self, timeout=20):
        end = time.monotonic() + timeout
        while PROMPT not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise AssertionError(f"no prompt within {timeout}s; got {self.buf!r}")
            chunk = os.read(self.read_fd, 4096)
            if not chunk:
                raise AssertionError(f"monitor closed; got {self.buf!r}")
            self.buf += chunk
        out, _, self.buf = self.buf.partition(PROMPT)
        return out.decode(errors="replace")

    def cmd(self, line):
        self.write((line + "\n").encode())
        out = self.read_prompt()
        print(f"(kestrel) {line}\n{out}", end="")
        return out

    def wait_for(self, line, pattern, timeout=20):
        """Repeats `line` until its output matches `pattern`."""
        end = time.monotonic() + timeout
        while True:
            out = self.cmd(line)
            if re.search(pattern, out):
                return out
            if time.monotonic() > end:
                raise AssertionError(f"{line!r} never matched /{pattern}/: {out!r}")
            time.sleep(0.1)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def exercise(mon):
    """The checks both transports share, on a running monitor.asm guest."""
    mon.wait_for("xp/1xw 0x500", r"0000000000000500: 0x12345678")
    check(mon.cmd("stop") == "", "stop prints nothing")
    check("VM status: paused" in mon.cmd("info status"), "paused after stop")
    regs = mon.cmd("info registers")
    check(re.search(r"CS =f000 000f0000 0000ffff", regs), "CS is F000 after stop")
    eip = int(re.search(r"EIP=([0-9a-f]{8})", regs).group(1), 16)
    check(0x1f <= eip <= 0x37, f"EIP {eip:#x} is in the polling loop")
    again = mon.cmd("info registers")
    check(again == regs, "a stopped CPU does not move")
    code = mon.cmd("x/4i 0xf0000")
    check("inc word ptr [0x504]" in code, "x/4i shows the first instruction")
    check("mov dword ptr [0x500], 0x12345678" in code, "x/4i shows the second")
    check(len(code.strip().split("\n")) == 4, "x/4i shows four lines")
    check(re.search(r"0x00000000000f00[0-9a-f]{2}:", mon.cmd("x/1i $pc")), "x/i $pc")
    pci = mon.cmd("info pci")
    check("Host bridge: PCI device 8086:1237" in pci, "info pci lists the i440FX")
    check("ISA bridge: PCI device 8086:7000" in pci, "info pci lists the PIIX3")
    if "VGA controller" in pci:
        check("PCI device 1234:1111" in pci, "the VGA is QEMU's std VGA")
    mtree = mon.cmd("info mtree")
    check(re.search(r"0000000000000000-[0-9a-f]{16} \(prio 0, ram\): ram", mtree), "mtree RAM")
    check(re.search(r"00000000ffff0000-00000000ffffffff \(prio 1, rom\): rom", mtree), "mtree ROM")
    check("(prio 1, i/o): mmio" in mtree, "mtree MMIO")
    for bad in ["x/4z 0", "xp", "info nothing", "frobnicate", "stop now", "sendkey nokey",
                "x/100001x 0", "screendump"]:
        out = mon.cmd(bad)
        check(out.startswith("error: ") and out.count("\n") == 1, f"{bad!r}: one error line")
    check(mon.cmd("cont") == "", "cont prints nothing")
    check("VM status: running" in mon.cmd("info status"), "running after cont")
    # The guest reads raw set 2 bytes from the 8042: make, then F0 + break.
    mon.cmd("sendkey a")
    mon.wait_for("xp/1xh 0x5fe", r": 0x0003")
    check("0x1c 0xf0 0x1c" in mon.cmd("xp/3xb 0x600"), "the guest saw a's make and break")
    mon.cmd("sendkey shift-up")
    mon.wait_for("xp/1xh 0x5fe", r": 0x000b")
    check("0x12 0xe0 0x75 0xe0 0xf0 0x75 0xf0 0x12" in mon.cmd("xp/8xb 0x603"),
          "an extended key with a modifier")
    check(mon.cmd("system_reset") == "", "system_reset prints nothing")
    mon.wait_for("xp/1xh 0x504", r": 0x0002")
    mon.wait_for("xp/1xh 0x5fe", r": 0x0000")


def kestrel(a, *args, **kw):
    return subprocess.Popen([a.kestrel, "-bios", a.rom, "-m", "16", *args], **kw)


def finish(proc, timeout=20):
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("kestrel did not exit after quit")
    check(status == 0, f"exit status {status} after quit")


def case_stdio(a):
    proc = kestrel(a, "-display", "none", "-monitor", "stdio",
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        def write(b):
            proc.stdin.write(b)
            proc.stdin.flush()
        mon = Monitor(proc.stdout.fileno(), write)
        check("Kestrel monitor" in mon.read_prompt(), "the banner")
        exercise(mon)
        write(b"quit\n")
        finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=20):
    end = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def case_tcp(a):
    port = free_port()
    proc = kestrel(a, "-display", "none", "-monitor", f"tcp:127.0.0.1:{port},server",
                   stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sock = connect(port)
        mon = Monitor(sock.fileno(), sock.sendall)
        check("Kestrel monitor" in mon.read_prompt(), "the banner")
        exercise(mon)
        # A client may leave and another come.
        sock.close()
        sock = connect(port)
        mon = Monitor(sock.fileno(), sock.sendall)
        mon.read_prompt()
        check("VM status: running" in mon.cmd("info status"), "a second client")
        sock.sendall(b"quit\n")
        finish(proc)
        err = proc.stderr.read().decode()
        check(err == f"kestrel: waiting for a monitor connection on 127.0.0.1:{port}\n",
              f"stderr: {err!r}")
    finally:
        if proc.poll() is None:
            proc.kill()


def expect_error(a, args, pattern, env=None):
    r = subprocess.run([a.kestrel, "-bios", a.rom, *args], capture_output=True, timeout=20,
                       stdin=subprocess.DEVNULL, env=env)
    err = r.stderr.decode()
    print(args, r.returncode, repr(err))
    check(r.returncode == 1, f"{args}: status {r.returncode}")
    check(r.stdout == b"", f"{args}: nothing on stdout")
    check(re.fullmatch(r"kestrel: error: " + pattern + r"\n", err), f"{args}: {err!r}")


def case_errors(a):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    expect_error(a, ["-display", "sdl"], r"-display sdl: no display to open a window on .*", env)
    expect_error(a, ["-display", "gtk"], r"-display gtk: unknown display 'gtk' \(use sdl or none\)")
    expect_error(a, ["-nographic", "-display", "sdl"], r"-display sdl: .*-nographic.*")
    expect_error(a, ["-monitor", "tcp::12"], r"-monitor tcp::12: only a listening monitor .*")
    expect_error(a, ["-monitor", "tcp:1.2.3.4.5:80,server"], r"-monitor tcp:.*: not an IPv4 .*")
    expect_error(a, ["-nographic", "-monitor", "stdio"], r"-monitor stdio: standard I/O .*")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        expect_error(a, ["-monitor", f"tcp:127.0.0.1:{port},server"],
                     r"-monitor tcp:127.0.0.1:\d+,server: cannot listen: .*")


CASES = {"stdio": case_stdio, "tcp": case_tcp, "errors": case_errors}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    p.add_argument("--kestrel")
    p.add_argument("--rom")
    p.add_argument("case", nargs="?")
    a = p.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    try:
        CASES[a.case](a)
    except AssertionError as e:
        print("FAIL:", e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
