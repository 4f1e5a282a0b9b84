import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { detectSysctlLoader, loadSysctl } from '../model/sysctl.js';
import { parseSysctl, serializeSysctl, withSysctlValue } from '../parse/sysctl.js';
import type { SysctlSetting } from '../parse/sysctl.js';
import type { RemedyContext } from './types.js';
import { appendLines } from './types.js';

/** The file the guide's kernel settings go to. */
export const SECURITY_SYSCTL_FILE = '/etc/sysctl.d/99-security.conf';
const FALLBACK_FILE = '/etc/sysctl.conf';
const HEADER = '# Kernel settings of the Kimigayo OS hardening guide, kept by kimigayo-harden.\n';

/** Set `key = value` in a file of the overlay by changing the existing line in place, or by appending one. */
export function setSysctlLine(context: RemedyContext, file: string, key: string, value: string, reason: string): void {
  const existing = context.overlay.currentText(file);
  const doc = parseSysctl(existing ?? HEADER, file);
  const index = doc.lines.findIndex((line) => line.kind === 'setting' && line.key === key);
  if (index >= 0) {
    doc.lines[index] = withSysctlValue(doc.lines[index] as SysctlSetting, value);
    context.overlay.writeFile(file, serializeSysctl(doc), reason);
    return;
  }
  context.overlay.writeFile(file, appendLines(serializeSysctl(doc), [`${key} = ${value}`]), reason);
}

/**
 * Write each key to 99-security.conf, then load the configuration again as the target's boot
 * loader would. A file that loads later and sets another value still wins, so that line is
 * changed in place and the plan notes it.
 */
export function remedySysctl(controls: Control[], context: RemedyContext): void {
  const wanted: Array<{ key: string; value: string; id: string }> = [];
  for (const control of controls) {
    if (control.check.kind !== 'sysctl') continue;
    wanted.push({ key: control.check.key, value: control.check.expected, id: control.id });
  }
  if (wanted.length === 0) return;

  const { loader } = detectSysctlLoader(context.overlay);
  for (const item of wanted) setSysctlLine(context, SECURITY_SYSCTL_FILE, item.key, item.value, item.id);

  let model = loadSysctl(context.overlay, loader);
  const ours = model.files.find((file) => file.path === SECURITY_SYSCTL_FILE);
  if (ours === undefined || ours.status !== 'read') {
    // This loader does not read /etc/sysctl.d (or a same-named file shadows ours): use sysctl.conf.
    context.overlay.remove(SECURITY_SYSCTL_FILE, 'sysctl');
    for (const item of wanted) setSysctlLine(context, FALLBACK_FILE, item.key, item.value, item.id);
    context.notes.push({
      severity: 'info',
      message: text(`the ${loader} loader does not read ${SECURITY_SYSCTL_FILE} here, so the settings go to ${FALLBACK_FILE}`, `${loader} のローダーはここでは ${SECURITY_SYSCTL_FILE} を読まないため、設定は ${FALLBACK_FILE} に書きます`),
    });
    model = loadSysctl(context.overlay, loader);
  }

  for (const item of wanted) {
    const effective = model.get(item.key);
    if (effective === undefined || effective.value === item.value) continue;
    const doc = parseSysctl(context.overlay.currentText(effective.path) ?? '', effective.path);
    const index = doc.lines.findIndex((line) => line.line === effective.line && line.kind === 'setting');
    if (index < 0) continue;
    const line = doc.lines[index] as SysctlSetting;
    if (line.key !== item.key) {
      context.notes.push({
        controlId: item.id,
        severity: 'warning',
        message: text(
          `${effective.path}:${effective.line} sets ${line.rawKey} = ${line.value}, a pattern that also covers ${item.key} and loads later; edit that line by hand`,
          `${effective.path}:${effective.line} の ${line.rawKey} = ${line.value} は ${item.key} にも当てはまるパターンで、後から読み込まれます。この行を手で直してください`,
        ),
      });
      continue;
    }
    doc.lines[index] = withSysctlValue(line, item.value);
    context.overlay.writeFile(effective.path, serializeSysctl(doc), item.id);
    context.notes.push({
      controlId: item.id,
      severity: 'info',
      message: text(
        `${effective.path}:${effective.line} loads after ${SECURITY_SYSCTL_FILE} and set ${item.key} = ${effective.value}; that line is changed to ${item.value}`,
        `${effective.path}:${effective.line} は ${SECURITY_SYSCTL_FILE} より後に読み込まれ ${item.key} = ${effective.value} を設定していたため、その行を ${item.value} に変更します`,
      ),
    });
  }

  if (context.live) {
    for (const item of wanted) context.runtime.push({ kind: 'sysctl', key: item.key, value: item.value, controlId: item.id });
  }
}
