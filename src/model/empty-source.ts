import type { Diagnostic } from './diagnostics.js';
import type { EventRecord } from './event.js';
import type { EventSource, Summary } from './source.js';
import { UserError } from '../util/errors.js';

/** An input where nothing usable was found: queries answer with its diagnostics instead of failing. */
export class EmptySource implements EventSource {
  readonly count = 0;
  readonly typeNames: readonly string[] = [];

  constructor(
    private readonly name: string,
    private readonly format: string,
    private readonly warnings: Diagnostic[],
  ) {}

  summary(): Summary {
    return { format: this.format, source: this.name, events: 0, types: {}, warnings: this.warnings };
  }

  event(n: number): EventRecord {
    throw new UserError(`event ${n} is out of range: ${this.name} has no usable events`);
  }

  events(): EventRecord[] {
    return [];
  }

  filter(): void {}

  scan(): void {}

  close(): void {}
}
