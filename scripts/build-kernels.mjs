// Compiles the AssemblyScript SIMD kernels (src/engine/asm/*.ts) to build/wasm/*.wasm at install time.
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'src/engine/asm');
const outDir = join(root, 'build/wasm');
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
if (!existsSync(sourceDir)) process.exit(0);
if (!existsSync(asc)) {
  console.error('build-kernels: assemblyscript is not installed; run npm ci');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.ts'))) {
  const out = join(outDir, file.replace(/\.ts$/, '.wasm'));
  execFileSync(process.execPath, [asc, join(sourceDir, file), '--outFile', out, '-O3', '--enable', 'simd',
    '--importMemory', '--runtime', 'stub', '--noAssert'], { stdio: 'inherit' });
  console.log(`build-kernels: ${file} -> ${out}`);
}
