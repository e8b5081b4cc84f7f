// A child process cannot load TypeScript by itself: register tsx, then import the child's code.
import { register } from 'tsx/esm/api';

register();
await import('./training-child.ts');
