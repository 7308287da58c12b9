; SPDX-License-Identifier: MIT
; Code and stack limits and the accessed bit (SDM 3A §5.3, §6.12, SDM 2 JMP,
; CALL, RET, PUSH): branches and fall-through past the CS limit (#GP(0) at
; the instruction, nothing pushed), an IDT gate whose offset is beyond the
; target's limit, stack pushes below an expand-down SS limit and past an
; expand-up one (#SS(0), registers unchanged), 16-bit stacks wrapping SP,
; conforming code with DPL > CPL, and the accessed bit set by segment loads.

        cpu 386
%include "rom.inc"

SEL_LIM         equ 0x80                ; 32-bit code, base F0000, limit = lim_end - 1
SEL_STKDOWN     equ 0x88                ; DPL 3 expand-down stack, limit 0x8fff, B=1
SEL_STK16       equ 0x90                ; DPL 3 16-bit stack (B=0), base 0x20000
SEL_ACC         equ 0x98                ; data with the accessed bit clear
SEL_CONF3       equ 0xa0                ; conforming code, DPL 3
SEL_STKUP       equ 0xa8                ; DPL 3 expand-up stack, base 0, limit 0x8fff

        ROM_START
        ENTER_PM32
        SET_DESC SEL_LIM, ROM_BASE, lim_end - 1, ACC_CODE, FLG_D
        SET_DESC SEL_STKDOWN, 0, 0x8fff, ACC_DATA_DOWN | ACC_DPL3, FLG_D
        SET_DESC SEL_STK16, 0x20000, 0xffff, ACC_DATA | ACC_DPL3, 0
        SET_DESC SEL_ACC, 0, 0xfffff, ACC_DATA, FLG_G | FLG_D
        SET_DESC SEL_CONF3, ROM_BASE, 0xffff, ACC_CODE_CONF | ACC_DPL3, FLG_D
        SET_DESC SEL_STKUP, 0, 0x8fff, ACC_DATA | ACC_DPL3, FLG_D

        PRINTLN "-- the accessed bit"
        CHECK_MASKED "a fresh descriptor: accessed clear", dword [ROM_GDT + SEL_ACC + 4], 0x100, 0
        mov ebx, SEL_ACC
        lar eax, ebx
        verr bx
        CHECK_MASKED "LAR and VERR leave it clear", dword [ROM_GDT + SEL_ACC + 4], 0x100, 0
        mov es, bx
        CHECK_MASKED "MOV ES sets it", dword [ROM_GDT + SEL_ACC + 4], 0x100, 0x100
        mov ax, SEL_DATA
        mov es, ax

        PRINTLN "-- CS limit"
        ; The library lies beyond SEL_LIM's limit: each test arms in
        ; SEL_CODE32, faults in SEL_LIM, resumes there and comes back.
%macro LIM_TEST 3                       ; name, code to enter, faulting instruction
        EXPECT_EXC %1, 13, 0, %3
        mov ebp, esp
        jmp SEL_LIM:%2
        EXPECT_RESUME
        jmp SEL_CODE32:%%back
%%back: EXPECT_CHECK
%endmacro
        LIM_TEST "JMP beyond the CS limit: #GP(0) at the JMP", t_jmp, t_jmp
        LIM_TEST "CALL beyond the CS limit: #GP(0) at the CALL", t_call, t_call
        mov eax, esp
        CHECK "  ... nothing pushed", eax, ebp
        push dword beyond_lim
        LIM_TEST "RET to beyond the CS limit: #GP(0) at the RET", t_ret, t_ret
        mov eax, esp
        CHECK "  ... the return address not popped", eax, ebp
        add esp, 4
        LIM_TEST "fall-through into an instruction crossing the limit: #GP(0)", before_end, straddle
        SET_IDT_GATE 0x40, SEL_LIM, beyond_lim, GATE_INT32
        EXPECT_EXC "INT n to a gate offset beyond the target's limit: #GP(0)", 13, 0
        int 0x40
        END_EXPECT
        push dword SEL_LIM
        push dword beyond_lim
        EXPECT_EXC "RETF to an offset beyond the target's limit: #GP(0)", 13, 0
        retf
        END_EXPECT
        add esp, 8
        EXPECT_EXC "JMP far to conforming code with DPL 3 > CPL 0: #GP(sel)", 13, SEL_CONF3
        jmp SEL_CONF3:t_jmp
        END_EXPECT

        PRINTLN "-- stack limits"
        ; At ring 3, so that each #SS is delivered on the ring-0 stack; the
        ; library's calls need a good stack, so each test arms first, then
        ; loads the small SS, and restores SS:ESP (EBP) before the verdict.
        TO_RING 3
        mov ax, SEL_LIB
        mov ds, ax
        mov ebp, esp
        mov ax, SEL_STKDOWN | 3
        mov ss, ax
        mov esp, 0x9008
        push eax
        push eax
        mov ebx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        CHECK "expand-down SS: pushes down to limit + 1", ebx, 0x9000
        EXPECT_EXC "expand-down SS: push below the limit: #SS(0)", 12, 0, push_below
        mov ax, SEL_STKDOWN | 3
        mov ss, ax
        mov esp, 0x9000
push_below:
        push eax
        EXPECT_RESUME
        mov ebx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        EXPECT_CHECK
        CHECK "  ... ESP unchanged", ebx, 0x9000
        EXPECT_EXC "PUSHAD crossing the expand-down limit: #SS(0)", 12, 0, pushad_below
        mov ax, SEL_STKDOWN | 3
        mov ss, ax
        mov esp, 0x9010
pushad_below:
        pushad
        EXPECT_RESUME
        mov ebx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        EXPECT_CHECK
        CHECK "  ... ESP unchanged", ebx, 0x9010
        EXPECT_EXC "far CALL whose second push crosses the limit: #SS(0)", 12, 0, call_below
        mov ax, SEL_STKDOWN | 3
        mov ss, ax
        mov esp, 0x9004
call_below:
        call SEL_CODE3:ring_nowhere
        EXPECT_RESUME
        mov ebx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        EXPECT_CHECK
        CHECK "  ... ESP unchanged", ebx, 0x9004
        EXPECT_EXC "expand-up SS: dword push ending past the limit: #SS(0)", 12, 0, push_past
        mov ax, SEL_STKUP | 3
        mov ss, ax
        mov esp, 0x9002
push_past:
        push dword 0
        EXPECT_RESUME
        mov ebx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        EXPECT_CHECK
        CHECK "  ... ESP unchanged", ebx, 0x9002
        EXPECT_EXC "expand-up SS: POP at ESP = limit + 1: #SS(0)", 12, 0, pop_past
        mov ax, SEL_STKUP | 3
        mov ss, ax
        mov esp, 0x9000
pop_past:
        pop eax
        EXPECT_RESUME
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        EXPECT_CHECK
        mov ax, SEL_STK16 | 3
        mov ss, ax
        mov esp, 0x12340000
        push dword 0xcafebabe
        mov ebx, esp
        pop eax
        mov ecx, esp
        mov ax, SEL_DATA3
        mov ss, ax
        mov esp, ebp
        CHECK "16-bit SS: PUSH wraps SP, upper ESP kept", ebx, 0x1234fffc
        CHECK "  ... the dword at SS:FFFC", dword [0x2fffc], 0xcafebabe
        CHECK "  ... POP wraps SP back", ecx, 0x12340000
        TO_RING0
        ROM_FINISH

ring_nowhere:
        FAILED "a far CALL that should fault went through"
        ROM_FINISH

; SEL_LIM's code: its limit ends inside the 5-byte MOV at `straddle`
t_jmp:  jmp beyond_lim
t_call: call beyond_lim
t_ret:  ret
before_end:
        nop
        nop
straddle:
        mov eax, 0x12345678
lim_end equ straddle + 2
beyond_lim:
        FAILED "code beyond the CS limit ran"
        ROM_FINISH
        ROM_END
