/**
 * The breenix-trace reader's event types (one table for images and every
 * `/proc/trace/*` file, so `filter --type` names stay the same across them).
 */
export const TYPE_NAMES = ['TRACE_EVENT', 'TRACE_META', 'COUNTER', 'PROVIDER', 'EVENT_TYPE', 'TRACE_ENABLE', 'TEARDOWN_FIELD', 'DIAG_VALUE', 'UNPARSED'];
export const T_EVENT = 0;
export const T_META = 1;
export const T_COUNTER = 2;
export const T_PROVIDER = 3;
export const T_EVENT_TYPE = 4;
export const T_ENABLE = 5;
export const T_TEARDOWN = 6;
export const T_DIAG = 7;
export const T_UNPARSED = 8;
