import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { RootFs } from '../../src/target/rootfs.js';
import { copyTree, debianTree, kimigayoTree, removeTree, repoRoot, STAMP_FILE } from './trees.js';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

function readTreeFile(tree: string, targetPath: string): string {
  return fs.readFileSync(path.join(tree, targetPath), 'utf8');
}

function permissionBits(tree: string, targetPath: string): number {
  return fs.lstatSync(path.join(tree, targetPath)).mode & 0o7777;
}

/** Parse KEY=VALUE lines as os-release(5) writes them, without shell expansion. */
function parseOsRelease(source: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of source.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match === null) continue;
    fields.set(match[1] ?? '', (match[2] ?? '').replace(/^"(.*)"$/, '$1'));
  }
  return fields;
}

function sysctlSettings(source: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of source.split('\n')) {
    const match = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match !== null) settings.set(match[1] ?? '', match[2] ?? '');
  }
  return settings;
}

/** Host paths of every SUID or SGID file below root, not following symbolic links. */
function specialModeFiles(root: string): string[] {
  const found: string[] = [];
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const mode = fs.lstatSync(full).mode;
      if ((mode & (S_ISUID | S_ISGID)) !== 0) found.push(full);
      if (entry.isDirectory()) pending.push(full);
    }
  }
  return found;
}

