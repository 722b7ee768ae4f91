import { createRequire } from 'node:module';
import { listModels } from '../../engine/index.js';
import type { AppInfo, Channels } from '../../api/api.js';
import type { Handler } from './context.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

/** Version, shell, installed models and the compute backend (reported by event once the worker is up). */
export const appInfo: Handler<typeof Channels.appInfo> = async (_args, { workspace, emit }): Promise<AppInfo> => {
  // The blur estimator serves the Suggest button; it restores nothing, so the model lists leave it out.
  const models = (await listModels()).flatMap((m) =>
    m.task === 'blur'
      ? []
      : [
          {
            id: m.id,
            name: m.name,
            task: m.task,
            scale: m.scale,
            dlnet: m.dlnet,
            shipped: m.shipped,
          },
        ],
  );
  if (workspace.backend.name === 'starting') {
    void workspace.ready().then((backend) => emit({ type: 'backend', backend }));
  }
  return {
    version,
    shell: workspace.options.shell,
    backend: workspace.backend,
    models,
    workspace: workspace.options.workspaceDir,
  };
};
