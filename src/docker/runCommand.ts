import { text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { emptySpec } from './container.js';
import type { ContainerMount, ContainerSpec, Located } from './container.js';
import { GLOBAL_TABLE, RUN_ALIASES, RUN_TABLE } from './runOptions.js';
import type { OptionTable } from './runOptions.js';
import { parseShellWords } from './shellwords.js';
import type { ShellWord } from './shellwords.js';

/** Words that may stand before the program name without being it. */
const PREFIX_COMMANDS = new Set(['sudo', 'exec', 'command', 'nohup', 'time', 'env', 'doas']);

/** One option as written on the command line, after `--name=value` and `-abc` clusters are split. */
interface ParsedOption {
  name: string;
  value: string;
  word: ShellWord;
  /** Whether the value comes from a word with an expansion. */
  expands: boolean;
}

export interface RunCommandParse {
  specs: ContainerSpec[];
  /** Problems with the command lines themselves: unknown options, a missing image, shell syntax. */
  findings: Finding[];
}

/** Find every `docker run`, `docker create`, `docker container run` and `docker container create` in a shell text. */
export function parseRunCommands(source: string, path: string): RunCommandParse {
  const shell = parseShellWords(source);
  const result: RunCommandParse = { specs: [], findings: [] };
  for (const error of shell.errors) {
    const problem = error.message.replace(/-/g, ' ');
    result.findings.push({
      path,
      line: error.line,
      column: error.column,
      code: 'docker-run.shell-syntax',
      severity: 'error',
      message: text(`shell syntax: ${problem}; close the quote or substitution`, `シェルの構文エラー: ${problem}。引用符や置換を閉じてください`),
    });
  }
  for (const command of shell.commands) {
    const words = runArguments(command.words);
    if (words === undefined) continue;
    parseRunArguments(words.first, words.rest, path, result);
  }
  return result;
}

/** Return the words after `docker [global options] run`, or undefined when the command is something else. */
function runArguments(words: ShellWord[]): { first: ShellWord; rest: ShellWord[] } | undefined {
  let i = 0;
  while (i < words.length) {
    const word = (words[i] as ShellWord).value;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) i++;
    else if (PREFIX_COMMANDS.has(word)) {
      i++;
      while (i < words.length && (words[i] as ShellWord).value.startsWith('-')) i++;
    } else break;
  }
  const program = words[i];
  if (program === undefined || program.value.split('/').pop() !== 'docker') return undefined;
  i++;

  // Global options of the docker command, e.g. `docker -H tcp://host:2376 --tlsverify run`.
  while (i < words.length && (words[i] as ShellWord).value.startsWith('-')) {
    const option = (words[i] as ShellWord).value;
    i++;
    if (option.includes('=')) continue;
    const long = option.startsWith('--') ? option.slice(2) : GLOBAL_TABLE.shorts.get(option.slice(1));
    if (long !== undefined && GLOBAL_TABLE.values.has(long)) i++;
  }
  let subcommand = words[i]?.value;
  if (subcommand === 'container') {
    i++;
    subcommand = words[i]?.value;
  }
  if (subcommand !== 'run' && subcommand !== 'create') return undefined;
  return { first: program, rest: words.slice(i + 1) };
}

function optionName(table: OptionTable, raw: string): string | undefined {
  const long = RUN_ALIASES[raw] ?? raw;
  return table.values.has(long) || table.booleans.has(long) ? long : undefined;
}

