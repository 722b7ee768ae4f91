import type { LoadedWeights } from '../model-file.js';
import { ContextEncoderNet } from './context-encoder.js';
import { FConvMaskedNet } from './fconv-masked.js';
import type { MaskedNetwork } from './masked-network.js';

export type { MaskedNetwork } from './masked-network.js';

/** The inpainting / interpolation network a model file describes (undefined for super-resolution). */
export function maskedNetwork(weights: LoadedWeights): MaskedNetwork | undefined {
  switch (weights.json.backbone.type) {
    case 'context-encoder':
      return new ContextEncoderNet(weights);
    case 'fconv-masked':
      return new FConvMaskedNet(weights);
    default:
      return undefined;
  }
}
