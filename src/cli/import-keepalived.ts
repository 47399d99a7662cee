// `vrrpd import-keepalived FILE`: keepalived.conf → vrrpd YAML on stdout, with a comment
// for everything not carried over. Exit 1 when the file cannot be read.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importKeepalived } from '../config/keepalived-import.js';

export interface ImportIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function runImportKeepalived(file: string, io: ImportIo): Promise<number> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code
            ? (e as Error).message
            : 'not UTF-8 text';
    io.err(`${file}: cannot read the file: ${why}\n`);
    return 1;
  }
  io.out(importKeepalived(text, file));
  return 0;
}

export function registerImportKeepalivedCommand(program: Command): void {
  program
    .command('import-keepalived')
    .description(
      'convert a keepalived.conf to vrrpd YAML on stdout (comments mark what was not carried over)',
    )
    .argument('<file>', 'the keepalived.conf to convert')
    .action(async (file: string) => {
      process.exitCode = await runImportKeepalived(file, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
