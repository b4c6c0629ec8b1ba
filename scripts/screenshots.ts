/**
 * Regenerates the README screenshots of the live demo (docs/img/demo-{classify,detect,segment}.png):
 * Debian chromium with a fake camera playing a real photo (see test/helpers/demo_page.ts),
 * WebGPU backend, one screenshot per task once two frames have been drawn, written as
 * 8-bit indexed PNGs (scripts/png_palette.ts) to keep them small.
 *   npx tsx scripts/screenshots.ts [OUT_DIR=docs/img]     (or: npm run screenshots)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { shrinkPng } from './png_palette.js';
import { startDemoServer } from '../test/helpers/browser.js';
import { fakeCameraVideo, launchDemoBrowser, openDemo, waitForDemo } from '../test/helpers/demo_page.js';

const out = process.argv[2] ?? 'docs/img';
const backend = process.env.SCREENSHOT_BACKEND ?? 'webgpu';
const shots = [
  { task: 'classify', photo: 'chelsea.png' },
  { task: 'detect', photo: 'messi5.jpg' },
  { task: 'segment', photo: 'astronaut.png' },
];

mkdirSync(out, { recursive: true });
mkdirSync('test-results/screenshots', { recursive: true });
const { server, url } = await startDemoServer();
try {
  for (const s of shots) {
    const video = fakeCameraVideo(s.photo, 'test-results/screenshots', 640, 480);
    const browser = await launchDemoBrowser({ webgpu: true, video });
    try {
      const { page } = await openDemo(browser, url, `task=${s.task}&backend=${backend}`, { viewport: { width: 1100, height: 640 } });
      const st = await waitForDemo(page, (d) => d.frames >= 2 || d.phase === 'error', `${s.task}: two frames`, 300_000);
      if (st.phase === 'error') throw new Error(`${s.task}: ${st.messages.join('; ')}`);
      await page.waitForTimeout(1500); // let the HUD's rates settle
      const file = `${out}/demo-${s.task}.png`;
      const png = shrinkPng(await page.screenshot());
      writeFileSync(file, png);
      console.log(`${file}: ${(png.length / 1024).toFixed(0)} KiB (${st.backend}, ${st.framePath})`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
