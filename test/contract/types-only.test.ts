import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CONTRACT_DIR = fileURLToPath(new URL('../../src/contract', import.meta.url));

/** Statements that bring in or re-export modules: `import … from '…'`, `export … from '…'`, bare `import '…'`. */
function moduleStatements(source: string): string[] {
  return [...source.matchAll(/^(?:import|export)\b[^;']*\bfrom\s+'[^']+';|^import\s+'[^']+';/gm)].map((match) => match[0].replace(/\s+/g, ' '));
}

describe('src/contract', () => {
  const files = readdirSync(CONTRACT_DIR).filter((file) => file.endsWith('.ts'));

  it('holds types only, importing nothing at run time, so that the browser bundle can import it', () => {
    expect(files).toContain('index.ts');
    for (const file of files) {
      const source = readFileSync(join(CONTRACT_DIR, file), 'utf8');
      for (const statement of moduleStatements(source)) {
        expect(statement, `${file}: ${statement}`).toMatch(/^(?:import|export) type \{[^}]*\} from '\.\/[\w-]+\.ts';$/);
      }
      expect(source, file).not.toMatch(/^export (?:const|let|var|function|class|enum)\b/m);
    }
  });
});
