; SPDX-License-Identifier: MIT
; The descriptor-table and system instructions (SDM 2, SDM 3A §5.10, §2.6):
; LAR/LSL for every system descriptor type, RPL and range failures, the
; 16-bit forms; VERR/VERW on conforming and expand-down segments; LTR and
; LLDT faults and the busy bit; SGDT/SIDT/SMSW/STR at ring 3; LMSW cannot
; clear PE; CLTS, LMSW, MOV CRn/DRn at ring 3; LTR in real mode.

        cpu 386
%include "rom.inc"

SEL_SYS         equ 0x80                ; rewritten with each system type
SEL_TSS2        equ 0x88                ; a second available 32-bit TSS
SEL_TSSNP       equ 0x90                ; TSS, not present
SEL_LDTNP       equ 0x98                ; LDT, not present
SEL_CONFX       equ 0xa0                ; conforming code, execute-only
SEL_CONFR       equ 0xa8                ; conforming code, readable, DPL 0
SEL_DOWN        equ 0xb0                ; expand-down writable data
SEL_G           equ 0xb8                ; data, G=1, limit 0x12 -> 0x12fff
TSS2            equ 0x3000

; LAR_TYPE "name", type, valid: LAR of a system descriptor of `type`
%macro LAR_TYPE 3
        SET_DESC SEL_SYS, TSS2, 0x67, ACC_P | (%2), 0
        mov ebx, SEL_SYS
        mov eax, 0x11111111
        lar eax, ebx
        setz cl
        movzx ecx, cl
        CHECK %1, ecx, %3
%endmacro
%macro LSL_TYPE 3
        SET_DESC SEL_SYS, TSS2, 0x67, ACC_P | (%2), 0
        mov ebx, SEL_SYS
        mov eax, 0x11111111
        lsl eax, ebx
        setz cl
        movzx ecx, cl
        CHECK %1, ecx, %3
