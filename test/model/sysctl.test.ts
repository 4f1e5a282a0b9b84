import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { detectSysctlLoader, loadSysctl } from '../../src/model/sysctl.js';
import type { SysctlLoader } from '../../src/model/sysctl.js';
import { RootFs } from '../../src/target/rootfs.js';
import { ScratchTrees } from '../helpers/fixture.js';
import type { TextTree } from '../helpers/fixture.js';

const LOADERS: SysctlLoader[] = ['openrc-busybox', 'procps', 'systemd'];
const scratch = new ScratchTrees('kh-sysctl-');

after(() => scratch.removeAll());

function makeTree(files: TextTree): RootFs {
  return new RootFs(scratch.create(files));
}

const KIMIGAYO_PERFORMANCE = [
  '# Kimigayo OS - Kernel Performance Tuning',
  'vm.swappiness = 0',
  'net.ipv4.tcp_timestamps = 1',
  'net.ipv4.tcp_syncookies = 1',
  'kernel.randomize_va_space = 2',
  '',
].join('\n');

const GUIDE_SECURITY = ['# guide', 'kernel.kptr_restrict = 2', 'net.ipv4.tcp_timestamps = 0', ''].join('\n');

describe('loadSysctl', () => {
  test('Kimigayo timestamps conflict under each loader', () => {
    const target = makeTree({
      'etc/sysctl.d/99-kimigayo-performance.conf': KIMIGAYO_PERFORMANCE,
      'etc/sysctl.d/99-security.conf': GUIDE_SECURITY,
    });
    for (const loader of LOADERS) {
      const effective = loadSysctl(target, loader).get('net.ipv4.tcp_timestamps');
      assert.equal(effective?.value, '0', loader);
      assert.equal(effective?.path, '/etc/sysctl.d/99-security.conf', loader);
      assert.equal(effective?.line, 3, loader);
      assert.deepEqual(
        effective?.others,
        [{ path: '/etc/sysctl.d/99-kimigayo-performance.conf', line: 3, value: '1', applied: true }],
        loader,
      );
    }
  });

  test('performance file wins when it sorts later', () => {
    const target = makeTree({
      'etc/sysctl.d/99-kimigayo-performance.conf': KIMIGAYO_PERFORMANCE,
      'etc/sysctl.d/60-security.conf': GUIDE_SECURITY,
    });
    for (const loader of LOADERS) {
      const effective = loadSysctl(target, loader).get('net.ipv4.tcp_timestamps');
      assert.equal(effective?.value, '1', loader);
      assert.equal(effective?.path, '/etc/sysctl.d/99-kimigayo-performance.conf', loader);
      assert.equal(effective?.others[0]?.path, '/etc/sysctl.d/60-security.conf', loader);
    }
  });

  test('directory order differs between loaders', () => {
    const target = makeTree({
      'etc/sysctl.d/90-local.conf': 'kernel.dmesg_restrict = 1\n',
      'usr/lib/sysctl.d/10-vendor.conf': 'kernel.dmesg_restrict = 0\n',
    });
    const busybox = loadSysctl(target, 'openrc-busybox');
    assert.equal(busybox.get('kernel.dmesg_restrict')?.value, '0');
    assert.equal(busybox.get('kernel.dmesg_restrict')?.path, '/usr/lib/sysctl.d/10-vendor.conf');
    for (const loader of ['procps', 'systemd'] as const) {
      const effective = loadSysctl(target, loader).get('kernel.dmesg_restrict');
      assert.equal(effective?.value, '1', loader);
      assert.equal(effective?.path, '/etc/sysctl.d/90-local.conf', loader);
    }
  });

  test('busybox without sysctl.conf reads only sysctl.d', () => {
    const target = makeTree({ 'etc/sysctl.d/99-kimigayo-performance.conf': KIMIGAYO_PERFORMANCE });
    const model = loadSysctl(target, 'openrc-busybox');
    assert.deepEqual(model.files, [{ path: '/etc/sysctl.d/99-kimigayo-performance.conf', loadIndex: 0, status: 'read' }]);
    assert.deepEqual(model.problems, []);
    assert.equal(model.get('kernel.kptr_restrict'), undefined);
    assert.equal(model.get('vm.swappiness')?.value, '0');
  });

  test('same file name in /etc and /usr/lib', () => {
    const target = makeTree({
      'etc/sysctl.d/50-default.conf': 'kernel.sysrq = 0\n',
      'usr/lib/sysctl.d/50-default.conf': 'kernel.sysrq = 16\n',
    });
    for (const loader of ['procps', 'systemd'] as const) {
      const model = loadSysctl(target, loader);
      assert.deepEqual(
        model.files,
        [
          { path: '/etc/sysctl.d/50-default.conf', loadIndex: 0, status: 'read' },
          { path: '/usr/lib/sysctl.d/50-default.conf', loadIndex: undefined, status: 'shadowed', shadowedBy: '/etc/sysctl.d/50-default.conf' },
        ],
        loader,
      );
      const effective = model.get('kernel.sysrq');
      assert.equal(effective?.value, '0', loader);
      assert.deepEqual(effective?.others, [{ path: '/usr/lib/sysctl.d/50-default.conf', line: 1, value: '16', applied: false }], loader);
    }
    const busybox = loadSysctl(target, 'openrc-busybox').get('kernel.sysrq');
    assert.equal(busybox?.value, '16');
    assert.equal(busybox?.path, '/usr/lib/sysctl.d/50-default.conf');
    assert.equal(busybox?.others[0]?.applied, true);
  });

  test('merged /usr lists each file once', () => {
    const target = makeTree({
      'usr/lib/sysctl.d/50-a.conf': 'kernel.dmesg_restrict = 0\n',
      lib: '->usr/lib',
    });
    for (const loader of ['openrc-busybox', 'procps', 'systemd'] as const) {
      const model = loadSysctl(target, loader);
      assert.deepEqual(model.files.map((file) => file.path), ['/usr/lib/sysctl.d/50-a.conf'], loader);
      assert.deepEqual(model.get('kernel.dmesg_restrict')?.others, [], loader);
    }
  });

  test('symlink to /dev/null masks a file', () => {
    const target = makeTree({
      'etc/sysctl.d/50-default.conf': '->/dev/null',
      'usr/lib/sysctl.d/50-default.conf': 'net.ipv4.conf.all.rp_filter = 2\n',
    });
    const model = loadSysctl(target, 'systemd');
    assert.equal(model.files[0]?.status, 'masked');
    assert.equal(model.files[0]?.loadIndex, undefined);
    assert.equal(model.get('net.ipv4.conf.all.rp_filter'), undefined);
    assert.deepEqual(model.lines('net.ipv4.conf.all.rp_filter').map((e) => e.applied), [false]);
    assert.deepEqual(model.problems, []);
  });

  test('glob lines and explicit keys', () => {
    const target = makeTree({
      'etc/sysctl.d/10-explicit.conf': 'net.ipv4.conf.all.rp_filter = 1\n',
      'usr/lib/sysctl.d/50-default.conf': 'net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.lo.rp_filter\n',
    });
    for (const loader of ['procps', 'systemd'] as const) {
      const model = loadSysctl(target, loader);
      const all = model.get('net.ipv4.conf.all.rp_filter');
      assert.equal(all?.value, '1', loader);
      assert.deepEqual(all?.others, [{ path: '/usr/lib/sysctl.d/50-default.conf', line: 1, value: '2', applied: true }], loader);
      assert.equal(model.get('net.ipv4.conf.default.rp_filter')?.value, '2', loader);
      assert.equal(model.get('net.ipv4.conf.default.rp_filter')?.line, 1, loader);
      assert.equal(model.get('net.ipv4.conf.lo.rp_filter'), undefined, loader);
    }
    const busybox = loadSysctl(target, 'openrc-busybox');
    assert.equal(busybox.get('net.ipv4.conf.default.rp_filter'), undefined);
    assert.deepEqual(busybox.lines('net.ipv4.conf.default.rp_filter').map((e) => e.applied), [false]);
  });

  test('leading dash on busybox is not applied', () => {
    const target = makeTree({ 'etc/sysctl.d/50.conf': 'net.ipv4.ping_group_range = 1 0\n-net.ipv4.ping_group_range = 0 2147483647\n' });
    assert.equal(loadSysctl(target, 'openrc-busybox').get('net.ipv4.ping_group_range')?.value, '1 0');
    assert.equal(loadSysctl(target, 'procps').get('net.ipv4.ping_group_range')?.value, '0 2147483647');
  });

  test('empty value never wins', () => {
    const target = makeTree({ 'etc/sysctl.d/50.conf': 'kernel.kptr_restrict = 2\nkernel.kptr_restrict =\n' });
    for (const loader of LOADERS) {
      const effective = loadSysctl(target, loader).get('kernel.kptr_restrict');
      assert.equal(effective?.value, '2', loader);
      assert.deepEqual(effective?.others, [{ path: '/etc/sysctl.d/50.conf', line: 2, value: '', applied: false }], loader);
    }
  });

  test('sysctl.conf under each loader', () => {
    const target = makeTree({
      'etc/sysctl.conf': 'kernel.dmesg_restrict = 1\n',
      'etc/sysctl.d/99-z.conf': 'kernel.dmesg_restrict = 0\n',
    });
    assert.equal(loadSysctl(target, 'openrc-busybox').get('kernel.dmesg_restrict')?.path, '/etc/sysctl.conf');
    assert.equal(loadSysctl(target, 'procps').get('kernel.dmesg_restrict')?.path, '/etc/sysctl.conf');
    const systemd = loadSysctl(target, 'systemd');
    assert.equal(systemd.get('kernel.dmesg_restrict')?.path, '/etc/sysctl.d/99-z.conf');
    assert.equal(systemd.files.some((file) => file.path === '/etc/sysctl.conf'), false);
  });

  test('systemd reads sysctl.conf through 99-sysctl.conf', () => {
    const target = makeTree({
      'etc/sysctl.conf': 'kernel.dmesg_restrict = 1\n',
      'etc/sysctl.d/99-sysctl.conf': '->../sysctl.conf',
      'usr/lib/sysctl.d/50-default.conf': 'kernel.dmesg_restrict = 0\n',
    });
    const model = loadSysctl(target, 'systemd');
    const effective = model.get('kernel.dmesg_restrict');
    assert.equal(effective?.value, '1');
    assert.equal(effective?.path, '/etc/sysctl.d/99-sysctl.conf');
    assert.equal(model.files.find((file) => file.path === '/etc/sysctl.d/99-sysctl.conf')?.linkTarget, '../sysctl.conf');
  });

  test('malformed line gives a key hint', () => {
    const target = makeTree({ 'etc/sysctl.d/99-security.conf': 'kernel.dmesg_restrict = 1\nkernel.kptr_restrict 2\n' });
    const model = loadSysctl(target, 'openrc-busybox');
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.path, p.line, p.keyHint]),
      [['sysctl.missing-equals', '/etc/sysctl.d/99-security.conf', 2, 'kernel.kptr_restrict']],
    );
    assert.equal(model.problemsFor('kernel.kptr_restrict').length, 1);
    assert.equal(model.problemsFor('kernel.dmesg_restrict').length, 0);
    assert.equal(model.get('kernel.kptr_restrict'), undefined);
  });

  test('unreadable file affects every key', () => {
    const target = makeTree({
      'etc/sysctl.d/10-ok.conf': 'kernel.dmesg_restrict = 1\n',
      'etc/sysctl.d/20-binary.conf': 'kernel.kptr\u0000_restrict = 2\n',
    });
    const model = loadSysctl(target, 'procps');
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.path, p.keyHint]),
      [['sysctl.file-binary', '/etc/sysctl.d/20-binary.conf', undefined]],
    );
    assert.equal(model.files.find((file) => file.path === '/etc/sysctl.d/20-binary.conf')?.status, 'unreadable');
    assert.equal(model.problemsFor('kernel.dmesg_restrict').length, 1);
  });

  test('dangling symlink is skipped quietly', () => {
    const target = makeTree({ 'etc/sysctl.d/10-gone.conf': '->/nowhere.conf' });
    const model = loadSysctl(target, 'procps');
    assert.equal(model.files[0]?.status, 'dangling');
    assert.deepEqual(model.problems, []);
  });

  test('only *.conf files are read', () => {
    const target = makeTree({
      'etc/sysctl.d/README': 'kernel.sysrq = 1\n',
      'etc/sysctl.d/10-a.conf.bak': 'kernel.sysrq = 1\n',
      'etc/sysctl.d/10-a.conf': 'kernel.sysrq = 0\n',
    });
    for (const loader of LOADERS) {
      assert.deepEqual(
        loadSysctl(target, loader).files.map((file) => file.path),
        ['/etc/sysctl.d/10-a.conf'],
        loader,
      );
    }
  });
});

