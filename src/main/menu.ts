/** Native menus: File (open, open recent, save, save as, mask, quit), View, Help. Commands go to the UI as events. */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import path from 'node:path';
import type { MenuCommand } from '../api/api.js';

export interface MenuActions {
  recentFiles: string[];
  command(command: MenuCommand): void;
  openRecent(file: string): void;
  clearRecent(): void;
  quit(): void;
}

export function buildMenu(actions: MenuActions): Menu {
  const isMac = process.platform === 'darwin';
  const recent: MenuItemConstructorOptions[] = actions.recentFiles.length
    ? [
        ...actions.recentFiles.map((file) => ({
          label: path.basename(file),
          sublabel: path.dirname(file),
          click: () => actions.openRecent(file),
        })),
        { type: 'separator' as const },
        { label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent files', enabled: false }];
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.command('open') },
        { label: 'Open Recent', submenu: recent },
        { type: 'separator' },
        { label: 'Save…', accelerator: 'CmdOrCtrl+S', click: () => actions.command('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.command('saveAs') },
        { type: 'separator' },
        { label: 'Load Mask…', click: () => actions.command('openMask') },
        { label: 'Save Mask…', click: () => actions.command('saveMask') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { label: '&Help', submenu: [{ label: 'Keyboard Shortcuts', accelerator: 'F1', click: () => actions.command('help') }] },
  ];
  return Menu.buildFromTemplate(template);
}
