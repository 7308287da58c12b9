#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The 'storage' suite. One case per run:
#   broken    images refused at startup with one "kestrel: error:" line and
#             nothing written: a truncated ISO, a directory, a dangling path,
#             one image on two drives, an image another Kestrel has open;
#   linux     one -kernel boot: an MBR+ext2 IDE disk and an ext2 virtio-blk
#             disk are mounted and written (read back on the host with
#             debugfs), an ISO is mounted from the CD-ROM, and a snapshot=on
#             disk is written and stays unchanged;
#   grub-iso  grub-mkrescue's ISO booted with -cdrom -boot d through
#             SeaBIOS to the busybox shell, with -snapshot on a disk the
#             guest writes.
# Exits 77 (skip) when a tool or the guest images are missing.
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
from boot_test import PROMPT, Console, guest_files  # noqa: E402

SKIP = 77
SEABIOS = "/usr/share/seabios/bios-256k.bin"


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print("skip: missing " + ", ".join(missing))
        sys.exit(SKIP)


def ext2_image(path, size_mib, partitioned, files):
    """A raw disk: optionally an MBR with one Linux partition from 1 MiB,
    holding an ext2 file system built in a separate file (no loop device)."""
    fs = path + ".fs"
    offset = 1 << 20 if partitioned else 0
    with open(fs, "wb") as f:
        f.truncate((size_mib << 20) - offset)
    run(["mkfs.ext2", "-q", "-F", "-L", "kestrel", fs])
    for name, text in files.items():
        src = path + ".src"
        open(src, "w").write(text)
        run(["debugfs", "-w", "-R", f"write {src} {name}", fs])
    with open(path, "wb") as f:
        f.truncate(size_mib << 20)
    if partitioned:
        run(["sfdisk", "-q", path], input=b"start=2048, type=83\n")
    with open(path, "r+b") as out, open(fs, "rb") as src:
        out.seek(offset)
        shutil.copyfileobj(src, out)
    os.remove(fs)
    return offset


def debugfs_cat(path, offset, name):
    """A file's contents from the ext2 file system at `offset` in `path`."""
    fs = path + ".check"
    with open(path, "rb") as src, open(fs, "wb") as out:
        src.seek(offset)
        shutil.copyfileobj(src, out)
    r = subprocess.run(["debugfs", "-R", f"cat {name}", fs], capture_output=True)
    os.remove(fs)
    return r.stdout.decode(errors="replace")


