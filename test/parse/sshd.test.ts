import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  SSHD_KEYWORDS,
  canonicalKeyword,
  directives,
  parseSshd,
  quoteSshdArgument,
  serializeSshd,
  withArguments,
} from '../../src/parse/sshd.js';
import type { SshdDirective } from '../../src/parse/sshd.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus/sshd');

function only(source: string): SshdDirective {
  const found = directives(parseSshd(source, 'test'));
  assert.equal(found.length, 1);
  return found[0] as SshdDirective;
}

function codes(source: string): [string, number | undefined, number | undefined][] {
  return parseSshd(source, 'test').diagnostics.map((found) => [found.code, found.line, found.column]);
}

describe('parseSshd round trip', () => {
  const indent = fc.constantFrom('', ' ', '\t', '  \t');
  const keyword = fc.constantFrom('PermitRootLogin', 'permitrootlogin', 'PASSWORDAUTHENTICATION', 'Port', 'Include', 'Match', 'Bogus');
  const separator = fc.constantFrom(' ', '\t', '=', ' = ', '  ', '\t=\t');
  const word = fc.stringMatching(/^[A-Za-z0-9/._*-]{1,8}$/);
  const argument = fc.oneof(word, word.map((value) => `"${value} ${value}"`), word.map((value) => `'${value}'`), fc.constant('"unclosed'));
  const trailing = fc.constantFrom('', ' ', '\t', '  # note', ' #', '\f');
  const directiveLine = fc
    .tuple(indent, keyword, separator, fc.array(argument, { maxLength: 3 }), trailing)
    .map(([space, key, sep, args, tail]) => `${space}${key}${sep}${args.join(' ')}${tail}`);
  const otherLine = fc.constantFrom('', '   ', '# comment', '\t#Port 22', '#');
  const line = fc.oneof(directiveLine, otherLine);
  const eol = fc.constantFrom('\n', '\r\n');

  test('generated config is byte-identical', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(line, eol), { maxLength: 12 }), fc.boolean(), (lines, finalNewline) => {
        let source = lines.map(([text, ending]) => text + ending).join('');
        if (!finalNewline && source.endsWith('\n')) source = source.replace(/\r?\n$/, '');
        assert.equal(serializeSshd(parseSshd(source, 'generated')), source);
      }),
    );
  });

  test('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (source) => {
        assert.equal(serializeSshd(parseSshd(source, 'arbitrary')), source);
      }),
    );
  });

  test('corpus files are byte-identical', () => {
    const names = fs.readdirSync(corpusDir);
    assert.ok(names.length > 0);
    for (const name of names) {
      const source = fs.readFileSync(path.join(corpusDir, name), 'utf8');
      assert.equal(serializeSshd(parseSshd(source, name)), source, name);
    }
  });
});

describe('parseSshd corpus', () => {
  test('GrapheneOS template parses cleanly', () => {
    const source = fs.readFileSync(path.join(corpusDir, 'grapheneos-sshd_config'), 'utf8');
    const doc = parseSshd(source, 'grapheneos-sshd_config');
    assert.deepEqual(doc.diagnostics, []);

    const byKeyword = new Map(directives(doc).map((found) => [found.keyword, found]));
    assert.equal(byKeyword.get('include')?.args[0], '/etc/ssh/sshd_config.d/*.conf');
    // The {{ssh_users}} placeholder is an ordinary argument to the parser.
    assert.deepEqual(byKeyword.get('allowusers')?.args, ['{{ssh_users}}']);
    assert.equal(canonicalKeyword(byKeyword.get('pubkeyacceptedkeytypes')?.keyword ?? ''), 'pubkeyacceptedalgorithms');
    assert.deepEqual(byKeyword.get('macs')?.args, ['-*']);
    assert.deepEqual(byKeyword.get('logingracetime')?.args, ['5s']);
    // The Match example at the end is commented out, so nothing is inside a Match block.
    assert.equal(directives(doc).some((found) => found.matchLine !== undefined), false);
  });
});

