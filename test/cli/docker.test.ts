import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { listManifests, rollbackTransaction } from '../../src/txn/index.js';
import { ScratchTrees } from '../helpers/fixture.js';
import { runCli as run } from '../helpers/cli.js';

const FLY = fs.readFileSync('../shared/corpus/docker/fly-daemon.json', 'utf8');

describe('docker commands', () => {
  const trees = new ScratchTrees(`kh-cli-docker-${process.pid}-`);
  after(() => trees.removeAll());

  test('lint detects the three Docker types', async () => {
    const root = trees.create({
      '/daemon.json': FLY,
      '/stack.yml': 'services:\n  a:\n    image: a:latest\n    privileged: true\n',
      '/start.sh': '#!/bin/sh\nexec docker run --rm app:1\n',
    });
    const result = await run(['lint', '--format', 'json', ...['daemon.json', 'stack.yml', 'start.sh'].map((name) => path.join(root, name))]);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { files: { type: string; findings: { code: string }[] }[] };
    assert.deepEqual(
      report.files.map((file) => file.type),
      ['daemon-json', 'compose', 'docker-run'],
    );
    assert.ok(report.files[0]!.findings.some((finding) => finding.code === 'daemon-json.tcp-without-tls'));
    assert.ok(report.files[1]!.findings.some((finding) => finding.code === 'container.no-privileged'));
    assert.ok(report.files[2]!.findings.some((finding) => finding.code === 'container.read-only'));
  });

  test('lint of a clean compose file exits 0', async () => {
    const root = trees.create({ '/compose.yml': (await run(['generate', 'docker-run', '--format', 'compose', 'kimigayo/app:1.0'])).stdout });
    const result = await run(['lint', path.join(root, 'compose.yml')]);
    assert.equal(result.code, 0, result.stdout);
  });

  test('generate daemon-json --install writes through a transaction and rolls back', async () => {
    const root = trees.create({ '/etc/docker/daemon.json': FLY, '/etc/docker/seccomp.json': '{"defaultAction": "SCMP_ACT_ERRNO"}' });
    const file = path.join(root, 'etc/docker/daemon.json');

    const printed = await run(['generate', 'daemon-json', '--root', root]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(fs.readFileSync(file, 'utf8'), FLY, 'printing changes nothing');

    const installed = await run(['generate', 'daemon-json', '--root', root, '--install']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /wrote \/etc\/docker\/daemon.json/);
    const written = fs.readFileSync(file, 'utf8');
    assert.equal(written, printed.stdout);
    assert.equal((JSON.parse(written) as Record<string, unknown>)['seccomp-profile'], '/etc/docker/seccomp.json');
    assert.equal(fs.readFileSync(path.join(root, 'etc/subuid'), 'utf8'), 'dockremap:165536:65536\n');
    assert.equal(fs.readFileSync(path.join(root, 'etc/subgid'), 'utf8'), 'dockremap:165536:65536\n');
    assert.match(printed.stderr, /--install also adds "dockremap:165536:65536" to \/etc\/subuid/);
    assert.equal(listManifests(root).length, 1);

    const again = await run(['generate', 'daemon-json', '--root', root, '--install']);
    assert.match(again.stdout, /nothing changed/);
    assert.equal(listManifests(root).length, 1, 'no second transaction');

    rollbackTransaction(root, undefined);
    assert.equal(fs.readFileSync(file, 'utf8'), FLY);
    assert.equal(fs.existsSync(path.join(root, 'etc/subuid')), false);
  });

  test('generate daemon-json leaves out flags and a missing seccomp profile', async () => {
    const root = trees.create({ '/etc/conf.d/docker': 'DOCKER_OPTS="--icc=false"\n' });
    const result = await run(['generate', 'daemon-json', '--root', root]);
    assert.equal(result.code, 0);
    const merged = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(merged.icc, undefined);
    assert.equal(merged['seccomp-profile'], undefined);
    assert.match(result.stderr, /"icc" left out: set by the dockerd flag --icc in \/etc\/conf.d\/docker:1/);
    assert.match(result.stderr, /"seccomp-profile" left out/);
  });

  test('generate daemon-json rejects invalid JSON and writes nothing', async () => {
    const root = trees.create({ '/etc/docker/daemon.json': '{\n  "icc": true,\n}\n' });
    const result = await run(['generate', 'daemon-json', '--root', root, '--install']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\/etc\/docker\/daemon.json:3:1: invalid JSON/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    assert.equal(fs.readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8'), '{\n  "icc": true,\n}\n');
    assert.equal(fs.existsSync(path.join(root, 'var/lib/kimigayo-harden')), false);
  });

  test('generate docker-run rejects root and bad values in Japanese', async () => {
    const rootUser = await run(['generate', 'docker-run', '--lang', 'ja', '--user', '0:0', 'x:1']);
    assert.equal(rootUser.code, 2);
    assert.match(rootUser.stderr, /root では動かせません/);
    assert.equal((await run(['generate', 'docker-run', '--cpus', '0', 'x:1'])).code, 2);
    assert.equal((await run(['generate', 'docker-run', '--memory', 'lots', 'x:1'])).code, 2);
    assert.equal((await run(['generate', 'docker-run', 'bad image'])).code, 2);
  });

  test('generate docker-run warns about :latest and passes the command through', async () => {
    const result = await run(['generate', 'docker-run', '--no-cap-add', '--name', 'web', 'kimigayo/app', '--', 'sh', '-c', "echo 'hi'"]);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /not pinned/);
    assert.doesNotMatch(result.stdout, /--cap-add/);
    assert.match(result.stdout, /--name web/);
    assert.match(result.stdout, /kimigayo\/app sh -c 'echo '\\''hi'\\'''\n$/);
  });
});
