import type { TiiSpecInput } from './spec.js';

/**
 * kscope's default interpretation of the TII seL4 ftrace word stream
 * (shared/formats/tii-ftrace.md, normative part). This is data: a user
 * replaces it with `--format-spec FILE` holding the same shape as JSON.
 */
export const DEFAULT_TII_SPEC: TiiSpecInput = {
  name: 'tii-ftrace default',
  classes: {
    marker: { min: 0xff00 },
    vmid: { max: 0x01fe, shift: 1 },
    function: { shift: 1, enter: 'odd' },
  },
  markers: [
    { name: 'SAFE_PTE', word: 0xfffe, words: 4, fields: [{ name: 'pc', words: [0, 1, 2], hex: true }] },
    { name: 'SYSCALL', word: 0xfffc, words: 2, fields: [{ name: 'number', words: [0] }], text: 'SYSCALL {number}' },
    { name: 'VSPACE', word: 0xfffa, words: 4, fields: [{ name: 'paddr', words: [0, 1, 2], hex: true }] },
    { name: 'THREAD', word: 0xfff8, words: 4, fields: [{ name: 'tcb', words: [0, 1, 2], hex: true }] },
    { name: 'RETYPE', word: 0xfff6, words: 5, fields: [{ name: 'raw', raw: [0, 1, 2, 3] }] },
    {
      name: 'INIT_PT', word: 0xfff4, words: 5,
      fields: [
        { name: 'paddr', words: [0, 1, 2], hex: true },
        { name: 'phase', words: [3], enum: { 0: 'START', 1: 'AFTER_WRITE', 2: 'AFTER_FLUSH', 3: 'END_OK' }, histogram: true },
      ],
    },
    {
      name: 'CREATE_OBJ', word: 0xfff2, words: 5,
      fields: [
        { name: 'paddr', words: [0, 1, 2], hex: true },
        { name: 'object_type', words: [3], enum: { 9: 'PageTable' }, histogram: true },
      ],
    },
    {
      name: 'PT_MAP', word: 0xfff0, words: 8,
      fields: [
        { name: 'pt', words: [0, 1, 2], hex: true },
        { name: 'parent', words: [3, 4, 5], hex: true },
        { name: 'slot', words: [6] },
      ],
    },
    {
      name: 'KERNEL_ENTRY', word: 0xffee, words: 4, label: 'KENTRY',
      text: 'KENTRY {path} {syscall_no} cap={cap_type} tag={tag}',
      fields: [
        {
          name: 'path', parts: [{ word: 0, lo: 0, width: 3 }], histogram: true,
          enum: { 0: 'Unknown', 1: 'Interrupt', 2: 'UnknownSyscall', 3: 'UserFault', 4: 'DebugFault', 5: 'VMFault', 6: 'Syscall', 7: 'VCPUFault' },
        },
        {
          name: 'syscall_no', parts: [{ word: 0, lo: 3, width: 4 }], histogram: true,
          enum: { 1: 'Call', 2: 'ReplyRecv', 3: 'Send', 4: 'NBSend', 5: 'Recv', 6: 'Reply', 7: 'Yield', 8: 'NBRecv' },
        },
        { name: 'cap_type', parts: [{ word: 0, lo: 7, width: 5 }] },
        { name: 'is_fastpath', parts: [{ word: 0, lo: 12, width: 1 }], bool: true },
        { name: 'tag', parts: [{ word: 1, lo: 0, width: 16 }, { word: 2, lo: 0, width: 3 }] },
      ],
    },
    { name: 'INTERRUPT', word: 0xffec, words: 2, fields: [{ name: 'irq', words: [0], histogram: true }], text: 'IRQ {irq}' },
    {
      name: 'KERNEL_EXIT', word: 0xffea, words: 3, label: 'KEXIT', text: 'KEXIT duration={duration}',
      fields: [{ name: 'duration', words: [0, 1], stats: true }],
    },
    {
      name: 'VM_FAULT', word: 0xffe8, words: 5,
      fields: [{ name: 'fault_type', words: [0], histogram: true }, { name: 'address', words: [1, 2, 3], hex: true }],
    },
    {
      name: 'USER_FAULT', word: 0xffe6, words: 4,
      fields: [{ name: 'fault_number', words: [0], histogram: true }, { name: 'code', words: [1, 2], hex: true }],
    },
    {
      name: 'TRACEPOINT', word: 0xffe4, words: 5,
      fields: [{ name: 'id', words: [0], histogram: true }, { name: 'duration', words: [1, 2, 3], stats: true }],
    },
  ],
};
