import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Level } from '../../src/catalog/types.js';
import { runAudit } from '../../src/engine/audit.js';
import { loadSshd } from '../../src/model/sshd.js';
import { detectSysctlLoader, loadSysctl } from '../../src/model/sysctl.js';
import { makePlan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/report/plan.js';
import { RootFs } from '../../src/target/rootfs.js';
import { openTarget } from '../../src/target/target.js';
import { applyFileChanges, rollbackTransaction } from '../../src/txn/index.js';
import type { FixtureSpec } from '../helpers/fixture.js';
import { makeTree, removeTree } from '../helpers/fixture.js';

const BASE: FixtureSpec = {
  '/etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
  '/usr/sbin/sshd': { content: '', mode: 0o755 },
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/sh\n',
  '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\nadmin:$6$s$h:19000:0:99999:7:::\n', mode: 0o600 },
  '/etc/group': 'root:x:0:\nadmin:x:1000:\nwheel:x:10:admin\n',
  '/bin/sh': { content: '', mode: 0o755 },
  '/usr/bin/doas': { content: '', mode: 0o755 },
  '/etc/doas.conf': 'permit persist :wheel\n',
  '/home/admin/.ssh/authorized_keys': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyForTests admin@test\n',
};

/** Plan the given controls, write the plan through the transaction layer, and return the tree's root. */
function planAndApply(root: string, only: string[], level: Level = 3): ReturnType<typeof makePlan> {
  const target = openTarget({ root, container: 'no' });
  const plan = makePlan(target, { level, only });
  applyFileChanges(root, plan.files.map((file) => file.change), 'test apply');
  return plan;
}

function read(root: string, file: string): string {
  return fs.readFileSync(path.join(root, file), 'utf8');
}