describe('detectSysctlLoader', () => {
  test('Kimigayo is OpenRC with BusyBox', () => {
    const target = makeTree({
      'etc/runlevels/default/.keep': '',
      'bin/busybox': 'ELF',
      'sbin/sysctl': '->/bin/busybox',
      'sbin/openrc-run': 'ELF',
    });
    assert.equal(detectSysctlLoader(target).loader, 'openrc-busybox');
  });

  test('OpenRC with sysctl missing but busybox present', () => {
    const target = makeTree({ 'etc/runlevels/boot/.keep': '', 'bin/busybox': 'ELF' });
    assert.equal(detectSysctlLoader(target).loader, 'openrc-busybox');
  });

  test('systemd as init', () => {
    const target = makeTree({ 'lib/systemd/systemd': 'ELF', 'sbin/init': '->/lib/systemd/systemd', 'sbin/sysctl': 'ELF' });
    assert.equal(detectSysctlLoader(target).loader, 'systemd');
  });

  test('systemd-sysctl without runlevels', () => {
    const target = makeTree({ 'usr/lib/systemd/systemd-sysctl': 'ELF' });
    assert.equal(detectSysctlLoader(target).loader, 'systemd');
  });

  test('OpenRC with procps sysctl', () => {
    const target = makeTree({ 'etc/runlevels/boot/.keep': '', 'sbin/sysctl': 'ELF', 'bin/busybox': 'ELF' });
    const detected = detectSysctlLoader(target);
    assert.equal(detected.loader, 'procps');
    assert.notEqual(detected.reason.ja, '');
  });
});

