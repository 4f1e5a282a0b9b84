import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Ajv from 'ajv';
import { runAudit } from '../../src/engine/audit.js';
import { reportToJson } from '../../src/report/json.js';
import { openTarget } from '../../src/target/target.js';
import { HARDENED_TREE, WEAK_TREE, makeTree, removeTree } from '../helpers/fixture.js';
import { repoRoot } from '../helpers/trees.js';

describe('json report', () => {
  const roots: string[] = [];
  before(() => {
    roots.push(makeTree(HARDENED_TREE), makeTree(WEAK_TREE));
  });
  after(() => roots.forEach(removeTree));

  test('matches the documented schema', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, 'docs/report-schema.json'), 'utf8')) as object;
    const validate = new Ajv.default({ allErrors: true }).compile(schema);
    for (const root of roots) {
      for (const lang of ['en', 'ja'] as const) {
        const report = reportToJson(runAudit(openTarget({ root }), { level: 3 }), lang);
        assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 3)));
      }
    }
  });
});
