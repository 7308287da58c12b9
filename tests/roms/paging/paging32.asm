; SPDX-License-Identifier: MIT
; 32-bit paging (SDM 3A §4.3, §4.7, §4.8): translation through a page
; directory and tables built in RAM, #PF error codes (P, W/R, U/S) with CR2
; for data accesses, page-crossing accesses and instruction fetches, U/S and
; R/W combined across both levels, CR0.WP, the accessed and dirty bits, and
; INVLPG after a PTE change.

        cpu 686
%include "rom.inc"
%include "paging.inc"

SEL_BIG         equ SEL_FREE            ; ring-0 code, base ROM_BASE, 4 GiB limit
%define BIG(lin) ((lin) - ROM_BASE)     ; SEL_BIG offset of a linear address

L_RW            equ 0x400000            ; supervisor, read/write
L_AD            equ 0x401000            ; fresh: A and D clear
L_NP            equ 0x402000            ; not present
L_RO            equ 0x403000            ; supervisor, read-only
L_SUP           equ 0x404000            ; supervisor, read/write (ring-3 tests)
L_URO           equ 0x405000            ; user, read-only
L_URW           equ 0x406000            ; user, read/write
L_CODE          equ 0x407000            ; code in RAM
PDE_NOUS        equ 3                   ; PDE 3 -> PG_PT1 without U/S
PDE_NORW        equ 4                   ; PDE 4 -> PG_PT1 without R/W
%define ALIAS(pde, lin) (((pde) << 22) | ((lin) & 0x3fffff))

%macro MAP 2                            ; MAP lin, frame|flags
        mov dword [PTE32(%1)], %2
        invlpg [%1]
%endmacro
%macro BACK_TO_BIG 0
        jmp SEL_BIG:%%big
