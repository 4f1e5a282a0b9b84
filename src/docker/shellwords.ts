
/**
 * Splitting of shell command lines into words the way a POSIX shell does it before expansion:
 * quotes, backslashes, line continuations, comments and the operators that end a command.
 * Parameter expansions (`$VAR`, `${VAR}`) and command substitutions (`$(...)`, backquotes) are
 * kept as written inside their word and flagged, because their value is only known when the
 * script runs. Here documents, `case`, `if` and other compound commands are not understood:
 * their words are split like any other.
 */

export interface ShellWord {
  /** Word after quote removal. */
  value: string;
  /** Offset of the first character of the word in the source, and one past the last. */
  start: number;
  end: number;
  line: number;
  column: number;
  /** Whether the word contains an unquoted or double-quoted `$` or a backquote, so its value is not final. */
  expands: boolean;
}

/** One simple command: the words between two command-ending operators. */
export interface ShellCommand {
  words: ShellWord[];
}

export interface ShellSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: 'unterminated-single-quote' | 'unterminated-double-quote' | 'unterminated-substitution';
}

export interface ShellParse {
  commands: ShellCommand[];
  errors: ShellSyntaxError[];
}

const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '<', '>']);
const BLANKS = new Set([' ', '\t']);

/** Return the offset just after the `)` that closes a `$(` starting at `open` (the `(`), or -1. */
function skipParenthesized(source: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < source.length) {
    const char = source[i] as string;
    if (char === '\\') {
      i += 2;
      continue;
    }
    if (char === "'") {
      const close = source.indexOf("'", i + 1);
      if (close === -1) return -1;
      i = close + 1;
      continue;
    }
    if (char === '(') depth++;
    if (char === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * Return a function from offset to 1-based line and column. It looks lines up in a table built
 * once, because a script has a word every few characters and scanning from the start for each
 * one makes long scripts quadratic.
 */
function positionFinder(source: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (starts[low] as number) + 1 };
  };
}

/** Split `source` into simple commands and their words. Comments and empty commands are dropped. */
export function parseShellWords(source: string): ShellParse {
  const lineColumnAt = positionFinder(source);
  const commands: ShellCommand[] = [];
  const errors: ShellSyntaxError[] = [];
  let words: ShellWord[] = [];
  let redirection = false;
  let i = 0;

  const error = (offset: number, message: ShellSyntaxError['message']): void => {
    errors.push({ offset, message, ...lineColumnAt(offset) });
  };
  const endCommand = (): void => {
    if (words.length > 0) commands.push({ words });
    words = [];
    redirection = false;
  };

  while (i < source.length) {
    const char = source[i] as string;

    if (BLANKS.has(char) || char === '\r') {
      i++;
      continue;
    }
    if (char === '\\' && source[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (char === '\\' && source[i + 1] === '\r' && source[i + 2] === '\n') {
      i += 3;
      continue;
    }
    if (char === '\n') {
      endCommand();
      i++;
      continue;
    }
    if (char === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (OPERATOR_CHARS.has(char)) {
      // Redirections such as `>file` or `2>&1` end no command, but the shell does not pass
      // them to the program either, so they are dropped with their target word below.
      if (char === '<' || char === '>') {
        i++;
        while (source[i] === '>' || source[i] === '&' || source[i] === '<') i++;
        redirection = true;
        continue;
      }
      if (char === '&' && source[i + 1] === '>') {
        i += 2;
        redirection = true;
        continue;
      }
      endCommand();
      i++;
      continue;
    }

    // A word: read until an unquoted blank, newline or operator.
    const start = i;
    let value = '';
    let expands = false;
    let closed = true;
    while (i < source.length) {
      const c = source[i] as string;
      if (BLANKS.has(c) || c === '\n' || c === '\r' || OPERATOR_CHARS.has(c)) break;
      if (c === '\\') {
        const next = source[i + 1];
        if (next === undefined) {
          i++;
          break;
        }
        if (next === '\n') {
          i += 2;
          continue;
        }
        value += next;
        i += 2;
        continue;
      }
      if (c === "'") {
        const close = source.indexOf("'", i + 1);
        if (close === -1) {
          error(i, 'unterminated-single-quote');
          closed = false;
          value += source.slice(i + 1);
          i = source.length;
          break;
        }
        value += source.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let inner = '';
        while (j < source.length && source[j] !== '"') {
          const d = source[j] as string;
          if (d === '\\' && j + 1 < source.length) {
            const escaped = source[j + 1] as string;
            if (escaped === '\n') {
              j += 2;
              continue;
            }
            if ('$`"\\'.includes(escaped)) {
              inner += escaped;
              j += 2;
              continue;
            }
          }
          if (d === '$' || d === '`') expands = true;
          if (d === '$' && source[j + 1] === '(') {
            const close = skipParenthesized(source, j + 1);
            if (close === -1) break;
            inner += source.slice(j, close);
            j = close;
            continue;
          }
          inner += d;
          j++;
        }
        if (j >= source.length) {
          error(i, 'unterminated-double-quote');
          closed = false;
          value += inner;
          i = source.length;
          break;
        }
        value += inner;
        i = j + 1;
        continue;
      }
      if (c === '$' && source[i + 1] === '(') {
        expands = true;
        const close = skipParenthesized(source, i + 1);
        if (close === -1) {
          error(i, 'unterminated-substitution');
          closed = false;
          value += source.slice(i);
          i = source.length;
          break;
        }
        value += source.slice(i, close);
        i = close;
        continue;
      }
      if (c === '`') {
        expands = true;
        const close = source.indexOf('`', i + 1);
        const stop = close === -1 ? source.length : close + 1;
        value += source.slice(i, stop);
        i = stop;
        continue;
      }
      if (c === '$') expands = true;
      value += c;
      i++;
    }

    if (redirection) {
      redirection = false;
      continue;
    }
    // Digits right before `>` or `<` are a file descriptor number, not a word.
    if (/^\d+$/.test(source.slice(start, i)) && (source[i] === '>' || source[i] === '<')) continue;
    words.push({ value, start, end: i, expands, ...lineColumnAt(start) });
    if (!closed) break;
  }
  endCommand();
  return { commands, errors };
}
