; SPDX-License-Identifier: MIT
; Hardware task switching (SDM 3A chapter 7): JMP/CALL to a TSS and through
; a task gate, INT n and an exception through IDT task gates (error code on
; the new task's stack), IRET with NT, busy bits, NT and the back link
; (table 7-2), registers saved and reloaded, 16- and 32-bit TSSes, the
; checks on the new TSS (#TS, #NP, #GP for a busy task), the I/O permission
; bitmap, and the T bit's #DB, alone and together with a TF single step
; (one #DB with DR6.BT and DR6.BS, §17.3.1.5).

        cpu 386
%include "rom.inc"

TSS_A           equ 0x3000
TSS_B           equ 0x3100
TSS_C           equ 0x3200              ; T bit set
TSS_16          equ 0x3300
TSS_GP          equ 0x3400
SEL_TA          equ 0x80
SEL_TB          equ 0x88
SEL_TC          equ 0x90
SEL_T16         equ 0x98
SEL_TGP         equ 0xa0
SEL_TGATE       equ 0xa8                ; task gate -> SEL_TA
SEL_TSMALL      equ 0xb0                ; 32-bit TSS with limit 0x60
SEL_TNP         equ 0xb8                ; 32-bit TSS, not present
V_TASK          equ 0x50                ; IDT task gate -> SEL_TA
EFL_TF          equ 0x100
EFL_NT          equ 0x4000
DR6_BS          equ 0x4000
DR6_BT          equ 0x8000

A_RUNS          equ ROM_USER + 0x00
A_FLAGS         equ ROM_USER + 0x04
A_TR            equ ROM_USER + 0x08
A_EAX           equ ROM_USER + 0x0c
A_ESP           equ ROM_USER + 0x10
B_RUNS          equ ROM_USER + 0x14
GP_ERR          equ ROM_USER + 0x18
GP_ESP          equ ROM_USER + 0x1c
T16_AX          equ ROM_USER + 0x20
T16_TR          equ ROM_USER + 0x24
T16_FLAGS       equ ROM_USER + 0x28
DR6_SEEN        equ ROM_USER + 0x2c
TR_SEEN         equ ROM_USER + 0x30

; the TSS type (9 available, B busy, 1/3 for 16-bit) of `sel` into EAX
%macro TSS_TYPE 1
        mov eax, %1
        lar eax, eax
        shr eax, 8
        and eax, 0x0f
%endmacro

; TDB_TEST "name", sel, tss base, TF (0/1), expected DR6 & (BS|BT), first EIP:
; switches with JMP and expects #DB before the new task's first instruction;
; the stub resumes in the new task, which records DR6 and TR, clears TF in
; the main task's saved EFLAGS and jumps back to it.
%macro TDB_TEST 6
        xor eax, eax
        mov dr6, eax
        EXPECT_EXC %1, 1, ROM_NOERR, %6
  %if %4
        pushfd
        or dword [esp], EFL_TF
        popfd
  %endif
        jmp %2:0
        EXPECT_RESUME
        str ax
        cmp ax, %2
        jne %%main
        movzx eax, ax
        mov [TR_SEEN], eax
        mov eax, dr6
        mov [DR6_SEEN], eax
        and dword [ROM_TSS + 0x24], ~EFL_TF
        jmp SEL_TSS:0
%%main: pushfd
        and dword [esp], ~EFL_TF
        popfd
        EXPECT_CHECK
        CHECK "  ... #DB taken in the new task", dword [TR_SEEN], %2
        CHECK_MASKED "  ... DR6 BS/BT", dword [DR6_SEEN], DR6_BS | DR6_BT, %5
        clts
%endmacro

        ROM_START
        ENTER_PM32
        SET_DESC SEL_TA, TSS_A, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TB, TSS_B, 0x67, ACC_TSS32, 0
        SET_DESC SEL_TC, TSS_C, 0x67, ACC_TSS32, 0
        SET_DESC SEL_T16, TSS_16, 0x2b, ACC_TSS16, 0
        SET_DESC SEL_TGP, TSS_GP, 0x67, ACC_TSS32, 0
        SET_GDT_GATE SEL_TGATE, SEL_TA, 0, GATE_TASK
        SET_DESC SEL_TSMALL, TSS_B, 0x60, ACC_TSS32, 0
        SET_DESC SEL_TNP, TSS_B, 0x67, ACC_TSS32 & ~ACC_P, 0
        SET_IDT_GATE V_TASK, SEL_TA, 0, GATE_TASK

        PRINTLN "-- JMP to a TSS"
        call init_a
        mov ebx, 0x12345678
        jmp SEL_TA:0
        CHECK "main task's EBX restored from its TSS", ebx, 0x12345678
        CHECK "task A ran once", dword [A_RUNS], 1
        CHECK "task A: TR = its TSS", dword [A_TR], SEL_TA
        CHECK "task A: EAX loaded from the TSS", dword [A_EAX], 0xa1a1a1a1
        CHECK "task A: ESP loaded from the TSS", dword [A_ESP], 0xb000
        CHECK_MASKED "JMP: NT clear in the new task", dword [A_FLAGS], EFL_NT, 0
        CHECK "JMP: no back link written", dword [TSS_A], 0
        CHECK "task A saved its EIP at its JMP back", dword [TSS_A + 0x20], task_a.back
        TSS_TYPE SEL_TA
        CHECK "JMP away from task A cleared its busy bit", eax, 9
        smsw ax
        and eax, 8
        CHECK "a task switch sets CR0.TS", eax, 8
        clts
        EXPECT_EXC "JMP to the running (busy) task: #GP(sel)", 13, SEL_TSS
        jmp SEL_TSS:0
        END_EXPECT
        EXPECT_EXC "TSS limit below 0x67: #TS(sel)", 10, SEL_TSMALL
        jmp SEL_TSMALL:0
        END_EXPECT
        EXPECT_EXC "TSS not present: #NP(sel)", 11, SEL_TNP
        jmp SEL_TNP:0
        END_EXPECT

        PRINTLN "-- CALL and IRET"
        call init_b
        call SEL_TB:0
        CHECK "task B ran", dword [B_RUNS], 1
        CHECK "CALL: back link = the caller's TSS", dword [TSS_B], SEL_TSS
        TSS_TYPE SEL_TB
        CHECK "IRET out of task B cleared its busy bit", eax, 9
        CHECK_FLAGS "main task's NT clear after IRET", EFL_NT, 0
        call SEL_TB:0
        CHECK "task B resumed after its IRET on the second CALL", dword [B_RUNS], 2
        clts
        call init_a
        call SEL_TGATE:0
        CHECK "CALL through a task gate reaches task A", dword [A_RUNS], 1
        CHECK_MASKED "CALL: NT set in the new task", dword [A_FLAGS], EFL_NT, EFL_NT
        CHECK "CALL: task A's back link", dword [TSS_A], SEL_TSS
        call init_a
        int V_TASK
        CHECK "INT n through an IDT task gate", dword [A_RUNS], 1
        CHECK_MASKED "INT n task gate: NT set", dword [A_FLAGS], EFL_NT, EFL_NT
        call init_gp
        SET_IDT_GATE 13, SEL_TGP, 0, GATE_TASK
        mov ax, 0x1238
        mov ds, ax                      ; #GP(0x1238): the handler task resumes us below
gp_resume:
        RESTORE_IDT_GATE 13
        CHECK "#GP through a task gate: error code on the new task's stack", dword [GP_ERR], 0x1238
        CHECK "  ... pushed on the TSS's ESP", dword [GP_ESP], 0xd000 - 4
        clts

        PRINTLN "-- 16-bit TSS"
        call init_16
        mov eax, 0xdead0000
        call SEL_T16:0
        CHECK_MASKED "16-bit task: AX from the TSS", dword [T16_AX], 0xffff, 0x1616
        CHECK "16-bit task: TR", dword [T16_TR], SEL_T16
        CHECK_MASKED "16-bit task: NT set by CALL", dword [T16_FLAGS], EFL_NT, EFL_NT
        CHECK_MASKED "16-bit task: back link", dword [TSS_16], 0xffff, SEL_TSS
        CHECK_MASKED "16-bit task: IP saved at its IRET", dword [TSS_16 + 0x0e], 0xffff, task_16.back
        TSS_TYPE SEL_T16
        CHECK "16-bit TSS available again (type 1)", eax, 1
        clts

        PRINTLN "-- I/O permission bitmap"
        TO_RING 3
        EXPECT_EXC "ring 3 IN from port 0x80 (bitmap bit set): #GP(0)", 13, 0
        in al, 0x80
        END_EXPECT
        EXPECT_EXC "ring 3 word IN at 0xE8 (0xE8 denied, 0xE9 open): #GP(0)", 13, 0
        in ax, 0xe8
        END_EXPECT
        mov dx, 0x100
        EXPECT_EXC "ring 3 IN from port 0x100 (beyond the TSS limit): #GP(0)", 13, 0
        in al, dx
        END_EXPECT
        TO_RING0
        and byte [ROM_TSS + 0x68 + 0x80 / 8], ~1
        TO_RING 3
        in al, 0x80
        PASSED "ring 3 IN from port 0x80 once its bit is clear"
        TO_RING0
        or byte [ROM_TSS + 0x68 + 0x80 / 8], 1
        pushfd
        or dword [esp], 0x3000          ; IOPL 3
        popfd
        TO_RING 3
        mov dx, 0x100
        in al, dx
        PASSED "ring 3 with IOPL 3: no bitmap check"
        TO_RING0
        pushfd
        and dword [esp], ~0x3000
        popfd

        PRINTLN "-- T bit and single step"
        call init_c
        TDB_TEST "T bit: #DB before the new task's first instruction", SEL_TC, TSS_C, 0, DR6_BT, task_c
        call init_a
        TDB_TEST "TF across a task switch: single-step #DB in the new task", SEL_TA, TSS_A, 1, DR6_BS, task_a
        call init_c
        TDB_TEST "T bit with TF: one #DB with BT and BS", SEL_TC, TSS_C, 1, DR6_BS | DR6_BT, task_c
        xor eax, eax
        mov dr6, eax
        ROM_FINISH

; task A: records what it sees; returns with IRET when nested, else JMPs back
task_a:
        inc dword [A_RUNS]
        mov [A_EAX], eax
        mov [A_ESP], esp
        pushfd
        pop dword [A_FLAGS]
        str ax
        movzx eax, ax
        mov [A_TR], eax
        test dword [A_FLAGS], EFL_NT
        jz .jmp
        iretd
        jmp task_a
.jmp:   jmp SEL_TSS:0
.back:  jmp task_a

; task B: counts its runs; IRET back to the caller, and on the next CALL
; starts over after the IRET
task_b:
        inc dword [B_RUNS]
        EXPECT_EXC "task B: CALL to the busy caller task: #GP(sel)", 13, SEL_TSS
        call SEL_TSS:0
        END_EXPECT
        iretd
        jmp task_b

; the #GP task: error code on its stack, then resume the main task at gp_resume
task_gp:
        mov eax, [esp]
        mov [GP_ERR], eax
        mov [GP_ESP], esp
        mov dword [ROM_TSS + 0x20], gp_resume
        mov word [ROM_TSS + 0x54], SEL_DATA     ; the main task's DS
        iretd

task_c:
        FAILED "task C ran without the T-bit #DB"
        jmp SEL_TSS:0

task_16:
        mov [T16_AX], eax
        str ax
        movzx eax, ax
        mov [T16_TR], eax
        pushfd
        pop dword [T16_FLAGS]
        iret
.back:  jmp task_16

; fresh 32-bit TSS at EDI: EIP EAX, ESP EBX, EAX = ECX, flat ring-0 segments
init_tss32:
        push eax
        push edi
        push ecx
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        pop ecx
        pop edi
        pop eax
        mov [edi + 0x20], eax
        mov dword [edi + 0x24], 2
        mov [edi + 0x28], ecx
        mov [edi + 0x38], ebx
        mov dword [edi + 0x48], SEL_DATA
        mov dword [edi + 0x4c], SEL_CODE32
        mov dword [edi + 0x50], SEL_DATA
        mov dword [edi + 0x54], SEL_DATA
        mov dword [edi + 0x58], SEL_DATA
        mov dword [edi + 0x5c], SEL_DATA
        mov word [edi + 0x66], 0x68
        ret

init_a:
        mov dword [A_RUNS], 0
        mov edi, TSS_A
        mov eax, task_a
        mov ebx, 0xb000
        mov ecx, 0xa1a1a1a1
        jmp init_tss32
init_b:
        mov dword [B_RUNS], 0
        mov edi, TSS_B
        mov eax, task_b
        mov ebx, 0xb800
        mov ecx, 0xb1b1b1b1
        jmp init_tss32
init_c:
        mov edi, TSS_C
        mov eax, task_c
        mov ebx, 0xc000
        xor ecx, ecx
        call init_tss32
        mov word [TSS_C + 0x64], 1      ; T
        ret
init_gp:
        mov edi, TSS_GP
        mov eax, task_gp
        mov ebx, 0xd000
        xor ecx, ecx
        jmp init_tss32
init_16:
        mov edi, TSS_16
        xor eax, eax
        mov ecx, 0x2c / 4
        rep stosd
        mov word [TSS_16 + 0x0e], task_16
        mov word [TSS_16 + 0x10], 2
        mov word [TSS_16 + 0x12], 0x1616
        mov word [TSS_16 + 0x1a], 0xc800
        mov word [TSS_16 + 0x22], SEL_DATA
        mov word [TSS_16 + 0x24], SEL_CODE32
        mov word [TSS_16 + 0x26], SEL_DATA
        mov word [TSS_16 + 0x28], SEL_DATA
        ret
        ROM_END