/** Keys that live in the network namespace, so writing them inside `unshare -n` leaves the host alone. */
const NET_KEYS = ['net.ipv4.tcp_timestamps', 'net.ipv4.tcp_syncookies', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter', 'net.ipv4.tcp_rmem'];

const NET_TREE = {
  'etc/sysctl.d/99-kimigayo-performance.conf': 'net.ipv4.tcp_timestamps = 1\nnet.ipv4.tcp_syncookies = 1\nnet.ipv4.tcp_rmem = 4096   87380 6291456\n',
  'etc/sysctl.d/99-security.conf': 'net.ipv4.tcp_timestamps = 0\nnet.ipv4.conf.*.rp_filter = 2\nnet.ipv4.conf.all.rp_filter=1\n',
  'usr/lib/sysctl.d/10-vendor.conf': 'net.ipv4.tcp_syncookies = 0\n-net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward =\n',
};

function canUnshareNet(): boolean {
  const probe = spawnSync('unshare', ['-n', 'true']);
  return probe.status === 0;
}

/** Apply the files in a fresh network namespace with `program` and read the keys back. */
function applyInNetns(program: string[], files: string[]): Map<string, string> {
  const reads = NET_KEYS.map((key) => `printf '%s\\n' "$(cat /proc/sys/${key.replace(/\./g, '/')})"`).join('; ');
  const script = `"$@" >/dev/null 2>&1; ${reads}`;
  const result = spawnSync('unshare', ['-n', 'sh', '-c', script, 'sh', ...program, ...files], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const values = result.stdout.trimEnd().split('\n');
  return new Map(NET_KEYS.map((key, i) => [key, (values[i] ?? '').split(/\s+/).join(' ')]));
}

function defaultsInNetns(): Map<string, string> {
  return applyInNetns(['true'], []);
}

function compareWithKernel(loader: SysctlLoader, program: string[]): void {
  const target = makeTree(NET_TREE);
  const model = loadSysctl(target, loader);
  const hostFiles = model.files.filter((file) => file.status === 'read').map((file) => target.resolve(file.path));
  const applied = applyInNetns(program, hostFiles);
  const defaults = defaultsInNetns();
  for (const key of NET_KEYS) {
    const expected = model.get(key)?.value.split(/\s+/).join(' ') ?? defaults.get(key);
    assert.equal(applied.get(key), expected, `${loader} ${key}`);
  }
}

describe('loadSysctl against real sysctl', { skip: !canUnshareNet() && 'needs root for unshare -n' }, () => {
  test('busybox sysctl -p agrees', { skip: !fs.existsSync('/bin/busybox') && 'busybox not installed' }, () => {
    compareWithKernel('openrc-busybox', ['busybox', 'sysctl', '-e', '-p']);
  });

  test('procps sysctl -p agrees', { skip: spawnSync('sysctl', ['-V']).status !== 0 && 'procps sysctl not installed' }, () => {
    compareWithKernel('procps', ['sysctl', '-e', '-p']);
  });
});
