// The engine's deadlines, one per instance, in a binary min-heap indexed by item: the
// earliest is read in O(1) and one instance's deadline moves in O(log n). With a scan of
// every instance at every advert (as before), 200 instances at 1 s cost 200 × 200
// deadline reads per second on each side of a pair; with the heap an advert touches only
// its own instance. Pure: no clock, no timer.

/** An item's place in the heap: its position is kept on the slot, so moving it costs no map write. */
interface Slot<T> {
  item: T;
  key: number;
  at: number;
}

export class DeadlineHeap<T> {
  private readonly slots: Slot<T>[] = [];
  private readonly index = new Map<T, Slot<T>>();

  get size(): number {
    return this.slots.length;
  }

  /** The item with the earliest deadline, or undefined. */
  peek(): T | undefined {
    return this.slots[0]?.item;
  }

  /** The earliest deadline, or null when the heap is empty. */
  peekKey(): number | null {
    return this.slots.length ? (this.slots[0] as Slot<T>).key : null;
  }

  has(item: T): boolean {
    return this.index.has(item);
  }

  /** Sets an item's deadline; null removes it. */
  set(item: T, key: number | null): void {
    const slot = this.index.get(item);
    if (key === null) {
      if (slot !== undefined) this.removeAt(slot.at);
      return;
    }
    if (slot === undefined) {
      const added: Slot<T> = { item, key, at: this.slots.length };
      this.slots.push(added);
      this.index.set(item, added);
      this.up(added.at);
      return;
    }
    const old = slot.key;
    slot.key = key;
    if (key < old) this.up(slot.at);
    else if (key > old) this.down(slot.at);
  }

  delete(item: T): void {
    this.set(item, null);
  }

  /** Removes and returns every item whose deadline is at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const out: T[] = [];
    while (this.slots.length && (this.slots[0] as Slot<T>).key <= now) {
      out.push((this.slots[0] as Slot<T>).item);
      this.removeAt(0);
    }
    return out;
  }

  clear(): void {
    this.slots.length = 0;
    this.index.clear();
  }

  private removeAt(at: number): void {
    const last = this.slots.length - 1;
    const gone = this.slots[at] as Slot<T>;
    this.index.delete(gone.item);
    if (at !== last) {
      const moved = this.slots[last] as Slot<T>;
      this.slots[at] = moved;
      moved.at = at;
    }
    this.slots.pop();
    if (at < this.slots.length) {
      this.up(at);
      this.down(at);
    }
  }

  private swap(a: number, b: number): void {
    const sa = this.slots[a] as Slot<T>;
    const sb = this.slots[b] as Slot<T>;
    this.slots[a] = sb;
    this.slots[b] = sa;
    sb.at = a;
    sa.at = b;
  }

  private keyAt(at: number): number {
    return (this.slots[at] as Slot<T>).key;
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.keyAt(parent) <= this.keyAt(at)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    const n = this.slots.length;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < n && this.keyAt(l) < this.keyAt(m)) m = l;
      if (r < n && this.keyAt(r) < this.keyAt(m)) m = r;
      if (m === at) return;
      this.swap(at, m);
      at = m;
    }
  }
}