describe('plan and apply: cases from the field', () => {
  test('cloud-init drop-in wins over the main file', () => {
    const root = makeTree({
      ...BASE,
      '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n\n# Hardened by hand\nPasswordAuthentication no\nPermitRootLogin no\n',
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
    });
    try {
      const target = openTarget({ root, container: 'no' });
      const before = runAudit(target, { level: 1, only: ['ssh.passwordauthentication'] }).results[0];
      assert.equal(before?.status, 'fail', 'the main file alone does not decide');
      assert.ok(before?.evidence.some((item) => item.path === '/etc/ssh/sshd_config.d/50-cloud-init.conf'));

      const mainBefore = read(root, 'etc/ssh/sshd_config');
      const plan = planAndApply(root, ['ssh.passwordauthentication'], 1);
      assert.deepEqual(plan.unresolved, []);
      assert.equal(read(root, 'etc/ssh/sshd_config'), mainBefore, 'editing the main file would change nothing');
      assert.match(read(root, 'etc/ssh/sshd_config.d/00-kimigayo-harden.conf'), /^PasswordAuthentication no$/m);
      const effective = loadSshd(new RootFs(root)).global('passwordauthentication');
      assert.deepEqual(effective.value, ['no']);
      assert.equal(effective.path, '/etc/ssh/sshd_config.d/00-kimigayo-harden.conf');
      assert.equal(runAudit(openTarget({ root, container: 'no' }), { level: 1, only: ['ssh.passwordauthentication'] }).results[0]?.status, 'pass');
    } finally {
      removeTree(root);
    }
  });

  test('drop-in that sorts before ours is edited', () => {
    const root = makeTree({
      ...BASE,
      '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n',
      '/etc/ssh/sshd_config.d/00-admin.conf': '# set by the admins\nPasswordAuthentication yes\n',
    });
    try {
      const plan = planAndApply(root, ['ssh.passwordauthentication'], 1);
      assert.deepEqual(plan.unresolved.map((result) => result.control.id), []);
      assert.equal(read(root, 'etc/ssh/sshd_config.d/00-admin.conf'), '# set by the admins\nPasswordAuthentication no\n');
      assert.ok(plan.notes.some((note) => note.message.en.startsWith('/etc/ssh/sshd_config.d/00-admin.conf:2 is read before')));
      assert.ok(!plan.notes.some((note) => /so its value wins/.test(note.message.en)), 'no note claims our drop-in wins');
      const effective = loadSshd(new RootFs(root)).global('passwordauthentication');
      assert.deepEqual(effective.value, ['no']);
    } finally {
      removeTree(root);
    }
  });

  test('CRLF files get CRLF lines', () => {
    const root = makeTree({
      ...BASE,
      '/etc/ssh/sshd_config': 'Port 22\r\nMatch Group sftp\r\n    ForceCommand internal-sftp\r\n',
      '/etc/fstab': 'proc /proc proc defaults 0 0\r\n',
      '/etc/sysctl.conf': '# local\r\nvm.swappiness = 10\r\n',
    });
    try {
      planAndApply(root, ['ssh.passwordauthentication', 'mount./tmp.'], 2);
      assert.equal(read(root, 'etc/ssh/sshd_config'), 'Port 22\r\nPasswordAuthentication no\r\nMatch Group sftp\r\n    ForceCommand internal-sftp\r\n');
      assert.equal(read(root, 'etc/fstab'), 'proc /proc proc defaults 0 0\r\ntmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\r\n');
    } finally {
      removeTree(root);
    }
  });

  test('Match all value is reported', () => {
    const source = 'Port 22\nMatch all\n  PasswordAuthentication yes\n';
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': source });
    try {
      const plan = planAndApply(root, ['ssh.passwordauthentication'], 1);
      assert.equal(read(root, 'etc/ssh/sshd_config'), 'Port 22\nPasswordAuthentication no\nMatch all\n  PasswordAuthentication yes\n');
      assert.deepEqual(plan.unresolved.map((result) => result.control.id), ['ssh.passwordauthentication']);
      assert.ok(plan.notes.some((note) => note.message.en === '/etc/ssh/sshd_config:3: the Match all block sets PasswordAuthentication yes for its connections; review it by hand'));
    } finally {
      removeTree(root);
    }
  });

  test('setting goes before a trailing Match block', () => {
    const source = 'Port 22\nPermitRootLogin yes\n\n# SFTP users are jailed\nMatch Group sftp\n    ChrootDirectory /srv/%u\n    ForceCommand internal-sftp\n';
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': source });
    try {
      planAndApply(root, ['ssh.passwordauthentication', 'ssh.permitrootlogin'], 1);
      const after = read(root, 'etc/ssh/sshd_config');
      assert.equal(
        after,
        'Port 22\nPermitRootLogin no\nPasswordAuthentication no\n\n# SFTP users are jailed\nMatch Group sftp\n    ChrootDirectory /srv/%u\n    ForceCommand internal-sftp\n',
      );
      const model = loadSshd(new RootFs(root));
      assert.deepEqual(model.global('passwordauthentication').value, ['no']);
      assert.deepEqual(model.matchOverrides('passwordauthentication'), [], 'nothing landed inside the Match block');
    } finally {
      removeTree(root);
    }
  });

  test('tmp tmpfs and var/tmp bind both get flags', () => {
    const fstab = '# <file system>  <mount point>  <type>  <options>  <dump> <pass>\nUUID=0a1b       /              ext4    errors=remount-ro 0 1\ntmpfs            /tmp           tmpfs   defaults   0      0\n/tmp             /var/tmp       none    bind       0      0\n';
    const root = makeTree({ ...BASE, '/etc/fstab': fstab });
    try {
      const plan = planAndApply(root, ['mount./tmp.', 'mount./var/tmp.'], 2);
      assert.deepEqual(plan.unresolved.map((result) => result.control.id), []);
      const lines = read(root, 'etc/fstab').split('\n');
      assert.equal(lines[0], '# <file system>  <mount point>  <type>  <options>  <dump> <pass>');
      assert.equal(lines[1], 'UUID=0a1b       /              ext4    errors=remount-ro 0 1');
      assert.equal(lines[2], 'tmpfs            /tmp           tmpfs   defaults,nodev,nosuid,noexec 0      0');
      assert.equal(lines[3], '/tmp             /var/tmp       none    bind,nodev,nosuid,noexec 0      0');
      assert.ok(plan.notes.some((note) => /bind mount/.test(note.message.en)));
    } finally {
      removeTree(root);
    }
  });

  test('tmp line with a trailing comment is edited in place', () => {
    const fstab = 'UUID=0a34\t/\text4\terrors=remount-ro\t0\t1\t# root fs\n/dev/sda2 /tmp ext4 defaults,exec 0 2 # scratch\n';
    const root = makeTree({ ...BASE, '/etc/fstab': fstab });
    try {
      const plan = planAndApply(root, ['mount./tmp.'], 2);
      assert.deepEqual(plan.unresolved.map((result) => result.control.id), []);
      assert.equal(read(root, 'etc/fstab'), 'UUID=0a34\t/\text4\terrors=remount-ro\t0\t1\t# root fs\n/dev/sda2 /tmp ext4 defaults,nodev,nosuid,noexec 0 2 # scratch\n');
    } finally {
      removeTree(root);
    }
  });

  test('unreadable tmp line gets no second line', () => {
    const fstab = '/dev/sda2 /tmp ext4 defaults 0 2 scratch disk\n';
    const root = makeTree({ ...BASE, '/etc/fstab': fstab });
    try {
      const plan = planAndApply(root, ['mount./tmp.'], 2);
      assert.equal(read(root, 'etc/fstab'), fstab);
      assert.ok(plan.notes.some((note) => note.message.en === '/etc/fstab:1 names /tmp but cannot be read, so no line is added for it; fix that line by hand'));
    } finally {
      removeTree(root);
    }
  });

  test('later sysctl file wins and is changed in place', () => {
    const root = makeTree({
      ...BASE,
      '/etc/sysctl.d/10-local.conf': 'kernel.kptr_restrict = 2\n',
      '/etc/sysctl.d/99-zz-vendor.conf': '# vendor default\nkernel.kptr_restrict = 0\n',
    });
    try {
      const target = openTarget({ root, container: 'no' });
      const loader = detectSysctlLoader(target.fs).loader;
      assert.equal(loadSysctl(target.fs, loader).get('kernel.kptr_restrict')?.value, '0', 'the file that sorts later wins');
      const plan = planAndApply(root, ['sysctl.kernel.kptr_restrict'], 3);
      assert.ok(plan.notes.some((note) => note.message.en.includes('/etc/sysctl.d/99-zz-vendor.conf:2')));
      assert.equal(read(root, 'etc/sysctl.d/99-zz-vendor.conf'), '# vendor default\nkernel.kptr_restrict = 2\n');
      assert.equal(loadSysctl(new RootFs(root), loader).get('kernel.kptr_restrict')?.value, '2');
    } finally {
      removeTree(root);
    }
  });

  test('later dash-prefixed sysctl line keeps its dash', () => {
    const root = makeTree({ ...BASE, '/etc/sysctl.d/99-zz-vendor.conf': '-kernel.kptr_restrict = 0\n' });
    try {
      planAndApply(root, ['sysctl.kernel.kptr_restrict'], 3);
      assert.equal(read(root, 'etc/sysctl.d/99-zz-vendor.conf'), '-kernel.kptr_restrict = 2\n');
    } finally {
      removeTree(root);
    }
  });

  test('existing install /bin/false is kept', () => {
    const root = makeTree({ ...BASE, '/lib/modules/6.1.0-test/modules.dep': '', '/etc/modprobe.d/local.conf': 'install cramfs /bin/false\n' });
    try {
      const plan = planAndApply(root, ['module.cramfs', 'module.udf'], 3);
      assert.equal(read(root, 'etc/modprobe.d/local.conf'), 'install cramfs /bin/false\n');
      const ours = read(root, 'etc/modprobe.d/kimigayo-harden.conf');
      assert.doesNotMatch(ours, /cramfs/);
      assert.match(ours, /^install udf \/bin\/true$/m);
      assert.deepEqual(plan.unresolved, []);
    } finally {
      removeTree(root);
    }
  });

  test('sysctl file linked to sysctl.conf', () => {
    const root = makeTree({
      ...BASE,
      '/etc/sysctl.conf': 'kernel.kptr_restrict=1\n',
      '/etc/sysctl.d/99-security.conf': { symlink: '../sysctl.conf' },
    });
    try {
      const plan = planAndApply(root, ['sysctl.kernel.kptr_restrict', 'sysctl.kernel.dmesg_restrict'], 3);
      assert.deepEqual(plan.files.map((file) => file.change.path), ['/etc/sysctl.d/99-security.conf'], 'one change for the two names of the file');
      assert.deepEqual(plan.unresolved, []);
      assert.equal(fs.readlinkSync(path.join(root, 'etc/sysctl.d/99-security.conf')), '../sysctl.conf', 'the link stays');
      assert.equal(read(root, 'etc/sysctl.conf'), 'kernel.kptr_restrict=2\nkernel.dmesg_restrict = 1\n');
    } finally {
      removeTree(root);
    }
  });

  test('drop-in directory that is a file', () => {
    const root = makeTree({
      ...BASE,
      '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n',
      '/etc/ssh/sshd_config.d': 'not a directory\n',
    });
    try {
      const target = openTarget({ root, container: 'no' });
      const plan = makePlan(target, { level: 1, only: ['ssh.passwordauthentication'] });
      assert.deepEqual(plan.files, []);
      assert.deepEqual(plan.manual.map((result) => result.control.id), ['ssh.passwordauthentication'], 'left to the operator');
      assert.ok(plan.notes.some((note) => note.message.en === 'cannot write /etc/ssh/sshd_config.d/00-kimigayo-harden.conf: /etc/ssh/sshd_config.d is not a directory; move that file away, create the directory and plan again'));
    } finally {
      removeTree(root);
    }
  });

  test('busybox loader with sysctl.d only', () => {
    const root = makeTree({
      '/etc/os-release': 'ID=kimigayo\nVERSION_ID=2.0.1\nPRETTY_NAME="Kimigayo OS 2.0.1"\n',
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/ash\n',
      '/etc/group': 'root:x:0:\n',
      '/bin/busybox': { content: '', mode: 0o755 },
      '/sbin/sysctl': { symlink: '/bin/busybox' },
      '/etc/init.d/sysctl': '#!/sbin/openrc-run\n',
      '/etc/runlevels/boot/sysctl': { symlink: '/etc/init.d/sysctl' },
      '/etc/sysctl.d/00-alpine.conf': 'net.ipv4.tcp_syncookies = 1\n',
    });
    try {
      const target = openTarget({ root, container: 'no' });
      assert.equal(detectSysctlLoader(target.fs).loader, 'openrc-busybox');
      const plan = planAndApply(root, ['sysctl.kernel.dmesg_restrict', 'sysctl.kernel.kptr_restrict'], 3);
      assert.deepEqual(plan.unresolved, []);
      assert.equal(fs.existsSync(path.join(root, 'etc/sysctl.conf')), false, 'no sysctl.conf is needed');
      assert.match(read(root, 'etc/sysctl.d/99-security.conf'), /^kernel\.dmesg_restrict = 1$/m);
      const model = loadSysctl(new RootFs(root), 'openrc-busybox');
      assert.equal(model.get('kernel.kptr_restrict')?.path, '/etc/sysctl.d/99-security.conf');
    } finally {
      removeTree(root);
    }
  });

  test('lockout guard refuses without an admin key login', () => {
    const root = makeTree({ ...BASE, '/home/admin/.ssh/authorized_keys': { remove: true }, '/etc/ssh/sshd_config': 'PasswordAuthentication yes\n' });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 1, only: ['ssh.passwordauthentication'] });
      assert.equal(plan.guards.length, 1);
      assert.match(plan.guards[0]?.message.en ?? '', /--allow-lockout/);
    } finally {
      removeTree(root);
    }
  });

  test('lockout guard: locked account without PAM', () => {
    const root = makeTree({
      ...BASE,
      '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\nadmin:!:19000:0:99999:7:::\n', mode: 0o600 },
      '/etc/ssh/sshd_config': 'UsePAM no\nPasswordAuthentication yes\n',
    });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 1, only: ['ssh.passwordauthentication'] });
      assert.equal(plan.guards.length, 1, '"!" locks key logins too when sshd has no PAM');
    } finally {
      removeTree(root);
    }
  });

  test('lockout guard passes with a doas admin', () => {
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': 'PasswordAuthentication yes\n' });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 1, only: ['ssh.passwordauthentication'] });
      assert.deepEqual(plan.guards, []);
    } finally {
      removeTree(root);
    }
  });

  test('kept module is waived and left alone', () => {
    const root = makeTree({ ...BASE, '/lib/modules/6.1.0-test/modules.dep': '' });
    try {
      const target = openTarget({ root, container: 'no' });
      const plan = makePlan(target, { level: 3, only: ['module.squashfs', 'module.cramfs'], profile: { keepModules: ['squashfs'] } });
      assert.deepEqual(plan.manual.map((result) => result.control.id), []);
      assert.equal(plan.before.results.find((result) => result.control.id === 'module.squashfs')?.status, 'waived');
      assert.deepEqual(plan.unresolved, []);
      const content = plan.files.find((file) => file.change.path === '/etc/modprobe.d/kimigayo-harden.conf')?.afterBytes?.toString('utf8') ?? '';
      assert.match(content, /^install cramfs \/bin\/true$/m);
      assert.doesNotMatch(content, /squashfs/);
    } finally {
      removeTree(root);
    }
  });

  test('lockout guard reads doas setenv', () => {
    const root = makeTree({
      ...BASE,
      '/etc/ssh/sshd_config': 'PasswordAuthentication yes\n',
      '/etc/doas.conf': '# admins\npermit persist setenv { PATH=/usr/sbin:/usr/bin LANG } :wheel\n',
    });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 1, only: ['ssh.passwordauthentication'] });
      assert.deepEqual(plan.guards, []);
    } finally {
      removeTree(root);
    }
  });

  test('file mode keeps the allowed group', () => {
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': { content: 'PermitRootLogin no\n', mode: 0o644 } });
    try {
      const plan = planAndApply(root, ['file./etc/ssh/sshd_config'], 1);
      assert.deepEqual(plan.unresolved, []);
      assert.equal(fs.statSync(path.join(root, 'etc/ssh/sshd_config')).mode & 0o777, 0o600);
    } finally {
      removeTree(root);
    }
  });

  test('second plan after apply has nothing to do', () => {
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': 'PermitRootLogin yes\n' });
    try {
      planAndApply(root, ['ssh.', 'sysctl.'], 2);
      const again = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: ['ssh.', 'sysctl.'] });
      assert.deepEqual(again.files, []);
    } finally {
      removeTree(root);
    }
  });
});

