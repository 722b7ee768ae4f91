/** The handler table: one entry per channel (the dialogs are Electron's; the browser has none). */
import { UserError } from '../../engine/index.js';
import { Channels } from '../../api/api.js';
import { appInfo } from './app-info.js';
import { batchHandlers } from './batch.js';
import { BatchRuns } from './batch-runs.js';
import type { Handler, Handlers } from './context.js';
import { cancelJob, residual, saveResult, startJob } from './jobs.js';
import { loadMask, saveMask } from './mask.js';
import { closeImage, openImage, uploadImage } from './open-image.js';
import { previewDegradation } from './preview-degradation.js';
import { labDegrade, suggestBlurHandler } from './lab.js';
import { settingsHandlers } from './settings.js';
import { MemorySettings, type SettingsStore } from '../settings.js';

const noDialogs: Handler<typeof Channels.dialogOpen> &
  Handler<typeof Channels.dialogSave> &
  Handler<typeof Channels.dialogFolder> = async () => {
  throw new UserError('Native file dialogs exist only in the desktop app.', 'unsupported');
};

/**
 * `batches` holds the backend's running batch (one instance per backend, disposed with it); `settings`
 * is where settings.get / settings.set keep what the UI remembers.
 */
export function createHandlers(
  overrides: Partial<Handlers> = {},
  batches: BatchRuns = new BatchRuns(),
  settings: SettingsStore = new MemorySettings(),
): Handlers {
  const batch = batchHandlers(batches);
  const remembered = settingsHandlers(settings);
  return {
    [Channels.appInfo]: appInfo,
    [Channels.imageOpen]: openImage,
    [Channels.imageUpload]: uploadImage,
    [Channels.imageClose]: closeImage,
    [Channels.previewDegradation]: previewDegradation,
    [Channels.blurSuggest]: suggestBlurHandler,
    [Channels.labDegrade]: labDegrade,
    [Channels.maskLoad]: loadMask,
    [Channels.maskSave]: saveMask,
    [Channels.jobStart]: startJob,
    [Channels.jobCancel]: cancelJob,
    [Channels.jobResidual]: residual,
    [Channels.jobSave]: saveResult,
    [Channels.dialogOpen]: noDialogs,
    [Channels.dialogSave]: noDialogs,
    [Channels.dialogFolder]: noDialogs,
    [Channels.batchPlan]: batch.plan,
    [Channels.batchStart]: batch.start,
    [Channels.batchPause]: batch.pause,
    [Channels.batchResume]: batch.resume,
    [Channels.batchCancel]: batch.cancel,
    [Channels.settingsGet]: remembered.get,
    [Channels.settingsSet]: remembered.set,
    ...overrides,
  };
}

export type { Handler, Handlers, HandlerContext } from './context.js';
export { BatchRuns } from './batch-runs.js';
