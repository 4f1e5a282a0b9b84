import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { compareWithBaseline } from '../../src/scan/baseline.js';
import { escapePath } from '../../src/scan/paths.js';
import { symbolicMode } from '../../src/scan/render.js';
import { scanTree } from '../../src/scan/scan.js';
import { removeSetIdBits } from '../../src/scan/setid.js';
import type { ScanEntry, ScanLists, ScanResult } from '../../src/scan/types.js';
import { LIST_NAMES } from '../../src/scan/types.js';
import { SubtreeWalker } from '../../src/scan/walker.js';
import { applyFileChanges, rollbackTransaction } from '../../src/txn/index.js';
import { debianTree, kimigayoTree } from '../helpers/trees.js';
import { runCli } from '../helpers/cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repoRoot, 'bin/kimigayo-harden.js');

/** Accounts of the fixture's own /etc/passwd and /etc/group, which differ from the host's. */
const TARGET_PASSWD = 'root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1500::/home/alice:/bin/sh\n';
const TARGET_GROUP = 'root:x:0:\nalice:x:1500:\n';
/** Debian hosts usually have uid 100 (a system account) and gid 100 (users); the fixture has neither. */
const HOST_ONLY_ID = 100;
const DEPTH = 1500;
const WIDE = 40;

const NEWLINE_NAME = 'new\nline';
const BYTES_NAME = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff, 0xfe]), Buffer.from('name')]);

function write(root: string, relative: string, mode: number, uid = 0, gid = 0): string {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `content of ${relative}\n`);
  fs.chownSync(file, uid, gid);
  fs.chmodSync(file, mode);
  return file;
}

function mkdir(root: string, relative: string, mode: number, uid = 0, gid = 0): string {
  const dir = path.join(root, relative);
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, mode);
  return dir;
}

