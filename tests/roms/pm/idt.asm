; SPDX-License-Identifier: MIT
; Interrupts and exceptions through the IDT (SDM 3A chapter 6): interrupt
; vs trap gates (IF), the flags a gate clears (TF, NT), frames with and
; without a stack switch, INT n/INT3/INTO privilege checks (#GP with the IDT
; error code), the IDT limit, not-present gates, bad gate targets, the
; hardware exceptions' vectors and error codes (EXT bit included), a
; contributory fault while delivering a fault (#DF) and a benign one
; (no #DF).

        cpu 386
%include "rom.inc"

V_INT           equ 0x40                ; interrupt gate, DPL 3 -> flags_handler
V_TRAP          equ 0x41                ; trap gate, DPL 3 -> flags_handler
V_LIB           equ 0x42                ; the library's gate (DPL 0)
V_NP            equ 0x43                ; not present
V_NULLSEL       equ 0x44                ; gate with a null selector
V_DATASEL       equ 0x45                ; gate whose selector is a data segment
V_CODENP        equ 0x46                ; gate to a not-present code segment
CODE_NP         equ 0x80
EFL_IF          equ 0x200
EFL_TF          equ 0x100
EFL_NT          equ 0x4000
EFL_AC          equ 0x40000
SAVED_FLAGS     equ ROM_USER + 0x00     ; EFLAGS seen inside flags_handler
SAVED_ESP       equ ROM_USER + 0x04     ; ESP inside flags_handler

        ROM_START
        ENTER_PM32
        SET_IDT_GATE V_INT, SEL_CODE32, flags_handler, GATE_INT32 | GATE_DPL3
        SET_IDT_GATE V_TRAP, SEL_CODE32, flags_handler, GATE_TRAP32 | GATE_DPL3
        SET_IDT_GATE V_NP, SEL_CODE32, flags_handler, GATE_INT32 & ~0x8000
        SET_IDT_GATE V_NULLSEL, 0, flags_handler, GATE_INT32
        SET_IDT_GATE V_DATASEL, SEL_DATA, flags_handler, GATE_INT32
        SET_DESC CODE_NP, ROM_BASE, 0xffff, ACC_CODE & ~ACC_P, FLG_D
        SET_IDT_GATE V_CODENP, CODE_NP, flags_handler, GATE_INT32

        PRINTLN "-- gates and flags"
        sti                             ; nothing raises IRQs on this machine
        int V_INT
        CHECK_MASKED "interrupt gate clears IF", dword [SAVED_FLAGS], EFL_IF, 0
        CHECK_FLAGS "IRET restores IF", EFL_IF, EFL_IF
        int V_TRAP
        CHECK_MASKED "trap gate keeps IF", dword [SAVED_FLAGS], EFL_IF, EFL_IF
        cli
        pushfd
        or dword [esp], EFL_NT
        popfd
        int V_TRAP
        pushfd
        pop ebx
        push ebx
        and dword [esp], ~EFL_NT        ; clear NT before any IRET of ours
        popfd
        CHECK_MASKED "gate clears NT in the handler", dword [SAVED_FLAGS], EFL_NT, 0
        CHECK_MASKED "IRET restores NT", ebx, EFL_NT, EFL_NT
        mov ebp, esp
        int V_INT
        mov eax, ebp
        sub eax, [SAVED_ESP]
        CHECK "same-ring gate: 12-byte frame, no stack switch", eax, 12
        EXPECT_EXC "INT n: vector, no error code, EIP after INT", V_LIB, ROM_NOERR, int_next
        int V_LIB
int_next:
        END_EXPECT
        CHECK "INT n: saved CS", dword [ROM_EXC_CS], SEL_CODE32
        EXPECT_EXC "INT3: vector 3, EIP after it", 3, ROM_NOERR, int3_next
        int3
int3_next:
        END_EXPECT
        mov al, 0x7f
        add al, 1                       ; OF = 1
        EXPECT_EXC "INTO with OF=1: vector 4, EIP after it", 4, ROM_NOERR, into_next
        into
into_next:
        END_EXPECT

        PRINTLN "-- gate checks"
        EXPECT_EXC "not-present gate: #NP(vector*8+2)", 11, V_NP * 8 + 2
        int V_NP
        END_EXPECT
        EXPECT_EXC "gate with null selector: #GP(0)", 13, 0
        int V_NULLSEL
        END_EXPECT
        EXPECT_EXC "gate to a data segment: #GP(sel)", 13, SEL_DATA
        int V_DATASEL
        END_EXPECT
        EXPECT_EXC "gate to not-present code: #NP(sel)", 11, CODE_NP
        int V_CODENP
        END_EXPECT
        mov word [ROM_USER + 0x10], V_LIB * 8 - 1
        mov dword [ROM_USER + 0x12], ROM_IDT
        lidt [ROM_USER + 0x10]
        EXPECT_EXC "vector beyond the IDT limit: #GP(vector*8+2)", 13, 0x50 * 8 + 2
        int 0x50
        END_EXPECT
        lidt [cs:rom_idtr]

        PRINTLN "-- ring 3"
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        mov ebp, esp
        int V_INT
        CHECK "ring 3 INT n, DPL 3 gate: frame on the TSS.ESP0 stack", dword [SAVED_ESP], ROM_STACK0 - 20
        EXPECT_EXC "ring 3 INT n, DPL 0 gate: #GP(vector*8+2)", 13, V_LIB * 8 + 2
        int V_LIB
        END_EXPECT
        EXPECT_EXC "ring 3 INT3, DPL 0 gate: #GP(3*8+2)", 13, 3 * 8 + 2
        int3
        END_EXPECT
        mov al, 0x7f
        add al, 1
        EXPECT_EXC "ring 3 INTO, DPL 0 gate: #GP(4*8+2)", 13, 4 * 8 + 2
        into
        END_EXPECT
        EXPECT_EXC "ring 3 INT1 (F1) ignores the gate DPL: #DB", 1, ROM_NOERR, icebp_next
        db 0xf1
icebp_next:
        END_EXPECT
        EXPECT_EXC "ring 3 CLI with IOPL 0: #GP(0)", 13, 0
        cli
        END_EXPECT
        EXPECT_EXC "ring 3 HLT: #GP(0)", 13, 0
        hlt
        END_EXPECT
        TO_RING0

        PRINTLN "-- exceptions"
        xor ecx, ecx
        EXPECT_EXC "DIV by 0: #DE at the DIV", 0, ROM_NOERR
        div ecx
        END_EXPECT
        mov dword [ROM_USER + 0x20], 10
        mov dword [ROM_USER + 0x24], 20
        mov eax, 30
        EXPECT_EXC "BOUND out of range: #BR", 5, ROM_NOERR
        bound eax, [ROM_USER + 0x20]
        END_EXPECT
        EXPECT_EXC "UD2: #UD", 6, ROM_NOERR
        ud2
        END_EXPECT
        EXPECT_EXC "LOCK NOP: #UD", 6, ROM_NOERR
        db 0xf0, 0x90
        END_EXPECT
        call has_ac
        jnz .fpu                        ; the 80386 model has no x87 at all
        PASSED "80386 model (no x87): #NM not tested"
        jmp .no_fpu
.fpu:   mov eax, cr0
        mov ebx, eax
        or eax, 8                       ; CR0.TS
        mov cr0, eax
        EXPECT_EXC "FPU instruction with CR0.TS: #NM", 7, ROM_NOERR
        fnop
        END_EXPECT
        mov cr0, ebx
.no_fpu:
        EXPECT_EXC "MOV to CR1: #UD", 6, ROM_NOERR
        mov cr1, eax
        END_EXPECT
        call check_ac

        PRINTLN "-- double fault"
        SET_IDT_GATE 6, SEL_CODE32, rom_vec_6, GATE_INT32 & ~0x8000
        EXPECT_EXC "#UD with its gate not present: #NP(6*8+2+EXT), no #DF", 11, 6 * 8 + 3
        ud2
        END_EXPECT
        RESTORE_IDT_GATE 6
        SET_IDT_GATE 13, SEL_CODE32, rom_vec_13, GATE_INT32 & ~0x8000
        EXPECT_EXC "#GP with its gate not present: #DF(0)", 8, 0, ROM_ANY
        mov ax, 0x1238
        mov ds, ax
        END_EXPECT
        RESTORE_IDT_GATE 13
        mov ax, SEL_DATA
        mov ds, ax
        SET_IDT_GATE 11, SEL_CODE32, rom_vec_11, GATE_INT32 & ~0x8000
        EXPECT_EXC "#NP with its gate not present: #DF(0)", 8, 0, ROM_ANY
        int V_NP
        END_EXPECT
        RESTORE_IDT_GATE 11
        SET_IDT_GATE 0, 0, 0, GATE_INT32
        EXPECT_EXC "#DE whose gate has a null selector: #DF(0)", 8, 0, ROM_ANY
        xor ecx, ecx
        div ecx
        END_EXPECT
        RESTORE_IDT_GATE 0
        ROM_FINISH

; #AC needs CR0.AM and EFLAGS.AC at CPL 3 (486 and later: the 80386 has no AC flag)
; ZF=0 if EFLAGS.AC can be set (486 and later)
has_ac:
        push eax
        pushfd
        or dword [esp], EFL_AC
        popfd
        pushfd
        pop eax
        push eax
        and dword [esp], ~EFL_AC
        popfd
        test eax, EFL_AC
        pop eax
        ret

check_ac:
        call has_ac
        jnz .has_ac
        PASSED "no EFLAGS.AC (80386): #AC not tested"
        ret
.has_ac:
        pushfd
        or dword [esp], EFL_AC
        popfd
        mov eax, cr0
        or eax, 1 << 18                 ; CR0.AM
        mov cr0, eax
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        EXPECT_EXC "ring 3 misaligned dword with AM and AC: #AC(0)", 17, 0
        mov eax, [ROM_USER + 1]
        END_EXPECT
        TO_RING0
        mov eax, cr0
        and eax, ~(1 << 18)
        mov cr0, eax
        pushfd
        and dword [esp], ~EFL_AC
        popfd
        ret

flags_handler:
        push eax
        mov eax, [esp + 12]             ; the frame's EFLAGS ...
        pushfd                          ; ... and the handler's own
        pop eax
        push ds
        push dword SEL_DATA
        pop ds
        mov [SAVED_FLAGS], eax
        lea eax, [esp + 8]
        mov [SAVED_ESP], eax
        pop ds
        pop eax
        iretd
        ROM_END
