/**
 * The request map (channel → argument and result), its validators, and the bridge the preload
 * exposes. Every argument that arrives at the backend is parsed by validateRequest: the argument
 * types are those of the schemas (./schemas.ts), so what is checked and what is typed cannot drift.
 */
import * as v from 'valibot';
import { ALL_CHANNELS, Channels, isChannel, type Channel } from './channels.js';
import type { AppEvent } from './events.js';
import type { ApiResponse } from './responses.js';
import type {
  AppInfo,
  BatchPlanView,
  BlurSuggestionView,
  LabDegraded,
  BatchStarted,
  DegradationPreview,
  JobStarted,
  OpenedImage,
  Residual,
  Saved,
  UiSettings,
} from './results.js';
import {
  AppInfoArgsSchema,
  BatchPlanArgsSchema,
  BatchRefSchema,
  BatchStartArgsSchema,
  BlurSuggestArgsSchema,
  DialogFolderArgsSchema,
  DialogOpenArgsSchema,
  DialogSaveArgsSchema,
  ImageRefSchema,
  JobFrameRefSchema,
  JobRefSchema,
  JobSaveArgsSchema,
  JobStartArgsSchema,
  LabDegradeArgsSchema,
  MaskLoadArgsSchema,
  MaskSaveArgsSchema,
  OpenArgsSchema,
  PreviewArgsSchema,
  SettingsGetArgsSchema,
  SettingsSetArgsSchema,
  UploadArgsSchema,
  type AppInfoArgs,
  type BatchPlanArgs,
  type BatchRef,
  type BatchStartArgs,
  type BlurSuggestArgs,
  type DialogFolderArgs,
  type DialogOpenArgs,
  type DialogSaveArgs,
  type FillMask,
  type ImageRef,
  type JobFrameRef,
  type JobRef,
  type JobSaveArgs,
  type JobStartArgs,
  type LabDegradeArgs,
  type MaskLoadArgs,
  type MaskSaveArgs,
  type OpenArgs,
  type PreviewArgs,
  type SettingsGetArgs,
  type SettingsSetArgs,
  type UploadArgs,
} from './schemas.js';
import { ValidationError } from './validate.js';

/** Each channel's argument schema. */
export const ArgSchemas: { readonly [C in Channel]: v.GenericSchema<unknown, ArgsOf<C>> } = {
  [Channels.appInfo]: AppInfoArgsSchema,
  [Channels.imageOpen]: OpenArgsSchema,
  [Channels.imageUpload]: UploadArgsSchema,
  [Channels.imageClose]: ImageRefSchema,
  [Channels.previewDegradation]: PreviewArgsSchema,
  [Channels.blurSuggest]: BlurSuggestArgsSchema,
  [Channels.labDegrade]: LabDegradeArgsSchema,
  [Channels.maskLoad]: MaskLoadArgsSchema,
  [Channels.maskSave]: MaskSaveArgsSchema,
  [Channels.jobStart]: JobStartArgsSchema,
  [Channels.jobCancel]: JobRefSchema,
  [Channels.jobResidual]: JobFrameRefSchema,
  [Channels.jobSave]: JobSaveArgsSchema,
  [Channels.dialogOpen]: DialogOpenArgsSchema,
  [Channels.dialogSave]: DialogSaveArgsSchema,
  [Channels.dialogFolder]: DialogFolderArgsSchema,
  [Channels.batchPlan]: BatchPlanArgsSchema,
  [Channels.batchStart]: BatchStartArgsSchema,
  [Channels.batchPause]: BatchRefSchema,
  [Channels.batchResume]: BatchRefSchema,
  [Channels.batchCancel]: BatchRefSchema,
  [Channels.settingsGet]: SettingsGetArgsSchema,
  [Channels.settingsSet]: SettingsSetArgsSchema,
};

