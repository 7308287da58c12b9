#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The SDL window under Xvfb: kestrel -display sdl boots SeaBIOS; once the
# BIOS screen is up the guest is stopped, Kestrel's own screendump (the
# frame the window was given) is compared with the X server's root window
# (xwd -root): the window shows the guest's screen at 1:1, pixel for pixel.
# With --rom (tests/ui/monitor.asm): keys pressed on the X server (XTEST)
# reach the guest as scan codes. Skips (status 77) when Xvfb, xwd, SeaBIOS
# or libXtst are missing.
import argparse
import array
import ctypes
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monitor_test import Monitor, check, connect, free_port  # noqa: E402

SKIP = 77
SEABIOS = "/usr/share/seabios/bios-256k.bin"


def read_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG signature")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    check(depth == 8 and ctype in (2, 6) and interlace == 0, "8-bit RGB(A), not interlaced")
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return w, h, rows


def read_xwd(path):
    """(width, height, rows of RGB bytes) of a 24/32-bit TrueColor ZPixmap XWD."""
    data = open(path, "rb").read()
    hdr = struct.unpack(">25I", data[:100])
    size, fmt, w, h, order, bpp, bpl = hdr[0], hdr[2], hdr[4], hdr[5], hdr[7], hdr[11], hdr[12]
    masks, ncolors = hdr[14:17], hdr[19]
    check(fmt == 2 and bpp in (24, 32), f"a 24/32-bit ZPixmap (format {fmt}, {bpp} bits)")
    shifts = [(m & -m).bit_length() - 1 for m in masks]
    pix, step = data[size + 12 * ncolors:], bpp // 8
    rows = []
    for y in range(h):
        line = pix[y * bpl:y * bpl + step * w]
        if step == 4:
            words = array.array("I", line)
            if (order == 1) != (sys.byteorder == "big"):
                words.byteswap()
        else:
            endian = "big" if order == 1 else "little"
            words = [int.from_bytes(line[i:i + 3], endian) for i in range(0, len(line), 3)]
        out = bytearray(3 * w)
        for x, v in enumerate(words):
            out[3 * x] = (v & masks[0]) >> shifts[0]
            out[3 * x + 1] = (v & masks[1]) >> shifts[1]
            out[3 * x + 2] = (v & masks[2]) >> shifts[2]
        rows.append(bytes(out))
    return w, h, rows


def find(guest, root):
    """Where the guest image lies in the root window, or None."""
    gw, gh, grows = guest
    rw, rh, rrows = root
    # The first row with more than one colour pins the position down.
    ky = next((y for y, r in enumerate(grows) if len(set(r[i:i + 3] for i in range(0, len(r), 3))) > 1), None)
    check(ky is not None, "the guest screen is not one flat colour")
    for y in range(ky, rh - (gh - ky) + 1):
        x = rrows[y].find(grows[ky])
        while x >= 0:
            if x % 3 == 0:
                ox, oy = x // 3, y - ky
                if all(rrows[oy + j][3 * ox:3 * (ox + gw)] == grows[j] for j in range(gh)):
                    return ox, oy
            x = rrows[y].find(grows[ky], x + 1)
    return None


def start_xvfb():
    for n in range(90, 120):
        if not os.path.exists(f"/tmp/.X{n}-lock") and not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 15
    while not os.path.exists(f"/tmp/.X11-unix/X{n}"):
        check(proc.poll() is None and time.monotonic() < end, "Xvfb did not start")
        time.sleep(0.1)
    return proc, f":{n}"


class Skip(Exception):
    pass


