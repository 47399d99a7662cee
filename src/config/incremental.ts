// A reload that re-reads only what changed. At 10,000 real servers reading the whole file
// again costs hundreds of milliseconds (seconds where system calls and page faults are
// dear), while a reload usually edits one virtual server. So the file's bytes are kept
// with the configuration built from them, and cut where the items of the block list
// `virtual_servers:` begin and end. At the next reload the new bytes are compared with
// the kept ones (common prefix and suffix, memcmp); when the difference lies inside the
// list, only the items it touches are decoded and parsed, together with the rest of the
// file around them (so they are read and checked exactly as in the whole file), and every
// other item keeps the virtual server built from it last time.
//
// Anything this cannot judge with certainty gives null, and the caller reads the whole
// file: flow style, a second `virtual_servers:`, anchors, aliases or tabs in the list (an
// unchanged item could depend on a changed one), any error (the whole read places it at
// FILE:LINE:COL), a key now listed twice, a byte-order mark. test/unit/config-
// incremental.test.ts holds the result equal to a whole read.
import { readFile } from 'node:fs/promises';
import { startMark } from '../start-marks.js';
import { type LoadResult, loadConfigFile, type ParseOptions, parseConfigText } from './load.js';
import type { Config, VirtualServer } from './model.js';

/** A loaded configuration with the bytes it was built from. */
export interface LoadedBytes {
  readonly bytes: Buffer;
  readonly config: Config;
}

/** A text cut around the items of `virtual_servers:` (items.join('') is the list). */
export interface Split {
  /** everything before the items, the `virtual_servers:` line included */
  head: string;
  /** each item's lines with their newline (and the comments and blank lines after it) */
  items: string[];
  /** everything after the list */
  tail: string;
  /** the items' indentation */
  indent: number;
}

/** The same cut in bytes, kept for the configuration built from the bytes. */
interface ByteCut {
  head: string;
  tail: string;
  indent: number;
  /** byte offset where the items begin */
  headEnd: number;
  /** byte offset just past each item */
  ends: number[];
}

