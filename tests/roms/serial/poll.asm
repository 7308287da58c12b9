; SPDX-License-Identifier: MIT
; COM1 driven by polling, as a boot loader or early console does: the
; register probes of Linux's 8250 driver (scratch register, loopback
; modem lines, FIFO bits in IIR), the divisor latch, then text sent by
; waiting for THRE before each byte. The test compares what reached the
; -serial file with poll.expected.

        cpu 386
%include "rom.inc"

        ROM_START
        jmp main
%include "uart.inc"

main:
        OUTB UART_SCR, 0xa5
        INB UART_SCR
        CHECK "scratch register holds 0xA5", eax, 0xa5
        OUTB UART_IER, 0xff
        INB UART_IER
        CHECK "IER keeps bits 3:0 only", eax, 0x0f
        OUTB UART_IER, 0
        OUTB UART_MCR, 0x1a             ; LOOP | OUT2 | RTS
        INB UART_MSR
        and al, 0xf0
        CHECK "loopback: MSR shows DCD | CTS", eax, 0x90
        OUTB UART_MCR, 0
        INB UART_MSR
        and al, 0xf0
        CHECK "modem lines: DCD, DSR and CTS asserted", eax, 0xb0
        OUTB UART_FCR, 0x01
        INB UART_IIR
        CHECK "FIFO enabled: IIR bits 7:6 set, no interrupt", eax, 0xc1
        OUTB UART_LCR, 0x83
        OUTB UART_DLL, 12
        OUTB UART_DLM, 0
        INB UART_DLL
        CHECK "divisor latch low byte", eax, 12
        OUTB UART_LCR, 0x03
        INB UART_LCR
        CHECK "LCR reads back", eax, 0x03

        call uart_init
        INB UART_LSR
        CHECK "LSR idle: THRE and TEMT", eax, 0x60
        mov si, text
        call uart_puts
        ; The PC board's transmitter takes no time (Uart16550::TxTiming::
        ; kInstant), so whether THRE is still clear here is not checked.
.drain: INB UART_LSR
        test al, LSR_TEMT
        jz .drain
        CHECK "LSR idle again after the last character", eax, 0x60
        ROM_FINISH

text:   db "Hello from COM1, sent by polling LSR.", 13, 10
        db "A second line, longer than the 16-byte FIFO.", 13, 10, 0

        ROM_END
