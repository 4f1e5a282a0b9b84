import { text } from '../../core/text.js';
import { TargetError } from '../../target/rootfs.js';
import type { Evaluator } from '../context.js';
import { fail, errorOutcome, notApplicable, pass } from '../types.js';

export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** File is at most `maxMode` (no permission bit beyond it) and owned by the expected user. */
export const evaluateFileMode: Evaluator<'file-mode'> = (check, _control, context) => {
  const { fs, os } = context.target;
  let stats;
  try {
    stats = fs.stat(check.path);
  } catch (error) {
    if (error instanceof TargetError) return errorOutcome(text(`${check.path}: ${error.detail.en}`, `${check.path}: ${error.detail.ja}`), [{ path: check.path }]);
    throw error;
  }
  if (stats === undefined) {
    return notApplicable(text(`${check.path} does not exist on this target`, `${check.path} はこのターゲットに存在しません`));
  }

  const accounts = context.accounts();
  const owner = accounts.userName(stats.uid) ?? String(stats.uid);
  const group = accounts.groupName(stats.gid) ?? String(stats.gid);
  const mode = stats.mode & 0o7777;
  const actual = `${formatMode(mode)} ${owner}:${group}`;
  const expected = text(`${formatMode(check.maxMode)} or stricter, owner ${check.owner}`, `${formatMode(check.maxMode)} 以下、所有者 ${check.owner}`);
  const evidence = [{ path: check.path, detail: actual }];
  const ownerOk = owner === check.owner;

  if (ownerOk && (mode & ~check.maxMode) === 0) return pass(evidence, { expected, actual });

  for (const allowance of check.allow ?? []) {
    if (allowance.osFamily === os.family && ownerOk && group === allowance.group && (mode & ~allowance.maxMode) === 0) {
      return pass(evidence, { expected, actual, reason: allowance.note });
    }
  }

  if (!ownerOk) {
    return fail(
      text(`${check.path} is owned by ${owner}, not ${check.owner}`, `${check.path} の所有者が ${check.owner} ではなく ${owner} です`),
      evidence,
      { expected, actual },
    );
  }
  const extra = formatMode(mode & ~check.maxMode);
  return fail(
    text(
      `${check.path} is mode ${formatMode(mode)}: bits ${extra} go beyond ${formatMode(check.maxMode)} (chmod ${formatMode(check.maxMode & mode)} ${check.path})`,
      `${check.path} のパーミッションが ${formatMode(mode)} で、${formatMode(check.maxMode)} を超えるビット ${extra} があります(chmod ${formatMode(check.maxMode & mode)} ${check.path})`,
    ),
    evidence,
    { expected, actual },
  );
};
