import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { displayWidth } from '../../src/core/text.js';
import { prepareChanges, Transaction } from '../../src/txn/index.js';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { runCli as run } from '../helpers/cli.js';

function tree(): string {
  return makeTree({
    '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    '/etc/group': 'root:x:0:\n',
    '/usr/sbin/sshd': { content: '', mode: 0o755 },
    '/etc/ssh/sshd_config': { content: 'PasswordAuthentication yes\n', mode: 0o600 },
  });
}

describe('plan, apply and rollback commands', () => {
  test('plan exits 1 with pending changes and writes nothing', async () => {
    const root = tree();
    try {
      const result = await run(['plan', '--root', root, '--level', '1', '--container', 'no']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /\+PasswordAuthentication no/);
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');
      assert.equal(fs.existsSync(path.join(root, 'var/lib/kimigayo-harden')), false);
    } finally {
      removeTree(root);
    }
  });

  test('plan shows the CR of every CRLF line', async () => {
    const root = tree();
    try {
      fs.writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'Port 22\r\nPasswordAuthentication yes\r\n');
      const result = await run(['plan', '--root', root, '--level', '1', '--container', 'no']);
      assert.match(result.stdout, /^ {4}-PasswordAuthentication yes\\x0d$/m);
      assert.match(result.stdout, /^ {4}\+PasswordAuthentication no\\x0d$/m);
      assert.match(result.stdout, /^ {4}\+PermitRootLogin no\\x0d$/m, 'the added last line ends in CRLF too');
    } finally {
      removeTree(root);
    }
  });

  test('plan json lists files and guards', async () => {
    const root = tree();
    try {
      const result = await run(['plan', '--root', root, '--level', '1', '--container', 'no', '--format', 'json']);
      const plan = JSON.parse(result.stdout) as { schemaVersion: string; files: Array<{ path: string; action: string; diff: string }>; guards: Array<{ override: string }> };
      assert.equal(plan.schemaVersion, '1.0');
      const sshd = plan.files.find((file) => file.path === '/etc/ssh/sshd_config');
      assert.equal(sshd?.action, 'modify');
      assert.equal(plan.guards[0]?.override, '--allow-lockout');
    } finally {
      removeTree(root);
    }
  });

  test('apply refuses a lockout and names the flag', async () => {
    const root = tree();
    try {
      const result = await run(['apply', '--root', root, '--level', '1', '--container', 'no']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /refused: .*--allow-lockout/);
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');
    } finally {
      removeTree(root);
    }
  });

  test('apply with override, then rollback list and restore', async () => {
    const root = tree();
    try {
      const applied = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      assert.match(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), /PasswordAuthentication no/);
      const listed = await run(['rollback', '--root', root, '--list']);
      assert.match(listed.stdout, /committed\s+apply --level 1/);
      const rolled = await run(['rollback', '--root', root]);
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');
      const again = await run(['rollback', '--root', root]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /no transaction to roll back/);
    } finally {
      removeTree(root);
    }
  });

  test('second rollback keeps the older apply', async () => {
    const root = tree();
    try {
      const first = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      const older = /transaction (\S+) \(/.exec(first.stdout)?.[1] ?? '';
      fs.writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PermitRootLogin yes\n', { mode: 0o600 });
      const second = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      const newer = /transaction (\S+) \(/.exec(second.stdout)?.[1] ?? '';
      assert.notEqual(older, newer);

      const undone = await run(['rollback', '--root', root]);
      assert.equal(undone.code, 0, undone.stderr);
      const again = await run(['rollback', '--root', root]);
      assert.equal(again.code, 2);
      assert.ok(again.stderr.includes(`the latest transaction ${newer} is already rolled back; to undo the one before it too, run "kimigayo-harden rollback ${older} --root ${root}"`), again.stderr);
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PermitRootLogin yes\n', 'the older apply stays');

      const named = await run(['rollback', older, '--root', root, '--force']);
      assert.equal(named.code, 0, named.stderr);
    } finally {
      removeTree(root);
    }
  });

  test('interrupted transaction hints name --root', async () => {
    const root = tree();
    try {
      const first = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      // begin() records the manifest in state "applying" and writes nothing, as a killed apply leaves it.
      const id = Transaction.begin(root, 'apply --level 1', prepareChanges(root, [{ path: '/etc/motd', content: 'hi\n' }])).id;
      const hint = `kimigayo-harden rollback ${id} --root ${root}`;
      const planned = await run(['plan', '--root', root, '--level', '1', '--container', 'no']);
      assert.ok(planned.stdout.includes(`run ${hint} to restore`), planned.stdout);
      assert.match(planned.stdout, /File changes \(0\)/);
      assert.equal(planned.code, 1, 'the interrupted transaction is pending work');
      const applied = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      assert.equal(applied.code, 2);
      assert.ok(applied.stderr.includes(`"${hint}"`), applied.stderr);
    } finally {
      removeTree(root);
    }
  });

  test('rollback after an edit names --force and --root', async () => {
    const root = tree();
    try {
      const applied = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      const id = /transaction (\S+) \(/.exec(applied.stdout)?.[1] ?? '';
      assert.ok(applied.stdout.includes(`To undo: kimigayo-harden rollback ${id} --root ${root}\n`), applied.stdout);
      fs.appendFileSync(path.join(root, 'etc/ssh/sshd_config'), 'Port 2222\n');
      const refused = await run(['rollback', '--root', root]);
      assert.equal(refused.code, 2);
      assert.ok(refused.stderr.includes(`"kimigayo-harden rollback ${id} --force --root ${root}"`), refused.stderr);

      const edited = fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8');
      const forced = await run(['rollback', id, '--force', '--root', root]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');
      const copy = /the later edit of \/etc\/ssh\/sshd_config is saved in (\S+)/.exec(forced.stdout)?.[1] ?? '';
      assert.match(copy, new RegExp(`^/var/lib/kimigayo-harden/transactions/${id}/replaced/\\d+$`), forced.stdout);
      assert.equal(fs.readFileSync(path.join(root, copy), 'utf8'), edited);
    } finally {
      removeTree(root);
    }
  });

  test('lock held by a live process, then left stale', async () => {
    const root = tree();
    // A sleeping child plays a second kimigayo-harden that has the lock.
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const lock = path.join(root, 'var/lib/kimigayo-harden/lock');
      fs.mkdirSync(path.dirname(lock), { recursive: true });
      fs.writeFileSync(lock, `${holder.pid}\n`);
      for (const argv of [['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout'], ['rollback', '--root', root]]) {
        const refused = await run(argv);
        assert.equal(refused.code, 2, argv[0]);
        assert.match(refused.stderr, new RegExp(`another kimigayo-harden \\(pid ${holder.pid}\\) is changing this target`));
      }
      assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');

      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill();
      await exited;
      const applied = await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      assert.equal(applied.code, 0, 'a lock whose process is gone is taken over');
      assert.equal(fs.existsSync(lock), false, 'the lock is released afterwards');
    } finally {
      holder.kill();
      removeTree(root);
    }
  });

  test('Japanese rollback list', async () => {
    const root = tree();
    try {
      const empty = await run(['rollback', '--root', root, '--list', '--lang', 'ja']);
      assert.equal(empty.stdout, 'トランザクションはありません\n');
      await run(['apply', '--root', root, '--level', '1', '--container', 'no', '--allow-lockout']);
      const listed = await run(['rollback', '--root', root, '--list', '--lang', 'ja']);
      assert.match(listed.stdout, /^\d{8}T\d{6}Z-[0-9a-f]{6} {2}適用済み {5}apply --level 1\(1 ファイル\)\n$/);
    } finally {
      removeTree(root);
    }
  });

  test('Japanese action labels keep the path column', async () => {
    const root = tree();
    try {
      const english = await run(['plan', '--root', root, '--level', '1', '--container', 'no']);
      const japanese = await run(['plan', '--root', root, '--level', '1', '--container', 'no', '--lang', 'ja']);
      const column = (output: string): number => {
        const line = output.split('\n').find((item) => item.includes(' /etc/ssh/sshd_config  ')) ?? '';
        return displayWidth(line.slice(0, line.indexOf('/etc/')));
      };
      assert.equal(column(english.stdout), 10);
      assert.equal(column(japanese.stdout), 10);
    } finally {
      removeTree(root);
    }
  });

  test('Japanese plan and errors', async () => {
    const root = tree();
    try {
      const result = await run(['plan', '--root', root, '--level', '1', '--container', 'no'], { LANG: 'ja_JP.UTF-8' });
      assert.match(result.stdout, /ファイルの変更/);
      const missing = await run(['plan', '--root', root], { LANG: 'ja_JP.UTF-8' });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--level/);
      const bad = await run(['rollback', 'nope', '--root', root, '--lang', 'ja']);
      assert.match(bad.stderr, /トランザクション ID ではありません/);
    } finally {
      removeTree(root);
    }
  });
});
