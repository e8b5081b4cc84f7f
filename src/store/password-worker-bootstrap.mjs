// Worker threads cannot load TypeScript by themselves: register tsx, then import the worker.
import { register } from 'tsx/esm/api';

register();
await import('./password-worker.ts');
