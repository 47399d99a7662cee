// Every keyword keepalived 2.2.7 knows (src/config/keepalived-keywords.ts, written from
// keepalived.conf(5) of 2.2.7), put in its block: the import must either carry it over (the
// YAML changes) or say something about its line (a 'not carried over' or 'note' comment).
// A keyword that imports with neither is a silent path and fails here.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { importKeepalivedConf } from '../../src/config/keepalived-import.js';
import { KEEPALIVED_KEYWORDS } from '../../src/config/keepalived-keywords.js';
import { BLOCK_ARGS, CONTEXT, ARGS as DOC_ARGS } from '../../src/pkg/keyword-samples.js';
import { inCI, missing } from '../helpers/env.js';

// The file around each keyword and a value that makes it mean something, shared with the
// README keyword table's generator; here an include names no file (the import must say so)
// and a sync group a missing instance.
const NO_FILE = '/nonexistent/*.conf';
const ARGS: Record<string, string> = {
  ...DOC_ARGS,
  include: NO_FILE,
  includer: NO_FILE,
  includem: NO_FILE,
  includew: NO_FILE,
  includeb: NO_FILE,
  includea: NO_FILE,
  vrrp_sync_group: 'G2 {\ngroup {\nVI_9\n}\n }',
};

function imported(context: string, line: string): { yaml: string; lineNo: number } {
  const [before, after] = CONTEXT[context]!;
  const lineNo = before.split('\n').length;
  return { yaml: importKeepalivedConf(`${before} ${line}\n${after}`).yaml, lineNo };
}

describe('every keepalived 2.2.7 keyword is carried over or flagged', () => {
  for (const [context, keywords] of Object.entries(KEEPALIVED_KEYWORDS)) {
    it(`${context}: ${keywords.length} keywords`, () => {
      const baseline = imported(context, '').yaml;
      const silent: string[] = [];
      for (const k of keywords) {
        const { yaml, lineNo } = imported(context, `${k} ${BLOCK_ARGS[`${context} ${k}`] ?? ARGS[k] ?? '1'}`);
        const said = yaml.includes(`(line ${lineNo})`);
        if (!said && yaml === baseline) silent.push(k);
      }
      expect(silent, `imported with neither a mapping nor a flag in ${context}`).toEqual([]);
    });
  }

  it('a word keepalived does not know is flagged as such in every block', () => {
    for (const context of Object.keys(CONTEXT)) {
      const { yaml, lineNo } = imported(context, 'no_such_keyword 1');
      expect(yaml, context).toContain(`# not carried over (line ${lineNo}): 'no_such_keyword 1' because`);
      expect(yaml, context).toContain('is not a keepalived 2.2 keyword');
    }
  });
});

describe("the keyword table is keepalived.conf(5)'s", () => {
  it('every keyword the installed man page shows in these blocks is in the table', (ctx) => {
    const why = missing({ commands: ['man', 'keepalived'] });
    if (why) return ctx.skip(why);
    let text: string;
    try {
      text = execFileSync('man', ['-P', 'cat', 'keepalived.conf'], {
        encoding: 'utf8',
        env: { ...process.env, MANWIDTH: '200' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (e) {
      if (inCI) throw e;
      return ctx.skip('no keepalived.conf(5) man page');
    }
    // the configuration examples: indented `keyword ...` lines and `NAME ... {` blocks
    const found: Record<string, Set<string>> = {};
    const stack: string[] = [];
    for (const raw of text.split('\n')) {
      const l = raw.trim();
      if (l === '' || l.startsWith('#')) continue;
      if (l === '}') {
        stack.pop();
        continue;
      }
      const m = /^([A-Za-z][A-Za-z0-9_-]*)(\s|$)/.exec(l);
      if (!m || !/^\s{6,}/.test(raw)) continue;
      const ctxName = stack.at(-1) ?? 'top';
      found[ctxName] ??= new Set();
      found[ctxName].add(m[1]!);
      if (l.endsWith('{')) stack.push(m[1]!);
    }
    const noise = new Set(['For', 'be', 'or', 'CHECKER_TYPE']);
    const missingFromTable: string[] = [];
    for (const block of [
      'global_defs',
      'vrrp_script',
      'vrrp_sync_group',
      'vrrp_instance',
      'virtual_server',
    ]) {
      for (const k of found[block] ?? []) {
        // upper-case words are checker blocks, which the man page lays out under real_server
        // with a `}` that its text does not open
        if (noise.has(k) || /^[A-Z_]+$/.test(k)) continue;
        // the man page lists it, keepalived 2.2.7's parser reports it as an unknown keyword
        if (block === 'vrrp_sync_group' && k === 'notify_deleted') continue;
        if (!KEEPALIVED_KEYWORDS[block]!.includes(k)) missingFromTable.push(`${block} ${k}`);
      }
    }
    expect(found.global_defs?.size ?? 0).toBeGreaterThan(100);
    expect(missingFromTable).toEqual([]);
  });
});
