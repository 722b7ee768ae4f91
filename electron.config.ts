/**
 * electron-builder configuration (`npm run dist`): AppImage and deb for Linux, NSIS for Windows,
 * DMG for macOS. The shipped models travel as extraResources (process.resourcesPath/models, which
 * src/main/index.ts passes to the engine); training/ (its checkpoints and models included) never
 * enters a package. Icons: build/icon.png, .ico and .icns (build/make-icon.mjs renders them from
 * build/icon.svg). Fuses are flipped in the packaged Electron binary: no ELECTRON_RUN_AS_NODE, no
 * NODE_OPTIONS, no --inspect, the app only from its integrity-checked app.asar, cookies encrypted,
 * no extra privileges for file:// (the renderer is served from app://).
 * Packaging needs the Electron download and is not part of CI; `npm run build` type-checks this
 * file (tsconfig.tools.json) and tests/unit/security-checklist.test.ts checks its security settings.
 */
import type { Configuration } from 'electron-builder';

/** The fuses of the packaged binary (Electron's security checklist, item "check which fuses you can change"). */
export const FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  enableCookieEncryption: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  // The renderer is served from app://dlnet/ (src/main/app-protocol.ts), so file:// needs none of
  // the extra privileges Electron grants it by default.
  grantFileProtocolExtraPrivileges: false,
} as const satisfies NonNullable<Configuration['electronFuses']>;

const config: Configuration = {
  appId: 'org.dlnet.studio',
  productName: 'DL-Net Studio',
  copyright: 'MIT licence',
  directories: { output: 'release', buildResources: 'build' },
  asar: true,
  files: [
    'dist/main/**',
    'dist/preload/**',
    'dist/renderer/**',
    'dist/server/**',
    'dist/engine/**',
    'dist/api/**',
    'dist/base/**',
    'package.json',
    '!**/*.map',
    '!training/**',
    '!resources/**',
    '!tests/**',
    '!scratch/**',
  ],
  extraResources: [
    { from: 'resources/models', to: 'models', filter: ['**/*', '!**/*.pt', '!**/*.pth', '!**/*.ckpt', '!**/*.npz'] },
  ],
  // The engine's wasm files and the native addons (sharp; onnxruntime-node's binding and its
  // libonnxruntime, which dlopen needs as real files) must be real files, not inside app.asar. The
  // onnxruntime-node N-API addon needs no rebuild for Electron. Its package carries every platform's
  // libraries (~290 MB); ${platform} in a pattern is the build host's, not the target's, so trimming
  // the others is left to per-platform builds.
  asarUnpack: [
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    'node_modules/sharp/**',
    'node_modules/@img/**',
    'node_modules/onnxruntime-node/bin/**',
  ],
  electronLanguages: ['en-US'],
  electronFuses: FUSES,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Graphics',
    icon: 'build/icon.png',
    maintainer: 'DL-Net Studio',
    synopsis: 'Offline photo restoration',
  },
  deb: { depends: ['libnss3', 'libgtk-3-0'] },
  appImage: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  win: { target: [{ target: 'nsis', arch: ['x64'] }], icon: 'build/icon.ico' },
  nsis: {
    oneClick: false,
    allowToChangeInstallationDirectory: true,
    perMachine: false,
    installerIcon: 'build/icon.ico',
    uninstallerIcon: 'build/icon.ico',
  },
  mac: {
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    category: 'public.app-category.photography',
    icon: 'build/icon.icns',
    hardenedRuntime: true,
  },
  dmg: { title: 'DL-Net Studio', icon: 'build/icon.icns' },
  publish: null,
};

export default config;
