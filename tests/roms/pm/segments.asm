; SPDX-License-Identifier: MIT
; Segment protection in 32-bit protected mode (SDM 3A chapter 5): null
; selectors, limits (expand-up, expand-down with B=0/1, stack #SS), types
; (write to code, execute-only, read-only), DPL/RPL, not present (#NP, #SS),
; LDT selectors, and LAR/LSL/VERR/VERW/ARPL. Every fault is checked with its
; vector, error code and faulting EIP.

        cpu 386
%include "rom.inc"

SEL_SMALL       equ 0x80                ; data, base 0x10000, limit 0xfff
SEL_DOWN32      equ 0x88                ; expand-down, limit 0xfff, B=1
SEL_DOWN16      equ 0x90                ; expand-down, limit 0xfff, B=0
SEL_XO          equ 0x98                ; execute-only 32-bit code, base F0000
SEL_RO          equ 0xa0                ; read-only flat data
SEL_NP          equ 0xa8                ; data, not present
SEL_MB          equ 0xb0                ; data, limit 1 MiB - 1 (byte granular)
SEL_LDTD        equ 0xb8                ; LDT descriptor: ROM_LDT, 2 entries
SEL_CONF        equ 0xc0                ; conforming code, DPL 0
SEL_CGATE       equ 0xc8                ; call gate, DPL 3 (LAR accepts it)
SEL_IGATE       equ 0xd0                ; an interrupt-gate type in the GDT (LAR rejects it)
SEL_DATA_DPL1   equ 0xd8                ; data, DPL 1
SEL_NP_STACK    equ 0xe0                ; data, not present (for SS)
LSEL_A          equ 0x04                ; LDT index 0: data base 0x20000 limit 0xffff
LSEL_B          equ 0x0c                ; LDT index 1: data, not present
LSEL_OUT        equ 0x14                ; LDT index 2: beyond the LDT limit

%macro ZF_TO_EAX 0
        setz al
        movzx eax, al
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_SMALL, 0x10000, 0xfff, ACC_DATA, 0
        SET_DESC SEL_DOWN32, 0x10000, 0xfff, ACC_DATA_DOWN, FLG_D
        SET_DESC SEL_DOWN16, 0x10000, 0xfff, ACC_DATA_DOWN, 0
        SET_DESC SEL_XO, ROM_BASE, 0xffff, ACC_CODE_XO, FLG_D
        SET_DESC SEL_RO, 0, 0xfffff, ACC_DATA_RO, FLG_G | FLG_D
        SET_DESC SEL_NP, 0, 0xfffff, ACC_DATA & ~ACC_P, FLG_G | FLG_D
        SET_DESC SEL_MB, 0, 0xfffff, ACC_DATA, FLG_D
        SET_DESC SEL_LDTD, ROM_LDT, 0x0f, ACC_LDT, 0
        SET_DESC SEL_CONF, ROM_BASE, 0xffff, ACC_CODE_CONF, FLG_D
        SET_GDT_GATE SEL_CGATE, SEL_CODE32, 0, GATE_CALL32 | GATE_DPL3
        SET_GDT_GATE SEL_IGATE, SEL_CODE32, 0, GATE_INT32 | GATE_DPL3
        SET_DESC SEL_DATA_DPL1, 0, 0xfffff, ACC_DATA | ACC_DPL1, FLG_G | FLG_D
        SET_DESC SEL_NP_STACK, 0, 0xfffff, ACC_DATA & ~ACC_P, FLG_G | FLG_D
        SET_DESC LSEL_A, 0x20000, 0xffff, ACC_DATA, 0
        SET_DESC LSEL_B, 0x20000, 0xffff, ACC_DATA & ~ACC_P, 0

        PRINTLN "-- null selectors"
        xor eax, eax
        mov es, ax
        PASSED "MOV ES, 0 is allowed"
        mov ax, 3
        mov es, ax
        PASSED "MOV ES, 3 (null with RPL 3) is allowed"
        EXPECT_EXC "read through a null ES: #GP(0)", 13, 0
        mov eax, [es:0]
        END_EXPECT
        xor eax, eax
        EXPECT_EXC "MOV SS, 0: #GP(0)", 13, 0
        mov ss, ax
        END_EXPECT

        PRINTLN "-- limits"
        mov ax, SEL_SMALL
        mov es, ax
        mov byte [es:0xfff], 0x77
        CHECK "last byte inside a 4 KiB limit", dword [0x10ffc], 0x77000000
        EXPECT_EXC "dword crossing the limit: #GP(0)", 13, 0
        mov eax, [es:0xffd]
        END_EXPECT
        EXPECT_EXC "offset = limit + 1: #GP(0)", 13, 0
        mov byte [es:0x1000], 0
        END_EXPECT
        mov ax, SEL_DOWN32
        mov es, ax
        mov dword [es:0x1000], 0x1234
        CHECK "expand-down B=1: offset limit+1 is valid", dword [0x11000], 0x1234
        mov eax, [es:0xfffffffc]
        PASSED "expand-down B=1: offset FFFFFFFC is valid"
        EXPECT_EXC "expand-down: offset at the limit: #GP(0)", 13, 0
        mov al, [es:0xfff]
        END_EXPECT
        mov ax, SEL_DOWN16
        mov es, ax
        mov eax, [es:0xfffc]
        PASSED "expand-down B=0: offset FFFC is valid"
        EXPECT_EXC "expand-down B=0: offset 10000 is above 64 KiB: #GP(0)", 13, 0
        mov eax, [es:0x10000]
        END_EXPECT
        mov ax, SEL_MB
        mov ss, ax
        mov ebx, 0x100000
        EXPECT_EXC "SS access beyond the limit: #SS(0)", 12, 0
        mov eax, [ss:ebx]
        END_EXPECT
        EXPECT_EXC "EBP-based access beyond the limit: #SS(0)", 12, 0
        mov eax, [ebp + ebx]
        END_EXPECT
        mov ax, SEL_DATA
        mov ss, ax

        PRINTLN "-- types"
        EXPECT_EXC "write through CS: #GP(0)", 13, 0
        mov [cs:rom_scratch], eax
        END_EXPECT
        mov ax, SEL_XO
        EXPECT_EXC "MOV DS, execute-only code: #GP(sel)", 13, SEL_XO
        mov ds, ax
        END_EXPECT
        mov ax, SEL_CODE32
        mov es, ax
        CHECK "MOV ES, readable code; read the ROM", dword [es:rom_scratch], 'segm'
        EXPECT_EXC "write through readable code in ES: #GP(0)", 13, 0
        mov [es:rom_scratch], eax
        END_EXPECT
        jmp SEL_XO:in_xo
in_xo:  EXPECT_EXC "read through an execute-only CS: #GP(0)", 13, 0
        mov eax, [cs:rom_scratch]
        EXPECT_RESUME
        jmp SEL_CODE32:out_xo           ; the library reads its strings through CS
out_xo: EXPECT_CHECK
        mov ax, SEL_RO
        mov es, ax
        CHECK "read-only data reads", dword [es:ROM_LIN(rom_scratch)], 'segm'
        EXPECT_EXC "write to read-only data: #GP(0)", 13, 0
        mov dword [es:0x30000], 0
        END_EXPECT
        mov ax, SEL_RO
        EXPECT_EXC "MOV SS, read-only data: #GP(sel)", 13, SEL_RO
        mov ss, ax
        END_EXPECT
        mov ax, SEL_CODE32
        EXPECT_EXC "MOV SS, code: #GP(sel)", 13, SEL_CODE32
        mov ss, ax
        END_EXPECT
        mov ax, SEL_TSS
        EXPECT_EXC "MOV DS, TSS descriptor: #GP(sel)", 13, SEL_TSS
        mov ds, ax
        END_EXPECT

        PRINTLN "-- privilege"
        mov ax, SEL_DATA | 3
        EXPECT_EXC "MOV SS with RPL 3 at CPL 0: #GP(sel)", 13, SEL_DATA
        mov ss, ax
        END_EXPECT
        mov ax, SEL_DATA_DPL1
        EXPECT_EXC "MOV SS, DPL 1 data at CPL 0: #GP(sel)", 13, SEL_DATA_DPL1
        mov ss, ax
        END_EXPECT
        mov ax, SEL_DATA_DPL1 | 1
        mov es, ax
        PASSED "MOV ES, DPL 1 data with RPL 1 at CPL 0"
        mov ax, SEL_DATA_DPL1 | 2
        EXPECT_EXC "MOV ES, DPL 1 data with RPL 2: #GP(sel)", 13, SEL_DATA_DPL1
        mov es, ax
        END_EXPECT
        mov ax, SEL_CONF | 3
        mov es, ax
        PASSED "MOV ES, conforming readable code with RPL 3"
        TO_RING 3
        mov ax, SEL_DATA
        EXPECT_EXC "ring 3: MOV DS, DPL 0 data: #GP(sel)", 13, SEL_DATA
        mov ds, ax
        END_EXPECT
        mov ax, SEL_LIB
        mov ds, ax
        PASSED "ring 3: MOV DS, DPL 3 data"
        EXPECT_EXC "ring 3: LGDT: #GP(0)", 13, 0
        lgdt [ROM_USER]
        END_EXPECT
        mov ax, SEL_CODE32
        lar eax, eax
        ZF_TO_EAX
        CHECK "ring 3: LAR of DPL 0 code fails (ZF=0)", eax, 0
        mov ax, SEL_CONF
        lar eax, eax
        ZF_TO_EAX
        CHECK "ring 3: LAR of conforming code succeeds (ZF=1)", eax, 1
        mov ax, SEL_LIB
        verw ax
        ZF_TO_EAX
        CHECK "ring 3: VERW of DPL 3 data (ZF=1)", eax, 1
        mov ax, SEL_DATA
        verr ax
        ZF_TO_EAX
        CHECK "ring 3: VERR of DPL 0 data (ZF=0)", eax, 0
        TO_RING0

        PRINTLN "-- not present"
        mov ax, SEL_NP
        EXPECT_EXC "MOV DS, not-present data: #NP(sel)", 11, SEL_NP
        mov ds, ax
        END_EXPECT
        mov ax, SEL_NP_STACK
        EXPECT_EXC "MOV SS, not-present data: #SS(sel)", 12, SEL_NP_STACK
        mov ss, ax
        END_EXPECT
        mov ax, 0x7f8                   ; the GDT's last slot (zero)
        EXPECT_EXC "MOV DS, zero descriptor (S=0 type 0): #GP(sel)", 13, 0x7f8
        mov ds, ax
        END_EXPECT
        mov ax, 0x800
        EXPECT_EXC "MOV DS, selector beyond the GDT limit: #GP(sel)", 13, 0x800
        mov ds, ax
        END_EXPECT

        PRINTLN "-- LDT"
        mov ax, LSEL_A
        EXPECT_EXC "LDT selector with no LDT loaded: #GP(sel)", 13, LSEL_A
        mov ds, ax
        END_EXPECT
        mov ax, SEL_DATA
        EXPECT_EXC "LLDT of a data descriptor: #GP(sel)", 13, SEL_DATA
        lldt ax
        END_EXPECT
        mov ax, SEL_LDTD
        lldt ax
        sldt bx
        movzx ebx, bx
        CHECK "SLDT after LLDT", ebx, SEL_LDTD
        mov ax, LSEL_A
        mov es, ax
        mov dword [es:0x10], 0xcafe
        CHECK "LDT data segment (base 0x20000) writes", dword [0x20010], 0xcafe
        mov ax, LSEL_B
        EXPECT_EXC "LDT not-present data: #NP(sel with TI)", 11, LSEL_B
        mov es, ax
        END_EXPECT
        mov ax, LSEL_OUT
        EXPECT_EXC "LDT selector beyond the LDT limit: #GP(sel with TI)", 13, LSEL_OUT
        mov es, ax
        END_EXPECT
        xor eax, eax
        lldt ax
        PASSED "LLDT 0 (null LDT) is allowed"

        PRINTLN "-- LAR, LSL, VERR, VERW, ARPL"
        mov ebx, SEL_CODE32
        mov eax, 0xffffffff
        lar eax, ebx
        CHECK_MASKED "LAR of SEL_CODE32 (accessed)", eax, 0x00f0ff00, 0x00409b00
        mov ebx, SEL_DATA
        lar eax, ebx
        CHECK_MASKED "LAR of SEL_DATA", eax, 0x00f0ff00, 0x00c09300
        mov ebx, SEL_CGATE
        lar eax, ebx
        ZF_TO_EAX
        CHECK "LAR of a call gate succeeds", eax, 1
        mov ebx, SEL_CGATE
        lar eax, ebx
        CHECK_MASKED "LAR of a call gate: type C, DPL 3", eax, 0x0000ff00, 0x0000ec00
        mov ebx, SEL_IGATE
        lar eax, ebx
        ZF_TO_EAX
        CHECK "LAR of an interrupt-gate type fails", eax, 0
        xor ebx, ebx
        lar eax, ebx
        ZF_TO_EAX
        CHECK "LAR of the null selector fails", eax, 0
        mov ebx, SEL_DATA
        lsl eax, ebx
        CHECK "LSL of flat data (G=1): FFFFFFFF", eax, 0xffffffff
        mov ebx, SEL_SMALL
        lsl eax, ebx
        CHECK "LSL of a 4 KiB data segment", eax, 0xfff
        mov ebx, SEL_TSS
        lsl eax, ebx
        CHECK "LSL of the main TSS", eax, ROM_TSS_LIMIT
        mov ebx, SEL_CGATE
        mov eax, 0x12345678
        lsl eax, ebx
        ZF_TO_EAX
        CHECK "LSL of a call gate fails", eax, 0
        mov ax, SEL_CODE32
        verr ax
        ZF_TO_EAX
        CHECK "VERR of readable code", eax, 1
        mov ax, SEL_XO
        verr ax
        ZF_TO_EAX
        CHECK "VERR of execute-only code", eax, 0
        mov ax, SEL_RO
        verw ax
        ZF_TO_EAX
        CHECK "VERW of read-only data", eax, 0
        mov ax, SEL_DATA
        verw ax
        ZF_TO_EAX
        CHECK "VERW of writable data", eax, 1
        mov ax, SEL_CODE32
        verw ax
        ZF_TO_EAX
        CHECK "VERW of code", eax, 0
        mov ax, SEL_NP
        verr ax
        ZF_TO_EAX
        CHECK "VERR of a not-present segment succeeds (no P check)", eax, 1
        mov cx, 0x1231
        mov dx, 0x0003
        arpl cx, dx
        setz al
        movzx eax, al
        movzx ecx, cx
        CHECK "ARPL raises RPL 1 to 3: ZF=1", eax, 1
        CHECK "ARPL result", ecx, 0x1233
        mov cx, 0x1232
        mov dx, 0x0001
        arpl cx, dx
        setz al
        movzx eax, al
        movzx ecx, cx
        CHECK "ARPL keeps RPL 2 over 1: ZF=0", eax, 0
        CHECK "ARPL result unchanged", ecx, 0x1232
        ROM_FINISH

rom_scratch:
        db 'segm'
        ROM_END
