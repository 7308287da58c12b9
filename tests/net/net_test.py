#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'net' suite: boots the default x86-64 guest with one NIC (e1000 or
# virtio-net) on user networking, and checks in one boot: the DHCP lease
# (10.0.2.15), ping to the gateway, a 20 MiB download by the guest from an
# HTTP server on the host's loopback (reached as 10.0.2.2), a 20 MiB upload
# fetched by the host from busybox httpd in the guest through hostfwd, and
# optionally a pcap of the run read back by tshark. Prints the throughput.
# Exits 77 (skip) when the guest images are not built.
import argparse
import functools
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
from boot_test import PROMPT, SKIP, Console, fail, guest_files  # noqa: E402

MIB = 1 << 20
SIZE_MIB = 20
MODULES = {"e1000": "e1000", "virtio-net-pci": "virtio_pci,virtio_net"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    """An HTTP server on 127.0.0.1 for `directory`, in a thread."""
    handler = functools.partial(Quiet, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(con, pos, command, timeout=600):
    """Types `command`; returns (answer, new position, seconds) or None."""
    t0 = time.monotonic()
    con.type(command)
    end = con.wait_for(PROMPT, pos, timeout)
    if end is None:
        return None
    return con.text(pos, end), end, time.monotonic() - t0


def tshark_count(pcap, display_filter):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", display_filter],
                         capture_output=True, text=True, timeout=600)
    return len([line for line in out.stdout.splitlines() if line.strip()])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kestrel", required=True)
    ap.add_argument("--guest", required=True, help="cache/guests/x86_64")
    ap.add_argument("--model", required=True, choices=sorted(MODULES))
    ap.add_argument("--log", required=True)
    ap.add_argument("--pcap", help="capture the run here and check it with tshark")
    ap.add_argument("--timeout", type=float, default=1500)
    args = ap.parse_args()

    kernel, initrd = guest_files(args.guest)
    if args.pcap and not shutil.which("tshark"):
        print("skip: tshark is not installed (scripts/setup installs it)")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="kestrel-net-")
    blob = os.urandom(SIZE_MIB * MIB)
    with open(os.path.join(tmp, "blob"), "wb") as f:
        f.write(blob)
    blob_md5 = hashlib.md5(blob).hexdigest()
    server = serve(tmp)
    http_port = server.server_address[1]
    fwd_port = free_port()

    netdev = f"user,id=n0,hostfwd=tcp:127.0.0.1:{fwd_port}-:8080"
    cmd = [args.kestrel, "-kernel", kernel, "-initrd", initrd, "-append",
           f"console=ttyS0 kestrel.modules={MODULES[args.model]} kestrel.net=dhcp",
           "-nographic", "-m", "512", "-netdev", netdev, "-device", f"{args.model},netdev=n0"]
    if args.pcap:
        cmd += ["-object", f"filter-dump,id=f0,netdev=n0,file={args.pcap}"]
    print("running:", " ".join(cmd), flush=True)
    start = time.monotonic()
    con = Console(cmd, args.log)
    try:
        return check_guest(con, args, start, http_port, fwd_port, blob_md5)
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
        if con.proc.poll() is None:
            con.proc.kill()


def check_guest(con, args, start, http_port, fwd_port, blob_md5):
    pos = con.wait_for(PROMPT, 0, args.timeout)
    if pos is None:
        return fail(con, "no shell prompt")
    print(f"time to the shell prompt: {time.monotonic() - start:.1f} s", flush=True)
    if b"udhcpc: eth0 10.0.2.15" not in con.text(0, pos):
        return fail(con, "no DHCP lease of 10.0.2.15 on eth0")
    print("ok: DHCP lease 10.0.2.15", flush=True)

    # Kernel messages (the link coming up, for one) would otherwise land in
    # the middle of command output on the shared serial console.
    r = run(con, pos, "dmesg -n 1", 300)
    if r is None:
        return fail(con, "no prompt after `dmesg -n 1`")
    pos = r[1]

    checks = [
        ("ip -4 addr show eth0", re.compile(rb"inet 10\.0\.2\.15/24")),
        ("ping -c 3 10.0.2.2", re.compile(rb"3 packets transmitted, 3 packets received")),
    ]
    for command, expect in checks:
        r = run(con, pos, command, 300)
        if r is None or not expect.search(r[0]):
            return fail(con, f"`{command}` answered {r and r[0]!r}")
        pos = r[1]
        print(f"ok: {command}", flush=True)

    # Host to guest: busybox wget from the host's server.
    r = run(con, pos, f"wget -q -O /tmp/dl http://10.0.2.2:{http_port}/blob && md5sum /tmp/dl")
    if r is None or blob_md5.encode() not in r[0]:
        return fail(con, f"guest download: md5 {blob_md5} not in {r and r[0]!r}")
    pos = r[1]
    print(f"ok: guest downloaded {SIZE_MIB} MiB, md5 matches: "
          f"{SIZE_MIB / r[2]:.2f} MiB/s host->guest ({r[2]:.1f} s)", flush=True)

    # Guest to host: a file made in the guest, fetched through hostfwd.
    r = run(con, pos, f"rm /tmp/dl; dd if=/dev/urandom of=/tmp/up bs=1M count={SIZE_MIB} "
                      "2>/dev/null; md5sum /tmp/up; httpd -p 8080 -h /tmp")
    m = r and re.search(rb"([0-9a-f]{32})  /tmp/up", r[0])
    if not m:
        return fail(con, f"no md5 of /tmp/up in {r and r[0]!r}")
    pos = r[1]
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{fwd_port}/up", timeout=600) as resp:
            data = resp.read()
    except OSError as e:
        return fail(con, f"host fetch through hostfwd failed: {e}")
    dt = time.monotonic() - t0
    if hashlib.md5(data).hexdigest() != m.group(1).decode():
        return fail(con, f"host fetch: {len(data)} bytes, md5 differs from the guest's")
    print(f"ok: host fetched {SIZE_MIB} MiB through hostfwd, md5 matches: "
          f"{SIZE_MIB / dt:.2f} MiB/s guest->host ({dt:.1f} s)", flush=True)

    con.type("poweroff -f")
    try:
        status = con.proc.wait(300)
    except subprocess.TimeoutExpired:
        return fail(con, "no power-off")
    if status != 0:
        return fail(con, f"Kestrel exited with {status} after poweroff")
    print(f"ok: powered off, exit 0 after {time.monotonic() - start:.1f} s", flush=True)

    if args.pcap:
        # Wireshark calls DHCP 'dhcp' since 3.0 and 'bootp' before.
        dhcp = tshark_count(args.pcap, "dhcp") or tshark_count(args.pcap, "bootp")
        http = tshark_count(args.pcap, "http")
        if dhcp < 2 or http < 2:
            print(f"FAIL: pcap has {dhcp} DHCP and {http} HTTP packets")
            return 1
        print(f"ok: pcap shows {dhcp} DHCP and {http} HTTP packets", flush=True)
        os.unlink(args.pcap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
