/**
 * The batch engine: plan a folder, run it on worker threads, report. Used by `dlnet batch` and
 * meant for the app's batch panel. Importing this module does not load TensorFlow.js (only the
 * workers do).
 */
export { benchmarkBatch, type BatchBenchOptions, type BatchBenchResult } from './bench.js';
export { BATCH_DEFAULTS, checkSuffix, resolveBatchOptions } from './options.js';
export { IMAGE_EXTENSIONS, outputDirsOf, outputFormatFor, planBatch } from './plan.js';
export {
  buildBatchReport,
  checkReportPath,
  writeBatchReport,
  REPORT_TOOL,
  type BatchReport,
  type BatchReportFile,
} from './report.js';
export { defaultJobs, runBatch, startBatch, type BatchRun, type RunBatchOptions } from './run.js';
export { cleanStaleTemps, isTempName, tempPathFor } from './temp.js';
export * from './types.js';
