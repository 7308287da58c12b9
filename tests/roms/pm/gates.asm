; SPDX-License-Identifier: MIT
; Call gates and privilege changes (SDM 3A §5.8): CALL through 32- and
; 16-bit call gates to inner rings with the stack switch from the TSS and
; parameter copying, RETF n back to the outer ring with data segments
; nulled (§5.8.6), gate DPL/RPL checks, not-present gates and targets, JMP
; through a gate, conforming code, #TS for a bad inner stack, and RETF to an
; inner ring.

        cpu 386
%include "rom.inc"

CG_P2           equ 0x80                ; 32-bit gate, DPL 3, 2 params -> ring 0 gate_p2
CG_DPL0         equ 0x88                ; 32-bit gate, DPL 0 -> ring 0 gate_same
CG_NP           equ 0x90                ; gate not present
CODE_NP         equ 0x98                ; ring-0 code, not present
CG_TO_NP        equ 0xa0                ; gate, DPL 3 -> CODE_NP
CG16            equ 0xa8                ; 16-bit gate, DPL 3, 1 param -> ring 0 gate16
SEL_CONF        equ 0xb0                ; conforming code, DPL 0, readable
CG_R1           equ 0xb8                ; gate, DPL 3 -> ring 1 gate_r1

        ROM_START
        ENTER_PM32
        SET_GDT_GATE CG_P2, SEL_CODE32, gate_p2, GATE_CALL32 | GATE_DPL3 | 2
        SET_GDT_GATE CG_DPL0, SEL_CODE32, gate_same, GATE_CALL32
        SET_GDT_GATE CG_NP, SEL_CODE32, gate_same, (GATE_CALL32 | GATE_DPL3) & ~0x8000
        SET_DESC CODE_NP, ROM_BASE, 0xffff, ACC_CODE & ~ACC_P, FLG_D
        SET_GDT_GATE CG_TO_NP, CODE_NP, gate_same, GATE_CALL32 | GATE_DPL3
        SET_GDT_GATE CG16, SEL_CODE32, gate16, GATE_CALL16 | GATE_DPL3 | 1
        SET_DESC SEL_CONF, ROM_BASE, 0xffff, ACC_CODE_CONF, FLG_D
        SET_GDT_GATE CG_R1, SEL_CODE1, gate_r1, GATE_CALL32 | GATE_DPL3

        PRINTLN "-- ring 0 through gates"
        mov ebp, esp
        call CG_DPL0:0
        sub ebp, ebx
        CHECK "CALL gate to the same ring: no stack switch, 8-byte frame", ebp, 8
        mov ebp, esp
        jmp CG_DPL0:0x1234              ; the offset is ignored
jmp_back:
        mov ecx, esp
        CHECK "JMP through a gate to the same ring: ESP unchanged", ecx, ebp
        EXPECT_EXC "CALL gate DPL 0 with RPL 3: #GP(gate)", 13, CG_DPL0
        call CG_DPL0 | 3:0
        END_EXPECT
        EXPECT_EXC "CALL not-present gate: #NP(gate)", 11, CG_NP
        call CG_NP:0
        END_EXPECT
        EXPECT_EXC "CALL gate to not-present code: #NP(code)", 11, CODE_NP
        call CG_TO_NP:0
        END_EXPECT

        PRINTLN "-- ring 3 to ring 0"
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        mov es, ax
        mov ebp, esp
        push dword 0x2222
        push dword 0x1111
        call CG_P2 | 3:0
