// The importers' input: a file, or standard input for `-` (import-ipvsadm), read whole and
// decoded as UTF-8. A file that cannot be read, or is not UTF-8 text, is one clean line on
// stderr (never Node's own message) and no text.
import { readFile } from 'node:fs/promises';

/** where an importer writes: the YAML to out, warnings and errors to err */
export interface ImportIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface ImportInput {
  /** the name in messages: the file, or `stdin` */
  name: string;
  text: string;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `file` (or standard input for `-` when `stdin` is allowed); null after the error line */
export async function readImportInput(
  file: string,
  io: ImportIo,
  stdin?: { read?: () => Promise<Buffer> },
): Promise<ImportInput | null> {
  const fromStdin = file === '-' && stdin !== undefined;
  const name = fromStdin ? 'stdin' : file;
  let bytes: Buffer;
  try {
    bytes = fromStdin ? await (stdin.read ?? readStdin)() : await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    io.err(`${name}: cannot read the file: ${why}\n`);
    return null;
  }
  try {
    return { name, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // (the decoder's own error has a code too: never print it as Node's message)
    io.err(`${name}: cannot read the file: not UTF-8 text\n`);
    return null;
  }
}
