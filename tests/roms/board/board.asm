; SPDX-License-Identifier: MIT
; The PC board from real mode: the PIC and PIT deliver timer interrupts
; that wake HLT, the PIT counts down and reports its status, the RTC gives
; the fixed -icount date and its periodic and update-ended interrupts, the
; 8042 answers its self-test, and A20 follows the 8042 output port OR port
; 0x92. Run with -icount, so the numbers of wake-ups are exact.
%include "rom.inc"

TICKS   equ ROM_USER + 0x00         ; PIT interrupts taken
WAKES   equ ROM_USER + 0x04         ; HLT wake-ups in the wait loops
RTCS    equ ROM_USER + 0x08         ; RTC interrupts taken
RTC_C   equ ROM_USER + 0x0c         ; register C as the last RTC interrupt read it
TMP     equ ROM_USER + 0x10

VEC_PIC1 equ 0x20                   ; above the library's exception vectors 0-31
VEC_PIC2 equ 0x28
PIT_10MS equ 11932                  ; 1193182 Hz / 100

; WAIT_FOR var, n -- HLT until dword [var] reaches n, counting wake-ups.
%macro WAIT_FOR 2
%%again:
        hlt
        inc dword [WAKES]
        cmp dword [%1], %2
        jb %%again
%endmacro

; RTC_READ index -- al = RTC register `index`.
%macro RTC_READ 1
        mov al, %1
        out 0x70, al
        in al, 0x71
%endmacro

; RTC_WRITE index, value
%macro RTC_WRITE 2
        mov al, %1
        out 0x70, al
        mov al, %2
        out 0x71, al
%endmacro

        ROM_START
        mov word [VEC_PIC1 * 4], isr_pit
        mov word [VEC_PIC1 * 4 + 2], 0xf000
        mov word [VEC_PIC2 * 4], isr_rtc
        mov word [VEC_PIC2 * 4 + 2], 0xf000
        xor eax, eax
        mov [TICKS], eax
        mov [WAKES], eax
        mov [RTCS], eax

        ; ---- PIC: ICW1-4 on both, cascade on IR2, only IRQ 0 open ----
        mov al, 0x11
        out 0x20, al
        out 0xa0, al
        mov al, VEC_PIC1
        out 0x21, al
        mov al, VEC_PIC2
        out 0xa1, al
        mov al, 0x04
        out 0x21, al
        mov al, 0x02
        out 0xa1, al
        mov al, 0x01
        out 0x21, al
        out 0xa1, al
        mov al, 0xfe
        out 0x21, al
        mov al, 0xff
        out 0xa1, al
        in al, 0x21
        movzx eax, al
        CHECK "PIC master mask reads back", eax, 0xfe

        ; ---- PIT counter 0: mode 2 at 100 Hz; five ticks, HLT between ----
        mov al, 0x34
        out 0x43, al
        mov ax, PIT_10MS
        out 0x40, al
        mov al, ah
        out 0x40, al
        sti
        WAIT_FOR TICKS, 5
        cli
        CHECK "five PIT interrupts", dword [TICKS], 5
        CHECK "each HLT woken by one interrupt", dword [WAKES], 5

        mov al, 0x00                ; latch counter 0
        out 0x43, al
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        mov [TMP], ax
        mov cx, 1000
.spin:  loop .spin
        mov al, 0x00
        out 0x43, al
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        cmp ax, [TMP]
        jb .down
        FAILED "PIT counter 0 counts down"
        jmp .down_done
