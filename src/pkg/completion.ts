// bash completion for vrrpd, generated from the commander program at package build time.
// Self-contained (plain compgen, no bash-completion helper functions), so it also works
// when sourced by hand. Completes commands, each command's options, file names for
// <file>/<path> values and arguments.
import type { Command, Option } from 'commander';

const FILE_VALUE = /^(file|path)$/;

function valueName(o: Option): string | null {
  const m = /[<[]([^>\]]+)[>\]]/.exec(o.flags);
  return m ? m[1]! : null;
}

function optionNames(o: Option): string[] {
  return [o.short, o.long].filter((x): x is string => typeof x === 'string');
}

/** Shell-safe single-quoted word list. */
function words(list: string[]): string {
  for (const w of list) if (!/^[A-Za-z0-9_.:,=-]+$/.test(w)) throw new Error(`unsafe completion word: ${w}`);
  return `'${list.join(' ')}'`;
}

export function bashCompletion(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const commands = program.commands.map((c) => c.name());
  const globalOpts = [...program.options.flatMap(optionNames), '-h', '--help'];
  const cases: string[] = [];
  for (const cmd of program.commands) {
    const opts = cmd.options.filter((o) => !o.hidden);
    const fileOpts = opts.filter((o) => FILE_VALUE.test(valueName(o) ?? '')).flatMap(optionNames);
    const valueOpts = opts.filter((o) => valueName(o) !== null && !FILE_VALUE.test(valueName(o)!));
    const takesFile = cmd.registeredArguments.some((a) => FILE_VALUE.test(a.name()));
    const body: string[] = [];
    if (fileOpts.length > 0)
      body.push(`      case $prev in ${fileOpts.join('|')}) ${fn}_files "$cur"; return ;; esac`);
    if (valueOpts.length > 0)
      body.push(`      case $prev in ${valueOpts.flatMap(optionNames).join('|')}) return ;; esac`);
    const optWords = words([...opts.flatMap(optionNames), '-h', '--help']);
    if (takesFile)
      body.push(
        `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${optWords} -- "$cur"))`,
        `      else ${fn}_files "$cur"; fi`,
      );
    else body.push(`      COMPREPLY=($(compgen -W ${optWords} -- "$cur"))`);
    cases.push(`    ${cmd.name()})`, ...body, '      ;;');
  }
  return `# bash completion for ${name}; generated from its command definitions (src/pkg/completion.ts)
${fn}_files() {
  local IFS=$'\\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$1"))
}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W ${words([...commands, 'help', ...globalOpts])} -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
    help)
      COMPREPLY=($(compgen -W ${words(commands)} -- "$cur"))
      ;;
${cases.join('\n')}
  esac
}
complete -F ${fn} ${name}
`;
}
