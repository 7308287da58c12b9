; SPDX-License-Identifier: MIT
; Global pages (SDM 3A §4.10.2.4, §4.10.4.1): with CR4.PGE a translation
; marked G survives a MOV to CR3 while the others go; INVLPG and a toggle of
; CR4.PGE drop it; without CR4.PGE the G bit is ignored; 4 MiB pages too.
; A PTE is changed in memory after its translation was used, and the test
; looks at which frame a later access reaches. The linear pages are chosen
; so that nothing else the ROM touches shares their TLB slots.

        cpu 686
%include "rom.inc"
%include "paging.inc"

L_G             equ 0x4c0000            ; global 4 KiB page
L_NG            equ 0x4c1000            ; non-global 4 KiB page
L_BIG           equ 0xc00000            ; PDE 3: global 4 MiB page
BIG_OFF         equ 0x1c2000            ; offset of the slice the test uses
F_A             equ PG_FRAME + 0x0000
F_B             equ PG_FRAME + 0x1000
F_C             equ PG_FRAME + 0x2000
F_D             equ PG_FRAME + 0x3000

%macro SET_PTE 2                        ; SET_PTE lin, value (no INVLPG)
        mov dword [PTE32(%1)], %2
%endmacro
%macro SET_CR4_BITS 1
        push eax
        mov eax, cr4
        or eax, %1
        mov cr4, eax
        pop eax
%endmacro
%macro CLEAR_CR4_BITS 1
        push eax
        mov eax, cr4
        and eax, ~(%1)
        mov cr4, eax
        pop eax
%endmacro

        ROM_START
        ENTER_PM32
        PG_BUILD32
        mov dword [F_A], 'AAAA'
        mov dword [F_B], 'BBBB'
        mov dword [F_C], 'CCCC'
        mov dword [F_D], 'DDDD'
        mov dword [BIG_OFF], 'big0'             ; physical 0 + BIG_OFF
        SET_PTE L_G, F_A | PG_P | PG_RW | PG_G
        SET_PTE L_NG, F_B | PG_P | PG_RW
        PG_ON PG_PD, CR4_PGE | CR4_PSE

        ; ---- a CR3 write keeps global entries only ----
        CHECK "global page maps frame A", dword [L_G], 'AAAA'
        CHECK "non-global page maps frame B", dword [L_NG], 'BBBB'
        SET_PTE L_G, F_C | PG_P | PG_RW | PG_G
        SET_PTE L_NG, F_D | PG_P | PG_RW
        RELOAD_CR3
        CHECK "MOV CR3: the non-global translation is gone", dword [L_NG], 'DDDD'
        CHECK "MOV CR3: the global translation survives", dword [L_G], 'AAAA'
        RELOAD_CR3
        CHECK "a second MOV CR3 keeps it too", dword [L_G], 'AAAA'
        invlpg [L_G]
        CHECK "INVLPG drops the global translation", dword [L_G], 'CCCC'

        ; ---- toggling CR4.PGE flushes global entries ----
        SET_PTE L_G, F_A | PG_P | PG_RW | PG_G
        invlpg [L_G]
        CHECK "global page back on frame A", dword [L_G], 'AAAA'
        SET_PTE L_G, F_C | PG_P | PG_RW | PG_G
        CLEAR_CR4_BITS CR4_PGE
        SET_CR4_BITS CR4_PGE
        CHECK "CR4.PGE toggle drops the global translation", dword [L_G], 'CCCC'

        ; ---- without CR4.PGE the G bit means nothing ----
        CLEAR_CR4_BITS CR4_PGE
        SET_PTE L_G, F_A | PG_P | PG_RW | PG_G
        invlpg [L_G]
        CHECK "CR4.PGE=0: page on frame A", dword [L_G], 'AAAA'
        SET_PTE L_G, F_C | PG_P | PG_RW | PG_G
        RELOAD_CR3
        CHECK "CR4.PGE=0: MOV CR3 drops a G translation", dword [L_G], 'CCCC'
        SET_CR4_BITS CR4_PGE

        ; ---- a global 4 MiB page ----
        mov dword [PDE32(L_BIG)], 0 | PG_PS | PG_P | PG_RW | PG_G
        CHECK "global 4 MiB page maps physical 0", dword [L_BIG + BIG_OFF], 'big0'
        mov dword [PDE32(L_BIG)], 0x400000 | PG_PS | PG_P | PG_RW | PG_G   ; zeros there
        RELOAD_CR3
        CHECK "MOV CR3: the global 4 MiB translation survives", dword [L_BIG + BIG_OFF], 'big0'
        invlpg [L_BIG]
        CHECK "INVLPG at its base drops it", dword [L_BIG + BIG_OFF], 0
        mov dword [PDE32(L_BIG)], 0 | PG_PS | PG_P | PG_RW      ; not global
        invlpg [L_BIG]
        CHECK "non-global 4 MiB page maps physical 0", dword [L_BIG + BIG_OFF], 'big0'
        mov dword [PDE32(L_BIG)], 0x400000 | PG_PS | PG_P | PG_RW
        RELOAD_CR3
        CHECK "MOV CR3: the non-global 4 MiB translation is gone", dword [L_BIG + BIG_OFF], 0

        PG_OFF
        ROM_FINISH
        ROM_END
