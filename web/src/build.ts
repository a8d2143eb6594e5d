/**
 * Bundles the chat page (web/src/app.ts and its libraries) into web/public/dist/ with esbuild; run by
 * infra/web.sh (make up, make test). The output is git-ignored: a fresh clone builds it, nothing generated is
 * committed. `--watch` rebuilds on change during development.
 */
import { build, context, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const options: BuildOptions = {
  absWorkingDir: root,
  entryPoints: ['src/app.ts'],
  outdir: 'public/dist',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // sockjs-client reads Node's `global`.
  define: { global: 'globalThis' },
};

if (process.argv.includes('--watch')) {
  await (await context(options)).watch();
  console.log('watching web/src …');
} else {
  const started = performance.now();
  await build(options);
  console.log(`web: built web/public/dist/app.js in ${Math.round(performance.now() - started)} ms`);
}
