/** The typed API's validators and the WebSocket wire codec (src/api). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_CHANNELS,
  Channels,
  MAX_PIXELS,
  MAX_UPLOAD_BYTES,
  isChannel,
  validateRequest,
  validators,
  ValidationError,
} from '../../src/api/api.js';
import { decodeMessage, encodeMessage } from '../../src/api/wire.js';

const refuses = (channel: unknown, args: unknown, pattern: RegExp) =>
  assert.throws(
    () => validateRequest(channel, args),
    (e: unknown) => e instanceof ValidationError && pattern.test(e.message) && !/\n/.test(e.message),
  );

const sr = { task: 'sr', scale: 3, blur: 1.3, iterations: 5, gamma: 1e-3 };

describe('API validators', () => {
  test('every channel has a validator and a unique name with the app prefix', () => {
    assert.equal(new Set(ALL_CHANNELS).size, ALL_CHANNELS.length);
    for (const channel of ALL_CHANNELS) {
      assert.ok(channel.startsWith('dlnet:'));
      assert.equal(typeof validators[channel], 'function');
    }
    assert.equal(isChannel('dlnet:nope'), false);
    refuses('dlnet:nope', {}, /Unknown request "dlnet:nope"\./);
    refuses(42, {}, /Unknown request/);
  });

  test('bad paths are refused with one sentence', () => {
    refuses(Channels.imageOpen, { path: 'photo.png' }, /^Path must be an absolute path, not "photo\.png"\.$/);
    refuses(Channels.imageOpen, { path: '../etc/passwd' }, /absolute path/);
    refuses(Channels.imageOpen, { path: '/tmp/a\0b.png' }, /NUL character/);
    refuses(Channels.imageOpen, { path: '' }, /must not be empty/);
    refuses(Channels.imageOpen, { path: `/${'a'.repeat(5000)}` }, /too long \(5001 characters; at most 4096\)/);
    refuses(Channels.imageOpen, { path: 42 }, /^Path must be text, not number 42\.$/);
    refuses(Channels.imageOpen, {}, /missing "path"/);
    refuses(Channels.imageUpload, { name: '../evil.png', bytes: new Uint8Array(1) }, /file name without folders/);
    assert.deepEqual(validateRequest(Channels.imageOpen, { path: '/home/me/photo.png' }).args, { path: '/home/me/photo.png' });
    assert.deepEqual(validateRequest(Channels.imageOpen, { path: 'C:\\photos\\a.jpg' }).args, { path: 'C:\\photos\\a.jpg' });
  });

  test('wrong types and unknown fields are refused', () => {
    refuses(Channels.jobStart, null, /Arguments must be an object/);
    refuses(Channels.jobStart, [1, 2], /Arguments must be an object/);
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, scale: '3' } }, /^Scale must be a number, not "3"\.$/);
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, scale: 5 } }, /^Scale must be 2, 3 or 4, not 5\.$/);
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, blur: 3.5 } }, /Blur u must be a number from 0 to 3/);
    refuses(
      Channels.jobStart,
      { imageId: 'img-1', settings: { ...sr, iterations: 2.5 } },
      /Iterations K must be a whole number from 1 to 50/,
    );
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, iterations: 51 } }, /from 1 to 50/);
    refuses(
      Channels.jobStart,
      { imageId: 'img-1', settings: { ...sr, gamma: 0 } },
      /Step size γ must be a number between 0 and 1/,
    );
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, gamma: Number.NaN } }, /between 0 and 1/);
    refuses(
      Channels.jobStart,
      { imageId: 'img-1', settings: { ...sr, task: 'deblur' } },
      /Task must be sr, inpaint or interpolate/,
    );
    refuses(
      Channels.jobStart,
      { imageId: 'img-1', settings: { ...sr, hd_strategy_crop_triger_size: 1 } },
      /unknown field "hd_strategy_crop_triger_size"/,
    );
    refuses(Channels.jobStart, { imageId: '../../x', settings: sr }, /Image id is not a valid id/);
    refuses(Channels.jobStart, { imageId: 'img-1', settings: { ...sr, modelId: '../x' } }, /Model must be a model id/);
    refuses(Channels.jobSave, { jobId: 'job-1', path: '/tmp/a.gif', format: 'gif' }, /Format must be png, jpeg, webp or tiff/);
    refuses(
      Channels.jobSave,
      { jobId: 'job-1', path: '/tmp/a.jpg', format: 'jpeg', quality: 0 },
      /Quality must be a whole number from 1 to 100/,
    );
    refuses(Channels.imageUpload, { name: 'a.png', bytes: [1, 2, 3] }, /The file must be bytes, not a list/);
    refuses(Channels.appInfo, { extra: 1 }, /unknown field "extra"/);
    const ok = validateRequest(Channels.jobStart, { imageId: 'img-1a2b', settings: sr });
    assert.deepEqual(ok.args, { imageId: 'img-1a2b', settings: sr });
  });

  test('huge sizes are refused before anything is allocated for them', () => {
    refuses(
      Channels.maskSave,
      { path: '/tmp/m.png', mask: { width: 20000, height: 20000, fill: new Uint8Array(4) } },
      /Mask is too large \(20000 × 20000; at most 100 megapixels\)\./,
    );
    refuses(
      Channels.maskSave,
      { path: '/tmp/m.png', mask: { width: 10, height: 10, fill: new Uint8Array(99) } },
      /Mask data has 99 values but 10 × 10 needs 100\./,
    );
    refuses(
      Channels.maskSave,
      { path: '/tmp/m.png', mask: { width: 2, height: 1, fill: Uint8Array.of(0, 7) } },
      /only 0 \(keep\) and 1 \(fill\)/,
    );
    refuses(
      Channels.maskSave,
      { path: '/tmp/m.png', mask: { width: 1.5, height: 1, fill: Uint8Array.of(0) } },
      /Mask width must be a whole number of pixels/,
    );
    refuses(Channels.imageUpload, { name: 'a.png', bytes: new Uint8Array(0) }, /The file is empty \(zero bytes\)\./);
    const huge = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    refuses(Channels.imageUpload, { name: 'a.png', bytes: huge }, /The file is too large \(256 MiB; at most 256 MiB\)\./);
    assert.ok(MAX_PIXELS >= 1e8);
  });
});

describe('wire codec', () => {
  test('round-trips requests with binary payloads, without base64', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const fill = Uint8Array.of(0, 1, 1, 0);
    const message = {
      kind: 'request' as const,
      id: 7,
      channel: Channels.jobStart,
      args: { imageId: 'img-1', settings: { task: 'inpaint', mask: { width: 2, height: 2, fill } }, bytes },
    };
    const encoded = encodeMessage(message);
    assert.ok(encoded.length < 1000 + 400, `compact: ${encoded.length} bytes`);
    const decoded = decodeMessage(encoded) as typeof message;
    assert.deepEqual(decoded.args.bytes, bytes);
    assert.deepEqual(decoded.args.settings.mask.fill, fill);
    assert.equal(decoded.channel, Channels.jobStart);
    // The decoded payload passes the same validators the backend uses.
    assert.deepEqual(
      validateRequest(decoded.channel, {
        imageId: 'img-1',
        settings: { task: 'inpaint', iterations: 5, gamma: 1e-3, mask: decoded.args.settings.mask },
      }).args.settings,
      {
        task: 'inpaint',
        iterations: 5,
        gamma: 1e-3,
        mask: { width: 2, height: 2, fill },
      },
    );
  });

  test('refuses malformed messages', () => {
    assert.throws(() => decodeMessage(new Uint8Array(2)), /too short/);
    const bad = new Uint8Array(8);
    new DataView(bad.buffer).setUint32(0, 1000, true);
    assert.throws(() => decodeMessage(bad), /out of range/);
    const forged = encodeMessage({ kind: 'event', event: { type: 'job.cancelled', jobId: 'job-1' } });
    const text = new TextEncoder().encode('{"x":{"$bytes":[0,99]}}');
    const msg = new Uint8Array(4 + text.length);
    new DataView(msg.buffer).setUint32(0, text.length, true);
    msg.set(text, 4);
    assert.throws(() => decodeMessage(msg), /malformed binary reference/);
    assert.ok(forged.length > 4);
    assert.throws(
      () => encodeMessage({ kind: 'event', event: { type: 'x', data: new Float32Array(2) } } as never),
      /Only Uint8Array/,
    );
  });
});
