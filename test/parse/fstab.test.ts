import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { hasOptions, mangle, parseFstab, parseMountsTable, serializeFstab, unmangle, withFstabField } from '../../src/parse/fstab.js';
import type { FstabEntry } from '../../src/parse/fstab.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusFile = path.resolve(repoRoot, '../shared/corpus/fstab/util-linux-fstab.comment');
const tempDirs: string[] = [];

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function entries(source: string): FstabEntry[] {
  return parseFstab(source, '/etc/fstab').lines.filter((line): line is FstabEntry => line.kind === 'entry');
}

describe('parseFstab', () => {
  test('corpus round trip and entries', () => {
    const source = fs.readFileSync(corpusFile, 'utf8');
    const doc = parseFstab(source, '/etc/fstab');
    assert.equal(serializeFstab(doc), source);
    assert.deepEqual(doc.diagnostics, []);
    const found = doc.lines.filter((line): line is FstabEntry => line.kind === 'entry');
    assert.deepEqual(
      found.map((entry) => entry.file),
      ['/', '/boot', 'swap', '/dev/shm', '/dev/pts', '/sys', '/proc', '/home/foo', '/mnt/remote', '/mnt/gogogo', '/any/foo/'],
    );
    const nfs = found.find((entry) => entry.file === '/mnt/remote') as FstabEntry;
    assert.equal(nfs.spec, 'foo.com:/mnt/share');
    assert.deepEqual(nfs.options, ['noauto']);
    assert.equal(nfs.freq, 0);
    assert.equal(nfs.passno, 0);
    assert.equal(nfs.fields.length, 4);
    const cifs = found.find((entry) => entry.file === '/mnt/gogogo') as FstabEntry;
    assert.deepEqual(cifs.options, ['user=SRGROUP/baby', 'noauto']);
    assert.equal(found[1]?.passno, 2);
    assert.equal(doc.lines[1]?.kind, 'comment');
  });

  test('octal escapes are decoded', () => {
    // libmount decodes the options field before splitting it, so `\054` separates options too.
    const [entry] = entries('LABEL=My\\040Disk /mnt/my\\040disk\\011x vfat defaults,uid=1000\\054x 0 2\n');
    assert.equal(entry?.spec, 'LABEL=My Disk');
    assert.equal(entry?.file, '/mnt/my disk\tx');
    assert.deepEqual(entry?.options, ['defaults', 'uid=1000', 'x']);
    assert.equal(entry?.fields[1]?.raw, '/mnt/my\\040disk\\011x');
    assert.equal(unmangle('a\\134b\\012c'), 'a\\b\nc');
    assert.equal(mangle('a b\\c'), 'a\\040b\\134c');
    assert.equal(unmangle('a\\9b'), 'a\\9b');
  });

  test('four fields default freq and passno', () => {
    const [entry] = entries('tmpfs\t/tmp\ttmpfs\tdefaults');
    assert.equal(entry?.freq, 0);
    assert.equal(entry?.passno, 0);
    assert.deepEqual(entry?.separators, ['', '\t', '\t', '\t', '']);
  });

  test('empty option items are skipped', () => {
    const [entry] = entries('tmpfs /tmp tmpfs defaults,,nodev, 0 0\n');
    assert.deepEqual(entry?.options, ['defaults', 'nodev']);
    assert.equal(entry?.fields[3]?.raw, 'defaults,,nodev,');
  });

  test('quoted option keeps its comma', () => {
    const [entry] = entries('/dev/a /b ext4 context="system_u:object_r:tmp_t:s0:c127,c456",nodev 0 0\n');
    assert.deepEqual(entry?.options, ['context="system_u:object_r:tmp_t:s0:c127,c456"', 'nodev']);
  });

  test('field columns', () => {
    const [entry] = entries('  tmpfs   /tmp  tmpfs defaults 0 0  \n');
    assert.deepEqual(
      entry?.fields.map((field) => field.column),
      [3, 11, 17, 23, 32, 34],
    );
  });

  test('too few fields', () => {
    const doc = parseFstab('proc /proc proc defaults 0 0\n  tmpfs /mnt/x\n', '/etc/fstab');
    assert.equal(doc.lines[1]?.kind, 'invalid');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line, d.column]),
      [['fstab.too-few-fields', 2, 3]],
    );
  });

  test('bad numbers', () => {
    const doc = parseFstab('/dev/a /b ext4 defaults x 1a\n', '/etc/fstab');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line, d.column, d.value]),
      [
        ['fstab.bad-number', 1, 25, 'x'],
        ['fstab.bad-number', 1, 27, '1a'],
      ],
    );
  });

  test('unescaped space gives too many fields', () => {
    const doc = parseFstab('/dev/a /mnt/my disk ext4 defaults 0 0\n', '/etc/fstab');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.column]),
      [['fstab.too-many-fields', 37]],
    );
  });

  test('comment after field 6', () => {
    const source = 'UUID=0a34\t/\text4\terrors=remount-ro\t0\t1\t# root fs\n/dev/sda2 /tmp ext4 defaults,exec 0 2 # scratch\n';
    const doc = parseFstab(source, '/etc/fstab');
    assert.deepEqual(doc.diagnostics, [], 'findmnt 2.38 reads both lines without a parse error');
    assert.equal(serializeFstab(doc), source);
    const found = doc.lines.filter((line): line is FstabEntry => line.kind === 'entry');
    assert.deepEqual(found.map((entry) => [entry.file, entry.options.join(','), entry.passno]), [
      ['/', 'errors=remount-ro', 1],
      ['/tmp', 'defaults,exec', 2],
    ]);

    const changed = withFstabField(found[1] as FstabEntry, 3, 'defaults,nodev');
    assert.equal(changed.raw, '/dev/sda2 /tmp ext4 defaults,nodev 0 2 # scratch');
    assert.equal(changed.passno, 2);
  });

  test('comment in field 5 is a bad number', () => {
    const doc = parseFstab('/dev/a /a ext4 defaults # note\n', '/etc/fstab');
    assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.value]), [
      ['fstab.bad-number', '#'],
      ['fstab.bad-number', 'note'],
    ]);
  });

  test('hasOptions', () => {
    const [entry] = entries('tmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\n');
    assert.equal(hasOptions(entry as FstabEntry, ['nodev', 'nosuid']), true);
    assert.equal(hasOptions(entry as FstabEntry, ['nodev', 'ro']), false);
  });

  test('field edit keeps the next column', () => {
    const doc = parseFstab('# x\ntmpfs           /tmp            tmpfs   defaults                0       0\n', '/etc/fstab');
    const entry = doc.lines[1] as FstabEntry;
    const edited = withFstabField(entry, 3, 'defaults,nodev,nosuid,noexec');
    doc.lines[1] = edited;
    assert.equal(serializeFstab(doc), '# x\ntmpfs           /tmp            tmpfs   defaults,nodev,nosuid,noexec 0       0\n');
    assert.deepEqual(edited.options, ['defaults', 'nodev', 'nosuid', 'noexec']);
    const shorter = withFstabField(entry, 3, 'rw');
    assert.equal(shorter.raw, 'tmpfs           /tmp            tmpfs   rw                      0       0');
  });

  test('mounts table from the kernel', () => {
    const table = 'tmpfs /tmp tmpfs rw,nosuid,nodev,relatime 0 0\n/dev/sdb1 /media/usb\\040stick vfat rw,noexec 0 0\n';
    const doc = parseMountsTable(table);
    const found = doc.lines.filter((line): line is FstabEntry => line.kind === 'entry');
    assert.equal(found[1]?.file, '/media/usb stick');
    assert.equal(doc.path, '/proc/mounts');
  });
});

