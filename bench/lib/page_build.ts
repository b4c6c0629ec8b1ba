/**
 * Builds the bench page with its own Vite config (bench/page/vite.config.ts), skipping the
 * build when no source it depends on changed; and renders the report chart to PNG in
 * chromium (an SVG screenshot).
 */
import { readdirSync, statSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { launchBenchBrowser } from './browser_jobs.js';

const OUT = 'bench/results/tmp/page-dist';
const SOURCES = ['bench/page', 'bench/lib', 'bench/peers', 'src', 'package-lock.json'];

function walk(p: string, acc: string[]): void {
  if (!existsSync(p)) return;
  const st = statSync(p);
  if (st.isFile()) acc.push(`${p}:${st.size}:${st.mtimeMs}`);
  else if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(path.join(p, e), acc);
}

export async function buildPage(log: (s: string) => void): Promise<void> {
  const acc: string[] = [];
  for (const s of SOURCES) walk(s, acc);
  const hash = createHash('sha256').update(acc.join('\n')).digest('hex');
  const stampFile = path.join(OUT, '.stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash && existsSync(path.join(OUT, 'index.html'))) return;
  const t0 = performance.now();
  const { build } = await import('vite');
  await build({ configFile: 'bench/page/vite.config.ts', logLevel: 'warn' });
  writeFileSync(stampFile, hash);
  log(`built the bench page in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export async function renderPng(svg: string, file: string): Promise<void> {
  const browser = await launchBenchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').first().screenshot({ path: file });
  } finally {
    await browser.close();
  }
}
