import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SSHD_DEFAULTS, loadSshd } from '../../src/model/sshd.js';
import type { SshdModel } from '../../src/model/sshd.js';
import { RootFs } from '../../src/target/rootfs.js';
import { makeTree as makeFixtureTree, removeTree } from '../helpers/fixture.js';
import type { FixtureSpec } from '../helpers/fixture.js';
import { debianTree } from '../helpers/trees.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sshd-model-'));
const trees: string[] = [];
after(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const tree of trees) removeTree(tree);
});

function makeTree(spec: FixtureSpec): string {
  const root = makeFixtureTree(spec, 'kh-sshd-');
  trees.push(root);
  return root;
}

/** Create a target root with the given files and sshd installed (an empty stand-in for the binary). */
function makeTarget(files: FixtureSpec): RootFs {
  return new RootFs(makeTree({ 'usr/sbin/sshd': '', ...files }));
}

/** Load host files by absolute path, so that the model and the real sshd read the same files. */
function loadHost(configPath: string): SshdModel {
  return loadSshd(new RootFs('/'), { configPath, readServiceSettings: false });
}

/* ---------- the real sshd ---------- */

function runSshd(args: string[]): { status: number | null; stdout: string; stderr: string } {
  // A private mount namespace lets /run/sshd exist for sshd's check without touching the host.
  const script = 'mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && exec /usr/sbin/sshd "$@"';
  const result = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

const sshdReason = ((): string | false => {
  if (!fs.existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is not installed';
  if (runSshd(['-V']).status !== 0) return 'cannot run sshd in a private mount namespace (unshare -rm)';
  return false;
})();

let hostKey = '';
function sshdHostKey(): string {
  if (hostKey !== '') return hostKey;
  hostKey = path.join(scratch, 'host_key');
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  assert.equal(result.status, 0, 'ssh-keygen failed');
  return hostKey;
}

/** `sshd -T` as a map from keyword to every printed value; throws with sshd's message when it fails. */
function sshdT(configPath: string, extra: string[] = []): Map<string, string[]> {
  const result = runSshd(['-T', '-f', configPath, '-o', `HostKey=${sshdHostKey()}`, ...extra]);
  assert.equal(result.status, 0, result.stderr);
  const values = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const key = line.slice(0, space);
    values.set(key, [...(values.get(key) ?? []), line.slice(space + 1)]);
  }
  return values;
}

/** sshd -T prints the old name of prohibit-password. */
function normalize(value: string): string {
  return value === 'without-password' ? 'prohibit-password' : value;
}

function printed(values: Map<string, string[]>, keyword: string): string {
  return normalize((values.get(keyword) ?? []).join(' '));
}

/**
 * Compute the value for a connection of `user` from the model: the first Match override whose
 * block chain matches, else the global value. Only `User` and `all` criteria are evaluated here.
 */
function valueForUser(model: SshdModel, keyword: string, user: string): string {
  const matches = (criteria: string[]): boolean =>
    criteria[0]?.toLowerCase() === 'all' || (criteria[0]?.toLowerCase() === 'user' && criteria[1] === user);
  for (const override of model.matchOverrides(keyword)) {
    let block: (typeof override)['block'] | undefined = override.block;
    let all = true;
    while (block !== undefined) {
      all &&= matches(block.args);
      block = block.within;
    }
    if (all) return normalize(override.value.join(' '));
  }
  return normalize(model.global(keyword).value.join(' '));
}

describe('loadSshd against sshd -T', { skip: sshdReason }, () => {
  test('drop-in included first wins', () => {
    const dir = makeTree({
      'sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      'sshd_config.d/README': 'not a .conf file\n',
    });
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `Include ${dir}/sshd_config.d/*.conf\nPasswordAuthentication no\n`);

    const setting = loadHost(config).global('PasswordAuthentication');
    assert.deepEqual(setting.value, ['yes']);
    assert.equal(setting.path, `${dir}/sshd_config.d/50-cloud-init.conf`);
    assert.equal(setting.line, 1);
    assert.equal(setting.source, 'config');
    assert.deepEqual(setting.others, [{ path: config, line: 2, value: ['no'] }]);
    assert.equal(setting.known, true);
    assert.equal(printed(sshdT(config), 'passwordauthentication'), 'yes');
  });

  test('trailing Match Group block', () => {
    const dir = makeTree({
      sshd_config: 'PermitRootLogin no\nX11Forwarding no\n\nMatch Group sftp\n    ChrootDirectory /srv/%u\n\tX11Forwarding yes\n',
    });
    const config = path.join(dir, 'sshd_config');
    const model = loadHost(config);
    const sshd = sshdT(config);

    for (const keyword of ['chrootdirectory', 'x11forwarding', 'permitrootlogin']) {
      assert.equal(model.global(keyword).value.join(' '), printed(sshd, keyword), keyword);
    }
    assert.equal(model.global('chrootdirectory').source, 'default');
    assert.equal(model.matchBlocks.length, 1);
    assert.equal(model.matchBlocks[0]?.criteria, 'Group sftp');
    assert.equal(model.matchBlocks[0]?.line, 4);
    const overrides = model.matchOverrides('ChrootDirectory');
    assert.equal(overrides.length, 1);
    assert.deepEqual(overrides[0]?.value, ['/srv/%u']);
    assert.equal(overrides[0]?.line, 5);
    assert.deepEqual(model.problems, []);
  });

  test('Match Group applies to a member', () => {
    const dir = makeTree({ sshd_config: 'X11Forwarding no\nMatch Group root\n  ChrootDirectory /srv/%u\n  X11Forwarding yes\n' });
    const config = path.join(dir, 'sshd_config');
    const sshd = sshdT(config, ['-C', 'user=root,host=y,addr=198.18.0.1']);
    const model = loadHost(config);
    assert.equal(printed(sshd, 'chrootdirectory'), model.matchOverrides('chrootdirectory')[0]?.value.join(' '));
    assert.equal(printed(sshd, 'x11forwarding'), model.matchOverrides('x11forwarding')[0]?.value.join(' '));
  });

  test('mixed case and equals sign', () => {
    const dir = makeTree({
      sshd_config: 'pErMiTrOoTlOgIn=no\nPASSWORDAUTHENTICATION = no\nmaxauthtries\t=\t3\nPermitRootLogin yes\n',
    });
    const config = path.join(dir, 'sshd_config');
    const model = loadHost(config);
    const sshd = sshdT(config);
    for (const keyword of ['permitrootlogin', 'passwordauthentication', 'maxauthtries']) {
      assert.equal(model.global(keyword).value.join(' '), printed(sshd, keyword), keyword);
    }
    assert.equal(model.global('PermitRootLogin').line, 1);
    assert.deepEqual(model.global('permitrootlogin').others, [{ path: config, line: 4, value: ['yes'] }]);
  });

  test('alias sets the same keyword', () => {
    const dir = makeTree({ sshd_config: 'ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n' });
    const config = path.join(dir, 'sshd_config');
    const setting = loadHost(config).global('KbdInteractiveAuthentication');
    assert.deepEqual(setting.value, ['no']);
    assert.equal(setting.line, 1);
    assert.equal(printed(sshdT(config), 'kbdinteractiveauthentication'), 'no');
  });

  test('Match in an included file ends there', () => {
    const dir = makeTree({ 'd/10-match.conf': 'Match User bob\nPasswordAuthentication no\n' });
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `Include ${dir}/d/10-match.conf\nPasswordAuthentication yes\nX11Forwarding yes\n`);
    const model = loadHost(config);

    assert.deepEqual(model.global('PasswordAuthentication').value, ['yes']);
    assert.equal(model.global('PasswordAuthentication').line, 2);
    for (const user of ['bob', 'alice']) {
      const sshd = sshdT(config, ['-C', `user=${user},host=y,addr=198.18.0.1`]);
      for (const keyword of ['passwordauthentication', 'x11forwarding']) {
        assert.equal(valueForUser(model, keyword, user), printed(sshd, keyword), `${user} ${keyword}`);
      }
    }
  });

  test('Include inside Match joins the block', () => {
    const dir = makeTree({ 'd/20-in.conf': 'X11Forwarding yes\nMatch User alice\nPermitRootLogin yes\nMaxAuthTries 2\n' });
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `MaxAuthTries 4\nMatch User bob\nInclude ${dir}/d/20-in.conf\nPasswordAuthentication no\nMatch User alice\nMaxAuthTries 3\n`);
    const model = loadHost(config);

    const nested = model.matchBlocks.find((block) => block.path.endsWith('20-in.conf'));
    assert.equal(nested?.within?.criteria, 'User bob');
    for (const user of ['bob', 'alice', 'carol']) {
      const sshd = sshdT(config, ['-C', `user=${user},host=y,addr=198.18.0.1`]);
      for (const keyword of ['passwordauthentication', 'x11forwarding', 'permitrootlogin', 'maxauthtries']) {
        assert.equal(valueForUser(model, keyword, user), printed(sshd, keyword), `${user} ${keyword}`);
      }
    }
  });

  test('Match all applies without -C', () => {
    const dir = makeTree({ sshd_config: 'Match all\nPermitRootLogin yes\n' });
    const config = path.join(dir, 'sshd_config');
    const model = loadHost(config);
    assert.equal(model.matchBlocks[0]?.matchesAll, true);
    assert.equal(model.global('permitrootlogin').source, 'default');
    assert.equal(printed(sshdT(config), 'permitrootlogin'), valueForUser(model, 'permitrootlogin', 'anyone'));
  });

  test('several patterns and no match', () => {
    const dir = makeTree({
      'a/2-second.conf': 'MaxAuthTries 2\n',
      'a/10-first.conf': 'MaxAuthTries 10\nMaxSessions 10\n',
      'b/x.conf': 'MaxSessions 3\nPermitRootLogin no\n',
    });
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `Include ${dir}/missing/*.conf ${dir}/b/*.conf ${dir}/a/*.conf\n`);
    const model = loadHost(config);
    const sshd = sshdT(config);
    for (const keyword of ['maxauthtries', 'maxsessions', 'permitrootlogin']) {
      assert.equal(model.global(keyword).value.join(' '), printed(sshd, keyword), keyword);
    }
    // Byte order: "10-first.conf" sorts before "2-second.conf".
    assert.equal(model.global('maxauthtries').path, `${dir}/a/10-first.conf`);
    assert.deepEqual(model.problems, []);
  });

  test('directory matched by Include', () => {
    const dir = makeTree({ 'd/x.conf': { dir: true }, 'd/y.conf': 'PermitRootLogin no\n' });
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `Include ${dir}/d/*.conf\nPermitRootLogin yes\n`);
    const model = loadHost(config);
    assert.deepEqual(model.problems, []);
    assert.equal(model.global('permitrootlogin').value.join(' '), printed(sshdT(config), 'permitrootlogin'));
  });

  test('defaults match an empty config', () => {
    const dir = makeTree({ sshd_config: '' });
    const config = path.join(dir, 'sshd_config');
    const model = loadHost(config);
    const sshd = sshdT(config);
    for (const keyword of SSHD_DEFAULTS.keys()) {
      const setting = model.global(keyword);
      assert.equal(setting.source, 'default', keyword);
      if (keyword === 'listenaddress') {
        assert.deepEqual(sshd.get('listenaddress')?.sort(), ['0.0.0.0:22', '[::]:22']);
        continue;
      }
      // Debian builds sshd with PAM and prints its setting; OpenSSH's own default is no.
      if (keyword === 'usepam' && !sshd.has('usepam')) continue;
      assert.equal(setting.value.join(' '), printed(sshd, keyword), keyword);
    }
  });

  test('ports and listen addresses', () => {
    const dir = makeTree({
      sshd_config: 'Port 22\nPort 2222\nListenAddress 198.18.0.1:2022\nListenAddress [2001:2::1]\nListenAddress 198.18.0.2\n',
    });
    const config = path.join(dir, 'sshd_config');
    const ports = loadHost(config).ports();
    assert.equal(ports.known, true);
    const model = ports.listen.map((entry) => (entry.address?.includes(':') ? `[${entry.address}]:${entry.port}` : `${entry.address}:${entry.port}`));
    assert.deepEqual(model.sort(), sshdT(config).get('listenaddress')?.sort());
    assert.equal(ports.listen.find((entry) => entry.port === 2022)?.line, 3);
  });

  test('include depth limit', () => {
    const dir = makeTree({});
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `PermitRootLogin no\nInclude ${config}\n`);
    const model = loadHost(config);
    assert.ok(model.problems.some((found) => found.code === 'sshd.include-too-deep'));
    assert.deepEqual(model.global('permitrootlogin').value, ['no']);
    assert.equal(model.global('permitrootlogin').known, true);
    assert.equal(model.global('passwordauthentication').known, false);

    const result = runSshd(['-t', '-f', config, '-o', `HostKey=${sshdHostKey()}`]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /Too many recursive configuration includes/);
  });

  test('global keyword inside Match', () => {
    const dir = makeTree({ sshd_config: 'Match User bob\n  Port 2222\n' });
    const config = path.join(dir, 'sshd_config');
    const found = loadHost(config).problems.find((candidate) => candidate.code === 'sshd.global-keyword-in-match');
    assert.equal(found?.line, 2);
    assert.match(runSshd(['-t', '-f', config, '-o', `HostKey=${sshdHostKey()}`]).stderr, /not allowed within a Match block/);
  });

  test('service -o override like sshd', () => {
    const root = makeTree({
      'usr/sbin/sshd': '',
      'etc/conf.d/sshd': '# options\ncommand_args="-o PermitRootLogin=yes"\n',
      'etc/ssh/sshd_config': 'PermitRootLogin no\n',
    });
    const model = loadSshd(new RootFs(root));
    const setting = model.global('permitrootlogin');
    assert.deepEqual(setting.value, ['yes']);
    assert.equal(setting.source, 'command-line');
    assert.equal(setting.path, '/etc/conf.d/sshd');
    assert.equal(setting.line, 2);
    assert.deepEqual(setting.others, [{ path: '/etc/ssh/sshd_config', line: 1, value: ['no'] }]);
    assert.deepEqual(model.commandLine, [{ option: '-o', value: 'PermitRootLogin=yes', path: '/etc/conf.d/sshd', line: 2, variable: 'command_args' }]);

    const sshd = sshdT(path.join(root, 'etc/ssh/sshd_config'), ['-o', 'PermitRootLogin=yes']);
    assert.equal(printed(sshd, 'permitrootlogin'), 'yes');
  });
});

