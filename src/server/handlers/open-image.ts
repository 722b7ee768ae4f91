/** image.open (a path) and image.upload (bytes from the browser: file picker, drag-and-drop, paste). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Channels, OpenedImage } from '../../api/api.js';
import { checkInputPath, freshSibling } from '../paths.js';
import type { Workspace } from '../workspace.js';
import { parseRecipeXmp } from '../../engine/index.js';
import type { Handler } from './context.js';

async function open(workspace: Workspace, file: string, name: string, keepPath: boolean): Promise<OpenedImage> {
  const decoded = await workspace.decoder.decode(file, workspace.options.previewMaxSide);
  const { image, bitDepth, format, metadata, preview, hasTransparency } = decoded;
  const entry = workspace.addImage({ name, ...(keepPath ? { path: file } : {}), image, bitDepth, format, metadata, preview });
  const base = path.basename(name, path.extname(name));
  // An output of this app carries its recipe as XMP: the UI shows it and offers to restore again with it.
  const recipe = metadata.xmp !== undefined ? parseRecipeXmp(metadata.xmp) : undefined;
  const dir = keepPath ? path.dirname(file) : workspace.options.workspaceDir;
  workspace.log.info(`opened ${name} (${image.width}×${image.height}×${image.channels}, ${bitDepth}-bit ${format})`);
  return {
    imageId: entry.id,
    name,
    ...(keepPath ? { path: file } : {}),
    width: image.width,
    height: image.height,
    channels: image.channels,
    bitDepth,
    format,
    hasTransparency,
    suggestedOutput: freshSibling(dir, base, '.restored.png'),
    preview,
    ...(recipe !== undefined ? { recipe } : {}),
  };
}

export const openImage: Handler<typeof Channels.imageOpen> = async ({ path: file }, { workspace }) =>
  open(workspace, checkInputPath(file), path.basename(file), true);

/** Writes the bytes to a private temporary folder, reads them like a file, removes the folder. */
export async function withTempFile<T>(name: string, bytes: Uint8Array, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-upload-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, bytes, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const uploadImage: Handler<typeof Channels.imageUpload> = async ({ name, bytes }, { workspace }) =>
  withTempFile(name, bytes, (file) => open(workspace, file, name, false));

export const closeImage: Handler<typeof Channels.imageClose> = async ({ imageId }, { workspace }) => {
  workspace.closeImage(imageId);
  return null;
};
