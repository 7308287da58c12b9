; SPDX-License-Identifier: MIT
; A ROM that halts with interrupts disabled at once: Kestrel must notice
; that nothing can wake the CPU and exit with one error line.

        cpu 8086
        bits 16
        org 0

        times 0xfff0 - ($ - $$) db 0xff
reset_vector:
        cli
        hlt
        jmp reset_vector
        times 0x10000 - ($ - $$) db 0xff
