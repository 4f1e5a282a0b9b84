import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { DOCKER_CONTROLS } from '../../src/catalog/services.js';
import { judgeDaemonValue, mergeGuideSettings, parseDaemonJson } from '../../src/docker/daemonJson.js';
import { flagConflicts, readDockerdCommandLine } from '../../src/docker/dockerdFlags.js';
import { DAEMON_KEYS, DOCKERD_BOOLEAN_OPTIONS, DOCKERD_SHORT_OPTIONS, DOCKERD_VALUE_OPTIONS } from '../../src/docker/dockerdOptions.js';
import { daemonJsonLinter } from '../../src/docker/linters.js';
import { RootFs } from '../../src/target/rootfs.js';
import { ScratchTrees } from '../helpers/fixture.js';
import { dockerIoFile } from '../helpers/docker.js';

const FLY = fs.readFileSync('../shared/corpus/docker/fly-daemon.json', 'utf8');

function lint(content: string, root?: string) {
  return daemonJsonLinter.lint({ path: 'daemon.json', content, options: root === undefined ? {} : { root } });
}

/** Return whether a parsed daemon.json meets every guide key of the catalog. */
function meetsGuide(config: Record<string, unknown>): boolean {
  return DOCKER_CONTROLS.every((control) => control.check.kind !== 'docker-daemon' || judgeDaemonValue(config[control.check.key], control.check.expected).ok);
}

describe('daemon.json parsing and lint', () => {
  test('corpus file: keys, lines and the open TCP port', () => {
    const daemon = parseDaemonJson(FLY, 'fly.json');
    assert.deepEqual(daemon.findings, []);
    assert.equal(daemon.keys.length, 15);
    assert.deepEqual(daemon.keys.find((key) => key.key === 'hosts'), { key: 'hosts', value: ['unix:///var/run/docker.sock', 'tcp://[::]:2375'], line: 18, column: 5 });
    const findings = lint(FLY);
    const tcp = findings.find((finding) => finding.code === 'daemon-json.tcp-without-tls');
    assert.equal(tcp?.line, 18);
    assert.equal(tcp?.severity, 'error');
    assert.ok(!findings.some((finding) => finding.code === 'daemon-json.unknown-key'), 'every key is a dockerd 20.10 option');
    assert.equal(findings.filter((finding) => finding.code.startsWith('daemon-json.') && finding.severity === 'warning').length, 8, 'the eight guide keys are missing');
  });

  test('comments and trailing commas are errors with position', () => {
    const commented = lint('{\n  // no comments in JSON\n  "icc": false\n}\n');
    assert.equal(commented[0]?.code, 'daemon-json.syntax');
    assert.deepEqual([commented[0]?.line, commented[0]?.column], [2, 3]);
    const trailing = lint('{\n  "icc": false,\n}\n');
    assert.equal(trailing[0]?.code, 'daemon-json.syntax');
    assert.equal(trailing[0]?.line, 3);
    assert.equal(lint('[1, 2]')[0]?.code, 'daemon-json.not-an-object');
  });

  test('byte order mark is a warning and the rest is read', () => {
    const findings = lint('\uFEFF{"icc": true}');
    assert.deepEqual(findings[0] && [findings[0].code, findings[0].line, findings[0].column], ['daemon-json.byte-order-mark', 1, 1]);
    const icc = findings.find((finding) => finding.code === 'daemon-json.icc');
    assert.deepEqual([icc?.line, icc?.column], [1, 3]);
  });

  test('duplicate and unknown keys', () => {
    const findings = lint('{\n  "icc": true,\n  "icc": false,\n  "userns_remap": "default",\n  "label": ["a=b"],\n  "fancy-new-option": 1\n}\n');
    const byCode = (code: string) => findings.filter((finding) => finding.code === code);
    assert.deepEqual(byCode('daemon-json.duplicate-key').map((finding) => finding.line), [3]);
    const unknown = byCode('daemon-json.unknown-key');
    assert.deepEqual(unknown.map((finding) => finding.value), ['userns_remap', 'label', 'fancy-new-option']);
    assert.match(unknown[0]!.message.en, /did you mean "userns-remap"/);
    assert.match(unknown[1]!.message.en, /did you mean "labels"/);
    // The last "icc" (false) is the one dockerd uses, so the guide's icc rule is met.
    assert.equal(byCode('daemon-json.icc').length, 0);
  });

  test('TLS without verification is still open', () => {
    const finding = lint('{"hosts": ["tcp://0.0.0.0:2376"], "tls": true}').find((item) => item.code === 'daemon-json.tcp-without-tls');
    assert.match(finding?.message.en ?? '', /without "tlsverify"/);
    assert.ok(!lint('{"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true}').some((item) => item.code === 'daemon-json.tcp-without-tls'));
    assert.ok(!lint('{"hosts": ["unix:///run/docker.sock", "fd://"]}').some((item) => item.code === 'daemon-json.tcp-without-tls'));
  });

  test('detects daemon.json but not seccomp profiles', () => {
    assert.ok(daemonJsonLinter.detect(FLY, 'x.json') >= 0.8);
    assert.equal(daemonJsonLinter.detect('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}', 'daemon.json'), 0);
    assert.equal(daemonJsonLinter.detect('{"name": "pkg", "version": "1"}', 'package.json'), 0);
  });
});

