/**
 * RVM's TF.js weights in our native graphs (src/heads/rvm_weights.ts): the native
 * MobileNetV3-Large (torchvision layout, output stride 16) + torchvision LR-ASPP cbr/scale,
 * filled from the imported rvm.json, reproduces TF.js executing rvm.json on a real photo.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { importTfjs } from '../../src/import/tfjs.js';
import { rvmNativeGraph } from '../../src/heads/rvm_weights.js';
import { ModelFormatError } from '../../src/import/errors.js';
import type { Conv2dNode } from '../../src/graph/ir.js';
import { runReference } from '../../src/graph/reference.js';
import { preprocessImage } from '../../src/model/preprocess.js';
import { createRuntime } from '../../src/runtime.js';
import { compare } from '../helpers/compare.js';
import { IMAGES, loadImage } from '../helpers/images.js';
import { HUMAN_MODELS, loadTfjsGraph, readModelFiles, tf, tfjsReady } from '../helpers/tfjs_peer.js';

const H = 256;
const W = 256;
const P = 'StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/';
const ENC = 'mobile_net_v3_encoder/conv_bn_activation_45/hardswish_19/mul';
const ASPP = 'lraspp/mul';

describe('RVM weights in the native MobileNetV3-Large + LR-ASPP graph', () => {
  const files = readModelFiles(HUMAN_MODELS, 'rvm');
  const src = importTfjs(files.json, files.readWeights, 'rvm.json', { outputs: [ENC, ASPP], inputHeight: H, inputWidth: W });
  beforeAll(() => tfjsReady());

  it('matches TF.js on messi5.jpg: 960-ch encoder and gated 128-ch LR-ASPP, relL2 < 1e-4', async () => {
    const native = rvmNativeGraph(src.graph());
    expect(native.convs).toBe(64);
    expect(native.graph.outputs).toEqual(['backbone.16.2:out', 'classifier.mul:out']);
    expect(native.graph.nodes.filter((n) => n.op === 'conv2d' && n.dilationH === 2)).toHaveLength(3);
    const x = preprocessImage(loadImage(`${IMAGES}/messi5.jpg`), src.preprocess!);
    // the encoder's own normalization, then the native graph
    const xn = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xn[i] = x[i] * native.inputScale[i % 3] + native.inputShift[i % 3];
    // the same input through the native preprocess
    const xp = preprocessImage(loadImage(`${IMAGES}/messi5.jpg`), native.preprocess);
    expect(compare(xp, xn, 1e-5, 0).maxAbs).toBeLessThan(1e-5);

    const peer = await loadTfjsGraph(JSON.parse(files.json), files.allWeights);
    const zeros = tf.zeros([1, 1, 1, 1]);
    const [tEnc, tAspp] = (await peer.executeAsync(
      { src: tf.tensor4d(x, [1, H, W, 3]), downsample_ratio: tf.scalar(1), r1i: zeros, r2i: zeros, r3i: zeros, r4i: zeros },
      [`${P}${ENC}`, `${P}${ASPP}`],
    )) as tf.Tensor[];
    const refEnc = tEnc.dataSync();
    const refAspp = tAspp.dataSync();
    expect(refEnc.length).toBe((H / 16) * (W / 16) * 960);
    expect(refAspp.length).toBe((H / 16) * (W / 16) * 128);

    const env = runReference(native.graph, { input: xn });
    const rEnc = compare(env.get(native.graph.outputs[0])!.data, refEnc, 0, 0);
    const rAspp = compare(env.get(native.graph.outputs[1])!.data, refAspp, 0, 0);

    const cpu = await createRuntime({ backend: 'cpu' });
    const model = await cpu.load({ name: native.graph.name, graph: () => native.graph });
    const [cEnc, cAspp] = await model.runAll(xn);
    const kEnc = compare(cEnc, refEnc, 0, 0);
    const kAspp = compare(cAspp, refAspp, 0, 0);
    console.log(
      `rvm native vs TF.js (messi5 ${H}x${W}): reference encoder ${rEnc.relL2.toExponential(2)} lraspp ${rAspp.relL2.toExponential(2)}; ` +
        `cpu runtime encoder ${kEnc.relL2.toExponential(2)} lraspp ${kAspp.relL2.toExponential(2)}`,
    );
    for (const c of [rEnc, rAspp, kEnc, kAspp]) expect(c.relL2).toBeLessThan(1e-4);
  });

  it('a structural difference is a ModelFormatError naming the conv', () => {
    const g = src.graph();
    const dw = g.nodes.find((n): n is Conv2dNode => n.op === 'conv2d' && n.dilationH === 2)!;
    dw.dilationH = dw.dilationW = 1;
    expect(() => rvmNativeGraph(g)).toThrow(ModelFormatError);
    expect(() => rvmNativeGraph(g)).toThrow(/conv 48 of 64 differs: imported .* dilation 1x1 .* vs native backbone\.13\.block\.1\.0 .* dilation 2x2/);
  });
});
