#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'boot' suite: boots a default guest (scripts/guest-images) with
# -kernel/-initrd on the serial console, waits for the busybox prompt, types
# commands and checks each answer, checks the kernel log, then powers off
# through ACPI and expects Kestrel to exit 0. Prints the time to the prompt.
# Exits 77 (skip) when the guest images are not built.
import argparse
import os
import re
import subprocess
import sys
import threading
import time

PROMPT = re.compile(rb"kestrel:/# ")
SKIP = 77


class Console:
    """Kestrel's stdio serial console, read by a thread into one buffer."""

    def __init__(self, cmd, log_path):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.log = open(log_path, "wb")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            with self.lock:
                self.buf.extend(chunk)
            self.log.write(chunk)
            self.log.flush()

    def text(self, start=0, end=None):
        with self.lock:
            return bytes(self.buf[start:end])

    def wait_for(self, pattern, start, timeout):
        """The end offset of the first match after `start`, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = pattern.search(self.text(start))
            if m:
                return start + m.end()
            if self.proc.poll() is not None:
                return None
            time.sleep(0.2)
        return None

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()


def guest_files(guest):
    """The kernel and initramfs in `guest`; exits with SKIP when they are missing."""
    kernel = os.path.join(guest, "vmlinuz")
    initrd = os.path.join(guest, "initramfs.cpio.gz")
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        print(f"skip: no guest images in {guest} (run scripts/guest-images)")
        sys.exit(SKIP)
    return kernel, initrd


def fail(console, why):
    print(f"FAIL: {why}")
    tail = console.text()[-3000:].decode(errors="replace")
    print("---- last console output ----\n" + tail)
    console.proc.kill()
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kestrel", required=True)
    ap.add_argument("--guest", required=True, help="cache/guests/<arch>")
    ap.add_argument("--machine", required=True, help="expected `uname -m`")
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=1500)
    ap.add_argument("--accel", help="-accel for Kestrel (default: Kestrel's default engine)")
    ap.add_argument("--append", default="",
                    help="more kernel command line; lockstep runs, some 15x slower than the"
                         " JIT, want `nosoftlockup` (the watchdog counts host seconds)")
    ap.add_argument("--require", action="append", default=[],
                    help="a regex the kernel log must contain")
    args = ap.parse_args()

    kernel, initrd = guest_files(args.guest)
    md5 = open(os.path.join(args.guest, "check.md5")).read().split()[0]

    cmd = [args.kestrel, "-kernel", kernel, "-initrd", initrd, "-append",
           " ".join(["console=ttyS0", args.append]).strip(), "-nographic", "-m", "512"]
    if args.accel:
        cmd += ["-accel", args.accel]
    print("running:", " ".join(cmd), flush=True)
    start = time.monotonic()
    con = Console(cmd, args.log)
    pos = con.wait_for(PROMPT, 0, args.timeout)
    if pos is None:
        return fail(con, "no shell prompt")
    print(f"time from launch to the shell prompt: {time.monotonic() - start:.1f} s", flush=True)

    dmesg_bad = "dmesg | grep -i -E 'call trace|bug:|error' ; echo end-of-dmesg"
    checks = [
        # Kernel messages stop reaching the console, so none lands inside a
        # command's answer (a slow host makes the clocksource watchdog talk).
        ("dmesg -n 1; echo console-quiet", re.compile(rb"\nconsole-quiet")),
        ("uname -m", re.compile(rf"\n{re.escape(args.machine)}\r?\n".encode())),
        ("grep -c processor /proc/cpuinfo", re.compile(rb"\n1\r?\n")),
        ("md5sum /etc/kestrel-check", re.compile(md5.encode())),
        (dmesg_bad, re.compile(rb"dmesg[^\n]*\n(\r)?end-of-dmesg")),
        # The local APIC timer ticks (LOC) and devices interrupt through the IOAPIC.
        ("grep -E 'LOC|IO-APIC' /proc/interrupts",
         re.compile(rb"IO-APIC[\s\S]*LOC:\s+[1-9]")),
    ]
    for command, expect in checks:
        con.type(command)
        end = con.wait_for(PROMPT, pos, 300)
        if end is None:
            return fail(con, f"no prompt after `{command}`")
        answer = con.text(pos, end)
        if not expect.search(answer):
            return fail(con, f"`{command}` answered {answer!r}")
        print(f"ok: {command}", flush=True)
        pos = end

    log = con.text().decode(errors="replace")
    for pattern in args.require:
        if not re.search(pattern, log):
            return fail(con, f"kernel log lacks /{pattern}/")
        print(f"ok: kernel log has /{pattern}/", flush=True)

    con.type("poweroff -f")
    try:
        status = con.proc.wait(300)
    except subprocess.TimeoutExpired:
        return fail(con, "no power-off")
    if status != 0:
        return fail(con, f"Kestrel exited with {status} after poweroff")
    print(f"ok: powered off, exit 0 after {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