describe('loadSshd service settings', () => {
  test('cfgfile moves the config', () => {
    const fs1 = makeTarget({
      'etc/conf.d/sshd': 'cfgfile="/etc/ssh/hardened_config"\n',
      'etc/ssh/sshd_config': 'PermitRootLogin yes\n',
      'etc/ssh/hardened_config': 'PermitRootLogin no\n',
    });
    const model = loadSshd(fs1);
    assert.equal(model.configPath, '/etc/ssh/hardened_config');
    assert.deepEqual(model.global('permitrootlogin').value, ['no']);
    assert.equal(model.global('permitrootlogin').path, '/etc/ssh/hardened_config');
    assert.deepEqual(model.commandLine, [{ option: '-f', value: '/etc/ssh/hardened_config', path: '/etc/conf.d/sshd', line: 1, variable: 'cfgfile' }]);
  });

  test('cfgfile wins over -f in command_args', () => {
    const model = loadSshd(
      makeTarget({
        'etc/conf.d/sshd': 'command_args="-f /etc/ssh/a -oMaxAuthTries=2"\ncfgfile=/etc/ssh/b\n',
        'etc/ssh/a': 'MaxAuthTries 5\n',
        'etc/ssh/b': 'MaxAuthTries 4\n',
      }),
    );
    assert.equal(model.configPath, '/etc/ssh/b');
    assert.deepEqual(model.global('maxauthtries').value, ['2']);
    assert.equal(model.global('maxauthtries').source, 'command-line');
  });

  test('older SSHD_CONFDIR and SSHD_OPTS', () => {
    const model = loadSshd(
      makeTarget({
        'etc/conf.d/sshd': 'SSHD_CONFDIR="/etc/ssh2"\nSSHD_OPTS="-o \'PasswordAuthentication no\'"\n',
        'etc/ssh2/sshd_config': 'PasswordAuthentication yes\n',
      }),
    );
    assert.equal(model.configPath, '/etc/ssh2/sshd_config');
    const setting = model.global('passwordauthentication');
    assert.deepEqual(setting.value, ['no']);
    assert.equal(setting.source, 'command-line');
    assert.equal(setting.line, 2);
    assert.equal(model.commandLine.find((option) => option.option === '-f')?.variable, 'SSHD_CONFDIR');
  });

  test('command_args replaces SSHD_OPTS', () => {
    const model = loadSshd(
      makeTarget({
        'etc/conf.d/sshd': 'SSHD_OPTS="-o PermitRootLogin=yes"\ncommand_args="-o PermitRootLogin=no"\n',
        'etc/ssh/sshd_config': '',
      }),
    );
    assert.deepEqual(model.global('permitrootlogin').value, ['no']);
    assert.equal(model.commandLine.length, 1);
  });

  test('commented Alpine conf.d changes nothing', () => {
    const confd = fs.readFileSync(path.join(corpusDir, 'openrc/alpine-sshd.confd'), 'utf8');
    const model = loadSshd(makeTarget({ 'etc/conf.d/sshd': confd, 'etc/ssh/sshd_config': 'Port 22\n' }));
    assert.equal(model.configPath, '/etc/ssh/sshd_config');
    assert.deepEqual(model.commandLine, []);
    assert.deepEqual(model.problems, []);
  });

  test('Debian SSHD_OPTS with -p', () => {
    const model = loadSshd(
      makeTarget({
        'etc/default/ssh': '# Default settings for openssh-server.\nSSHD_OPTS="-p 2222 -o PasswordAuthentication=no"\n',
        'etc/ssh/sshd_config': 'Port 22\nPasswordAuthentication yes\n',
      }),
    );
    assert.deepEqual(model.global('passwordauthentication').value, ['no']);
    // -p makes sshd ignore the Port lines of the config file.
    assert.deepEqual(model.global('port').value, ['2222']);
    assert.deepEqual(
      model.ports().listen.map((entry) => [entry.port, entry.path, entry.line, entry.source]),
      [[2222, '/etc/default/ssh', 2, 'command-line']],
    );
  });

  test('shell expansion makes values unknown', () => {
    const model = loadSshd(
      makeTarget({ 'etc/conf.d/sshd': 'cfgfile="${SSHD_DIR}/sshd_config"\n', 'etc/ssh/sshd_config': 'PermitRootLogin no\n' }),
    );
    assert.equal(model.global('permitrootlogin').known, false);
    assert.equal(model.problems[0]?.code, 'sshd.service-expansion');
    assert.equal(model.problems[0]?.line, 1);
  });

  test('Include and Match rejected in -o', () => {
    const model = loadSshd(
      makeTarget({ 'etc/conf.d/sshd': 'command_args="-o Include=/tmp/x"\n', 'etc/ssh/sshd_config': '' }),
    );
    assert.equal(model.problems[0]?.code, 'sshd.bad-command-line-option');
  });
});

