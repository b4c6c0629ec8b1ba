#!/usr/bin/env node
/**
 * `npm run demo` (and `npm run main`): builds the live camera demo (demo/ -> dist/demo) and
 * serves it on 127.0.0.1 with its models, labels and sample photos (vite.config.ts maps
 * /models, /labels and /images to ../shared and .cache/assets; nothing is fetched from the
 * internet). Options: --port N (default 4173, the next free one if taken), --no-build.
 */
import { build, preview } from 'vite';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PORT ?? 4173);

if (!existsSync('.cache/assets') || !existsSync('../shared/models')) {
  console.warn('[demo] model files are missing (.cache/assets or ../shared/models): run `bash scripts/setup.sh` first, or load your own model files in the page.');
}
if (!args.includes('--no-build') || !existsSync('dist/demo/index.html')) {
  console.log('[demo] building demo/ -> dist/demo ...');
  await build({ configFile: 'vite.config.ts', logLevel: 'warn' });
}
const server = await preview({ configFile: 'vite.config.ts', preview: { host: '127.0.0.1', port, strictPort: false } });
console.log('\n  mobilenetv3-webgpu live camera demo:');
server.printUrls();
console.log(
  '\n  Open the URL in Chrome/Edge (WebGPU) or any browser (CPU path). The camera needs this\n' +
    '  http://127.0.0.1 address (or https). No camera? Drop an image on the page.\n' +
    '  core check page: /core.html    stop: Ctrl+C\n',
);
