/**
 * The WebSocket transport's message format: one binary message per request, response or event.
 * Layout: 4-byte little-endian length of a UTF-8 JSON header, the header, then the raw bytes of
 * every Uint8Array in the message, concatenated. In the header each Uint8Array is replaced by
 * {"$bytes": [offset, length]} (relative to the end of the header), so images and masks cross
 * without base64 or re-encoding. Pure: runs in Node and in the browser.
 */
import type { AppEvent, ApiResponse, Channel } from './api.js';

export type ClientMessage = { kind: 'request'; id: number; channel: Channel; args: unknown };
export type ServerMessage = ({ kind: 'response'; id: number } & ApiResponse<unknown>) | { kind: 'event'; event: AppEvent };

const BYTES_KEY = '$bytes';

export function encodeMessage(message: ClientMessage | ServerMessage): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      const ref = { [BYTES_KEY]: [offset, value.length] };
      chunks.push(value);
      offset += value.length;
      return ref;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      throw new TypeError('Only Uint8Array binary values can be sent.');
    }
    return value;
  });
  const header = new TextEncoder().encode(json);
  const out = new Uint8Array(4 + header.length + offset);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Decodes a message; throws TypeError on anything malformed (the caller closes the connection). */
export function decodeMessage(data: Uint8Array): unknown {
  if (data.length < 4) throw new TypeError('Message too short.');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > data.length - 4) throw new TypeError('Message header length is out of range.');
  const body = data.subarray(4 + headerLength);
  const json = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4, 4 + headerLength));
  return JSON.parse(json, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && BYTES_KEY in value) {
      const keys = Object.keys(value);
      const ref = (value as Record<string, unknown>)[BYTES_KEY];
      if (
        keys.length !== 1 ||
        !Array.isArray(ref) ||
        ref.length !== 2 ||
        !Number.isInteger(ref[0]) ||
        !Number.isInteger(ref[1]) ||
        ref[0] < 0 ||
        ref[1] < 0 ||
        ref[0] + ref[1] > body.length
      ) {
        throw new TypeError('Message has a malformed binary reference.');
      }
      return body.subarray(ref[0], ref[0] + ref[1]);
    }
    return value;
  });
}
