# SPDX-License-Identifier: MIT
# Runs inside gdb (gdb -batch -x gdb_checks.py), driven by gdb_test.py: the
# checks of the gdb suite against the modes.asm ROM. Each passing check
# prints "ok: ..."; the first failing one raises and ends the run, and
# "ALL-CHECKS-PASSED" is printed only when all of them passed.
import os
import signal
import threading

import gdb

PORT = os.environ['KT_PORT']
MARKERS = [int(x, 16) for x in os.environ['KT_MARKERS'].split(',')]
WATCH_PC = int(os.environ['KT_WATCH_PC'], 16)
last_stop = []


def on_stop(event):
    last_stop.append(event)


gdb.events.stop.connect(on_stop)


def ex(cmd):
    return gdb.execute(cmd, to_string=True)


def reg(name):
    return int(gdb.parse_and_eval('$' + name)) & 0xffffffffffffffff


def check(cond, what):
    if not cond:
        raise gdb.GdbError('FAILED: ' + what)
    print('ok: ' + what, flush=True)


def run_to(addr, hw=False):
    ex(('hbreak' if hw else 'tbreak') + ' *0x%x' % addr)
    ex('continue')
    check(reg('pc') == addr, 'stopped at 0x%x (%s breakpoint)' % (addr, 'hw' if hw else 'sw'))
    if hw:
        ex('delete')


def step_until(cond, limit, what):
    for n in range(1, limit + 1):
        pc = reg('pc')
        ex('stepi')
        if reg('pc') == pc:
            check(False, 'stepi moved on from 0x%x' % pc)
        if cond():
            check(True, what + ' (%d steps)' % n)
            return
    check(False, what + ' within %d steps' % limit)


ex('set pagination off')
ex('set confirm off')
ex('target remote 127.0.0.1:' + PORT)
arch = ex('show architecture')
check('x86-64' in arch, 'gdb took the x86-64 target description: ' + arch.strip())
check(reg('pc') == 0xfffffff0, 'held at the reset vector (-S): pc = CS.base + IP')
check(reg('cs') == 0xf000 and reg('cs_base') == 0xffff0000, 'CS = F000, base FFFF0000')

# Real mode: a software breakpoint (Z0) at a real-mode address.
ex('break *0x%x' % MARKERS[0])
ex('continue')
check(reg('pc') == MARKERS[0], 'breakpoint at real-mode address 0x%x' % MARKERS[0])
check(reg('eax') == 0x1234abcd and reg('ebx') == 0x5678, 'real mode: EAX and EBX as the ROM set them')
check(reg('cs') == 0xf000 and reg('cs_base') == 0xf0000, 'real mode: CS = F000, base F0000')
check(reg('cr0') & 1 == 0, 'real mode: CR0.PE clear')
ex('delete')

# Single steps through the switch to protected mode.
step_until(lambda: reg('cs') == 0x08, 60, 'stepped into 32-bit protected mode (CS = 08)')
check(reg('cr0') & 1 == 1, 'protected mode: CR0.PE set')
check(reg('cs_base') == 0xf0000, 'protected mode: CS base F0000, pc linear')
run_to(MARKERS[1], hw=True)
check(reg('eax') == 0x32323232 and reg('edx') == 0x0badf00d, 'protected mode: EAX, EDX as set')
check(reg('ds') == 0x10 and reg('ss') == 0x10, 'protected mode: DS = SS = 10')

# Single steps through the switch to long mode.
run_to(MARKERS[2])
step_until(lambda: reg('cs') == 0x98, 80, 'stepped into 64-bit mode (CS = 98)')
check(reg('efer') & 0x400 != 0, 'long mode: EFER.LMA set')
check(reg('cr0') >> 31 == 1 and reg('cr4') & 0x20 != 0, 'long mode: CR0.PG and CR4.PAE set')
check(reg('cr3') == 0x21000, 'long mode: CR3 = the ROM\'s PML4')

run_to(MARKERS[3])
check(reg('rax') == 0x0123456789abcdef, 'long mode: RAX = 0123456789ABCDEF (all 64 bits)')
out = ex('x/gx 0x30000')
check('0x0000000011223344' in out, 'memory read: the qword the ROM wrote: ' + out.strip())
ex('set {unsigned long long}0x30008 = 0xfeedfacecafebeef')
out = ex('x/gx 0x30008')
check('0xfeedfacecafebeef' in out, 'memory write read back')
run_to(MARKERS[4])
check(reg('rdx') == 0xfeedfacecafebeef, 'the guest read what gdb wrote')

# A hardware watchpoint on a data write.
ex('watch *(unsigned long long *)0x30010')
del last_stop[:]
ex('continue')
ev = last_stop[-1] if last_stop else None
check(isinstance(ev, gdb.BreakpointEvent) and ev.breakpoint.type == gdb.BP_HARDWARE_WATCHPOINT,
      'the stop is reported as the hardware watchpoint')
check(int(ev.breakpoint.expression and gdb.parse_and_eval(ev.breakpoint.expression)) == 0xfeedfacecafebeef,
      'the watched qword holds the new value')
check(reg('pc') == WATCH_PC, 'stopped after the writing instruction')
ex('delete')

# Ctrl-C during the endless loop.
del last_stop[:]
timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
timer.start()
ex('continue')
timer.join()
ev = last_stop[-1] if last_stop else None
check(isinstance(ev, gdb.SignalEvent) and ev.stop_signal == 'SIGINT', 'interrupted with SIGINT')
check(reg('rbx') > 1000, 'the loop ran before the interrupt (RBX = %d)' % reg('rbx'))
ex('monitor phys')
out = ex('x/gx 0x30008')
check('0xfeedfacecafebeef' in out, 'monitor phys: physical read')
ex('monitor virt')
ex('detach')
print('ALL-CHECKS-PASSED', flush=True)
