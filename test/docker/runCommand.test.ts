import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkContainer } from '../../src/docker/container.js';
import { GUIDE_RUN_DEFAULTS, hardenedRunCommand } from '../../src/docker/hardenedRun.js';
import { dockerRunLinter } from '../../src/docker/linters.js';
import { parseRunCommands } from '../../src/docker/runCommand.js';
import { RUN_TABLE } from '../../src/docker/runOptions.js';
import { dockerIoFile } from '../helpers/docker.js';

const GUIDE_COMMAND = `docker run -d \\
  --read-only \\
  --tmpfs /tmp:noexec,nosuid,nodev \\
  --security-opt=no-new-privileges \\
  --cap-drop=ALL \\
  --cap-add=NET_BIND_SERVICE \\
  --pids-limit 100 \\
  --memory 512m \\
  --cpus 0.5 \\
  kimigayo/app:latest
`;

function lint(content: string) {
  return dockerRunLinter.lint({ path: 'run.sh', content, options: {} });
}

function codes(content: string): string[] {
  return lint(content).map((finding) => finding.code);
}

describe('docker run linter', () => {
  test("guide's command lacks only a user and a pinned tag", () => {
    const findings = lint(GUIDE_COMMAND);
    assert.deepEqual(findings.map((finding) => finding.code).sort(), ['container.non-root', 'container.pinned-image']);
    const pinned = findings.find((finding) => finding.code === 'container.pinned-image');
    assert.equal(pinned?.line, 10);
    assert.equal(pinned?.value, 'kimigayo/app:latest');
  });

  test('generated command has no finding', () => {
    const command = hardenedRunCommand({ image: 'kimigayo/app:1.0', command: [], ...GUIDE_RUN_DEFAULTS });
    assert.deepEqual(lint(command), []);
  });

  test('dangerous options are errors at their line', () => {
    const content = [
      'docker run --read-only --tmpfs /tmp:noexec,nosuid,nodev --security-opt no-new-privileges --cap-drop ALL \\',
      '  --pids-limit 50 -m 256m --cpus 1 -u app \\',
      '  --privileged \\',
      '  --net=host \\',
      '  --pid host --ipc=host \\',
      '  -v /var/run/docker.sock:/var/run/docker.sock \\',
      '  --mount type=bind,src=/run,dst=/host-run \\',
      '  --cap-add ALL \\',
      '  --security-opt seccomp=unconfined \\',
      '  app:1',
    ].join('\n');
    const findings = lint(content).filter((finding) => finding.code === 'container.no-privileged');
    assert.deepEqual(
      findings.map((finding) => [finding.line, finding.value]),
      [
        [3, 'privileged'],
        [4, 'network=host'],
        [5, 'pid=host'],
        [5, 'ipc=host'],
        [6, '/var/run/docker.sock'],
        [7, '/run'],
        [8, 'cap-add=ALL'],
        [9, 'seccomp=unconfined'],
      ],
    );
    assert.ok(findings.every((finding) => finding.severity === 'error'));
    assert.equal(lint(content).length, findings.length, 'nothing else is wrong');
  });

  test('short option clusters and attached values', () => {
    const specs = parseRunCommands('docker run -dit -m512m -u0 -v/data:/data --rm app:2 sh -c "echo hi"', 'x').specs;
    assert.equal(specs.length, 1);
    const spec = specs[0]!;
    assert.equal(spec.memory?.value, '512m');
    assert.equal(spec.user?.value, '0');
    assert.equal(spec.image?.value, 'app:2');
    assert.equal(spec.mounts[0]?.value.source, '/data');
    assert.ok(checkContainer(spec).some((finding) => finding.code === 'container.non-root'));
  });

  test('finds run lines behind sudo, env and global options', () => {
    const content = [
      'set -e',
      'sudo -E docker -H tcp://198.18.0.1:2376 --tlsverify run --read-only a:1',
      'FOO=1 /usr/bin/docker container create b:1',
      'docker ps; docker image ls',
      'docker --context prod container run c:1 && echo done',
    ].join('\n');
    const specs = parseRunCommands(content, 'x').specs;
    assert.deepEqual(
      specs.map((spec) => [spec.line, spec.image?.value]),
      [
        [2, 'a:1'],
        [3, 'b:1'],
        [5, 'c:1'],
      ],
    );
    assert.equal(specs[0]?.readOnly?.value, true);
  });

  test('boolean option turned off', () => {
    const spec = parseRunCommands('docker run --read-only=false --privileged=false x:1', 'x').specs[0]!;
    assert.equal(spec.readOnly?.value, false);
    assert.equal(spec.privileged?.value, false);
    const found = checkContainer(spec).map((finding) => finding.code);
    assert.ok(found.includes('container.read-only'));
    assert.ok(!found.includes('container.no-privileged'));
  });

  test('tmpfs options: later exec undoes noexec', () => {
    const found = lint('docker run --tmpfs /tmp:noexec,nosuid,nodev,exec x:1').filter((finding) => finding.code === 'container.tmpfs-tmp');
    assert.equal(found.length, 1);
    assert.match(found[0]!.message.en, /lacks noexec/);
  });

  test('tmpfs via --mount cannot carry the options', () => {
    const found = lint('docker run --mount type=tmpfs,destination=/tmp x:1').find((finding) => finding.code === 'container.tmpfs-tmp');
    assert.match(found?.message.en ?? '', /uses the mount syntax/);
  });

  test('unlimited values count as missing', () => {
    const found = codes('docker run --pids-limit -1 --memory 0 --cpus 0 x:1');
    assert.ok(found.includes('container.pids-limit'));
    assert.ok(found.includes('container.resource-limits'));
  });

  test('user from a variable is info', () => {
    const finding = lint('docker run -u "$UID:$GID" x:1').find((item) => item.code === 'container.non-root');
    assert.equal(finding?.severity, 'info');
  });

  test('pinned by digest passes', () => {
    assert.ok(!codes('docker run x@sha256:0123456789abcdef').includes('container.pinned-image'));
    assert.ok(codes('docker run registry:5000/x').includes('container.pinned-image'));
    assert.ok(!codes('docker run registry:5000/x:1').includes('container.pinned-image'));
  });

  test('command-line mistakes', () => {
    assert.ok(codes('docker run --bogus x:1').includes('docker-run.unknown-option'));
    assert.deepEqual(codes('docker run --read-only'), ['docker-run.no-image'], 'no container rules without an image');
    assert.ok(codes('docker run x:1 --memory').every((code) => code !== 'docker-run.missing-value'), 'options after the image belong to the command');
    assert.ok(codes('docker run --memory').includes('docker-run.missing-value'));
    assert.ok(codes('docker run --name "x').includes('docker-run.shell-syntax'));
  });

  test('detects command lines but not other scripts', () => {
    assert.ok(dockerRunLinter.detect(GUIDE_COMMAND, 'x') >= 0.5);
    assert.equal(dockerRunLinter.detect('docker ps\ndocker logs x\n', 'x'), 0);
    assert.equal(dockerRunLinter.detect('echo docker run is mentioned here\n', 'x'), 0);
  });
});

