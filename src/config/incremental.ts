// A reload that re-reads only what changed. At 10,000 real servers reading the whole file
// again costs hundreds of milliseconds (seconds where system calls and page faults are
// dear), while a reload usually edits one virtual server. So, when the file differs
// from the last one loaded only inside the block list `virtual_servers:` (items edited,
// added, removed or moved), the changed items are parsed together with the rest of the
// file around them (so they are read and checked exactly as in the whole file), and
// every unchanged item keeps the virtual server built from it last time.
//
// Anything this cannot judge with certainty gives null, and the caller reads the whole
// file: flow style, a second `virtual_servers:`, anchors or aliases in the list (an
// unchanged item could depend on a changed one), any error (the whole read places it at
// FILE:LINE:COL), a key that is now listed twice. test/unit/config-incremental.test.ts
// holds the result equal to a whole read.
import { readFile } from 'node:fs/promises';
import { type LoadResult, loadConfigFile, type ParseOptions, parseConfigText } from './load.js';
import type { Config, VirtualServer } from './model.js';

/** A loaded configuration with the text it was built from. */
export interface TextConfig {
  readonly text: string;
  readonly config: Config;
}

interface Split {
  /** everything before the items, the `virtual_servers:` line included */
  head: string;
  /** each item's lines (with the comments and blank lines after it) */
  items: string[];
  /** everything after the list */
  tail: string;
}

const KEY = /^virtual_servers:[ ]*(?:#[^\n]*)?$/gm;
const BLANK_OR_COMMENT = /^[ ]*(?:#.*)?$/;

/**
 * The file cut around the items of `virtual_servers:`, or null when it is not plainly a
 * block list. Scans with indexOf and slices (no array of lines): the text may be megabytes.
 */
export function splitVirtualServers(text: string): Split | null {
  KEY.lastIndex = 0;
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
    const line = text.slice(first, nl < 0 ? text.length : nl);
    if (!BLANK_OR_COMMENT.test(line)) break;
    if (nl < 0) return null;
    first = nl + 1;
  }
  const m = /^([ ]*)- /.exec(text.slice(first, first + 256));
  if (!m) return null;
  const indent = m[1]!.length;
  // the list ends at the first later line indented less than its items, or as much but
  // not an item (blank lines and comments belong to the list)
  const endRe =
    indent === 0
      ? /\n(?=[^ \n#-]|-[^ ])/g
      : new RegExp(`\\n(?=[ ]{0,${indent - 1}}[^ \\n#]|[ ]{${indent}}[^ \\n#-]|[ ]{${indent}}-[^ ])`, 'g');
  endRe.lastIndex = first;
  const e = endRe.exec(text);
  const end = e ? e.index + 1 : text.length;
  const body = text.slice(first, end);
  if (body.includes('&') || body.includes('*') || body.includes('\t')) return null;
  const sep = `\n${' '.repeat(indent)}- `;
  const items: string[] = [];
  let at = 0;
  for (;;) {
    const next = body.indexOf(sep, at);
    if (next < 0) {
      items.push(body.slice(at));
      break;
    }
    items.push(body.slice(at, next));
    at = next + 1;
  }
  return { head: text.slice(0, first), items, tail: text.slice(end) };
}

/** The cut of each text last loaded through here, by the configuration built from it. */
const splits = new WeakMap<Config, Split>();

/**
 * The configuration `text` describes, built from `prev` and the changed items alone, or
 * null when the caller must read the whole file (see the header).
 */
export function configFromChangedItems(
  prev: TextConfig,
  text: string,
  fileName: string,
  opts: ParseOptions = {},
): Config | null {
  if (prev.config.file !== fileName) return null;
  if (text === prev.text) return prev.config;
  const before = splits.get(prev.config) ?? splitVirtualServers(prev.text);
  const after = splitVirtualServers(text);
  if (!before || !after || before.head !== after.head || before.tail !== after.tail) return null;
  const old = prev.config.virtualServers;
  if (before.items.length !== old.length) return null;
  const byText = new Map<string, number[]>();
  before.items.forEach((t, i) => {
    const list = byText.get(t);
    if (list) list.push(i);
    else byText.set(t, [i]);
  });
  const out: (VirtualServer | null)[] = [];
  const changed: { at: number; text: string }[] = [];
  for (const t of after.items) {
    const i = byText.get(t)?.shift();
    if (i !== undefined) out.push(old[i]!);
    else {
      changed.push({ at: out.length, text: t });
      out.push(null);
    }
  }
  if (changed.length > 0) {
    const body = changed.map((c) => (c.text.endsWith('\n') ? c.text : `${c.text}\n`)).join('');
    const r = parseConfigText(`${after.head}${body}${after.tail}`, fileName, opts);
    if (!r.ok || r.config.virtualServers.length !== changed.length) return null;
    changed.forEach((c, k) => {
      out[c.at] = r.config.virtualServers[k]!;
    });
  }
  const list = out as VirtualServer[];
  const keys = new Set<string>();
  for (const v of list) {
    if (keys.has(v.key)) return null;
    keys.add(v.key);
  }
  const config = Object.freeze({ ...prev.config, virtualServers: Object.freeze(list) }) as Config;
  splits.set(config, after);
  return config;
}

/**
 * Reads a configuration file for a reload: through the changed items when `prev` allows
 * it, else whole. `text` is what the next reload compares against (null when unreadable).
 */
export async function reloadConfigFile(
  path: string,
  prev: TextConfig | null,
  opts: ParseOptions = {},
): Promise<{ loaded: LoadResult; text: string | null }> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch {
    // unreadable or not text: the whole load says so in its words
    return { loaded: await loadConfigFile(path, opts), text: null };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const config = prev ? configFromChangedItems(prev, text, path, opts) : null;
  if (config) return { loaded: { ok: true, config }, text };
  return { loaded: parseConfigText(text, path, opts), text };
}
