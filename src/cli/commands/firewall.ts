import * as readline from 'node:readline';
import { InvalidArgumentError, Option } from 'commander';
import type { Lang } from '../../core/text.js';
import { backendOfFile, safeLoad } from '../../firewall/load.js';
import type { FirewallBackend } from '../../firewall/load.js';
import { langOption } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';

interface LoadFlags {
  timeout: number;
  backend?: FirewallBackend;
}

/** Maximum confirmation window, one hour, because the new rules stay loaded unconfirmed until it ends. */
const MAX_TIMEOUT_SECONDS = 3600;

function parseTimeout(lang: Lang) {
  return (value: string): number => {
    const seconds = Number(value);
    if (!/^\d+$/.test(value) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
      throw new InvalidArgumentError(
        lang === 'ja' ? `秒数は 1〜${MAX_TIMEOUT_SECONDS} の整数です(指定値: ${value})` : `the timeout is a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (got ${value})`,
      );
    }
    return seconds;
  };
}

/**
 * Ask on the terminal and read one line from stdin. Only "yes" keeps the rules. End of input,
 * any other answer, the timeout, SIGINT and SIGTERM all resolve false.
 */
function askOperator(lang: Lang, stderr: (chunk: string) => void) {
  return (timeoutSeconds: number): Promise<boolean> =>
    new Promise((resolve) => {
      const input = readline.createInterface({ input: process.stdin, terminal: false });
      let settled = false;
      const finish = (answer: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        process.off('SIGINT', refuse);
        process.off('SIGTERM', refuse);
        input.close();
        resolve(answer);
      };
      const refuse = (): void => finish(false);
      const timer = setTimeout(refuse, timeoutSeconds * 1000);
      process.on('SIGINT', refuse);
      process.on('SIGTERM', refuse);
      input.once('line', (line) => finish(line.trim().toLowerCase() === 'yes'));
      input.once('close', refuse);
      stderr(
        lang === 'ja'
          ? `新しいルールを維持するには ${timeoutSeconds} 秒以内に yes と入力して Enter を押してください。それ以外の入力や無応答では元のルールに戻します。\n`
          : `Type yes and press Enter within ${timeoutSeconds} s to keep the new rules; any other answer or none restores the previous rules.\n`,
      );
    });
}

export const registerFirewall: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  const firewall = program
    .command('firewall')
    .description(ja ? '稼働中のホストのファイアウォールを操作します' : 'work with the firewall of the live host')
    .helpCommand(false);

  firewall
    .command('load')
    .description(
      ja
        ? 'ルールを読み込み、確認がなければ元のルールに戻します(iptables-apply と同じ方式)'
        : 'load a rule file and restore the previous rules unless the operator confirms (as iptables-apply does)',
    )
    .argument('<file>', ja ? 'iptables-restore 形式または nft -f 形式のルールファイル' : 'rule file in iptables-restore or nft -f format')
    .addOption(
      new Option('--timeout <seconds>', ja ? '確認を待つ秒数' : 'seconds to wait for the confirmation').argParser(parseTimeout(context.lang)).default(30),
    )
    .addOption(
      new Option('--backend <backend>', ja ? '読み込むプログラム(既定はファイル名と内容から判定)' : 'program that loads the file (default: from the file name and content)')
        .choices(['iptables', 'ip6tables', 'nftables']),
    )
    .addOption(langOption(context.lang))
    .action(async (file: string, flags: LoadFlags) => {
      const backend = flags.backend ?? backendOfFile(file);
      const result = await safeLoad({
        file,
        backend,
        timeoutSeconds: flags.timeout,
        confirm: askOperator(context.lang, context.io.stderr),
        log: (message) => context.io.stderr(`kimigayo-harden: ${message[context.lang]}\n`),
      });
      context.setExitCode(result.outcome === 'kept' ? EXIT_OK : EXIT_FAIL);
    });
};
