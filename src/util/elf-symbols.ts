import { FileSource } from './file-source.js';
import { UserError } from './errors.js';

export interface ElfSymbol {
  address: bigint;
  size: bigint;
  name: string;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_OBJECT = 1;
const STT_FUNC = 2;

/**
 * Function and object symbols of an ELF file (32/64-bit, either byte order),
 * sorted by address. Reads only the section headers, the symbol table and
 * its string table, so a large vmlinux with debug info costs little.
 */
export function readElfSymbols(path: string): ElfSymbol[] {
  const src = new FileSource(path);
  try {
    const id = src.read(0, 64);
    if (id.length < 52 || id.readUInt32BE(0) !== 0x7f454c46) throw new UserError(`${path}: byte 0: not an ELF file (expected \\x7fELF)`);
    const is64 = id[4] === 2;
    const le = id[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const addr = (b: Buffer, o: number) => (is64 ? (le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : BigInt(u32(b, o)));
    const shoff = Number(is64 ? addr(id, 0x28) : BigInt(u32(id, 0x20)));
    const shentsize = u16(id, is64 ? 0x3a : 0x2e);
    const shnum = u16(id, is64 ? 0x3c : 0x30);
    if (shoff === 0 || shnum === 0) throw new UserError(`${path}: ELF has no section headers (stripped?); cannot resolve symbols`);
    const sh = src.read(shoff, shentsize * shnum);
    if (sh.length < shentsize * shnum) throw new UserError(`${path}: byte ${shoff}: section header table is truncated`);
    const section = (k: number) => {
      const o = k * shentsize;
      return {
        type: u32(sh, o + 4),
        offset: Number(is64 ? addr(sh, o + 0x18) : BigInt(u32(sh, o + 0x10))),
        size: Number(is64 ? addr(sh, o + 0x20) : BigInt(u32(sh, o + 0x14))),
        link: u32(sh, is64 ? o + 0x28 : o + 0x18),
        entsize: Number(is64 ? addr(sh, o + 0x38) : BigInt(u32(sh, o + 0x24))),
      };
    };
    let symtab = -1;
    for (let k = 0; k < shnum; k++) if (section(k).type === SHT_SYMTAB) symtab = k;
    if (symtab < 0) for (let k = 0; k < shnum; k++) if (section(k).type === SHT_DYNSYM) symtab = k;
    if (symtab < 0) throw new UserError(`${path}: ELF has no symbol table (stripped?); cannot resolve symbols`);
    const s = section(symtab);
    const strs = section(s.link);
    const syms = src.read(s.offset, s.size);
    const names = src.read(strs.offset, strs.size);
    const ent = s.entsize || (is64 ? 24 : 16);
    const out: ElfSymbol[] = [];
    for (let o = 0; o + ent <= syms.length; o += ent) {
      const nameOff = u32(syms, o);
      const info = is64 ? syms[o + 4] : syms[o + 12];
      const kind = info & 0xf;
      if (kind !== STT_FUNC && kind !== STT_OBJECT) continue;
      const value = is64 ? addr(syms, o + 8) : BigInt(u32(syms, o + 4));
      const size = is64 ? addr(syms, o + 16) : BigInt(u32(syms, o + 8));
      if (value === 0n || nameOff >= names.length) continue;
      const end = names.indexOf(0, nameOff);
      out.push({ address: value, size, name: names.toString('latin1', nameOff, end < 0 ? names.length : end) });
    }
    out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return out;
  } finally {
    src.close();
  }
}

/** Name of the symbol at `address`: exact, or `name+0xoff` inside a sized symbol. */
export function symbolize(symbols: ElfSymbol[], address: bigint): string | undefined {
  let lo = 0;
  let hi = symbols.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid].address <= address) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return undefined;
  const s = symbols[best];
  if (s.address === address) return s.name;
  const off = address - s.address;
  return off < s.size ? `${s.name}+0x${off.toString(16)}` : undefined;
}
