#!/usr/bin/env node
// Generate the file tree that the scan benchmark walks: DIR/t00..t09/m00..m09/l000..l099, each
// leaf directory holding 99 empty files, 1,000,114 entries below DIR in all (with DIR/etc and
// the marker). One file in 1,000 gets SUID, one in 1,000 is world-writable and one in 1,000
// has an owner that no account has, so every list of the scan has entries to report.
// DIR/etc/passwd and DIR/etc/group know root only, so the orphan check runs as on a real root
// file system. A finished tree has DIR/.complete and is reused; an interrupted one is removed
// and made again.
//
// Usage: node scripts/make-bench-tree.mjs DIR
import * as fs from 'node:fs';
import * as path from 'node:path';

const TOP = 10;
const MIDDLE = 10;
const LEAVES = 100;
const FILES_PER_LEAF = 99;
const ORPHAN_ID = 424242;

const dir = process.argv[2];
if (dir === undefined || process.argv.length > 3) {
  process.stderr.write('usage: node scripts/make-bench-tree.mjs DIR\n');
  process.exit(2);
}
const marker = path.join(dir, '.complete');
if (fs.existsSync(marker)) {
  process.stdout.write(`make-bench-tree: ${dir} is already complete\n`);
  process.exit(0);
}
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');

const two = (n) => String(n).padStart(2, '0');
const three = (n) => String(n).padStart(3, '0');
let entries = 3;
let fileNumber = 0;
for (let t = 0; t < TOP; t++) {
  for (let m = 0; m < MIDDLE; m++) {
    for (let l = 0; l < LEAVES; l++) {
      const leaf = path.join(dir, `t${two(t)}`, `m${two(m)}`, `l${three(l)}`);
      fs.mkdirSync(leaf, { recursive: true });
      for (let f = 0; f < FILES_PER_LEAF; f++) {
        const file = path.join(leaf, `file${two(f)}`);
        fs.closeSync(fs.openSync(file, 'w', 0o644));
        fileNumber++;
        if (fileNumber % 1000 === 1) fs.chmodSync(file, 0o4755);
        else if (fileNumber % 1000 === 2) fs.chmodSync(file, 0o666);
        else if (fileNumber % 1000 === 3) fs.chownSync(file, ORPHAN_ID, ORPHAN_ID);
      }
      entries += FILES_PER_LEAF + 1;
    }
    entries += 1;
  }
  entries += 1;
}
// The marker is an entry too.
entries += 1;
fs.writeFileSync(marker, `${entries}\n`);
process.stdout.write(`make-bench-tree: ${entries} entries under ${dir}\n`);