/** Build the fixture: every special bit, owners the target does not know, loops, odd names, a deep chain. */
function buildFixture(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-${process.pid}-`));
  fs.chmodSync(root, 0o755);
  write(root, 'etc/passwd', 0o644);
  fs.writeFileSync(path.join(root, 'etc/passwd'), TARGET_PASSWD);
  write(root, 'etc/group', 0o644);
  fs.writeFileSync(path.join(root, 'etc/group'), TARGET_GROUP);
  fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=debian\n');

  write(root, 'usr/bin/su', 0o4755);
  write(root, 'usr/bin/python3.11', 0o4755);
  write(root, 'usr/bin/chage', 0o2755);
  write(root, 'usr/bin/both', 0o6755);
  write(root, 'usr/bin/plain', 0o755);
  write(root, 'srv/shared.txt', 0o666);
  write(root, 'srv/sticky-file', 0o1666);
  write(root, 'srv/alice-owned', 0o644, 1500, 1500);
  write(root, 'srv/unknown-uid', 0o644, 4242, 0);
  write(root, 'srv/unknown-gid', 0o644, 0, 4343);
  write(root, 'srv/host-only-owner', 0o644, HOST_ONLY_ID, HOST_ONLY_ID);
  write(root, path.join('srv', NEWLINE_NAME), 0o4755);
  mkdir(root, 'srv/open', 0o777);
  mkdir(root, 'srv/open-sticky', 0o1777);
  mkdir(root, 'srv/unknown-dir', 0o755, 4242, 4242);
  mkdir(root, 'srv/closed', 0o000);
  write(root, 'srv/closed/inside', 0o4755);
  fs.chmodSync(path.join(root, 'srv/closed'), 0o000);

  // A name that is not UTF-8, made through a Buffer path.
  const bytesPath = Buffer.concat([Buffer.from(path.join(root, 'srv') + '/'), BYTES_NAME]);
  fs.writeFileSync(bytesPath, 'x');
  fs.chmodSync(bytesPath, 0o666);

  // Links are never followed: a loop, a link to a directory with SUID files, a link to /.
  fs.mkdirSync(path.join(root, 'links'));
  fs.symlinkSync('loop-b', path.join(root, 'links/loop-a'));
  fs.symlinkSync('loop-a', path.join(root, 'links/loop-b'));
  fs.symlinkSync('../usr/bin', path.join(root, 'links/bin'));
  fs.symlinkSync('/', path.join(root, 'links/host-root'));
  fs.lchownSync(path.join(root, 'links/bin'), 4242, 4242);

  // Many directories, so that a busy worker splits its stack for the idle one.
  for (let i = 0; i < WIDE; i++) {
    for (let j = 0; j < WIDE; j++) {
      const dir = path.join(root, 'wide', `d${i}`, `e${j}`);
      fs.mkdirSync(dir, { recursive: true });
      if ((i * WIDE + j) % 97 === 0) write(dir, 'tool', 0o4755);
      if ((i * WIDE + j) % 89 === 0) write(dir, 'shared', 0o666, 0, 4343);
    }
  }

  let deep = path.join(root, 'deep');
  fs.mkdirSync(deep);
  for (let i = 0; i < DEPTH; i++) {
    deep = path.join(deep, 'd');
    fs.mkdirSync(deep);
  }
  write(deep, 'bottom', 0o4755);
  return root;
}

/** Encode a listed path as base64 of its bytes: the exact string, or the bytes in pathBase64. */
function entryBytes(entry: { path: string; pathBase64?: string }): string {
  return entry.pathBase64 ?? Buffer.from(entry.path).toString('base64');
}

function paths(entries: ScanEntry[]): string[] {
  return entries.map(entryBytes).sort();
}

/** Run GNU find on the fixture and return the target paths it prints, as base64 of their bytes. */
function gnuFind(root: string, args: string[]): string[] {
  const result = spawnSync('find', [root, '-xdev', ...args, '-print0'], { maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, result.stderr.toString());
  return splitNul(result.stdout).map((bytes) => bytes.subarray(Buffer.byteLength(root)).toString('base64')).sort();
}

function splitNul(output: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < output.length; i++) {
    if (output[i] !== 0) continue;
    parts.push(output.subarray(start, i));
    start = i + 1;
  }
  return parts;
}

/** Orphans by GNU find's lstat values, judged against the fixture's passwd and group, not the host's. */
function gnuFindOrphans(root: string): string[] {
  const result = spawnSync('find', [root, '-xdev', '-printf', '%U %G %p\\0'], { maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, result.stderr.toString());
  const known = { uids: new Set([0, 1500]), gids: new Set([0, 1500]) };
  const orphans: string[] = [];
  for (const record of splitNul(result.stdout)) {
    const firstSpace = record.indexOf(0x20);
    const secondSpace = record.indexOf(0x20, firstSpace + 1);
    const uid = Number(record.subarray(0, firstSpace).toString());
    const gid = Number(record.subarray(firstSpace + 1, secondSpace).toString());
    const file = record.subarray(secondSpace + 1);
    if (!known.uids.has(uid) || !known.gids.has(gid)) orphans.push(file.subarray(Buffer.byteLength(root)).toString('base64'));
  }
  return orphans.sort();
}

const FIND_ARGS: Record<Exclude<keyof ScanLists, 'orphans'>, string[]> = {
  suid: ['-type', 'f', '-perm', '-4000'],
  sgid: ['-type', 'f', '-perm', '-2000'],
  worldWritable: ['-type', 'f', '-perm', '-0002'],
  worldWritableDirs: ['-type', 'd', '-perm', '-0002', '!', '-perm', '-1000'],
};

function assertSameAsFind(root: string, result: ScanResult): void {
  for (const [list, args] of Object.entries(FIND_ARGS) as [keyof typeof FIND_ARGS, string[]][]) {
    assert.deepEqual(paths(result[list]), gnuFind(root, args), `${list} differs from GNU find ${args.join(' ')}`);
  }
  assert.deepEqual(paths(result.orphans), gnuFindOrphans(root), 'orphans differ from GNU find with the target accounts');
}

function target(relative: string): string {
  return '/' + relative;
}

describe('scan', () => {
  let root = '';
  let scratch = '';
  before(() => {
    root = buildFixture();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-out-${process.pid}-`));
  });
  after(() => {
    if (root !== '') {
      fs.chmodSync(path.join(root, 'srv/closed'), 0o755);
      fs.rmSync(root, { recursive: true, force: true });
    }
    if (scratch !== '') fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('lists match GNU find with two threads', async () => {
    assertSameAsFind(root, await scanTree({ root, threads: 2 }));
  });

  test('lists match GNU find in one thread', async () => {
    assertSameAsFind(root, await scanTree({ root, threads: 1 }));
  });

  test('entry count matches GNU find', async () => {
    const result = await scanTree({ root });
    const find = spawnSync('find', [root, '-xdev', '-mindepth', '1', '-printf', '.'], { maxBuffer: 64 << 20 });
    assert.equal(result.entries, find.stdout.length);
  });

  test('owners come from the target accounts', async () => {
    const result = await scanTree({ root });
    const orphans = result.orphans.map((entry) => entry.path);
    assert.ok(orphans.includes(target('srv/host-only-owner')), 'uid known only on the host is an orphan in the target');
    assert.ok(orphans.includes(target('srv/unknown-gid')));
    assert.ok(orphans.includes(target('links/bin')), 'a symbolic link with an unknown owner is an orphan, as with find -nouser');
    assert.ok(!orphans.includes(target('srv/alice-owned')), 'uid 1500 is alice in the target');
    const unknownUid = result.orphans.find((entry) => entry.path === target('srv/unknown-uid'));
    assert.ok(unknownUid !== undefined);
    assert.equal(unknownUid.user, undefined);
    assert.equal(unknownUid.group, 'root');
  });

  test('symbolic links are not followed', async () => {
    const result = await scanTree({ root });
    const all = LIST_NAMES.flatMap((list) => result[list].map((entry) => entry.path));
    assert.ok(!all.some((file) => file.startsWith('/links/bin/')), 'nothing is listed through links/bin');
    assert.ok(!all.some((file) => file.startsWith('/links/host-root/')), 'the host root is not walked through the link');
    assert.deepEqual(result.errors, [], 'the link loop is no error because it is never resolved');
  });

  test('set-id files carry hash and flags', async () => {
    const result = await scanTree({ root });
    const su = result.suid.find((entry) => entry.path === '/usr/bin/su');
    assert.equal(su?.expected, true);
    assert.equal(su?.shellEscape, false);
    const expectedHash = spawnSync('sha256sum', [path.join(root, 'usr/bin/su')]).stdout.toString().split(' ')[0];
    assert.equal(su?.sha256, expectedHash);
    const python = result.suid.find((entry) => entry.path === '/usr/bin/python3.11');
    assert.equal(python?.shellEscape, true);
    assert.equal(python?.expected, false);
    assert.ok(result.sgid.some((entry) => entry.path === '/usr/bin/both'));
    assert.ok(result.suid.some((entry) => entry.path === '/usr/bin/both'));
  });

  test('odd names are exact in JSON', async () => {
    const { code, stdout } = await runCli(['scan', '--root', root, '--format', 'json']);
    assert.equal(code, 1);
    const json = JSON.parse(stdout) as ScanResult;
    assert.ok(json.suid.some((entry) => entry.path === `/srv/${NEWLINE_NAME}`), 'newline kept in the JSON string');
    const bytes = json.worldWritable.find((entry) => entry.pathBase64 !== undefined);
    assert.ok(bytes !== undefined);
    assert.deepEqual(Buffer.from(bytes.pathBase64 as string, 'base64'), Buffer.concat([Buffer.from('/srv/'), BYTES_NAME]));
  });

  test('odd names are escaped in text', async () => {
    const { stdout } = await runCli(['scan', '--root', root]);
    assert.ok(stdout.includes('/srv/new\\nline'), 'newline shown as \\n');
    assert.ok(stdout.includes('/srv/bad\\xff\\xfename'), 'bytes shown as \\xNN');
    for (const line of stdout.split('\n')) assert.ok(!line.startsWith('line'), 'no output line starts inside a file name');
  });

  test('escapePath escapes controls and backslash', () => {
    assert.equal(escapePath('a\\b\u001b[31m'), 'a\\\\b\\x1b[31m');
    assert.equal(escapePath(Buffer.from([0x61, 0xc3, 0xa9, 0xc3, 0x0a])), 'aé\\xc3\\n');
  });

  test('symbolicMode matches ls', () => {
    const cases: [number, string][] = [
      [0o104755, '-rwsr-xr-x'],
      [0o102755, '-rwxr-sr-x'],
      [0o104644, '-rwSr--r--'],
      [0o041777, 'drwxrwxrwt'],
      [0o041776, 'drwxrwxrwT'],
      [0o120777, 'lrwxrwxrwx'],
    ];
    for (const [mode, expected] of cases) assert.equal(symbolicMode(mode), expected, mode.toString(8));
  });

  test('tree deeper than the recursion limit', async () => {
    const result = await scanTree({ root, threads: 1 });
    assert.ok(result.suid.some((entry) => entry.path.endsWith('/d/bottom') && entry.path.split('/').length === DEPTH + 3));
  });

  test('directory gone before listing counts as vanished', () => {
    const walker = new SubtreeWalker({ rootDev: 0, crossMounts: false, excluded: [], buckets: [], checkOwners: true, knownUids: [], knownGids: [], mountTypes: {} });
    walker.stack.push({ path: path.join(root, 'no-such-dir'), dev: 0, bucket: -1 });
    walker.step();
    assert.equal(walker.partial.vanished, 1);
    assert.deepEqual(walker.partial.errors, []);
  });

  test('network and pseudo file systems skipped', () => {
    // No NFS server or second proc mount can run here, so the parent's st_dev is made up: the
    // walker then sees a mount boundary at every subdirectory and looks up its type in mountTypes.
    const srv = path.join(root, 'srv');
    const walker = new SubtreeWalker({
      rootDev: 1,
      crossMounts: true,
      excluded: [],
      buckets: [],
      checkOwners: false,
      knownUids: [],
      knownGids: [],
      mountTypes: { [path.join(srv, 'open')]: 'nfs4', [path.join(srv, 'open-sticky')]: 'proc' },
    });
    walker.stack.push({ path: srv, dev: 1, bucket: -1 });
    walker.step();
    const skipped = walker.partial.skipped.map((dir) => [dir.path, dir.reason, dir.fsType]).sort();
    assert.deepEqual(skipped, [
      [path.join(srv, 'open'), 'network-fs', 'nfs4'],
      [path.join(srv, 'open-sticky'), 'pseudo-fs', 'proc'],
    ]);
    const entered = walker.stack.map((task) => task.path);
    assert.ok(entered.includes(path.join(srv, 'unknown-dir')), 'a local file system with --all-mounts is entered');
  });

  test('container storage is counted, not listed', async () => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-docker-${process.pid}-`));
    try {
      fs.chmodSync(storage, 0o755);
      fs.mkdirSync(path.join(storage, 'etc'));
      fs.writeFileSync(path.join(storage, 'etc/passwd'), TARGET_PASSWD);
      fs.writeFileSync(path.join(storage, 'etc/group'), TARGET_GROUP);
      write(storage, 'var/lib/docker/overlay2/abc/diff/usr/bin/su', 0o4755);
      write(storage, 'var/lib/docker/overlay2/abc/diff/tmp/x', 0o666, 999, 999);
      const result = await scanTree({ root: storage });
      assert.deepEqual(result.suid, []);
      assert.deepEqual(result.orphans, []);
      assert.equal(result.containerStorage.length, 1);
      assert.equal(result.containerStorage[0]?.path, '/var/lib/docker');
      assert.equal(result.containerStorage[0]?.counts.suid, 1);
      assert.equal(result.containerStorage[0]?.counts.orphan, 1);
      assert.equal(result.containerStorage[0]?.counts.worldWritable, 1);
    } finally {
      fs.rmSync(storage, { recursive: true, force: true });
    }
  });

  test('target without passwd skips orphans', async () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-bare-${process.pid}-`));
    try {
      write(bare, 'file', 0o644, 4242, 4242);
      const result = await scanTree({ root: bare });
      assert.equal(result.orphanCheck, false);
      assert.deepEqual(result.orphans, []);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });

  test('missing root exits 2', async () => {
    const { code, stderr } = await runCli(['scan', '--root', path.join(scratch, 'missing')]);
    assert.equal(code, 2);
    assert.match(stderr, /no such directory/);
    assert.doesNotMatch(stderr, /at .*\.js:\d+/);
  });

  test('invalid baseline exits 2', async () => {
    const bad = path.join(scratch, 'bad-baseline.json');
    fs.writeFileSync(bad, '{"formatVersion": 1, "suid": 3}');
    const { code, stderr } = await runCli(['scan', '--root', root, '--baseline', bad]);
    assert.equal(code, 2);
    assert.match(stderr, /bad-baseline\.json: the list "suid" is missing or invalid/);
  });

  test('baseline reports new, gone and changed', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-base-${process.pid}-`));
    try {
      fs.mkdirSync(path.join(tree, 'etc'));
      fs.writeFileSync(path.join(tree, 'etc/passwd'), TARGET_PASSWD);
      fs.writeFileSync(path.join(tree, 'etc/group'), TARGET_GROUP);
      write(tree, 'bin/su', 0o4755);
      write(tree, 'bin/mount', 0o4755);
      write(tree, 'tmp/open', 0o666);
      const baselineFile = path.join(scratch, 'baseline.json');
      assert.equal((await runCli(['scan', '--root', tree, '--save-baseline', baselineFile, '--format', 'json'])).code, 1);

      fs.appendFileSync(path.join(tree, 'bin/su'), 'changed');
      fs.chmodSync(path.join(tree, 'bin/su'), 0o4755);
      write(tree, 'bin/tee', 0o4755);
      fs.chmodSync(path.join(tree, 'bin/mount'), 0o4711);
      fs.rmSync(path.join(tree, 'tmp/open'));
      const { code, stdout } = await runCli(['scan', '--root', tree, '--baseline', baselineFile, '--format', 'json']);
      assert.equal(code, 1);
      const changes = (JSON.parse(stdout) as { baselineChanges: { list: string; kind: string; path: string; severity: string }[] }).baselineChanges;
      const summary = changes.map((change) => `${change.severity} ${change.kind} ${change.list} ${change.path}`).sort();
      assert.deepEqual(summary, [
        'high changed suid /bin/su',
        'high new suid /bin/tee',
        'low gone worldWritable /tmp/open',
        'medium changed suid /bin/mount',
      ]);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  test('unchanged tree has no baseline changes', async () => {
    const first = await scanTree({ root });
    const second = await scanTree({ root });
    assert.deepEqual(compareWithBaseline(first, second), []);
  });

  test('write-logs writes the four logs as a transaction', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-logs-${process.pid}-`));
    try {
      fs.mkdirSync(path.join(tree, 'etc'));
      fs.writeFileSync(path.join(tree, 'etc/passwd'), TARGET_PASSWD);
      fs.writeFileSync(path.join(tree, 'etc/group'), TARGET_GROUP);
      write(tree, 'bin/su', 0o4755);
      write(tree, 'srv/lost', 0o644, 4242, 4242);
      const { stdout } = await runCli(['scan', '--root', tree, '--write-logs']);
      assert.match(stdout, /Wrote the logs \(transaction /);
      const suidLog = fs.readFileSync(path.join(tree, 'var/log/suid-files.log'), 'utf8');
      assert.match(suidLog, /^-rwsr-xr-x root root \d+ \/bin\/su sha256=[0-9a-f]{64}\n$/);
      assert.equal(fs.readFileSync(path.join(tree, 'var/log/orphan-files.log'), 'utf8'), '-rw-r--r-- 4242 4242 20 /srv/lost\n');
      assert.equal(fs.readFileSync(path.join(tree, 'var/log/sgid-files.log'), 'utf8'), '');
      assert.equal(fs.readFileSync(path.join(tree, 'var/log/world-writable-files.log'), 'utf8'), '');

      rollbackTransaction(tree, undefined);
      assert.equal(fs.existsSync(path.join(tree, 'var/log/suid-files.log')), false);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  test('removing set-id bits rolls back', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), `kh-scan-bits-${process.pid}-`));
    try {
      fs.mkdirSync(path.join(tree, 'etc'));
      write(tree, 'bin/both', 0o6755);
      write(tree, 'bin/sgid', 0o2755);
      const result = await scanTree({ root: tree });
      const changes = removeSetIdBits(result.suid, ['suid']);
      assert.deepEqual(changes.map((change) => [change.path, change.mode, change.content]), [['/bin/both', 0o2755, undefined]]);

      const applied = applyFileChanges(tree, removeSetIdBits([...result.suid, ...result.sgid.filter((entry) => entry.path !== '/bin/both')], ['suid', 'sgid']), 'remove set-id bits');
      assert.ok(applied.id !== undefined);
      assert.equal(fs.statSync(path.join(tree, 'bin/both')).mode & 0o7777, 0o755);
      assert.equal(fs.statSync(path.join(tree, 'bin/sgid')).mode & 0o7777, 0o755);

      rollbackTransaction(tree, applied.id);
      assert.equal(fs.statSync(path.join(tree, 'bin/both')).mode & 0o7777, 0o6755);
      assert.equal(fs.statSync(path.join(tree, 'bin/sgid')).mode & 0o7777, 0o2755);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  test('permission errors are reported, walk goes on', () => {
    // Root reads every directory through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so the CLI
    // runs without them: then mode 000 stops it as it would stop any user.
    const result = spawnSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', process.execPath, cli, 'scan', '--root', root, '--format', 'json'], { maxBuffer: 64 << 20 });
    assert.equal(result.status, 1, result.stderr.toString());
    const json = JSON.parse(result.stdout.toString()) as ScanResult;
    assert.deepEqual(json.errors.map((error) => [error.path, error.code]), [['/srv/closed', 'EACCES']]);
    assert.ok(json.suid.some((entry) => entry.path === '/usr/bin/su'), 'the rest of the tree is still scanned');
  });

  test('JSON mode draws no progress', async () => {
    let stderr = '';
    const code = await main(['scan', '--root', root, '--format', 'json'], { stdout: () => undefined, stderr: (chunk) => (stderr += chunk), env: {}, stdoutIsTty: true, stderrIsTty: true });
    assert.equal(code, 1);
    assert.equal(stderr, '');
  });

  test('cached Debian and Kimigayo trees', async () => {
    const debian = await scanTree({ root: debianTree() });
    assert.equal(debian.osFamily, 'debian');
    assert.ok(debian.suid.some((entry) => entry.path === '/usr/bin/su'));
    assert.deepEqual([...debian.suid, ...debian.sgid].filter((entry) => entry.expected !== true).map((entry) => entry.path), []);
    assert.deepEqual(debian.orphans, []);

    const kimigayo = await scanTree({ root: kimigayoTree() });
    assert.equal(kimigayo.osFamily, 'alpine');
    assert.deepEqual(kimigayo.suid, [], 'the Kimigayo image ships no SUID file');
    assert.deepEqual(kimigayo.sgid, []);
    assert.deepEqual(kimigayo.orphans, []);
  });

  test('xdev stops at a tmpfs, all-mounts enters it', () => {
    // The tmpfs is mounted in a private mount namespace, so it disappears with the namespace.
    const mountPoint = path.join(root, 'mnt-tmpfs');
    fs.mkdirSync(mountPoint, { recursive: true });
    const outputs = path.join(scratch, 'mount');
    fs.mkdirSync(outputs);
    const script = [
      'set -e',
      `mount -t tmpfs kh-scan-${process.pid} "$1"`,
      'printf x > "$1/inside-suid" && chmod 4755 "$1/inside-suid"',
      'mkdir "$1/open" && chmod 777 "$1/open"',
      `"$2" "$3" scan --root "$4" --format json > "$5/xdev.json" || test $? -eq 1`,
      `"$2" "$3" scan --root "$4" --format json --all-mounts > "$5/all.json" || test $? -eq 1`,
      'find "$4" -xdev -type f -perm -4000 -print0 > "$5/find-xdev"',
      'find "$4" -type f -perm -4000 -print0 > "$5/find-all"',
    ].join('\n');
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', mountPoint, process.execPath, cli, root, outputs]);
    assert.equal(result.status, 0, result.stderr.toString());
    fs.rmdirSync(mountPoint);

    const targetPaths = (file: string): string[] => splitNul(fs.readFileSync(path.join(outputs, file))).map((bytes) => bytes.subarray(Buffer.byteLength(root)).toString('base64')).sort();
    const xdev = JSON.parse(fs.readFileSync(path.join(outputs, 'xdev.json'), 'utf8')) as ScanResult;
    const all = JSON.parse(fs.readFileSync(path.join(outputs, 'all.json'), 'utf8')) as ScanResult;
    assert.deepEqual(paths(xdev.suid), targetPaths('find-xdev'));
    assert.deepEqual(paths(all.suid), targetPaths('find-all'));
    assert.ok(all.suid.some((entry) => entry.path === '/mnt-tmpfs/inside-suid'));
    assert.ok(!xdev.suid.some((entry) => entry.path === '/mnt-tmpfs/inside-suid'));
    assert.deepEqual(xdev.skipped.filter((dir) => dir.reason === 'other-fs').map((dir) => dir.path), ['/mnt-tmpfs']);
    assert.ok(all.worldWritableDirs.some((entry) => entry.path === '/mnt-tmpfs/open'));
  });
});
