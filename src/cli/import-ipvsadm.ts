// `vrrpd import-ipvsadm [FILE|-]`: `ipvsadm-save -n` output, or a script of ipvsadm commands,
// → vrrpd `virtual_servers` YAML on stdout. What is not carried over is a
// `# not carried over` comment in the YAML and one warning line on stderr.
// Exit 1 when the input cannot be read, or with --strict when anything was not carried over.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importIpvsadm } from '../config/ipvsadm-import.js';
import { readImportInput } from './import-input.js';
import type { ImportIo } from './import-keepalived.js';

export interface ImportIpvsadmOptions {
  /** exit 1 when anything was not carried over */
  strict?: boolean;
  /** where service names (`http`) are looked up, as ipvsadm does; default /etc/services */
  servicesFile?: string;
  /** the standard input, for FILE `-` */
  stdin?: () => Promise<Buffer>;
}

/** /etc/services text → a lookup of `name/proto` (aliases included) */
export function servicesLookup(text: string): (name: string, proto: string) => number | undefined {
  const map = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(words[1] ?? '');
    if (!m || !words[0]) continue;
    for (const n of [words[0], ...words.slice(2)]) {
      const k = `${n}/${m[2]}`;
      if (!map.has(k)) map.set(k, Number(m[1]));
    }
  }
  return (name, proto) => map.get(`${name}/${proto}`);
}

export async function runImportIpvsadm(
  file: string,
  io: ImportIo,
  opts: ImportIpvsadmOptions = {},
): Promise<number> {
  const input = await readImportInput(file, io, { ...(opts.stdin ? { read: opts.stdin } : {}) });
  if (!input) return 1;
  const { name, text } = input;
  let services = '';
  try {
    services = readFileSync(opts.servicesFile ?? '/etc/services', 'utf8');
  } catch {
    // numbers only then; a name is reported as not carried over
  }
  const r = importIpvsadm(text, { sourceName: name, servicePort: servicesLookup(services) });
  io.out(r.yaml);
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  if (opts.strict && r.warnings.length) {
    io.err(`${name}: ${r.warnings.length} statement(s) not carried over (--strict)\n`);
    return 1;
  }
  return 0;
}

export function registerImportIpvsadmCommand(program: Command): void {
  program
    .command('import-ipvsadm')
    .description(
      'convert an IPVS table (ipvsadm-save -n output, or a script of ipvsadm commands) to vrrpd virtual_servers YAML on stdout (comments and stderr warnings name what was not carried over)',
    )
    .argument('[file]', 'the ipvsadm-save output or script to convert; - or none: standard input', '-')
    .option('--strict', 'exit 1 when anything was not carried over')
    .addHelpText(
      'after',
      '\nExamples:\n  ipvsadm-save -n | vrrpd import-ipvsadm > /etc/vrrpd/lvs.yaml\n  vrrpd import-ipvsadm --strict /etc/network/if-up.d/ipvs\n',
    )
    .action(async (file: string, o: { strict?: boolean }) => {
      process.exitCode = await runImportIpvsadm(
        file,
        { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
        o.strict ? { strict: true } : {},
      );
    });
}
