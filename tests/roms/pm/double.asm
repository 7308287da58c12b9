; SPDX-License-Identifier: MIT
; Double faults through a task gate (SDM 3A §6.15 interrupt 8, table 6-5):
; a broken inner stack in the TSS makes the delivery of INT n from ring 3
; fault (#TS for a bad SS0, #SS for an ESP0 that does not fit the frame),
; and the delivery of that fault faults the same way: #DF, which only a
; task gate can still handle. The #DF task sees error code 0 on its stack
; and the faulting task as its back link, mends the TSS and IRETs; the
; INT n then runs again and succeeds.

        cpu 386
%include "rom.inc"

TSS_DF          equ 0x3000
SEL_TDF         equ 0x80
SEL_SMALLSTK    equ 0x88                ; ring-0 stack, limit 0x0fff
V_INT           equ 0x40                ; DPL 3 interrupt gate -> int_handler
DF_RUNS         equ ROM_USER + 0x00
DF_ERR          equ ROM_USER + 0x04
DF_LINK         equ ROM_USER + 0x08
DF_SAVED_EIP    equ ROM_USER + 0x0c
INT_RUNS        equ ROM_USER + 0x10

        ROM_START
        ENTER_PM32
        SET_DESC SEL_TDF, TSS_DF, 0x67, ACC_TSS32, 0
        SET_DESC SEL_SMALLSTK, 0, 0x0fff, ACC_DATA, FLG_D
        SET_IDT_GATE 8, SEL_TDF, 0, GATE_TASK
        SET_IDT_GATE V_INT, SEL_CODE32, int_handler, GATE_INT32 | GATE_DPL3

        PRINTLN "-- #TS while delivering #TS"
        call init_df
        mov word [ROM_TSS + 0x08], SEL_DATA3       ; SS0 with DPL 3
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
int_ts: int V_INT
        TO_RING0
        CHECK "the #DF task ran once", dword [DF_RUNS], 1
        CHECK "  ... #DF error code 0", dword [DF_ERR], 0
        CHECK "  ... back link: the faulting task", dword [DF_LINK], SEL_TSS
        CHECK "  ... which was saved at the INT n", dword [DF_SAVED_EIP], int_ts
        CHECK "INT n ran after the #DF task mended SS0", dword [INT_RUNS], 1
        clts

        PRINTLN "-- #SS while delivering #SS"
        call init_df
        mov dword [INT_RUNS], 0
        mov word [ROM_TSS + 0x08], SEL_SMALLSTK
        mov dword [ROM_TSS + 0x04], 0x0008         ; no room for the 20-byte frame
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
int_ss: int V_INT
        TO_RING0
        CHECK "the #DF task ran once", dword [DF_RUNS], 1
        CHECK "  ... #DF error code 0", dword [DF_ERR], 0
        CHECK "  ... saved at the INT n", dword [DF_SAVED_EIP], int_ss
        CHECK "INT n ran after the #DF task mended ESP0", dword [INT_RUNS], 1
        clts
        ROM_FINISH

int_handler:
        push ds
        push dword SEL_LIB
        pop ds
        inc dword [INT_RUNS]
        pop ds
        iretd

; the #DF task: error code on its stack, back link, then mend the main TSS
task_df:
        inc dword [DF_RUNS]
        mov eax, [esp]
        mov [DF_ERR], eax
        movzx eax, word [TSS_DF]
        mov [DF_LINK], eax
        mov eax, [ROM_TSS + 0x20]
        mov [DF_SAVED_EIP], eax
        mov word [ROM_TSS + 0x08], SEL_DATA
        mov dword [ROM_TSS + 0x04], ROM_STACK0
        iretd
        jmp task_df

init_df:
        mov dword [DF_RUNS], 0
        mov edi, TSS_DF
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        mov dword [TSS_DF + 0x20], task_df
        mov dword [TSS_DF + 0x24], 2
        mov dword [TSS_DF + 0x38], 0xe000
        mov dword [TSS_DF + 0x48], SEL_DATA
        mov dword [TSS_DF + 0x4c], SEL_CODE32
        mov dword [TSS_DF + 0x50], SEL_DATA
        mov dword [TSS_DF + 0x54], SEL_DATA
        mov dword [TSS_DF + 0x58], SEL_DATA
        mov dword [TSS_DF + 0x5c], SEL_DATA
        mov word [TSS_DF + 0x66], 0x68
        ret
        ROM_END
