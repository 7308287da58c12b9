; SPDX-License-Identifier: MIT
; Debug registers (SDM 3A chapter 17): an instruction breakpoint (a #DB
; fault; the handler returns with RF so the instruction runs once), data
; write and read/write breakpoints of every length with the length
; alignment, several hits in one instruction, a REP MOVSD stopped after the
; iteration that touched the breakpoint, linear (not physical) matching
; under paging, I/O breakpoints with CR4.DE,
; single-step with TF, DR6 as each #DB handler sees it, and DR7.GD general
; detect on the next MOV DR.

        cpu 686
%include "rom.inc"
%include "paging.inc"

DATA            equ 0x20000             ; the watched variables
TF              equ 1 << 8
RF              equ 1 << 16
DR6_INIT        equ 0xffff0ff0
DR6_BD          equ 1 << 13
DR6_BS          equ 1 << 14
DR7_GD          equ 1 << 13
; DR7 enable and R/W-LEN bits of breakpoint n (local enable)
%define DR7_BP(n, rw, len) ((1 << (2 * (n))) | (((rw) | ((len) << 2)) << (16 + 4 * (n))))
RW_EXEC         equ 0
RW_WRITE        equ 1
RW_IO           equ 2
RW_ACCESS       equ 3
LEN1            equ 0
LEN2            equ 1
LEN8            equ 2
LEN4            equ 3

; what the test's #DB handler records (ROM_USER)
DB_COUNT        equ ROM_USER + 0x00     ; #DB taken
DB_DR6          equ ROM_USER + 0x04     ; DR6 at the last one
DB_EIP          equ ROM_USER + 0x08     ; its saved EIP
DB_ECX          equ ROM_USER + 0x0c     ; ECX and EDI then
DB_EDI          equ ROM_USER + 0x10
DB_SET_RF       equ ROM_USER + 0x14     ; nonzero: return with RF set
DB_CLEAR_TF     equ ROM_USER + 0x18     ; nonzero: return with TF clear
DB_EIPS         equ ROM_USER + 0x20     ; the saved EIPs of the first 8

; DB_RESET -- clears the record and DR6.
%macro DB_RESET 0
        push eax
        push edi
        push ecx
        mov edi, ROM_USER
        mov ecx, 0x40 / 4
        xor eax, eax
        rep stosd
        mov eax, DR6_INIT
        mov dr6, eax
        pop ecx
        pop edi
        pop eax
%endmacro
; SET_DR n, value
%macro SET_DR 2
        push eax
        mov eax, %2
        mov dr%1, eax
        pop eax
%endmacro

        ROM_START
        ENTER_PM32
        SET_IDT_GATE 1, SEL_CODE32, db_handler, GATE_INT32
        mov eax, dr7
        CHECK "DR7 after reset", eax, 0x400
        mov eax, dr6
        CHECK "DR6 after reset", eax, DR6_INIT

        ; ---- instruction breakpoint; RF lets it run on return ----
        DB_RESET
        mov dword [DB_SET_RF], 1
        SET_DR 0, ROM_LIN(bp_insn)
        SET_DR 7, DR7_BP(0, RW_EXEC, LEN1)
        xor ebx, ebx
        mov ecx, 2
bp_insn:
        inc ebx
        loop bp_insn
        SET_DR 7, 0
        CHECK "instruction breakpoint: one #DB per execution", dword [DB_COUNT], 2
        CHECK "... a fault: saved EIP is the instruction", dword [DB_EIP], bp_insn
        CHECK "... DR6 = B0", dword [DB_DR6], DR6_INIT | 1
        CHECK "with RF the instruction ran after each #DB", ebx, 2

        RESTORE_IDT_GATE 1
        SET_DR 1, ROM_LIN(bp_lib)
        SET_DR 7, DR7_BP(1, RW_EXEC, LEN1)
        EXPECT_EXC "instruction breakpoint through the library stub", 1, ROM_NOERR
bp_lib: inc ebx
        END_EXPECT
        SET_DR 7, 0
        CHECK "the breakpointed INC did not run", ebx, 2
        mov eax, dr6
        CHECK_MASKED "DR6 = B1", eax, 0xf, 2
        SET_IDT_GATE 1, SEL_CODE32, db_handler, GATE_INT32

        ; ---- data write breakpoint, 4 bytes ----
        DB_RESET
        SET_DR 1, DATA
        SET_DR 7, DR7_BP(1, RW_WRITE, LEN4)
        mov eax, [DATA]
        mov [DATA + 4], eax
        mov [DATA - 4], eax
        CHECK "reads and writes beside it do not trap", dword [DB_COUNT], 0
        mov [DATA + 2], ax
