; SPDX-License-Identifier: MIT
; More task switching (SDM 3A chapter 7, §17.3.1.5): tasks that start at
; ring 3 and in virtual-8086 mode, a task with its own LDT, task-gate
; privilege checks (JMP/CALL and INT n), IRET to a back link that is not
; busy (#TS), INT n from V86 through a task gate and IRET back into V86,
; and the T bit of a task returned to by IRET, alone and with a TF single
; step out of the IRET.

        cpu 386
%include "rom.inc"

TSS_R3          equ 0x3000
TSS_V86         equ 0x3100
TSS_LDT         equ 0x3200
TSS_B           equ 0x3300
SEL_TR3         equ 0x80                ; task at ring 3
SEL_TV86        equ 0x88                ; V86 task
SEL_TLDT        equ 0x90                ; task with an LDT
SEL_TB          equ 0x98                ; plain ring-0 task (IRETs back)
SEL_LDTD        equ 0xa0                ; LDT at ROM_LDT
SEL_TGATE0      equ 0xa8                ; task gate DPL 0 -> SEL_TB
SEL_TGATE3      equ 0xb0                ; task gate DPL 3 -> SEL_TB
LSEL_DATA       equ 0x04                ; LDT data, base 0x40000
V_TG0           equ 0x50                ; IDT task gate DPL 0 -> SEL_TB
V_TG3           equ 0x51                ; IDT task gate DPL 3 -> SEL_TB
EFL_TF          equ 0x100
EFL_NT          equ 0x4000
EFL_VM          equ 0x20000
DR6_BS          equ 0x4000
DR6_BT          equ 0x8000
T_CS            equ ROM_USER + 0x00
T_DS            equ ROM_USER + 0x04
T_LDTR          equ ROM_USER + 0x08
B_RUNS          equ ROM_USER + 0x0c
B_TF            equ ROM_USER + 0x10     ; nonzero: task B sets TF before its IRET
B_V86_EFLAGS    equ ROM_USER + 0x14     ; TSS_V86's saved EFLAGS, as task B saw it
T_CS_AFTER      equ ROM_USER + 0x18     ; the V86 task's CS after task B's IRET

        ROM_START
        ENTER_PM32
        SET_DESC SEL_TR3, TSS_R3, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TV86, TSS_V86, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TLDT, TSS_LDT, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TB, TSS_B, 0x67, ACC_TSS32, 0
        SET_DESC SEL_LDTD, ROM_LDT, 0x7, ACC_LDT, 0
        SET_DESC LSEL_DATA, 0x40000, 0xffff, ACC_DATA, 0
        SET_GDT_GATE SEL_TGATE0, SEL_TB, 0, GATE_TASK
        SET_GDT_GATE SEL_TGATE3, SEL_TB, 0, GATE_TASK | GATE_DPL3
        SET_IDT_GATE V_TG0, SEL_TB, 0, GATE_TASK
        SET_IDT_GATE V_TG3, SEL_TB, 0, GATE_TASK | GATE_DPL3

        PRINTLN "-- a ring-3 task"
        mov edi, TSS_R3
        mov eax, task_r3
        mov ebx, ROM_STACK3
        call init_tss32
        mov dword [TSS_R3 + 0x4c], SEL_CODE3
        mov dword [TSS_R3 + 0x50], SEL_DATA3
        mov dword [TSS_R3 + 0x54], SEL_DATA3
        mov dword [TSS_R3 + 0x48], SEL_DATA3
        mov dword [TSS_R3 + 0x58], SEL_DATA3
        mov dword [TSS_R3 + 0x5c], SEL_DATA3
        call SEL_TR3:0
        CHECK "the task ran at CPL 3 (CS from its TSS)", dword [T_CS], SEL_CODE3
        clts

        PRINTLN "-- a V86 task"
        mov edi, TSS_V86
        mov eax, task_v86
        mov ebx, 0x5000
        call init_tss32
        mov dword [TSS_V86 + 0x24], 0x2 | EFL_VM | 0x3000
        mov dword [TSS_V86 + 0x4c], 0xf000
        mov dword [TSS_V86 + 0x50], 0
        mov dword [TSS_V86 + 0x54], 0x0123
        mov dword [TSS_V86 + 0x48], 0
        mov dword [TSS_V86 + 0x58], 0
        mov dword [TSS_V86 + 0x5c], 0
        mov dword [TSS_V86 + 0x04], 0xe000      ; ESP0 and SS0 for its #DE
        mov dword [TSS_V86 + 0x08], SEL_DATA
        SET_IDT_GATE 0, SEL_CODE32, v86_task_exit, GATE_INT32
        call init_b
        jmp SEL_TV86:0
v86_task_back:                          ; the V86 task's #DE jumps back to us here
        RESTORE_IDT_GATE 0
        CHECK "V86 task: CS = F000", dword [T_CS], 0xf000
        CHECK "V86 task: DS = 0123 (real-mode selector from the TSS)", dword [T_DS], 0x0123
        CHECK "V86 INT n through a DPL 3 IDT task gate ran task B", dword [B_RUNS], 1
        CHECK_MASKED "  ... the V86 task was saved with EFLAGS.VM", dword [B_V86_EFLAGS], 0x20000, 0x20000
        CHECK "  ... and IRET resumed it in V86 mode (its CS after)", dword [T_CS_AFTER], 0xf000
        clts

        PRINTLN "-- a task with an LDT"
        mov edi, TSS_LDT
        mov eax, task_ldt
        mov ebx, 0xc000
        call init_tss32
        mov word [TSS_LDT + 0x60], SEL_LDTD
        mov dword [TSS_LDT + 0x54], LSEL_DATA
        mov dword [0x40010], 0x1d71d7
        call SEL_TLDT:0
        CHECK "LDTR loaded from the TSS", dword [T_LDTR], SEL_LDTD
        CHECK "DS is an LDT selector, loaded after the LDT", dword [T_DS], 0x1d71d7
        sldt ax
        movzx eax, ax
        CHECK "the caller's LDTR (0) is back after IRET", eax, 0
        clts

        PRINTLN "-- task gate privilege"
        call init_b
        call SEL_TGATE0:0
        CHECK "CALL through a DPL 0 task gate at CPL 0", dword [B_RUNS], 1
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        EXPECT_EXC "ring 3 CALL through a DPL 0 task gate: #GP(gate)", 13, SEL_TGATE0
        call SEL_TGATE0:0
        END_EXPECT
        EXPECT_EXC "ring 3 INT n to a DPL 0 IDT task gate: #GP(vector*8+2)", 13, V_TG0 * 8 + 2
        int V_TG0
        END_EXPECT
        TO_RING0
        call init_b
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        call SEL_TGATE3:0
        CHECK "ring 3 CALL through a DPL 3 task gate", dword [B_RUNS], 1
        TO_RING0
        clts

        PRINTLN "-- IRET to a back link"
        call init_b
        mov dword [B_RUNS], 100         ; task B: IRET with a bad back link
        EXPECT_EXC "IRET to a back link whose TSS is not busy: #TS(link)", 10, SEL_TR3, ROM_ANY
        call SEL_TB:0
        EXPECT_RESUME
        ; the fault belongs to task B (before the commit): mend its link, IRET
        ; to the main task, which resumes after its CALL, right here
        str ax
        cmp ax, SEL_TB
        jne .main
        mov word [TSS_B], SEL_TSS
        iretd
.main:  EXPECT_CHECK
        clts

        PRINTLN "-- T bit on IRET"
        call init_b
        mov word [ROM_TSS + 0x64], 1    ; the main task's T bit
        xor eax, eax
        mov dr6, eax
        EXPECT_EXC "IRET back to a task with the T bit: #DB", 1, ROM_NOERR, iret_t_next
        call SEL_TB:0
iret_t_next:
        END_EXPECT
        mov eax, dr6
        CHECK_MASKED "  ... DR6: BT only", eax, DR6_BS | DR6_BT, DR6_BT
        call init_b
        mov dword [B_TF], 1
        xor eax, eax
        mov dr6, eax
        mov esi, [ROM_EXC_COUNT]
        EXPECT_EXC "IRET with TF back to a task with the T bit: #DB", 1, ROM_NOERR, iret_tf_next
        call SEL_TB:0
iret_tf_next:
        END_EXPECT
        mov eax, dr6
        CHECK_MASKED "  ... DR6: BT and BS in one #DB", eax, DR6_BS | DR6_BT, DR6_BS | DR6_BT
        mov eax, [ROM_EXC_COUNT]
        sub eax, esi
        CHECK "  ... one #DB only", eax, 1
        mov word [ROM_TSS + 0x64], 0
        pushfd
        and dword [esp], ~EFL_TF
        popfd
        xor eax, eax
        mov dr6, eax
        ROM_FINISH

v86_task_exit:
        jmp SEL_TSS:0

task_r3:
        xor eax, eax
        mov ax, cs
        mov [T_CS], eax
        iretd

task_ldt:
        mov ebx, [0x10]                 ; through DS = the LDT segment
        sldt ax
        movzx eax, ax
        push ds
        push dword SEL_LIB
        pop ds
        mov [T_LDTR], eax
        mov [T_DS], ebx
        pop ds
        iretd

; task B: counts runs; run 100 breaks its back link first; B_TF: IRET with TF
task_b:
        inc dword [B_RUNS]
        mov eax, [TSS_V86 + 0x24]
        mov [B_V86_EFLAGS], eax
        cmp dword [B_RUNS], 101
        jne .link_ok
        mov word [TSS_B], SEL_TR3       ; an available (not busy) TSS
.link_ok:
        cmp dword [B_TF], 0
        je .iret
        mov dword [B_TF], 0
        pushfd
        or dword [esp], EFL_TF
        popfd
.iret:  iretd
        jmp task_b

; fresh 32-bit TSS at EDI: EIP EAX, ESP EBX, flat ring-0 segments
init_tss32:
        push eax
        push edi
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        pop edi
        pop eax
        mov [edi + 0x20], eax
        mov dword [edi + 0x24], 2
        mov [edi + 0x38], ebx
        mov dword [edi + 0x48], SEL_DATA
        mov dword [edi + 0x4c], SEL_CODE32
        mov dword [edi + 0x50], SEL_DATA
        mov dword [edi + 0x54], SEL_DATA
        mov dword [edi + 0x58], SEL_DATA
        mov dword [edi + 0x5c], SEL_DATA
        mov word [edi + 0x66], 0x68
        ret
init_b:
        mov dword [B_RUNS], 0
        mov dword [B_TF], 0
        mov edi, TSS_B
        mov eax, task_b
        mov ebx, 0xd000
        jmp init_tss32

        ROM_MODE r16
task_v86:
        mov ax, cs
        movzx eax, ax
        mov bx, ds
        movzx ebx, bx
        xor cx, cx
        mov ds, cx
        mov [T_CS], eax
        mov [T_DS], ebx
        int V_TG3                       ; IOPL 3: through the IDT, a task gate
        mov ax, cs
        movzx eax, ax
        mov [T_CS_AFTER], eax
        xor cx, cx
        div cx                          ; #DE: to v86_task_exit, still in this task
        ROM_END