.down:  PASSED "PIT counter 0 counts down"
.down_done:
        mov al, 0xe2                ; read-back: status of counter 0
        out 0x43, al
        in al, 0x40
        movzx eax, al
        CHECK_MASKED "PIT status: LSB/MSB, mode 2, binary", eax, 0x3f, 0x34

        ; ---- counter 2 in mode 0 behind gate 2: OUT2 on port 0x61 ----
        mov al, 0x01                ; gate 2 on, speaker off
        out 0x61, al
        mov al, 0xb0                ; counter 2, LSB/MSB, mode 0
        out 0x43, al
        mov al, 100
        out 0x42, al
        mov al, 0
        out 0x42, al
        in al, 0x61
        movzx eax, al
        CHECK_MASKED "OUT2 low while counter 2 counts", eax, 0x23, 0x01
        sti
        WAIT_FOR TICKS, 6           ; 10 ms: far beyond 100 PIT clocks
        cli
        in al, 0x61
        movzx eax, al
        CHECK_MASKED "OUT2 high at terminal count", eax, 0x23, 0x21
        mov al, 0xff                ; PIT interrupt off from here
        out 0x21, al

        ; ---- RTC: the fixed date of -icount runs, 2024-01-01 00:00:00 UTC ----
        RTC_READ 0x09
        movzx eax, al
        CHECK "RTC year", eax, 0x24
        RTC_READ 0x32
        movzx eax, al
        CHECK "RTC century", eax, 0x20
        RTC_READ 0x08
        movzx eax, al
        CHECK "RTC month", eax, 0x01
        RTC_READ 0x0b
        movzx eax, al
        CHECK "RTC register B: 24-hour BCD", eax, 0x02
        RTC_READ 0x15
        movzx eax, al
        CHECK "CMOS base memory (low byte of 640)", eax, 0x80

        ; ---- RTC periodic interrupt at 64 Hz on IRQ 8 ----
        RTC_WRITE 0x0a, 0x2a
        RTC_WRITE 0x0b, 0x42
        mov al, 0xfb                ; master: only the cascade
        out 0x21, al
        mov al, 0xfe                ; slave: only IRQ 8
        out 0xa1, al
        mov dword [WAKES], 0
        sti
        WAIT_FOR RTCS, 3
        cli
        CHECK "three RTC periodic interrupts", dword [RTCS], 3
        CHECK "each woke HLT once", dword [WAKES], 3
        CHECK_MASKED "register C: IRQF and PF", dword [RTC_C], 0xc0, 0xc0

        ; ---- update-ended interrupt: the first second ends ----
        RTC_WRITE 0x0b, 0x12
        sti
        WAIT_FOR RTCS, 4
        cli
        CHECK_MASKED "register C: IRQF and UF", dword [RTC_C], 0x90, 0x90
        RTC_READ 0x00
        movzx eax, al
        CHECK "RTC seconds after the first update", eax, 0x01
        RTC_WRITE 0x0b, 0x02
        mov al, 0xff
        out 0x21, al
        out 0xa1, al

        ; ---- 8042 self-test and output port ----
        mov al, 0xaa
        out 0x64, al
        call kbc_read
        CHECK "8042 self-test", eax, 0x55
        mov al, 0xd0
        out 0x64, al
        call kbc_read
        CHECK "8042 output port: A20 and reset high", eax, 0xcf

        ; ---- A20: 8042 output port OR port 0x92 ----
        call a20_wraps
        CHECK "A20 open at reset", eax, 0
        mov al, 0xd1
        out 0x64, al
        mov al, 0xcd
        out 0x60, al
        call a20_wraps
        CHECK "8042 closes A20: 1 MiB wraps", eax, 1
        in al, 0x92
        or al, 0x02
        out 0x92, al
        call a20_wraps
        CHECK "port 0x92 opens A20", eax, 0
        in al, 0x92
        movzx eax, al
        CHECK_MASKED "port 0x92 reads back", eax, 0x03, 0x02
        and al, ~0x02
        out 0x92, al
        call a20_wraps
        CHECK "port 0x92 closes A20", eax, 1
        mov al, 0xdf
        out 0x64, al
        call a20_wraps
        CHECK "8042 command 0xDF opens A20", eax, 0
        mov al, 0xdd
        out 0x64, al
        call a20_wraps
        CHECK "8042 command 0xDD closes A20", eax, 1
        mov al, 0xd1
        out 0x64, al
        mov al, 0xcf
        out 0x60, al
        call a20_wraps
        CHECK "8042 output port opens A20", eax, 0

        mov al, 0x42                ; a POST code, for the monitor
        out 0x80, al
        ROM_FINISH

; eax = the next byte from the 8042 (waits for the output buffer).
kbc_read:
        in al, 0x64
        test al, 0x01
        jz kbc_read
        in al, 0x60
        movzx eax, al
        ret

; eax = 1 if 0xFFFF:0x0610 (1 MiB + 0x600) reaches 0x600, else 0.
a20_wraps:
        push ds
        push es
        xor ax, ax
        mov ds, ax
        mov ax, 0xffff
        mov es, ax
        mov byte [0x600], 0x11
        mov byte [es:0x610], 0x22
        xor eax, eax
        cmp byte [0x600], 0x22
        jne .no
        inc eax
.no:    pop es
        pop ds
        ret

isr_pit:
        push ds
        push ax
        xor ax, ax
        mov ds, ax
        inc dword [TICKS]
        mov al, 0x20
        out 0x20, al
        pop ax
        pop ds
        iret

isr_rtc:
        push ds
        push ax
        xor ax, ax
        mov ds, ax
        mov al, 0x0c
        out 0x70, al
        in al, 0x71
        movzx eax, al
        mov [RTC_C], eax
        inc dword [RTCS]
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
        pop ax
        pop ds
        iret

        ROM_END
