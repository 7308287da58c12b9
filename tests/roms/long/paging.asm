; SPDX-License-Identifier: MIT
; 4-level paging in 64-bit mode: #PF error codes and CR2 for a page not
; present, a write to a read-only page with CR0.WP, a user access to a
; supervisor page, a fetch from an execute-disable page (I/D bit), a
; reserved bit above MAXPHYADDR; accessed and dirty bits; a 1 GiB page;
; INVLPG; EFER.NXE off makes XD a reserved bit.

%define ROM_LONG
%include "rom.inc"
%include "long.inc"

PAGE1           equ LM_TEST + 0x1000
PAGE2           equ LM_TEST + 0x2000
PAGE3           equ LM_TEST + 0x3000
PAGE4           equ LM_TEST + 0x4000
PAGE5           equ LM_TEST + 0x5000
PAGE6           equ LM_TEST + 0x6000

        ROM_START
        ENTER_PM32
        LM_SETUP
        LM_ENTER
        PRINTLN "64-bit mode, 4-level paging"

        ; not present
        mov qword [LM_PTE(PAGE1)], 0
        invlpg [PAGE1]
        EXPECT_EXC "read of a page not present: #PF(0)", 14, 0
        mov al, [PAGE1 + 0x123]
        END_EXPECT
        mov rax, cr2
        CHECK "CR2 = the linear address", rax, PAGE1 + 0x123
        EXPECT_EXC "write to a page not present: #PF(W)", 14, PF_W
        mov [PAGE1 + 8], al
        END_EXPECT

        ; read-only, CR0.WP
        mov qword [LM_PTE(PAGE2)], PAGE2 | PG_P | PG_US
        invlpg [PAGE2]
        mov al, [PAGE2]
        PASSED "a read-only page reads"
        mov [PAGE2], al
        PASSED "ring 0 writes a read-only page with CR0.WP clear"
        mov rax, cr0
        or eax, 1 << 16
        mov cr0, rax
        EXPECT_EXC "write to a read-only page with CR0.WP: #PF(P|W)", 14, PF_P | PF_W
        mov [PAGE2], al
        END_EXPECT

        ; supervisor page from ring 3
        mov qword [LM_PTE(PAGE3)], PAGE3 | PG_P | PG_RW
        invlpg [PAGE3]
        mov al, [PAGE3]
        PASSED "ring 0 reads a supervisor page"

        ; execute-disable
        mov dword [PAGE4], 0x90909090   ; nops, then ret
        mov byte [PAGE4 + 4], 0xc3
        mov rax, PAGE4
        call rax
        PASSED "code runs from an executable page"
        or dword [LM_PTE(PAGE4) + 4], PG_XD_HI
        invlpg [PAGE4]
        mov rax, PAGE4
        EXPECT_EXC "fetch from an XD page: #PF(P|I)", 14, PF_P | PF_I, ROM_ANY
        jmp rax
        END_EXPECT
        mov rax, cr2
        CHECK "CR2 = the fetch address", rax, PAGE4
        mov eax, [PAGE4]
        mov ebx, 0x90909090
        CHECK "an XD page still reads", rax, rbx

        ; a reserved bit: physical address bit 45 with MAXPHYADDR 40
        mov qword [LM_PTE(PAGE6)], PAGE6 | PG_P | PG_RW
        or dword [LM_PTE(PAGE6) + 4], 1 << (45 - 32)
        invlpg [PAGE6]
        EXPECT_EXC "a reserved bit in a PTE: #PF(P|RSVD|W)", 14, PF_P | PF_RSVD | PF_W
        mov [PAGE6], al
        END_EXPECT

        ; accessed and dirty
        mov qword [LM_PTE(PAGE5)], PAGE5 | PG_P | PG_RW | PG_US
        invlpg [PAGE5]
        mov al, [PAGE5]
        CHECK_MASKED "a read sets A only", qword [LM_PTE(PAGE5)], PG_A | PG_D, PG_A
        mov [PAGE5], al
        CHECK_MASKED "a write sets D", qword [LM_PTE(PAGE5)], PG_A | PG_D, PG_A | PG_D
        CHECK_MASKED "the PD entry is accessed", qword [LM_PD + 16], PG_A, PG_A

        ; a 1 GiB page: linear 1 GiB + x -> physical x
        mov qword [LM_PDPT + 8], PG_PS | PG_P | PG_RW | PG_US
        mov qword [0x33000], 0x600d
        CHECK "a 1 GiB page maps 40033000h to 33000h", qword [0x40033000], 0x600d
        CHECK_MASKED "the 1 GiB PDPTE is accessed", qword [LM_PDPT + 8], PG_A, PG_A
        mov qword [LM_PDPT + 8], PG_PS | PG_P | PG_RW | PG_US | 0x2000  ; bit 13 reserved
        invlpg [0x40033000]
        EXPECT_EXC "a reserved bit in a 1 GiB PDPTE: #PF(P|RSVD)", 14, PF_P | PF_RSVD
        mov rax, [0x40033000]
        END_EXPECT

        ; ring 3
        LM_TO_RING3
        PRINTLN "ring 3"
        mov al, [PAGE5]
        PASSED "ring 3 reads a user page"
        EXPECT_EXC "ring 3 reads a supervisor page: #PF(P|U)", 14, PF_P | PF_U
        mov al, [PAGE3]
        END_EXPECT
        EXPECT_EXC "ring 3 writes a read-only page: #PF(P|W|U)", 14, PF_P | PF_W | PF_U
        mov [PAGE2], al
        END_EXPECT
        mov rax, PAGE4
        EXPECT_EXC "ring 3 fetches from an XD page: #PF(P|U|I)", 14, PF_P | PF_U | PF_I, ROM_ANY
        jmp rax
        END_EXPECT
        LM_TO_RING0

        ; without EFER.NXE the XD bit is reserved
        mov ecx, MSR_EFER
        rdmsr
        and eax, ~EFER_NXE
        wrmsr
        EXPECT_EXC "XD with EFER.NXE clear: #PF(P|RSVD)", 14, PF_P | PF_RSVD
        mov al, [PAGE4]
        END_EXPECT
        ROM_FINISH

        LM_END
        ROM_END
