import { InvalidArgumentError, Option } from 'commander';
import { text } from '../../core/text.js';
import type { Lang, Text } from '../../core/text.js';
import { DAEMON_JSON_PATH } from '../../docker/daemonJson.js';
import { planDaemonJson } from '../../docker/daemonMerge.js';
import type { DaemonJsonBlocked, DaemonJsonPlan } from '../../docker/daemonMerge.js';
import { imageTag } from '../../docker/container.js';
import { GUIDE_RUN_DEFAULTS, hardenedComposeService, hardenedRunCommand } from '../../docker/hardenedRun.js';
import { RootFs, TargetError } from '../../target/rootfs.js';
import { UsageError } from '../../target/target.js';
import { applyFileChanges } from '../../txn/index.js';
import type { FileChange } from '../../txn/index.js';
import { collect, langOption, rootOptionText } from '../common.js';
import type { CommandContext, RegisterCommand } from '../common.js';
import { EXIT_OK } from '../exit.js';

function parser(lang: Lang, pattern: RegExp, en: string, ja: string) {
  return (value: string): string => {
    if (pattern.test(value)) return value;
    throw new InvalidArgumentError(lang === 'ja' ? `${ja}(指定値: ${value})` : `${en} (got ${value})`);
  };
}

interface DockerRunFlags {
  user: string;
  memory: string;
  cpus: string;
  pidsLimit: string;
  capAdd?: string[] | false;
  name?: string;
  format: 'shell' | 'compose';
}

/** `generate docker-run IMAGE [COMMAND...]`: the guide's hardened container for an image. */
export const registerGenerateDockerRun: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  const lang = context.lang;
  generate
    .command('docker-run')
    .description(ja ? 'ガイドの強化オプション付きの docker run コマンド(または Compose サービス)を出力します' : "print the guide's hardened docker run command (or Compose service) for an image")
    .argument('<image>', ja ? 'イメージ(例: kimigayo/app:1.0)' : 'image, e.g. kimigayo/app:1.0')
    .argument('[command...]', ja ? 'コンテナで実行するコマンドと引数(-- の後に書きます)' : 'command and arguments to run in the container, after --')
    .addOption(
      new Option('-u, --user <uid:gid>', ja ? 'コンテナを動かすユーザー(root 以外)' : 'user the container runs as (not root)')
        .default(GUIDE_RUN_DEFAULTS.user)
        .argParser(nonRootUser(lang)),
    )
    .addOption(new Option('-m, --memory <size>', ja ? 'メモリの上限(例: 512m、1g)' : 'memory limit, e.g. 512m or 1g').default(GUIDE_RUN_DEFAULTS.memory).argParser(parser(lang, /^\d+(\.\d+)?[bkmg]?$/i, 'memory must be a number with an optional unit b, k, m or g', 'メモリは数値に単位 b、k、m、g を付けた値です')))
    .addOption(new Option('--cpus <n>', ja ? 'CPU の上限(コア数、例: 0.5)' : 'CPU limit in cores, e.g. 0.5').default(GUIDE_RUN_DEFAULTS.cpus).argParser(parser(lang, /^(?!0+(\.0*)?$)\d+(\.\d+)?$/, 'cpus must be a positive number', 'cpus は正の数です')))
    .addOption(new Option('--pids-limit <n>', ja ? 'プロセス数の上限' : 'maximum number of processes').default(GUIDE_RUN_DEFAULTS.pidsLimit).argParser(parser(lang, /^[1-9]\d*$/, 'pids-limit must be a positive whole number', 'pids-limit は正の整数です')))
    .addOption(new Option('--cap-add <capability>', ja ? '戻すケーパビリティ(繰り返し可。既定はガイドの NET_BIND_SERVICE)' : 'capability to add back; repeatable (default: NET_BIND_SERVICE, as in the guide)').argParser(capability(lang)))
    .addOption(new Option('--no-cap-add', ja ? 'ケーパビリティを一つも戻さない' : 'add no capability back'))
    .option('--name <name>', ja ? 'コンテナ名(Compose ではサービス名)' : 'container name (service name for Compose)')
    .addOption(new Option('-f, --format <format>', ja ? '出力形式' : 'output format').choices(['shell', 'compose']).default('shell'))
    .addOption(langOption(context.lang))
    .action((image: string, command: string[], flags: DockerRunFlags) => {
      checkImage(image);
      let capAdd: string[];
      if (flags.capAdd === false) capAdd = [];
      else capAdd = flags.capAdd ?? GUIDE_RUN_DEFAULTS.capAdd;
      const options = { image, user: flags.user, memory: flags.memory, cpus: flags.cpus, pidsLimit: flags.pidsLimit, capAdd, command, ...(flags.name === undefined ? {} : { name: flags.name }) };

      const { tag, digest } = imageTag(image);
      if (!digest && (tag === undefined || tag === 'latest')) {
        warn(context, text(`warning: image ${image} is not pinned to a version; give a tag such as :1.2.3 or a digest`, `警告: イメージ ${image} がバージョンで固定されていません。:1.2.3 のようなタグかダイジェストを指定してください`));
      }
      context.io.stdout(flags.format === 'compose' ? hardenedComposeService(options) : hardenedRunCommand(options));
      context.setExitCode(EXIT_OK);
    });
};

