import pkg from 'onnx-proto';
import { readFileSync } from 'node:fs';
const { onnx } = pkg;
for (const f of process.argv.slice(2)) {
  const m = onnx.ModelProto.decode(readFileSync(f));
  console.log(f, 'ir', String(m.irVersion), 'opset', m.opsetImport.map(o => `${o.domain}:${o.version}`), 'producer', m.producerName, m.producerVersion);
  const g = m.graph;
  console.log('inputs', JSON.stringify(g.input.map(i => [i.name, i.type?.tensorType?.elemType, i.type?.tensorType?.shape?.dim.map(d => d.dimParam || String(d.dimValue))])).slice(0,500));
  console.log('outputs', JSON.stringify(g.output.map(i => [i.name, i.type?.tensorType?.shape?.dim.map(d => d.dimParam || String(d.dimValue))])));
  console.log('initializers', g.initializer.length, 'nodes', g.node.length, 'dtypes', [...new Set(g.initializer.map(t=>t.dataType))], 'raw?', g.initializer.filter(t=>t.rawData?.length).length);
  const counts = {};
  for (const n of g.node) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  console.log(counts);
  const seen = new Set();
  for (const n of g.node) {
    const key = n.opType + JSON.stringify(n.attribute.map(a => a.name));
    if (n.opType === 'Constant') { const t = n.attribute[0].t; if (t && t.dims.length <= 1 && !seen.has('c'+t.dims)) {} continue; }
    if (seen.has(key) && !['HardSigmoid','Clip','Resize','Upsample','Mul','Add','Div','Reshape','Flatten','Gemm','MatMul','Softmax','ConvTranspose','Pad'].includes(n.opType)) continue;
    seen.add(key);
    console.log(n.opType, n.name, 'in', n.input.join(','), 'out', n.output.join(','), n.attribute.map(a => `${a.name}=${a.type===1?a.f:a.type===2?String(a.i):a.type===3?Buffer.from(a.s).toString():a.type===7?'['+a.ints.map(String)+']':a.type===6?'['+a.floats+']':'t'+a.type}`).join(' '));
  }
}
