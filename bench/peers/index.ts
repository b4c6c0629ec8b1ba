/**
 * Registers every runner family with the job (lazily: a job imports only the peer it runs).
 * Imported for its effect by the entry points, bench/page/main.ts and bench/node_worker.ts.
 */
import { registerRunner } from '../lib/job.js';

registerRunner('ours', async () => (await import('./run_ours.js')).createOursRunner);
registerRunner('tfjs', async () => (await import('./run_tfjs.js')).createTfjsRunner);
registerRunner('ort', async () => (await import('./run_ort.js')).createOrtRunner);
registerRunner('litert', async () => (await import('./run_litert.js')).createLitertRunner);
registerRunner('mediapipe', async () => (await import('./run_mediapipe.js')).createMediapipeRunner);