describe('plan with unreadable files', () => {
  test('binary sysctl file is named, the rest goes on', () => {
    const root = makeTree({ ...BASE, '/etc/ssh/sshd_config': 'PermitRootLogin yes\n', '/etc/sysctl.d/99-security.conf': 'kernel.kptr_restrict = 0\u0000\n' });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 3, only: ['sysctl.kernel.kptr_restrict', 'ssh.permitrootlogin'] });
      assert.ok(plan.notes.some((note) => /cannot change \/etc\/sysctl\.d\/99-security\.conf: .*NUL/.test(note.message.en)), JSON.stringify(plan.notes));
      assert.ok(plan.files.some((file) => file.change.path === '/etc/ssh/sshd_config'));
    } finally {
      removeTree(root);
    }
  });
});

describe('service remedies', () => {
  const OPENRC: FixtureSpec = {
    ...BASE,
    '/sbin/openrc': { content: '', mode: 0o755 },
    '/etc/runlevels/default/.keep': '',
    '/etc/init.d/auditd': '#!/sbin/openrc-run\n',
    '/sbin/auditd': { content: '', mode: 0o755 },
    '/etc/init.d/iptables': '#!/sbin/openrc-run\n',
    '/sbin/iptables': { content: '', mode: 0o755 },
    '/etc/init.d/telnetd': '#!/sbin/openrc-run\n',
    '/etc/runlevels/default/telnetd': { symlink: '/etc/init.d/telnetd' },
  };

  test('auditd enabled, telnetd removed, iptables left alone', () => {
    const root = makeTree(OPENRC);
    try {
      const plan = planAndApply(root, ['service.'], 2);
      assert.equal(fs.readlinkSync(path.join(root, 'etc/runlevels/default/auditd')), '/etc/init.d/auditd');
      assert.equal(fs.existsSync(path.join(root, 'etc/runlevels/default/telnetd')), false);
      assert.ok(fs.existsSync(path.join(root, 'etc/init.d/telnetd')), 'the init script stays');
      assert.equal(fs.existsSync(path.join(root, 'etc/runlevels/default/iptables')), false);
      assert.ok(plan.notes.some((note) => /no rule file to load/.test(note.message.en)));
      assert.ok(plan.manual.some((result) => result.control.id === 'service.iptables'), 'the firewall service is left to the operator');
      const shown = renderPlan(plan, 'en');
      assert.match(shown, /^ {2}link {4}\/etc\/runlevels\/default\/auditd {2}\[service\.auditd\]\n {10}- -> link to \/etc\/init\.d\/auditd$/m);
      assert.ok(!plan.unresolved.some((result) => result.control.id === 'service.iptables'));
    } finally {
      removeTree(root);
    }
  });
});

