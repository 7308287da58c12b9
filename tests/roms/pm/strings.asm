; SPDX-License-Identifier: MIT
; String instructions under segment protection (SDM 1 §7.3.9, SDM 2 REP):
; a REP string instruction that faults part way keeps the progress made (ECX,
; ESI, EDI count the finished iterations, EIP stays on the instruction);
; a null or read-only segment faults before the first element; ECX = 0 runs
; nothing; 16-bit address size wraps SI/DI/CX and keeps the upper halves;
; REP INS/OUTS at ring 3 go through the I/O bitmap.

        cpu 386
%include "rom.inc"

SEL_SMALL       equ 0x80                ; data, base 0x10000, limit 0xfff
SEL_RO          equ 0x88                ; read-only flat data
SRC             equ 0x20000             ; source buffer (flat)
SMALL_BASE      equ 0x10000

        ROM_START
        ENTER_PM32
        SET_DESC SEL_SMALL, SMALL_BASE, 0xfff, ACC_DATA, 0
        SET_DESC SEL_RO, 0, 0xfffff, ACC_DATA_RO, FLG_G | FLG_D
        mov edi, SRC
        mov ecx, 0x40
        mov al, 0x40
.fill:  stosb
        inc al
        loop .fill
        mov edi, SMALL_BASE + 0xf00
        mov ecx, 0x200 / 4
        xor eax, eax
        rep stosd

        PRINTLN "-- faults part way"
        mov ax, SEL_SMALL
        mov es, ax
        mov esi, SRC
        mov edi, 0xff8
        mov ecx, 0x10
        EXPECT_EXC "REP MOVSB past the ES limit: #GP(0) at the REP", 13, 0
        rep movsb
        END_EXPECT
        CHECK "  ... ECX counts the 8 bytes moved", ecx, 8
        CHECK "  ... EDI at the limit + 1", edi, 0x1000
        CHECK "  ... ESI advanced by 8", esi, SRC + 8
        CHECK "  ... the last byte inside the limit was written", dword [SMALL_BASE + 0xffc], 0x47464544
        CHECK "  ... nothing beyond it", dword [SMALL_BASE + 0x1000], 0
        mov edi, 0xff0
        mov ecx, 8
        mov eax, 0x5a5a5a5a
        EXPECT_EXC "REP STOSD past the limit: #GP(0)", 13, 0
        rep stosd
        END_EXPECT
        CHECK "  ... ECX = 4 left", ecx, 4
        CHECK "  ... EDI = 0x1000", edi, 0x1000
        mov edi, 0xffe
        mov ecx, 2
        EXPECT_EXC "REP STOSD whose first dword straddles the limit: #GP(0)", 13, 0
        rep stosd
        END_EXPECT
        CHECK "  ... ECX unchanged", ecx, 2
        CHECK "  ... EDI unchanged", edi, 0xffe
        mov ax, SEL_SMALL
        mov ds, ax
        mov esi, 0xffc
        mov ecx, 4
        EXPECT_EXC "REP LODSD past the DS limit: #GP(0) after one dword", 13, 0
        rep lodsd
        END_EXPECT
        mov ax, SEL_DATA
        mov ds, ax
        CHECK "  ... ECX = 3", ecx, 3
        CHECK "  ... ESI = 0x1000", esi, 0x1000
        std
        mov edi, 4
        mov ecx, 0x10
        xor eax, eax
        EXPECT_EXC "REP STOSB downwards past offset 0 (wraps above the limit): #GP(0)", 13, 0
        rep stosb
        END_EXPECT
        cld
        CHECK "  ... ECX = 0x10 - 5", ecx, 0x0b
        CHECK "  ... EDI wrapped to FFFFFFFF", edi, 0xffffffff

        PRINTLN "-- faults before the first element"
        xor eax, eax
        mov es, ax
        mov edi, 0x100
        mov ecx, 4
        EXPECT_EXC "REP STOSB with a null ES: #GP(0)", 13, 0
        rep stosb
        END_EXPECT
        CHECK "  ... ECX unchanged", ecx, 4
        xor ecx, ecx
        rep stosb
        PASSED "REP STOSB with ECX = 0 and a null ES: no fault"
        mov ax, SEL_RO
        mov es, ax
        mov ecx, 4
        EXPECT_EXC "REP MOVSB to read-only data: #GP(0)", 13, 0
        rep movsb
        END_EXPECT
        CHECK "  ... ECX unchanged", ecx, 4
        mov ax, SEL_DATA
        mov es, ax
        mov esi, SRC
        mov edi, SRC + 0x100
        mov ecx, 0x10
        rep movsb
        mov esi, SRC
        mov edi, SRC + 0x100
        mov byte [SRC + 0x105], 0
        mov ecx, 0x10
        repe cmpsb
        CHECK "REPE CMPSB stops after the mismatch: ECX", ecx, 0x0a
        CHECK "  ... EDI", edi, SRC + 0x106

        PRINTLN "-- 16-bit addressing"
        mov esi, 0x1234ffff
        mov edi, 0x5678fffe
        mov ecx, 0xabcd0003
        a16 rep movsb
        CHECK "A16 REP MOVSB: SI wraps, upper ESI kept", esi, 0x12340002
        CHECK "A16 REP MOVSB: DI wraps, upper EDI kept", edi, 0x56780001
        CHECK "A16 REP MOVSB: CX counts, upper ECX kept", ecx, 0xabcd0000

        PRINTLN "-- ring 3 I/O strings"
        TO_RING 3
        mov ax, SEL_LIB
        mov es, ax
        mov ds, ax
        mov edi, SRC + 0x200
        mov ecx, 4
        mov dx, 0x80
        EXPECT_EXC "ring 3 REP INSB from a denied port: #GP(0)", 13, 0
        rep insb
        END_EXPECT
        CHECK "  ... ECX unchanged", ecx, 4
        CHECK "  ... EDI unchanged", edi, SRC + 0x200
        mov esi, outs_text
        mov ecx, outs_len
        mov dx, ROM_DEBUGCON
        cs rep outsb
        PASSED "ring 3 REP OUTSB to the open debug port (wrote the text before this)"
        TO_RING0
        ROM_FINISH

outs_text:
        db "[REP OUTSB] "
outs_len equ $ - outs_text
        ROM_END