wr1:    CHECK "a write overlapping it traps", dword [DB_COUNT], 1
        CHECK "... after the instruction", dword [DB_EIP], wr1
        CHECK "... DR6 = B1", dword [DB_DR6], DR6_INIT | 2
        mov [DATA - 1], ax
        CHECK "a misaligned write reaching its first byte", dword [DB_COUNT], 2
        push ebx
        mov ebx, DATA - 4
        mov dword [ebx + 7], 0
        pop ebx
        CHECK "a write reaching its last byte", dword [DB_COUNT], 3

        ; ---- read/write breakpoint, 1 byte ----
        DB_RESET
        SET_DR 2, DATA + 0x10
        SET_DR 7, DR7_BP(2, RW_ACCESS, LEN1)
        mov al, [DATA + 0x10]
rd1:    CHECK "a read/write breakpoint traps on a read", dword [DB_COUNT], 1
        CHECK "... after the instruction", dword [DB_EIP], rd1
        CHECK "... DR6 = B2", dword [DB_DR6], DR6_INIT | 4
        mov eax, [DATA + 0xe]
        CHECK "a dword read covering it", dword [DB_COUNT], 2
        add [DATA + 0x10], al
        CHECK "a read-modify-write traps once", dword [DB_COUNT], 3
        mov eax, [DATA + 0x11]
        CHECK "the next byte does not", dword [DB_COUNT], 3

        ; ---- length 8 and length alignment ----
        DB_RESET
        SET_DR 3, DATA + 0x20
        SET_DR 0, DATA + 0x33                   ; LEN 4: aligned down to DATA + 0x30
        SET_DR 7, DR7_BP(3, RW_WRITE, LEN8) | DR7_BP(0, RW_WRITE, LEN4)
        mov byte [DATA + 0x27], 1
        CHECK "LEN 8 covers its eighth byte", dword [DB_COUNT], 1
        CHECK "... DR6 = B3", dword [DB_DR6], DR6_INIT | 8
        mov byte [DATA + 0x28], 1
        CHECK "... and not the ninth", dword [DB_COUNT], 1
        mov byte [DATA + 0x30], 1
        CHECK "DR0 = +33 with LEN 4 watches +30", dword [DB_COUNT], 2
        CHECK "... DR6 = B0", dword [DB_DR6], DR6_INIT | 1

        ; ---- two breakpoints in one instruction ----
        DB_RESET
        SET_DR 0, DATA + 0x40
        SET_DR 1, DATA + 0x41
        SET_DR 7, DR7_BP(0, RW_WRITE, LEN1) | DR7_BP(1, RW_ACCESS, LEN1)
        mov word [DATA + 0x40], 0
        CHECK "one #DB for two breakpoints", dword [DB_COUNT], 1
        CHECK "... DR6 = B0 | B1", dword [DB_DR6], DR6_INIT | 3
        SET_DR 0, ROM_STACK - 0x100 - 4
        SET_DR 7, DR7_BP(0, RW_WRITE, LEN4)
        mov ebx, esp
        mov esp, ROM_STACK - 0x100
        push eax
        mov esp, ebx
        CHECK "a PUSH onto a watched stack slot traps", dword [DB_COUNT], 2

        ; ---- REP MOVSD: trap after the iteration ----
        DB_RESET
        SET_DR 0, DATA + 0x108                  ; the third destination dword
        SET_DR 7, DR7_BP(0, RW_WRITE, LEN4)
        mov esi, DATA + 0x200
        mov edi, DATA + 0x100
        mov ecx, 8
rep1:   rep movsd
        CHECK "REP MOVSD: one #DB", dword [DB_COUNT], 1
        CHECK "... rIP on the REP MOVSD: it resumes", dword [DB_EIP], rep1
        CHECK "... after the third iteration: ECX = 5", dword [DB_ECX], 5
        CHECK "... EDI past the third dword", dword [DB_EDI], DATA + 0x10c
        CHECK "... then it completed", ecx, 0
        DB_RESET
        SET_DR 2, DATA + 0x204                  ; the second source dword
        SET_DR 7, DR7_BP(2, RW_ACCESS, LEN4)
        mov esi, DATA + 0x200
        mov edi, DATA + 0x100
        mov ecx, 8
        rep movsd
        CHECK "a read breakpoint on the source: ECX = 6 at the trap", dword [DB_ECX], 6
        CHECK "... DR6 = B2", dword [DB_DR6], DR6_INIT | 4

        ; ---- I/O breakpoints (CR4.DE) ----
        DB_RESET
        mov eax, cr4
        or eax, CR4_DE
        mov cr4, eax
        mov eax, cr4
        CHECK_MASKED "CR4.DE is writable", eax, CR4_DE, CR4_DE
        SET_DR 0, 0x80
        SET_DR 3, 0x84
        SET_DR 7, DR7_BP(0, RW_IO, LEN1) | DR7_BP(3, RW_IO, LEN2)
        mov al, 0
        out 0x80, al