%%big:
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_BIG, ROM_BASE, 0xfffff, ACC_CODE, FLG_G | FLG_D
        BACK_TO_BIG
        PG_BUILD32
        mov dword [PDE32(ALIAS(PDE_NOUS, 0))], PG_PT1 | PG_P | PG_RW
        mov dword [PDE32(ALIAS(PDE_NORW, 0))], PG_PT1 | PG_P | PG_US
        MAP L_RW, (PG_FRAME + 0x0000) | PG_P | PG_RW
        MAP L_AD, (PG_FRAME + 0x1000) | PG_P | PG_RW
        MAP L_RO, (PG_FRAME + 0x3000) | PG_P
        MAP L_SUP, (PG_FRAME + 0x4000) | PG_P | PG_RW
        MAP L_URO, (PG_FRAME + 0x5000) | PG_P | PG_US
        MAP L_URW, (PG_FRAME + 0x6000) | PG_P | PG_RW | PG_US
        MAP L_CODE, (PG_FRAME + 0x7000) | PG_P | PG_RW
        mov dword [PG_FRAME + 0x5000], 'user'
        mov dword [PG_FRAME + 0x4000], 'supv'
        PG_ON PG_PD, 0
        mov eax, cr0
        CHECK_MASKED "CR0.PG set", eax, CR0_PG, CR0_PG
        PASSED "code, stack and data run through the identity map"

        ; ---- translation ----
        mov dword [L_RW + 0x10], 0x12345678
        CHECK "a write through the mapping lands in its frame", dword [PG_FRAME + 0x10], 0x12345678
        mov dword [PG_FRAME + 0x14], 0xa5a5a5a5
        CHECK "a read through the mapping sees its frame", dword [L_RW + 0x14], 0xa5a5a5a5
        MAP L_RW, (PG_FRAME + 0x2000) | PG_P | PG_RW
        mov dword [PG_FRAME + 0x2010], 0x600df00d
        CHECK "INVLPG: the changed PTE is used", dword [L_RW + 0x10], 0x600df00d

        ; ---- accessed and dirty bits ----
        CHECK_MASKED "fresh PTE: A and D clear", dword [PTE32(L_AD)], PG_A | PG_D, 0
        mov eax, [L_AD]
        CHECK_MASKED "a read sets A, not D", dword [PTE32(L_AD)], PG_A | PG_D, PG_A
        CHECK_MASKED "the PDE's A is set", dword [PDE32(L_AD)], PG_A, PG_A
        mov [L_AD + 8], eax
        CHECK_MASKED "a write after the read sets D", dword [PTE32(L_AD)], PG_A | PG_D, PG_A | PG_D
        CHECK_MASKED "the PDE of a table has no D", dword [PDE32(L_AD)], PG_D, 0
        and dword [PTE32(L_AD)], ~(PG_A | PG_D)
        invlpg [L_AD]
        mov byte [L_AD + 0x20], 1
        CHECK_MASKED "a first write sets A and D", dword [PTE32(L_AD)], PG_A | PG_D, PG_A | PG_D

        ; ---- not present ----
        EXPECT_PF "read of a not-present page: #PF(0)", 0, L_NP + 4
        mov eax, [L_NP + 4]
        END_PF
        EXPECT_PF "write to a not-present page: #PF(W)", PF_W, L_NP + 8
        mov dword [L_NP + 8], 0
        END_PF
        EXPECT_PF "read through a not-present PDE: #PF(0)", 0, 0x800010
        mov eax, [0x800010]
        END_PF
        mov dword [PG_FRAME + 0x1ffc], 0x11111111
        EXPECT_PF "page-crossing write, second page absent: CR2 is its start", PF_W, L_NP
        mov dword [L_NP - 2], 0x22222222
        END_PF
        CHECK "the crossing write changed nothing", dword [PG_FRAME + 0x1ffc], 0x11111111
        EXPECT_PF "page-crossing read, second page absent", 0, L_NP
        mov eax, [L_NP - 1]
        END_PF
        EXPECT_EXC "fetch from a not-present page: #PF(0), no I/D without NX", 14, 0, BIG(L_NP)
        jmp BIG(L_NP)
        END_EXPECT
        CHECK_CR2 "fetch: CR2", L_NP

        ; ---- code in a mapped RAM page ----
        mov dword [PG_FRAME + 0x7000], 0xc0deb8     ; mov eax, 0xc0de
        mov dword [PG_FRAME + 0x7004], 0x0000c300   ; (imm) ret
        xor eax, eax
        call BIG(L_CODE)
        CHECK "code runs from a mapped page", eax, 0xc0de

        ; ---- CR0.WP ----
        mov dword [L_RO], 0x0e0e0e0e
        CHECK "WP=0: ring 0 writes a read-only page", dword [PG_FRAME + 0x3000], 0x0e0e0e0e
        mov dword [L_URO + 4], 0x0f0f0f0f
        CHECK "WP=0: ring 0 writes a user read-only page", dword [PG_FRAME + 0x5004], 0x0f0f0f0f
        mov dword [ALIAS(PDE_NORW, L_URW)], 0x1234
        PASSED "WP=0: ring 0 writes through a read-only PDE"
        SET_CR0_BITS CR0_WP
        EXPECT_PF "WP=1: ring-0 write to a read-only page: #PF(P|W)", PF_P | PF_W, L_RO
        mov dword [L_RO], 0
        END_PF
        EXPECT_PF "WP=1: ring-0 write to a user read-only page", PF_P | PF_W, L_URO + 4
        mov dword [L_URO + 4], 0
        END_PF
        EXPECT_PF "WP=1: ring-0 write through a read-only PDE", PF_P | PF_W, ALIAS(PDE_NORW, L_URW)
        mov dword [ALIAS(PDE_NORW, L_URW)], 0
        END_PF
        CHECK "WP=1: the read-only page kept its data", dword [PG_FRAME + 0x3000], 0x0e0e0e0e
        CLEAR_CR0_BITS CR0_WP

        ; ---- user accesses (ring 3) ----
        TO_RING 3
        mov ax, SEL_DATA3
        mov ds, ax
        mov es, ax
        CHECK "ring 3 reads a user page", dword [L_URO], 'user'
        mov dword [L_URW], 0x33333333
        PASSED "ring 3 writes a user read/write page"
        EXPECT_EXC "ring-3 read of a supervisor page: #PF(P|U)", 14, PF_P | PF_U
        mov eax, [L_SUP]
        END_EXPECT
        EXPECT_EXC "ring-3 write to a supervisor page: #PF(P|W|U)", 14, PF_P | PF_W | PF_U
        mov dword [L_SUP], 0
        END_EXPECT
        EXPECT_EXC "ring-3 write to a user read-only page: #PF(P|W|U)", 14, PF_P | PF_W | PF_U
        mov dword [L_URO], 0
        END_EXPECT
        EXPECT_EXC "ring-3 read through a supervisor PDE: #PF(P|U)", 14, PF_P | PF_U
        mov eax, [ALIAS(PDE_NOUS, L_URO)]
        END_EXPECT
        EXPECT_EXC "ring-3 write through a read-only PDE: #PF(P|W|U)", 14, PF_P | PF_W | PF_U
        mov dword [ALIAS(PDE_NORW, L_URW)], 0
        END_EXPECT
        EXPECT_EXC "ring-3 write to a not-present page: #PF(W|U)", 14, PF_W | PF_U
        mov dword [L_NP + 0xc], 0
        END_EXPECT
        TO_RING0
        BACK_TO_BIG
        CHECK_CR2 "ring-3 fault: CR2", L_NP + 0xc
        CHECK "the supervisor page kept its data", dword [PG_FRAME + 0x4000], 'supv'
        CHECK "the user write landed", dword [PG_FRAME + 0x6000], 0x33333333

        PG_OFF
        CHECK "paging off: linear is physical again", dword [L_RW], 0
        ROM_FINISH
        ROM_END
