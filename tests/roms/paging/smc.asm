; SPDX-License-Identifier: MIT
; Self-modifying code (SDM 3A §11.6): a store to the very next instruction,
; REP STOSB over the instructions that follow it, a patch made from outside
; to code that already ran, and code written through a second linear
; mapping of its physical page (both from the running code and from outside,
; after the writing mapping already had a fast write path). Every write must
; be seen by the next execution of the bytes it changed.

        cpu 686
%include "rom.inc"
%include "paging.inc"

SEL_BIG         equ SEL_FREE            ; base ROM_BASE, 4 GiB: RAM above F0000 is reachable
%define BIG(lin) ((lin) - ROM_BASE)
RAM_CODE        equ 0x110000            ; one page per snippet, linear = physical
L_X             equ 0x400000            ; executes physical RAM_CODE + 0x4000
L_W             equ 0x401000            ; writes the same physical page

; COPY_SNIP name, destination -- copies snippet `name` (name .. name_end) there
%macro COPY_SNIP 2
        mov esi, ROM_LIN(%1)
        mov edi, %2
        mov ecx, %1_end - %1
        rep movsb
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_BIG, ROM_BASE, 0xfffff, ACC_CODE, FLG_G | FLG_D
        jmp SEL_BIG:big
big:
        ; ---- without paging ----
        COPY_SNIP next_insn, RAM_CODE
        call BIG(RAM_CODE)
        CHECK "a store to the next instruction is seen", eax, 0x11111155

        COPY_SNIP next_opcode, RAM_CODE + 0x1000
        call BIG(RAM_CODE + 0x1000)
        CHECK "the next two opcodes rewritten (NOP NOP -> INC INC)", eax, 2

        COPY_SNIP stos_over, RAM_CODE + 0x2000
        call BIG(RAM_CODE + 0x2000)
        CHECK "REP STOSB over the following code", eax, 0x44

        COPY_SNIP plain, RAM_CODE + 0x3000
        call BIG(RAM_CODE + 0x3000)
        CHECK "code that ran once", eax, 0x33333333
        mov byte [RAM_CODE + 0x3000 + plain.imm - plain], 0x44
        call BIG(RAM_CODE + 0x3000)
        CHECK "patched from outside, it runs the new bytes", eax, 0x33333344
        mov byte [RAM_CODE + 0x3000 + plain.imm - plain + 3], 0x55
        call BIG(RAM_CODE + 0x3000)
        CHECK "patched again", eax, 0x55333344

        ; ---- a second linear mapping of the code's page ----
        PG_BUILD32
        mov dword [PTE32(L_X)], (RAM_CODE + 0x4000) | PG_P | PG_RW
        mov dword [PTE32(L_W)], (RAM_CODE + 0x4000) | PG_P | PG_RW
        PG_ON PG_PD, 0
        COPY_SNIP alias_write, L_W              ; written through L_W first
        call BIG(L_X)
        CHECK "code writing its next instruction through another mapping", eax, 0x22222299
        mov byte [L_W + alias_write.imm - alias_write + 1], 0x77
        call BIG(L_X)
        CHECK "an outside write through the other mapping is seen", eax, 0x22227799
        mov byte [L_W + alias_write.imm - alias_write + 1], 0x66
        call BIG(L_X)
        CHECK "and again, with the writing mapping's fast path in place", eax, 0x22226699
        mov dword [PTE32(L_X) + 8], (RAM_CODE + 0x4000) | PG_P | PG_RW   ; L_X + 0x2000
        call BIG(L_X + 0x2000)
        CHECK "the same code through a third mapping", eax, 0x22226699
        mov byte [L_X + alias_write.imm - alias_write + 2], 0x88
        call BIG(L_X + 0x2000)
        CHECK "a write through the executing mapping reaches the third", eax, 0x22886699
        PG_OFF

        ROM_FINISH

; ---- snippets, copied to RAM and called there (flat DS, 32-bit) ----
; Absolute addresses inside them are those of their RAM copies.
next_insn:
        mov byte [RAM_CODE + .ins + 1 - next_insn], 0x55
.ins:   mov eax, 0x11111111
        ret
next_insn_end:

next_opcode:
        xor eax, eax
        mov word [RAM_CODE + 0x1000 + .ins - next_opcode], 0x4040
.ins:   nop
        nop
        ret
next_opcode_end:

stos_over:
        mov edi, RAM_CODE + 0x2000 + .pad - stos_over
        mov ecx, 4
        mov eax, 0x40                           ; INC EAX
        rep stosb
.pad:   times 4 nop
        ret
stos_over_end:

plain:
.imm equ $ + 1
        mov eax, 0x33333333
        ret
plain_end:

alias_write:
        mov byte [L_W + .imm - alias_write], 0x99
.imm equ $ + 1
        mov eax, 0x22222222
        ret
alias_write_end:

        ROM_END
