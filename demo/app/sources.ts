/**
 * Model specs (a built-in entry, files the user picked, or a URL) -> ModelSource, with
 * errors that name the file and what to do. Runs wherever the engine runs (worker or page).
 */
import { importTflite, importTfjs, importOnnx, ssdlite, lraspp, type ModelSource } from '../../src/index.js';
import { entry } from './catalogue.js';

export type ModelSpec =
  | { kind: 'builtin'; id: string; resolution?: number }
  | { kind: 'files'; files: { name: string; bytes: ArrayBuffer }[]; resolution?: number }
  | { kind: 'url'; url: string; resolution?: number };

export const specKey = (s: ModelSpec): string => {
  switch (s.kind) {
    case 'builtin':
      return `builtin:${s.id}@${s.resolution ?? ''}`;
    case 'files':
      return `files:${s.files.map((f) => `${f.name}:${f.bytes.byteLength}`).join(',')}@${s.resolution ?? ''}`;
    case 'url':
      return `url:${s.url}@${s.resolution ?? ''}`;
    default: {
      const never: never = s;
      throw new Error(`unknown model spec ${JSON.stringify(never)}`);
    }
  }
};

const base = (p: string): string => p.replace(/^.*[\\/]/, '');

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: could not fetch ${url} (${(e as Error).message})`);
  }
  if (!r.ok) {
    const hint = r.status === 404 && url.startsWith('/models/') ? ' — the file is missing on this server: run `bash scripts/setup.sh` (fetches the models), or load your own copy with "load model"' : '';
    throw new Error(`${what}: ${url} answered HTTP ${r.status}${hint}`);
  }
  return new Uint8Array(await r.arrayBuffer());
}

/** resolution option for importers that take one (TF.js graphs with dynamic input, ONNX) */
const sizeOpts = (res?: number): { inputHeight?: number; inputWidth?: number } => (res ? { inputHeight: res, inputWidth: res } : {});

/** A file by its extension; `others` resolves TF.js weight shards by name. */
function importByName(name: string, bytes: Uint8Array, shard: (path: string) => Uint8Array, resolution?: number): ModelSource {
  if (/\.tflite$/i.test(name)) return importTflite(bytes, name);
  if (/\.onnx$/i.test(name)) return importOnnx(bytes, name, sizeOpts(resolution));
  if (/\.json$/i.test(name)) return importTfjs(new TextDecoder().decode(bytes), shard, name, sizeOpts(resolution));
  throw new Error(`${name}: not a model file this page knows (.tflite, .onnx, or a TF.js model.json with its .bin files)`);
}

export async function loadSource(spec: ModelSpec, origin: string): Promise<ModelSource> {
  switch (spec.kind) {
    case 'builtin': {
      const e = entry(spec.id);
      if (!e) throw new Error(`unknown built-in model '${spec.id}'`);
      const res = e.resolutions ? (spec.resolution && e.resolutions.includes(spec.resolution) ? spec.resolution : e.defaultResolution) : undefined;
      if (e.format === 'native-ssdlite') return ssdlite({ size: 'large', resolution: res, seed: 1 });
      if (e.format === 'native-lraspp') return lraspp({ size: 'large', resolution: res, seed: 1, logits: false });
      return loadSource({ kind: 'url', url: new URL(e.url!, origin).href, resolution: res }, origin);
    }
    case 'url': {
      const url = new URL(spec.url, origin).href;
      const name = base(new URL(url).pathname) || url;
      const bytes = await fetchBytes(url, name);
      if (!/\.json$/i.test(name)) return importByName(name, bytes, () => new Uint8Array(), spec.resolution);
      // TF.js: fetch the shards listed in the manifest, relative to model.json
      let manifest: { weightsManifest?: { paths?: string[] }[] };
      try {
        manifest = JSON.parse(new TextDecoder().decode(bytes)) as typeof manifest;
      } catch (e) {
        throw new Error(`${name}: is not valid JSON (${(e as Error).message})`);
      }
      const shards = new Map<string, Uint8Array>();
      for (const p of (manifest.weightsManifest ?? []).flatMap((m) => m.paths ?? [])) {
        shards.set(p, await fetchBytes(new URL(p, url).href, `${name} weights`));
      }
      return importByName(name, bytes, (p) => shards.get(p) ?? new Uint8Array(), spec.resolution);
    }
    case 'files': {
      const files = new Map(spec.files.map((f) => [base(f.name), new Uint8Array(f.bytes)]));
      const names = [...files.keys()];
      const main = names.find((n) => /\.(tflite|onnx)$/i.test(n)) ?? names.find((n) => /\.json$/i.test(n));
      if (!main) throw new Error(`none of the selected files (${names.join(', ')}) is a model: pick a .tflite, a .onnx, or a TF.js model.json together with its .bin files`);
      const shard = (p: string): Uint8Array => {
        const b = files.get(base(p));
        if (!b) throw new Error(`'${base(p)}' is not among the selected files (${names.join(', ')}): select model.json together with all its .bin files`);
        return b;
      };
      return importByName(main, files.get(main)!, shard, spec.resolution);
    }
    default: {
      const never: never = spec;
      throw new Error(`unknown model spec ${JSON.stringify(never)}`);
    }
  }
}
