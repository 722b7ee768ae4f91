/**
 * Electron's main process. This file only wires: settings, the log file, the backend (job queue
 * and worker thread, shared with `dlnet serve`), the IPC adapter, the window and the menus.
 */
import { app, BrowserWindow, Menu, protocol } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getModelDirs } from '../engine/index.js';
import { openImage } from '../server/handlers/open-image.js';
import { createBackend, type Backend } from '../server/index.js';
import { Channels, type MenuCommand } from '../api/api.js';
import { dialogHandlers } from './dialogs.js';
import { registerIpc, sendEvent } from './ipc.js';
import { guardPaths, PathGrants } from './path-grants.js';
import { fileLogger } from './log.js';
import { buildMenu } from './menu.js';
import { Settings } from './settings.js';
import { APP_SCHEME_PRIVILEGES, APP_URL } from './security.js';
import { createMainWindow, hardenSession, lockDown, registerAppProtocol } from './window.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const paths = { html: path.join(DIST, 'renderer/index.html'), preload: path.join(DIST, 'preload/index.cjs') };

// Every renderer sandboxed, whatever its web preferences say (./security.ts sets sandbox too).
app.enableSandbox();
// The renderer comes from app://dlnet/ (./app-protocol.ts), never file://; privileges must be
// registered before `ready`.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  const settings = new Settings();
  const { log, file: logFile } = fileLogger();
  log.info(`DL-Net Studio ${app.getVersion()} starting; log file ${logFile}`);
  hardenSession(paths);
  registerAppProtocol(paths);
  app.on('web-contents-created', (_event, contents) => lockDown(contents, APP_URL));

  let window: BrowserWindow | null = null;
  const dialogs = dialogHandlers(() => window);
  // Shipped models live in the packaged app's resources folder.
  const modelDirs = app.isPackaged ? [path.join(process.resourcesPath, 'models')] : getModelDirs();
  const workspaceDir = app.getPath('pictures');
  // Files and folders the user chose; the API reads and writes nowhere else (./path-grants.ts).
  const grants = new PathGrants([workspaceDir]);
  for (const file of settings.recentFiles) grants.grantFile(file);
  // The batch panel's remembered output folder was a chosen one when it was stored (the guard refuses
  // settings.set otherwise), so it stays usable without choosing it again.
  const batchOutput = settings.batchOptions.outputDir;
  if (batchOutput !== undefined) grants.grantTree(batchOutput);
  const backend: Backend = createBackend({
    shell: 'electron',
    workspaceDir,
    log,
    backend: settings.backend,
    modelDirs,
    settings,
    handlers: {
      [Channels.dialogOpen]: dialogs.open,
      [Channels.dialogSave]: dialogs.save,
      [Channels.dialogFolder]: dialogs.folder,
      [Channels.imageOpen]: async (args, ctx) => {
        const opened = await openImage(args, ctx);
        settings.addRecent(args.path);
        refreshMenu();
        return opened;
      },
    },
  });
  const unregister = registerIpc(guardPaths(backend.dispatcher, grants), APP_URL, log);

  const send = (command: MenuCommand) => window && sendEvent(window.webContents, { type: 'menu', command });
  function refreshMenu(): void {
    Menu.setApplicationMenu(
      buildMenu({
        recentFiles: settings.recentFiles,
        command: send,
        openRecent: (file) => window && sendEvent(window.webContents, { type: 'menu.openPath', path: file }),
        clearRecent: () => {
          settings.clearRecent();
          refreshMenu();
        },
        quit: () => app.quit(),
      }),
    );
  }
  refreshMenu();

  const open = () => {
    window = createMainWindow(paths, settings);
    window.on('closed', () => (window = null));
  };
  open();
  void backend.workspace.ready().then((b) => log.info(`compute backend: ${b.name}${b.details ? ` (${b.details})` : ''}`));

  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    unregister();
    void backend.dispose();
  });
}