function parseRunArguments(first: ShellWord, words: ShellWord[], path: string, result: RunCommandParse): void {
  const spec = emptySpec('run', 'docker run', path, first.line, first.column);
  const options: ParsedOption[] = [];
  const finding = (word: ShellWord, code: string, severity: Finding['severity'], en: string, ja: string): void => {
    result.findings.push({ path, line: word.line, column: word.column, code, severity, message: text(en, ja), value: word.value });
  };

  let i = 0;
  let image: ShellWord | undefined;
  while (i < words.length) {
    const word = words[i] as ShellWord;
    i++;
    if (word.value === '--') {
      image = words[i];
      break;
    }
    if (!word.value.startsWith('-') || word.value === '-') {
      image = word;
      break;
    }

    // Options of the form --name, --name=value, -x, -xyz, -xVALUE.
    let pairs: { raw: string; inline?: string }[];
    if (word.value.startsWith('--')) {
      const equals = word.value.indexOf('=');
      pairs = equals === -1 ? [{ raw: word.value.slice(2) }] : [{ raw: word.value.slice(2, equals), inline: word.value.slice(equals + 1) }];
    } else {
      pairs = [];
      const letters = word.value.slice(1);
      for (let k = 0; k < letters.length; k++) {
        const long = RUN_TABLE.shorts.get(letters[k] as string) ?? `-${letters[k] as string}`;
        if (RUN_TABLE.values.has(long) && k + 1 < letters.length) {
          const rest = letters.slice(k + 1);
          pairs.push({ raw: long, inline: rest.startsWith('=') ? rest.slice(1) : rest });
          break;
        }
        pairs.push({ raw: long });
      }
    }

    for (const pair of pairs) {
      const name = optionName(RUN_TABLE, pair.raw);
      if (name === undefined) {
        const spelling = pair.raw.startsWith('-') ? pair.raw : `--${pair.raw}`;
        finding(word, 'docker-run.unknown-option', 'warning', `unknown docker run option ${spelling} (Docker CLI 20.10); check the spelling`, `docker run の不明なオプション ${spelling} です(Docker CLI 20.10 基準)。綴りを確認してください`);
        continue;
      }
      if (RUN_TABLE.booleans.has(name)) {
        options.push({ name, value: pair.inline ?? 'true', word, expands: word.expands });
        continue;
      }
      if (pair.inline !== undefined) {
        options.push({ name, value: pair.inline, word, expands: word.expands });
        continue;
      }
      const valueWord = words[i];
      if (valueWord === undefined) {
        finding(word, 'docker-run.missing-value', 'error', `option --${name} needs a value`, `オプション --${name} には値が必要です`);
        continue;
      }
      i++;
      options.push({ name, value: valueWord.value, word: valueWord, expands: valueWord.expands });
    }
  }

  // Without an image docker runs nothing, so the container rules are not checked.
  if (image === undefined) {
    finding(first, 'docker-run.no-image', 'error', 'docker run names no image; put the image after the options', 'docker run にイメージがありません。オプションの後にイメージを指定してください');
    return;
  }
  spec.image = located(image.value, image, image.expands);
  for (const option of options) applyOption(spec, option);
  result.specs.push(spec);
}

function located<T>(value: T, word: ShellWord, expands: boolean): Located<T> {
  const place: Located<T> = { value, line: word.line, column: word.column };
  if (expands) place.expands = true;
  return place;
}

/** Split `--volume SRC:DST[:OPTS]`; a source that is not a path is a named volume. */
export function volumeMount(value: string): ContainerMount {
  const parts = value.split(':');
  if (parts.length === 1) return { type: 'volume', target: value };
  const source = parts[0] as string;
  const type = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume';
  return { type, source, target: parts[1] as string };
}

/** Read `--mount type=bind,source=/a,target=/b,readonly` into its fields. */
export function mountFields(value: string): ContainerMount {
  const mount: ContainerMount = {};
  for (const field of value.split(',')) {
    const [key, ...rest] = field.split('=');
    const fieldValue = rest.join('=');
    if (key === 'type') mount.type = fieldValue;
    else if (key === 'source' || key === 'src') mount.source = fieldValue;
    else if (key === 'target' || key === 'destination' || key === 'dst') mount.target = fieldValue;
  }
  if (mount.type === undefined) mount.type = 'volume';
  return mount;
}

function applyOption(spec: ContainerSpec, option: ParsedOption): void {
  const at = <T>(value: T): Located<T> => located(value, option.word, option.expands);
  const on = option.value !== 'false';
  switch (option.name) {
    case 'read-only':
      spec.readOnly = at(on);
      break;
    case 'privileged':
      spec.privileged = at(on);
      break;
    case 'tmpfs':
      spec.tmpfs.push(at(option.value));
      break;
    case 'security-opt':
      spec.securityOpt.push(at(option.value));
      break;
    case 'cap-add':
      spec.capAdd.push(...option.value.split(',').map((cap) => at(cap)));
      break;
    case 'cap-drop':
      spec.capDrop.push(...option.value.split(',').map((cap) => at(cap)));
      break;
    case 'pids-limit':
      spec.pidsLimit = at(option.value);
      break;
    case 'memory':
      spec.memory = at(option.value);
      break;
    case 'cpus':
    case 'cpu-quota':
      spec.cpus = at(option.value);
      break;
    case 'user':
      spec.user = at(option.value);
      break;
    case 'network':
      spec.network = at(option.value);
      break;
    case 'pid':
      spec.pid = at(option.value);
      break;
    case 'ipc':
      spec.ipc = at(option.value);
      break;
    case 'userns':
      spec.userns = at(option.value);
      break;
    case 'uts':
      spec.uts = at(option.value);
      break;
    case 'volume':
      spec.mounts.push(at(volumeMount(option.value)));
      break;
    case 'mount':
      spec.mounts.push(at(mountFields(option.value)));
      break;
  }
}
