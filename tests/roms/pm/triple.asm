; SPDX-License-Identifier: MIT
; A protected-mode triple fault (SDM 3A §6.15, interrupt 8): #GP whose gate
; is not present raises #NP, which becomes #DF, whose gate is also missing:
; the CPU shuts down. Run with -no-reboot, Kestrel then exits with status 0
; and says so on stderr; if the CPU carried on, the ROM exits FAIL.

        cpu 386
%include "rom.inc"

        ROM_START
        ENTER_PM32
        SET_IDT_GATE 13, SEL_CODE32, rom_vec_13, GATE_INT32 & ~0x8000
        SET_IDT_GATE 11, SEL_CODE32, rom_vec_11, GATE_INT32 & ~0x8000
        SET_IDT_GATE 8, SEL_CODE32, rom_vec_8, GATE_INT32 & ~0x8000
        PRINTLN "triple fault next"
        mov ax, 0x1238                  ; beyond the GDT limit: #GP
        mov ds, ax
        FAILED "no shutdown after #GP -> #NP -> #DF -> #NP"
        ROM_FINISH
        ROM_END
