; SPDX-License-Identifier: MIT
; A Multiboot (v1) test kernel: loaded by -kernel through the header's
; address fields (the a.out kludge), it checks the machine state and the
; Multiboot information the loader left (magic, memory sizes, the memory
; map, the command line, the -initrd module), prints one line per check on
; port 0xE9 and exits through port 0xF4: 0x2A (status 85) when all passed.
; Expects -m 16, -append 'multiboot-test arg=42' and module.txt as -initrd.
bits 32
org 0x100000

MB_MAGIC  equ 0x1BADB002
MB_FLAGS  equ (1 << 1) | (1 << 16)      ; memory information; address fields
LOAD_END  equ end_of_image
BSS_END   equ end_of_bss

header:
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd header, header, LOAD_END, BSS_END, start

start:
  mov esp, stack_top
  mov [magic], eax
  mov [mbi], ebx
  pushfd
  pop eax
  mov [eflags], eax

  mov esi, msg_magic
  cmp dword [magic], 0x2BADB002
  call check

  mov esi, msg_state                  ; protected mode, no paging, IF clear
  mov eax, cr0
  and eax, 0x80000001
  cmp eax, 1
  jne .state_bad
  test dword [eflags], 1 << 9
.state_bad:
  call check

  mov ebx, [mbi]
  mov esi, msg_flags                  ; mem, cmdline, mods, mmap
  mov eax, [ebx]
  and eax, 0x4D
  cmp eax, 0x4D
  call check

  mov esi, msg_memory                 ; 639 KiB low, 15 MiB above 1 MiB
  cmp dword [ebx + 4], 639
  jne .mem_bad
  cmp dword [ebx + 8], 15 * 1024
.mem_bad:
  call check

  mov esi, msg_cmdline
  mov edi, [ebx + 16]
  mov ecx, cmdline_len
  mov edx, cmdline
  call compare
  call check

  mov esi, msg_module                 ; one module holding module.txt
  cmp dword [ebx + 20], 1
  jne .mod_bad
  mov eax, [ebx + 24]
  mov edi, [eax]
  test edi, 0xFFF                     ; page-aligned start
  jnz .mod_bad
  mov ecx, [eax + 4]
  sub ecx, edi
  cmp ecx, module_text_len
  jne .mod_bad
  mov edx, module_text
  call compare
.mod_bad:
  call check

  mov esi, msg_mmap                   ; a usable entry of 15 MiB at 1 MiB
  mov edi, [ebx + 48]
  mov ecx, [ebx + 44]
  add ecx, edi
  mov eax, 1                          ; ZF clear until the entry is found
  test eax, eax
.mmap_next:
  cmp edi, ecx
  jae .mmap_done
  cmp dword [edi + 4], 0x100000
  jne .mmap_skip
  cmp dword [edi + 12], 15 * 1024 * 1024
  jne .mmap_skip
  cmp dword [edi + 20], 1
  je .mmap_done
.mmap_skip:
  add edi, [edi]
  add edi, 4
  jmp .mmap_next
.mmap_done:
  call check

  mov esi, msg_bss                    ; the loader zeroed the bss
  mov edi, untouched
  mov ecx, (end_of_bss - untouched) / 4
  xor eax, eax
  repe scasd
  call check

  mov esi, [failures]
  test esi, esi
  jnz .failed
  mov esi, msg_done
  call print
  mov al, 0x2A
  out 0xF4, al
.failed:
  mov al, 1
  out 0xF4, al
  hlt

; Prints "ok: " or "FAIL: " and the message at ESI, by ZF (set = passed).
check:
  pushfd
  push esi
  mov esi, msg_ok
  jz .passed
  inc dword [failures]
  mov esi, msg_fail
.passed:
  call print
  pop esi
  call print
  popfd
  ret

; ZF set when ECX bytes at EDI equal those at EDX.
compare:
  push esi
  mov esi, edx
  repe cmpsb
  pop esi
  ret

print:
  push eax
.loop:
  lodsb
  test al, al
  jz .done
  out 0xE9, al
  jmp .loop
.done:
  pop eax
  ret

msg_ok:      db "ok: ", 0
msg_fail:    db "FAIL: ", 0
msg_magic:   db "EAX holds the bootloader magic", 10, 0
msg_state:   db "protected mode, paging off, interrupts off", 10, 0
msg_flags:   db "information flags: memory, cmdline, modules, mmap", 10, 0
msg_memory:  db "mem_lower 639 KiB, mem_upper 15 MiB", 10, 0
msg_cmdline: db "command line from -append", 10, 0
msg_module:  db "module 0 is the -initrd file, page-aligned", 10, 0
msg_mmap:    db "memory map has the RAM above 1 MiB", 10, 0
msg_bss:     db "bss zeroed", 10, 0
msg_done:    db "multiboot: all checks passed", 10, 0
cmdline:     db "multiboot-test arg=42", 0
cmdline_len  equ $ - cmdline
module_text: db "Kestrel multiboot module", 10
module_text_len equ $ - module_text
failures:    dd 0

align 4
end_of_image:

absolute end_of_image
magic:       resd 1
mbi:         resd 1
eflags:      resd 1
             resb 4096
stack_top:
untouched:   resb 8192                ; never written: must read as zero
end_of_bss:
