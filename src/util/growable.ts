/** Append-only typed arrays that double when full: columns built without one object per event. */
export class U32List {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  pop(): void {
    if (this.length > 0) this.length--;
  }
  toArray(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class I16List {
  data: Int16Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int16Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int16Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  pop(): void {
    if (this.length > 0) this.length--;
  }
  toArray(): Int16Array {
    return this.data.subarray(0, this.length);
  }
}
