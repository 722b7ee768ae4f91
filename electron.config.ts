/**
 * electron-builder configuration (npm run dist): AppImage and deb for Linux, NSIS for Windows,
 * DMG for macOS. The shipped models travel as extraResources (process.resourcesPath/models, which
 * src/main/index.ts passes to the engine). Packaging needs the Electron download and is not part of CI.
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.dlnet.studio',
  productName: 'DL-Net Studio',
  copyright: 'MIT licence',
  directories: { output: 'release', buildResources: 'build' },
  files: ['dist/main/**', 'dist/preload/**', 'dist/renderer/**', 'dist/server/**', 'dist/engine/**', 'dist/shared/**', 'package.json', '!**/*.map'],
  extraResources: [{ from: 'resources/models', to: 'models', filter: ['**/*'] }],
  // The engine's wasm files and sharp's native addon must be real files, not inside app.asar.
  asarUnpack: ['node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm', 'node_modules/sharp/**', 'node_modules/@img/**'],
  electronLanguages: ['en-US'],
  linux: { target: ['AppImage', 'deb'], category: 'Graphics', icon: 'build/icon.png', maintainer: 'DL-Net Studio' },
  deb: { depends: ['libnss3', 'libgtk-3-0'] },
  win: { target: [{ target: 'nsis', arch: ['x64'] }], icon: 'build/icon.png' },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true, perMachine: false },
  mac: { target: [{ target: 'dmg', arch: ['x64', 'arm64'] }], category: 'public.app-category.photography', icon: 'build/icon.png', hardenedRuntime: true },
  dmg: { title: 'DL-Net Studio' },
  publish: null,
};

export default config;