const KEY = /^virtual_servers:[ ]*(?:#[^\n]*)?$/m;
const BLANK_OR_COMMENT = /^[ ]*(?:#.*)?$/;

/** A newline followed by a line that ends a list whose items are indented by `indent`. */
function listEnd(indent: number): RegExp {
  if (indent === 0) return /\n(?=[^ \n#-]|-[^ ])/g;
  return new RegExp(`\\n(?=[ ]{0,${indent - 1}}[^ \\n#]|[ ]{${indent}}[^ \\n#-]|[ ]{${indent}}-[^ ])`, 'g');
}

/** `body` (a run of whole items) cut into its items, or null when it is something else. */
function cutItems(body: string, indent: number): string[] | null {
  const start = `${' '.repeat(indent)}- `;
  if (!body.startsWith(start) || /[&*\t]/.test(body)) return null;
  const end = listEnd(indent);
  const e = end.exec(body);
  if (e && e.index + 1 < body.length) return null;
  const sep = `\n${start}`;
  const items: string[] = [];
  let at = 0;
  for (;;) {
    const next = body.indexOf(sep, at);
    if (next < 0) {
      items.push(body.slice(at));
      return items;
    }
    items.push(body.slice(at, next + 1));
    at = next + 1;
  }
}

/**
 * The file cut around the items of `virtual_servers:`, or null when it is not plainly a
 * block list. Scans with indexOf and slices (no array of lines): the text may be megabytes.
 */
export function splitVirtualServers(text: string): Split | null {
  const k = KEY.exec(text);
  if (!k) return null;
  // one `virtual_servers` key at the top level, and no other line starting with the name
  const after = k.index + k[0].length;
  if (text.indexOf('\nvirtual_servers', after) >= 0) return null;
  if (
    k.index > 0 &&
    (text.startsWith('virtual_servers') || text.lastIndexOf('\nvirtual_servers', k.index - 2) >= 0)
  )
    return null;
  // the first item: skip blank and comment lines
  let first = after + 1;
  for (;;) {
    if (first >= text.length) return null;
    const nl = text.indexOf('\n', first);
    if (!BLANK_OR_COMMENT.test(text.slice(first, nl < 0 ? text.length : nl))) break;
    if (nl < 0) return null;
    first = nl + 1;
  }
  const m = /^([ ]*)- /.exec(text.slice(first, first + 256));
  if (!m) return null;
  const indent = m[1]!.length;
  // the list ends at the first later line indented less than its items, or as much but
  // not an item (blank lines and comments belong to the list)
  const endRe = listEnd(indent);
  endRe.lastIndex = first;
  const e = endRe.exec(text);
  const end = e ? e.index + 1 : text.length;
  const items = cutItems(text.slice(first, end), indent);
  if (!items) return null;
  return { head: text.slice(0, first), items, tail: text.slice(end), indent };
}

/** The byte cut of each configuration loaded through here. */
const cuts = new WeakMap<Config, ByteCut>();

function remember(config: Config, split: Split): void {
  const headEnd = Buffer.byteLength(split.head);
  const ends: number[] = [];
  let at = headEnd;
  for (const it of split.items) {
    at += Buffer.byteLength(it);
    ends.push(at);
  }
  cuts.set(config, { head: split.head, tail: split.tail, indent: split.indent, headEnd, ends });
}

/** Length of the common prefix of a and b, by binary search over memcmp. */
function commonPrefix(a: Buffer, b: Buffer, max: number): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.subarray(lo, mid).equals(b.subarray(lo, mid))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length of the common suffix of a and b, at most `max`. */
function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.subarray(a.length - mid, a.length - lo).equals(b.subarray(b.length - mid, b.length - lo))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Index of the item holding byte `at` (the cut's items cover it). */
function itemAt(cut: ByteCut, at: number): number {
  let lo = 0;
  let hi = cut.ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cut.ends[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The configuration `bytes` describe, built from `prev` and the changed items alone, or
 * null when the caller must read the whole file (see the header).
 */
export function configFromChangedBytes(
  prev: LoadedBytes,
  bytes: Buffer,
  fileName: string,
  opts: ParseOptions = {},
): Config | null {
  if (prev.config.file !== fileName) return null;
  const P = prev.bytes;
  if (bytes.equals(P)) return prev.config;
  const cut = cuts.get(prev.config);
  if (!cut || cut.ends.length !== prev.config.virtualServers.length) return null;
  const n = cut.ends.length;
  const itemsEnd = cut.ends[n - 1]!;
  const pre = commonPrefix(P, bytes, Math.min(P.length, bytes.length));
  const suf = commonSuffix(P, bytes, Math.min(P.length, bytes.length) - pre);
  const changedEnd = P.length - suf; // the bytes of P that differ: [pre, changedEnd)
  if (pre < cut.headEnd || changedEnd > itemsEnd) return null;
  // the items the difference touches, with a whole item on either side of it
  const first = pre === cut.headEnd ? 0 : itemAt(cut, pre - 1);
  const last = changedEnd >= itemsEnd ? n - 1 : itemAt(cut, changedEnd);
  const from = first === 0 ? cut.headEnd : cut.ends[first - 1]!;
  const delta = bytes.length - P.length;
  const to = cut.ends[last]! + delta;
  let body: string;
  try {
    body = utf8.decode(bytes.subarray(from, to));
  } catch {
    return null;
  }
  const items = body === '' ? [] : cutItems(body, cut.indent);
  if (!items) return null;
  const old = prev.config.virtualServers;
  let built: readonly VirtualServer[] = [];
  if (items.length > 0) {
    const withNewline = body.endsWith('\n') || cut.tail === '' ? body : `${body}\n`;
    const r = parseConfigText(`${cut.head}${withNewline}${cut.tail}`, fileName, opts);
    if (!r.ok || r.config.virtualServers.length !== items.length) return null;
    built = r.config.virtualServers;
  }
  const list = [...old.slice(0, first), ...built, ...old.slice(last + 1)];
  if (list.length === 0) return null; // the list itself is gone: not a block list any more
  const keys = new Set<string>();
  for (const v of list) {
    if (keys.has(v.key)) return null;
    keys.add(v.key);
  }
  const config = Object.freeze({ ...prev.config, virtualServers: Object.freeze(list) }) as Config;
  const ends = cut.ends.slice(0, first);
  let at = from;
  for (const it of items) {
    at += Buffer.byteLength(it);
    ends.push(at);
  }
  for (const e of cut.ends.slice(last + 1)) ends.push(e + delta);
  cuts.set(config, { ...cut, ends });
  return config;
}

/**
 * The whole read of a file's bytes (as loadConfigFile after reading), keeping the cut
 * that lets the next reload read only the changed items.
 */
export function parseConfigBytes(
  bytes: Buffer,
  fileName: string,
  opts: ParseOptions = {},
): LoadResult | null {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  const r = parseConfigText(bom ? text.slice(1) : text, fileName, opts);
  startMark('config-built');
  if (r.ok && !bom) {
    const split = splitVirtualServers(text);
    if (split) remember(r.config, split);
  }
  return r;
}

/**
 * Reads a configuration file (at start and for a reload): through the changed items when
 * `prev` allows it, else whole. `bytes`: what the next reload compares against (null when
 * the file could not be read).
 */
export async function reloadConfigFile(
  path: string,
  prev: LoadedBytes | null,
  opts: ParseOptions = {},
): Promise<{ loaded: LoadResult; bytes: Buffer | null }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    // unreadable: the whole load says why in its words
    return { loaded: await loadConfigFile(path, opts), bytes: null };
  }
  startMark('config-file-read');
  const config = prev ? configFromChangedBytes(prev, bytes, path, opts) : null;
  if (config) return { loaded: { ok: true, config }, bytes };
  const loaded = parseConfigBytes(bytes, path, opts);
  if (loaded) return { loaded, bytes };
  return { loaded: await loadConfigFile(path, opts), bytes: null };
}