def run(a, tmp):
    xvfb, display = start_xvfb()
    port = free_port()
    env = dict(os.environ, DISPLAY=display)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([a.kestrel, "-display", "sdl", "-bios", SEABIOS, "-m", "64",
                             "-monitor", f"tcp:127.0.0.1:{port},server"],
                            env=env, stdin=subprocess.DEVNULL)
    try:
        sock = connect(port)
        mon = Monitor(sock.fileno(), sock.sendall)
        mon.read_prompt()
        if "VGA controller" not in mon.cmd("info pci"):
            sock.sendall(b"quit\n")
            proc.wait(timeout=20)
            raise Skip("this build's board has no display adapter")
        guest_png = os.path.join(tmp, "guest.png")
        # SeaBIOS draws its banner within a few seconds; give it time to finish.
        mon.wait_for(f"screendump {guest_png}", r"^$", timeout=60)
        time.sleep(5)
        mon.cmd("stop")
        time.sleep(1.5)  # the window draws the last frame it was given
        check(mon.cmd(f"screendump {guest_png}") == "", "screendump")
        root_xwd = os.path.join(tmp, "root.xwd")
        with open(root_xwd, "wb") as f:
            subprocess.run(["xwd", "-root", "-silent", "-display", display], stdout=f,
                           check=True, timeout=30)
        guest, root = read_png(guest_png), read_xwd(root_xwd)
        print(f"guest screen {guest[0]}x{guest[1]}, X screen {root[0]}x{root[1]}")
        # SeaBIOS's banner is on the first text row (16 scan lines).
        check(any(any(r) for r in guest[2][:16]), "the SeaBIOS banner is on the screen")
        at = find(guest, root)
        check(at is not None, "the guest's screen is in the window, pixel for pixel")
        print(f"window content found at {at}")
        sock.sendall(b"quit\n")
        check(proc.wait(timeout=20) == 0, "exit status 0 after quit")
    finally:
        if proc.poll() is None:
            proc.kill()
        xvfb.terminate()
        xvfb.wait(timeout=10)


class FakeInput:
    """X key events through the XTEST extension (libXtst, by ctypes)."""

    def __init__(self, display):
        try:
            self.x11 = ctypes.CDLL("libX11.so.6")
            self.xtst = ctypes.CDLL("libXtst.so.6")
        except OSError as e:
            raise Skip(f"no libXtst: {e}")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.d = self.x11.XOpenDisplay(display.encode())
        check(self.d, "XOpenDisplay")

    def pointer_to(self, x, y):
        self.xtst.XTestFakeMotionEvent(self.d, -1, x, y, 0)
        self.x11.XFlush(self.d)

    def key(self, keysym):
        code = self.x11.XKeysymToKeycode(self.d, keysym)
        check(code, f"a keycode for keysym {keysym:#x}")
        for down in (1, 0):
            self.xtst.XTestFakeKeyEvent(self.d, code, down, 0)
            self.x11.XFlush(self.d)
            time.sleep(0.05)

    def close(self):
        self.x11.XCloseDisplay(self.d)


def run_keys(a, tmp):
    """Host keys pressed in the window reach the guest as set 2 scan codes."""
    xvfb, display = start_xvfb()
    port = free_port()
    env = dict(os.environ, DISPLAY=display)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen([a.kestrel, "-display", "sdl", "-bios", a.rom, "-m", "16",
                             "-monitor", f"tcp:127.0.0.1:{port},server"],
                            env=env, stdin=subprocess.DEVNULL)
    fake = None
    try:
        sock = connect(port)
        mon = Monitor(sock.fileno(), sock.sendall)
        mon.read_prompt()
        mon.wait_for("xp/1xw 0x500", r"0x12345678")
        fake = FakeInput(display)
        # No window manager: the focus follows the pointer; the window is
        # centred on the 1024x768 screen.
        fake.pointer_to(512, 384)
        time.sleep(1)
        fake.key(0x61)  # XK_a
        mon.wait_for("xp/1xh 0x5fe", r": 0x0003", timeout=10)
        check("0x1c 0xf0 0x1c" in mon.cmd("xp/3xb 0x600"), "a: make and break")
        fake.key(0xff52)  # XK_Up: an extended key
        mon.wait_for("xp/1xh 0x5fe", r": 0x0008", timeout=10)
        check("0xe0 0x75 0xe0 0xf0 0x75" in mon.cmd("xp/5xb 0x603"), "Up: E0 make and break")
        sock.sendall(b"quit\n")
        check(proc.wait(timeout=20) == 0, "exit status 0 after quit")
    finally:
        if fake:
            fake.close()
        if proc.poll() is None:
            proc.kill()
        xvfb.terminate()
        xvfb.wait(timeout=10)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kestrel", required=True)
    p.add_argument("--rom", help="tests/ui/monitor.asm: run the keyboard case")
    a = p.parse_args()
    missing = [t for t in ("Xvfb", "xwd") if not shutil.which(t)]
    if missing or (not a.rom and not os.path.exists(SEABIOS)):
        print("SKIP: missing", missing or SEABIOS)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        try:
            (run_keys if a.rom else run)(a, tmp)
        except AssertionError as e:
            print("FAIL:", e)
            return 1
        except Skip as e:
            print("SKIP:", e)
            return SKIP
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
