import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCompose } from '../../src/docker/compose.js';
import { GUIDE_RUN_DEFAULTS, hardenedComposeService } from '../../src/docker/hardenedRun.js';
import { composeLinter } from '../../src/docker/linters.js';

const CORPUS = '../shared/corpus/docker/compose-full-example.yml';

const HARDENED = `services:
  web:
    image: kimigayo/app:1.0
    read_only: true
    tmpfs:
      - /tmp:noexec,nosuid,nodev
    security_opt:
      - no-new-privileges:true
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    pids_limit: 100
    mem_limit: 512m
    cpus: 0.5
    user: "1000:1000"
`;

function lint(content: string) {
  return composeLinter.lint({ path: 'compose.yml', content, options: {} });
}

describe('compose linter', () => {
  test('hardened service has no finding', () => {
    assert.deepEqual(lint(HARDENED), []);
  });

  test('generated service has no finding', () => {
    const content = hardenedComposeService({ image: 'kimigayo/app:1.0', command: ['sh', '-c', 'run'], ...GUIDE_RUN_DEFAULTS });
    assert.deepEqual(lint(content), []);
  });

  test('corpus kitchen-sink file', () => {
    const findings = lint(fs.readFileSync(CORPUS, 'utf8'));
    const seen = findings.map((finding) => `${finding.line}:${finding.code}:${finding.value ?? ''}`);
    assert.deepEqual(seen, [
      '3:container.no-new-privileges:',
      '3:container.pids-limit:',
      '35:container.no-privileged:cap-add=ALL',
      '38:container.cap-drop-all:',
      '176:container.pinned-image:redis',
      '183:container.no-privileged:ipc=host',
      '227:container.no-privileged:pid=host',
      '238:container.no-privileged:privileged',
      '270:container.tmpfs-tmp:/tmp',
    ]);
  });

  test('anchors and merge keys are resolved', () => {
    const content = [
      'x-hardening: &hardening',
      '  read_only: true',
      '  tmpfs: ["/tmp:noexec,nosuid,nodev"]',
      '  security_opt: ["no-new-privileges:true"]',
      '  cap_drop: [ALL]',
      '  pids_limit: 100',
      '  mem_limit: 256m',
      '  cpus: 1',
      '  user: app',
      'services:',
      '  a:',
      '    <<: *hardening',
      '    image: a:1',
      '  b:',
      '    <<: *hardening',
      '    image: b:1',
      '    privileged: true',
      '',
    ].join('\n');
    const findings = lint(content);
    assert.deepEqual(
      findings.map((finding) => [finding.line, finding.code]),
      [[17, 'container.no-privileged']],
    );
  });

  test('deploy limits and long volume syntax', () => {
    const content = [
      'services:',
      '  a:',
      '    image: a:1',
      '    read_only: true',
      '    tmpfs: /tmp:noexec,nosuid,nodev',
      '    security_opt: [no-new-privileges]',
      '    cap_drop: [all]',
      '    user: "${APP_UID}"',
      '    deploy:',
      '      resources:',
      '        limits: {cpus: "0.5", memory: 100M, pids: 10}',
      '    volumes:',
      '      - type: bind',
      '        source: /var/run/docker.sock',
      '        target: /sock',
      '',
    ].join('\n');
    const findings = lint(content);
    assert.deepEqual(
      findings.map((finding) => [finding.line, finding.code, finding.severity]),
      [
        [8, 'container.non-root', 'info'],
        [13, 'container.no-privileged', 'error'],
      ],
    );
  });

  test('yaml errors and bad services', () => {
    const broken = lint('services:\n  a:\n    image: [unclosed\n');
    assert.equal(broken[0]?.code, 'compose.yaml-syntax');
    assert.equal(broken.length > 0, true);
    assert.deepEqual(
      lint('services:\n  a: just-a-string\n').map((finding) => [finding.line, finding.code]),
      [[2, 'compose.service-not-a-map']],
    );
    assert.deepEqual(
      lint('services: [a, b]\n').map((finding) => finding.code),
      ['compose.services-not-a-map'],
    );
    assert.deepEqual(
      lint('{"icc": false}\n').map((finding) => finding.code),
      ['compose.no-services'],
    );
  });

  test('detects compose files', () => {
    assert.ok(composeLinter.detect(HARDENED, 'docker-compose.yml') > 0.9);
    assert.ok(composeLinter.detect(HARDENED, 'stack.yaml') >= 0.5);
    assert.equal(composeLinter.detect('version: 1\nitems: []\n', 'x.yml'), 0);
  });
});

/**
 * docker-compose 1.29 (Debian 12) is the real reader of these files here: `config` validates a
 * file against the Compose schema and prints it with anchors and merges resolved, without a daemon.
 */
describe('compose linter against docker-compose', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kh-compose-${process.pid}-`));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function composeConfig(content: string): { status: number | null; stdout: string; stderr: string } {
    const file = path.join(dir, 'compose.yml');
    fs.writeFileSync(file, content);
    const result = spawnSync('docker-compose', ['--project-directory', dir, '-f', file, 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', COMPOSE_PROJECT_NAME: 'kh' } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  test('accepts the generated service', () => {
    const content = hardenedComposeService({ image: 'kimigayo/app:1.0', command: [], ...GUIDE_RUN_DEFAULTS, user: '1000:50' });
    const result = composeConfig(content);
    assert.equal(result.status, 0, result.stderr);
    // The user survives as a string, not as the YAML 1.1 base-60 number 60050.
    assert.match(result.stdout, /user: '?1000:50'?/);
    assert.deepEqual(lint(result.stdout), []);
  });

  test('resolved output gives the same findings', () => {
    const content = [
      'x-base: &base',
      '  read_only: true',
      '  cap_drop: [ALL]',
      '  user: app',
      'services:',
      '  a:',
      '    <<: *base',
      '    image: a:1',
      '    pid: host',
      '  b:',
      '    <<: *base',
      '    image: b',
      '    read_only: false',
      '',
    ].join('\n');
    const result = composeConfig(content);
    assert.equal(result.status, 0, result.stderr);
    const ours = (text: string) =>
      parseCompose(text, 'x')
        .specs.flatMap((spec) => lint(text).filter((finding) => finding.message.en.includes(`"${spec.name}"`)).map((finding) => `${spec.name}:${finding.code}`))
        .filter((value, index, all) => all.indexOf(value) === index)
        .sort();
    assert.deepEqual(ours(result.stdout), ours(content));
  });
});
