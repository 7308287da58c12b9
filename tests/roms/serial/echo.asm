; SPDX-License-Identifier: MIT
; A COM1 echo loop for the console tests: announces itself, then sends back
; every byte it receives (polling LSR.DR) until it receives '!', and exits
; through isa-debug-exit with status 85. It prints nothing on port 0xE9, so
; standard output carries COM1 alone.

        cpu 386
%include "rom.inc"

        ROM_START
        jmp main
%include "uart.inc"

main:
        call uart_init
        mov si, banner
        call uart_puts
.poll:  mov dx, UART_LSR
        in al, dx
        test al, LSR_DR
        jz .poll
        mov dx, UART_RBR
        in al, dx
        call uart_putc
        cmp al, '!'
        jne .poll
.drain: mov dx, UART_LSR
        in al, dx
        test al, LSR_TEMT
        jz .drain
        OUTB ROM_DEBUG_EXIT, ROM_PASS_CODE

banner: db "echo ready", 13, 10, 0

        ROM_END
