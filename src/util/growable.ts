type Typed = Uint32Array | Int16Array | Float64Array | Uint8Array | Uint16Array;
type Ctor<T extends Typed> = { new (n: number): T };

/** Append-only typed array that doubles when full: a column built without one object per event. */
class Growable<T extends Typed> {
  data: T;
  length = 0;
  constructor(
    private readonly ctor: Ctor<T>,
    capacity: number,
  ) {
    this.data = new ctor(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** Appends every value of `src`, plus `add` to each. */
  pushAll(src: ArrayLike<number>, add = 0): void {
    const need = this.length + src.length;
    if (need > this.data.length) {
      const next = new this.ctor(Math.max(need, this.data.length * 2));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    if (add === 0) this.data.set(src as ArrayLike<number>, this.length);
    else for (let i = 0; i < src.length; i++) this.data[this.length + i] = src[i] + add;
    this.length = need;
  }

  /** The last pushed value, when there is one. */
  last(): number {
    return this.data[this.length - 1];
  }
  setLast(v: number): void {
    this.data[this.length - 1] = v;
  }
  toArray(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export class U32List extends Growable<Uint32Array> {
  constructor(capacity = 1024) {
    super(Uint32Array, capacity);
  }
}
export class I16List extends Growable<Int16Array> {
  constructor(capacity = 1024) {
    super(Int16Array, capacity);
  }
}
export class F64List extends Growable<Float64Array> {
  constructor(capacity = 1024) {
    super(Float64Array, capacity);
  }
}
export class U8List extends Growable<Uint8Array> {
  constructor(capacity = 1024) {
    super(Uint8Array, capacity);
  }
}
