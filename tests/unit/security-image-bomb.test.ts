/**
 * Decompression bombs and absurd sizes (docs/architecture.md §7): an image whose header claims more
 * than 100 megapixels is refused from its header, before any pixel is decoded — by the engine's
 * reader (src/engine/image-io.ts: sharp metadata, then limitInputPixels on decode), through the
 * backend's dispatcher (upload, open, mask) and over a real `dlnet serve` WebSocket.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { WebSocket } from 'ws';
import { readImage } from '../../src/engine/image-io.js';
import { silentLogger, startWsServer, type Backend } from '../../src/server/index.js';
import { Channels, type ApiResponse, type OpenedImage } from '../../src/api/api.js';
import { decodeMessage, encodeMessage } from '../../src/api/wire.js';
import { testBackend } from '../helpers/backend.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A grey 8-bit PNG whose IHDR says width × height; IDAT holds `rows` rows of zeros (a prefix, or all of them). */
function pngClaiming(width: number, height: number, rows: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit, grey, deflate, adaptive filter, no interlace
  const idat = deflateSync(Buffer.alloc(rows * (width + 1)), { level: 9 });
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A 24-bit BMP header claiming width × height, followed by a few bytes of pixels. */
function bmpClaiming(width: number, height: number): Buffer {
  const b = Buffer.alloc(54 + 64);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

let dir: string;
let backend: Backend;
let bomb: Buffer;
let fullBomb: Buffer;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-bomb-'));
  bomb = pngClaiming(50_000, 50_000, 4);
  // 11 000 × 11 000 (121 MP) with every row present: about 120 KB that would inflate to 121 MB of
  // grey pixels (and 484 MB as the engine's float image) if it were decoded.
  fullBomb = pngClaiming(11_000, 11_000, 11_000);
  writeFileSync(path.join(dir, 'bomb.png'), bomb);
  writeFileSync(path.join(dir, 'full-bomb.png'), fullBomb);
  writeFileSync(path.join(dir, 'bomb.bmp'), bmpClaiming(60_000, 60_000));
  mkdirSync(path.join(dir, 'models'));
  backend = testBackend(dir, path.join(dir, 'models'));
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `work`, returning how much the process's memory grew meanwhile. "Refused before decoding" is
 * shown by the refusal itself (only the header check says "above the 100 MP limit"; a decoder would
 * fail on the 4-row bomb as truncated) and, as a backstop, by a memory growth far below what decoding
 * needs. The strict figures (refused within 1 s, under 100 MB of growth) are `dlnet bench`'s
 * bomb_refusal_ms and bomb_refusal_rss_growth_mb, measured on a quiet machine.
 */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; grewMiB: number }> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const value = await work();
    return { value, grewMiB: (Math.max(peak, process.memoryUsage().rss) - rss0) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

describe('absurd sizes are refused from the header, before decoding', () => {
  test('a tiny PNG whose header claims 50000 × 50000', async () => {
    assert.ok(bomb.length < 1024, `the file is tiny (${bomb.length} bytes)`);
    const { value, grewMiB } = await measured(() =>
      readImage(path.join(dir, 'bomb.png')).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    assert.ok(value instanceof Error, 'refused');
    assert.equal((value as Error & { code?: string }).code, 'too-large');
    assert.equal((value as Error).message, 'bomb.png is 50000 × 50000 pixels (2500 MP), above the 100 MP limit.');
    assert.ok(grewMiB < 400, `memory grew by ${grewMiB.toFixed(0)} MiB (decoding would need 2.4 GiB)`);
  });

  test('a complete 121-megapixel PNG of about 120 KB (a real decompression bomb)', async () => {
    assert.ok(statSync(path.join(dir, 'full-bomb.png')).size < 200_000, 'the file is small');
    const { value, grewMiB } = await measured(() =>
      readImage(path.join(dir, 'full-bomb.png')).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    assert.equal((value as Error & { code?: string }).code, 'too-large');
    assert.match((value as Error).message, /^full-bomb\.png is 11000 × 11000 pixels \(121 MP\), above the 100 MP limit\.$/);
    assert.ok(grewMiB < 400, `memory grew by ${grewMiB.toFixed(0)} MiB (decoding would need over 115 MiB, 460 MiB as floats)`);
  });

  test('a BMP header claiming 60000 × 60000 (the engine’s own BMP reader)', async () => {
    await assert.rejects(readImage(path.join(dir, 'bomb.bmp')), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'too-large');
      assert.match(e.message, /60000 × 60000 pixels \(3600 MP\), above the 100 MP limit\./);
      return true;
    });
  });

  test('through the API: upload, open by path and mask bytes are refused with one sentence', async () => {
    const call = (channel: string, args: unknown) => backend.dispatcher.handle(channel, args, () => undefined);
    const upload = await call(Channels.imageUpload, { name: 'holiday.png', bytes: new Uint8Array(bomb) });
    assert.deepEqual(upload, {
      ok: false,
      error: { code: 'too-large', message: 'holiday.png is 50000 × 50000 pixels (2500 MP), above the 100 MP limit.' },
    });
    const opened = await call(Channels.imageOpen, { path: path.join(dir, 'full-bomb.png') });
    assert.equal(opened.ok ? 'accepted' : opened.error.code, 'too-large');
    const bmp = await call(Channels.imageUpload, { name: 'x.bmp', bytes: new Uint8Array(bmpClaiming(60_000, 60_000)) });
    assert.equal(bmp.ok ? 'accepted' : bmp.error.code, 'too-large');
    // A mask for an open image: the mask's header is checked the same way.
    const small = pngClaiming(8, 8, 8);
    const image = (await call(Channels.imageUpload, {
      name: 'small.png',
      bytes: new Uint8Array(small),
    })) as ApiResponse<OpenedImage>;
    assert.ok(image.ok, image.ok ? '' : image.error.message);
    const mask = await call(Channels.maskLoad, { imageId: image.result.imageId, name: 'mask.png', bytes: new Uint8Array(bomb) });
    assert.equal(mask.ok ? 'accepted' : mask.error.code, 'too-large');
  });

  test('over the `dlnet serve` WebSocket', async () => {
    const staticDir = path.join(dir, 'static');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');
    const server = await startWsServer({ port: 0, staticDir, dispatcher: backend.dispatcher, log: silentLogger });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
        origin: `http://127.0.0.1:${server.port}`,
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const response = await new Promise<Record<string, unknown>>((resolve) => {
        ws.on('message', (data: Buffer) => {
          const m = decodeMessage(new Uint8Array(data)) as Record<string, unknown>;
          if (m.kind === 'response') resolve(m);
        });
        ws.send(
          encodeMessage({
            kind: 'request',
            id: 7,
            channel: Channels.imageUpload,
            args: { name: 'bomb.png', bytes: new Uint8Array(bomb) },
          }),
        );
      });
      assert.deepEqual(response, {
        kind: 'response',
        id: 7,
        ok: false,
        error: { code: 'too-large', message: 'bomb.png is 50000 × 50000 pixels (2500 MP), above the 100 MP limit.' },
      });
      ws.close();
    } finally {
      await server.close();
    }
  });
});
