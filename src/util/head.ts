/** A byte no text log holds: control bytes other than tab, LF, CR and ESC (serial captures carry those), and DEL. */
function isJunk(c: number): boolean {
  return (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27) || c === 127;
}

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

/** Whether clean lines make at least half of `head`; pushes the whole ones to `lines` when given. */
function mostlyClean(head: Buffer, limit: number, lines: string[] | null): boolean {
  if (head.length === 0) return false;
  // A head filled to the read limit ends in a piece of a line: judged with the rest, not handed out.
  const cut = head.length >= limit ? head.lastIndexOf(10) + 1 : head.length;
  let clean = 0;
  for (let s = 0; s < head.length; ) {
    let e = head.indexOf(10, s);
    if (e < 0) e = head.length;
    let junk = false;
    for (let i = s; i < e && !junk; i++) junk = isJunk(head[i]);
    if (!junk) {
      clean += e - s + 1;
      if (lines && e < cut) lines.push(head.toString('latin1', s, e));
    }
    s = e + 1;
  }
  return clean * 2 >= head.length;
}