describe('parseSshd tokens', () => {
  test('keyword is case-insensitive', () => {
    const found = only('pErMiTrOoTlOgIn no\n');
    assert.equal(found.keyword, 'permitrootlogin');
    assert.equal(found.rawKeyword, 'pErMiTrOoTlOgIn');
    assert.deepEqual(found.args, ['no']);
  });

  test('equals sign separates keyword', () => {
    for (const source of ['Port=2222', 'Port = 2222', 'Port\t=\t2222', 'Port 2222']) {
      const found = only(source);
      assert.equal(found.keyword, 'port', source);
      assert.deepEqual(found.args, ['2222'], source);
    }
  });

  test('second equals sign is an argument', () => {
    assert.deepEqual(only('Port==2222').args, ['=2222']);
    assert.deepEqual(only('Port = =2222').args, ['=2222']);
  });

  test('positions are 1-based columns', () => {
    const found = only('\t  PermitRootLogin   no\n');
    assert.equal(found.line, 1);
    assert.equal(found.keywordColumn, 4);
    assert.equal(found.argsColumn, 22);
    assert.equal(found.arguments[0]?.column, 22);
  });

  test('quotes are removed from arguments', () => {
    const found = only('AuthorizedKeysFile ".ssh/my keys" \'b c\' d\\ e "x\\"y"\n');
    assert.deepEqual(found.args, ['.ssh/my keys', 'b c', 'd e', 'x"y']);
    assert.equal(found.raw, 'AuthorizedKeysFile ".ssh/my keys" \'b c\' d\\ e "x\\"y"');
  });

  test('quoted keyword is read', () => {
    const found = only('"PermitRootLogin" no');
    assert.equal(found.keyword, 'permitrootlogin');
    assert.deepEqual(found.args, ['no']);
  });

  test('trailing comment is not an argument', () => {
    assert.deepEqual(only('PermitRootLogin no # keep it off\n').args, ['no']);
    assert.deepEqual(only('PermitRootLogin no #\n').args, ['no']);
  });

  test('hash inside an argument is kept', () => {
    assert.deepEqual(only('Banner /etc/is#sue\n').args, ['/etc/is#sue']);
    assert.deepEqual(only('Banner "/etc/a #b"\n').args, ['/etc/a #b']);
  });

  test('CRLF, tabs and trailing space', () => {
    const doc = parseSshd('Port 22 \t\r\nPasswordAuthentication\tno\f\r\n', 'crlf');
    const [port, password] = directives(doc);
    assert.deepEqual(port?.args, ['22']);
    assert.equal(port?.eol, '\r\n');
    assert.equal(port?.raw, 'Port 22 \t');
    assert.deepEqual(password?.args, ['no']);
    assert.deepEqual(doc.diagnostics, []);
  });

  test('comments and blank lines', () => {
    const doc = parseSshd('# a\n   #Port 22\n\n \t \nPort 22', 'other');
    assert.deepEqual(
      doc.lines.map((line) => line.kind),
      ['comment', 'comment', 'blank', 'blank', 'directive'],
    );
    assert.equal(doc.lines[4]?.eol, '');
  });

  test('Match block lasts to the next Match', () => {
    const source = 'PermitRootLogin no\nMatch Group sftp\n    ChrootDirectory /srv/%u\n\tForceCommand internal-sftp\nMatch all\nX11Forwarding no\n';
    const found = directives(parseSshd(source, 'match'));
    assert.deepEqual(
      found.map((directive) => [directive.keyword, directive.matchLine]),
      [
        ['permitrootlogin', undefined],
        ['match', undefined],
        ['chrootdirectory', 2],
        ['forcecommand', 2],
        ['match', 2],
        ['x11forwarding', 5],
      ],
    );
    assert.deepEqual(found[1]?.args, ['Group', 'sftp']);
  });
});

describe('parseSshd diagnostics', () => {
  test('unknown keyword', () => {
    assert.deepEqual(codes('Port 22\n  PermitRootLogn no\n'), [['sshd.unknown-keyword', 2, 3]]);
    const doc = parseSshd('PermitRootLogn no\n', 'typo');
    assert.equal(doc.diagnostics[0]?.value, 'PermitRootLogn');
    assert.equal(doc.diagnostics[0]?.severity, 'error');
  });

  test('aliases and deprecated keywords are known', () => {
    for (const keyword of ['PubkeyAcceptedKeyTypes', 'ChallengeResponseAuthentication', 'HostbasedAcceptedKeyTypes', 'KeepAlive']) {
      assert.deepEqual(codes(`${keyword} yes\n`), [], keyword);
    }
    assert.equal(canonicalKeyword('ChallengeResponseAuthentication'), 'kbdinteractiveauthentication');
    assert.equal(canonicalKeyword('PubkeyAcceptedKeyTypes'), 'pubkeyacceptedalgorithms');
    assert.equal(canonicalKeyword('PermitRootLogin'), 'permitrootlogin');
  });

  test('deprecated keyword is a warning', () => {
    const doc = parseSshd('UsePrivilegeSeparation sandbox\n', 'old');
    assert.deepEqual(codes('UsePrivilegeSeparation sandbox\n'), [['sshd.deprecated-keyword', 1, 1]]);
    assert.equal(doc.diagnostics[0]?.severity, 'warning');
  });

  test('missing argument', () => {
    assert.deepEqual(codes('PermitRootLogin\n'), [['sshd.missing-argument', 1, 16]]);
    assert.deepEqual(codes('PermitRootLogin   \n'), [['sshd.missing-argument', 1, 16]]);
    assert.deepEqual(codes('Port=\n'), [['sshd.missing-argument', 1, 6]]);
    assert.deepEqual(codes('PermitRootLogin # no\n'), [['sshd.missing-argument', 1, 17]]);
  });

  test('unclosed quote', () => {
    assert.deepEqual(codes('Banner "/etc/issue\n'), [['sshd.unclosed-quote', 1, 8]]);
    assert.deepEqual(codes("AllowUsers a 'b\n"), [['sshd.unclosed-quote', 1, 14]]);
    assert.deepEqual(codes('"PermitRootLogin no\n'), [
      ['sshd.unclosed-quote', 1, 1],
      ['sshd.unknown-keyword', 1, 1],
    ]);
  });
});

