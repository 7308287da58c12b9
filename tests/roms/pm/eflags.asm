; SPDX-License-Identifier: MIT
; The privileged EFLAGS bits (SDM 2 POPF, IRET, CLI/STI; SDM 3A §20.2.5,
; §20.3): POPF(D) and IRET at CPL > IOPL leave IF and IOPL alone without a
; fault, CPL <= IOPL may change IF but only CPL 0 changes IOPL, PUSHFD
; clears VM and RF in its image, and in virtual-8086 mode at IOPL 3 POPF
; keeps IOPL; with VME, INT n redirected through the V86 IVT (pushing IF =
; VIF and IOPL 3), IOPL 3 ignoring the redirection bitmap for the IVT, and
; POPF/IRET with TF set at IOPL < 3 (#GP).

        cpu 586
%include "rom.inc"

EFL_TF          equ 0x100
EFL_IF          equ 0x200
EFL_IOPL        equ 0x3000
EFL_IOPL1       equ 0x1000
EFL_RF          equ 0x10000
EFL_VM          equ 0x20000
EFL_VIF         equ 0x80000
EFL_ID          equ 0x200000
CR4_VME         equ 1
V_REDIR         equ 0x66                ; redirection bit clear
V_NOREDIR       equ 0x67                ; redirection bit set
V86_ESP         equ ROM_USER + 0x00
IVT_FLAGS       equ ROM_USER + 0x04     ; FLAGS image the V86 IVT handler saw pushed
IVT_RUNS        equ ROM_USER + 0x08
V86_FLAGS       equ ROM_USER + 0x0c
PM_RUNS         equ ROM_USER + 0x10

        ROM_START
        ENTER_PM32
        SET_IDT_GATE 0, SEL_CODE32, v86_exit, GATE_INT32
        SET_IDT_GATE V_NOREDIR, SEL_CODE32, pm_int_handler, GATE_INT32 | GATE_DPL3
        SET_IDT_GATE V_REDIR, SEL_CODE32, pm_int_handler, GATE_INT32 | GATE_DPL3

        PRINTLN "-- POPF and IRET by privilege"
        pushfd
        pop eax
        or eax, EFL_RF
        push eax
        popfd
        pushfd
        pop eax
        CHECK_MASKED "PUSHFD: RF reads 0 in the image", eax, EFL_RF | EFL_VM, 0
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        pushfd
        or dword [esp], EFL_IF | EFL_IOPL
        popfd
        pushfd
        pop eax
        CHECK_MASKED "ring 3, IOPL 0: POPFD leaves IF and IOPL, no fault", eax, EFL_IF | EFL_IOPL, 0
        pushfd
        or dword [esp], EFL_IF | EFL_IOPL
        push dword SEL_CODE3
        push dword .after_iret
        iretd
.after_iret:
        pushfd
        pop eax
        CHECK_MASKED "ring 3, IOPL 0: IRET leaves IF and IOPL", eax, EFL_IF | EFL_IOPL, 0
        TO_RING0
        pushfd
        or dword [esp], EFL_IOPL1
        popfd
        TO_RING 1
        mov ax, SEL_LIB
        mov ds, ax
        pushfd
        or dword [esp], EFL_IF | EFL_IOPL
        popfd
        pushfd
        pop eax
        CHECK_MASKED "ring 1, IOPL 1: POPFD sets IF, keeps IOPL 1", eax, EFL_IF | EFL_IOPL, EFL_IF | EFL_IOPL1
        cli
        PASSED "ring 1, IOPL 1: CLI allowed"
        TO_RING0
        pushfd
        and dword [esp], ~EFL_IOPL
        popfd
        pushfd
        pop eax
        CHECK_MASKED "ring 0: POPFD changes IOPL", eax, EFL_IOPL, 0

        PRINTLN "-- V86 at IOPL 3"
        mov dword [V_REDIR * 4], 0xf0000000 + ivt_handler
        mov dword [V_NOREDIR * 4], 0xf0000000 + ivt_handler
        mov eax, v86_iopl3
        mov ebx, 0x2 | EFL_IOPL
        call enter_v86
        CHECK_MASKED "V86 IOPL 3: PUSHFD image has VM and RF clear", dword [V86_FLAGS], EFL_VM | EFL_RF, 0
        CHECK "V86 IOPL 3 without VME: INT n went to the protected-mode handler", dword [PM_RUNS], 1

        call has_vme
        jnz .vme
        PASSED "no CPUID VME (80386 model): VME details not tested"
        ROM_FINISH
.vme:   PRINTLN "-- VME"
        ; interrupt redirection bitmap below an I/O bitmap moved to +88
        mov esi, ROM_TSS + 0x68
        mov edi, ROM_TSS + 0x88
        mov ecx, 0x21
        rep movsb
        mov edi, ROM_TSS + 0x68
        mov ecx, 0x20
        xor eax, eax
        rep stosb
        or byte [ROM_TSS + 0x68 + V_NOREDIR / 8], 1 << (V_NOREDIR & 7)
        mov word [ROM_TSS + 0x66], 0x88
        SET_DESC SEL_TSS, ROM_TSS, 0xa8, ACC_TSS32, 0
        mov ax, SEL_TSS
        ltr ax
        mov eax, cr4
        or eax, CR4_VME
        mov cr4, eax
        mov dword [PM_RUNS], 0
        mov eax, v86_vme_iopl3
        mov ebx, 0x2 | EFL_IOPL
        call enter_v86
        CHECK "VME, IOPL 3, bit clear: INT n through the V86 IVT", dword [IVT_RUNS], 1
        CHECK "VME, IOPL 3, bit set: INT n to the protected-mode handler", dword [PM_RUNS], 1
        mov dword [IVT_RUNS], 0
        mov eax, v86_vme_iopl0
        mov ebx, 0x2 | EFL_VIF
        call enter_v86
        CHECK "VME, IOPL 0, bit clear: INT n through the V86 IVT", dword [IVT_RUNS], 1
        CHECK_MASKED "  ... pushed FLAGS: IF = VIF (1), IOPL 3", dword [IVT_FLAGS], EFL_IF | EFL_IOPL, EFL_IF | EFL_IOPL
        mov eax, 2
        call load_eflags
        mov eax, cr4
        and eax, ~CR4_VME
        mov cr4, eax
        ROM_FINISH

; EFLAGS = EAX through IRET at CPL 0, which also loads VIF and VIP
load_eflags:
        push eax
        push dword SEL_CODE32
        push dword .next
        iretd
.next:  ret

has_vme:
        pushfd
        pop eax
        mov ecx, eax
        xor eax, EFL_ID
        push eax
        popfd
        pushfd
        pop eax
        xor eax, ecx
        test eax, EFL_ID
        jz .no
        mov eax, 1
        cpuid
        test edx, 2
        ret
.no:    cmp eax, eax
        ret

; enters V86 at F000:EAX with EFLAGS EBX | VM, SS:SP 0:5000; DS=ES=FS=GS=0
enter_v86:
        mov [V86_ESP], esp
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword 0x5000
        or ebx, EFL_VM
        push ebx
        push dword 0xf000
        push eax
        iretd
v86_exit:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [V86_ESP]
        ret

pm_int_handler:
        push ds
        push dword SEL_DATA
        pop ds
        inc dword [PM_RUNS]
        pop ds
        iretd

        ROM_MODE r16
ivt_handler:
        push bp
        mov bp, sp
        push eax
        movzx eax, word [bp + 6]        ; the pushed FLAGS
        mov [IVT_FLAGS], eax
        inc dword [IVT_RUNS]
        pop eax
        pop bp
        iret

v86_iopl3:
        pushfd
        pop eax
        mov [V86_FLAGS], eax
        pushf
        and word [esp], ~EFL_IOPL
        popf
        pushf
        pop ax
        movzx eax, ax
        CHECK_MASKED "V86 IOPL 3: POPF cannot change IOPL", eax, EFL_IOPL, EFL_IOPL
        int V_REDIR
        xor cx, cx
        div cx

v86_vme_iopl3:
        int V_REDIR
        int V_NOREDIR
        xor cx, cx
        div cx

v86_vme_iopl0:
        int V_REDIR
        push word EFL_TF | 0x2
        EXPECT_EXC "VME, IOPL 0: POPF setting TF: #GP(0)", 13, 0
        popf
        END_EXPECT
        add sp, 2
        pushf
        push cs
        push word .next
        or word [esp + 4], EFL_TF
        EXPECT_EXC "VME, IOPL 0: IRET setting TF: #GP(0)", 13, 0
        iret
        END_EXPECT
.next:  add sp, 6
        xor cx, cx
        div cx
        ROM_END
