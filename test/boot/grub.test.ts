import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { extlinuxMasterPassword, extlinuxPassword } from '../../src/boot/extlinux.js';
import { managedHash, mergeCustomBlock, planGrubInstall, setUnrestricted } from '../../src/boot/grub.js';
import { lintGrub } from '../../src/boot/lint.js';
import { grubPbkdf2, verifyGrubPbkdf2 } from '../../src/boot/pbkdf2.js';
import { rollbackTransaction } from '../../src/txn/index.js';
import { ScratchTrees } from '../helpers/fixture.js';
import { copyTree, debianTree, kimigayoTree, removeTree } from '../helpers/trees.js';
import { runCli as run } from '../helpers/cli.js';

const copies: string[] = [];
const scratch = new ScratchTrees(`kh-grub-${process.pid}-`);
after(() => {
  for (const copy of copies) removeTree(copy);
  scratch.removeAll();
});

function passwordFile(password: string): string {
  const dir = scratch.create({ pw: `${password}\n` });
  return path.join(dir, 'pw');
}

/**
 * A stand-in for grub-probe, which needs the block device of the root file system: a copied
 * tree has none. It prints a fixed ext2 partition; everything else grub-mkconfig runs (its
 * scripts in /etc/grub.d and /usr/share/grub) is the Debian package's own.
 */
const GRUB_PROBE_STANDIN = `#!/bin/sh
target=device
for arg in "$@"; do
  case "$arg" in --target=*) target=\${arg#--target=} ;; esac
done
case "$target" in
  device) echo /dev/vda1 ;;
  fs) echo ext2 ;;
  fs_uuid) echo 0a1b2c3d-0000-4000-8000-000000000001 ;;
  partmap) echo msdos ;;
  abstraction) ;;
  drive) echo '(hostdisk//dev/vda,msdos1)' ;;
  compatibility_hint) echo hd0,msdos1 ;;
  *) exit 1 ;;
esac
`;

