; SPDX-License-Identifier: MIT
; The ROM the gdb suite debugs (gdb_test.py): real mode, the switch to
; 32-bit protected mode and on to 64-bit mode, each with register values
; the test checks, a data write for a hardware watchpoint, a read of a
; value the debugger wrote, and an endless loop to interrupt. The test
; finds its stops by the marker instructions (MOV ECX/RCX, imm32 with the
; values below), so the library's code can move freely.

%define ROM_LONG
%include "rom.inc"
%include "long.inc"

GDB_DATA        equ 0x30000         ; qwords the test reads, writes and watches

        ROM_START
        mov eax, 0x1234abcd
        mov ebx, 0x00005678
        mov ecx, 0x5ea1b0b0             ; marker 1: real mode
        ENTER_PM32
        mov eax, 0x32323232
        mov edx, 0x0badf00d
        mov ecx, 0x5ea1b0b1             ; marker 2: 32-bit protected mode
        LM_SETUP
        mov ecx, 0x5ea1b0b2             ; marker 3: just before the switch to long mode
        LM_ENTER
        mov rax, 0x0123456789abcdef
        mov qword [GDB_DATA], 0x11223344
        mov rcx, 0x5ea1b0b3             ; marker 4: 64-bit mode; the debugger writes GDB_DATA + 8
        mov rdx, [GDB_DATA + 8]
        mov rcx, 0x5ea1b0b4             ; marker 5: RDX holds what the debugger wrote
        mov qword [GDB_DATA + 16], rdx  ; the watched write
        nop
        xor ebx, ebx
spin:   inc rbx                         ; the endless loop gdb interrupts
        jmp spin
        LM_END
        ROM_END
