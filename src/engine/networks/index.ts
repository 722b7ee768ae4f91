import { activeBackend } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import { ContextEncoderNet } from './context-encoder.js';
import { FConvInpaintNet } from './fconv-inpaint.js';
import { FConvMaskedNet } from './fconv-masked.js';
import { FConvMaskedOnnx } from './fconv-masked-onnx.js';
import { onnxSource } from './onnx-g.js';
import type { MaskedNetwork } from './masked-network.js';

export type { MaskedNetwork } from './masked-network.js';

/** The inpainting / interpolation network a model file describes (undefined for super-resolution). */
export function maskedNetwork(weights: LoadedWeights): MaskedNetwork | undefined {
  switch (weights.json.backbone.type) {
    case 'context-encoder':
      return new ContextEncoderNet(weights);
    case 'fconv-masked': {
      // g through onnxruntime where that backend is active and the model ships its ONNX file
      const source = activeBackend() === 'onnxruntime' ? onnxSource(weights) : undefined;
      return source ? new FConvMaskedOnnx(weights, source) : new FConvMaskedNet(weights);
    }
    case 'fconv-inpaint':
      return new FConvInpaintNet(weights);
    default:
      return undefined;
  }
}
