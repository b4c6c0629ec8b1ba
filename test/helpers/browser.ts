/**
 * Shared e2e plumbing: a Vite dev server for demo/ on 127.0.0.1 and Debian's chromium driven
 * by Playwright (never `playwright install`: it downloads).
 */
import { createServer, type ViteDevServer } from 'vite';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright';
import { SWIFTSHADER_ICD } from '../../src/backends/webgpu/device.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `frozen`: no file watching and no HMR (long runs must not reload when a source file changes) */
export async function startDemoServer(opts: { frozen?: boolean } = {}): Promise<{ server: ViteDevServer; url: string }> {
  const frozen = opts.frozen ? { hmr: false, watch: null } : {};
  const server = await createServer({ configFile: 'vite.config.ts', server: { port: 0, host: '127.0.0.1', ...frozen }, logLevel: 'error' });
  await server.listen();
  const addr = server.httpServer!.address();
  if (!addr || typeof addr === 'string') throw new Error('vite: no address');
  return { server, url: `http://127.0.0.1:${addr.port}/` };
}

/**
 * Presenting a WebGPU canvas works in this headless chromium on SwiftShader only with ANGLE on
 * Vulkan: with the default GL compositor the device is lost at the first present ("A valid
 * external Instance reference no longer exists").
 */
export const CANVAS_ARGS = ['--use-angle=vulkan', '--enable-features=Vulkan'];

/**
 * The environment for chromium with CANVAS_ARGS: ANGLE's Vulkan needs a Vulkan driver, and the
 * one that works here is chromium's own SwiftShader ICD (the system's mesa ICDs find no device
 * and the canvas device is destroyed at the first present).
 */
export function canvasEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return env;
}

/** `canvas`: also CANVAS_ARGS (and canvasEnv), for tests that present WebGPU canvases (checked by screenshots) */
export async function launchChromium(webgpu: boolean, opts: { canvas?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...(opts.canvas ? CANVAS_ARGS : [])],
    ...(opts.canvas ? { env: canvasEnv() } : {}),
  });
}
