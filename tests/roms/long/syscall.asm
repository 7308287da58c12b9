; SPDX-License-Identifier: MIT
; Privilege changes in 64-bit mode: IRETQ to ring 3; SYSCALL to LSTAR with
; RCX/R11 and FMASK, SYSRET back (and its #GP(0) at ring 0 for a
; non-canonical RCX); SWAPGS and RDTSCP; a 64-bit call gate from ring 3 to
; ring 0 on RSP0 and RETFQ back; 64-bit IDT gates with IST stacks, with and
; without a privilege change; IRETQ to ring-3 compatibility code.

%define ROM_LONG
%include "rom.inc"
%include "long.inc"

SC_CS           equ ROM_USER + 0x00     ; qwords the SYSCALL entry records
SC_SS           equ ROM_USER + 0x08
SC_RCX          equ ROM_USER + 0x10
SC_R11          equ ROM_USER + 0x18
IST_RSP         equ ROM_USER + 0x20     ; what the IST handler saw
IST_SS          equ ROM_USER + 0x28
IST_RIP         equ ROM_USER + 0x30

        ROM_START
        ENTER_PM32
        LM_SETUP
        LM_ENTER
        PRINTLN "64-bit mode, ring 0"
        mov ecx, MSR_STAR
        xor eax, eax
        mov edx, STAR_VALUE_HI
        wrmsr
        mov ecx, MSR_LSTAR
        mov eax, ROM_LIN(syscall_entry)
        xor edx, edx
        wrmsr
        mov ecx, MSR_FMASK
        mov eax, 0x200 | 0x400          ; IF, DF
        xor edx, edx
        wrmsr
        mov ecx, MSR_TSC_AUX
        mov eax, 0x1234
        xor edx, edx
        wrmsr
        LM_SET_GATE64 LM_IDT + 16 * 0x40, SEL_KCODE64, ROM_LIN(ist_handler - $$), GATE_INT64 | 0x6000 | 2
        LM_SET_GATE64 LM_IDT + 16 * 0x41, SEL_KCODE64, ROM_LIN(ist_handler - $$), GATE_INT64 | 1

        ; an IST gate without a privilege change
        mov rbx, rsp
        int 0x41
        mov rcx, rsp
        CHECK "IST1 at ring 0: the handler's RSP", qword [IST_RSP], LM_IST1 - 40
        CHECK "IST1 at ring 0: SS unchanged", qword [IST_SS], SEL_KDATA
        CHECK "IST1 at ring 0: RSP restored by IRETQ", rcx, rbx

        ; the GS base and SWAPGS at ring 0
        mov ecx, MSR_GS_BASE
        mov eax, 0x31000
        xor edx, edx
        wrmsr
        mov ecx, MSR_KGS_BASE
        mov eax, 0x32000
        wrmsr
        mov qword [0x31000], 1
        mov qword [0x32000], 2
        CHECK "GS base from IA32_GS_BASE", qword [gs:0], 1
        swapgs
        CHECK "SWAPGS: GS base from KERNEL_GS_BASE", qword [gs:0], 2
        mov ecx, MSR_KGS_BASE
        rdmsr
        CHECK "SWAPGS: KERNEL_GS_BASE holds the old base", rax, 0x31000
        swapgs

        LM_TO_RING3
        PRINTLN "ring 3"
        xor eax, eax
        mov ax, cs
        CHECK "IRETQ to ring 3: CS", rax, SEL_UCODE64
        mov ax, ss
        CHECK "IRETQ to ring 3: SS", rax, SEL_UDATA

        ; SYSCALL / SYSRET
        mov eax, 41
        std
        syscall
after_syscall:
        pushfq
        pop rbx
        cld
        CHECK "SYSRET: RAX from the kernel", rax, 42
        CHECK_MASKED "SYSRET: RFLAGS from R11 (DF back)", rbx, 0x400, 0x400
        xor eax, eax
        mov ax, cs
        CHECK "SYSRET: CS = STAR[63:48] + 16, RPL 3", rax, SEL_UCODE64
        mov ax, ss
        CHECK "SYSRET: SS = STAR[63:48] + 8, RPL 3", rax, SEL_UDATA
        CHECK "SYSCALL: CS = STAR[47:32]", qword [SC_CS], SEL_KCODE64
        CHECK "SYSCALL: SS = STAR[47:32] + 8", qword [SC_SS], SEL_KDATA
        CHECK "SYSCALL: RCX = the next RIP", qword [SC_RCX], ROM_LIN(after_syscall)
        CHECK_MASKED "SYSCALL: R11 = RFLAGS (DF set)", qword [SC_R11], 0x400, 0x400

        rdtscp
        CHECK "RDTSCP at ring 3: ECX = TSC_AUX", rcx, 0x1234
        EXPECT_EXC "SWAPGS at ring 3: #GP(0)", 13, 0
        swapgs
        END_EXPECT

        ; an IST gate from ring 3
        int 0x40
after_int:
        CHECK "IST2 from ring 3: the handler's RSP", qword [IST_RSP], LM_IST2 - 40
        CHECK "IST2 from ring 3: null SS", qword [IST_SS], 0
        CHECK "IST2 from ring 3: saved RIP", qword [IST_RIP], ROM_LIN(after_int)

        ; a 64-bit call gate to ring 0 and RETFQ back
        mov rbx, rsp
        call far [rel gate_ptr]
        mov rcx, rsp
        CHECK "call gate: ring-0 CS", qword [LM_GATE_CS], SEL_KCODE64
        CHECK "call gate: RSP0 minus four slots", qword [LM_GATE_RSP], LM_RSP0 - 32
        CHECK "RETFQ: the ring-3 stack back", rcx, rbx
        xor eax, eax
        mov ax, ss
        CHECK "RETFQ: SS back", rax, SEL_UDATA

        ; IRETQ to compatibility code at ring 3 and back to ring 0
        LM_TO_RING0
        PRINTLN "ring 0 again"
        push qword SEL_UDATA
        push qword LM_STACK3
        push qword 0x3002
        push qword SEL_UCODE32
        push qword ROM_LIN(compat3)
        iretq
        bits 32
compat3:
        mov ebx, esp
        xor eax, eax
        mov ax, cs
        int LM_VEC_RING0
        bits 64
        mov ebx, ebx
        CHECK "IRETQ to ring-3 compatibility code: ESP", rbx, LM_STACK3
        CHECK "IRETQ to ring-3 compatibility code: CS", rax, SEL_UCODE32

        ; SYSRET to a non-canonical RCX faults at ring 0
        mov rcx, 0x0000800000000000
        mov r11, 0x2
        EXPECT_EXC "SYSRET to a non-canonical RCX: #GP(0) at ring 0", 13, 0
        o64 sysret
        END_EXPECT
        xor eax, eax
        mov ax, cs
        CHECK "still ring 0", rax, SEL_KCODE64
        ROM_FINISH

syscall_entry:                          ; ring 0, on the ring-3 stack
        mov qword [SC_CS], 0
        mov [SC_CS], cs
        mov qword [SC_SS], 0
        mov [SC_SS], ss
        mov [SC_RCX], rcx
        mov [SC_R11], r11
        inc eax
        o64 sysret

ist_handler:
        mov [IST_RSP], rsp
        mov rax, [rsp]
        mov [IST_RIP], rax
        mov qword [IST_SS], 0
        mov [IST_SS], ss
        iretq

gate_ptr:       dq 0
                dw SEL_GATE64
        LM_END
        ROM_END
