import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadProfile } from '../../src/profile/load.js';
import { UsageError } from '../../src/target/target.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-profile-'));
let count = 0;

function write(source: string): string {
  const file = path.join(dir, `profile-${count++}.yml`);
  fs.writeFileSync(file, source);
  return file;
}

function errorOf(source: string): string {
  try {
    loadProfile(write(source));
  } catch (error) {
    assert.ok(error instanceof UsageError);
    return error.message;
  }
  assert.fail('expected a UsageError');
}

describe('loadProfile', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every field', () => {
    const profile = loadProfile(
      write(`ipv6: false
sshPorts: [22, 2222]
allowTcp: [80, 443]
allowUdp: [123]
answerPing: false
keepModules: [squashfs, usb-storage]
waivers:
  - id: ssh.passwordauthentication
    reason: "legacy backup host, ticket OPS-12"
    expires: 2027-03-31
`),
    );
    assert.deepEqual(profile, {
      ipv6: false,
      sshPorts: [22, 2222],
      allowTcp: [80, 443],
      allowUdp: [123],
      answerPing: false,
      keepModules: ['squashfs', 'usb-storage'],
      waivers: [{ id: 'ssh.passwordauthentication', reason: 'legacy backup host, ticket OPS-12', expires: '2027-03-31' }],
    });
  });

  test('empty file is an empty profile', () => {
    assert.deepEqual(loadProfile(write('')), {});
  });

  test('errors name file, line and column', () => {
    assert.match(errorOf('answerPing: maybe\n'), /profile-\d+\.yml:1:1: answerPing must be true or false/);
    assert.match(errorOf('keepModules: [squashfs, "bad name"]\n'), /:1:25: bad name is not a kernel module name/);
    assert.match(errorOf('waivers:\n  - reason: x\n'), /:2:5: a waiver needs the id/);
    assert.match(errorOf('waivers:\n  - id: a.b\n'), /the waiver of a\.b needs a reason/);
    assert.match(errorOf('waivers:\n  - id: a.b\n    reason: r\n    expires: next week\n'), /:4:14: expires must be a date written YYYY-MM-DD \(got next week\)/);
    assert.match(errorOf('waivers:\n  - id: a.b\n    reason: r\n    owner: me\n'), /:4:5: unknown waiver field "owner"/);
    assert.match(errorOf('waivers: {id: a}\n'), /waivers must be a list/);
    assert.match(errorOf('sshPort: 22\n'), /unknown setting "sshPort"/);
    assert.match(errorOf('waivers:\n  - id: ssh.permitrootlogin\n    reason: r\n    expires: 2027-02-30\n'), /:4:14: expires must be a date written YYYY-MM-DD \(got 2027-02-30\)/);
    assert.match(errorOf('waivers:\n  - reason: r\n    id: ssh.permitrotlogin\n'), /:3:9: no control has the id "ssh\.permitrotlogin"/);
    assert.match(errorOf('waivers:\n  - id: ssh.permitrootlogin\n    reason: a\n  - id: ssh.permitrootlogin\n    reason: b\n'), /:4:5: ssh\.permitrootlogin is waived twice \(first at .*:2:5\)/);
    assert.match(errorOf('ipv6: true\n---\nipv6: false\n'), /:2:1: a profile is one YAML document/);
  });

  test('missing file', () => {
    assert.throws(() => loadProfile(path.join(dir, 'absent.yml')), /absent\.yml: cannot read the file/);
  });
});
