/**
 * Every request channel of the API, in one `as const` object (a misspelt channel does not compile),
 * and the one channel events travel on.
 */

/** Every request channel. Values are the wire names; all start with CHANNEL_PREFIX. */
export const Channels = {
  appInfo: 'dlnet:app.info',
  imageOpen: 'dlnet:image.open',
  imageUpload: 'dlnet:image.upload',
  imageClose: 'dlnet:image.close',
  previewDegradation: 'dlnet:preview.degradation',
  maskLoad: 'dlnet:mask.load',
  maskSave: 'dlnet:mask.save',
  jobStart: 'dlnet:job.start',
  jobCancel: 'dlnet:job.cancel',
  jobResidual: 'dlnet:job.residual',
  jobSave: 'dlnet:job.save',
  blurSuggest: 'dlnet:blur.suggest',
  labDegrade: 'dlnet:lab.degrade',
  dialogOpen: 'dlnet:dialog.open',
  dialogSave: 'dlnet:dialog.save',
  dialogFolder: 'dlnet:dialog.folder',
  batchPlan: 'dlnet:batch.plan',
  batchStart: 'dlnet:batch.start',
  batchPause: 'dlnet:batch.pause',
  batchResume: 'dlnet:batch.resume',
  batchCancel: 'dlnet:batch.cancel',
  settingsGet: 'dlnet:settings.get',
  settingsSet: 'dlnet:settings.set',
} as const;

export type Channel = (typeof Channels)[keyof typeof Channels];
export const CHANNEL_PREFIX = 'dlnet:';
/** The single channel events travel on (Electron: webContents.send; WebSocket: kind 'event'). */
export const EVENT_CHANNEL = 'dlnet:event';
export const ALL_CHANNELS: readonly Channel[] = Object.values(Channels);

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (ALL_CHANNELS as readonly string[]).includes(value);
}