function nonRootUser(lang: Lang) {
  return (value: string): string => {
    if (!/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(value)) {
      throw new InvalidArgumentError(lang === 'ja' ? `ユーザーは NAME、UID、UID:GID のいずれかの形です(指定値: ${value})` : `user must be NAME, UID or UID:GID (got ${value})`);
    }
    const name = value.split(':')[0] as string;
    if (name === 'root' || /^0+$/.test(name)) {
      throw new InvalidArgumentError(lang === 'ja' ? `root では動かせません。root 以外のユーザーを指定してください(指定値: ${value})` : `the container must not run as root; give another user (got ${value})`);
    }
    return value;
  };
}

function capability(lang: Lang) {
  return (value: string, previous: string[] | false | undefined): string[] => {
    const name = value.toUpperCase().replace(/^CAP_/, '');
    if (!/^[A-Z_]+$/.test(name)) {
      throw new InvalidArgumentError(lang === 'ja' ? `ケーパビリティ名が正しくありません(指定値: ${value})` : `invalid capability name (got ${value})`);
    }
    if (name === 'ALL') {
      throw new InvalidArgumentError(lang === 'ja' ? 'ALL は戻せません。必要なケーパビリティだけを指定してください' : 'ALL cannot be added back; name the capabilities the program needs');
    }
    return collect(name, Array.isArray(previous) ? previous : []);
  };
}

function checkImage(image: string): void {
  if (/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(image) && !image.includes('//')) return;
  throw new UsageError(text(`invalid image reference "${image}"; write it as name, name:tag or name@sha256:digest`, `イメージ参照 "${image}" が正しくありません。name、name:tag、name@sha256:digest の形で指定してください`));
}

function warn(context: CommandContext, message: Text): void {
  context.io.stderr(message[context.lang] + '\n');
}

interface DaemonJsonFlags {
  root: string;
  install?: boolean;
  seccompProfile?: string;
}

