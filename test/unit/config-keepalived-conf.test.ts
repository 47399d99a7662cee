// biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived.conf text uses ${NAME}
// keepalived.conf read as keepalived 2.2 reads it (keepalived.conf(5)): quotes and escapes,
// comments, includes with globs relative to the including file, @id lines, parameters,
// ~SEQ/~LST repeaters.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandBraces, readKeepalivedConf, tokenizeLine } from '../../src/config/keepalived-conf.js';

const words = (line: string): string[] => tokenizeLine(line).map((t) => t.text);
const lines = (text: string, opts = {}): string[][] =>
  readKeepalivedConf(text, opts).statements.map((s) => s.words);

describe('keepalived.conf words', () => {
  it('quotes keep the whitespace between them and may join a word', () => {
    expect(words(`abcd" efg h jkl "mnop`)).toEqual(['abcd efg h jkl mnop']);
    expect(words(`abcd "efg h jkl" mnop`)).toEqual(['abcd', 'efg h jkl', 'mnop']);
    expect(words(`script '/bin/x "a b"'`)).toEqual(['script', '/bin/x "a b"']);
    expect(words(`x "" y`)).toEqual(['x', '', 'y']);
  });

  it('escapes are decoded inside quotes only', () => {
    expect(words(`"a\\tb\\x41\\101\\"q\\\\" c\\td`)).toEqual(['a\tbAA"q\\', 'c\\td']);
    expect(words(`"\\n\\r\\cA\\e"`)).toEqual(['\n\r\x01\x1b']);
  });

  it('comments start with # or ! anywhere outside quotes', () => {
    expect(words('a b # c d')).toEqual(['a', 'b']);
    expect(words('a b! c')).toEqual(['a', 'b']);
    expect(words('"a # b" c ! d')).toEqual(['a # b', 'c']);
  });

  it('braces outside quotes are punctuation', () => {
    expect(tokenizeLine('a{b}"{"')).toEqual([
      { text: 'a', punct: false },
      { text: '{', punct: true },
      { text: 'b', punct: false },
      { text: '}', punct: true },
      { text: '{', punct: false },
    ]);
  });
});