/** Run a command of the tree inside it with bwrap: its own binaries, libraries and /etc. */
function runInTree(tree: string, command: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    'bwrap',
    ['--ro-bind', tree, '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/run', '--dir', '/run/sshd', '--unshare-all', ...command],
    { encoding: 'utf8' },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kimigayo tree', () => {
  const tree = kimigayoTree();
  const target = new RootFs(tree);

  test('os-release identifies Kimigayo 2.0.1', () => {
    const fields = parseOsRelease(readTreeFile(tree, 'etc/os-release'));
    assert.equal(fields.get('ID'), 'kimigayo');
    assert.equal(fields.get('ID_LIKE'), 'alpine');
    assert.equal(fields.get('NAME'), 'Kimigayo OS');
    assert.equal(fields.get('VERSION_ID'), '2.0.1');
    assert.match(fields.get('PRETTY_NAME') ?? '', /Kimigayo OS/);
    assert.match(fields.get('HOME_URL') ?? '', /^https:\/\//);
  });

  test('busybox is static and not SUID', () => {
    const stats = fs.lstatSync(path.join(tree, 'bin/busybox'));
    assert.ok(stats.isFile());
    assert.equal(stats.mode & 0o7777, 0o755);

    const output = execFileSync(path.join(tree, 'bin/busybox'), ['echo', 'applet ran'], { encoding: 'utf8' });
    assert.equal(output, 'applet ran\n');
  });

  test('applets link to busybox in Alpine dirs', () => {
    for (const applet of ['/bin/sh', '/bin/ls', '/bin/mount', '/sbin/sysctl', '/sbin/modprobe', '/sbin/init',
      '/sbin/getty', '/sbin/nologin', '/usr/bin/find', '/usr/bin/awk', '/usr/sbin/chroot']) {
      assert.equal(target.readlink(applet), '/bin/busybox', applet);
      assert.equal(target.resolve(applet), path.join(tree, 'bin/busybox'), applet);
    }
  });

  test('minimal variant lacks stat and checksums', () => {
    for (const applet of ['stat', 'md5sum', 'sha256sum']) {
      for (const dir of ['/bin', '/sbin', '/usr/bin', '/usr/sbin']) {
        assert.equal(target.exists(`${dir}/${applet}`), false, `${dir}/${applet}`);
      }
    }
  });

  test('busybox find rejects -nouser', () => {
    const result = spawnSync(path.join(tree, 'bin/busybox'), ['find', tree, '-maxdepth', '0', '-nouser'], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /-nouser/);
  });

  test('shell runs inside the tree', () => {
    const result = runInTree(tree, ['/bin/sh', '-c', 'id -un; cat /etc/hostname']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'root\nkimigayo\n');
  });

  test('musl loader is installed', () => {
    const loaders = fs.readdirSync(path.join(tree, 'lib')).filter((name) => name.startsWith('ld-musl-'));
    assert.equal(loaders.length, 1);
    assert.ok(fs.statSync(path.join(tree, 'lib', loaders[0] ?? '')).isFile());
  });

  test('inittab starts openrc runlevels', () => {
    const inittab = readTreeFile(tree, 'etc/inittab');
    for (const line of ['::sysinit:/sbin/openrc sysinit', '::sysinit:/sbin/openrc boot', '::wait:/sbin/openrc default',
      '::shutdown:/sbin/openrc shutdown']) {
      assert.ok(inittab.split('\n').includes(line), line);
    }
    assert.match(inittab, /^console::respawn:\/sbin\/getty /m);
  });

  test('rc.conf enables parallel start', () => {
    assert.match(readTreeFile(tree, 'etc/rc.conf'), /^rc_parallel="YES"$/m);
  });

  test('runlevels link to init scripts', () => {
    assert.deepEqual(target.readdir('/etc/runlevels'), ['boot', 'default', 'nonetwork', 'shutdown', 'sysinit']);
    assert.ok(target.readdir('/etc/runlevels/boot').includes('sysctl'));
    for (const level of target.readdir('/etc/runlevels')) {
      for (const service of target.readdir(`/etc/runlevels/${level}`)) {
        const entry = `/etc/runlevels/${level}/${service}`;
        assert.equal(target.readlink(entry), `/etc/init.d/${service}`, entry);
        assert.ok(target.stat(entry)?.isFile(), entry);
      }
    }
  });

  test('init scripts use openrc-run', () => {
    const scripts = target.readdir('/etc/init.d');
    assert.ok(scripts.length >= 5);
    for (const name of scripts) {
      assert.ok(readTreeFile(tree, `etc/init.d/${name}`).startsWith('#!/sbin/openrc-run\n'), name);
      assert.equal(permissionBits(tree, `etc/init.d/${name}`), 0o755, name);
    }
    for (const binary of ['sbin/openrc', 'sbin/openrc-run']) {
      assert.equal(permissionBits(tree, binary), 0o755, binary);
    }
  });

  test('image lacks sshd, iptables, auditd', () => {
    const scripts = target.readdir('/etc/init.d');
    for (const name of ['sshd', 'iptables', 'ip6tables', 'auditd', 'syslog']) {
      assert.ok(!scripts.includes(name), `/etc/init.d/${name}`);
    }
    for (const absent of ['/etc/conf.d/sshd', '/etc/conf.d/iptables', '/etc/ssh', '/usr/sbin/sshd', '/sbin/iptables',
      '/usr/sbin/iptables', '/sbin/auditctl', '/etc/audit', '/boot', '/lib/modules', '/etc/gshadow', '/etc/apk',
      '/usr/sbin/grub-mkconfig']) {
      assert.equal(target.exists(absent), false, absent);
    }
    assert.ok(target.readdir('/etc/conf.d').length >= 3);
  });

  test('sysctl.d holds performance settings', () => {
    const settings = sysctlSettings(readTreeFile(tree, 'etc/sysctl.d/99-kimigayo-performance.conf'));
    assert.equal(settings.get('vm.swappiness'), '0');
    assert.equal(settings.get('net.ipv4.tcp_syncookies'), '1');
    assert.equal(settings.get('kernel.randomize_va_space'), '2');
    assert.equal(settings.get('fs.suid_dumpable'), '0');
    assert.equal(settings.get('net.ipv4.tcp_timestamps'), '1');
    assert.ok(settings.has('net.core.somaxconn'));
    assert.equal(target.exists('/etc/sysctl.conf'), false);
  });

  test('fstab mounts tmpfs with defaults', () => {
    const entries = readTreeFile(tree, 'etc/fstab')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.trim().split(/\s+/));
    const byMountPoint = new Map(entries.map((fields) => [fields[1] ?? '', fields]));
    assert.deepEqual([...byMountPoint.keys()].sort(), ['/dev/pts', '/proc', '/run', '/sys', '/tmp']);
    assert.equal(byMountPoint.get('/dev/pts')?.[3], 'gid=5,mode=620');
    assert.equal(byMountPoint.get('/run')?.[2], 'tmpfs');
    assert.equal(byMountPoint.get('/run')?.[3], 'defaults');
    assert.equal(byMountPoint.get('/tmp')?.[2], 'tmpfs');
    assert.equal(byMountPoint.get('/tmp')?.[3], 'defaults');
  });

  test('accounts are root and nobody', () => {
    const passwd = readTreeFile(tree, 'etc/passwd').trimEnd().split('\n');
    assert.deepEqual(passwd.map((line) => line.split(':')[0]), ['root', 'nobody']);
    assert.deepEqual(passwd[1]?.split(':'), ['nobody', 'x', '65534', '65534', 'nobody', '/', '/sbin/nologin']);
    assert.ok(target.exists('/sbin/nologin'));

    const shadow = readTreeFile(tree, 'etc/shadow').trimEnd().split('\n');
    assert.deepEqual(shadow.map((line) => line.split(':').slice(0, 2).join(':')), ['root:*', 'nobody:*']);

    const groups = readTreeFile(tree, 'etc/group').trimEnd().split('\n').map((line) => line.split(':')[0]);
    assert.ok(!groups.includes('wheel'));

    assert.equal(permissionBits(tree, 'etc/passwd'), 0o644);
    assert.equal(permissionBits(tree, 'etc/shadow'), 0o600);
    assert.equal(permissionBits(tree, 'etc/group'), 0o644);
  });

  test('directory modes and umask', () => {
    assert.equal(permissionBits(tree, 'tmp'), 0o1777);
    assert.equal(permissionBits(tree, 'var/tmp'), 0o1777);
    assert.equal(permissionBits(tree, 'root'), 0o700);
    assert.equal(permissionBits(tree, '.'), 0o755);
    assert.match(readTreeFile(tree, 'etc/profile'), /^umask 022$/m);
  });

  test('no SUID or SGID files', () => {
    assert.deepEqual(specialModeFiles(tree), []);
  });
});

