; SPDX-License-Identifier: MIT
; From reset through real and protected mode into long mode and back:
; EFER.LME + CR0.PG activating IA-32e mode (and #GP(0) without CR4.PAE),
; compatibility mode until a far jump loads 64-bit code, 64-bit registers,
; RIP-relative data, the 10-byte SGDT, CR8, canonical-address faults (#GP
; for data, #SS for stack references, with an IST stack for the #SS
; handler), compatibility-mode code in the middle of 64-bit code, and the
; way out of IA-32e mode by clearing CR0.PG from compatibility mode.

%define ROM_LONG
%include "rom.inc"
%include "long.inc"

        ROM_START
        PRINTLN "real mode after reset"
        ENTER_PM32
        PRINTLN "32-bit protected mode"
        mov eax, 0x80000001
        cpuid
        CHECK_MASKED "CPUID: LM, NX and SYSCALL", edx, (1 << 29) | (1 << 20) | (1 << 11), (1 << 29) | (1 << 20) | (1 << 11)
        LM_SETUP

        ; EFER.LME with paging but without CR4.PAE: #GP(0), still legacy mode
        mov eax, LM_PML4
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        wrmsr
        mov eax, cr0
        or eax, 1 << 31
        EXPECT_EXC "CR0.PG with LME but no PAE: #GP(0)", 13, 0
        mov cr0, eax
        END_EXPECT
        mov ecx, MSR_EFER
        rdmsr
        CHECK_MASKED "EFER.LMA still clear", eax, EFER_LMA, 0

        ; PAE on and paging on: IA-32e mode, still 32-bit code (compatibility mode)
        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, cr0
        or eax, 1 << 31
        mov cr0, eax
        mov ecx, MSR_EFER
        rdmsr
        CHECK_MASKED "EFER.LMA set by CR0.PG", eax, EFER_LMA, EFER_LMA
        mov ebx, esp
        push eax
        sub ebx, esp
        pop eax
        CHECK "compatibility mode: PUSH moves ESP by 4", ebx, 4
        mov eax, cr0
        and eax, ~(1 << 31)
        mov cr0, eax                    ; leave again, enter below the library's way

        LM_ENTER
        PRINTLN "64-bit mode"
        xor eax, eax
        mov ax, cs
        CHECK "CS = SEL_KCODE64", rax, SEL_KCODE64
        mov rax, 0x123456789abcdef0
        mov rbx, rax
        shr rbx, 32
        CHECK "64-bit register: high half", rbx, 0x12345678
        mov rbx, rsp
        push rax
        sub rbx, rsp
        pop rax
        CHECK "PUSH moves RSP by 8", rbx, 8
        mov eax, [rel rom_id]
        CHECK "RIP-relative read of the ROM", rax, 'lmOK'
        lea rax, [rel rom_id]
        CHECK "RIP-relative LEA is the linear address", rax, ROM_LIN(rom_id)
        sgdt [ROM_USER]
        movzx eax, word [ROM_USER]
        CHECK "SGDT limit", rax, ROM_GDT_LIMIT
        CHECK "SGDT stores a 64-bit base", qword [ROM_USER + 2], ROM_GDT
        mov eax, 5
        mov cr8, rax
        mov rbx, cr8
        CHECK "CR8 holds the task priority", rbx, 5
        xor eax, eax
        mov cr8, rax

        ; canonical addresses
        mov rbx, 0x0000800000000000
        EXPECT_EXC "non-canonical data address: #GP(0)", 13, 0
        mov rax, [rbx]
        END_EXPECT
        mov rbx, 0xffff7fffffffffff
        EXPECT_EXC "non-canonical, high: #GP(0)", 13, 0
        mov al, [rbx]
        END_EXPECT
        mov rbp, 0x0000800000000000
        EXPECT_EXC "non-canonical RBP-based address: #SS(0)", 12, 0
        mov rax, [rbp]
        END_EXPECT
        mov rbx, 0x00007ffffffffffc
        EXPECT_EXC "an access that crosses the canonical boundary: #GP(0)", 13, 0
        mov rax, [rbx]
        END_EXPECT
        ; a non-canonical RSP: the #SS handler runs on IST1
        or byte [LM_IDT + 12 * 16 + 4], 1
        mov rbx, rsp
        EXPECT_EXC "PUSH with a non-canonical RSP: #SS(0)", 12, 0, bad_push
        mov rsp, 0x8000000000001000
bad_push:
        push rax
        EXPECT_RESUME
        mov rsp, rbx
        EXPECT_CHECK
        mov eax, [ROM_EXC_ESP]
        CHECK "the #SS frame was on IST1", rax, LM_IST1 - 40
        mov rax, 0x8000000000001000
        CHECK "the #SS frame holds the bad RSP", qword [LM_IST1 - 16], rax

        ; FS and GS bases from their MSRs
        mov qword [0x30008], 0x5a5a
        mov ecx, MSR_FS_BASE
        mov eax, 0x30000
        xor edx, edx
        wrmsr
        CHECK "FS base from IA32_FS_BASE", qword [fs:8], 0x5a5a
        mov ds, [rel null_sel]
        CHECK "a null DS still works in 64-bit mode", qword [0x30008], 0x5a5a

        ; compatibility-mode code between 64-bit code
        jmp dword far [rel to_compat]
        ROM_MODE p32
compat: mov ebx, esp
        push eax
        sub ebx, esp
        pop eax
        mov ecx, 1
        db 0x41                         ; INC ECX here; a REX prefix in 64-bit mode
        mov edx, ecx
        EXPECT_EXC "compatibility mode: #UD through the 64-bit IDT", 6, ROM_NOERR
        ud2
        END_EXPECT
        jmp SEL_KCODE64:ROM_LIN(back64)
        ROM_MODE l64
back64: CHECK "compatibility mode: PUSH moves ESP by 4", rbx, 4
        CHECK "compatibility mode: 41h is INC ECX", rdx, 2
        xor eax, eax
        mov ax, cs
        CHECK "back in 64-bit mode", rax, SEL_KCODE64

        ; out of IA-32e mode: compatibility mode, CR0.PG off, legacy tables
        jmp dword far [rel to_legacy]
        ROM_MODE p32
legacy: mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr0
        and eax, ~(1 << 31)
        mov cr0, eax
        lidt [cs:rom_idtr]
        mov ecx, MSR_EFER
        rdmsr
        CHECK_MASKED "EFER.LMA clear after CR0.PG", eax, EFER_LMA, 0
        ROM_FINISH

rom_id:         db 'lmOK'
null_sel:       dw 0
to_compat:      dd compat                 ; SEL_CODE32 has base ROM_BASE
                dw SEL_CODE32
to_legacy:      dd legacy
                dw SEL_CODE32
        LM_END
        ROM_END
