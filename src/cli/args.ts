/** Minimal argv parsing for the CLI: positionals, `--flag`, `--key value`, `--key=value`. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(['json', 'minimalistic', 'no-fuse', 'help']);

export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) flags.set(key, a.slice(eq + 1));
    else if (BOOLEAN_FLAGS.has(key)) flags.set(key, true);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`option --${key} needs a value`);
      flags.set(key, v);
      i++;
    }
  }
  return { positionals, flags };
}

export function numberFlag(a: ParsedArgs, key: string): number | undefined {
  const v = a.flags.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || v === '' || !Number.isFinite(n)) throw new Error(`option --${key}: '${String(v)}' is not a number`);
  return n;
}

/** "224", "160x224" or "160,224" -> number | [h, w] */
export function resolutionFlag(a: ParsedArgs): number | [number, number] | undefined {
  const v = a.flags.get('resolution');
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:[x,](\d+))?$/.exec(String(v));
  if (!m) throw new Error(`option --resolution: '${String(v)}' is not N or HxW`);
  return m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
}
