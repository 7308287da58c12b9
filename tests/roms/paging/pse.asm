; SPDX-License-Identifier: MIT
; 4 MiB pages with CR4.PSE (SDM 3A §4.3, table 4-4): translation with a
; 22-bit offset, A and D in the PDE, PS ignored without CR4.PSE, the
; reserved bit 21 (#PF with RSVD), INVLPG dropping the whole large page
; from any address in it, code in a large page, and PSE-36: PDE bits 20:13
; are physical address bits 39:32 (the machine has RAM above 4 GiB).

        cpu 686
%include "rom.inc"
%include "paging.inc"

SEL_BIG         equ SEL_FREE
%define BIG(lin) ((lin) - ROM_BASE)
%define PDE_AT(i) (PG_PD + (i) * 4)
%define LARGE(i) ((i) << 22)            ; linear base of PDE i

HIGH            equ 1 << 13             ; PSE-36: physical bit 32
PG_BIG_LOW      equ PG_PS | PG_P | PG_RW

%macro BACK_TO_BIG 0
        jmp SEL_BIG:%%big
%%big:
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_BIG, ROM_BASE, 0xfffff, ACC_CODE, FLG_G | FLG_D
        BACK_TO_BIG
        PG_BUILD32
        mov dword [PDE_AT(2)], 0 | PG_BIG_LOW           ; 8 MiB -> 0
        mov dword [PDE_AT(5)], PG_PT1 | PG_PS | PG_P | PG_RW  ; a table, or a large page with PSE
        mov dword [PG_PT1], (PG_FRAME + 0x5000) | PG_P | PG_RW
        mov dword [PG_FRAME + 0x5000], 'ptbl'

        ; ---- without CR4.PSE the PS bit is ignored ----
        PG_ON PG_PD, 0
        CHECK "CR4.PSE=0: a PDE with PS still points at a table", dword [LARGE(5)], 'ptbl'
        PG_OFF

        ; ---- 4 MiB pages ----
        PG_ON PG_PD, CR4_PSE
        mov dword [PG_FRAME + 0x10], 0x4d4d4d4d
        CHECK "4 MiB page: read at its offset", dword [LARGE(2) + PG_FRAME + 0x10], 0x4d4d4d4d
        mov dword [LARGE(2) + 0x3ffff0], 0x51515151
        CHECK "4 MiB page: a write near its end lands at 0x3ffff0", dword [0x3ffff0], 0x51515151
        CHECK_MASKED "large PDE: A and D after a write", dword [PDE_AT(2)], PG_A | PG_D, PG_A | PG_D
        mov dword [PDE_AT(2)], 0 | PG_BIG_LOW
        invlpg [LARGE(2) + 0x1000]
        mov eax, [LARGE(2) + 0x2000]
        CHECK_MASKED "large PDE: a read sets A only", dword [PDE_AT(2)], PG_A | PG_D, PG_A
        mov eax, cr4
        CHECK_MASKED "CR4.PSE set", eax, CR4_PSE, CR4_PSE

        ; INVLPG of one address drops every 4 KiB slice of the large page
        mov dword [0x123000], 'old '
        CHECK "a second 4 KiB slice of the page", dword [LARGE(2) + 0x123000], 'old '
        mov dword [PDE_AT(2)], 0x400000 | PG_BIG_LOW     ; physical 0x523000: zeros
        invlpg [LARGE(2) + 0x3ff000]
        CHECK "INVLPG anywhere in a 4 MiB page drops all of it", dword [LARGE(2) + 0x123000], 0
        mov dword [PDE_AT(2)], 0 | PG_BIG_LOW
        invlpg [LARGE(2)]

        ; ---- code in a large page ----
        mov dword [PG_FRAME + 0x7000], 0x0042b8     ; mov eax, 0x42
        mov dword [PG_FRAME + 0x7004], 0x0000c300   ; (imm) ret
        xor eax, eax
        call BIG(LARGE(2) + PG_FRAME + 0x7000)
        CHECK "code runs from a 4 MiB page", eax, 0x42

        ; ---- reserved bit 21 ----
        mov dword [PDE_AT(3)], (1 << 21) | PG_BIG_LOW
        EXPECT_PF "4 MiB PDE with bit 21 set: #PF(P|RSVD)", PF_P | PF_RSVD, LARGE(3) + 8
        mov eax, [LARGE(3) + 8]
        END_PF
        EXPECT_PF "4 MiB PDE with bit 21 set, a write: #PF(P|W|RSVD)", PF_P | PF_W | PF_RSVD, LARGE(3) + 12
        mov dword [LARGE(3) + 12], 0
        END_PF
        mov dword [PDE_AT(3)], (1 << 21) | PG_BIG_LOW & ~PG_P
        EXPECT_PF "a not-present PDE's reserved bits do not count", 0, LARGE(3)
        mov eax, [LARGE(3)]
        END_PF

        ; ---- PSE-36 ----
        ; PDE 6 maps physical 1_0000_0000 (bit 13 = physical bit 32), PDE 7
        ; the same 4 MiB with bit 13 clear, i.e. physical 0.
        mov dword [PDE_AT(6)], HIGH | PG_BIG_LOW
        mov dword [PDE_AT(7)], 0 | PG_BIG_LOW
        mov dword [LARGE(7) + 0x300000], 'low '
        mov dword [LARGE(6) + 0x300000], 'high'
        CHECK "PSE-36: the page above 4 GiB reads back", dword [LARGE(6) + 0x300000], 'high'
        CHECK "PSE-36: physical bit 32 is not dropped", dword [0x300000], 'low '
        mov dword [PDE_AT(8)], HIGH | PG_BIG_LOW
        CHECK "PSE-36: a second mapping of the high page", dword [LARGE(8) + 0x300000], 'high'
        mov dword [PDE_AT(9)], (1 << 20) | PG_BIG_LOW    ; physical bit 39: beyond the RAM
        CHECK "PSE-36: unassigned physical space reads as ones", dword [LARGE(9)], 0xffffffff

        PG_OFF
        ROM_FINISH
        ROM_END
