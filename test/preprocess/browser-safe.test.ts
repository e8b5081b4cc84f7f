import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Specifiers a file imports at run time (type-only imports and exports are erased, so they do not count). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
    if (!match[2]) specifiers.push(match[3]);
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g)) specifiers.push(match[1]);
  return specifiers;
}

/** Every module reachable at run time from src/preprocess/index.ts: local files and package or built-in names. */
function reachable(): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  visit(join(SRC, 'preprocess/index.ts'));
  return { files: [...files].map((f) => relative(SRC, f)).sort(), packages: [...packages].sort() };
}

describe('src/preprocess', () => {
  it('needs no Node API or package at run time, so a browser can run it', () => {
    const { files, packages } = reachable();
    expect(packages).toEqual([]);
    expect(files.filter((f) => !f.startsWith('preprocess/'))).toEqual(['util/hash.ts', 'util/index.ts', 'util/random.ts', 'util/url.ts']);
  });

  it('sees through a type-only import but not through a plain one', () => {
    const file = join(SRC, 'preprocess/model-input.ts');
    expect(readFileSync(file, 'utf8')).toMatch(/^import type \{ RawImage \} from '\.\.\/data\/index\.ts';$/m);
    expect(runtimeImports(file)).not.toContain('../data/index.ts');
    expect(runtimeImports(join(SRC, 'io/index.ts'))).toContain('./atomic.ts');
  });
});
