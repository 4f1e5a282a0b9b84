import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { loadSshd } from '../model/sshd.js';
import type { SshdModel } from '../model/sshd.js';
import { parseSshd, serializeSshd, withArguments } from '../parse/sshd.js';
import type { SshdDirective } from '../parse/sshd.js';
import type { RemedyContext } from './types.js';
import { appendLines, lineEndingOf } from './types.js';

/** Our drop-in's name sorts before cloud-init's 50-cloud-init.conf and distribution files. */
export const SSHD_DROP_IN_NAME = '00-kimigayo-harden.conf';
const DROP_IN_HEADER = '# sshd settings of the Kimigayo OS hardening guide, kept by kimigayo-harden.\n# sshd uses the first value it reads, so this file sorts first.\n';

interface DropIn {
  /** Target path of our drop-in. */
  file: string;
  /** Line of the main file's Include that reads the directory. */
  includeLine: number;
}

/** The directory the main file includes before its first Match block, when our drop-in name fits the pattern. */
function dropInFor(model: SshdModel): DropIn | undefined {
  const main = model.documents.find((doc) => doc.path === model.configPath);
  if (main === undefined) return undefined;
  for (const line of main.lines) {
    if (line.kind !== 'directive') continue;
    if (line.keyword === 'match') return undefined;
    if (line.keyword !== 'include') continue;
    for (const pattern of line.args) {
      const absolute = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
      const dir = path.posix.dirname(absolute);
      if (/[*?[]/.test(dir)) continue;
      if (picomatch.isMatch(SSHD_DROP_IN_NAME, path.posix.basename(absolute), { dot: true, nobrace: true, noextglob: true })) {
        return { file: `${dir}/${SSHD_DROP_IN_NAME}`, includeLine: line.line };
      }
    }
  }
  return undefined;
}

function editDirective(context: RemedyContext, file: string, lineNumber: number, values: string[], reason: string): boolean {
  const source = context.overlay.currentText(file);
  if (source === undefined) return false;
  const doc = parseSshd(source, file);
  const index = doc.lines.findIndex((line) => line.line === lineNumber && line.kind === 'directive');
  if (index < 0) return false;
  doc.lines[index] = withArguments(doc.lines[index] as SshdDirective, values);
  context.overlay.writeFile(file, serializeSshd(doc), reason);
  return true;
}

function setInDropIn(context: RemedyContext, file: string, name: string, keyword: string, values: string[], reason: string): void {
  const source = context.overlay.currentText(file) ?? DROP_IN_HEADER;
  const doc = parseSshd(source, file);
  const index = doc.lines.findIndex((line) => line.kind === 'directive' && line.keyword === keyword && line.matchLine === undefined);
  if (index >= 0) {
    doc.lines[index] = withArguments(doc.lines[index] as SshdDirective, values);
    context.overlay.writeFile(file, serializeSshd(doc), reason, { mode: 0o600 });
    return;
  }
  context.overlay.writeFile(file, appendLines(serializeSshd(doc), [`${name} ${values.join(' ')}`]), reason, { mode: 0o600 });
}

/** Insert a global setting before the first Match block of the main file, where a line at the end would belong to that block. */
function insertBeforeMatch(context: RemedyContext, file: string, name: string, values: string[], reason: string): void {
  const source = context.overlay.currentText(file) ?? '';
  const doc = parseSshd(source, file);
  const firstMatch = doc.lines.findIndex((line) => line.kind === 'directive' && line.keyword === 'match');
  const added = `${name} ${values.join(' ')}`;
  if (firstMatch < 0) {
    context.overlay.writeFile(file, appendLines(serializeSshd(doc), [added]), reason);
    return;
  }
  // Comments and blank lines above a Match line belong to the block, so the setting goes right
  // after the last line before them.
  let at = firstMatch;
  while (at > 0 && doc.lines[at - 1]?.kind !== 'directive') at--;
  const before = doc.lines.slice(0, at).map((line) => line.raw + line.eol).join('');
  const after = doc.lines.slice(at).map((line) => line.raw + line.eol).join('');
  context.overlay.writeFile(file, `${appendLines(before, [added], lineEndingOf(source))}${after}`, reason);
}

/**
 * Make the effective global value of each keyword the expected one. sshd keeps the first value
 * it reads, so a main-file line read before the drop-in directory is changed in place. Otherwise
 * the setting goes to a drop-in that sorts first when the main file includes a directory. Without
 * such a directory, an existing line is changed in place or a line is inserted before the first
 * Match block.
 */
export function remedySshd(controls: Control[], context: RemedyContext): void {
  let changed = false;
  for (const control of controls) {
    if (control.check.kind !== 'sshd') continue;
    const { keyword, name, expected } = control.check;
    const values = (expected[0] as string).split(' ');
    const model = loadSshd(context.overlay);
    if (!model.present) continue;
    const effective = model.global(keyword);

    if (effective.source === 'command-line') {
      context.notes.push({
        controlId: control.id,
        severity: 'warning',
        message: text(
          `${name} is set on sshd's command line by ${effective.path ?? 'the service settings'}${effective.line === undefined ? '' : `:${effective.line}`}, which wins over every file; change it there by hand`,
          `${name} は ${effective.path ?? 'サービス設定'}${effective.line === undefined ? '' : `:${effective.line}`} で sshd のコマンドラインに指定されており、どのファイルよりも優先されます。そこを手で直してください`,
        ),
      });
      continue;
    }

    const dropIn = dropInFor(model);
    const inMainBeforeInclude = effective.source === 'config' && effective.path === model.configPath && dropIn !== undefined && (effective.line ?? 0) < dropIn.includeLine;
    if (effective.source === 'config' && effective.path !== undefined && effective.line !== undefined && (dropIn === undefined || inMainBeforeInclude)) {
      changed = editDirective(context, effective.path, effective.line, values, control.id) || changed;
    } else if (dropIn !== undefined) {
      setInDropIn(context, dropIn.file, name, keyword, values, control.id);
      changed = true;
      const winner = loadSshd(context.overlay).global(keyword);
      if (winner.source === 'config' && winner.path !== undefined && winner.line !== undefined && winner.path !== dropIn.file && winner.value.join(' ') !== values.join(' ')) {
        // A file whose name sorts before ours (00-admin.conf) is read first, so its line still
        // decides. That line is changed in place.
        editDirective(context, winner.path, winner.line, values, control.id);
        context.notes.push({
          controlId: control.id,
          severity: 'info',
          message: text(
            `${winner.path}:${winner.line} is read before ${dropIn.file} and sets ${name} ${winner.value.join(' ')}; that line is changed to ${values.join(' ')}`,
            `${winner.path}:${winner.line} は ${dropIn.file} より先に読まれ ${name} ${winner.value.join(' ')} を設定しているため、その行を ${values.join(' ')} に変更します`,
          ),
        });
      } else if (effective.source === 'config' && effective.path !== undefined) {
        context.notes.push({
          controlId: control.id,
          severity: 'info',
          message: text(
            `${effective.path}:${effective.line ?? '?'} sets ${name} ${effective.value.join(' ')}; ${dropIn.file} is read before it, so its value wins`,
            `${effective.path}:${effective.line ?? '?'} は ${name} ${effective.value.join(' ')} を設定していますが、${dropIn.file} が先に読まれるためこちらの値が有効になります`,
          ),
        });
      }
    } else {
      insertBeforeMatch(context, model.configPath, name, values, control.id);
      changed = true;
    }

    for (const override of model.matchOverrides(keyword)) {
      if (override.value.join(' ') === values.join(' ')) continue;
      context.notes.push({
        controlId: control.id,
        severity: 'warning',
        message: text(
          `${override.path}:${override.line}: the Match ${override.block.criteria} block sets ${name} ${override.value.join(' ')} for its connections; review it by hand`,
          `${override.path}:${override.line}: Match ${override.block.criteria} ブロックが接続に対して ${name} ${override.value.join(' ')} を設定しています。手で確認してください`,
        ),
      });
    }
  }
  if (changed && context.live) context.runtime.push({ kind: 'sshd-reload', controlId: 'ssh' });
}
