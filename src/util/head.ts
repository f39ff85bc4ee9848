/** Bytes no text log holds: control bytes other than tab, LF, CR and ESC (serial captures carry those), and DEL. */
const JUNK = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

/**
 * The clean whole lines of a file's head as read for format detection (the
 * last, possibly cut by the read limit, is dropped): lines holding binary
 * junk are left out, so a burst of garbage in a log does not hide what the
 * log is. Null when clean lines are less than half the head: binary data.
 */
export function headLines(head: Buffer, limit = 4096): string[] | null {
  const lines: string[] = [];
  return mostlyClean(head, limit, lines) ? lines : null;
}

/** Text, as detection sees it: at least half the head is clean lines. */
export function isTextHead(head: Buffer): boolean {
  return mostlyClean(head, 4096, null);
}

/**
 * Whether clean lines make at least half of `head`; pushes the whole ones to
 * `lines` when given. Junk bytes are found by one regex over the head, not a
 * byte at a time: this runs once per command, before any code is optimized.
 */
function mostlyClean(head: Buffer, limit: number, lines: string[] | null): boolean {
  if (head.length === 0) return false;
  const text = head.toString('latin1');
  // A head filled to the read limit ends in a piece of a line: judged with the rest, not handed out.
  const cut = head.length >= limit ? text.lastIndexOf('\n') + 1 : text.length;
  const nextJunk = (from: number): number => {
    JUNK.lastIndex = from;
    return JUNK.exec(text)?.index ?? Infinity;
  };
  let junk = nextJunk(0);
  let clean = 0;
  for (let s = 0; s < text.length; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    if (junk >= e) {
      clean += e - s + 1;
      if (lines && e < cut) lines.push(text.slice(s, e));
    } else {
      junk = nextJunk(e);
    }
    s = e + 1;
  }
  return clean * 2 >= head.length;
}
