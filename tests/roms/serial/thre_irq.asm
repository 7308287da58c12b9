; SPDX-License-Identifier: MIT
; COM1 driven by its THRE interrupt through the 8259A, as Linux's 8250
; driver sends: OUT2 opens the IRQ 4 line, enabling the THRE interrupt with
; THR empty raises it at once, and the handler reads IIR (which acknowledges
; THRE), refills the 16-byte FIFO and sends EOI. The main loop sleeps in
; HLT until the text is out. thre_irq.expected holds the bytes COM1 sends.
; The PC board's transmitter takes no time (Uart16550::TxTiming::kInstant),
; so THR is empty again while the handler still fills it: the 8259A latches
; that edge, and after the last fill (which also clears IER) the handler
; runs once more and finds nothing pending, as it would under QEMU.

        cpu 386
%include "rom.inc"

IRQ_BASE        equ 0x20                ; master PIC vectors 0x20-0x27
COM1_VECTOR     equ IRQ_BASE + 4
TX_INDEX        equ ROM_USER            ; word: next byte of `text` to send
IRQ_COUNT       equ ROM_USER + 4        ; dword: THRE interrupts taken
OTHER_IIR       equ ROM_USER + 8        ; dword: interrupts that were not THRE
TX_DONE         equ ROM_USER + 12       ; byte: the whole text was queued

        ROM_START
        jmp main
%include "uart.inc"

main:
        mov word [TX_INDEX], 0
        mov dword [IRQ_COUNT], 0
        mov dword [OTHER_IIR], 0
        mov byte [TX_DONE], 0
        mov word [COM1_VECTOR * 4], com1_isr
        mov word [COM1_VECTOR * 4 + 2], 0xf000
        ; 8259A pair: edge triggered, cascaded, 8086 mode; only IRQ 4 unmasked
        OUTB 0x20, 0x11
        OUTB 0xa0, 0x11
        OUTB 0x21, IRQ_BASE
        OUTB 0xa1, IRQ_BASE + 8
        OUTB 0x21, 0x04
        OUTB 0xa1, 0x02
        OUTB 0x21, 0x01
        OUTB 0xa1, 0x01
        OUTB 0x21, 0xef
        OUTB 0xa1, 0xff

        call uart_init
        OUTB UART_MCR, 0x0b             ; DTR | RTS | OUT2
        OUTB UART_IER, 0x02             ; THRE interrupt
        sti
.sleep: hlt
        cmp byte [TX_DONE], 0
        je .sleep
.drain: INB UART_LSR
        test al, LSR_TEMT
        jz .drain
        cli
        ; 101 bytes: six full FIFO loads, then a seventh of 5 bytes that meets the end
        CHECK "THRE interrupts taken", dword [IRQ_COUNT], 7
        CHECK "one interrupt with nothing pending, after the last fill", dword [OTHER_IIR], 1
        INB UART_IIR
        CHECK "IIR: no interrupt pending, FIFOs on", eax, 0xc1
        ROM_FINISH

com1_isr:
        push ax
        push cx
        push dx
        push si
        mov dx, UART_IIR
        in al, dx
        and al, 0x0f
        cmp al, 0x02
        je .thre
        inc dword [OTHER_IIR]
        jmp .eoi
.thre:  inc dword [IRQ_COUNT]
        mov cx, 16
        mov si, [TX_INDEX]
.fill:  mov al, [cs:text + si]
        test al, al
        jz .end
        mov dx, UART_THR
        out dx, al
        inc si
        loop .fill
        mov [TX_INDEX], si
        jmp .eoi
.end:   mov [TX_INDEX], si
        OUTB UART_IER, 0
        mov byte [TX_DONE], 1
.eoi:   OUTB 0x20, 0x20
        pop si
        pop dx
        pop cx
        pop ax
        iret

text:   db "COM1 sent this text from its THRE interrupt handler, sixteen", 13, 10
        db "bytes per interrupt through the FIFO.", 13, 10, 0

        ROM_END
