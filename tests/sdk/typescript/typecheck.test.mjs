// The SDK's declarations (dist/*.d.ts) type-check a typical TypeScript program (typecheck_usage.ts) under
// --strict with the npm asset dir's tsc, and the lines marked @ts-expect-error are exactly the ones that fail.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {SDK_DIR, tempDir} from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(process.env.CATENA_ASSET_DIR || path.join(os.homedir(), '.cache/catena/assets'),
    'node_modules');

async function typecheck(source) {
  const dir = tempDir('catena-ts-typecheck-');
  fs.writeFileSync(path.join(dir, 'usage.ts'), source);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {strict: true, noEmit: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node',
      types: ['node'], typeRoots: [path.join(modules, '@types')], baseUrl: dir, skipLibCheck: true,
      paths: {'@catena/client': [path.join(SDK_DIR, 'dist/index.d.ts')], '*': [path.join(modules, '*')]}},
    files: [path.join(dir, 'usage.ts')],
  }));
  try {
    await promisify(execFile)(process.execPath, [path.join(modules, 'typescript/bin/tsc'), '-p', dir],
        {timeout: 60_000});
    return '';
  } catch (error) {
    return String(error.stdout || error.message);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

test('a typical TypeScript program type-checks against the declarations, wrong calls do not', async () => {
  // One tsc run: with the @ts-expect-error markers turned into comments, exactly the marked lines fail.
  const usage = fs.readFileSync(path.join(here, 'typecheck_usage.ts'), 'utf8');
  const lines = usage.split('\n');
  const expected = lines.flatMap((line, i) => (line.includes('// @ts-expect-error') ? [i + 2] : []));
  assert.equal(expected.length, 3);
  const errors = await typecheck(usage.replaceAll('// @ts-expect-error', '// expected error:'));
  const reported = [...errors.matchAll(/usage\.ts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1]));
  assert.deepEqual(reported, expected, errors);
});
