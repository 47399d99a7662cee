// The engine's deadlines, one per instance, in a binary min-heap indexed by item: the
// earliest is read in O(1) and one instance's deadline moves in O(log n). With a scan of
// every instance at every advert (as before), 200 instances at 1 s cost 200 × 200
// deadline reads per second on each side of a pair; with the heap an advert touches only
// its own instance. Pure: no clock, no timer.

export class DeadlineHeap<T> {
  private readonly items: T[] = [];
  private readonly keys: number[] = [];
  private readonly index = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  /** The item with the earliest deadline, or undefined. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** The earliest deadline, or null when the heap is empty. */
  peekKey(): number | null {
    return this.items.length ? (this.keys[0] as number) : null;
  }

  has(item: T): boolean {
    return this.index.has(item);
  }

  /** Sets an item's deadline; null removes it. */
  set(item: T, key: number | null): void {
    const at = this.index.get(item);
    if (key === null) {
      if (at !== undefined) this.removeAt(at);
      return;
    }
    if (at === undefined) {
      this.items.push(item);
      this.keys.push(key);
      this.index.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
      return;
    }
    const old = this.keys[at] as number;
    this.keys[at] = key;
    if (key < old) this.up(at);
    else if (key > old) this.down(at);
  }

  delete(item: T): void {
    this.set(item, null);
  }

  /** Removes and returns every item whose deadline is at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const out: T[] = [];
    while (this.items.length && (this.keys[0] as number) <= now) {
      out.push(this.items[0] as T);
      this.removeAt(0);
    }
    return out;
  }

  clear(): void {
    this.items.length = 0;
    this.keys.length = 0;
    this.index.clear();
  }

  private removeAt(at: number): void {
    const last = this.items.length - 1;
    const gone = this.items[at] as T;
    this.index.delete(gone);
    if (at !== last) {
      this.items[at] = this.items[last] as T;
      this.keys[at] = this.keys[last] as number;
      this.index.set(this.items[at] as T, at);
    }
    this.items.pop();
    this.keys.pop();
    if (at < this.items.length) {
      this.up(at);
      this.down(at);
    }
  }

  private swap(a: number, b: number): void {
    const ia = this.items[a] as T;
    const ib = this.items[b] as T;
    this.items[a] = ib;
    this.items[b] = ia;
    const ka = this.keys[a] as number;
    this.keys[a] = this.keys[b] as number;
    this.keys[b] = ka;
    this.index.set(ib, a);
    this.index.set(ia, b);
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((this.keys[parent] as number) <= (this.keys[at] as number)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < n && (this.keys[l] as number) < (this.keys[m] as number)) m = l;
      if (r < n && (this.keys[r] as number) < (this.keys[m] as number)) m = r;
      if (m === at) return;
      this.swap(at, m);
      at = m;
    }
  }
}