describe('withArguments', () => {
  test('only the value changes', () => {
    const found = only('  PermitRootLogin   yes   # was no\r\n');
    const changed = withArguments(found, ['no']);
    assert.equal(changed.raw, '  PermitRootLogin   no   # was no');
    assert.equal(changed.eol, '\r\n');
    assert.deepEqual(changed.args, ['no']);
  });

  test('keeps the equals separator', () => {
    assert.equal(withArguments(only('Port=22'), ['2222']).raw, 'Port=2222');
  });

  test('quotes values that need it', () => {
    const changed = withArguments(only('Banner /etc/issue'), ['/etc/my issue']);
    assert.equal(changed.raw, 'Banner "/etc/my issue"');
    assert.deepEqual(changed.args, ['/etc/my issue']);
    assert.equal(quoteSshdArgument('a"b'), '"a\\"b"');
    assert.equal(quoteSshdArgument(''), '""');
  });

  test('adds a value where there was none', () => {
    const changed = withArguments(only('PermitRootLogin # none yet'), ['no']);
    assert.equal(changed.raw, 'PermitRootLogin no # none yet');
    assert.deepEqual(changed.args, ['no']);
  });
});

/** Run the installed sshd in a private mount namespace, where /run/sshd can exist without touching the host. */
function runSshd(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = 'mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && exec /usr/sbin/sshd "$@"';
  const result = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

const sshdReason = ((): string | false => {
  if (!fs.existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd is not installed';
  if (runSshd(['-V']).status !== 0) return 'cannot run sshd in a private mount namespace (unshare -rm)';
  return false;
})();

describe('keyword table against the installed sshd', { skip: sshdReason }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshd-keywords-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hostKey = path.join(dir, 'host_key');
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  assert.equal(keygen.status, 0, 'ssh-keygen failed');
  const version = /OpenSSH_(\d+\.\d+)/.exec(runSshd(['-V']).stderr)?.[1] ?? '0';

  test('every keyword sshd -T prints is known', () => {
    const config = path.join(dir, 'empty');
    fs.writeFileSync(config, '');
    const result = runSshd(['-T', '-f', config, '-o', `HostKey=${hostKey}`]);
    assert.equal(result.status, 0, result.stderr);
    const printed = new Set(result.stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name !== ''));
    assert.ok(printed.size > 50);
    for (const name of printed) assert.ok(SSHD_KEYWORDS.has(name), `${name} is missing from SSHD_KEYWORDS`);
  });

  test('sshd knows every keyword of its version', () => {
    const config = path.join(dir, 'one');
    for (const info of SSHD_KEYWORDS.values()) {
      if (info.since !== undefined && Number(info.since) > Number(version)) continue;
      if (info.name === 'Match' || info.name === 'Include') continue;
      fs.writeFileSync(config, `${info.name} x\n`);
      const result = runSshd(['-t', '-f', config, '-o', `HostKey=${hostKey}`]);
      assert.doesNotMatch(result.stderr, /Bad configuration option/, info.name);
    }
  });

  test('sshd rejects an unknown keyword', () => {
    const config = path.join(dir, 'typo');
    fs.writeFileSync(config, 'PermitRootLogn no\n');
    const result = runSshd(['-t', '-f', config, '-o', `HostKey=${hostKey}`]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /line 1: Bad configuration option: PermitRootLogn/);
    assert.deepEqual(codes('PermitRootLogn no\n'), [['sshd.unknown-keyword', 1, 1]]);
  });

  test('global keyword scope matches sshd', () => {
    const config = path.join(dir, 'scope');
    for (const info of SSHD_KEYWORDS.values()) {
      if (info.since !== undefined && Number(info.since) > Number(version)) continue;
      // Subsystem became allowed inside Match after 9.4; Match and Include are not settings.
      if (['Match', 'Include', 'Subsystem'].includes(info.name)) continue;
      fs.writeFileSync(config, `Match User nobody\n${info.name} x\n`);
      const result = runSshd(['-t', '-f', config, '-o', `HostKey=${hostKey}`]);
      const rejected = /is not allowed within a Match block/.test(result.stderr);
      assert.equal(rejected, info.scope === 'global', `${info.name}: ${result.stderr}`);
    }
  });
});
