import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { RuntimeStep } from '../remedy/types.js';
import type { InitSystem } from '../target/target.js';
import type { RuntimeRecord } from '../txn/index.js';
import { ONE_WAY_SYSCTLS } from './plan.js';

export interface RuntimeOutcome {
  ok: boolean;
  message: Text;
  /** What rollback needs to reverse the step; absent when it cannot be reversed. */
  undo?: Record<string, unknown>;
}

function sysctlPath(procRoot: string, key: string): string {
  return path.join(procRoot, 'sys', ...key.split('.'));
}

/** Write a value to /proc/sys and read back what the kernel kept, which may differ (clamped or rejected). */
export function writeSysctl(procRoot: string, key: string, value: string): RuntimeOutcome {
  const file = sysctlPath(procRoot, key);
  let old: string;
  try {
    old = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return { ok: false, message: text(`${key}: not on this kernel (${file} is missing); the file setting applies where the key exists`, `${key}: このカーネルにはありません(${file} がありません)`) };
  }
  try {
    fs.writeFileSync(file, `${value}\n`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: text(`${key}: the kernel rejected ${value} (${reason})`, `${key}: カーネルが ${value} を受け付けませんでした(${reason})`) };
  }
  const now = fs.readFileSync(file, 'utf8').trim().replace(/\s+/g, ' ');
  const oneWay = ONE_WAY_SYSCTLS.get(key) === value;
  const outcome: RuntimeOutcome = {
    ok: now === value.replace(/\s+/g, ' '),
    message: now === value ? text(`${key} = ${now}`, `${key} = ${now}`) : text(`${key}: wrote ${value}, the kernel kept ${now}`, `${key}: ${value} を書き込みましたが、カーネルの値は ${now} です`),
  };
  if (!oneWay) outcome.undo = { key, value: old, procRoot };
  return outcome;
}

function run(command: string, args: string[]): RuntimeOutcome {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const line = [command, ...args].join(' ');
  if (result.status === 0) return { ok: true, message: text(line, line) };
  const output = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim();
  return { ok: false, message: text(`${line} failed: ${output}`, `${line} が失敗しました: ${output}`) };
}

/** Carry out one runtime step on the live host. */
export function runStep(step: RuntimeStep, init: InitSystem, procRoot = '/proc'): RuntimeOutcome {
  switch (step.kind) {
    case 'sysctl':
      return writeSysctl(procRoot, step.key, step.value);
    case 'remount': {
      const outcome = run('mount', ['-o', `remount,${step.options.join(',')}`, step.mountpoint]);
      // Rollback restores /etc/fstab; the running mount keeps the flags until the next remount or reboot.
      return outcome;
    }
    case 'service-stop':
      return init === 'systemd' ? run('systemctl', ['stop', step.service]) : run('rc-service', [step.service, 'stop']);
    case 'service-start':
      return init === 'systemd' ? run('systemctl', ['start', step.service]) : run('rc-service', [step.service, 'start']);
    case 'sshd-reload':
      return init === 'systemd' ? run('systemctl', ['reload', 'ssh']) : run('rc-service', ['sshd', 'reload']);
  }
}

export function describeStep(step: RuntimeStep): Text {
  switch (step.kind) {
    case 'sysctl':
      return text(`write ${step.value} to /proc/sys/${step.key.replace(/\./g, '/')}`, `/proc/sys/${step.key.replace(/\./g, '/')} に ${step.value} を書き込む`);
    case 'remount':
      return text(`mount -o remount,${step.options.join(',')} ${step.mountpoint}`, `mount -o remount,${step.options.join(',')} ${step.mountpoint}`);
    case 'service-stop':
      return text(`stop ${step.service}`, `${step.service} を停止`);
    case 'service-start':
      return text(`start ${step.service}`, `${step.service} を起動`);
    case 'sshd-reload':
      return text('reload sshd after sshd -t passes', 'sshd -t の成功後に sshd を再読み込み');
  }
}

/** Reverse one recorded step; false when it cannot be reversed (the caller reports it as kept). */
export function undoStep(record: RuntimeRecord): boolean {
  const undo = record.undo;
  if (record.kind !== 'sysctl' || undo === undefined) return false;
  const outcome = writeSysctl(String(undo.procRoot ?? '/proc'), String(undo.key), String(undo.value));
  return outcome.ok;
}
