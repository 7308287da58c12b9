; SPDX-License-Identifier: MIT
; PAE paging (SDM 3A §4.4, §4.6, §4.7): 4 KiB and 2 MiB pages through the
; PDPTE registers, A and D, reserved bits (above MAXPHYADDR, a 2 MiB PDE's
; bits 20:13, XD without EFER.NXE) with #PF(RSVD), a PDPTE with a reserved
; bit refused by MOV CR3 with #GP(0), and execute-disable with EFER.NXE:
; fetches from XD pages (PTE or PDE level) fault with I/D set, data
; accesses to them do not.

        cpu 686
%include "rom.inc"
%include "paging.inc"

SEL_BIG         equ SEL_FREE
%define BIG(lin) ((lin) - ROM_BASE)

L_RW            equ 0x200000            ; 4 KiB pages through PAE_PT1
L_AD            equ 0x201000
L_NP            equ 0x202000
L_HIGHBIT       equ 0x203000            ; bit 45 set: above MAXPHYADDR (40)
L_XD            equ 0x204000            ; XD set
L_CODE          equ 0x207000            ; code
L_BIG           equ 0x400000            ; PDE 2: a 2 MiB page at physical 0
L_BIGRSVD       equ 0x600000            ; PDE 3: a 2 MiB page with bit 13 set
L_BIGXD         equ 0x800000            ; PDE 4: a 2 MiB page with XD, code at +PG_FRAME+0x7000
XD_HI           equ 0x80000000          ; bit 63 in the high dword

; MAP_PAE lin, low dword, high dword
%macro MAP_PAE 3
        mov dword [PTE_PAE(%1)], %2
        mov dword [PTE_PAE(%1) + 4], %3
        invlpg [%1]
%endmacro
%macro SET_EFER 1                       ; SET_EFER value (low dword)
        mov ecx, MSR_EFER
        mov eax, %1
        xor edx, edx
        wrmsr
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_BIG, ROM_BASE, 0xfffff, ACC_CODE, FLG_G | FLG_D
        jmp SEL_BIG:big