io1:    CHECK "OUT to the port traps", dword [DB_COUNT], 1
        CHECK "... after the instruction", dword [DB_EIP], io1
        CHECK "... DR6 = B0", dword [DB_DR6], DR6_INIT | 1
        in al, 0x80
        CHECK "IN from it too", dword [DB_COUNT], 2
        out 0x81, al
        CHECK "the next port does not", dword [DB_COUNT], 2
        mov dx, 0x85
        in al, dx
        CHECK "LEN 2 at 0x84 covers 0x85", dword [DB_COUNT], 3
        CHECK "... DR6 = B3", dword [DB_DR6], DR6_INIT | 8
        SET_DR 7, 0
        mov eax, cr4
        and eax, ~CR4_DE
        mov cr4, eax

        ; ---- single-step ----
        DB_RESET
        xor ebx, ebx
        pushfd
        or dword [esp], TF
        popfd
ss1:    inc ebx
ss2:    inc ebx
ss3:    pushfd
ss4:    and dword [esp], ~TF
ss5:    popfd
ss6:    CHECK "TF: a trap after each instruction, POPF clearing TF included", dword [DB_COUNT], 5
        CHECK "... the first after the instruction that follows POPF", dword [DB_EIPS], ss2
        CHECK "... the second after the first INC", dword [DB_EIPS + 4], ss3
        CHECK "... the third after PUSHFD", dword [DB_EIPS + 8], ss4
        CHECK "... the fourth after AND", dword [DB_EIPS + 12], ss5
        CHECK "... the last after the POPF", dword [DB_EIPS + 16], ss6
        CHECK "... DR6 = BS", dword [DB_DR6], DR6_INIT | DR6_BS
        CHECK "the stepped code ran", ebx, 2
        DB_RESET
        mov dword [DB_CLEAR_TF], 1
        SET_DR 0, DATA
        SET_DR 7, DR7_BP(0, RW_WRITE, LEN1)
        pushfd
        or dword [esp], TF
        popfd
        mov [DATA], al
        SET_DR 7, 0
        CHECK "single-step and a data breakpoint: one #DB", dword [DB_COUNT], 1
        CHECK "... DR6 = BS | B0", dword [DB_DR6], DR6_INIT | DR6_BS | 1

        ; ---- breakpoint addresses are linear ----
        DB_RESET
        PG_BUILD32
        mov dword [PTE32(0x400000)], DATA | PG_P | PG_RW    ; a second view of DATA
        SET_DR 0, 0x400500
        SET_DR 7, DR7_BP(0, RW_WRITE, LEN4)
        PG_ON PG_PD, 0
        mov dword [DATA + 0x500], 1
        CHECK "paging: the same bytes through another linear address do not trap", dword [DB_COUNT], 0
        mov dword [0x400500], 2
        CHECK "paging: the watched linear address traps", dword [DB_COUNT], 1
        CHECK "... it wrote the shared frame", dword [DATA + 0x500], 2
        PG_OFF
        SET_DR 7, 0

        ; ---- general detect ----
        RESTORE_IDT_GATE 1
        DB_RESET
        SET_DR 7, DR7_GD
        EXPECT_EXC "DR7.GD: MOV from DR0 faults with #DB", 1, ROM_NOERR
        mov eax, dr0
        END_EXPECT
        mov eax, dr6
        CHECK_MASKED "... DR6.BD set", eax, DR6_BD, DR6_BD
        mov eax, dr7
        CHECK_MASKED "... DR7.GD cleared for the handler", eax, DR7_GD, 0
        SET_DR 6, 0
        mov eax, dr6
        CHECK "DR6 write: fixed bits stay", eax, DR6_INIT

        ROM_FINISH

; The test's #DB handler: records the exception, then returns, with RF or
; without TF when asked. [esp] after the pushes: ds, eax, EIP, CS, EFLAGS.
db_handler:
        push eax
        push ds
        mov ax, SEL_DATA
        mov ds, ax
        inc dword [DB_COUNT]
        mov eax, dr6
        mov [DB_DR6], eax
        mov eax, [esp + 8]
        mov [DB_EIP], eax
        mov [DB_ECX], ecx
        mov [DB_EDI], edi
        push ebx
        mov ebx, [DB_COUNT]
        cmp ebx, 8
        ja .full
        mov [DB_EIPS + ebx * 4 - 4], eax
.full:  pop ebx
        cmp dword [DB_SET_RF], 0
        je .no_rf
        or dword [esp + 16], RF
.no_rf: cmp dword [DB_CLEAR_TF], 0
        je .keep_tf
        and dword [esp + 16], ~TF
.keep_tf:
        mov eax, DR6_INIT
        mov dr6, eax
        pop ds
        pop eax
        iretd

        ROM_END
