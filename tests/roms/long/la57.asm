; SPDX-License-Identifier: MIT
; 5-level paging: CPUID.7:ECX.LA57, IA-32e mode entered with CR4.LA57 and
; CR3 at a PML5 table, addresses that need the fifth level (bits 56:48),
; the 57-bit canonical width (#GP beyond it, none below it), #PF from a
; missing PML5 entry, and CR4.LA57 fixed while IA-32e mode is active.

%define ROM_LONG
%include "rom.inc"
%include "long.inc"

HIGH            equ 0x0001000000000000  ; PML5 index 1 (not canonical with 48 bits)
TOP             equ 0x00ff000000000000  ; PML5 index FFh, still canonical with 57 bits

        ROM_START
        ENTER_PM32
        mov eax, 7
        xor ecx, ecx
        cpuid
        CHECK_MASKED "CPUID.7:ECX.LA57", ecx, 1 << 16, 1 << 16
        LM_SETUP
        LM_ENTER la57
        PRINTLN "64-bit mode, 5-level paging"
        mov rax, cr4
        CHECK_MASKED "CR4.LA57 set", rax, CR4_LA57, CR4_LA57
        mov qword [0x34000], 0x57
        CHECK "the identity map through PML5 entry 0", qword [0x34000], 0x57

        mov rbx, HIGH + 0x34000
        EXPECT_EXC "PML5 entry 1 not present: #PF(0)", 14, 0
        mov rax, [rbx]
        END_EXPECT
        mov rax, HIGH + 0x34000
        mov rbx, cr2
        CHECK "CR2 holds the 57-bit address", rbx, rax
        mov rbx, HIGH + 0x34000
        mov qword [LM_PML5 + 8], LM_PML4 | PG_P | PG_RW | PG_US
        CHECK "PML5 entry 1 aliases the low map", qword [rbx], 0x57
        mov qword [LM_PML5 + 0xff * 8], LM_PML4 | PG_P | PG_RW | PG_US
        mov rbx, TOP + 0x34000
        CHECK "PML5 entry FFh: canonical with 57 bits", qword [rbx], 0x57
        mov rbx, 0x0100000000000000
        EXPECT_EXC "bit 56 set, bits 63:57 clear: #GP(0)", 13, 0
        mov rax, [rbx]
        END_EXPECT
        mov rbx, 0xff00000000000000
        mov qword [LM_PML5 + 0x100 * 8], LM_PML4 | PG_P | PG_RW | PG_US
        CHECK "negative canonical half: PML5 entry 100h", qword [rbx + 0x34000], 0x57

        mov rax, cr4
        and eax, ~CR4_LA57
        EXPECT_EXC "clearing CR4.LA57 in IA-32e mode: #GP(0)", 13, 0
        mov cr4, rax
        END_EXPECT
        ROM_FINISH

        LM_END
        ROM_END
