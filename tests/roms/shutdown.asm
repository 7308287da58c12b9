; SPDX-License-Identifier: MIT
; A ROM that triple-faults in real mode: with an IDT limit of 0, INT 3's
; vector lies beyond the limit and raises #GP (SDM 2A, INT n, real-address
; mode), whose vector does too, and so does #DF's: the CPU shuts down.
; Under -no-reboot Kestrel exits 0.
; A CPU that ignores the limit lands in fake_ivt and reports it instead.

        cpu 286
        bits 16
        org 0

DEBUGCON        equ 0xe9
DEBUG_EXIT      equ 0xf4
FAIL            equ 0x7f

start:
        cli
        mov ax, cs
        mov ds, ax
        lidt [idt_pointer]
        int 3
not_shutdown:
        mov si, no_shutdown
        mov dx, DEBUGCON
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  mov al, FAIL
        out DEBUG_EXIT, al
.halt:  hlt
        jmp .halt

idt_pointer:
        dw 0                            ; limit: not even one vector fits
        dd 0xf0000 + fake_ivt           ; base (24 bits on the 286)
fake_ivt:
%rep 32
        dw not_shutdown, 0xf000
%endrep

no_shutdown     db "no shutdown: the IDT limit was ignored", 10, 0

        times 0xfff0 - ($ - $$) db 0xff
reset_vector:
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xff