%endmacro

        ROM_START
        EXPECT_EXC "real mode: LTR: #UD", 6, ROM_NOERR
        ltr ax
        END_EXPECT
        EXPECT_EXC "real mode: LAR: #UD", 6, ROM_NOERR
        lar ax, bx
        END_EXPECT
        ENTER_PM32
        SET_DESC SEL_TSS2, TSS2, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TSSNP, TSS2, 0x67, ACC_TSS32 & ~ACC_P, 0
        SET_DESC SEL_LDTNP, ROM_LDT, 0x7, ACC_LDT & ~ACC_P, 0
        SET_DESC SEL_CONFX, ROM_BASE, 0xffff, 0x9c, FLG_D
        SET_DESC SEL_CONFR, ROM_BASE, 0xffff, ACC_CODE_CONF, FLG_D
        SET_DESC SEL_DOWN, 0, 0xfff, ACC_DATA_DOWN, FLG_D
        SET_DESC SEL_G, 0, 0x12, ACC_DATA, FLG_G

        PRINTLN "-- LAR and LSL by system type"
        LAR_TYPE "LAR type 1 (16-bit TSS): valid", 1, 1
        LAR_TYPE "LAR type 2 (LDT): valid", 2, 1
        LAR_TYPE "LAR type 3 (busy 16-bit TSS): valid", 3, 1
        LAR_TYPE "LAR type 4 (16-bit call gate): valid", 4, 1
        LAR_TYPE "LAR type 5 (task gate): valid", 5, 1
        LAR_TYPE "LAR type 6 (16-bit interrupt gate): invalid", 6, 0
        LAR_TYPE "LAR type 7 (16-bit trap gate): invalid", 7, 0
        LAR_TYPE "LAR type 8 (reserved): invalid", 8, 0
        LAR_TYPE "LAR type 9 (32-bit TSS): valid", 9, 1
        LAR_TYPE "LAR type A (reserved): invalid", 0xa, 0
        LAR_TYPE "LAR type B (busy 32-bit TSS): valid", 0xb, 1
        LAR_TYPE "LAR type C (32-bit call gate): valid", 0xc, 1
        LAR_TYPE "LAR type D (reserved): invalid", 0xd, 0
        LAR_TYPE "LAR type E (interrupt gate): invalid", 0xe, 0
        LAR_TYPE "LAR type F (trap gate): invalid", 0xf, 0
        LAR_TYPE "LAR type 0 (reserved): invalid", 0, 0
        LSL_TYPE "LSL type 1 (16-bit TSS): valid", 1, 1
        LSL_TYPE "LSL type 2 (LDT): valid", 2, 1
        LSL_TYPE "LSL type 3 (busy 16-bit TSS): valid", 3, 1
        LSL_TYPE "LSL type 4 (call gate): invalid", 4, 0
        LSL_TYPE "LSL type 5 (task gate): invalid", 5, 0
        LSL_TYPE "LSL type 9 (32-bit TSS): valid", 9, 1
        LSL_TYPE "LSL type B (busy 32-bit TSS): valid", 0xb, 1
        LSL_TYPE "LSL type C (32-bit call gate): invalid", 0xc, 0
        LSL_TYPE "LSL type E (interrupt gate): invalid", 0xe, 0

        PRINTLN "-- LAR and LSL details"
        mov ebx, SEL_G
        lsl eax, ebx
        CHECK "LSL with G=1 scales the limit", eax, 0x12fff
        mov ebx, SEL_DATA
        mov eax, 0xdeadbeef
        lar ax, bx
        CHECK "LAR r16: AX = access byte << 8, upper EAX kept", eax, 0xdead9300
        mov ebx, SEL_DATA | 3
        mov eax, 0x5555
        lar eax, ebx
        setz cl
        movzx ecx, cl
        CHECK "LAR with RPL 3 > DPL 0: ZF=0", ecx, 0
        CHECK "  ... destination unchanged", eax, 0x5555
        mov ebx, SEL_CONFR | 3
        lar eax, ebx
        setz cl
        movzx ecx, cl
        CHECK "LAR of conforming code ignores RPL: ZF=1", ecx, 1
        mov ebx, 0x800
        lsl eax, ebx
        setz cl
        movzx ecx, cl
        CHECK "LSL beyond the GDT limit: ZF=0", ecx, 0
        mov ebx, 0x0c
        lar eax, ebx
        setz cl
        movzx ecx, cl
        CHECK "LAR of an LDT selector with no LDT: ZF=0", ecx, 0
        xor ebx, ebx
        lsl eax, ebx
        setz cl
        movzx ecx, cl
        CHECK "LSL of the null selector: ZF=0", ecx, 0
        mov ax, SEL_DOWN
        verw ax
        setz cl
        movzx ecx, cl
        CHECK "VERW of expand-down writable data: ZF=1", ecx, 1
        mov ax, SEL_CONFX
        verr ax
        setz cl
        movzx ecx, cl
        CHECK "VERR of execute-only conforming code: ZF=0", ecx, 0
        xor eax, eax
        verr ax
        setz cl
        movzx ecx, cl
        CHECK "VERR of the null selector: ZF=0", ecx, 0

        PRINTLN "-- LTR and LLDT"
        mov ax, SEL_TSS
        EXPECT_EXC "LTR of the busy main TSS: #GP(sel)", 13, SEL_TSS
        ltr ax
        END_EXPECT
        mov ax, SEL_DATA
        EXPECT_EXC "LTR of a data segment: #GP(sel)", 13, SEL_DATA
        ltr ax
        END_EXPECT
        mov ax, SEL_TSSNP
        EXPECT_EXC "LTR of a not-present TSS: #NP(sel)", 11, SEL_TSSNP
        ltr ax
        END_EXPECT
        mov ax, SEL_TSS2 | 4
        EXPECT_EXC "LTR with TI=1: #GP(sel)", 13, SEL_TSS2 | 4
        ltr ax
        END_EXPECT
        xor eax, eax
        EXPECT_EXC "LTR of the null selector: #GP(0)", 13, 0
        ltr ax
        END_EXPECT
        mov ax, SEL_TSS2
        ltr ax
        mov ebx, SEL_TSS2
        lar eax, ebx
        shr eax, 8
        and eax, 0xf
        CHECK "LTR marks the TSS busy (type B)", eax, 0xb
        str ax
        movzx eax, ax
        CHECK "STR after LTR", eax, SEL_TSS2
        and byte [ROM_GDT + SEL_TSS + 5], ~2
        mov ax, SEL_TSS
        ltr ax
        mov ax, SEL_LDTNP
        EXPECT_EXC "LLDT of a not-present LDT: #NP(sel)", 11, SEL_LDTNP
        lldt ax
        END_EXPECT
        mov ax, SEL_LDTNP | 4
        EXPECT_EXC "LLDT with TI=1: #GP(sel)", 13, SEL_LDTNP | 4
        lldt ax
        END_EXPECT
        mov dword [ROM_USER], 0xffffffff
        str [ROM_USER]
        CHECK "STR m16 writes 16 bits only", dword [ROM_USER], 0xffff0000 | SEL_TSS

        PRINTLN "-- CR0 and ring 3"
        xor eax, eax
        lmsw ax
        smsw ax
        and eax, 1
        CHECK "LMSW 0 does not clear CR0.PE", eax, 1
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        sgdt [ROM_USER]
        CHECK "ring 3 SGDT (no UMIP) reads the base", dword [ROM_USER + 2], ROM_GDT
        smsw ax
        and eax, 1
        CHECK "ring 3 SMSW reads PE", eax, 1
        str ax
        movzx eax, ax
        CHECK "ring 3 STR", eax, SEL_TSS
        EXPECT_EXC "ring 3 LMSW: #GP(0)", 13, 0
        lmsw ax
        END_EXPECT
        EXPECT_EXC "ring 3 CLTS: #GP(0)", 13, 0
        clts
        END_EXPECT
        EXPECT_EXC "ring 3 MOV EAX, CR0: #GP(0)", 13, 0
        mov eax, cr0
        END_EXPECT
        EXPECT_EXC "ring 3 MOV DR7, EAX: #GP(0)", 13, 0
        mov dr7, eax
        END_EXPECT
        EXPECT_EXC "ring 3 LLDT: #GP(0)", 13, 0
        lldt ax
        END_EXPECT
        EXPECT_EXC "ring 3 LTR: #GP(0)", 13, 0
        ltr ax
        END_EXPECT
        EXPECT_EXC "ring 3 LIDT: #GP(0)", 13, 0
        lidt [ROM_USER]
        END_EXPECT
        TO_RING0
        ROM_FINISH
        ROM_END