/** Copy the Debian tree and install GRUB to boot it: /boot/grub, a kernel and the grub-probe stand-in. */
function debianWithGrub(): string {
  const root = copyTree(debianTree());
  copies.push(root);
  fs.mkdirSync(path.join(root, 'boot/grub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'boot/vmlinuz-6.1.0-kh'), '');
  fs.writeFileSync(path.join(root, 'boot/initrd.img-6.1.0-kh'), '');
  fs.writeFileSync(path.join(root, 'usr/sbin/grub-probe'), GRUB_PROBE_STANDIN, { mode: 0o755 });
  return root;
}

async function bootStatuses(root: string): Promise<Record<string, string>> {
  const result = await run(['audit', '--root', root, '--level', '3', '--container', 'no', '--only', 'boot.', '--only', 'file./boot', '--format', 'json']);
  const report = JSON.parse(result.stdout) as { results: { id: string; status: string }[] };
  return Object.fromEntries(report.results.map((item) => [item.id, item.status]));
}

const noBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0 ? undefined : 'bwrap cannot create a sandbox here';

describe('generate grub-password --install on Debian', { skip: noBwrap }, () => {
  test('40_custom, unrestricted entries, grub.cfg 600, audit passes', async () => {
    const root = debianWithGrub();
    const before = await bootStatuses(root);
    assert.equal(before['boot.grub.password.40_custom'], 'fail');

    const result = await run(['generate', 'grub-password', '--install', '--root', root, '--iterations', '1000', '--password-file', passwordFile('boot pw')]);
    assert.equal(result.code, 0, result.stderr);

    const custom = fs.readFileSync(path.join(root, 'etc/grub.d/40_custom'), 'utf8');
    assert.match(custom, /^#!\/bin\/sh\nexec tail -n \+3 \$0\n/);
    const hash = managedHash(custom, 'admin');
    assert.ok(hash !== undefined);
    assert.ok(verifyGrubPbkdf2('boot pw', hash));
    assert.equal(fs.statSync(path.join(root, 'etc/grub.d/40_custom')).mode & 0o777, 0o700);

    const cfgPath = path.join(root, 'boot/grub/grub.cfg');
    const cfg = fs.readFileSync(cfgPath, 'utf8');
    assert.equal(fs.statSync(cfgPath).mode & 0o777, 0o600);
    assert.match(cfg, /^set superusers="admin"$/m);
    assert.ok(cfg.includes(`password_pbkdf2 admin ${hash}`));
    const entries = cfg.split('\n').filter((line) => /^\s*menuentry /.test(line));
    assert.ok(entries.length >= 2, cfg);
    for (const entry of entries) assert.match(entry, /--unrestricted/);

    const statuses = await bootStatuses(root);
    assert.equal(statuses['boot.grub.password.40_custom'], 'pass');
    assert.equal(statuses['boot.grub.password.grub-cfg'], 'pass');

    const check = spawnSync('grub-script-check', [cfgPath], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const linted = await run(['lint', cfgPath, path.join(root, 'etc/grub.d/40_custom'), '--format', 'json']);
    const report = JSON.parse(linted.stdout) as { files: { type: string; findings: { code: string }[] }[] };
    assert.deepEqual(report.files.map((file) => file.type), ['grub', 'grub']);
    assert.deepEqual(report.files.flatMap((file) => file.findings.map((finding) => finding.code)), ['grub.low-iterations', 'grub.low-iterations']);

    const again = await run(['generate', 'grub-password', '--install', '--root', root, '--iterations', '1000', '--password-file', passwordFile('boot pw')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already installed/);

    const id = /transaction (\S+):/.exec(result.stdout)?.[1];
    assert.ok(id);
    rollbackTransaction(root, id);
    assert.equal(fs.existsSync(cfgPath), false);
    assert.doesNotMatch(fs.readFileSync(path.join(root, 'etc/grub.d/40_custom'), 'utf8'), /password_pbkdf2/);
    assert.doesNotMatch(fs.readFileSync(path.join(root, 'etc/grub.d/10_linux'), 'utf8'), /--unrestricted/);
  });

  test('profile grubUnrestricted false: every entry asks', async () => {
    const root = debianWithGrub();
    const profile = path.join(scratch.create({ 'profile.yaml': 'grubUnrestricted: false\n' }), 'profile.yaml');
    const result = await run(['generate', 'grub-password', '--install', '--root', root, '--iterations', '1000', '--profile', profile, '--password-file', passwordFile('pw')]);
    assert.equal(result.code, 0, result.stderr);
    const cfg = fs.readFileSync(path.join(root, 'boot/grub/grub.cfg'), 'utf8');
    assert.doesNotMatch(cfg, /--unrestricted/);
    assert.match(cfg, /^password_pbkdf2 admin grub\.pbkdf2\.sha512\.1000\./m);
  });

  test('new password makes a stale grub.cfg fail', async () => {
    const root = debianWithGrub();
    await run(['generate', 'grub-password', '--install', '--root', root, '--iterations', '1000', '--password-file', passwordFile('first')]);
    const custom = path.join(root, 'etc/grub.d/40_custom');
    fs.writeFileSync(custom, mergeCustomBlock(fs.readFileSync(custom, 'utf8'), 'admin', grubPbkdf2('second', 1000)));
    const statuses = await bootStatuses(root);
    assert.equal(statuses['boot.grub.password.40_custom'], 'pass');
    assert.equal(statuses['boot.grub.password.grub-cfg'], 'fail');
  });

  test('grub-mkconfig failure exits 1 and names the fix', async () => {
    const root = debianWithGrub();
    fs.writeFileSync(path.join(root, 'usr/sbin/grub-probe'), '#!/bin/sh\necho "grub-probe: error: no such device" >&2\nexit 1\n', { mode: 0o755 });
    const result = await run(['generate', 'grub-password', '--install', '--root', root, '--iterations', '1000', '--password-file', passwordFile('pw')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /grub-mkconfig failed \(.*no such device.*\).*run "grub-mkconfig -o \/boot\/grub\/grub.cfg"/);
    assert.match(fs.readFileSync(path.join(root, 'etc/grub.d/40_custom'), 'utf8'), /password_pbkdf2 admin/);
  });
});

describe('generate grub-password input errors', () => {
  test('empty password exits 2', async () => {
    const result = await run(['generate', 'grub-password', '--password-file', passwordFile('')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /password is empty/);
  });

  test('missing password file exits 2', async () => {
    const result = await run(['generate', 'grub-password', '--password-file', '/nonexistent/kh-pw']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--password-file \/nonexistent\/kh-pw: cannot read the file/);
  });

  test('user with a space exits 2', async () => {
    assert.equal((await run(['generate', 'grub-password', '--user', 'a b', '--password-file', passwordFile('pw')])).code, 2);
  });

  test('too few iterations exits 2', async () => {
    assert.equal((await run(['generate', 'grub-password', '--iterations', '10', '--password-file', passwordFile('pw')])).code, 2);
  });

  test('Kimigayo without boot loader exits 2', async () => {
    const result = await run(['generate', 'grub-password', '--install', '--root', kimigayoTree(), '--password-file', passwordFile('pw')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no boot loader configuration/);
  });

  test('prints both lines without --install', async () => {
    const result = await run(['generate', 'grub-password', '--user', 'root_admin', '--iterations', '1000', '--password-file', passwordFile('pw')]);
    const [users, password] = result.stdout.trim().split('\n');
    assert.equal(users, 'set superusers="root_admin"');
    assert.match(password ?? '', /^password_pbkdf2 root_admin grub\.pbkdf2\.sha512\.1000\.[0-9A-F]{128}\.[0-9A-F]{128}$/);
  });
});

describe('extlinux password', () => {
  /** Make a tree with the settings of Alpine's update-extlinux.conf that matter here, and an extlinux.conf as update-extlinux writes it. */
  function alpineExtlinuxTree(): string {
    return scratch.create({
      'etc/hostname': 'alpine\n',
      'etc/update-extlinux.conf': "overwrite=1\ndefault_kernel_opts=quiet\n# optional password\npassword=''\ndisable_trigger=1\n",
      'boot/extlinux.conf': 'DEFAULT menu.c32\nPROMPT 0\nLABEL lts\n  LINUX vmlinuz-lts\n  APPEND root=/dev/vda3 quiet\n\nMENU SEPARATOR\n',
    });
  }

  test('install sets both files and the audit passes', async () => {
    const root = alpineExtlinuxTree();
    const result = await run(['generate', 'grub-password', '--install', '--root', root, '--password-file', passwordFile('boot pw')]);
    assert.equal(result.code, 0, result.stderr);
    const conf = fs.readFileSync(path.join(root, 'etc/update-extlinux.conf'), 'utf8');
    const password = extlinuxPassword(conf);
    assert.match(password?.value ?? '', /^\$6\$/);
    assert.equal(password?.line, 4);
    assert.equal(fs.statSync(path.join(root, 'etc/update-extlinux.conf')).mode & 0o777, 0o600);
    const extlinux = fs.readFileSync(path.join(root, 'boot/extlinux.conf'), 'utf8');
    assert.equal(extlinuxMasterPassword(extlinux)?.value, password?.value);
    assert.match(extlinux, /NOESCAPE 1\nMENU MASTER PASSWD \S+\n\nMENU SEPARATOR\n$/);

    const statuses = await bootStatuses(root);
    assert.equal(statuses['boot.grub.password.40_custom'], 'pass');
    assert.equal(statuses['boot.grub.password.grub-cfg'], 'pass');

    const again = await run(['generate', 'grub-password', '--install', '--root', root, '--password-file', passwordFile('boot pw')]);
    assert.match(again.stdout, /already installed/);
  });

  test('clear-text password fails the audit', async () => {
    const root = alpineExtlinuxTree();
    fs.writeFileSync(path.join(root, 'etc/update-extlinux.conf'), "password='hunter2'\n");
    const statuses = await bootStatuses(root);
    assert.equal(statuses['boot.grub.password.40_custom'], 'fail');
  });
});

describe('grub.d edits', () => {
  test('unrestricted added once and removed', () => {
    const script = 'x=1\nCLASS="--class gnu-linux --class gnu --class os"\nCLASS="--class foo ${CLASS}"\n';
    const added = setUnrestricted(script, true);
    assert.equal(added.found, true);
    assert.match(added.content, /^CLASS="--class gnu-linux --class gnu --class os --unrestricted"$/m);
    assert.equal(setUnrestricted(added.content, true).content, added.content);
    assert.equal(setUnrestricted(added.content, false).content, script);
  });

  test('custom block replaced, not repeated', () => {
    const first = mergeCustomBlock('#!/bin/sh\nexec tail -n +3 $0\nmenuentry "x" {\n}\n', 'admin', 'grub.pbkdf2.sha512.1000.AA.BB');
    const second = mergeCustomBlock(first, 'admin', 'grub.pbkdf2.sha512.1000.CC.DD');
    assert.equal(second.match(/password_pbkdf2/g)?.length, 1);
    assert.match(second, /menuentry "x" \{\n\}\n### BEGIN/);
    assert.equal(managedHash(second, 'admin'), 'grub.pbkdf2.sha512.1000.CC.DD');
  });

  test('no /boot/grub: no grub.cfg planned', () => {
    const root = scratch.create({ 'etc/grub.d/40_custom': '#!/bin/sh\nexec tail -n +3 $0\n' });
    const plan = planGrubInstall(root, { user: 'admin', password: 'pw', hash: grubPbkdf2('pw', 1000), unrestricted: true });
    assert.deepEqual(plan.changes.map((change) => change.path), ['/etc/grub.d/40_custom']);
    assert.match(plan.notes.map((note) => note.en).join('\n'), /no \/boot\/grub directory/);
  });
});

describe('GRUB linter', () => {
  const hash = grubPbkdf2('pw');
  const header = '#!/bin/sh\nexec tail -n +3 $0\n';

  test('generated block is clean', () => {
    assert.deepEqual(lintGrub(mergeCustomBlock(undefined, 'admin', hash), '40_custom'), []);
  });

  const bad: [string, string, string][] = [
    ['missing tail header', `#!/bin/sh\nset superusers="admin"\npassword_pbkdf2 admin ${hash}\n`, 'grub.custom-header'],
    ['clear-text password', `${header}set superusers="admin"\npassword admin hunter2\n`, 'grub.clear-text-password'],
    ['malformed hash', `${header}set superusers="admin"\npassword_pbkdf2 admin grub.pbkdf2.sha512.10000.ABC\n`, 'grub.malformed-pbkdf2'],
    ['low iterations', `${header}set superusers="admin"\npassword_pbkdf2 admin ${grubPbkdf2('pw', 1000)}\n`, 'grub.low-iterations'],
    ['superuser without password', `${header}set superusers="admin,root"\npassword_pbkdf2 admin ${hash}\n`, 'grub.superuser-without-password'],
    ['password without superusers', `${header}password_pbkdf2 admin ${hash}\n`, 'grub.no-superusers'],
    ['empty superusers', `${header}set superusers=""\n`, 'grub.empty-superusers'],
    ['no unrestricted entry', `set superusers="admin"\npassword_pbkdf2 admin ${hash}\nmenuentry 'Linux' --class os {\n}\n`, 'grub.every-boot-asks'],
  ];
  for (const [name, content, code] of bad) {
    test(`reports ${name}`, () => {
      const codes = lintGrub(content, 'f').map((finding) => finding.code);
      assert.ok(codes.includes(code), JSON.stringify(codes));
    });
  }

  test('superusers list split like GRUB', () => {
    const content = `set superusers="admin;ops"\npassword_pbkdf2 admin ${hash}\npassword_pbkdf2 ops ${hash}\n`;
    assert.deepEqual(lintGrub(content, 'f'), []);
  });

  const missingScriptCheck = spawnSync('grub-script-check', ['--help']).error === undefined ? undefined : 'grub-script-check not found';

  test('grub-script-check accepts the block', { skip: missingScriptCheck }, () => {
    const block = mergeCustomBlock(undefined, 'admin', hash).split('\n').slice(2).join('\n');
    const check = spawnSync('grub-script-check', [], { input: block, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });
});

describe('boot audit and the 40_custom header', () => {
  test('password without the tail header fails', async () => {
    const hash = grubPbkdf2('pw');
    const root = scratch.create({
      'etc/grub.d/40_custom': `#!/bin/sh\nset superusers="admin"\npassword_pbkdf2 admin ${hash}\n`,
      'boot/grub/grub.cfg': `set superusers="admin"\npassword_pbkdf2 admin ${hash}\n`,
    });
    const statuses = await bootStatuses(root);
    assert.equal(statuses['boot.grub.password.40_custom'], 'fail');
    assert.equal(statuses['boot.grub.password.grub-cfg'], 'pass');
  });
});
