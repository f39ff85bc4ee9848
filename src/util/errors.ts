/**
 * A mistake in what the user gave us (missing file, malformed input, bad option).
 * The CLI prints `message` on one line and exits non-zero, with no stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Where in a file a problem sits: a 1-based line, or a byte/word offset. */
export interface Location {
  file: string;
  line?: number;
  byteOffset?: number;
  wordOffset?: number;
}

export function formatLocation(loc: Location): string {
  if (loc.line !== undefined) return `${loc.file}:${loc.line}`;
  if (loc.wordOffset !== undefined) return `${loc.file}: word ${loc.wordOffset}`;
  if (loc.byteOffset !== undefined) return `${loc.file}: byte ${loc.byteOffset}`;
  return loc.file;
}

/** Nothing usable could be read from an input; names the place and what was expected. */
export class FormatError extends UserError {
  constructor(
    readonly location: Location,
    readonly expected: string,
  ) {
    super(`${formatLocation(location)}: ${expected}`);
    this.name = 'FormatError';
  }
}
