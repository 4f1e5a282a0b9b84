import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadModprobe, MODPROBE_DIRS } from '../../src/model/modprobe.js';
import { RootFs } from '../../src/target/rootfs.js';
import { ScratchTrees } from '../helpers/fixture.js';
import type { TextTree } from '../helpers/fixture.js';

const scratch = new ScratchTrees('kh-modprobe-');

after(() => scratch.removeAll());

function makeTree(files: TextTree): RootFs {
  return new RootFs(scratch.create(files));
}

describe('loadModprobe', () => {
  test('squashfs is not squash-fs', () => {
    const model = loadModprobe(makeTree({ 'etc/modprobe.d/hardening.conf': 'install squash-fs /bin/true\ninstall firewire-core /bin/false\n' }));
    assert.equal(model.installFor('squashfs'), undefined);
    assert.equal(model.isDisabled('squashfs').disabled, false);
    assert.equal(model.installFor('squash_fs')?.command, '/bin/true');
    assert.equal(model.isDisabled('firewire_core').disabled, true);
    assert.equal(model.isDisabled('firewire-core').install?.line, 2);
  });

  test('/etc overrides /lib by file name', () => {
    const model = loadModprobe(
      makeTree({
        'etc/modprobe.d/blacklist.conf': 'install cramfs /bin/true\n',
        'lib/modprobe.d/blacklist.conf': 'install cramfs /sbin/modprobe --ignore-install cramfs\n',
        'usr/lib/modprobe.d/blacklist.conf': 'blacklist cramfs\n',
      }),
    );
    const install = model.installFor('cramfs');
    assert.equal(install?.path, '/etc/modprobe.d/blacklist.conf');
    assert.equal(install?.command, '/bin/true');
    assert.deepEqual(install?.others, [
      { path: '/lib/modprobe.d/blacklist.conf', line: 1, module: 'cramfs', argument: '/sbin/modprobe --ignore-install cramfs', applied: false },
    ]);
    assert.equal(model.blacklisted('cramfs'), undefined);
    assert.deepEqual(
      model.files.map((file) => [file.path, file.status, file.loadIndex]),
      [
        ['/etc/modprobe.d/blacklist.conf', 'read', 0],
        ['/usr/lib/modprobe.d/blacklist.conf', 'shadowed', undefined],
        ['/lib/modprobe.d/blacklist.conf', 'shadowed', undefined],
      ],
    );
  });

  test('first install in name order wins', () => {
    const model = loadModprobe(
      makeTree({
        'etc/modprobe.d/zz-local.conf': 'install udf /bin/true\n',
        'lib/modprobe.d/10-vendor.conf': 'install udf /sbin/modprobe --ignore-install udf\n',
      }),
    );
    const install = model.installFor('udf');
    assert.equal(install?.path, '/lib/modprobe.d/10-vendor.conf');
    assert.equal(model.isDisabled('udf').disabled, false);
    assert.equal(install?.others[0]?.applied, true);
  });

  test('disabling commands with arguments', () => {
    const model = loadModprobe(
      makeTree({
        'etc/modprobe.d/a.conf': [
          'install dccp /bin/false -- disabled',
          'install sctp true',
          'install rds /usr/bin/true',
          'install tipc /bin/sh -c true',
          'install hfs /bin//true',
          '',
        ].join('\n'),
      }),
    );
    assert.equal(model.isDisabled('dccp').disabled, true);
    assert.equal(model.isDisabled('sctp').disabled, true);
    assert.equal(model.isDisabled('rds').disabled, true);
    assert.equal(model.isDisabled('tipc').disabled, false);
    assert.equal(model.isDisabled('hfs').disabled, true);
    assert.equal(model.isDisabled('jffs2').install, undefined);
  });

  test('blacklist evidence', () => {
    const model = loadModprobe(makeTree({ 'etc/modprobe.d/bl.conf': '# x\nblacklist thunderbolt\nblacklist bluetooth\n' }));
    assert.deepEqual(model.blacklisted('thunderbolt'), [
      { path: '/etc/modprobe.d/bl.conf', line: 2, module: 'thunderbolt', argument: '', applied: true },
    ]);
    assert.equal(model.blacklisted('thunder-bolt'), undefined);
  });

  test('masked and dotted files', () => {
    const model = loadModprobe(
      makeTree({
        'etc/modprobe.d/vendor.conf': '->/dev/null',
        'lib/modprobe.d/vendor.conf': 'install cramfs /bin/true\n',
        'etc/modprobe.d/.hidden.conf': 'install udf /bin/true\n',
        'etc/modprobe.d/notes.txt': 'install hfs /bin/true\n',
        'etc/modprobe.d/old.alias': 'install hfsplus /bin/true\n',
      }),
    );
    assert.equal(model.installFor('cramfs'), undefined);
    assert.equal(model.installFor('udf'), undefined);
    assert.equal(model.installFor('hfs'), undefined);
    assert.equal(model.installFor('hfsplus')?.path, '/etc/modprobe.d/old.alias');
    assert.equal(model.files.find((file) => file.path === '/etc/modprobe.d/vendor.conf')?.status, 'masked');
  });

  test('malformed lines give module hints', () => {
    const model = loadModprobe(makeTree({ 'etc/modprobe.d/h.conf': 'instal cramfs /bin/true\ninstall udf\n' }));
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.line, p.moduleHint]),
      [
        ['modprobe.unknown-command', 1, 'cramfs'],
        ['modprobe.missing-argument', 2, 'udf'],
      ],
    );
    assert.equal(model.problemsFor('cramfs').length, 1);
    assert.equal(model.problemsFor('sctp').length, 0);
  });

  test('binary file is a file problem', () => {
    const model = loadModprobe(makeTree({ 'etc/modprobe.d/bad.conf': 'install cramfs \u0000/bin/true\n' }));
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.moduleHint]),
      [['modprobe.file-binary', undefined]],
    );
    assert.equal(model.problemsFor('udf').length, 1);
  });

  test('glob install names', () => {
    const model = loadModprobe(makeTree({ 'etc/modprobe.d/g.conf': 'install snd-* /bin/false\n' }));
    assert.equal(model.isDisabled('snd_hda_intel').disabled, true);
    assert.deepEqual(
      model.commandsFor('install', 'snd-usb-audio').map((e) => e.module),
      ['snd-*'],
    );
  });
});

