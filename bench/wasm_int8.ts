/**
 * npm run bench:int8 — the int8 path against the float path on the same quantized .tflite file
 * (default the official uint8 MobileNetV3-Small), per kernel class: ms (sum of per-step minima
 * over 30 runs; int8: medians) and GMAC/s (int8 MACs are integer multiply-adds, 2 ops each), at
 * 1 and 2 threads, in Node (this process) and in headless chromium (the demo's dev server
 * serves the sources; the page is cross-origin isolated, so its timer has 5 us resolution and
 * threads work). Then whole runs interleaved (min and median of 200). Not a test.
 * Writes bench/results/wasm-int8-kernels.md.
 * Options: --file PATH.tflite, --no-browser, --threads 1,2
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from '../src/cli/args.js';
import { profileInt8 } from './page_int8/profile.js';

// --no-browser is this script's own switch (the CLI parser takes --key value pairs)
const noBrowser = process.argv.includes('--no-browser');
const args = parseArgs(process.argv.slice(2).filter((a) => a !== '--no-browser'));
const file = String(args.flags.get('file') ?? '../shared/models/v3-small_224_1.0_uint8.tflite');
const threadList = String(args.flags.get('threads') ?? '1,2').split(',').map(Number);
const bytes = new Uint8Array(readFileSync(file));
const name = file.replace(/^.*\//, '');
const lines: string[] = [`# int8 vs float kernels: ${name}`, '', `${new Date().toISOString()}, ${os.cpus()[0]?.model ?? 'cpu'} x ${os.cpus().length}`, ''];
const report = (where: string, r: Awaited<ReturnType<typeof profileInt8>>): void => {
  lines.push(`## ${where}`, '', '| threads | path | kernel class | ms | GMAC/s |', '|---|---|---|---|---|');
  for (const t of r) {
    for (const [path, rows] of [['float', t.float], ['int8', t.int8]] as const) {
      for (const k of rows) lines.push(`| ${t.threads} | ${path} | ${k.kernel} | ${k.ms.toFixed(3)} | ${k.macs ? (k.macs / k.ms / 1e6).toFixed(1) : ''} |`);
      lines.push(`| ${t.threads} | ${path} | **sum of steps** | **${rows.reduce((a, k) => a + k.ms, 0).toFixed(2)}** | |`);
    }
    lines.push(`| ${t.threads} | whole run | float min / median | ${t.whole.float[0].toFixed(2)} / ${t.whole.float[1].toFixed(2)} | |`);
    lines.push(`| ${t.threads} | whole run | int8 min / median | ${t.whole.int8[0].toFixed(2)} / ${t.whole.int8[1].toFixed(2)} | float / int8 (min): ${(t.whole.float[0] / t.whole.int8[0]).toFixed(2)}x |`);
  }
  lines.push('');
};

const node = await profileInt8(bytes, name, threadList, '../../src/');
report(`Node ${process.version}`, node);

if (!noBrowser) {
  const { startDemoServer, launchChromium } = await import('../test/helpers/browser.js');
  const { server, url } = await startDemoServer({ frozen: true });
  const browser = await launchChromium(false);
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const root = `/@fs${process.cwd()}/`;
    const b64 = Buffer.from(bytes).toString('base64');
    const r = (await page.evaluate(
      `(async () => { const m = await import(${JSON.stringify(root + 'bench/page_int8/profile.ts')}); ` +
        `const b = Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0)); ` +
        `return m.profileInt8(b, ${JSON.stringify(name)}, ${JSON.stringify(threadList)}, ${JSON.stringify(root + 'src/')}); })()`,
    )) as Awaited<ReturnType<typeof profileInt8>>;
    report(`chromium ${browser.version()}`, r);
  } finally {
    await browser.close();
    await server.close();
  }
}
writeFileSync('bench/results/wasm-int8-kernels.md', lines.join('\n') + '\n');
console.log(lines.join('\n'));
process.exit(0);
