; SPDX-License-Identifier: MIT
; The monitor tests' ROM: counts its boots at 0x504 (RAM survives a
; reset), leaves 0x12345678 at 0x500 for xp, then reads the keyboard by
; polling the 8042 with translation off (raw set 2) and appends every byte
; to 0x600, with the count at 0x5FE.

        cpu 386
        bits 16
        org 0

start:
        inc word [0x504]                ; DS is 0 after reset
        mov dword [0x500], 0x12345678
        xor ax, ax
        mov ds, ax
        mov word [0x5fe], 0
        mov al, 0x60                    ; 8042: write the command byte
        out 0x64, al
        xor al, al                      ; no interrupts, no translation, keyboard on
        out 0x60, al
poll:
        in al, 0x64
        test al, 1                      ; output buffer full?
        jz poll
        in al, 0x60
        mov bx, [0x5fe]
        and bx, 0xff
        mov [0x600 + bx], al
        inc word [0x5fe]
        jmp poll

        times 0xfff0 - ($ - $$) db 0xf4
reset_vector:
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xf4
