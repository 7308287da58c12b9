#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'firmware' suite: Kestrel with no -bios and no -kernel boots Debian's
# SeaBIOS. Each case is one boot: `headless` (no disks: SeaBIOS's log on
# port 0x402 and its screen on COM1, ending in "No bootable device"), `hda`
# (a boot sector on -hda exits through port 0xF4), `boot-order` (-boot d and
# -boot c choose between a CD-ROM and a disk). `firmware_test.py --list`
# names the cases for meson.
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77  # meson's "skipped"

# SeaBIOS's debug log (port 0x402) of a headless boot with no disks: fw_cfg
# found with DMA, RAM from fw_cfg's e820 table, PCI init, the ACPI tables
# placed by the table loader, the serial console, and the end of the road.
HEADLESS_LOG = [
    r"SeaBIOS \(version [^)]*\)",
    r"Running on QEMU \(i440fx\)",
    r"Found QEMU fw_cfg",
    r"QEMU fw_cfg DMA interface supported",
    r"qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 \[RAM\]",
    r"Moving pm_base to 0x600",  # etc/table-loader is there
    r"=== PCI bus & bridge init ===",
    r"=== PCI device probing ===",
    r"PCI: init bdf=00:00\.0 id=8086:1237",
    r"PCI: init bdf=00:01\.0 id=8086:7000",
    r"table\(50434146\)=0x[0-9a-f]+ \(via xsdt\)",  # the FACP, from the loader's RSDP
    r"ACPI: parse DSDT at 0x[0-9a-f]+",
    r"00000000fffc0000 - 0000000100000000 = 2 RESERVED",
    r"sercon: using ioport 0x3f8",
    r"No bootable device\.",
]
# ... and what the serial console shows of the same boot, as a terminal
# renders it.
HEADLESS_SERIAL = [r"SeaBIOS \(version [^)]*\)", r"Boot failed: could not read the boot disk",
                   r"No bootable device\.  Retrying in 0 seconds\."]


def render(stream, rows=25, cols=80):
    """The screen a VT100-like terminal shows for `stream`: SeaBIOS's serial
    console draws with cursor addressing (ESC [ row ; col H) and may redraw
    a cell it already wrote, so its bytes are checked as a screen."""
    screen = [[" "] * cols for _ in range(rows)]
    row = col = 0
    i = 0
    while i < len(stream):
        c = stream[i]
        i += 1
        if c == "\x1b":
            if i < len(stream) and stream[i] == "c":
                screen = [[" "] * cols for _ in range(rows)]
                row = col = 0
                i += 1
                continue
            m = re.match(r"\[([0-9;?]*)([A-Za-z])", stream[i:])
            if not m:
                # A sequence cut short by another: drop what it had.
                i += re.match(r"\[?[0-9;?]*", stream[i:]).end()
                continue
            i += m.end()
            params, final = m.group(1), m.group(2)
            if final == "H":
                parts = (params.split(";") + ["1", "1"])[:2]
                row = min(rows - 1, max(0, int(parts[0] or 1) - 1))
                col = min(cols - 1, max(0, int(parts[1] or 1) - 1))
            elif final == "J":
                screen = [[" "] * cols for _ in range(rows)]
        elif c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            if row == rows:
                screen = screen[1:] + [[" "] * cols]
                row = rows - 1
        elif c == "\b":
            col = max(0, col - 1)
        elif c >= " ":
            screen[row][col] = c
            col = min(cols - 1, col + 1)
    return "\n".join("".join(r).rstrip() for r in screen)


def run(cmd, timeout=120):
    print("command:", " ".join(cmd), flush=True)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        print(f"FAIL: timed out after {timeout}s; stdout so far:\n{out[-2000:]}")
        return None
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    print(f"status: {r.returncode}\nstdout (tail): {out[-1500:]!r}\nstderr: {err!r}")
    return r.returncode, out, err


def require(what, text, patterns):
    missing = [p for p in patterns if not re.search(p, text)]
    for p in missing:
        print(f"FAIL: {what} has no line matching /{p}/")
    return not missing


