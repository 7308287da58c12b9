; SPDX-License-Identifier: MIT
; Entering protected mode from reset and leaving it again: CR0.PE, the
; selectors and tables loaded, 32- and 16-bit code segments, flat 4 GiB data,
; the way back to real mode, and big real ("unreal") mode, where data
; segments keep the 4 GiB limit that real-mode loads do not change
; (SDM 3A §9.9.2, §20.1.1), against real mode's 64 KiB #GP/#SS.

        cpu 386
%include "rom.inc"

BIG             equ 0x200000            ; above 1 MiB, in the 16 MiB of RAM

        ROM_START
        PRINTLN "real mode after reset"
        smsw ax
        and eax, 1
        CHECK "CR0.PE clear at reset", eax, 0

        ENTER_PM32
        smsw ax
        and eax, 1
        CHECK "CR0.PE set", eax, 1
        xor eax, eax
        mov ax, cs
        CHECK "CS = SEL_CODE32 (CPL 0)", eax, SEL_CODE32
        mov ax, ss
        CHECK "SS = SEL_DATA", eax, SEL_DATA
        str ax
        CHECK "TR = SEL_TSS", eax, SEL_TSS
        sgdt [ROM_USER]
        movzx eax, word [ROM_USER]
        CHECK "SGDT limit", eax, ROM_GDT_LIMIT
        CHECK "SGDT base", dword [ROM_USER + 2], ROM_GDT
        sidt [ROM_USER]
        movzx eax, word [ROM_USER]
        CHECK "SIDT limit", eax, ROM_IDT_LIMIT
        CHECK "SIDT base", dword [ROM_USER + 2], ROM_IDT

        ; flat data reaches beyond 1 MiB, the 32-bit stack moves by 4
        mov dword [BIG], 0x5a5aa5a5
        CHECK "flat write/read at 2 MiB", dword [BIG], 0x5a5aa5a5
        mov ebx, esp
        push eax
        sub ebx, esp
        pop eax
        CHECK "32-bit PUSH moves ESP by 4", ebx, 4
        mov ebx, esp
        call near_call
        CHECK "32-bit CALL pushes 4 bytes", ebx, 4
        mov eax, [cs:rom_id]
        CHECK "CS-relative read of the ROM (base F0000)", eax, 'pmOK'
        CHECK "ROM seen at its linear address", dword [ROM_LIN(rom_id)], 'pmOK'
        CHECK "ROM seen at the top of 4 GiB", dword [0xffff0000 + rom_id], 'pmOK'

        ; a 16-bit code segment: default operand and address size 16
        jmp SEL_CODE16:code16
        ROM_MODE p16
code16: mov ebx, esp
        push ax
        sub ebx, esp
        pop ax
        CHECK "16-bit code segment: PUSH moves SP by 2", ebx, 2
        mov ax, 0x7ff8
        EXPECT_EXC "16-bit code: #GP(sel) through the 32-bit IDT gate", 13, 0x7ff8
        mov es, ax
        END_EXPECT
        mov ax, SEL_DATA
        mov es, ax
        jmp dword SEL_CODE32:back32
        ROM_MODE p32
back32:
        EXPECT_EXC "far JMP to the data segment: #GP(sel)", 13, SEL_DATA
        jmp SEL_DATA:0
        END_EXPECT
        mov ax, SEL_CODE32
        EXPECT_EXC "MOV SS, code selector: #GP(sel)", 13, SEL_CODE32
        mov ss, ax
        END_EXPECT
        mov ax, SEL_DATA16
        mov es, ax
        EXPECT_EXC "write beyond the 64 KiB SEL_DATA16 limit: #GP(0)", 13, 0
        mov dword [es:0xfffe], 0
        END_EXPECT
        mov ax, SEL_DATA
        mov es, ax

        ; back to real mode
        LEAVE_PM
        smsw ax
        and eax, 1
        CHECK "real mode again: CR0.PE clear", eax, 0
        mov ax, 0x1000                  ; segment arithmetic works again
        mov es, ax
        mov dword [es:0x10], 0x11223344
        mov ax, 0x1001
        mov es, ax
        CHECK "real-mode segment 1000:0010 = 1001:0000", dword [es:0], 0x11223344
        mov esi, BIG
        EXPECT_EXC "real mode: DS offset 2 MiB beyond the limit: #GP", 13, ROM_NOERR
        mov eax, [esi]
        END_EXPECT
        EXPECT_EXC "real mode: SS offset beyond the limit: #SS", 12, ROM_NOERR
        mov eax, [ss:esi]
        END_EXPECT

        ; big real mode: the limit loaded in protected mode stays
        ENTER_PM32
        LEAVE_PM unreal
        mov esi, BIG
        mov eax, [esi]
        CHECK "unreal mode: DS reads 2 MiB through a 4 GiB limit", eax, 0x5a5aa5a5
        mov ax, 0x0010                  ; a real-mode load changes only the base
        mov ds, ax
        mov eax, [esi - 0x100]
        CHECK "unreal mode: limit kept after MOV DS in real mode", eax, 0x5a5aa5a5
        xor ax, ax
        mov ds, ax
        mov dword [fs:esi + 4], 0x0badf00d
        CHECK "unreal mode: FS writes above 1 MiB", dword [esi + 4], 0x0badf00d
        EXPECT_EXC "unreal mode: SS still limited to 64 KiB: #SS", 12, ROM_NOERR
        mov eax, [ss:esi]
        END_EXPECT
        ROM_FINISH

near_call:
        sub ebx, esp
        ret
rom_id: db 'pmOK'
        ROM_END