/** `generate daemon-json`: the target's daemon.json with the guide's keys merged in. */
export const registerGenerateDaemonJson: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  generate
    .command('daemon-json')
    .description(
      ja
        ? '/etc/docker/daemon.json にガイドのキーを加えた内容を出力します。他のキーと順序は残します。--install で書き込みます'
        : "print /etc/docker/daemon.json with the guide's keys merged in, keeping every other key and its order; --install writes it",
    )
    .option('--root <dir>', rootOptionText(context.lang), '/')
    .option('--install', ja ? 'ファイルに書き込みます(rollback で元に戻せます)' : 'write the file (undo with rollback)')
    .option('--seccomp-profile <path>', ja ? 'seccomp-profile に設定するパス(既定はガイドの /etc/docker/seccomp.json)' : 'path to set as seccomp-profile (default: /etc/docker/seccomp.json, as in the guide)')
    .addOption(langOption(context.lang))
    .action((flags: DaemonJsonFlags) => {
      const fs = new RootFs(flags.root);
      if (!fs.isDirectory('/')) {
        throw new UsageError(text(`--root ${flags.root}: not a directory`, `--root ${flags.root}: ディレクトリではありません`));
      }
      if (flags.seccompProfile !== undefined && !flags.seccompProfile.startsWith('/')) {
        throw new UsageError(text(`--seccomp-profile ${flags.seccompProfile}: give an absolute path inside the target`, `--seccomp-profile ${flags.seccompProfile}: ターゲット内の絶対パスを指定してください`));
      }

      let plan: DaemonJsonPlan | DaemonJsonBlocked;
      try {
        plan = planDaemonJson(fs, flags.seccompProfile);
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        throw new UsageError(text(`${error.path}: ${error.detail.en}`, `${error.path}: ${error.detail.ja}`));
      }
      if ('blocking' in plan) {
        const where = `${DAEMON_JSON_PATH}:${plan.blocking.line ?? 1}:${plan.blocking.column ?? 1}`;
        throw new UsageError(text(`${where}: ${plan.blocking.message.en}; nothing was written`, `${where}: ${plan.blocking.message.ja}。何も書き込んでいません`));
      }

      for (const decision of plan.decisions) {
        if (decision.action !== 'skipped' || decision.reason === undefined) continue;
        warn(context, text(`warning: "${decision.key}" left out: ${decision.reason.en}`, `警告: "${decision.key}" は設定しません: ${decision.reason.ja}`));
      }
      for (const finding of plan.remaining) {
        warn(context, text(`warning: ${DAEMON_JSON_PATH}:${finding.line ?? 1}: ${finding.message.en}`, `警告: ${DAEMON_JSON_PATH}:${finding.line ?? 1}: ${finding.message.ja}`));
      }
      if (plan.decisions.some((decision) => decision.key === 'live-restore' && decision.action === 'set')) {
        warn(context, text('note: live-restore does not work in swarm mode; leave it out on swarm nodes', '注意: live-restore は swarm モードでは使えません。swarm のノードでは外してください'));
      }

      if (flags.install !== true) {
        for (const addition of plan.subid) {
          warn(context, text(`note: --install also adds "${addition.line}" to ${addition.path}, which userns-remap needs`, `注意: --install では userns-remap に必要な "${addition.line}" を ${addition.path} にも追加します`));
        }
        context.io.stdout(plan.content);
        context.setExitCode(EXIT_OK);
        return;
      }

      const changes: FileChange[] = plan.subid.map((addition) => ({
        path: addition.path,
        content: addition.content,
        reason: text(`subordinate IDs for userns-remap: ${addition.line}`, `userns-remap 用の従属 ID: ${addition.line}`),
      }));
      if (plan.source !== plan.content) {
        changes.unshift({ path: DAEMON_JSON_PATH, content: plan.content, reason: text("merge the guide's daemon.json keys", 'ガイドの daemon.json のキーを追加') });
      }
      if (changes.length === 0) {
        context.io.stdout(ja ? `${DAEMON_JSON_PATH} はすでにガイドどおりです。変更はありません\n` : `${DAEMON_JSON_PATH} already has the guide's keys; nothing changed\n`);
        context.setExitCode(EXIT_OK);
        return;
      }
      const written = applyFileChanges(fs.root, changes, "merge the guide's daemon.json keys");
      const changed = plan.decisions.filter((decision) => decision.action === 'set').map((decision) => decision.key);
      const files = changes.map((change) => change.path);
      const undo = `kimigayo-harden rollback ${written.id ?? ''}${flags.root === '/' ? '' : ` --root ${flags.root}`}`;
      context.io.stdout(
        ja
          ? `${files.join('、')} に書き込みました(トランザクション ${written.id ?? '-'}、設定したキー: ${changed.join('、') || 'なし'})。反映するには dockerd を再起動してください(OpenRC: rc-service docker restart)。元に戻すには: ${undo}\n`
          : `wrote ${files.join(', ')} (transaction ${written.id ?? '-'}; keys set: ${changed.join(', ') || 'none'}); restart dockerd to apply it (OpenRC: rc-service docker restart). To undo: ${undo}\n`,
      );
      context.setExitCode(EXIT_OK);
    });
};