describe('loadSshd files', () => {
  test('relative Include is under /etc/ssh', () => {
    const model = loadSshd(
      makeTarget({
        'etc/ssh/sshd_config': 'Include sshd_config.d/*.conf other.conf\nPermitRootLogin yes\n',
        'etc/ssh/sshd_config.d/10-root.conf': 'PermitRootLogin no\n',
        'etc/ssh/sshd_config.d/.hidden.conf': 'PasswordAuthentication yes\n',
        'etc/ssh/other.conf': 'PasswordAuthentication no\n',
      }),
    );
    assert.equal(model.global('permitrootlogin').path, '/etc/ssh/sshd_config.d/10-root.conf');
    assert.equal(model.global('passwordauthentication').path, '/etc/ssh/other.conf');
    assert.deepEqual(
      model.documents.map((doc) => doc.path),
      ['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-root.conf', '/etc/ssh/other.conf'],
    );
  });

  test('unreadable include hides later values', () => {
    const model = loadSshd(
      makeTarget({
        'etc/ssh/sshd_config': 'PermitRootLogin no\nInclude /etc/ssh/bad.conf\nPasswordAuthentication no\n',
        'etc/ssh/bad.conf': 'PasswordAuthentication\0yes\n',
      }),
    );
    assert.equal(model.global('permitrootlogin').known, true);
    const hidden = model.global('passwordauthentication');
    assert.equal(hidden.known, false);
    assert.equal(hidden.problem?.code, 'file.binary');
    assert.equal(hidden.problem?.path, '/etc/ssh/bad.conf');
    assert.equal(model.ports().known, false);
  });

  test('unclosed quote hides only its keyword', () => {
    const model = loadSshd(makeTarget({ 'etc/ssh/sshd_config': 'PermitRootLogin "no\nPasswordAuthentication no\n' }));
    const broken = model.global('permitrootlogin');
    assert.equal(broken.known, false);
    assert.equal(broken.problem?.code, 'sshd.unclosed-quote');
    assert.equal(broken.problem?.line, 1);
    assert.equal(model.global('passwordauthentication').known, true);
  });

  test('unknown keyword is a problem only', () => {
    const model = loadSshd(makeTarget({ 'etc/ssh/sshd_config': 'PermitRootLogn no\n' }));
    assert.deepEqual(
      model.problems.map((found) => [found.code, found.line, found.column]),
      [['sshd.unknown-keyword', 1, 1]],
    );
    assert.equal(model.global('permitrootlogin').source, 'default');
  });

  test('deprecated keyword is a warning', () => {
    const model = loadSshd(makeTarget({ 'etc/ssh/sshd_config': 'UsePrivilegeSeparation sandbox\n' }));
    assert.deepEqual(model.problems, []);
    assert.equal(model.warnings[0]?.code, 'sshd.deprecated-keyword');
  });

  test('invalid port is a problem', () => {
    const model = loadSshd(makeTarget({ 'etc/ssh/sshd_config': 'Port 22\nPort 70000\n' }));
    assert.equal(model.problems[0]?.code, 'sshd.invalid-port');
    assert.equal(model.problems[0]?.line, 2);
    assert.equal(model.ports().known, false);
  });

  test('missing config with sshd installed', () => {
    const model = loadSshd(makeTarget({}));
    assert.equal(model.present, true);
    assert.equal(model.problems[0]?.code, 'sshd.config-missing');
    assert.equal(model.global('permitrootlogin').known, false);
  });

  test('absent when neither binary nor config', () => {
    const model = loadSshd(new RootFs(makeTree({ etc: { dir: true } })));
    assert.equal(model.present, false);
    assert.match(model.reasonAbsent?.en ?? '', /not installed/);
    assert.notEqual(model.reasonAbsent?.ja, undefined);
  });

  test('config alone means present', () => {
    const model = loadSshd(new RootFs(makeTree({ 'etc/ssh/sshd_config': 'PermitRootLogin no\n' })));
    assert.equal(model.present, true);
    assert.deepEqual(model.global('permitrootlogin').value, ['no']);
  });

  test('GrapheneOS template', () => {
    const template = fs.readFileSync(path.join(corpusDir, 'sshd/grapheneos-sshd_config'), 'utf8');
    const model = loadSshd(
      makeTarget({
        'etc/ssh/sshd_config': template,
        'etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      }),
    );
    assert.deepEqual(model.problems, []);
    // The drop-in comes first through the Include on line 2.
    assert.deepEqual(model.global('passwordauthentication').value, ['yes']);
    assert.deepEqual(model.global('passwordauthentication').others.map((found) => found.path), ['/etc/ssh/sshd_config']);
    assert.deepEqual(model.global('permitrootlogin').value, ['prohibit-password']);
    assert.equal(model.global('permitrootlogin').source, 'default');
    assert.deepEqual(model.global('maxauthtries').value, ['1']);
    assert.deepEqual(model.global('kbdinteractiveauthentication').value, ['no']);
    assert.deepEqual(model.global('usepam').value, ['yes']);
    assert.deepEqual(model.global('PubkeyAcceptedAlgorithms').value, ['ssh-ed25519']);
    assert.deepEqual(model.global('allowusers').value, ['{{ssh_users}}']);
    assert.deepEqual(model.global('subsystem').value, ['sftp', '/usr/lib/ssh/sftp-server']);
    assert.deepEqual(model.matchBlocks, []);
    assert.deepEqual(model.ports().listen.map((entry) => entry.port), [22]);
  });
});

const debianReason = ((): string | false => {
  if (sshdReason !== false) return sshdReason;
  try {
    debianTree();
    return false;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();

describe('loadSshd on the Debian test tree', { skip: debianReason }, () => {
  test('matches sshd -T in a chroot', () => {
    const tree = debianTree();
    // The tree's sshd reads the tree's own /etc/ssh, including its Include, from inside a chroot.
    const script = 'mount -t tmpfs tmpfs "$1/run" && mkdir -p "$1/run/sshd" && exec chroot "$1" /usr/sbin/sshd -T';
    const result = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', tree], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const sshd = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space !== -1 && !sshd.has(line.slice(0, space))) sshd.set(line.slice(0, space), line.slice(space + 1));
    }

    const model = loadSshd(new RootFs(tree));
    assert.equal(model.present, true);
    assert.deepEqual(model.problems, []);
    for (const keyword of ['permitrootlogin', 'passwordauthentication', 'kbdinteractiveauthentication', 'usepam', 'x11forwarding', 'printmotd', 'pubkeyauthentication', 'maxauthtries']) {
      assert.equal(model.global(keyword).value.join(' '), normalize(sshd.get(keyword) ?? ''), keyword);
    }
  });
});