after_p2:
        mov ecx, esp
        CHECK "RETF 8 to ring 3 restores ESP", ecx, ebp
        xor eax, eax
        mov ax, cs
        CHECK "back at CPL 3", eax, SEL_CODE3
        mov ax, ss
        CHECK "ring-3 SS back", eax, SEL_DATA3
        mov ax, ds
        CHECK "RETF to ring 3 nulls DS (DPL 0 data)", eax, 0
        mov ax, fs
        CHECK "RETF to ring 3 nulls FS (DPL 0 non-conforming code)", eax, 0
        mov ax, gs
        CHECK "RETF to ring 3 keeps GS (conforming code)", eax, SEL_CONF
        mov ax, es
        CHECK "RETF to ring 3 keeps ES (DPL 3 data)", eax, SEL_LIB
        EXPECT_EXC "ring 3: CALL gate DPL 0: #GP(gate)", 13, CG_DPL0
        call CG_DPL0:0
        END_EXPECT
        EXPECT_EXC "ring 3: JMP through a gate to ring 0: #GP(code)", 13, SEL_CODE32
        jmp CG_P2:0
        END_EXPECT
        EXPECT_EXC "ring 3: direct CALL to ring-0 code: #GP(code)", 13, SEL_CODE32
        call SEL_CODE32:conf_target
        END_EXPECT
        call SEL_CONF:conf_target
        CHECK "ring 3: CALL conforming DPL 0 code runs at CPL 3", ebx, SEL_CONF | 3
        push dword 0x3333
        mov ebp, esp
        push word 0x4444
        call CG16:0
        mov ecx, esp
        CHECK "16-bit gate: RETF 2 restores SP", ecx, ebp
        pop eax
        push dword SEL_CODE32
        push dword ring0_label
        EXPECT_EXC "ring 3: RETF to ring 0: #GP(code)", 13, SEL_CODE32
        retf
        END_EXPECT
        add esp, 8

        PRINTLN "-- ring 3 to ring 1"
        call CG_R1:0
        mov ecx, esp
        CHECK "RETF from ring 1 to ring 3", ecx, ROM_STACK3
        TO_RING0
        mov word [ROM_TSS + 0x10], SEL_DATA3      ; SS1 now a DPL 3 segment
        TO_RING 3
        EXPECT_EXC "inner stack SS1 with DPL 3: #TS(SS1)", 10, SEL_DATA3 & ~3
        call CG_R1:0
        END_EXPECT
        TO_RING0
        mov word [ROM_TSS + 0x10], SEL_DATA1
        mov dword [ROM_TSS + 0x0c], 0x8           ; ESP1 too low for the 16-byte frame
        SET_DESC SEL_DATA1 & ~3, 0x10000, 0xffff, ACC_DATA | ACC_DPL1, FLG_D
        TO_RING 3
        EXPECT_EXC "inner stack too small (ESP1 8, expand-up): #SS(SS1)", 12, SEL_DATA1 & ~3
        call CG_R1:0
        END_EXPECT
        TO_RING0
        SET_DESC SEL_DATA1 & ~3, 0, 0xfffff, ACC_DATA | ACC_DPL1, FLG_G | FLG_D
        mov dword [ROM_TSS + 0x0c], ROM_STACK1
        ROM_FINISH

ring0_label:
        FAILED "RETF to ring 0 from ring 3 went through"
        ROM_FINISH

; CALL/JMP through CG_DPL0 (ring 0 to ring 0)
gate_same:
        mov ebx, esp
        cmp esp, ebp
        je .jumped
        retf
.jumped:
        jmp SEL_CODE32:jmp_back

; conforming code: CS keeps the caller's CPL as RPL
conf_target:
        xor ebx, ebx
        mov bx, cs
        retf

; the 32-bit gate with two parameters, entered from ring 3
gate_p2:
        mov ebx, esp
        xor ecx, ecx
        mov cx, cs
        xor edx, edx
        mov dx, ss
        CHECK "gate: CS is the target, CPL 0", ecx, SEL_CODE32
        CHECK "gate: SS from TSS.SS0", edx, SEL_DATA
        CHECK "gate: ESP = TSS.ESP0 - 24", ebx, ROM_STACK0 - 24
        CHECK "gate: saved EIP", dword [ss:ebx], after_p2
        CHECK_MASKED "gate: saved CS", dword [ss:ebx + 4], 0xffff, SEL_CODE3
        CHECK "gate: first parameter copied", dword [ss:ebx + 8], 0x1111
        CHECK "gate: second parameter copied", dword [ss:ebx + 12], 0x2222
        CHECK "gate: saved ESP", dword [ss:ebx + 16], ROM_STACK3 - 8
        CHECK_MASKED "gate: saved SS", dword [ss:ebx + 20], 0xffff, SEL_DATA3
        mov ax, SEL_DATA
        mov ds, ax
        mov ax, SEL_CODE32
        mov fs, ax
        mov ax, SEL_CONF
        mov gs, ax
        retf 8

; the 16-bit gate with one word parameter, entered from ring 3
gate16:
        mov ebx, esp
        CHECK "16-bit gate: ESP = TSS.ESP0 - 10", ebx, ROM_STACK0 - 10
        CHECK_MASKED "16-bit gate: word parameter copied", dword [ss:ebx + 4], 0xffff, 0x4444
        CHECK_MASKED "16-bit gate: saved SS", dword [ss:ebx + 8], 0xffff, SEL_DATA3
        o16 retf 2

; ring 1 through CG_R1
gate_r1:
        mov ebx, esp
        xor ecx, ecx
        mov cx, cs
        xor edx, edx
        mov dx, ss
        CHECK "ring 1: CS", ecx, SEL_CODE1
        CHECK "ring 1: SS from TSS.SS1", edx, SEL_DATA1
        CHECK "ring 1: ESP = TSS.ESP1 - 16", ebx, ROM_STACK1 - 16
        retf
        ROM_END