big:    PG_BUILD_PAE
        MAP_PAE L_RW, PG_FRAME | PG_P | PG_RW, 0
        MAP_PAE L_AD, (PG_FRAME + 0x1000) | PG_P | PG_RW, 0
        MAP_PAE L_HIGHBIT, (PG_FRAME + 0x3000) | PG_P | PG_RW, 1 << (45 - 32)
        MAP_PAE L_XD, (PG_FRAME + 0x4000) | PG_P | PG_RW, XD_HI
        MAP_PAE L_CODE, (PG_FRAME + 0x7000) | PG_P | PG_RW, 0
        mov dword [PDE_PAE(L_BIG)], 0 | PG_PS | PG_P | PG_RW
        mov dword [PDE_PAE(L_BIGRSVD)], (1 << 13) | PG_PS | PG_P | PG_RW
        mov dword [PDE_PAE(L_BIGXD)], 0 | PG_PS | PG_P | PG_RW
        mov dword [PDE_PAE(L_BIGXD) + 4], XD_HI
        mov dword [PG_FRAME + 0x7000], 0x0077b8     ; mov eax, 0x77
        mov dword [PG_FRAME + 0x7004], 0x0000c300   ; (imm) ret
        mov dword [PG_FRAME + 0x4000], 'xdxd'
        PG_ON PAE_PDPT, CR4_PAE
        PASSED "PAE paging on: code and data through 0-2 MiB"

        ; ---- translation, A and D ----
        mov dword [L_RW + 0x20], 0x2468ace0
        CHECK "4 KiB PAE page: the write lands in its frame", dword [PG_FRAME + 0x20], 0x2468ace0
        CHECK_MASKED "fresh PTE: A and D clear", dword [PTE_PAE(L_AD)], PG_A | PG_D, 0
        mov eax, [L_AD]
        CHECK_MASKED "a read sets A", dword [PTE_PAE(L_AD)], PG_A | PG_D, PG_A
        mov [L_AD], eax
        CHECK_MASKED "a write sets D", dword [PTE_PAE(L_AD)], PG_A | PG_D, PG_A | PG_D
        CHECK_MASKED "the PDE's A", dword [PDE_PAE(L_AD)], PG_A, PG_A
        EXPECT_PF "not-present PAE page: #PF(W)", PF_W, L_NP + 0x10
        mov dword [L_NP + 0x10], 0
        END_PF

        ; ---- 2 MiB pages ----
        mov dword [PG_FRAME + 0x30], 0x0badcafe
        CHECK "2 MiB page: read at its offset", dword [L_BIG + PG_FRAME + 0x30], 0x0badcafe
        mov dword [L_BIG + 0x1ffff8], 0x77665544
        CHECK "2 MiB page: a write near its end", dword [0x1ffff8], 0x77665544
        CHECK_MASKED "2 MiB PDE: A and D", dword [PDE_PAE(L_BIG)], PG_A | PG_D, PG_A | PG_D

        ; ---- reserved bits ----
        EXPECT_PF "PTE bit 45 (above MAXPHYADDR): #PF(P|RSVD)", PF_P | PF_RSVD, L_HIGHBIT
        mov eax, [L_HIGHBIT]
        END_PF
        EXPECT_PF "2 MiB PDE with bit 13 set: #PF(P|W|RSVD)", PF_P | PF_W | PF_RSVD, L_BIGRSVD + 4
        mov dword [L_BIGRSVD + 4], 0
        END_PF
        EXPECT_PF "XD without EFER.NXE is reserved: #PF(P|RSVD)", PF_P | PF_RSVD, L_XD
        mov eax, [L_XD]
        END_PF

        ; ---- PDPTEs are loaded with CR3 ----
        or dword [PAE_PDPT + 8], PAE_PD | PG_P | PG_RW   ; PDPTE 1: bit 1 is reserved
        mov eax, cr3
        EXPECT_EXC "MOV CR3 with a reserved PDPTE bit: #GP(0)", 13, 0
        mov cr3, eax
        END_EXPECT
        mov dword [PAE_PDPT + 8], 0
        mov eax, cr3
        mov cr3, eax
        EXPECT_PF "not-present PDPTE: #PF(0)", 0, 0x40000000
        mov eax, [0x40000000]
        END_PF
        mov dword [PAE_PDPT + 8], PAE_PD | PG_P
        EXPECT_PF "a PDPTE written in memory waits for a CR3 load", 0, 0x40000000 + PG_FRAME + 0x30
        mov eax, [0x40000000 + PG_FRAME + 0x30]
        END_PF
        mov eax, cr3
        mov cr3, eax
        CHECK "after the CR3 load the new PDPTE maps", dword [0x40000000 + PG_FRAME + 0x30], 0x0badcafe

        ; ---- execute-disable ----
        xor eax, eax
        call BIG(L_CODE)
        CHECK "code runs from a PAE page", eax, 0x77
        SET_EFER EFER_NXE
        CHECK "XD with NXE: data reads are allowed", dword [L_XD], 'xdxd'
        mov dword [PTE_PAE(L_CODE) + 4], XD_HI
        invlpg [L_CODE]
        EXPECT_EXC "fetch from an XD page: #PF(P|I/D)", 14, PF_P | PF_I, BIG(L_CODE)
        jmp BIG(L_CODE)
        END_EXPECT
        CHECK_CR2 "XD fetch: CR2", L_CODE
        EXPECT_EXC "fetch from a not-present page with NXE: #PF(I/D)", 14, PF_I, BIG(L_NP)
        jmp BIG(L_NP)
        END_EXPECT
        EXPECT_PF "a data read of a not-present page has no I/D", 0, L_NP
        mov eax, [L_NP]
        END_PF
        EXPECT_EXC "fetch from an XD 2 MiB page: #PF(P|I/D)", 14, PF_P | PF_I, BIG(L_BIGXD + PG_FRAME + 0x7000)
        jmp BIG(L_BIGXD + PG_FRAME + 0x7000)
        END_EXPECT
        CHECK "XD 2 MiB page: data reads are allowed", dword [L_BIGXD + PG_FRAME + 0x7000], 0x0077b8
        mov dword [PTE_PAE(L_CODE) + 4], 0
        invlpg [L_CODE]
        xor eax, eax
        call BIG(L_CODE)
        CHECK "XD cleared: the page runs again", eax, 0x77
        SET_EFER 0
        EXPECT_PF "NXE cleared again: XD is reserved", PF_P | PF_RSVD, L_XD + 4
        mov eax, [L_XD + 4]
        END_PF

        PG_OFF
        ROM_FINISH
        ROM_END
