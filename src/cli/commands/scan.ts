import * as fs from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { text } from '../../core/text.js';
import type { Lang } from '../../core/text.js';
import { compareWithBaseline, loadBaseline } from '../../scan/baseline.js';
import type { BaselineChange } from '../../scan/baseline.js';
import { escapePath } from '../../scan/paths.js';
import { loadSetIdPrograms } from '../../scan/programs.js';
import { countFindings, logFiles, renderScan } from '../../scan/render.js';
import { scanTree } from '../../scan/scan.js';
import type { ScanResult } from '../../scan/types.js';
import type { HostPath } from '../../scan/walker.js';
import { applyFileChanges } from '../../txn/index.js';
import { UsageError } from '../../target/target.js';
import { formatOption, langOption, rootOptionText } from '../common.js';
import type { CommandContext, RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';
import type { ExitCode } from '../exit.js';

interface ScanFlags {
  root?: string;
  allMounts?: boolean;
  format: 'text' | 'json';
  writeLogs?: boolean;
  saveBaseline?: string;
  baseline?: string;
  setidList?: string;
  threads?: number;
}

function parseThreads(lang: Lang) {
  return (value: string): number => {
    const threads = Number(value);
    if (Number.isInteger(threads) && threads >= 1 && threads <= 64) return threads;
    throw new InvalidArgumentError(lang === 'ja' ? `スレッド数は 1 から 64 の整数です(指定値: ${value})` : `threads must be an integer from 1 to 64 (got ${value})`);
  };
}

export const registerScan: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  program
    .command('scan')
    .description(
      ja
        ? 'ファイルシステムを一度だけ走査し、SUID/SGID、誰でも書き込めるファイル、所有者不明のファイルを一覧にします'
        : 'walk the file system once and list SUID/SGID, world-writable and orphan files',
    )
    .option('--root <dir>', rootOptionText(context.lang))
    .option('--all-mounts', ja ? '他のローカルファイルシステムにも入ります(/proc、/sys、/dev とネットワークファイルシステムには入りません)' : 'cross into other local file systems (never /proc, /sys, /dev or network file systems)')
    .addOption(formatOption(context.lang))
    .addOption(langOption(context.lang))
    .option('--write-logs', ja ? 'ガイドのログ(/var/log/suid-files.log など)を対象の中にトランザクションとして書きます' : "write the guide's logs (/var/log/suid-files.log and the others) inside the target, as a transaction")
    .option('--save-baseline <file>', ja ? '結果をベースラインとして保存します(JSON)' : 'save the result as a baseline (JSON)')
    .option('--baseline <file>', ja ? 'ベースラインと比べて、新規・消失・変更を報告します' : 'report what is new, gone or changed since this baseline')
    .option('--setid-list <file>', ja ? '想定する set-id プログラムの一覧(JSON)。同梱の data/setid-programs.json を置き換えます' : 'expected set-id programs (JSON), replacing the bundled data/setid-programs.json')
    .addOption(new Option('--threads <n>', ja ? '走査に使うスレッド数(既定は 2、1 コアなら 1)' : 'threads that walk the tree (default 2, or 1 on one core)').argParser(parseThreads(context.lang)))
    .action(async (flags: ScanFlags) => context.setExitCode(await scan(flags, context)));
};

/** Draws one status line on stderr, rewritten in place; only used when stderr is a terminal. */
function progressLine(context: CommandContext): { update: (visited: number, current: HostPath) => void; clear: () => void } {
  const started = Date.now();
  let drawn = false;
  const width = Number(context.io.env.COLUMNS) > 20 ? Number(context.io.env.COLUMNS) : 80;
  return {
    update: (visited, current) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const rate = Math.round(visited / seconds);
      const head = context.lang === 'ja' ? `${visited} 件 ${rate} 件/秒 ` : `${visited} entries ${rate}/s `;
      const line = (head + escapePath(current)).slice(0, width - 1);
      context.io.stderr(`\r\u001b[K${line}`);
      drawn = true;
    },
    clear: () => {
      if (drawn) context.io.stderr('\r\u001b[K');
    },
  };
}

async function scan(flags: ScanFlags, context: CommandContext): Promise<ExitCode> {
  const { lang, io } = context;
  const root = flags.root ?? '/';
  const baseline = flags.baseline === undefined ? undefined : loadBaseline(flags.baseline);
  const programs = flags.setidList === undefined ? undefined : loadSetIdPrograms(flags.setidList);
  const progress = flags.format === 'text' && io.stderrIsTty === true ? progressLine(context) : undefined;

  let result: ScanResult;
  try {
    result = await scanTree({
      root,
      crossMounts: flags.allMounts === true,
      ...(flags.threads === undefined ? {} : { threads: flags.threads }),
      ...(progress === undefined ? {} : { onProgress: progress.update }),
      ...(programs === undefined ? {} : { programs }),
    });
  } finally {
    progress?.clear();
  }

  const changes: BaselineChange[] | undefined = baseline === undefined ? undefined : compareWithBaseline(baseline, result);
  if (flags.saveBaseline !== undefined) saveBaseline(flags.saveBaseline, result);
  let transaction: string | undefined;
  if (flags.writeLogs === true) {
    const written = applyFileChanges(result.root, logFiles(result).map((log) => ({ ...log, mode: 0o640, reason: text('scan result', 'スキャン結果') })), 'scan --write-logs');
    transaction = written.id;
  }

  if (flags.format === 'json') {
    const output = { ...result, ...(changes === undefined ? {} : { baselineChanges: changes.map((change) => ({ ...change, detail: change.detail[lang] })) }), ...(transaction === undefined ? {} : { transaction }) };
    io.stdout(JSON.stringify(output, null, 2) + '\n');
  } else {
    io.stdout(renderScan(result, lang, changes));
    if (flags.writeLogs === true) {
      io.stdout(
        transaction === undefined
          ? lang === 'ja' ? 'ログは最新のため書き換えませんでした\n' : 'The logs were up to date; nothing was written\n'
          : lang === 'ja' ? `ログを書きました(トランザクション ${transaction}、kimigayo-harden rollback で戻せます)\n` : `Wrote the logs (transaction ${transaction}; kimigayo-harden rollback undoes it)\n`,
      );
    }
  }

  if (changes !== undefined) return changes.some((change) => change.kind !== 'gone') ? EXIT_FAIL : EXIT_OK;
  return countFindings(result) > 0 ? EXIT_FAIL : EXIT_OK;
}

function saveBaseline(file: string, result: ScanResult): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temporary, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot write the baseline (${reason})`, `${file}: ベースラインを書けません(${reason})`));
  }
}