def expect_error(cmd, what):
    """The command fails at once with one `kestrel: error:` line."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace")
    lines = err.splitlines()
    ok = r.returncode != 0 and len(lines) == 1 and lines[0].startswith("kestrel: error: ")
    print(("ok: " if ok else "FAIL: ") + f"{what}: status {r.returncode}, stderr {err!r}")
    return ok


def case_broken(a, work):
    need("xorriso")
    kestrel = [a.kestrel, "-nographic", "-bios", SEABIOS if os.path.exists(SEABIOS) else "/dev/null"]
    disk = os.path.join(work, "disk.img")
    with open(disk, "wb") as f:
        f.write(os.urandom(1 << 20))
    before = sha256(disk)
    # A real ISO, cut short.
    tree = os.path.join(work, "isotree")
    os.makedirs(tree, exist_ok=True)
    open(os.path.join(tree, "big.bin"), "wb").write(os.urandom(256 << 10))
    iso = os.path.join(work, "cut.iso")
    run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, tree])
    with open(iso, "r+b") as f:
        f.truncate(os.path.getsize(iso) // 2)
    ok = expect_error(kestrel + ["-cdrom", iso], "truncated ISO")
    ok &= expect_error(kestrel + ["-cdrom", disk], "a CD-ROM image without ISO 9660")
    ok &= expect_error(kestrel + ["-hda", work], "a directory")
    ok &= expect_error(kestrel + ["-hda", os.path.join(work, "dangling")], "a dangling path")
    ok &= expect_error(kestrel + ["-hda", "/proc/self/mem"], "a non-regular file")
    ok &= expect_error(kestrel + ["-hda", disk, "-hdb", disk], "one image on two drives")
    ok &= expect_error(kestrel + [disk, "-drive", f"file={disk},if=virtio"],
                       "one image on IDE and virtio")
    ok &= expect_error(kestrel + ["-drive", f"file={disk},format=qcow2"], "format=qcow2")
    ok &= expect_error(kestrel + ["-hda", disk, "-drive", f"file={disk},index=0"],
                       "two drives at one IDE position")
    kernel = os.path.join(a.guest, "vmlinuz")
    if os.path.exists(kernel):
        # Another Kestrel has the image open for writing.
        other = subprocess.Popen([a.kestrel, "-kernel", kernel, "-append", "console=ttyS0",
                                  "-nographic", "-serial", "null", "-hda", disk],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(2)
        ok &= other.poll() is None
        ok &= expect_error(kestrel + ["-hda", disk], "an image another Kestrel writes")
        ok &= expect_error(kestrel + ["-hda", disk, "-snapshot"],
                           "-snapshot of an image another Kestrel writes")
        other.kill()
        other.wait()
    if sha256(disk) != before:
        print("FAIL: the image changed")
        ok = False
    return 0 if ok else 1


class Guest:
    """A console with a shell prompt: commands and their answers."""

    def __init__(self, cmd, log, timeout):
        print("running:", " ".join(cmd), flush=True)
        self.start = time.monotonic()
        self.con = Console(cmd, log)
        self.pos = self.con.wait_for(PROMPT, 0, timeout)
        if self.pos is not None:
            print(f"shell prompt after {time.monotonic() - self.start:.1f} s", flush=True)

    def fail(self, why):
        print(f"FAIL: {why}")
        print("---- last console output ----\n" + self.con.text()[-3000:].decode(errors="replace"))
        self.con.proc.kill()
        return 1

    def check(self, command, pattern, timeout=300):
        self.con.type(command)
        end = self.con.wait_for(PROMPT, self.pos, timeout)
        if end is None:
            return f"no prompt after `{command}`"
        answer = self.con.text(self.pos, end)
        self.pos = end
        if not re.search(pattern.encode(), answer):
            return f"`{command}` answered {answer!r}"
        print(f"ok: {command}", flush=True)
        return None

    def poweroff(self):
        self.con.type("poweroff -f")
        try:
            status = self.con.proc.wait(300)
        except subprocess.TimeoutExpired:
            return "no power-off"
        return None if status == 0 else f"Kestrel exited with {status}"


def case_linux(a, work):
    need("mkfs.ext2", "debugfs", "sfdisk", "xorriso")
    kernel, initrd = guest_files(a.guest)
    token = os.urandom(6).hex()
    ide = os.path.join(work, "ide.img")
    ide_offset = ext2_image(ide, 16, True, {})
    vd = os.path.join(work, "virtio.img")
    ext2_image(vd, 8, False, {})
    snap = os.path.join(work, "snap.img")
    with open(snap, "wb") as f:
        f.write(os.urandom(1 << 20))
    snap_sha = sha256(snap)
    tree = os.path.join(work, "cdtree")
    os.makedirs(tree, exist_ok=True)
    open(os.path.join(tree, "cd.txt"), "w").write(f"from-the-cd-{token}\n")
    iso = os.path.join(work, "cd.iso")
    run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, tree])
    modules = "ata_piix,sd_mod,sr_mod,isofs,crc32c_generic,ext4,virtio_pci,virtio_blk"
    cmd = [a.kestrel, "-kernel", kernel, "-initrd", initrd, "-nographic", "-m", "512",
           "-append", f"console=ttyS0 kestrel.modules={modules}",
           "-hda", ide, "-drive", f"file={snap},if=ide,index=1,snapshot=on", "-cdrom", iso,
           "-drive", f"file={vd},format=raw,if=virtio"]
    g = Guest(cmd, os.path.join(work, "console.log"), a.timeout)
    if g.pos is None:
        return g.fail("no shell prompt")
    steps = [
        # sd names follow probe order, which is asynchronous: the IDE disk is
        # the one with a partition, the snapshot disk the other.
        ("mkdir -p /mnt/a /mnt/v /mnt/c; sleep 2; cat /proc/partitions;"
         " P=$(ls /dev/sd?1); S=$(for d in /dev/sd?; do [ -e ${d}1 ] || echo $d; done);"
         " echo part=$P snap=$S", r"part=/dev/sd[ab]1 snap=/dev/sd[ab]"),
        ("mount -t ext4 $P /mnt/a && echo ide-$((40+2))", r"ide-42"),
        (f"echo ide-{token} > /mnt/a/hello.txt && sync && umount /mnt/a && echo w-$((1+1))",
         r"w-2"),
        ("mount -t ext4 /dev/vda /mnt/v && echo vd-$((40+2))", r"vd-42"),
        (f"echo virtio-{token} > /mnt/v/hello.txt && sync && umount /mnt/v && echo w-$((2+1))",
         r"w-3"),
        ("mount -t iso9660 -o ro /dev/sr0 /mnt/c && cat /mnt/c/cd.txt", f"from-the-cd-{token}"),
        ("umount /mnt/c; echo snapshot-data > $S; sync; echo 3 > /proc/sys/vm/drop_caches;"
         " head -c 13 $S | tr a-z A-Z", r"SNAPSHOT-DATA"),
        ("dmesg | grep -i -E 'ata[0-9].*(error|failed)|I/O error|EXT4-fs error'; echo end-$((5+5))",
         # nothing between the (possibly wrapped) command's echo and the marker
         r"echo end-\$\(\(5\+5\)\)\r*\n\r?end-10"),
    ]
    for command, pattern in steps:
        if why := g.check(command, pattern):
            return g.fail(why)
    if why := g.poweroff():
        return g.fail(why)
    ok = True
    for name, path, offset, want in [("IDE", ide, ide_offset, f"ide-{token}"),
                                     ("virtio", vd, 0, f"virtio-{token}")]:
        got = debugfs_cat(path, offset, "/hello.txt")
        good = got.strip() == want
        print(("ok: " if good else "FAIL: ") + f"{name} disk file read back on the host: {got!r}")
        ok &= good
    if sha256(snap) != snap_sha:
        print("FAIL: the snapshot=on image changed")
        ok = False
    else:
        print("ok: the snapshot=on image is unchanged")
    print(f"done after {time.monotonic() - g.start:.1f} s")
    return 0 if ok else 1


def case_grub_iso(a, work):
    need("grub-mkrescue", "xorriso", "mformat")
    if not os.path.isdir("/usr/lib/grub/i386-pc"):
        print("skip: no grub-pc-bin")
        return SKIP
    kernel, initrd = guest_files(a.guest)
    tree = os.path.join(work, "isotree")
    os.makedirs(os.path.join(tree, "boot", "grub"), exist_ok=True)
    shutil.copy(kernel, os.path.join(tree, "vmlinuz"))
    shutil.copy(initrd, os.path.join(tree, "initramfs.cpio.gz"))
    open(os.path.join(tree, "boot", "grub", "grub.cfg"), "w").write(
        "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\n"
        "set timeout=0\nmenuentry kestrel {\n"
        "  linux /vmlinuz console=ttyS0 kestrel.modules=ata_piix,sd_mod\n"
        "  initrd /initramfs.cpio.gz\n}\n")
    iso = os.path.join(work, "grub.iso")
    run(["grub-mkrescue", "-o", iso, tree])
    disk = os.path.join(work, "disk.img")
    with open(disk, "wb") as f:
        f.write(os.urandom(1 << 20))
    disk_sha = sha256(disk)
    helptext = subprocess.run([a.kestrel, "--help"], capture_output=True).stdout.decode()
    cmd = [a.kestrel, "-cdrom", iso, "-hda", disk, "-snapshot", "-nographic", "-m", "512"]
    if re.search(r"^\s+-boot\b", helptext, re.M):
        cmd += ["-boot", "d"]
    if a.bios or "SeaBIOS" not in helptext:
        cmd += ["-bios", a.bios or SEABIOS]
    g = Guest(cmd, os.path.join(work, "console.log"), a.timeout)
    if g.pos is None:
        return g.fail("no shell prompt")
    steps = [
        ("grep -o 'console=ttyS0 kestrel.modules' /proc/cmdline", r"console=ttyS0 kestrel"),
        ("sleep 2; dd if=/dev/zero of=/dev/sda bs=4096 count=64 2>/dev/null; sync;"
         " echo 3 > /proc/sys/vm/drop_caches; od -An -tx1 -N4 /dev/sda", r"00 00 00 00"),
    ]
    for command, pattern in steps:
        if why := g.check(command, pattern):
            return g.fail(why)
    if why := g.poweroff():
        return g.fail(why)
    if sha256(disk) != disk_sha:
        print("FAIL: the -snapshot image changed")
        return 1
    print("ok: the -snapshot image is unchanged")
    print(f"done after {time.monotonic() - g.start:.1f} s")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kestrel", required=True)
    ap.add_argument("--guest", required=True, help="cache/guests/x86_64")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--bios", default="", help="firmware for the GRUB boot (default: Kestrel's)")
    ap.add_argument("--timeout", type=float, default=1500)
    ap.add_argument("case", choices=["broken", "linux", "grub-iso"])
    a = ap.parse_args()
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    return {"broken": case_broken, "linux": case_linux, "grub-iso": case_grub_iso}[a.case](
        a, a.workdir)


if __name__ == "__main__":
    sys.exit(main())
