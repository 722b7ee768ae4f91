/** The native file dialogs behind the dialog.open / dialog.save / dialog.folder channels. */
import { dialog, type BrowserWindow } from 'electron';
import type { Channels } from '../api/api.js';
import type { Handler } from '../server/handlers/index.js';

const IMAGE_FILTERS = [
  { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'bmp', 'gif', 'avif'] },
  { name: 'All files', extensions: ['*'] },
];
const MASK_FILTERS = [{ name: 'Mask (PNG, white = fill)', extensions: ['png'] }];
const SAVE_FILTERS = [
  { name: 'PNG', extensions: ['png'] },
  { name: 'JPEG', extensions: ['jpg', 'jpeg'] },
  { name: 'WebP', extensions: ['webp'] },
  { name: 'TIFF', extensions: ['tif', 'tiff'] },
];

export function dialogHandlers(window: () => BrowserWindow | null): {
  open: Handler<typeof Channels.dialogOpen>;
  save: Handler<typeof Channels.dialogSave>;
  folder: Handler<typeof Channels.dialogFolder>;
} {
  return {
    open: async ({ purpose }) => {
      const win = window();
      const options = { properties: ['openFile' as const], filters: purpose === 'mask' ? MASK_FILTERS : IMAGE_FILTERS };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
    save: async ({ purpose, defaultPath }) => {
      const win = window();
      const options = {
        defaultPath,
        filters: purpose === 'mask' ? MASK_FILTERS : SAVE_FILTERS,
        properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
      };
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return { path: result.canceled ? null : (result.filePath ?? null) };
    },
    folder: async ({ purpose, defaultPath }) => {
      const win = window();
      const options = {
        title: purpose === 'batch-input' ? 'Folder of images to upscale' : 'Folder for the results',
        ...(defaultPath !== undefined ? { defaultPath } : {}),
        properties:
          purpose === 'batch-input' ? ['openDirectory' as const] : ['openDirectory' as const, 'createDirectory' as const],
      };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
  };
}