/**
 * The real Docker CLI 20.10 of Debian 12, unpacked from the docker.io package. No daemon exists:
 * DOCKER_HOST points at a socket that is never created, so a line that parses fails with
 * "Cannot connect", while a bad line fails earlier with the CLI's own message.
 */
describe('docker run linter against the Docker CLI', () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), `kh-docker-config-${process.pid}-`));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: configDir, DOCKER_CONFIG: configDir, DOCKER_HOST: `unix://${configDir}/no-daemon.sock` };
  after(() => fs.rmSync(configDir, { recursive: true, force: true }));

  function dockerRun(args: string[]): string {
    const result = spawnSync(dockerIoFile('usr/bin/docker'), ['run', ...args], { encoding: 'utf8', env });
    return result.stderr;
  }

  test('option table matches docker run --help', () => {
    const help = spawnSync(dockerIoFile('usr/bin/docker'), ['run', '--help'], { encoding: 'utf8', env }).stdout;
    const listed = new Map<string, boolean>();
    for (const line of help.split('\n')) {
      const match = /^\s+(?:-(\w), )?--([a-z0-9-]+)(?: (\S+))?\s{2,}/.exec(line);
      if (match === null) continue;
      listed.set(match[2]!, match[3] !== undefined);
      if (match[1] !== undefined) assert.equal(RUN_TABLE.shorts.get(match[1]), match[2], `short -${match[1]}`);
    }
    assert.ok(listed.size > 90, `parsed ${listed.size} options from the help`);
    for (const [name, takesValue] of listed) {
      assert.equal(RUN_TABLE.values.has(name), takesValue, `--${name} takes a value: ${takesValue}`);
      assert.equal(RUN_TABLE.booleans.has(name), !takesValue, `--${name} is boolean: ${!takesValue}`);
    }
    const ours = [...RUN_TABLE.values, ...RUN_TABLE.booleans].filter((name) => name !== 'net' && name !== 'net-alias');
    assert.deepEqual(ours.filter((name) => !listed.has(name)), [], 'every option we know is in the help');
  });

  test('the generated command parses', () => {
    const command = hardenedRunCommand({ image: 'kimigayo/app:1.0', command: ['sh', '-c', 'echo "a b"'], ...GUIDE_RUN_DEFAULTS });
    const words = parseRunCommands(command, 'x');
    assert.equal(words.specs.length, 1);
    const argv = command
      .replace(/\\\n\s*/g, '')
      .trim();
    // Let bash split the generated text, as a user pasting it would.
    const result = spawnSync('bash', ['--noprofile', '--norc', '-c', argv.replace(/^docker/, `"${dockerIoFile('usr/bin/docker')}"`)], { encoding: 'utf8', env });
    assert.match(result.stderr, /Cannot connect to the Docker daemon/);
  });

  const lines: { args: string[]; ours: string | undefined }[] = [
    { args: ['--bogus', 'x:1'], ours: 'docker-run.unknown-option' },
    { args: ['--pids-limit'], ours: 'docker-run.missing-value' },
    { args: ['-dit', '-m512m', '-u0', 'x:1'], ours: undefined },
    { args: ['--net=host', '--read-only=false', 'x:1'], ours: undefined },
    { args: ['-p80:80', '-e', 'A=1', '--', 'x:1', '--not-an-option'], ours: undefined },
  ];
  for (const line of lines) {
    test(`agrees with the CLI on ${line.args.join(' ')}`, () => {
      const stderr = dockerRun(line.args);
      const found = parseRunCommands(['docker', 'run', ...line.args].join(' '), 'x').findings.map((finding) => finding.code);
      if (line.ours === undefined) {
        assert.match(stderr, /Cannot connect to the Docker daemon/);
        assert.deepEqual(found, []);
      } else {
        assert.doesNotMatch(stderr, /Cannot connect/);
        assert.ok(found.includes(line.ours), `${line.ours} in ${found.join(',')}`);
      }
    });
  }
});
