import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { wrapJapanese } from '../../src/cli/common.js';
import { displayWidth } from '../../src/core/text.js';
import { HARDENED_TREE, WEAK_TREE, makeTree, removeTree } from '../helpers/fixture.js';
import { runCli as run } from '../helpers/cli.js';

describe('cli', () => {
  let hardened = '';
  let weak = '';
  before(() => {
    hardened = makeTree(HARDENED_TREE);
    weak = makeTree(WEAK_TREE);
  });
  after(() => {
    removeTree(hardened);
    removeTree(weak);
  });

  test('root that does not exist exits 2 with advice', async () => {
    const result = await run(['audit', '--root', '/nonexistent/kh']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--root \/nonexistent\/kh: no such directory/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
  });

  test('root that is a file exits 2', async () => {
    const result = await run(['audit', '--root', '/etc/hostname']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a directory/);
  });

  test('bad level exits 2', async () => {
    assert.equal((await run(['audit', '--level', '4', '--root', hardened])).code, 2);
  });

  test('unknown option exits 2', async () => {
    assert.equal((await run(['audit', '--bogus'])).code, 2);
  });

  test('level 1 on the hardened tree exits 0', async () => {
    const result = await run(['audit', '--root', hardened, '--level', '1', '--container', 'no', '--only', 'ssh', '--only', 'file']);
    assert.equal(result.code, 0, result.stdout);
  });

  test('failing control exits 1', async () => {
    assert.equal((await run(['audit', '--root', weak, '--level', '1'])).code, 1);
  });

  test('LANG=ja_JP.UTF-8 gives Japanese', async () => {
    const result = await run(['audit', '--root', weak, '--level', '1'], { LANG: 'ja_JP.UTF-8' });
    assert.match(result.stdout, /不合格/);
    assert.match(result.stdout, /スコア/);
  });

  test('Japanese expected and actual values', async () => {
    const result = await run(['audit', '--root', weak, '--level', '2', '--lang', 'ja']);
    for (const phrase of ['or stricter', 'no entry', 'not enabled', 'mounted with', 'a rule file']) {
      assert.doesNotMatch(result.stdout, new RegExp(phrase), phrase);
    }
    assert.match(result.stdout, /期待値: 0644 以下、所有者 root/);
  });

  test('LC_ALL wins over LANG and --lang wins over both', async () => {
    assert.match((await run(['audit', '--root', weak], { LANG: 'ja_JP.UTF-8', LC_ALL: 'C' })).stdout, /passed/);
    assert.match((await run(['audit', '--root', weak, '--lang', 'ja'], { LC_ALL: 'C' })).stdout, /合格/);
  });

  test('Japanese usage error', async () => {
    const result = await run(['audit', '--root', '/nonexistent/kh', '--lang', 'ja']);
    assert.match(result.stderr, /ディレクトリはありません/);
  });

  test('no colour without a TTY', async () => {
    assert.doesNotMatch((await run(['audit', '--root', weak])).stdout, /\u001b\[/);
  });

  test('json output has the documented shape', async () => {
    const result = await run(['audit', '--root', weak, '--format', 'json', '--level', '2']);
    const report = JSON.parse(result.stdout) as Record<string, any>;
    assert.equal(report.schemaVersion, '1.1');
    assert.equal(report.tool.name, 'kimigayo-harden');
    assert.equal(report.target.mode, 'offline');
    assert.equal(report.level, 2);
    for (const key of ['pass', 'fail', 'notApplicable', 'error', 'score']) assert.equal(typeof report.summary[key], 'number');
    const telnet = report.results.find((item: { id: string }) => item.id === 'service.telnet');
    assert.equal(telnet.status, 'fail');
    assert.ok(telnet.evidence.some((item: { path: string }) => item.path === '/etc/runlevels/default/telnetd'));
  });

  test('bad profile names file, line and column', async () => {
    const dir = makeTree({ '/profile.yml': 'ipv6: false\nallowTcp: [80, 99999]\n' });
    try {
      const result = await run(['audit', '--root', weak, '--profile', `${dir}/profile.yml`]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /profile\.yml:2:\d+: 99999 is not a port number/);
    } finally {
      removeTree(dir);
    }
  });

  test('Japanese option errors', async () => {
    const result = await run(['audit', '--bogus', '--lang', 'ja']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /不明なオプション '--bogus'/);
    assert.doesNotMatch(result.stderr, /^error:/m);
  });

  test('Japanese help headings', async () => {
    const result = await run(['audit', '--help'], { LANG: 'ja_JP.UTF-8' });
    assert.match(result.stdout, /^使い方:/m);
    assert.match(result.stdout, /^オプション:/m);
    assert.match(result.stdout, /既定値: 1/);
  });

  test('Japanese help fits 80 columns', async () => {
    for (const command of ['audit', 'plan', 'apply', 'rollback']) {
      const result = await run([command, '--help', '--lang', 'ja']);
      for (const line of result.stdout.split('\n')) {
        assert.ok(displayWidth(line) <= 80, `${command}: ${displayWidth(line)} columns: ${line}`);
        assert.doesNotMatch(line, /^\s*[、。)]/, `${command}: a line starts with a closing mark`);
      }
    }
  });

  test('wrapJapanese breaks between characters', () => {
    assert.equal(wrapJapanese('あいうえお、かきくけこ', 12), 'あいうえお、\nかきくけこ');
    assert.equal(wrapJapanese('あいうえお、かきくけこ', 10), 'あいうえ\nお、かきく\nけこ', 'the comma stays with the character before it');
    assert.equal(wrapJapanese('rootfs やイメージ', 10), 'rootfs や\nイメージ');
    assert.equal(wrapJapanese('a b\n\nc', 10), 'a b\n\nc');
  });

  test('help is available in Japanese', async () => {
    const result = await run(['audit', '--help', '--lang', 'ja']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /強化レベル/);
  });
});
