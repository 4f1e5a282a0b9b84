import type { HostPath } from './walker.js';

/** Bytes of a host path. */
export function pathBytes(path: HostPath): Buffer {
  return typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
}

/**
 * Make a path safe to print on one terminal line. Backslash, control characters (newline
 * included) and bytes that are not valid UTF-8 become escapes such as `\n` and `\xff`, so no
 * name can start a new line or inject terminal escape sequences.
 */
export function escapePath(path: HostPath): string {
  return typeof path === 'string' ? escapeControls(path) : decodeWithEscapes(path);
}

function escapeControls(value: string): string {
  return value.replace(/[\\\u0000-\u001f\u007f-\u009f]/g, (char) => {
    if (char === '\\') return '\\\\';
    if (char === '\n') return '\\n';
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Decode UTF-8 with controls escaped, writing every byte that is not part of a valid sequence as `\xNN`. */
function decodeWithEscapes(bytes: Buffer): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let output = '';
  let start = 0;
  let i = 0;
  const flush = (end: number): void => {
    if (end > start) output += escapeControls(decoder.decode(bytes.subarray(start, end)));
  };
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    flush(i);
    output += `\\x${(bytes[i] as number).toString(16).padStart(2, '0')}`;
    i++;
    start = i;
  }
  flush(i);
  return output;
}

/** Length of the valid UTF-8 sequence at `index`, or 0 when the byte there does not start one. */
function sequenceLength(bytes: Buffer, index: number): number {
  const lead = bytes[index] as number;
  if (lead < 0x80) return 1;
  let length: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (index + length > bytes.length) return 0;
  let codePoint = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const next = bytes[index + k] as number;
    if ((next & 0xc0) !== 0x80) return 0;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return 0;
  return length;
}