/** The request map: channel → argument and result. */
export interface ApiRequests {
  [Channels.appInfo]: { args: AppInfoArgs; result: AppInfo };
  [Channels.imageOpen]: { args: OpenArgs; result: OpenedImage };
  [Channels.imageUpload]: { args: UploadArgs; result: OpenedImage };
  [Channels.imageClose]: { args: ImageRef; result: null };
  [Channels.previewDegradation]: { args: PreviewArgs; result: DegradationPreview };
  /** The blur u suggested for upscaling the image, with the likelihood curve it was read from. */
  [Channels.blurSuggest]: { args: BlurSuggestArgs; result: BlurSuggestionView };
  /** Lab mode: the degraded image, opened (and the mask used, for inpainting and interpolation). */
  [Channels.labDegrade]: { args: LabDegradeArgs; result: LabDegraded };
  [Channels.maskLoad]: { args: MaskLoadArgs; result: FillMask };
  [Channels.maskSave]: { args: MaskSaveArgs; result: Saved };
  [Channels.jobStart]: { args: JobStartArgs; result: JobStarted };
  [Channels.jobCancel]: { args: JobRef; result: null };
  [Channels.jobResidual]: { args: JobFrameRef; result: Residual };
  [Channels.jobSave]: { args: JobSaveArgs; result: Saved };
  /** Native dialogs: Electron only (the browser shell answers with code 'unsupported'). */
  [Channels.dialogOpen]: { args: DialogOpenArgs; result: { path: string | null } };
  [Channels.dialogSave]: { args: DialogSaveArgs; result: { path: string | null } };
  [Channels.dialogFolder]: { args: DialogFolderArgs; result: { path: string | null } };
  /** A dry run: what a batch with these settings would do. Writes nothing. */
  [Channels.batchPlan]: { args: BatchPlanArgs; result: BatchPlanView };
  /** Plans again (the server never trusts an earlier plan) and starts; progress arrives as batch.* events. */
  [Channels.batchStart]: { args: BatchStartArgs; result: BatchStarted };
  [Channels.batchPause]: { args: BatchRef; result: null };
  [Channels.batchResume]: { args: BatchRef; result: null };
  [Channels.batchCancel]: { args: BatchRef; result: null };
  /** What the UI keeps between sessions (the batch panel's last-used options), checked field by field. */
  [Channels.settingsGet]: { args: SettingsGetArgs; result: UiSettings };
  /** Remembers them (Electron: the settings file of electron-store; `dlnet serve`: its --settings file). */
  [Channels.settingsSet]: { args: SettingsSetArgs; result: null };
}

export type ArgsOf<C extends Channel> = ApiRequests[C]['args'];
export type ResultOf<C extends Channel> = ApiRequests[C]['result'];

/**
 * Parses `value` with `schema`; a refusal throws a ValidationError whose message is the first failed
 * check's sentence and whose field is the dotted path of the offending value ('settings.scale').
 */
export function parseWith<T>(schema: v.GenericSchema<unknown, T>, value: unknown): T {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw new ValidationError(issue.message, v.getDotPath(issue) ?? 'Arguments');
}

type Validators = { readonly [C in Channel]: (raw: unknown) => ArgsOf<C> };

const validator =
  <C extends Channel>(channel: C) =>
  (raw: unknown): ArgsOf<C> =>
    parseWith(ArgSchemas[channel], raw);

// Marked free of side effects so that bundles which use only the channel names (the preload, the
// renderer) leave the schemas and valibot out.
/* @__NO_SIDE_EFFECTS__ */
function validatorPerChannel(): Validators {
  return Object.fromEntries(ALL_CHANNELS.map((channel) => [channel, validator(channel)])) as Validators;
}

/** One validator per channel, used by the backend on every incoming argument. */
export const validators = validatorPerChannel();

/** Validates a request's channel and arguments; throws ValidationError with one sentence. */
export function validateRequest<C extends Channel>(channel: unknown, args: unknown): { channel: C; args: ArgsOf<C> } {
  if (!isChannel(channel)) throw new ValidationError(`Unknown request "${String(channel).slice(0, 60)}".`, 'channel');
  return { channel: channel as C, args: validators[channel as C](args) };
}

/** What the preload exposes as `window.dlnet`; derived from the request map, never hand-written. */
export interface DlnetBridge {
  invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<ApiResponse<ResultOf<C>>>;
  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: (event: AppEvent) => void): () => void;
}
