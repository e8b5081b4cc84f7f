/** Files written whole or not at all (temp file or folder, then rename): Node only, unlike src/util. */
export { writeDirAtomically, writeFileAtomically } from './atomic.ts';
