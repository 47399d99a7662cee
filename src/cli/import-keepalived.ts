// `vrrpd import-keepalived FILE`: keepalived.conf → vrrpd YAML on stdout. Each statement not
// carried over is a `# not carried over` comment in the YAML and one warning line on stderr.
// Exit 1 when the file cannot be read, or with --strict when anything was not carried over.
import type { Command } from 'commander';
import { type ImportIo, readImportInput } from './import-input.js';

export type { ImportIo } from './import-input.js';

export interface ImportCliOptions {
  /** exit 1 when anything was not carried over */
  strict?: boolean;
  /** keepalived's -i/--config-id, for @ID conditional lines */
  configId?: string;
}

export async function runImportKeepalived(
  file: string,
  io: ImportIo,
  opts: ImportCliOptions = {},
): Promise<number> {
  const input = await readImportInput(file, io);
  if (!input) return 1;
  const { text } = input;
  // loaded here: no other command (the daemon least of all) needs the importer
  const { importKeepalivedConf } = await import('../config/keepalived-import.js');
  const r = importKeepalivedConf(text, {
    file,
    ...(opts.configId !== undefined ? { configId: opts.configId } : {}),
  });
  io.out(r.yaml);
  for (const w of r.warnings) io.err(`warning: ${w}\n`);
  if (opts.strict && r.warnings.length) {
    io.err(`${file}: ${r.warnings.length} statement(s) not carried over (--strict)\n`);
    return 1;
  }
  return 0;
}

export function registerImportKeepalivedCommand(program: Command): void {
  program
    .command('import-keepalived')
    .description(
      'convert a keepalived.conf to vrrpd YAML on stdout (comments and stderr warnings name what was not carried over)',
    )
    .argument('<file>', 'the keepalived.conf to convert')
    .option('--strict', 'exit 1 when anything was not carried over')
    .option(
      '-i, --config-id <id>',
      "keepalived's config id for @ID lines (keepalived -i; default: none matches)",
    )
    .action(async (file: string, o: { strict?: boolean; configId?: string }) => {
      process.exitCode = await runImportKeepalived(
        file,
        { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
        {
          ...(o.strict ? { strict: true } : {}),
          ...(o.configId !== undefined ? { configId: o.configId } : {}),
        },
      );
    });
}
