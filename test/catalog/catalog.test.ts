import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATALOG, controlsForLevel } from '../../src/catalog/index.js';

describe('catalog', () => {
  test('ids are unique, dotted and lower-case', () => {
    const ids = CATALOG.map((control) => control.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z0-9_]+(\.[a-z0-9_./-]+)+$/);
  });

  test('every control has English and Japanese text', () => {
    for (const control of CATALOG) {
      for (const field of [control.title, control.rationale]) {
        assert.ok(field.en.length > 0, `${control.id} English`);
        assert.match(field.ja, /[\u3040-\u30ff\u4e00-\u9fff]/, `${control.id} Japanese text has Japanese characters`);
      }
      assert.ok(control.source.guide.length > 0, `${control.id} names its section of the guide`);
    }
  });

  test('levels are cumulative', () => {
    const one = controlsForLevel(1).length;
    const two = controlsForLevel(2).length;
    const three = controlsForLevel(3).length;
    assert.ok(one < two, 'level 2 adds controls');
    assert.ok(two < three, 'level 3 adds controls');
    assert.equal(three, CATALOG.length);
  });

  test('examples of stable ids exist', () => {
    const ids = new Set(CATALOG.map((control) => control.id));
    for (const id of ['sysctl.kernel.kptr_restrict', 'ssh.permitrootlogin', 'module.cramfs', 'mount./tmp.noexec', 'file./etc/shadow.mode', 'service.telnet', 'firewall.ipv4.input-policy']) {
      assert.ok(ids.has(id), id);
    }
  });

  test('every setting of the guide has a control', () => {
    const ids = new Set(CATALOG.map((control) => control.id));
    const sysctlKeys = [
      'kernel.dmesg_restrict', 'kernel.kptr_restrict', 'kernel.yama.ptrace_scope', 'kernel.kexec_load_disabled', 'kernel.unprivileged_bpf_disabled',
      'kernel.unprivileged_userns_clone', 'vm.mmap_min_addr', 'kernel.randomize_va_space', 'fs.protected_hardlinks', 'fs.protected_symlinks',
      'fs.protected_fifos', 'fs.protected_regular', 'fs.suid_dumpable', 'net.ipv4.tcp_syncookies', 'net.ipv4.tcp_timestamps',
      'net.ipv6.conf.lo.disable_ipv6',
    ];
    for (const key of sysctlKeys) assert.ok(ids.has(`sysctl.${key}`), key);
    for (const module of ['cramfs', 'freevxfs', 'jffs2', 'hfs', 'hfsplus', 'squashfs', 'udf', 'dccp', 'sctp', 'rds', 'tipc', 'bluetooth', 'firewire-core', 'thunderbolt']) {
      assert.ok(ids.has(`module.${module}`), module);
    }
    for (const path of ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow', '/etc/ssh/sshd_config', '/var/log/messages', '/var/log/auth.log', '/boot/grub/grub.cfg']) {
      assert.ok(ids.has(`file.${path}.mode`), path);
    }
  });
});
