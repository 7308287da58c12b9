#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The kestrel command line's contract, one case per meson test: every bad
# input prints exactly one line "kestrel: error: <what>: <why>" on stderr,
# nothing on stdout, and exits with status 1; good informational options
# exit 0. `cli_test.py --list` names the cases for meson.
import argparse
import os
import re
import subprocess
import sys
import tempfile

ERR = "kestrel: error: "
NOT_A_SIZE = ("not a size (expected a whole number with an optional K, M, G or T "
              "suffix, e.g. 512M)")


class Case:
    """args(ctx) -> argv after the program; status; stderr/stdout expectations.

    An expectation is None (must be empty), a str (exact, newline added) or a
    compiled regex (must match the whole text)."""

    def __init__(self, args, status=1, stderr=None, stdout=None):
        self.args, self.status, self.stderr, self.stdout = args, status, stderr, stdout


def with_rom(*extra):
    return lambda c: ["-bios", c.rom, *extra]


def make_file(size):
    def args(c):
        path = os.path.join(c.tmp, f"rom-{size}.bin")
        with open(path, "wb") as f:
            f.truncate(size)
        return ["-bios", path]
    return args


def bzimage(c, cut=0, initrd_mib=0):
    """A synthetic bzImage (boot protocol 2.15, 4 setup sectors, 64 KiB of
    protected-mode code, 16 MiB load address, 8 MiB init_size), optionally
    `cut` bytes short, and -kernel/-initrd arguments for it."""
    import struct
    img = bytearray(5 * 512 + 0x10000)
    img[0x1f1] = 4
    struct.pack_into("<I", img, 0x1f4, 0x10000 // 16)
    struct.pack_into("<H", img, 0x1fe, 0xAA55)
    img[0x201] = 0x6a
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x20F)
    img[0x211] = 1
    struct.pack_into("<IIII", img, 0x22C, 0x7FFFFFFF, 0x200000, 1, 0)
    struct.pack_into("<I", img, 0x238, 2047)
    struct.pack_into("<QI", img, 0x258, 0x1000000, 0x800000)
    kernel = os.path.join(c.tmp, "vmlinuz")
    with open(kernel, "wb") as f:
        f.write(img[:len(img) - cut])
    args = ["-kernel", kernel]
    if initrd_mib:
        initrd = os.path.join(c.tmp, "initrd.img")
        with open(initrd, "wb") as f:
            f.truncate(initrd_mib << 20)
        args += ["-initrd", initrd]
    return args


def text_file(c):
    path = os.path.join(c.tmp, "notes.txt")
    with open(path, "w") as f:
        f.write("not a kernel\n" * 100)
    return ["-kernel", path]


