; SPDX-License-Identifier: MIT
; Kestrel's demo ROM: a 64 KiB firmware image that starts at the reset
; vector in real mode, works out which CPU it runs on (FLAGS behaviour,
; EFLAGS.ID, CPUID), greets through the 0xE9 debug console and leaves
; through isa-debug-exit with DONE, i.e. process exit status 33.

        cpu 8086
        bits 16
        org 0                   ; the image's last 64 KiB are F000:0000-FFFF

DEBUGCON        equ 0xe9
DEBUG_EXIT      equ 0xf4
DONE            equ 0x10        ; exit status (0x10 << 1) | 1 = 33
BROKEN          equ 0x7f        ; exit status 255
STACK_TOP       equ 0x8000      ; SS = 0
EFLAGS_ID       equ 1 << 21

start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        xor ax, ax
        mov ss, ax
        mov sp, STACK_TOP
        mov es, ax
        call install_ivt

        mov si, banner
        call puts
        call identify_cpu
        mov si, newline_text
        call puts
        mov si, farewell
        call puts
        mov al, DONE
        out DEBUG_EXIT, al
halt:
        hlt
        jmp halt

; Prints what CPU this is. Each test restores FLAGS before moving on.
identify_cpu:
        pushf
        pop cx                  ; CX = the FLAGS we started with
        ; 8086/8088: FLAGS bits 12-15 are stuck at 1.
        mov ax, cx
        and ax, 0x0fff
        push ax
        popf
        pushf
        pop ax
        push cx
        popf
        and ax, 0xf000
        cmp ax, 0xf000
        jne .not_8086
        mov si, name_8086
        jmp puts
.not_8086:
        ; 80286 in real mode: bits 12-15 are stuck at 0.
        mov ax, cx
        or ax, 0x7000
        push ax
        popf
        pushf
        pop ax
        push cx
        popf
        test ax, 0x7000
        jnz .not_286
        mov si, name_286
        jmp puts
.not_286:
        cpu 386
        ; 386 and later: only a CPU with CPUID lets software flip EFLAGS.ID.
        pushfd
        pop eax
        mov edx, eax
        xor eax, EFLAGS_ID
        push eax
        popfd
        pushfd
        pop eax
        push edx
        popfd
        xor eax, edx
        test eax, EFLAGS_ID
        jnz .has_cpuid
        mov si, name_386
        jmp puts
.has_cpuid:
        cpu 586                 ; nasm files CPUID under the Pentium
        mov si, name_cpuid
        call puts
        xor eax, eax
        cpuid                   ; vendor in EBX, EDX, ECX
        push ecx
        push edx
        mov eax, ebx
        call put4
        pop eax
        call put4
        pop eax
        call put4
        mov si, signature_text
        call puts
        mov eax, 1
        cpuid                   ; EAX = family, model, stepping
        jmp put_hex32
        cpu 8086

; Points vectors 0-31 at one handler each, so a fault is reported instead
; of jumping to whatever the IVT holds. ES = 0.
install_ivt:
        xor di, di
        mov bx, exception_stubs
        mov cx, 32
.next:  mov ax, bx
        stosw
        mov ax, cs
        stosw
        add bx, STUB_SIZE
        loop .next
        ret

exception_stubs:
%assign vector 0
%rep 32
        mov al, vector
        jmp near exception
%assign vector vector + 1
%endrep
STUB_SIZE       equ (exception - exception_stubs) / 32

; AL = vector; the stack holds the faulting IP and CS.
exception:
        mov bx, cs
        mov ds, bx
        mov si, exception_text
        call puts
        call put_hex8
        mov si, at_text
        call puts
        pop bx                  ; IP
        pop ax                  ; CS
        call put_hex16
        mov al, ':'
        out DEBUGCON, al
        mov ax, bx
        call put_hex16
        mov si, newline_text
        call puts
        mov al, BROKEN
        out DEBUG_EXIT, al
        jmp halt

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

        cpu 386
; Prints the four bytes of EAX as characters, low byte first.
put4:
        mov cx, 4
.next:  out DEBUGCON, al
        shr eax, 8
        loop .next
        ret

; Prints EAX in hexadecimal.
put_hex32:
        push eax
        shr eax, 16
        call put_hex16
        pop eax
        jmp put_hex16
        cpu 8086

; Prints AX in hexadecimal.
put_hex16:
        push ax
        mov al, ah
        call put_hex8
        pop ax
        jmp put_hex8

; Prints AL in hexadecimal.
put_hex8:
        push ax
        push cx
        mov cl, 4
        shr al, cl
        call put_nibble
        pop cx
        pop ax
put_nibble:
        push ax
        and al, 0x0f
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   out DEBUGCON, al
        pop ax
        ret

banner          db "Kestrel: real-mode demo ROM running on ", 0
name_8086       db "an Intel 8086 (FLAGS bits 12-15 stuck at 1)", 0
name_286        db "an Intel 80286 (FLAGS bits 12-15 clear in real mode)", 0
name_386        db "an Intel 80386 (no CPUID)", 0
name_cpuid      db "a CPU with CPUID, vendor ", 0
signature_text  db ", signature ", 0
farewell        db "Demo finished: exiting through port 0xF4 (exit status 33).", 10, 0
exception_text  db 10, "Kestrel demo ROM: unexpected CPU exception ", 0
at_text         db " at ", 0
newline_text    db 10, 0

        times 0xfff0 - ($ - $$) db 0xff
reset_vector:                   ; F000:FFF0, FFFF:0000 on the 8086
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xff
