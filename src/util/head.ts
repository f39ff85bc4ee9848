/**
 * The whole lines of a file's head as read for format detection (the last,
 * possibly cut by the read limit, is dropped), or null when more than 1 % of
 * its bytes are control bytes: then it is not a text log.
 */
export function headLines(head: Buffer, limit = 4096): string[] | null {
  if (head.length === 0) return null;
  let bad = 0;
  for (const c of head) if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 13)) bad++;
  if (bad / head.length > 0.01) return null;
  const text = head.toString('latin1');
  const cut = head.length >= limit ? text.lastIndexOf('\n') : text.length;
  return text.slice(0, cut < 0 ? text.length : cut).split('\n');
}
