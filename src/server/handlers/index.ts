/** The handler table: one entry per channel (the dialogs are Electron's; the browser has none). */
import { UserError } from '../../engine/image.js';
import { Channels } from '../../shared/api.js';
import { appInfo } from './app-info.js';
import type { Handler, Handlers } from './context.js';
import { cancelJob, residual, saveResult, startJob } from './jobs.js';
import { loadMask, saveMask } from './mask.js';
import { closeImage, openImage, uploadImage } from './open-image.js';
import { previewDegradation } from './preview-degradation.js';

const noDialogs: Handler<typeof Channels.dialogOpen> & Handler<typeof Channels.dialogSave> = async () => {
  throw new UserError('Native file dialogs exist only in the desktop app.', 'unsupported');
};

export function createHandlers(overrides: Partial<Handlers> = {}): Handlers {
  return {
    [Channels.appInfo]: appInfo,
    [Channels.imageOpen]: openImage,
    [Channels.imageUpload]: uploadImage,
    [Channels.imageClose]: closeImage,
    [Channels.previewDegradation]: previewDegradation,
    [Channels.maskLoad]: loadMask,
    [Channels.maskSave]: saveMask,
    [Channels.jobStart]: startJob,
    [Channels.jobCancel]: cancelJob,
    [Channels.jobResidual]: residual,
    [Channels.jobSave]: saveResult,
    [Channels.dialogOpen]: noDialogs,
    [Channels.dialogSave]: noDialogs,
    ...overrides,
  };
}

export type { Handler, Handlers, HandlerContext } from './context.js';