describe('daemon.json merge', () => {
  test('keeps every corpus byte and adds the guide keys after them', () => {
    const { content, decisions } = mergeGuideSettings(FLY);
    const original = FLY.slice(0, FLY.lastIndexOf('\n'));
    assert.ok(content.startsWith(original.slice(0, original.lastIndexOf('"tls": false'))), 'text before the insertion point is unchanged');
    const merged = JSON.parse(content) as Record<string, unknown>;
    const before = JSON.parse(FLY) as Record<string, unknown>;
    assert.deepEqual(Object.keys(merged).slice(0, Object.keys(before).length), Object.keys(before));
    for (const [key, value] of Object.entries(before)) assert.deepEqual(merged[key], value, key);
    assert.ok(meetsGuide(merged));
    assert.ok(decisions.every((decision) => decision.action === 'set'));
    assert.match(content, /\n {4}"icc": false,\n/, 'four-space indentation as in the file');
    assert.ok(!content.endsWith('\n'), 'no final newline, as in the file');
  });

  test('keeps other log options and tab indentation', () => {
    const source = '{\r\n\t"log-driver": "json-file",\r\n\t"log-opts": {\r\n\t\t"labels": "app",\r\n\t\t"max-size": "50m"\r\n\t}\r\n}\r\n';
    const { content } = mergeGuideSettings(source);
    const opts = (JSON.parse(content) as { 'log-opts': Record<string, string> })['log-opts'];
    assert.deepEqual(opts, { labels: 'app', 'max-size': '50m', 'max-file': '3' });
    assert.ok(!/[^\r]\n/.test(content), 'CRLF line endings kept');
    assert.match(content, /\r\n\t"icc": false/);
  });

  test('new file and skipped keys', () => {
    const skip = new Map([['icc', { en: 'set as a flag', ja: 'フラグで設定済み' }]]);
    const { content, decisions } = mergeGuideSettings(undefined, { skip });
    const merged = JSON.parse(content) as Record<string, unknown>;
    assert.equal(merged.icc, undefined);
    assert.deepEqual(decisions.find((decision) => decision.key === 'icc')?.action, 'skipped');
    assert.ok(content.endsWith('}\n'));
  });

  test('an unusable seccomp profile is replaced, a usable one kept', () => {
    const keptProfile = mergeGuideSettings('{"seccomp-profile": "/etc/docker/custom.json"}', { seccompUsable: () => true });
    assert.equal((JSON.parse(keptProfile.content) as Record<string, unknown>)['seccomp-profile'], '/etc/docker/custom.json');
    const replaced = mergeGuideSettings('{"seccomp-profile": "/missing.json"}', { seccompUsable: () => false });
    assert.equal((JSON.parse(replaced.content) as Record<string, unknown>)['seccomp-profile'], '/etc/docker/seccomp.json');
  });

  test('merge keeps keys, order and values of any object, and is idempotent', () => {
    const key = fc.oneof(fc.constantFrom('icc', 'log-opts', 'hosts', 'userns-remap', 'debug', 'live-restore'), fc.string({ minLength: 1, maxLength: 8 }));
    const value = fc.jsonValue({ maxDepth: 2 });
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 8 }), fc.constantFrom(0, 2, 4), (object, indent) => {
        const source = JSON.stringify(object, null, indent);
        // Compare with what the source text contains (JSON has no -0, for one).
        const parsed = JSON.parse(source) as Record<string, unknown>;
        const once = mergeGuideSettings(source).content;
        const merged = JSON.parse(once) as Record<string, unknown>;
        assert.ok(meetsGuide(merged));
        const keptKeys = Object.keys(object).filter((name) => !['icc', 'userns-remap', 'no-new-privileges', 'seccomp-profile', 'live-restore', 'userland-proxy', 'log-driver', 'log-opts'].includes(name));
        assert.deepEqual(Object.keys(merged).filter((name) => keptKeys.includes(name)), keptKeys);
        for (const name of keptKeys) assert.deepEqual(merged[name], parsed[name]);
        assert.equal(mergeGuideSettings(once).content, once);
      }),
      { numRuns: 200 },
    );
  });
});

