type Typed = Uint32Array | Int16Array | Float64Array;
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
