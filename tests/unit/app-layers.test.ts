/** The dependency rule for the app's folders (docs/architecture.md §2), checked on the import statements. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.(ts|svelte)$/.test(name) ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2],
  );
}

/** The src/ folder an import lands in, or the npm package name. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith('.'))
    return `npm:${specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]}`;
  return path.relative(SRC, path.resolve(path.dirname(file), specifier)).split(path.sep)[0];
}

const RULES: Record<string, (to: string) => boolean> = {
  api: (to) => to === 'api',
  renderer: (to) => ['renderer', 'api', 'npm:svelte', 'npm:konva'].includes(to),
  preload: (to) => ['api', 'npm:electron'].includes(to),
  server: (to) => !['main', 'renderer', 'preload', 'cli'].includes(to) && to !== 'npm:electron',
  main: (to) => !['renderer', 'preload', 'cli'].includes(to),
};

test('api, renderer, preload, server and main import only what docs/architecture.md §2 allows', () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(RULES)) {
    for (const file of files(path.join(SRC, folder))) {
      for (const specifier of imports(file)) {
        const to = target(file, specifier);
        if (to.startsWith('npm:node') || specifier.startsWith('node:')) {
          if (folder === 'renderer' || folder === 'api' || folder === 'preload')
            violations.push(`${path.relative(SRC, file)} imports ${specifier}`);
          continue;
        }
        if (to !== folder && !allowed(to)) violations.push(`${path.relative(SRC, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
