// After tsc: make the CLI entry executable (npm also sets the bit for `bin` on install).
import { chmodSync, existsSync } from 'node:fs';
const cli = 'dist/src/cli/main.js';
if (!existsSync(cli)) throw new Error(`${cli} was not built`);
chmodSync(cli, 0o755);
console.log('built dist/ (CLI: dist/src/cli/main.js)');
