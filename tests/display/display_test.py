#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'display' suite: runs Kestrel without a window, takes -screentext and
# -screenshot captures at a moment of virtual time, and checks them:
#   seabios  SeaBIOS (the default firmware) runs the std VGA BIOS from the
#            adapter's ROM BAR and prints its banner on the 80x25 text
#            screen, and the PNG is 720x400;
#   memtest  Debian's memtest86+ (direct boot, Linux boot protocol) shows
#            its screen, runs its first test and reports no error.
# Exits 77 (skip) when the firmware or memtest86+ is not installed.
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77


def png_info(path):
    """(width, height, distinct colours) of an 8-bit RGB PNG, by hand so the
    test needs nothing beyond Python."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            if (depth, ctype) != (8, 2):
                raise ValueError("not 8-bit RGB")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 3 * width
    colours, prev = set(), bytearray(stride)
    for y in range(height):
        row = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        filt, line = row[0], bytearray(row[1:])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = prev[i], prev[i - 3] if i >= 3 else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xff
            elif filt == 2:
                line[i] = (line[i] + b) & 0xff
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        if y % 8 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, 3))
        prev = line
    return width, height, len(colours)


def run(kestrel, args, at, tmp, timeout):
    text, png = os.path.join(tmp, "screen.txt"), os.path.join(tmp, "screen.png")
    cmd = [kestrel, "-display", "none", "-serial", "none", "-icount", "3",
           "-screentext", f"{text},at={at}", "-screenshot", f"{png},at={at},quit"] + args
    print("$", " ".join(cmd))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"kestrel exited {r.returncode}: {r.stderr.decode(errors='replace')}")
    screen = open(text, "rb").read().decode("latin-1")
    print(screen)
    return screen, png_info(png)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    return cond


def seabios(a, tmp):
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        return SKIP
    log = os.path.join(tmp, "firmware.log")
    screen, (w, h, colours) = run(a.kestrel, ["-firmware-log", "file:" + log], 4, tmp, a.timeout)
    fw = open(log, errors="replace").read()
    # SeaVGABIOS announces itself on the debug port only; the banner on the
    # text screen is written through its int 10h, so it ran.
    ok = check("SeaBIOS (version" in screen, "SeaBIOS banner on the VGA text screen")
    ok &= check("Start SeaVGABIOS" in fw, "the VGA BIOS ran (its banner in the firmware log)")
    ok &= check("VBE DISPI: lfb_addr=e0000000" not in fw and "VBE DISPI: lfb_addr=" in fw,
                "the VGA BIOS found the framebuffer BAR (run as the PCI device's ROM)")
    ok &= check((w, h) == (720, 400), f"PNG is 720x400 (80x25 9-dot text): {w}x{h}")
    ok &= check(colours >= 2, f"PNG shows text ({colours} colours)")
    return 0 if ok else 1


def memtest(a, tmp):
    image = "/boot/memtest86+x64.bin"
    if not os.path.exists(image):
        return SKIP
    screen, (w, h, colours) = run(a.kestrel, ["-kernel", image, "-m", "64"], a.at, tmp,
                                  a.timeout)
    ok = check("Memtest86+" in screen, "memtest86+ screen")
    ok &= check("Pass" in screen and "Test" in screen, "test progress shown")
    errors = [l for l in screen.splitlines() if "Errors:" in l]
    ok &= check(bool(errors) and all(l.split("Errors:")[1].split()[0] == "0" for l in errors),
                f"error counter is 0: {errors}")
    ok &= check((w, h) == (720, 400), f"PNG is 720x400: {w}x{h}")
    ok &= check(colours >= 3, f"PNG shows the coloured screen ({colours} colours)")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kestrel", required=True)
    p.add_argument("--at", default="6", help="memtest: seconds of virtual time")
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("what", choices=["seabios", "memtest"])
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        return {"seabios": seabios, "memtest": memtest}[a.what](a, tmp)


if __name__ == "__main__":
    sys.exit(main())
