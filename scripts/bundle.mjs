// Bundle the command line into dist/bundle/ with esbuild. Loading the compiled modules one by
// one cost about 300 ms of start-up on a 2-core VM; the bundle loads in a few files. Commands stay in
// their own chunks (splitting), so `lint` does not load the audit engine and the other way round.
// Usage: node scripts/bundle.mjs (run by `npm run build` after tsc).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes, so old chunks would pile up; start from an empty folder.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build that requires files by relative path; its ESM build bundles.
  mainFields: ['module', 'main'],
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: { js: "import { createRequire as khCreateRequire } from 'node:module'; const require = khCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