describe('set-id remedy', () => {
  test('shell-escape program loses its SUID bit, rollback restores it', () => {
    const root = makeTree({ ...BASE, '/usr/bin/vim.basic': { content: 'binary', mode: 0o4755 } });
    try {
      const before = fs.statSync(path.join(root, 'usr/bin/vim.basic')).mode & 0o7777;
      assert.equal(before, 0o4755);
      const target = openTarget({ root, container: 'no' });
      const plan = makePlan(target, { level: 1, only: ['files.scan.setid'] });
      assert.deepEqual(plan.unresolved, []);
      const result = applyFileChanges(root, plan.files.map((file) => file.change), 'test apply');
      assert.equal(fs.statSync(path.join(root, 'usr/bin/vim.basic')).mode & 0o7777, 0o755);
      assert.equal(runAudit(openTarget({ root, container: 'no' }), { level: 1, only: ['files.scan.setid'] }).results[0]?.status, 'pass');
      rollbackTransaction(root, result.id);
      assert.equal(fs.statSync(path.join(root, 'usr/bin/vim.basic')).mode & 0o7777, 0o4755);
    } finally {
      removeTree(root);
    }
  });
});

describe('firewall remedy', () => {
  const FIREWALL: FixtureSpec = {
    ...BASE,
    '/sbin/openrc': { content: '', mode: 0o755 },
    '/sbin/iptables': { content: '', mode: 0o755 },
    '/etc/init.d/iptables': '#!/sbin/openrc-run\n',
    '/etc/init.d/ip6tables': '#!/sbin/openrc-run\n',
    '/etc/conf.d/iptables': 'IPTABLES_SAVE="/etc/iptables/rules-save"\nSAVE_ON_STOP="no"\n',
    '/etc/conf.d/ip6tables': 'IP6TABLES_SAVE="/etc/iptables/rules6-save"\nSAVE_ON_STOP="no"\n',
    '/etc/runlevels/default/.keep': '',
    '/etc/ssh/sshd_config': 'Port 2222\nPasswordAuthentication no\nPermitRootLogin no\n',
  };

  test('rules installed, service enabled, sshd port allowed', () => {
    const root = makeTree(FIREWALL);
    try {
      const target = openTarget({ root, container: 'no' });
      const plan = makePlan(target, { level: 2, only: ['firewall.', 'service.iptables'], profile: { allowTcp: [443], allowUdp: [] } });
      assert.deepEqual(plan.guards, []);
      assert.deepEqual(plan.unresolved.map((result) => result.control.id), []);
      applyFileChanges(root, plan.files.map((file) => file.change), 'test apply');
      const rules = read(root, 'etc/iptables/rules-save');
      assert.match(rules, /--dport 2222/);
      assert.match(rules, /--dport 443/);
      assert.equal(fs.readlinkSync(path.join(root, 'etc/runlevels/default/iptables')), '/etc/init.d/iptables');
      const after = runAudit(openTarget({ root, container: 'no' }), { level: 2, only: ['firewall.ipv4.'], profile: { allowTcp: [443], allowUdp: [] } });
      assert.deepEqual(after.results.filter((result) => result.status === 'fail').map((result) => result.control.id), []);
    } finally {
      removeTree(root);
    }
  });

  test('profile ssh port that sshd does not use is refused', () => {
    const root = makeTree(FIREWALL);
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: ['firewall.'], profile: { sshPorts: [22], allowTcp: [], allowUdp: [] } });
      assert.equal(plan.guards[0]?.code, 'firewall-blocks-ssh');
      assert.match(plan.guards[0]?.message.en ?? '', /port 2222/);
    } finally {
      removeTree(root);
    }
  });

  test('existing rules kept without ports in the profile', () => {
    const root = makeTree({ ...FIREWALL, '/etc/iptables/rules-save': '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 5432 -j ACCEPT\nCOMMIT\n' });
    try {
      const plan = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: ['firewall.'] });
      assert.equal(plan.files.some((file) => file.change.path === '/etc/iptables/rules-save'), false);
      assert.ok(plan.notes.some((note) => /is kept: set allowTcp and allowUdp/.test(note.message.en)));
    } finally {
      removeTree(root);
    }
  });
});
