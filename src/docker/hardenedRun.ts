/**
 * The guide's hardened container, as a `docker run` command or a Compose service. The guide's
 * example has no user, so `--user` is added: the linters ask for a non-root user.
 */

export interface HardenedRunOptions {
  image: string;
  user: string;
  memory: string;
  cpus: string;
  pidsLimit: string;
  capAdd: string[];
  name?: string;
  /** Command and arguments after the image. */
  command: string[];
}

/** The guide's values, used where the caller gives none. */
export const GUIDE_RUN_DEFAULTS = { memory: '512m', cpus: '0.5', pidsLimit: '100', capAdd: ['NET_BIND_SERVICE'], user: '65534:65534' };

/** Quote a word for a POSIX shell when it contains anything but safe characters. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function hardenedRunCommand(options: HardenedRunOptions): string {
  const lines = ['docker run -d'];
  if (options.name !== undefined) lines.push(`--name ${shellQuote(options.name)}`);
  lines.push('--read-only', '--tmpfs /tmp:noexec,nosuid,nodev', '--security-opt=no-new-privileges', '--cap-drop=ALL');
  for (const cap of options.capAdd) lines.push(`--cap-add=${shellQuote(cap)}`);
  lines.push(`--pids-limit ${shellQuote(options.pidsLimit)}`, `--memory ${shellQuote(options.memory)}`, `--cpus ${shellQuote(options.cpus)}`, `--user ${shellQuote(options.user)}`);
  lines.push([options.image, ...options.command].map(shellQuote).join(' '));
  return lines.join(' \\\n  ') + '\n';
}

/**
 * Write the service by hand rather than with a YAML library: every string is double-quoted,
 * because YAML 1.1 readers such as docker-compose 1.x read an unquoted user `1000:50` as the
 * base-60 number 60050.
 */
export function hardenedComposeService(options: HardenedRunOptions): string {
  const quote = (value: string): string => JSON.stringify(value);
  const list = (values: string[]): string => `[${values.map(quote).join(', ')}]`;
  const lines = [
    'services:',
    `  ${quote(options.name ?? 'app')}:`,
    `    image: ${quote(options.image)}`,
    '    read_only: true',
    `    tmpfs: ${list(['/tmp:noexec,nosuid,nodev'])}`,
    `    security_opt: ${list(['no-new-privileges:true'])}`,
    `    cap_drop: ${list(['ALL'])}`,
  ];
  if (options.capAdd.length > 0) lines.push(`    cap_add: ${list(options.capAdd)}`);
  lines.push(`    pids_limit: ${Number(options.pidsLimit)}`, `    mem_limit: ${quote(options.memory)}`, `    cpus: ${Number(options.cpus)}`, `    user: ${quote(options.user)}`);
  if (options.command.length > 0) lines.push(`    command: ${list(options.command)}`);
  return lines.join('\n') + '\n';
}
