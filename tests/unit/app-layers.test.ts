/**
 * The dependency rule of src/ (docs/architecture.md), as .dependency-cruiser.cjs declares it: layers import
 * only downwards, and nothing is circular. dependency-cruiser reads the .ts modules; the <script> blocks of
 * .svelte files (which it cannot parse when they are TypeScript) are read here with the same layer table.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions } from 'dependency-cruiser';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const config = createRequire(import.meta.url)(path.join(ROOT, '.dependency-cruiser.cjs')) as {
  forbidden: ICruiseOptions['ruleSet'] extends infer R ? (R extends { forbidden?: infer F } ? F : never) : never;
  options: Record<string, unknown>;
};

/** Rule violations dependency-cruiser finds under `dir` (relative to `cwd`), as "rule: from → to" lines. */
async function violations(cwd: string, dir: string): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const result = await cruise([dir], {
      ...config.options,
      tsConfig: undefined,
      ruleSet: { forbidden: config.forbidden },
      validate: true,
    } as ICruiseOptions);
    const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

test('src/ keeps the layer rule and has no cycles (dependency-cruiser)', async () => {
  assert.deepEqual(await violations(ROOT, 'src'), []);
});

test('the rule catches a cycle and a wrong-way import in a scratch tree', async () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'dlnet-layers-'));
  try {
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
      writeFileSync(path.join(scratch, file), text);
    };
    write('src/engine/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write('src/engine/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    write('src/engine/up.ts', "import { x } from '../server/x.js';\nexport const up = x;\n");
    write('src/server/x.ts', 'export const x = 1;\n');
    const found = await violations(scratch, 'src');
    assert.ok(found.some((v) => v.startsWith('no-circular: src/engine/a.ts')), found.join('\n'));
    assert.ok(found.some((v) => v === 'engine-imports-only-base: src/engine/up.ts → src/server/x.ts'), found.join('\n'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

const SVELTE_LAYER_ALLOWS = ['renderer', 'api', 'base', 'npm:svelte', 'npm:konva'];

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? svelteFiles(full) : name.endsWith('.svelte') ? [full] : [];
  });
}

/** Every module a file names: static and side-effect imports, re-exports, dynamic import() and require(). */
function specifiers(text: string): string[] {
  const pattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function layerOf(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return `npm:${specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]}`;
  return path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(file), specifier)).split(path.sep)[0];
}

test('the .svelte components import only renderer, api, base, svelte and konva', () => {
  const wrong = svelteFiles(path.join(ROOT, 'src/renderer')).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8'))
      .filter((s) => !SVELTE_LAYER_ALLOWS.includes(layerOf(file, s)) && !s.startsWith('svelte/'))
      .map((s) => `${path.relative(ROOT, file)} imports ${s}`),
  );
  assert.deepEqual(wrong, []);
});

test('the .svelte import reader sees side-effect, dynamic and require imports', () => {
  const text = "import './a.css';\nimport x from '../../engine/x.js';\nconst y = await import('node:fs');\nrequire('electron');";
  assert.deepEqual(specifiers(text), ['./a.css', '../../engine/x.js', 'node:fs', 'electron']);
});
