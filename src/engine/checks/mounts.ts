import { text } from '../../core/text.js';
import { liveMounts, loadFstab } from '../../model/fstab.js';
import type { FstabModel } from '../../model/fstab.js';
import type { FstabEntry } from '../../parse/fstab.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

const NEGATION: Record<string, string> = { nodev: 'dev', nosuid: 'suid', noexec: 'exec' };
const REMOVABLE_TYPES = new Set(['vfat', 'exfat', 'ntfs', 'ntfs3', 'msdos', 'iso9660', 'udf']);

export function fstabModel(context: AuditContext): FstabModel {
  return context.model('fstab', () => loadFstab(context.target.fs));
}

/** mount(8) applies options left to right, so `noexec,exec` ends up exec; `defaults` implies dev,suid,exec. */
export function optionInEffect(options: string[], option: string): boolean {
  const negation = NEGATION[option];
  let set = false;
  for (const item of options) {
    if (item === option) set = true;
    else if (item === negation || item === 'defaults') set = false;
  }
  return set;
}

function entryEvidence(entry: FstabEntry, path: string): Evidence {
  return { path, line: entry.line, detail: `${entry.spec} ${entry.file} ${entry.vfstype} ${entry.options.join(',')}` };
}

export const evaluateMount: Evaluator<'mount'> = (check, _control, context) => {
  const fstab = fstabModel(context);
  const problems = fstab.problems.filter((problem) => problem.severity === 'error' && (problem.mountPointHint === undefined || problem.mountPointHint === check.mountpoint));
  if (problems.length > 0) return problemsOutcome(problems);

  const option = check.options[0] as string;
  const entry = fstab.entriesFor(check.mountpoint).at(-1);
  const runtime = context.target.runtime;
  const live = runtime === undefined ? undefined : liveMounts(runtime.mountsTable()).visibleMount(check.mountpoint);
  const evidence: Evidence[] = [];
  if (entry !== undefined) evidence.push(entryEvidence(entry, '/etc/fstab'));
  if (live !== undefined) evidence.push(entryEvidence(live, '/proc/self/mounts'));
  const expected = text(`${check.mountpoint} mounted with ${option}`, `${check.mountpoint} を ${option} 付きでマウント`);

  if (entry === undefined && live === undefined) {
    if (!check.requireEntry) {
      return notApplicable(text(`${check.mountpoint} is not a separate mount on this target`, `${check.mountpoint} はこのターゲットでは独立したマウントではありません`));
    }
    return fail(
      text(
        `${check.mountpoint} has no entry in /etc/fstab; add: tmpfs ${check.mountpoint} tmpfs nodev,nosuid,noexec 0 0`,
        `/etc/fstab に ${check.mountpoint} のエントリがありません。追加してください: tmpfs ${check.mountpoint} tmpfs nodev,nosuid,noexec 0 0`,
      ),
      evidence,
      { expected, actual: text('no entry', 'エントリなし') },
    );
  }

  const persistedOk = entry !== undefined && optionInEffect(entry.options, option);
  const liveOk = live !== undefined && optionInEffect(live.options, option);
  const fstabPart = entry === undefined ? text('fstab: no entry', 'fstab: エントリなし') : text(`fstab: ${entry.options.join(',')}`, `fstab: ${entry.options.join(',')}`);
  let livePart = text('', '');
  if (runtime !== undefined && live === undefined) livePart = text('; live: not mounted', '; 稼働中: 未マウント');
  if (live !== undefined) livePart = text(`; live: ${live.options.join(',')}`, `; 稼働中: ${live.options.join(',')}`);
  const actual = text(fstabPart.en + livePart.en, fstabPart.ja + livePart.ja);

  if (runtime === undefined) {
    if (persistedOk) return pass(evidence, { expected, actual });
    return fail(
      text(`/etc/fstab:${entry?.line}: ${check.mountpoint} lacks ${option}; add it to the options field`, `/etc/fstab:${entry?.line}: ${check.mountpoint} に ${option} がありません。オプション欄に追加してください`),
      evidence,
      { expected, actual },
    );
  }
  if (persistedOk && liveOk) return pass(evidence, { expected, actual });
  if (persistedOk) {
    return fail(
      text(`persisted but not live: mount -o remount ${check.mountpoint} to apply ${option}`, `永続設定はあるが稼働中のマウントに ${option} がありません。mount -o remount ${check.mountpoint} で反映してください`),
      evidence,
      { expected, actual },
    );
  }
  if (liveOk) {
    return fail(
      text(`live but not persisted: /etc/fstab does not set ${option} on ${check.mountpoint}, so it is lost at reboot`, `稼働中のマウントにはあるが永続化されていません: /etc/fstab の ${check.mountpoint} に ${option} がなく、再起動で失われます`),
      evidence,
      { expected, actual },
    );
  }
  if (entry === undefined && !check.requireEntry) {
    return notApplicable(text(`${check.mountpoint} is not a separate mount in /etc/fstab`, `${check.mountpoint} は /etc/fstab で独立したマウントではありません`), evidence);
  }
  return fail(
    text(`${check.mountpoint} lacks ${option} in /etc/fstab and in the live mount`, `${check.mountpoint} に ${option} が /etc/fstab にも稼働中のマウントにもありません`),
    evidence,
    { expected, actual },
  );
};

export const evaluateRemovableMounts: Evaluator<'mount-removable'> = (check, _control, context) => {
  const fstab = fstabModel(context);
  const problems = fstab.problems.filter((problem) => problem.severity === 'error');
  if (problems.length > 0) return problemsOutcome(problems);

  const removable = fstab.entries.filter(
    (entry) =>
      entry.vfstype !== 'swap' &&
      (REMOVABLE_TYPES.has(entry.vfstype) || entry.options.includes('user') || entry.options.includes('users') || (entry.options.includes('noauto') && !entry.options.includes('bind'))),
  );
  if (removable.length === 0) return notApplicable(text('no removable media entries (noauto, user, vfat) in /etc/fstab', '/etc/fstab にリムーバブルメディアのエントリ(noauto、user、vfat)がありません'));

  const missing: Evidence[] = [];
  for (const entry of removable) {
    const absent = check.options.filter((option) => !optionInEffect(entry.options, option));
    if (absent.length > 0) missing.push({ path: '/etc/fstab', line: entry.line, detail: `${entry.file}: missing ${absent.join(',')}` });
  }
  const expected = check.options.join(',');
  if (missing.length === 0) return pass(removable.map((entry) => entryEvidence(entry, '/etc/fstab')), { expected });
  const summary = missing.map((item) => `/etc/fstab:${item.line} ${item.detail}`).join('; ');
  return fail(text(`removable media mounts lack options: ${summary}`, `リムーバブルメディアのマウントにオプションが足りません: ${summary}`), missing, { expected, actual: summary });
};
