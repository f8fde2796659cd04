#!/usr/bin/env node
// Entry point of the `worksample` command: loads TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli/main.ts');
