; SPDX-License-Identifier: MIT
; A boot sector for the firmware tests: the BIOS loads it at 0000:7C00 from
; a disk (or as an El Torito no-emulation image from a CD); it names its
; medium on the 0xE9 debug console and leaves through isa-debug-exit with
; EXIT_CODE, so the test sees which device the firmware booted.
; Build: nasm -f bin -DEXIT_CODE=n -DMEDIUM='"disk"' -o out.bin boot_sector.asm
bits 16
org 0x7c00

start:
        cli
        xor ax, ax
        mov ds, ax
        mov si, message
.next:  lodsb
        test al, al
        jz .done
        out 0xe9, al
        jmp .next
.done:  mov al, EXIT_CODE
        out 0xf4, al
.halt:  hlt
        jmp .halt

message: db "kestrel boot sector: booted from ", MEDIUM, 10, 0

        times 510 - ($ - $$) db 0
        dw 0xaa55
