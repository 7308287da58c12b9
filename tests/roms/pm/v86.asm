; SPDX-License-Identifier: MIT
; Virtual-8086 mode (SDM 3A chapter 20): entered with IRET from ring 0,
; real-mode segment arithmetic at CPL 3, the IOPL-sensitive instructions
; (#GP(0) to the monitor at IOPL < 3), I/O through the TSS bitmap at any
; IOPL, protected-mode-only instructions (#UD), INT n through the IDT at
; IOPL 3 (frame with the data segments, which the handler sees null), and,
; where CPUID reports VME, the VME interrupt redirection bitmap, VIF/VIP and
; the protected-mode virtual interrupts (PVI) at ring 3.

        cpu 586
%include "rom.inc"

V_INT3          equ 0x61                ; DPL 3 interrupt gate -> v86_int_handler
V_INT0          equ 0x62                ; the library's DPL 0 gate
V_REDIR         equ 0x66                ; VME: redirected to the V86 IVT
V_NOREDIR       equ 0x67                ; VME: redirection bit set
EFL_IF          equ 0x200
EFL_IOPL3       equ 0x3000
EFL_VM          equ 0x20000
EFL_VIF         equ 0x80000
EFL_VIP         equ 0x100000
EFL_ID          equ 0x200000
CR4_VME         equ 1
CR4_PVI         equ 2
V86_ESP         equ ROM_USER + 0x00     ; ring-0 ESP saved by enter_v86
H_EFLAGS        equ ROM_USER + 0x04     ; what v86_int_handler saw
H_DS            equ ROM_USER + 0x08
H_SAVED_DS      equ ROM_USER + 0x0c
H_CS            equ ROM_USER + 0x10
REDIR_MARK      equ ROM_USER + 0x14
PUSHF_IMAGE     equ ROM_USER + 0x18
V86_LINEAR      equ 0x10000             ; where V86 code writes through ES=1000

; V86_EXIT -- back to ring 0 after the `call enter_v86` (through #DE's gate)
%macro V86_EXIT 0
        xor cx, cx
        div cx
%endmacro

        ROM_START
        ENTER_PM32
        SET_IDT_GATE 0, SEL_CODE32, v86_exit, GATE_INT32
        SET_IDT_GATE V_INT3, SEL_CODE32, v86_int_handler, GATE_INT32 | GATE_DPL3

        PRINTLN "-- V86 at IOPL 0"
        mov eax, v86_iopl0
        mov ebx, 0x2
        call enter_v86
        CHECK "V86 ES=1000 wrote linear 10000", dword [V86_LINEAR], 0x86868686

        PRINTLN "-- V86 at IOPL 3"
        mov eax, v86_iopl3
        mov ebx, 0x2 | EFL_IOPL3
        call enter_v86
        CHECK_MASKED "INT n from V86: the handler's frame has VM", dword [H_EFLAGS], EFL_VM, EFL_VM
        CHECK "INT n from V86: handler's DS is null", dword [H_DS], 0
        CHECK "INT n from V86: V86 DS saved in the frame", dword [H_SAVED_DS], 0x1234
        CHECK "INT n from V86: saved CS", dword [H_CS], 0xf000

        call has_vme
        jnz vme_tests
        PASSED "no CPUID VME (80386 model): VME and PVI not tested"
        ROM_FINISH

vme_tests:
        PRINTLN "-- VME"
        ; a TSS with an interrupt redirection bitmap: it lies in the 32
        ; bytes below the I/O bitmap, which moves from +68 to +88
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
        mov dword [V_REDIR * 4], 0xf0000000 + v86_redir_handler
        mov eax, cr4
        or eax, CR4_VME
        mov cr4, eax
        mov eax, v86_vme
        mov ebx, 0x2 | EFL_VIF
        call enter_v86
        CHECK "VME: INT n redirected to the V86 IVT handler", dword [REDIR_MARK], 1
        CHECK_MASKED "VME: PUSHF after CLI shows IF = VIF = 0, IOPL 3", dword [PUSHF_IMAGE], EFL_IF | EFL_IOPL3, EFL_IOPL3
        mov eax, v86_vip
        mov ebx, 0x2 | EFL_VIP
        call enter_v86

        mov eax, 0x2                    ; V86_EXIT left VIP set
        call load_eflags

        PRINTLN "-- PVI"
        mov eax, cr4
        and eax, ~CR4_VME
        or eax, CR4_PVI
        mov cr4, eax
        mov eax, 0x2 | EFL_VIF          ; POPF cannot change VIF and VIP: IRET can
        call load_eflags
        TO_RING 3
        cli
        PASSED "PVI: CLI at ring 3 with IOPL 0 does not fault"
        TO_RING0
        pushfd
        pop eax
        CHECK_MASKED "PVI: ring-3 CLI cleared VIF, not IF", eax, EFL_VIF | EFL_IF, 0
        TO_RING 3
        sti
        TO_RING0
        pushfd
        pop eax
        CHECK_MASKED "PVI: ring-3 STI set VIF", eax, EFL_VIF, EFL_VIF
        mov eax, 0x2 | EFL_VIP
        call load_eflags
        TO_RING 3
        EXPECT_EXC "PVI: STI with VIP set: #GP(0)", 13, 0
        sti
        END_EXPECT
        TO_RING0
        mov eax, 0x2
        call load_eflags
        mov eax, cr4
        and eax, ~CR4_PVI
        mov cr4, eax
        ROM_FINISH

; EFLAGS = EAX through IRET at CPL 0, which also loads VIF and VIP
load_eflags:
        push eax
        push dword SEL_CODE32
        push dword .next
        iretd
.next:  ret

; ZF=0 if CPUID exists and reports VME (leaf 1 EDX bit 1)
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

; enters V86 at F000:EAX with EFLAGS EBX | VM, SS:SP 0:5000, DS=ES=FS=GS=0;
; returns when the V86 code runs V86_EXIT
enter_v86:
        mov [V86_ESP], esp
        push dword 0                    ; GS
        push dword 0                    ; FS
        push dword 0                    ; DS
        push dword 0                    ; ES
        push dword 0                    ; SS
        push dword 0x5000               ; ESP
        or ebx, EFL_VM
        push ebx
        push dword 0xf000
        push eax
        iretd
v86_exit:                               ; #DE gate
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, [V86_ESP]
        ret

v86_int_handler:
        push eax
        xor eax, eax
        mov ax, ds
        push dword SEL_DATA
        pop ds
        mov [H_DS], eax
        mov eax, [esp + 12]
        mov [H_EFLAGS], eax
        mov eax, [esp + 8]
        mov [H_CS], eax
        mov eax, [esp + 28]
        mov [H_SAVED_DS], eax
        pop eax
        iretd

        ROM_MODE r16
v86_iopl0:
        mov ax, cs
        movzx eax, ax
        CHECK "V86: CS = F000", eax, 0xf000
        mov ax, 0x1000
        mov es, ax
        mov dword [es:0], 0x86868686
        EXPECT_EXC "V86 IOPL 0: CLI: #GP(0)", 13, 0
        cli
        END_EXPECT
        CHECK_MASKED "  ... the monitor's frame has EFLAGS.VM", dword [ROM_EXC_EFL], EFL_VM, EFL_VM
        CHECK "  ... and CS F000", dword [ROM_EXC_CS], 0xf000
        EXPECT_EXC "V86 IOPL 0: STI: #GP(0)", 13, 0
        sti
        END_EXPECT
        EXPECT_EXC "V86 IOPL 0: PUSHF: #GP(0)", 13, 0
        pushf
        END_EXPECT
        EXPECT_EXC "V86 IOPL 0: POPF: #GP(0)", 13, 0
        popf
        END_EXPECT
        EXPECT_EXC "V86 IOPL 0: INT n: #GP(0)", 13, 0
        int V_INT3
        END_EXPECT
        EXPECT_EXC "V86 IOPL 0: IRET: #GP(0)", 13, 0
        iret
        END_EXPECT
        EXPECT_EXC "V86: HLT: #GP(0)", 13, 0
        hlt
        END_EXPECT
        EXPECT_EXC "V86: MOV EAX, CR0: #GP(0)", 13, 0
        mov eax, cr0
        END_EXPECT
        EXPECT_EXC "V86: LIDT: #GP(0)", 13, 0
        lidt [0x600]
        END_EXPECT
        EXPECT_EXC "V86: IN from a port the bitmap denies: #GP(0)", 13, 0
        in al, 0x80
        END_EXPECT
        EXPECT_EXC "V86: LAR: #UD", 6, ROM_NOERR
        lar ax, bx
        END_EXPECT
        EXPECT_EXC "V86: STR: #UD", 6, ROM_NOERR
        str ax
        END_EXPECT
        EXPECT_EXC "V86: VERR: #UD", 6, ROM_NOERR
        verr ax
        END_EXPECT
        EXPECT_EXC "V86: ARPL: #UD", 6, ROM_NOERR
        arpl ax, bx
        END_EXPECT
        EXPECT_EXC "V86: ESP-based access beyond 64 KiB: #SS(0)", 12, 0, v86_ss_fault
        mov bx, 0x8000
        mov ss, bx
        mov esp, 0x10008
v86_ss_fault:
        mov ax, [esp]
        EXPECT_RESUME
        xor bx, bx
        mov ss, bx
        mov esp, 0x5000
        EXPECT_CHECK
        V86_EXIT

v86_iopl3:
        cli
        sti
        CHECK_FLAGS "V86 IOPL 3: CLI/STI work, IF set", EFL_IF, EFL_IF
        cli
        mov ax, 0x1234
        mov ds, ax
        int V_INT3
        xor ax, ax
        mov ds, ax
        PASSED "V86 IOPL 3: INT n through a DPL 3 gate returned"
        EXPECT_EXC "V86 IOPL 3: INT n through a DPL 0 gate: #GP(vector*8+2)", 13, V_INT0 * 8 + 2
        int V_INT0
        END_EXPECT
        EXPECT_EXC "V86 IOPL 3: IN still checks the bitmap: #GP(0)", 13, 0
        in al, 0x80
        END_EXPECT
        V86_EXIT

v86_vme:
        cli
        PASSED "VME: CLI at IOPL 0 does not fault"
        pushf
        pop ax
        movzx eax, ax
        mov [PUSHF_IMAGE], eax
        sti
        int V_REDIR
        EXPECT_EXC "VME: INT n with its redirection bit set: #GP(0)", 13, 0
        int V_NOREDIR
        END_EXPECT
        V86_EXIT

v86_redir_handler:
        mov dword [REDIR_MARK], 1
        iret

v86_vip:
        EXPECT_EXC "VME: STI with VIP set: #GP(0)", 13, 0
        sti
        END_EXPECT
        V86_EXIT
        ROM_END