def case_headless(ctx):
    log = os.path.join(ctx.tmp, "seabios.log")
    # -icount: SeaBIOS's serial console is not reentrant, and it yields
    # while the UART is busy sending; deterministic time keeps the timer
    # interrupts that would interleave its output at the same places.
    res = run([ctx.kestrel, "-nographic", "-icount", "3", "-m", "128",
               "-firmware-log", "file:" + log, "-boot", "reboot-timeout=0", "-no-reboot"])
    if res is None:
        return 1
    status, out, err = res
    ok = status == 0 and err == "kestrel: guest reset the machine; -no-reboot: exiting\n"
    if not ok:
        print("FAIL: expected exit 0 after SeaBIOS's reboot with -no-reboot")
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    print(f"firmware log ({len(text)} bytes), head:\n{text[:3000]}")
    ok &= require("the firmware log", text, HEADLESS_LOG)
    screen = render(out)
    print(f"serial console as a terminal shows it:\n{screen.strip()}")
    ok &= require("the serial console", screen, HEADLESS_SERIAL)
    return 0 if ok else 1


def disk_image(ctx, sector):
    """The boot sector padded to a 1 MiB raw disk."""
    path = os.path.join(ctx.tmp, "disk.img")
    shutil.copyfile(sector, path)
    with open(path, "r+b") as f:
        f.truncate(1 << 20)
    return path


def cd_image(ctx, sector):
    """An ISO 9660 CD with `sector` as its El Torito no-emulation boot image."""
    xorriso = shutil.which("xorriso")
    if not xorriso:
        return None
    root = os.path.join(ctx.tmp, "cd")
    os.makedirs(root)
    boot = os.path.join(root, "boot.bin")
    shutil.copyfile(sector, boot)
    with open(boot, "r+b") as f:
        f.truncate(2048)
    iso = os.path.join(ctx.tmp, "cd.iso")
    subprocess.run([xorriso, "-as", "mkisofs", "-quiet", "-o", iso, "-b", "boot.bin",
                    "-no-emul-boot", "-boot-load-size", "4", root], check=True)
    return iso


def expect_boot(cmd, medium, code):
    res = run(cmd)
    if res is None:
        return False
    status, out, _ = res
    ok = status == ((code << 1) | 1)
    if not ok:
        print(f"FAIL: exit status {status}, expected {(code << 1) | 1} (booted from {medium})")
    return require("stdout", out, [f"kestrel boot sector: booted from {medium}"]) and ok


def case_hda(ctx):
    disk = disk_image(ctx, ctx.disk_sector)
    return 0 if expect_boot([ctx.kestrel, "-nographic", "-m", "64", "-hda", disk],
                            "disk", 0x21) else 1


def case_boot_order(ctx):
    disk = disk_image(ctx, ctx.disk_sector)
    cd = cd_image(ctx, ctx.cd_sector)
    if cd is None:
        print("SKIP: xorriso is not installed")
        return SKIP
    base = [ctx.kestrel, "-nographic", "-m", "64", "-hda", disk, "-cdrom", cd]
    log = os.path.join(ctx.tmp, "seabios.log")
    ok = expect_boot(base + ["-boot", "d", "-firmware-log", log], "cd", 0x22)
    with open(log, encoding="utf-8", errors="replace") as f:
        ok &= require("the firmware log", f.read(), [
            r"Searching bootorder for: /pci@i0cf8/\*@1,1/drive@1/disk@0"])
    ok &= expect_boot(base + ["-boot", "order=c"], "disk", 0x21)
    return 0 if ok else 1


CASES = {"headless": case_headless, "hda": case_hda, "boot-order": case_boot_order}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--list", action="store_true")
    p.add_argument("--kestrel")
    p.add_argument("--disk-sector", help="boot sector that exits with 0x21")
    p.add_argument("--cd-sector", help="boot sector that exits with 0x22")
    p.add_argument("case", nargs="?")
    ctx = p.parse_args()
    if ctx.list:
        print("\n".join(CASES))
        return 0
    if ctx.case not in CASES:
        print(f"unknown case {ctx.case!r}")
        return 1
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        print("SKIP: Debian's seabios package is not installed")
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        ctx.tmp = tmp
        return CASES[ctx.case](ctx)


if __name__ == "__main__":
    sys.exit(main())
