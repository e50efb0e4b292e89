#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so the installed command needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/kioskctl.ts');
