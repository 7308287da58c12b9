; SPDX-License-Identifier: MIT
; The smoke-test ROM: a 64 KiB firmware image that starts at the reset
; vector in real mode on every CPU model (8086 code only), prints through
; the 0xE9 debug console and leaves through isa-debug-exit with PASS.
; tests/roms/meson.build checks its output against hello.expected.

        cpu 8086
        bits 16
        org 0                   ; the image's last 64 KiB are F000:0000-FFFF

DEBUGCON        equ 0xe9
DEBUG_EXIT      equ 0xf4
PASS            equ 0x2a        ; process exit status (0x2a << 1) | 1 = 85
FAIL            equ 0x7f        ; process exit status 255
STACK_TOP       equ 0x8000      ; SS = 0
RAM_BUF         equ 0x0600      ; segment 0, above the IVT and BDA

start:
        cli
        cld
        mov ax, cs
        mov ds, ax              ; strings live in the ROM
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        mov es, ax
        call install_ivt

        mov si, hello
        call puts

        ; LOOP and ADD: 10 + 9 + ... + 1
        mov cx, 10
        xor ax, ax
.sum:   add ax, cx
        loop .sum
        cmp ax, 55
        jne fail
        mov si, sum_text
        call puts
        call put_dec            ; recursive: DIV, CALL/RET and the stack
        call newline

        ; REP MOVSB into RAM, then print the copy from RAM
        mov si, copied
        mov di, RAM_BUF
        mov cx, copied_len
        rep movsb
        push ds
        xor ax, ax
        mov ds, ax
        mov si, RAM_BUF
        call puts
        pop ds

        ; the stack is last in, first out, and balanced
        mov ax, 0x1234
        mov bx, 0x5678
        push ax
        push bx
        pop ax
        pop bx
        cmp ax, 0x5678
        jne fail
        cmp bx, 0x1234
        jne fail
        cmp sp, STACK_TOP
        jne fail

        mov si, passed
        call puts
        mov al, PASS
        out DEBUG_EXIT, al
        jmp halt

fail:
        mov ax, cs
        mov ds, ax
        mov si, failed
        call puts
        mov al, FAIL
        out DEBUG_EXIT, al
halt:
        hlt
        jmp halt

; Points vectors 0-31 at one handler, so a fault ends the test instead of
; jumping to whatever the IVT holds. ES = 0.
install_ivt:
        xor di, di
        mov cx, 32
.next:  mov ax, unexpected
        stosw
        mov ax, cs
        stosw
        loop .next
        ret

unexpected:
        mov ax, cs
        mov ds, ax
        mov si, exception
        call puts
        jmp fail

; Prints the NUL-terminated string at DS:SI.
puts:
        push ax
        push dx
        mov dx, DEBUGCON
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  pop dx
        pop ax
        ret

; Prints AX as an unsigned decimal number.
put_dec:
        push ax
        push bx
        push dx
        xor dx, dx
        mov bx, 10
        div bx
        test ax, ax
        jz .digit
        call put_dec
.digit: mov al, dl
        add al, '0'
        out DEBUGCON, al
        pop dx
        pop bx
        pop ax
        ret

newline:
        push ax
        mov al, 10
        out DEBUGCON, al
        pop ax
        ret

hello           db "Hello from the Kestrel test ROM", 10, 0
sum_text        db "sum 1..10 = ", 0
copied          db "this line was copied to RAM by REP MOVSB", 10, 0
copied_len      equ $ - copied
passed          db "all checks passed", 10, 0
failed          db "FAILED", 10, 0
exception       db "unexpected CPU exception", 10, 0

        times 0xfff0 - ($ - $$) db 0xff
reset_vector:                   ; F000:FFF0, FFFF:0000 on the 8086
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xff