describe('debian tree', () => {
  const tree = debianTree();
  const target = new RootFs(tree);

  test('os-release identifies bookworm', () => {
    const fields = parseOsRelease(readTreeFile(tree, 'etc/os-release'));
    assert.equal(fields.get('ID'), 'debian');
    assert.equal(fields.get('VERSION_CODENAME'), 'bookworm');
  });

  test('audited programs are installed', () => {
    for (const program of ['/sbin/init', '/sbin/openrc', '/sbin/openrc-run', '/usr/sbin/sshd', '/usr/sbin/iptables',
      '/usr/sbin/iptables-restore', '/usr/sbin/ip6tables', '/sbin/auditctl', '/sbin/auditd', '/sbin/modprobe',
      '/usr/sbin/sysctl', '/bin/busybox', '/usr/sbin/grub-mkconfig']) {
      assert.ok(target.stat(program)?.isFile(), program);
    }
    for (const config of ['/etc/ssh/sshd_config', '/etc/audit/auditd.conf', '/etc/audit/rules.d/audit.rules',
      '/etc/sysctl.conf', '/etc/fstab', '/etc/inittab', '/etc/rc.conf']) {
      assert.ok(target.readText(config).text.length > 0, config);
    }
  });

  test('openrc runlevels exist', () => {
    for (const level of ['sysinit', 'boot', 'default', 'shutdown']) {
      assert.ok(target.isDirectory(`/etc/runlevels/${level}`), level);
    }
    const defaults = target.readdir('/etc/runlevels/default');
    assert.ok(defaults.includes('ssh'));
    assert.ok(defaults.includes('auditd'));
  });

  test('sshd accepts its own config', () => {
    const result = runInTree(tree, ['/usr/sbin/sshd', '-t']);
    assert.equal(result.status, 0, result.stderr);
  });

  test('build leftovers are removed', () => {
    assert.equal(target.exists('/usr/sbin/policy-rc.d'), false);
    assert.equal(target.exists('/etc/resolv.conf'), false);
    assert.deepEqual(target.readdir('/var/lib/apt/lists'), ['partial']);
    assert.deepEqual(target.readdir('/var/cache/apt/archives').filter((name) => name.endsWith('.deb')), []);
    assert.deepEqual(target.readdir('/var/cache/apt').filter((name) => name.endsWith('.bin')), []);
  });
});

