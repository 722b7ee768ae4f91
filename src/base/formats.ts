/** The image formats the app writes, and a batch's output format choices. */

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp', 'tiff'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** File extension each output format gets. */
export const FORMAT_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  tiff: '.tif',
};

/** A batch's output format: 'keep' = the input's own (PNG for BMP, GIF and AVIF inputs) or a fixed one. */
export const BATCH_FORMATS = ['keep', ...OUTPUT_FORMATS] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];
