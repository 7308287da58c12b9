#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gdb and the Linux guest (x86_64, nokaslr): boots to the shell with the
# gdbstub on a free loopback port, reads start_kernel's address from
# /proc/kallsyms (Debian's System.map is a stub), attaches gdb with a
# breakpoint there, reboots the guest with `reboot -f`, and checks that gdb
# stops at start_kernel on the second boot, that `bt` shows it, and that the
# guest goes on to the shell after gdb detaches. Skipped without the images.
import argparse
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'boot'))
from boot_test import PROMPT, SKIP, Console, fail  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kestrel', required=True)
    ap.add_argument('--guest', required=True)
    ap.add_argument('--gdb', default='gdb')
    ap.add_argument('--log', required=True)
    args = ap.parse_args()
    kernel = os.path.join(args.guest, 'vmlinuz')
    initrd = os.path.join(args.guest, 'initramfs.cpio.gz')
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        print('SKIP: no guest images in ' + args.guest)
        return SKIP
    port = free_port()
    con = Console([args.kestrel, '-kernel', kernel, '-initrd', initrd, '-append',
                   'console=ttyS0 nokaslr', '-nographic', '-m', '512',
                   '-gdb', 'tcp:127.0.0.1:%d' % port], args.log)
    pos = con.wait_for(PROMPT, 0, 900)
    if pos is None:
        return fail(con, 'no shell prompt on the first boot')
    con.type("grep ' start_kernel$' /proc/kallsyms")
    sym = re.compile(rb'([0-9a-f]{16}) [Tt] start_kernel')
    end = con.wait_for(sym, pos, 600)  # grep reads all of kallsyms: slow when emulated
    if end is None:
        return fail(con, 'start_kernel not in /proc/kallsyms')
    addr = int(sym.search(con.text(pos)).group(1), 16)
    print('start_kernel at %#x' % addr)
    pos = con.wait_for(PROMPT, end, 60)
    script = os.path.join(os.path.dirname(args.log), 'linux-gdb-%d.gdb' % port)
    with open(script, 'w') as f:
        f.write('set confirm off\nset pagination off\ntarget remote 127.0.0.1:%d\n'
                'break *%#x\ncontinue\nprintf "STOPPED-PC %%#lx\\n", $pc\nbt\n'
                'delete\ndetach\n' % (port, addr))
    gdb = subprocess.Popen([args.gdb, '-nx', '-batch', '-x', script], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3)  # gdb attached (the guest stops) and continued
    con.type('reboot -f')
    try:
        out, _ = gdb.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        gdb.kill()
        return fail(con, 'gdb did not stop at start_kernel')
    print(out)
    pcs = [int(l.split()[1], 16) for l in out.splitlines() if l.startswith('STOPPED-PC')]
    if pcs != [addr]:
        return fail(con, 'gdb stopped at %s, not at start_kernel %#x' % (pcs, addr))
    print('ok: gdb stopped at start_kernel on the second boot')
    if not re.search(r'#0 .*0x%x' % addr, out) and '#0  0x%016x' % addr not in out:
        return fail(con, 'bt does not start at start_kernel')
    print('ok: backtrace')
    if pos is None or con.wait_for(PROMPT, pos, 900) is None:
        return fail(con, 'no shell prompt after the second boot')
    print('ok: the guest went on to the shell')
    con.type('poweroff -f')
    status = con.proc.wait(timeout=60)
    if status != 0:
        return fail(con, 'exit status %d' % status)
    print('ok: powered off')
    return 0


if __name__ == '__main__':
    sys.exit(main())