describe('copyTree', () => {
  test('copy keeps modes and links', () => {
    const original = kimigayoTree();
    const copy = copyTree(original);
    try {
      assert.equal(permissionBits(copy, '.'), permissionBits(original, '.'));
      assert.equal(permissionBits(copy, 'etc/shadow'), 0o600);
      assert.equal(permissionBits(copy, 'tmp'), 0o1777);
      assert.equal(fs.readlinkSync(path.join(copy, 'bin/sh')), '/bin/busybox');

      fs.writeFileSync(path.join(copy, 'etc/hostname'), 'changed\n');
      assert.equal(readTreeFile(original, 'etc/hostname'), 'kimigayo\n');
    } finally {
      removeTree(copy);
    }
    assert.equal(fs.existsSync(copy), false);
  });

  test('removeTree rejects other paths', () => {
    assert.throws(() => removeTree(kimigayoTree()), /not a copy made by copyTree/);
    assert.throws(() => removeTree(os.tmpdir()), /not a copy made by copyTree/);
    assert.ok(fs.existsSync(kimigayoTree()));
  });
});

describe('build scripts', () => {
  const scripts = path.join(repoRoot, 'scripts');

  function runScript(script: string, args: string[]): { status: number | null; output: string; elapsedMs: number } {
    const started = process.hrtime.bigint();
    const result = spawnSync('bash', [path.join(scripts, script), ...args], { encoding: 'utf8' });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { status: result.status, output: result.stdout + result.stderr, elapsedMs };
  }

  test('debian build skips a current tree', () => {
    // A directory holding only the cached tree's stamp counts as current,
    // which shows that the up-to-date path never looks past the stamp.
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-stamp-'));
    try {
      fs.copyFileSync(path.join(debianTree(), STAMP_FILE), path.join(dest, STAMP_FILE));
      const result = runScript('build-debian-rootfs.sh', [dest]);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /is up to date/);
      assert.ok(result.elapsedMs < 1000, `took ${result.elapsedMs} ms`);
    } finally {
      fs.rmSync(dest, { recursive: true, force: true });
    }
  });

  test('check rejects a stale stamp', () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-stamp-'));
    try {
      fs.writeFileSync(path.join(dest, STAMP_FILE), 'suite=bookworm\nrevision=0\npackages=\n');
      const debian = runScript('build-debian-rootfs.sh', ['--check', dest]);
      assert.equal(debian.status, 1, debian.output);
      assert.match(debian.output, /out of date/);

      const kimigayo = runScript('build-kimigayo-rootfs.sh', ['--check', dest]);
      assert.equal(kimigayo.status, 1, kimigayo.output);
    } finally {
      fs.rmSync(dest, { recursive: true, force: true });
    }
  });

  test('kimigayo rebuild on stamp change', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-build-'));
    const dest = path.join(parent, 'kimigayo');
    try {
      const first = runScript('build-kimigayo-rootfs.sh', [dest]);
      assert.equal(first.status, 0, first.output);
      assert.match(first.output, /built /);
      const stamp = readTreeFile(dest, STAMP_FILE);
      assert.equal(stamp, readTreeFile(kimigayoTree(), STAMP_FILE));
      const firstInode = fs.statSync(dest).ino;

      const second = runScript('build-kimigayo-rootfs.sh', [dest]);
      assert.equal(second.status, 0, second.output);
      assert.match(second.output, /is up to date/);
      assert.equal(fs.statSync(dest).ino, firstInode);

      fs.writeFileSync(path.join(dest, STAMP_FILE), 'script-sha256=outdated\n');
      const third = runScript('build-kimigayo-rootfs.sh', [dest]);
      assert.equal(third.status, 0, third.output);
      assert.match(third.output, /built /);
      assert.equal(readTreeFile(dest, STAMP_FILE), stamp);
      assert.deepEqual(fs.readdirSync(parent).filter((name) => name.includes('.tmp.') || name.includes('.old.')), []);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
