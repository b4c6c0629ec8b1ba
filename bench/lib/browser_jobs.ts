/**
 * Runs jobs in Debian's chromium (headless, Playwright; never `playwright install`): every
 * job gets a freshly launched browser and a new page, so no configuration inherits another's
 * GPU process, compiled shaders, wasm instances or memory. The same flags for every job:
 * WebGPU enabled (SwiftShader where there is no GPU) with developer features (unquantized
 * timestamp queries, adapter description).
 */
import { chromium, type Browser } from 'playwright';
import { CHROMIUM_ARGS } from '../../test/helpers/browser.js';
import type { Job, JobResult } from './types.js';

export const BENCH_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--enable-unsafe-webgpu', '--enable-webgpu-developer-features'];

export async function launchBenchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: BENCH_CHROMIUM_ARGS });
}

export interface BrowserEnv {
  browser: string;
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  adapter: Record<string, string> | null;
  adapterFeatures: string[];
  webgl: string | null;
  flags: string[];
}

interface BenchWindow {
  __bench?: { run(job: Job): Promise<JobResult>; env(): Promise<Omit<BrowserEnv, 'browser' | 'flags'>> };
}

async function openPage(browser: Browser, url: string, logs: string[]): Promise<import('playwright').Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logs.push(`[${m.type()}] ${m.text().slice(0, 500)}`);
  });
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message.slice(0, 500)}`));
  await page.goto(url);
  await page.waitForFunction(() => !!(window as BenchWindow).__bench, undefined, { timeout: 60_000 });
  return page;
}

export async function browserEnv(url: string): Promise<BrowserEnv> {
  const browser = await launchBenchBrowser();
  try {
    const page = await openPage(browser, url, []);
    const e = await page.evaluate(() => (window as BenchWindow).__bench!.env());
    return { browser: `chromium ${browser.version()}`, flags: BENCH_CHROMIUM_ARGS, ...e };
  } finally {
    await browser.close();
  }
}

export async function runJobInBrowser(url: string, job: Job, timeoutMs: number): Promise<JobResult> {
  const logs: string[] = [];
  const browser = await launchBenchBrowser();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const page = await openPage(browser, url, logs);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`job timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const r = await Promise.race([page.evaluate((j) => (window as BenchWindow).__bench!.run(j), job), timeout]);
    return { ...r, logs };
  } catch (e) {
    return { configId: job.config.id, modelId: job.model.id, repeat: job.repeat, status: 'error', message: (e as Error).message.split('\n')[0], info: {}, logs };
  } finally {
    clearTimeout(timer);
    await browser.close().catch(() => undefined);
  }
}