describe('dockerd flags', () => {
  const trees = new ScratchTrees(`kh-dockerd-${process.pid}-`);
  after(() => trees.removeAll());

  test('OpenRC DOCKER_OPTS conflicts with daemon.json', () => {
    const root = trees.create({ '/etc/conf.d/docker': '# OpenRC\nDOCKER_OPTS="--icc=false -H unix:///run/docker.sock --log-opt max-size=1m"\n' });
    const commandLine = readDockerdCommandLine(new RootFs(root));
    assert.deepEqual(
      commandLine.flags.map((flag) => [flag.name, flag.key, flag.value, flag.line]),
      [
        ['icc', 'icc', 'false', 2],
        ['host', 'hosts', 'unix:///run/docker.sock', 2],
        ['log-opt', 'log-opts', 'max-size=1m', 2],
      ],
    );
    const daemon = parseDaemonJson('{\n  "icc": false,\n  "log-opts": {"max-file": "3"},\n  "debug": true\n}\n', '/etc/docker/daemon.json');
    assert.deepEqual(
      flagConflicts(daemon, commandLine).map((finding) => [finding.line, finding.value]),
      [
        [2, 'icc'],
        [3, 'log-opts'],
      ],
    );
  });

  test("Debian's docker.service with -H fd:// conflicts with hosts", () => {
    const unit = fs.readFileSync(dockerIoFile('lib/systemd/system/docker.service'), 'utf8');
    const root = trees.create({
      '/lib/systemd/system/docker.service': unit,
      '/etc/default/docker': 'DOCKER_OPTS="--userland-proxy=false"\n',
      '/etc/docker/daemon.json': '{"hosts": ["unix:///var/run/docker.sock"], "userland-proxy": false}\n',
    });
    const lines = readDockerdCommandLine(new RootFs(root));
    assert.deepEqual(
      lines.flags.map((flag) => [flag.name, flag.path]),
      [
        ['host', '/lib/systemd/system/docker.service'],
        ['containerd', '/lib/systemd/system/docker.service'],
        ['userland-proxy', '/etc/default/docker'],
      ],
    );
    const findings = lint(fs.readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'), root).filter((finding) => finding.code === 'daemon-json.flag-conflict');
    assert.deepEqual(
      findings.map((finding) => finding.value),
      ['hosts', 'userland-proxy'],
    );
  });

  test('missing seccomp profile under --root is an error', () => {
    const root = trees.create({ '/etc/docker/seccomp.json': '{}' });
    const code = 'daemon-json.seccomp-profile-missing';
    assert.ok(!lint('{"seccomp-profile": "/etc/docker/seccomp.json"}', root).some((finding) => finding.code === code));
    const missing = lint('{"seccomp-profile": "/etc/docker/other.json"}', root).find((finding) => finding.code === code);
    assert.equal(missing?.severity, 'error');
    assert.equal(missing?.value, '/etc/docker/other.json');
  });

  test('root is taken from the usual path', () => {
    const root = trees.create({
      '/etc/conf.d/docker': 'DOCKER_OPTS="--icc=false"\n',
      '/etc/docker/daemon.json': '{"icc": false}\n',
    });
    const file = `${root}/etc/docker/daemon.json`;
    const findings = daemonJsonLinter.lint({ path: file, content: fs.readFileSync(file, 'utf8'), options: {} });
    assert.ok(findings.some((finding) => finding.code === 'daemon-json.flag-conflict'));
  });

  test('a drop-in ExecStart replaces the unit one', () => {
    const root = trees.create({
      '/lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/sbin/dockerd -H fd://\n',
      '/etc/systemd/system/docker.service.d/override.conf': '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd \\\n  --icc=false\n',
    });
    const flags = readDockerdCommandLine(new RootFs(root)).flags;
    assert.deepEqual(
      flags.map((flag) => [flag.name, flag.path, flag.line]),
      [['icc', '/etc/systemd/system/docker.service.d/override.conf', 3]],
    );
  });
});

/** The flag table against `dockerd --help` of the unpacked Debian docker.io 20.10 (help only; no daemon starts). */
describe('dockerd option table against dockerd', () => {
  test('matches dockerd --help', () => {
    const result = spawnSync(dockerIoFile('usr/sbin/dockerd'), ['--help'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    const help = result.stdout + result.stderr;
    const listed = new Map<string, boolean>();
    for (const line of help.split('\n')) {
      const match = /^\s+(?:-(\w), )?--([a-z0-9-]+)(?: ([a-z-]+))?\s{2,}/.exec(line);
      if (match === null) continue;
      listed.set(match[2]!, match[3] !== undefined);
      if (match[1] !== undefined) assert.equal(DOCKERD_SHORT_OPTIONS[match[1]], match[2], `short -${match[1]}`);
    }
    assert.ok(listed.size > 70, `parsed ${listed.size} options from the help`);
    for (const [name, takesValue] of listed) {
      assert.equal(DOCKERD_VALUE_OPTIONS[name] !== undefined, takesValue, `--${name} takes a value: ${takesValue}`);
      assert.equal(DOCKERD_BOOLEAN_OPTIONS.includes(name), !takesValue, `--${name} is boolean: ${!takesValue}`);
    }
    assert.equal(listed.size, Object.keys(DOCKERD_VALUE_OPTIONS).length + DOCKERD_BOOLEAN_OPTIONS.length);
    for (const key of ['hosts', 'labels', 'log-opts', 'insecure-registries', 'icc', 'seccomp-profile']) assert.ok(DAEMON_KEYS.has(key), key);
  });
});
