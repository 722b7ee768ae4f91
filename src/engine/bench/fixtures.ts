/**
 * What the bench measures with: synthetic photos and masks, the machine's own thread scaling (busy loops),
 * a PNG decompression bomb and its refusal, and peak memory of a job in a child process (rss-child.ts).
 */
import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { createImage, type Image, type Mask } from '../image.js';
import { readImage } from '../image-io.js';
import type { BackendPreference } from '../backend.js';

/** A deterministic photo-like test image: smooth shading, edges, texture and mild noise. */
export function syntheticPhoto(width: number, height: number, channels: 1 | 3 = 3, seed = 1): Image {
  const img = createImage(width, height, channels);
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const edge = ((Math.floor(x / 97) + Math.floor(y / 61)) & 1) * 0.15;
      const tex = 0.08 * Math.sin(x * 0.45 + Math.sin(y * 0.07) * 3) * Math.cos(y * 0.31);
      for (let c = 0; c < channels; c++) {
        const base = 0.35 + 0.3 * Math.sin(u * 3 + c) * Math.cos(v * 2 - c * 0.5);
        const val = base + edge + tex + (rand() - 0.5) * 0.03;
        img.data[(y * width + x) * channels + c] = val < 0 ? 0 : val > 1 ? 1 : val;
      }
    }
  }
  return img;
}

/** width × height with the given megapixels at 4:3, both multiples of `t`. */
export function sizeFor(mp: number, t = 1): { width: number; height: number } {
  const w = Math.round(Math.sqrt((mp * 1e6 * 4) / 3) / t) * t;
  const h = Math.round((w * 3) / 4 / t) * t;
  return { width: w, height: h };
}

const BUSY = `
const { parentPort, workerData } = require('node:worker_threads');
let x = 0;
const t0 = performance.now();
for (let i = 0; i < workerData; i++) x = (x + i * 2654435761) % 1000003;
parentPort.postMessage({ ms: performance.now() - t0, x });
`;

function busyLoop(iterations: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(BUSY, { eval: true, workerData: iterations });
    w.once('message', (m: { ms: number }) => resolve(m.ms));
    w.once('error', reject);
  });
}

/** The machine's own 2-process scaling: two plain busy loops at once vs one (wall-clock speedup). */
export async function machineScaling(n: number, iterations: number): Promise<number> {
  await busyLoop(iterations / 10); // warm up
  const t0 = performance.now();
  await busyLoop(iterations);
  const one = performance.now() - t0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: n }, () => busyLoop(iterations)));
  const many = performance.now() - t1;
  return (n * one) / many;
}

export function scatteredMask(width: number, height: number, rate: number, seed: number): Mask {
  const data = new Uint8Array(width * height);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 < rate ? 0 : 1;
  }
  return { width, height, data };
}

export function holesMask(width: number, height: number, holes: number, side = 20): Mask {
  const data = new Uint8Array(width * height).fill(1);
  const half = side / 2;
  for (let h = 0; h < holes; h++) {
    const cx = Math.round(((h * 0.618) % 1) * (width - 3 * side)) + 1.5 * side;
    const cy = Math.round(((h * 0.381 + 0.2) % 1) * (height - 3 * side)) + 1.5 * side;
    for (let y = cy - half; y < cy + half; y++) for (let x = cx - half; x < cx + half; x++) data[y * width + x] = 0;
  }
  return { width, height, data };
}

function here(): string {
  return fileURLToPath(import.meta.url);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  let c = 0xffffffff;
  for (const b of body) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** A complete grey PNG of side × side zero pixels: about 1 KB per megapixel, a decompression bomb. */
function bombPng(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey, no interlace
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(side * (side + 1)), { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Reading an 11000 × 11000 PNG bomb (121 MP, above the 100 MP limit): the slowest of three refusals
 * and the largest growth of the resident set meanwhile (decoding would need 121 MB, 484 MB as floats).
 */
export async function bombRefusal(dir: string): Promise<{ ms: number; rssGrowthMb: number }> {
  const file = path.join(dir, 'bomb.png');
  await writeFile(file, bombPng(11_000));
  let ms = 0;
  let growth = 0;
  for (let i = 0; i < 3; i++) {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    const error = await readImage(file).then(
      () => null,
      (e: unknown) => e as { code?: string },
    );
    ms = Math.max(ms, performance.now() - t0);
    clearInterval(timer);
    growth = Math.max(growth, (Math.max(peak, process.memoryUsage().rss) - rss0) / 2 ** 20);
    if (error?.code !== 'too-large') throw new Error('the 121 MP bomb was not refused as too large');
  }
  return { ms, rssGrowthMb: growth };
}

/** Peak RSS of ×4 on a `mp` MP output, measured in a child process (its own address space). */
export function peakRssChild(
  mp: number,
  workers: number,
  backend: BackendPreference,
  /** Stream the iterates as the app does (iteration-sink.ts) while measuring. */
  frames = false,
): Promise<{ peakRssMb: number; seconds: number }> {
  const file = here();
  const ts = file.endsWith('.ts');
  const child = path.join(path.dirname(file), ts ? 'rss-child.ts' : 'rss-child.js');
  return new Promise((resolve, reject) => {
    const proc = fork(child, [String(mp), String(workers), backend, ...(frames ? ['frames'] : [])], {
      execArgv: ts ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (err += d));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(err.trim().split('\n').slice(-3).join(' '));
        resolve(JSON.parse(line) as { peakRssMb: number; seconds: number });
      } catch (e) {
        reject(new Error(`the memory probe failed: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  });
}
