#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The gdb suite's driver: starts Kestrel held at reset (-S) with the gdbstub
# on a free loopback port, runs Debian's gdb in batch mode with
# gdb_checks.py (breakpoints, steps through real, protected and long mode,
# memory, a watchpoint, Ctrl-C, detach), then checks that the guest runs on
# after the detach, that a second gdb can attach, and that its `kill` ends
# Kestrel.
import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROM_BASE = 0xf0000


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def marker(rom, n):
    """Linear address and length of the MOV ECX/RCX, 5EA1B0Bn marker."""
    imm = bytes([0xb0 + n, 0xb0, 0xa1, 0x5e])
    pos = rom.find(imm)
    if pos < 0 or rom.find(imm, pos + 1) >= 0:
        sys.exit('marker %d not found exactly once in the ROM' % n)
    if rom[pos - 3:pos] == b'\x48\xc7\xc1':
        start = pos - 3
    elif rom[pos - 1] == 0xb9:
        start = pos - 2 if rom[pos - 2] == 0x66 else pos - 1
    else:
        sys.exit('marker %d is not a MOV ECX/RCX, imm32' % n)
    return ROM_BASE + start, pos + 4 - start


def run_gdb(args, port, env_extra, script, timeout):
    env = dict(os.environ, KT_PORT=str(port), **env_extra)
    cmd = [args.gdb, '-nx', '-batch', '-x', script]
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    return p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kestrel', required=True)
    ap.add_argument('--rom', required=True)
    ap.add_argument('--gdb', default='gdb')
    args = ap.parse_args()
    rom = open(args.rom, 'rb').read()
    markers = [marker(rom, n) for n in range(5)]
    # The watched write (MOV [abs32], RDX: 8 bytes) follows marker 5.
    watch_pc = markers[4][0] + markers[4][1] + 8
    port = free_port()
    kestrel = subprocess.Popen(
        [args.kestrel, '-bios', args.rom, '-cpu', 'max', '-m', '16', '-nographic', '-S',
         '-gdb', 'tcp:127.0.0.1:%d' % port],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failures = []
    try:
        time.sleep(0.5)
        env = {'KT_MARKERS': ','.join('%x' % a for a, _ in markers), 'KT_WATCH_PC': '%x' % watch_pc}
        out = run_gdb(args, port, env, os.path.join(HERE, 'gdb_checks.py'), 120)
        print(out)
        if 'ALL-CHECKS-PASSED' not in out:
            failures.append('gdb checks failed')
        time.sleep(0.5)
        if kestrel.poll() is not None:
            failures.append('Kestrel ended after the detach (status %s)' % kestrel.returncode)
        else:
            print('ok: the guest runs on after detach')
            # A second gdb attaches to the running guest and kills it.
            second = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'kestrel-gdb-second-%d.gdb' % port)
            with open(second, 'w') as f:
                f.write('set confirm off\ntarget remote 127.0.0.1:%d\n'
                        'printf "SECOND-PC %%#lx\\n", $pc\nkill\n' % port)
            out2 = run_gdb(args, port, {}, second, 60)
            os.unlink(second)
            print(out2)
            pcs = [int(l.split()[1], 16) for l in out2.splitlines() if l.startswith('SECOND-PC')]
            if not pcs or not watch_pc < pcs[0] < watch_pc + 16:
                failures.append('second gdb: pc not in the ROM\'s loop: %s' % pcs)
            else:
                print('ok: a second gdb attached; pc %#x is in the loop' % pcs[0])
            try:
                status = kestrel.wait(timeout=10)
                if status != 0:
                    failures.append('Kestrel exit status %d after kill' % status)
                else:
                    print('ok: kill ended Kestrel with status 0')
            except subprocess.TimeoutExpired:
                failures.append('Kestrel still running after kill')
    finally:
        if kestrel.poll() is None:
            kestrel.kill()
        out, err = kestrel.communicate()
        sys.stdout.write(out.decode(errors='replace'))
        sys.stdout.write(err.decode(errors='replace'))
    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