function showconfig(dirs: string[]): string[] {
  const args = dirs.flatMap((dir) => ['-C', dir]);
  const result = spawnSync('modprobe', [...args, '--showconfig'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => /^(install|blacklist) /.test(line));
}

const hasKmod = /kmod/.test(spawnSync('modprobe', ['--version'], { encoding: 'utf8' }).stdout ?? '');

describe('loadModprobe against kmod', { skip: !hasKmod && 'kmod modprobe not installed' }, () => {
  test('install and blacklist lines match --showconfig', () => {
    const target = makeTree({
      'etc/modprobe.d/hardening.conf': 'install squash-fs /bin/true\ninstall cramfs   /bin/false  \\\n  --now\nblacklist fire-wire\n',
      'etc/modprobe.d/local.conf': 'install udf /bin/echo \\\\\n',
      'lib/modprobe.d/local.conf': 'install udf /bin/true\n',
      'lib/modprobe.d/00-vendor.conf': 'install sctp /sbin/modprobe --ignore-install sctp\r\nblacklist dccp\n',
      'usr/lib/modprobe.d/50-x.conf': 'install tipc /bin/true\n# c\n',
      'run/modprobe.d/50-x.conf': 'install rds /bin/true\n',
    });
    const model = loadModprobe(target);
    const hostDirs = MODPROBE_DIRS.map((dir) => target.resolve(dir)).filter((dir) => fs.existsSync(dir));
    const expected = model.documents.flatMap((doc) => {
      const file = model.files.find((candidate) => candidate.path === doc.path);
      if (file?.status !== 'read') return [];
      return doc.lines.flatMap((line) =>
        line.kind === 'command' && (line.command === 'install' || line.command === 'blacklist')
          ? [`${line.command} ${line.module}${line.argument === '' ? '' : ` ${line.argument}`}`]
          : [],
      );
    });
    const actual = showconfig(hostDirs).map((line) => line.replace(/^(\S+ \S+)\s+/, '$1 '));
    assert.deepEqual(actual.filter((line) => line.startsWith('install')), expected.filter((line) => line.startsWith('install')));
    assert.deepEqual(
      actual.filter((line) => line.startsWith('blacklist')).sort(),
      expected.filter((line) => line.startsWith('blacklist')).sort(),
    );
    assert.equal(model.installFor('rds')?.path, '/run/modprobe.d/50-x.conf');
    assert.equal(model.installFor('tipc'), undefined);
  });
});
