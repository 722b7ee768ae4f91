/** The worker behind tools.ts: blur suggestions (WebAssembly backend) and lab-mode degradations. */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../base/errors.js';
import { applyMask, degradeSr, type Image, loadCompute, quantize8, setModelDirs } from '../engine/index.js';
import type { ToolMessage, ToolReply, ToolResult } from './tools.js';

let compute: ReturnType<typeof loadCompute> | null = null;

/** The compute half on WebAssembly, started once (small crops: no need for the user's backend). */
async function computeHalf(): ReturnType<typeof loadCompute> {
  compute ??= loadCompute().then(async (c) => {
    await c.initBackend('wasm');
    return c;
  });
  return compute;
}

async function handle({ request, modelDirs }: ToolMessage): Promise<ToolResult> {
  setModelDirs(modelDirs);
  if (request.type === 'suggest') {
    const { suggestBlur } = await computeHalf();
    const s = await suggestBlur(request.image as Image, { scale: request.scale });
    return {
      type: 'suggest',
      suggestion: {
        blur: s.blur,
        curve: s.curve.map((p) => ({ u: p.u, probability: p.probability })),
        bicubicProbability: s.bicubicProbability,
        crops: [...s.crops],
      },
    };
  }
  const image = quantize8(request.image as Image); // the protocols' inputs are 8-bit
  const d = request.degradation;
  if (d.task === 'sr') return { type: 'degrade', image: degradeSr(image, d.scale, d.blur) };
  const observed = Uint8Array.from(d.fill, (v) => (v === 0 ? 1 : 0));
  return { type: 'degrade', image: applyMask(image, { width: image.width, height: image.height, data: observed }) };
}

parentPort!.on('message', (message: ToolMessage) => {
  handle(message).then(
    (result) => {
      const transfer = result.type === 'degrade' ? [result.image.data.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: message.id, ok: true, result } satisfies ToolReply, transfer);
    },
    (error: unknown) => {
      const message_ = error instanceof Error ? error.message : String(error);
      const code = error instanceof UserError ? error.code : undefined;
      parentPort!.postMessage({ id: message.id, ok: false, message: message_, ...(code ? { code } : {}) } satisfies ToolReply);
    },
  );
});
