// Answers to the master's Get, GetNext and GetBulk (RFC 2741 §7.2.3) from a sorted list of
// object instances. Pure.
import { compareOid, type Oid, type SearchRange, type VarBind } from './agentx.js';

/** Index of the first instance at or after oid (strictly after when !include). */
function firstFrom(view: readonly VarBind[], oid: Oid, include: boolean): number {
  let lo = 0;
  let hi = view.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareOid(view[mid]!.oid, oid);
    if (c < 0 || (c === 0 && !include)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const isPrefix = (prefix: Oid, oid: Oid) =>
  prefix.length <= oid.length && prefix.every((s, i) => oid[i] === s);

/**
 * RFC 2741 §7.2.3.1: the instance itself; noSuchInstance under an object this subagent
 * serves (a table column or scalar in `objects`), noSuchObject elsewhere.
 */
export function getExact(view: readonly VarBind[], objects: readonly Oid[], oid: Oid): VarBind {
  const i = firstFrom(view, oid, true);
  const hit = view[i];
  if (hit && compareOid(hit.oid, oid) === 0) return hit;
  const known = objects.some((o) => isPrefix(o, oid) && oid.length > o.length);
  return { oid, value: { type: known ? 'noSuchInstance' : 'noSuchObject' } };
}

/** RFC 2741 §7.2.3.2: the first instance in [start, end), else endOfMibView named by start. */
export function getNext(view: readonly VarBind[], r: SearchRange): VarBind {
  const hit = view[firstFrom(view, r.start, r.include)];
  if (hit && (r.end.length === 0 || compareOid(hit.oid, r.end) < 0)) return hit;
  return { oid: r.start, value: { type: 'endOfMibView' } };
}

/**
 * RFC 2741 §7.2.3.3: the non-repeaters once, then up to maxRepetitions rounds over the
 * repeaters, each continuing after its previous answer; stops early once every repeater
 * has reached the end of its range.
 */
export function getBulk(
  view: readonly VarBind[],
  ranges: readonly SearchRange[],
  nonRepeaters: number,
  maxRepetitions: number,
): VarBind[] {
  const out: VarBind[] = [];
  const n = Math.min(nonRepeaters, ranges.length);
  for (let i = 0; i < n; i++) out.push(getNext(view, ranges[i]!));
  const repeaters = ranges.slice(n).map((r) => ({ ...r }));
  for (let round = 0; round < maxRepetitions && repeaters.length > 0; round++) {
    let allDone = true;
    for (const r of repeaters) {
      const vb = getNext(view, r);
      out.push(vb);
      if (vb.value.type !== 'endOfMibView') {
        allDone = false;
        r.start = vb.oid;
        r.include = false;
      }
    }
    if (allDone) break;
  }
  return out;
}