CASES = {
    # informational options
    "help": Case(lambda c: ["--help"], 0, stdout=re.compile(r"Usage: kestrel \[options\]\n.*", re.S)),
    "help-short": Case(lambda c: ["-h"], 0, stdout=re.compile(r"Usage: kestrel.*-no-reboot.*", re.S)),
    "version": Case(lambda c: ["--version"], 0, stdout=re.compile(r"kestrel \d+\.\d+\.\d+\n")),
    "cpu-help": Case(lambda c: ["-cpu", "help"], 0,
                     stdout=re.compile(r"Available CPU models.*\n  max .*8086.*80286.*80386.*", re.S)),
    # unknown options and stray words
    "unknown-option": Case(lambda c: ["-frobnicate"],
                           stderr=ERR + "-frobnicate: unknown option (see kestrel --help)"),
    "unknown-long-option": Case(lambda c: ["--frobnicate", "-m", "64"],
                                stderr=ERR + "--frobnicate: unknown option (see kestrel --help)"),
    # a bare word is -hda, as in QEMU
    "stray-argument": Case(lambda c: ["no-such-disk.img"],
                           stderr=ERR + "-hda no-such-disk.img: No such file or directory"),
    # missing option arguments
    "missing-m": Case(lambda c: ["-m"], stderr=ERR + "-m: missing argument SIZE"),
    "missing-bios": Case(lambda c: ["-m", "64", "-bios"], stderr=ERR + "-bios: missing argument FILE"),
    "missing-cpu": Case(lambda c: ["-cpu"], stderr=ERR + "-cpu: missing argument NAME"),
    "missing-serial": Case(lambda c: ["-serial"], stderr=ERR + "-serial: missing argument DEV"),
    # bad sizes
    "m-garbage": Case(lambda c: ["-m", "lots"], stderr=ERR + "-m lots: " + NOT_A_SIZE),
    "m-bad-suffix": Case(lambda c: ["-m", "64X"], stderr=ERR + "-m 64X: " + NOT_A_SIZE),
    "m-fraction": Case(lambda c: ["-m", "1.5G"], stderr=ERR + "-m 1.5G: " + NOT_A_SIZE),
    "m-negative": Case(lambda c: ["-m", "-64"], stderr=ERR + "-m -64: " + NOT_A_SIZE),
    "m-zero": Case(lambda c: ["-m", "0"], stderr=ERR + "-m 0: RAM size must be at least 1M"),
    "m-too-small": Case(lambda c: ["-m", "512K"], stderr=ERR + "-m 512K: RAM size must be at least 1M"),
    "m-too-large": Case(lambda c: ["-m", "2T"], stderr=ERR + "-m 2T: RAM size must be at most 1T"),
    "m-overflow": Case(lambda c: ["-m", "99999999999999999999999"],
                       stderr=ERR + "-m 99999999999999999999999: RAM size must be at most 1T"),
    # CPU models and serial backends
    "unknown-cpu": Case(lambda c: ["-cpu", "pentium9"],
                        stderr=ERR + "-cpu pentium9: unknown CPU model (-cpu help lists them)"),
    "bad-serial": Case(lambda c: ["-serial", "tcp::4444"],
                       stderr=ERR + "-serial tcp::4444: unsupported serial backend "
                       "(use stdio, mon:stdio, file:PATH, null or none)"),
    "serial-too-many": Case(lambda c: ["-serial", "null"] * 5,
                            stderr=ERR + "-serial null: too many serial ports (COM1-COM4 at most)"),
    "serial-stdio-twice": Case(lambda c: ["-serial", "stdio", "-serial", "stdio"],
                               stderr=ERR + "-serial stdio: stdio is already used by another serial port"),
    "serial-file-no-path": Case(lambda c: ["-serial", "file:"],
                                stderr=ERR + "-serial file:: file: needs a path (file:PATH)"),
    "serial-file-bad-dir": Case(with_rom("-serial", "file:/nonexistent/dir/serial.log"),
                                stderr=ERR + "-serial file:/nonexistent/dir/serial.log: No such file or directory"),
    # firmware images
    # SeaBIOS is the default firmware; -L points its lookup at an empty directory.
    "no-firmware": Case(lambda c: ["-L", c.tmp, "-m", "64"], stderr=re.compile(
        re.escape(ERR + "no firmware: ") + r".*/bios-256k\.bin: No such file or directory "
        r"\(install Debian's seabios package, or give -bios FILE or -kernel FILE\)\n")),
    "bios-missing-file": Case(lambda c: ["-bios", "/nonexistent/kestrel.bin"],
                              stderr=ERR + "-bios /nonexistent/kestrel.bin: No such file or directory"),
    "bios-directory": Case(lambda c: ["-bios", c.tmp],
                           stderr=re.compile(re.escape(ERR) + r"-bios .*: Is a directory\n")),
    "bios-empty": Case(make_file(0), stderr=re.compile(re.escape(ERR) + r"-bios .*: the image is empty\n")),
    "bios-too-large": Case(make_file((16 << 20) + 1), stderr=re.compile(
        re.escape(ERR) + r"-bios .*: the image is 16777217 bytes; at most 16 MiB fits\n")),
    # direct kernel boot
    "kernel-missing-file": Case(lambda c: ["-kernel", "/nonexistent/vmlinuz"],
                                stderr=ERR + "-kernel /nonexistent/vmlinuz: No such file or directory"),
    "kernel-not-a-kernel": Case(text_file, stderr=re.compile(
        re.escape(ERR) + r"-kernel .*/notes.txt: not a kernel \(no Linux bzImage header and "
        r"no Multiboot header\)\n")),
    "kernel-truncated": Case(lambda c: bzimage(c, cut=1000), stderr=re.compile(
        re.escape(ERR) + r"-kernel .*/vmlinuz: truncated bzImage: 67096 bytes, its header says "
        r"68096\n")),
    "kernel-too-little-ram": Case(lambda c: bzimage(c) + ["-m", "16"], stderr=re.compile(
        re.escape(ERR) + r"-kernel .*/vmlinuz: the kernel needs 24 MiB of RAM; -m gives 16 MiB\n")),
    "initrd-too-large": Case(lambda c: bzimage(c, initrd_mib=20) + ["-m", "32"], stderr=re.compile(
        re.escape(ERR) + r"-initrd .*/initrd.img: too large for -m 32 MiB: the initrd is 20 MiB, "
        r"the kernel leaves 8 MiB\n")),
    "initrd-missing-file": Case(lambda c: bzimage(c) + ["-initrd", "/nonexistent/initrd"],
                                stderr=ERR + "-initrd /nonexistent/initrd: No such file or directory"),
    "initrd-without-kernel": Case(with_rom("-initrd", "/nonexistent/initrd"),
                                  stderr=ERR + "-initrd: needs -kernel"),
    "append-too-long": Case(lambda c: bzimage(c) + ["-append", "x" * 3000], stderr=ERR +
                            "-append: the command line is 3000 bytes; this kernel takes at most 2047"),
    # how guests stop
    "guest-halted": Case(lambda c: ["-bios", c.halt_rom, "-m", "16"], stderr=re.compile(
        re.escape(ERR) + r"guest halted: HLT at F000:FFF[0-9A-F] with interrupts disabled: "
        r"nothing can wake the CPU\n")),
    "no-reboot-shutdown": Case(lambda c: ["-bios", c.shutdown_rom, "-m", "16", "-no-reboot"], 0,
                               stderr="kestrel: guest shut down (triple fault); -no-reboot: exiting"),
}


def check(name, value, want):
    if want is None:
        return [] if value == "" else [f"{name} should be empty, got {value!r}"]
    if isinstance(want, str):
        want += "\n"
        return [] if value == want else [f"{name} is {value!r}, expected {want!r}"]
    return [] if want.fullmatch(value) else [f"{name} {value!r} does not match /{want.pattern}/"]


def run(case_name, ctx):
    case = CASES[case_name]
    cmd = [ctx.kestrel, *case.args(ctx)]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out: {cmd}")
        return 1
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    problems = [] if r.returncode == case.status else [
        f"exit status {r.returncode}, expected {case.status}"]
    problems += check("stderr", err, case.stderr)
    problems += check("stdout", out, case.stdout)
    if case.status != 0 and err.count("\n") != 1:
        problems.append(f"stderr must be exactly one line, got {err.count(chr(10))}")
    print("command:", " ".join(cmd))
    print(f"status: {r.returncode}\nstdout: {out[:400]!r}\nstderr: {err!r}")
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    p.add_argument("--kestrel")
    p.add_argument("--rom", help="a working firmware image")
    p.add_argument("--halt-rom")
    p.add_argument("--shutdown-rom")
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
        return run(ctx.case, ctx)


if __name__ == "__main__":
    sys.exit(main())
