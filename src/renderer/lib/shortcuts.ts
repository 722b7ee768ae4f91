/** Keyboard shortcuts (pure mapping, listed in the help overlay from the same table). */

export type Action =
  | 'brush'
  | 'eraser'
  | 'rect'
  | 'smaller'
  | 'larger'
  | 'undo'
  | 'redo'
  | 'open'
  | 'save'
  | 'run'
  | 'cancel'
  | 'help'
  | 'fit'
  | 'actual';

export interface Shortcut {
  keys: string;
  action: Action;
  label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'B', action: 'brush', label: 'Brush (paint the pixels to fill)' },
  { keys: 'E', action: 'eraser', label: 'Eraser' },
  { keys: 'R', action: 'rect', label: 'Rectangle' },
  { keys: '[  /  ]', action: 'smaller', label: 'Brush smaller / larger' },
  { keys: 'Ctrl+Z', action: 'undo', label: 'Undo mask edit' },
  { keys: 'Ctrl+Y  /  Ctrl+Shift+Z', action: 'redo', label: 'Redo mask edit' },
  { keys: 'Ctrl+O', action: 'open', label: 'Open an image' },
  { keys: 'Ctrl+S', action: 'save', label: 'Save the result' },
  { keys: 'Enter', action: 'run', label: 'Run the restoration' },
  { keys: 'Esc', action: 'cancel', label: 'Cancel the run (or close this help)' },
  { keys: '0  /  1', action: 'fit', label: 'Zoom to fit / 100 %' },
  { keys: 'Space + drag', action: 'fit', label: 'Pan (also the middle mouse button)' },
  { keys: 'Mouse wheel', action: 'fit', label: 'Zoom around the pointer' },
  { keys: '?  /  F1', action: 'help', label: 'This help' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The action for a key press, or null. `inField`: focus is in a text field (letters belong to it). */
export function actionFor(e: KeyLike, inField: boolean): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 'o') return 'open';
    if (key === 's') return 'save';
    return null;
  }
  if (key === 'Escape') return 'cancel';
  if (key === 'F1') return 'help';
  if (inField || e.altKey) return null;
  switch (key) {
    case 'b':
      return 'brush';
    case 'e':
      return 'eraser';
    case 'r':
      return 'rect';
    case '[':
      return 'smaller';
    case ']':
      return 'larger';
    case 'Enter':
      return 'run';
    case '?':
      return 'help';
    case '0':
      return 'fit';
    case '1':
      return 'actual';
    default:
      return null;
  }
}
