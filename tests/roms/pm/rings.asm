; SPDX-License-Identifier: MIT
; Returns and interrupts across rings (SDM 2 IRET/RETF, SDM 3A §6.12): IRET
; and RETF to an outer ring (data segments nulled, SS/CS checks with their
; error codes), returns to an inner ring refused, interrupt gates to ring 1,
; to conforming code (no stack switch) and through a 16-bit gate from ring 3,
; gate targets that are null or less privileged (#GP with EXT for a
; hardware exception), and INT n from V86 to a handler not at ring 0.

        cpu 386
%include "rom.inc"

SEL_CONFR       equ 0x80                ; conforming code, DPL 0
SEL_DATA3_DPL0  equ 0x88                ; flat data DPL 0 (used with RPL 3)
V_R1            equ 0x40                ; interrupt gate DPL 3 -> SEL_CODE1 handler
V_CONF          equ 0x41                ; interrupt gate DPL 3 -> conforming handler
V_G16           equ 0x42                ; 16-bit interrupt gate DPL 3 -> ring 0
V_TO_R1_V86     equ 0x43                ; DPL 3 gate to ring-1 code, from V86
H_ESP           equ ROM_USER + 0x00
H_CS            equ ROM_USER + 0x04
H_SS            equ ROM_USER + 0x08
V86_ESP         equ ROM_USER + 0x0c

        ROM_START
        ENTER_PM32
        SET_DESC SEL_CONFR, ROM_BASE, 0xffff, ACC_CODE_CONF, FLG_D
        SET_DESC SEL_DATA3_DPL0, 0, 0xfffff, ACC_DATA, FLG_G | FLG_D
        SET_IDT_GATE V_R1, SEL_CODE1, record_handler, GATE_INT32 | GATE_DPL3
        SET_IDT_GATE V_CONF, SEL_CONFR, record_handler, GATE_INT32 | GATE_DPL3
        SET_IDT_GATE V_G16, SEL_CODE32, record_handler16, GATE_INT16 | GATE_DPL3
        SET_IDT_GATE V_TO_R1_V86, SEL_CODE1, record_handler, GATE_INT32 | GATE_DPL3

        PRINTLN "-- IRET and RETF to ring 3"
        mov ax, SEL_DATA
        mov es, ax
        mov ax, SEL_LIB
        mov fs, ax
        mov ax, SEL_CONFR
        mov gs, ax
        TO_RING 3
        xor eax, eax
        mov ax, ds
        CHECK "IRET to ring 3 nulls DS (DPL 0 data)", eax, 0
        mov ax, es
        CHECK "IRET to ring 3 nulls ES", eax, 0
        mov ax, fs
        CHECK "IRET to ring 3 keeps FS (DPL 3 data)", eax, SEL_LIB
        mov ax, gs
        CHECK "IRET to ring 3 keeps GS (conforming code)", eax, SEL_CONFR
        mov ax, SEL_LIB
        mov ds, ax
        push dword 0x202
        push dword SEL_CODE32
        push dword ring0_reached
        EXPECT_EXC "ring 3 IRET to ring 0: #GP(CS)", 13, SEL_CODE32
        iretd
        END_EXPECT
        add esp, 12
        push dword SEL_CODE32
        push dword ring0_reached
        EXPECT_EXC "ring 3 RETF to ring 0: #GP(CS)", 13, SEL_CODE32
        retf
        END_EXPECT
        add esp, 8
        TO_RING0
        mov ebp, esp
        push dword SEL_DATA3_DPL0 | 3
        push dword ROM_STACK3
        pushfd
        push dword SEL_CODE3
        push dword ring0_reached
        EXPECT_EXC "IRET to ring 3 with a DPL 0 SS: #GP(SS)", 13, SEL_DATA3_DPL0
        iretd
        END_EXPECT
        mov esp, ebp
        push dword SEL_DATA
        push dword ROM_STACK3
        pushfd
        push dword SEL_CODE3
        push dword ring0_reached
        EXPECT_EXC "IRET to ring 3 with SS RPL 0: #GP(SS)", 13, SEL_DATA
        iretd
        END_EXPECT
        mov esp, ebp
        push dword SEL_DATA3
        push dword ROM_STACK3
        pushfd
        push dword SEL_CODE32 | 3
        push dword ring0_reached
        EXPECT_EXC "IRET with CS RPL 3 naming DPL 0 code: #GP(CS)", 13, SEL_CODE32
        iretd
        END_EXPECT
        mov esp, ebp
        push dword SEL_DATA
        push dword ROM_STACK3
        push dword SEL_CODE3
        push dword ring0_reached
        EXPECT_EXC "RETF to ring 3 with SS RPL 0: #GP(SS)", 13, SEL_DATA
        retf
        END_EXPECT
        mov esp, ebp

        PRINTLN "-- interrupt gates from ring 3"
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        int V_R1
        CHECK "gate to ring-1 code: CS", dword [H_CS], SEL_CODE1
        CHECK "  ... SS from TSS.SS1", dword [H_SS], SEL_DATA1
        CHECK "  ... ESP = TSS.ESP1 - 20", dword [H_ESP], ROM_STACK1 - 20
        mov ebp, esp
        int V_CONF
        CHECK "gate to conforming code: CPL stays 3 (CS RPL 3)", dword [H_CS], SEL_CONFR | 3
        CHECK "  ... no stack switch (SS)", dword [H_SS], SEL_DATA3
        mov eax, ebp
        sub eax, 12
        CHECK "  ... 12-byte frame on the ring-3 stack", dword [H_ESP], eax
        int V_G16
        CHECK "16-bit gate from ring 3: ESP = TSS.ESP0 - 10", dword [H_ESP], ROM_STACK0 - 10
        TO_RING0

        PRINTLN "-- gate targets"
        SET_IDT_GATE 6, 0, 0, GATE_INT32
        EXPECT_EXC "#UD through a gate with a null selector: #GP(EXT)", 13, 1
        ud2
        END_EXPECT
        SET_IDT_GATE 6, SEL_CODE3, rom_vec_6, GATE_INT32
        EXPECT_EXC "#UD through a gate to ring-3 code from ring 0: #GP(sel+EXT)", 13, (SEL_CODE3 & ~3) | 1
        ud2
        END_EXPECT
        RESTORE_IDT_GATE 6
        SET_IDT_GATE 0x44, SEL_CODE3, rom_vec_6, GATE_INT32
        EXPECT_EXC "INT n through a gate to ring-3 code from ring 0: #GP(sel)", 13, SEL_CODE3 & ~3
        int 0x44
        END_EXPECT

        PRINTLN "-- V86 INT n to a ring-1 handler"
        mov [V86_ESP], esp
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword 0x5000
        push dword 0x23002              ; VM, IOPL 3
        push dword 0xf000
        push dword v86_code
        iretd
v86_back:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [V86_ESP]
        ROM_FINISH

ring0_reached:
        FAILED "a return to an inner ring or with a bad SS went through"
        ROM_FINISH

record_handler:
        push ds
        push eax
        push dword SEL_LIB
        pop ds
        lea eax, [esp + 8]
        mov [H_ESP], eax
        xor eax, eax
        mov ax, cs
        mov [H_CS], eax
        mov ax, ss
        mov [H_SS], eax
        pop eax
        pop ds
        iretd

record_handler16:
        push eax
        push ds
        push dword SEL_LIB
        pop ds
        lea eax, [esp + 8]
        mov [H_ESP], eax
        pop ds
        pop eax
        o16 iret

        ROM_MODE r16
v86_code:
        EXPECT_EXC "V86 INT n to a ring-1 handler: #GP(code sel)", 13, SEL_CODE1 & ~3
        int V_TO_R1_V86
        END_EXPECT
        xor cx, cx
        SET_IDT_GATE 0, SEL_CODE32, v86_back, GATE_INT32
        div cx
        ROM_END
