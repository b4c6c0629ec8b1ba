/**
 * Loopback static server for the bench page, with COOP/COEP (cross-origin isolation, so
 * SharedArrayBuffer and therefore wasm threads exist for TF.js wasm and ORT wasm). Routes
 * are prefixes mapped to directories; nothing is fetched from outside 127.0.0.1:
 *   /               -> the built page (bench/results/tmp/page-dist)
 *   /wasm/tfjs/     -> node_modules/@tensorflow/tfjs-backend-wasm/dist
 *   /wasm/ort/      -> node_modules/onnxruntime-web/dist
 *   others given by the caller (/prepared/: prepared assets, /files/<model>/: real model files).
 */
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  url: string;
  /** URL of a file under one of the routes */
  urlFor(file: string): string;
  close(): Promise<void>;
}

/** routes: URL prefix (starting and ending with '/') -> directory */
export async function startStaticServer(routes: Record<string, string>): Promise<StaticServer> {
  const entries = Object.entries(routes)
    .map(([prefix, dir]) => [prefix, path.resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (pathname === '/') pathname = '/index.html';
    const route = entries.find(([prefix]) => pathname.startsWith(prefix));
    const file = route ? path.resolve(route[1], pathname.slice(route[0].length)) : null;
    if (!route || !file || !file.startsWith(route[1] + path.sep)) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': String(size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('static server: no address');
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    urlFor(file: string): string {
      const abs = path.resolve(file);
      const route = entries.find(([, dir]) => abs.startsWith(dir + path.sep));
      if (!route) throw new Error(`${file} is not under any served directory`);
      return route[0] + path.relative(route[1], abs).split(path.sep).map(encodeURIComponent).join('/');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