describe('keepalived.conf preprocessing', () => {
  it('@id lines follow the config id; @^id is the negation', () => {
    const text = '@main router_id main\n@backup router_id backup\n@^main peer 1\n@^backup peer 2\n';
    expect(lines(text, { configId: 'main' })).toEqual([
      ['router_id', 'main'],
      ['peer', '2'],
    ]);
    expect(lines(text, { configId: 'other' })).toEqual([
      ['peer', '1'],
      ['peer', '2'],
    ]);
    // without a config id nothing matches, and the reader says so for every conditional line
    const r = readKeepalivedConf(text);
    expect(r.statements.map((s) => s.words)).toEqual([
      ['peer', '1'],
      ['peer', '2'],
    ]);
    expect(r.notes.map((n) => [n.line, n.dropped])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect(r.notes[0]!.text).toContain('no --config-id');
  });

  it('$NAME=value, ${NAME} anywhere, $NAME before whitespace, recursively at use time', () => {
    const text = [
      '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}',
      '$ADDRESS_BASE_SUB=0',
      '${ADDRESS_BASE}.100/32',
      '$ADDRESS_BASE_SUB=10',
      '${ADDRESS_BASE}.100/32',
      '$PRIO=240',
      'priority $PRIO',
      'priority $PRIOx $UNDEF',
      '@main $P2=1',
      'p $P2',
    ].join('\n');
    expect(lines(text, { configId: 'main' })).toEqual([
      ['10.2.0.100/32'],
      ['10.2.10.100/32'],
      ['priority', '240'],
      ['priority', '$PRIOx', '$UNDEF'],
      ['p', '1'],
    ]);
  });

  it('multi-line parameters, ${_PWD}, ${_HASH}, ${_BANG}, ${_INSTANCE}', () => {
    const text = [
      '$VI= \\',
      'vrrp_instance VI_${NUM} { \\',
      '  interface eth${NUM} \\',
      '  @high priority 130 \\',
      '  @low priority 120 \\',
      '}',
      '$NUM=0',
      '$VI',
      '$NUM=1',
      '$VI',
      'script "${_PWD}/check.sh ${_HASH}${_BANG}" ${_INSTANCE}',
    ].join('\n');
    const st = readKeepalivedConf(text, {
      configId: 'low',
      file: '/etc/keepalived/keepalived.conf',
    }).statements;
    expect(st.map((s) => [s.words, s.block?.map((b) => b.words)])).toEqual([
      [
        ['vrrp_instance', 'VI_0'],
        [
          ['interface', 'eth0'],
          ['priority', '120'],
        ],
      ],
      [
        ['vrrp_instance', 'VI_1'],
        [
          ['interface', 'eth1'],
          ['priority', '120'],
        ],
      ],
      [['script', '/etc/keepalived/check.sh #!', 'low'], undefined],
    ]);
  });

  it('~SEQ, ~SEQx and ~LST repeat the rest of the line', () => {
    expect(lines('~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1')).toEqual([
      ['ip_address', '10.0.0.1'],
      ['ip_address', '10.0.1.1'],
      ['ip_address', '10.0.2.1'],
      ['ip_address', '10.0.3.1'],
    ]);
    expect(lines('~SEQx(S, 144, 16, 192) fe80::20:${S}:1').flat()).toEqual([
      'fe80::20:90:1',
      'fe80::20:a0:1',
      'fe80::20:b0:1',
      'fe80::20:c0:1',
    ]);
    expect(lines('~SEQ(N, 3) n$N').flat()).toEqual(['n1', 'n2', 'n3']);
    expect(lines('~LST(IP, 1, 2) ~LST(IP1, 5,6) 192.169.${IP}.${IP1}').flat()).toEqual([
      '192.169.1.5',
      '192.169.1.6',
      '192.169.2.5',
      '192.169.2.6',
    ]);
    expect(lines('~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}').flat()).toEqual([
      '192.168.10.1',
      '192.168.20.4',
    ]);
  });

  it('include: globs and brace lists, relative to the including file, sorted, nested', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-inc-'));
    mkdirSync(join(dir, 'conf.d'));
    mkdirSync(join(dir, 'conf.d', 'sub'));
    writeFileSync(join(dir, 'conf.d', 'b.conf'), 'b 1\ninclude sub/*.conf\n');
    writeFileSync(join(dir, 'conf.d', 'a.conf'), 'a 1\n');
    writeFileSync(join(dir, 'conf.d', 'a.txt'), 'txt 1\n');
    writeFileSync(join(dir, 'conf.d', 'sub', 'c.conf'), 'c "${_PWD}"\n');
    writeFileSync(join(dir, 'x.inc'), 'x 1\n');
    const main = join(dir, 'keepalived.conf');
    const r = readKeepalivedConf(
      'top 1\ninclude conf.d/*.conf\ninclude {x,y}.inc\ninclude none/*.conf\nend 1\n',
      {
        file: main,
      },
    );
    expect(r.statements.map((s) => s.words)).toEqual([
      ['top', '1'],
      ['a', '1'],
      ['b', '1'],
      ['c', join(dir, 'conf.d', 'sub')],
      ['x', '1'],
      ['end', '1'],
    ]);
    expect(r.statements[1]).toMatchObject({ line: 1, file: join(dir, 'conf.d', 'a.conf') });
    // y.inc and none/*.conf match nothing: said, with the line of the include
    expect(r.notes.map((n) => [n.line, n.text])).toEqual([
      [3, expect.stringContaining('y.inc: cannot be read')],
      [4, 'include none/*.conf: no file matched, nothing included'],
    ]);
  });

  it("a '}' that closes no block is ignored and the rest of the file is read", () => {
    const r = readKeepalivedConf('a 1\n}\nb {\n c 1\n}\n}\nd 1\n');
    expect(r.statements.map((x) => x.words)).toEqual([['a', '1'], ['b'], ['d', '1']]);
    expect(r.notes.map((n) => n.line)).toEqual([2, 6]);
  });

  it("a '{' never closed is said", () => {
    const r = readKeepalivedConf('a {\n b {\n c 1\n }\n');
    expect(r.statements[0]!.block![0]!.block).toEqual([{ words: ['c', '1'], line: 3 }]);
    expect(r.notes.map((n) => [n.line, n.dropped])).toEqual([[1, true]]);
  });

  it('brace lists expand like csh', () => {
    expect(expandBraces('{foo/{,cat,dog},bar}')).toEqual(['foo/', 'foo/cat', 'foo/dog', 'bar']);
  });
});
