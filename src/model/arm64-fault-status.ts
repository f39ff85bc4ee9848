/**
 * arm64 fault status codes (IFSC/DFSC of ESR_ELx, Arm ARM D17.2.37), named
 * for people. Shared by the crash extractor's ESR decoder and the registry's
 * failure signatures, which both title faults by them.
 */
/** Short fault-status names, e.g. "translation fault L2"; used in titles. */
export function fscName(fsc: number): string {
  const level = fsc & 3;
  switch (fsc >> 2) {
    case 0:
      return `address size fault L${level}`;
    case 1:
      return `translation fault L${level}`;
    case 2:
      return `access flag fault L${level}`;
    case 3:
      return `permission fault L${level}`;
    case 5:
      return `synchronous external abort on table walk L${level}`;
    case 7:
      return `parity/ECC error on table walk L${level}`;
  }
  switch (fsc) {
    case 0x10:
      return 'synchronous external abort';
    case 0x11:
      return 'tag check fault';
    case 0x18:
      return 'parity/ECC error';
    case 0x21:
      return 'alignment fault';
    case 0x22:
      return 'granule protection fault';
    case 0x30:
      return 'TLB conflict abort';
    case 0x31:
      return 'unsupported atomic update fault';
    case 0x34:
      return 'lockdown abort';
    case 0x35:
      return 'unsupported exclusive access fault';
  }
  return `fault status 0x${fsc.toString(16)}`;
}