function findmntVerify(source: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-fstab-'));
  tempDirs.push(dir);
  const file = path.join(dir, 'fstab');
  fs.writeFileSync(file, source);
  const result = spawnSync('findmnt', ['--verify', '--tab-file', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const hasFindmnt = spawnSync('findmnt', ['--version']).status === 0;

describe('parseFstab against findmnt --verify', { skip: !hasFindmnt && 'findmnt not installed' }, () => {
  test('good file passes both', () => {
    const source = 'proc /proc proc defaults 0 0\ntmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0\n# c\n';
    const result = findmntVerify(source);
    assert.equal(result.status, 0, result.output);
    assert.deepEqual(parseFstab(source, '/etc/fstab').diagnostics, []);
  });

  test('broken lines fail in both', () => {
    const source = [
      'proc /proc proc defaults 0 0',
      'tmpfs /mnt/a',
      '/dev/x /y ext4 defaults x 0',
      '/dev/z /mnt/my disk ext4 defaults 0 0',
      '',
    ].join('\n');
    const result = findmntVerify(source);
    assert.notEqual(result.status, 0);
    const findmntLines = [...result.output.matchAll(/parse error at line (\d+)/g)].map((match) => Number(match[1]));
    const ourLines = [...new Set(parseFstab(source, '/etc/fstab').diagnostics.map((d) => d.line))];
    assert.deepEqual(ourLines, [2, 3, 4]);
    assert.deepEqual(ourLines, findmntLines);
  });

  test('trailing comment passes both', () => {
    const source = 'proc /proc proc defaults 0 0 # kernel\ntmpfs\t/tmp\ttmpfs\tdefaults,exec\t0\t0\t# scratch\n';
    const result = findmntVerify(source);
    assert.equal(result.status, 0, result.output);
    assert.deepEqual(parseFstab(source, '/etc/fstab').diagnostics, []);
  });

  test('escapes decode as in findmnt', () => {
    const source = 'LABEL=My\\040Disk /mnt/a\\040b\\011c vfat defaults 0 2\n/dev/q /mnt/q ext4 context="a,b",nodev 0 0\n';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-fstab-'));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'fstab'), source);
    const result = spawnSync('findmnt', ['--tab-file', path.join(dir, 'fstab'), '-J', '-o', 'SOURCE,TARGET,VFS-OPTIONS,FS-OPTIONS'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const listed = (JSON.parse(result.stdout) as { filesystems: Record<string, string | null>[] }).filesystems;
    const ours = entries(source);
    assert.deepEqual(
      ours.map((entry) => [entry.spec, entry.file]),
      listed.map((mounted) => [mounted.source, mounted.target]),
    );
    assert.deepEqual(ours[1]?.options, [listed[1]?.['fs-options'], listed[1]?.['vfs-options']]);
  });

  test('corpus has no parse errors in findmnt', () => {
    const result = findmntVerify(fs.readFileSync(corpusFile, 'utf8'));
    assert.doesNotMatch(result.output, /parse error at line/);
  });
});

const blank = fc.constantFrom(' ', '\t', '  ', ' \t ');
const edge = fc.constantFrom('', ' ', '\t');
const word = fc.stringMatching(/^[A-Za-z0-9_=:/.,-]{1,12}$/).map((value) => value.replace(/^#/, 'x'));
const entryLine = fc
  .tuple(edge, fc.array(fc.tuple(word, blank), { minLength: 4, maxLength: 6 }), edge)
  .map(([start, pairs, end]) => start + pairs.map(([w, b], i) => (i === pairs.length - 1 ? w : w + b)).join('') + end);
const anyLine = fc.oneof(entryLine, fc.tuple(edge, fc.stringMatching(/^[^\r\n]{0,20}$/)).map(([a, b]) => `${a}#${b}`), edge, fc.stringMatching(/^[^\r\n]{0,30}$/));

describe('parseFstab properties', () => {
  test('serialize returns the input', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyLine, fc.constantFrom('\n', '\r\n'))), fc.boolean(), (pairs, finalNewline) => {
        let source = pairs.map(([l, e]) => l + e).join('');
        if (!finalNewline) source = source.replace(/\r?\n$/, '');
        assert.equal(serializeFstab(parseFstab(source, '/etc/fstab')), source);
      }),
    );
  });

  test('generated entries parse', () => {
    fc.assert(
      fc.property(entryLine, (line) => {
        const doc = parseFstab(`${line}\n`, '/etc/fstab');
        assert.equal(doc.lines[0]?.kind, 'entry');
        const entry = doc.lines[0] as FstabEntry;
        assert.equal(entry.separators.length, entry.fields.length + 1);
        assert.equal(entry.separators[0] + entry.fields.map((f, i) => f.raw + entry.separators[i + 1]).join(''), line);
      }),
    );
  });
});
