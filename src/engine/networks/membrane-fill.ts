/**
 * The fconv-inpaint network's first guess in plain JS: an approximate membrane (harmonic) fill of the
 * missing pixels, coarse to fine, computed exactly as training/fconv_inpaint.py's membrane_fill.
 *
 * Pyramid of 2×2 averages v of y·M and w of M. Below the coarsest level stands the mean of all known
 * pixels; each level starts from b_l = v_l + (1 − w_l)·up(b_{l+1}) (up: ×2 bilinear, half-pixel
 * centres, edges clamped) and takes `sweeps` Jacobi sweeps of b ← v + (1 − w)·(mean of the 4
 * neighbours, edges replicated). A cell with w = 1 never changes, so the sweeps visit only the others:
 * at full resolution those are the hole's pixels alone. With tfjs ops every sweep passed over the whole
 * crop: five 100-px holes in a 12 MP photo with a 100-sweep model took 4.08 s warm so, 3.12 s here.
 */

/** One pyramid level: v the 2×2 means of y·M (height × width × channels, interleaved), w those of M. */
interface Level {
  height: number;
  width: number;
  v: Float32Array;
  w: Float32Array;
}

function halve(level: Level, channels: number): Level {
  const height = level.height / 2;
  const width = level.width / 2;
  const v = new Float32Array(height * width * channels);
  const w = new Float32Array(height * width);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) {
      const a = 2 * r * level.width + 2 * c; // the 2×2 block's cells: a, a + 1, b, b + 1
      const b = a + level.width;
      const cell = r * width + c;
      w[cell] = 0.25 * (level.w[a] + level.w[a + 1] + level.w[b] + level.w[b + 1]);
      for (let ch = 0; ch < channels; ch++)
        v[cell * channels + ch] =
          0.25 *
          (level.v[a * channels + ch] +
            level.v[(a + 1) * channels + ch] +
            level.v[b * channels + ch] +
            level.v[(b + 1) * channels + ch]);
    }
  return { height, width, v, w };
}

/** ×2 bilinear with half-pixel centres and clamped edges: out[2i] = ¾·in[i] + ¼·in[i−1], out[2i+1] = ¾·in[i] + ¼·in[i+1]. */
function upsample(b: Float32Array, height: number, width: number, channels: number): Float32Array {
  const rows = new Float32Array(2 * height * width * channels);
  for (let r = 0; r < 2 * height; r++) {
    const near = r >> 1;
    const far = Math.min(height - 1, Math.max(0, r % 2 === 0 ? near - 1 : near + 1));
    const o = r * width * channels;
    const n = near * width * channels;
    const f = far * width * channels;
    for (let i = 0; i < width * channels; i++) rows[o + i] = 0.75 * b[n + i] + 0.25 * b[f + i];
  }
  const out = new Float32Array(4 * height * width * channels);
  for (let r = 0; r < 2 * height; r++)
    for (let c = 0; c < 2 * width; c++) {
      const near = c >> 1;
      const far = Math.min(width - 1, Math.max(0, c % 2 === 0 ? near - 1 : near + 1));
      const o = (r * 2 * width + c) * channels;
      const n = (r * width + near) * channels;
      const f = (r * width + far) * channels;
      for (let ch = 0; ch < channels; ch++) out[o + ch] = 0.75 * rows[n + ch] + 0.25 * rows[f + ch];
    }
  return out;
}

/** `sweeps` Jacobi sweeps over the cells with w < 1 of b = v + (1 − w)·start. */
function smooth(start: Float32Array, level: Level, channels: number, sweeps: number): Float32Array {
  const { height, width, v, w } = level;
  let b = new Float32Array(v.length);
  let free = 0;
  for (let cell = 0; cell < height * width; cell++) {
    const keep = 1 - w[cell];
    if (keep !== 0) free++;
    for (let ch = 0; ch < channels; ch++) b[cell * channels + ch] = v[cell * channels + ch] + keep * start[cell * channels + ch];
  }
  // Per free cell: its first value's index, its 4 neighbours' (edges replicated) and its missing share.
  const at = new Int32Array(free);
  const around = new Int32Array(4 * free);
  const share = new Float32Array(free);
  const rowStride = width * channels;
  for (let cell = 0, f = 0; cell < height * width; cell++) {
    if (w[cell] === 1) continue;
    const r = (cell / width) | 0;
    const c = cell - r * width;
    const i = cell * channels;
    at[f] = i;
    around[4 * f] = r > 0 ? i - rowStride : i;
    around[4 * f + 1] = r < height - 1 ? i + rowStride : i;
    around[4 * f + 2] = c > 0 ? i - channels : i;
    around[4 * f + 3] = c < width - 1 ? i + channels : i;
    share[f] = 1 - w[cell];
    f++;
  }
  let next = Float32Array.from(b);
  for (let s = 0; s < sweeps; s++) {
    if (channels === 3) sweepRgb(b, next, v, at, around, share);
    else
      for (let f = 0; f < free; f++) {
        const i = at[f];
        const keep = 0.25 * share[f];
        for (let ch = 0; ch < channels; ch++)
          next[i + ch] =
            v[i + ch] +
            keep * (b[around[4 * f] + ch] + b[around[4 * f + 1] + ch] + b[around[4 * f + 2] + ch] + b[around[4 * f + 3] + ch]);
      }
    [b, next] = [next, b];
  }
  return b;
}

/** One Jacobi sweep for 3 channels, unrolled: 300 sweeps on a 1 MP crop with an 800-px hole took 3.47 s with the loop over channels, 2.36 s so. */
function sweepRgb(
  b: Float32Array,
  next: Float32Array,
  v: Float32Array,
  at: Int32Array,
  around: Int32Array,
  share: Float32Array,
): void {
  for (let f = 0; f < at.length; f++) {
    const i = at[f];
    const up = around[4 * f];
    const down = around[4 * f + 1];
    const left = around[4 * f + 2];
    const right = around[4 * f + 3];
    const keep = 0.25 * share[f];
    next[i] = v[i] + keep * (b[up] + b[down] + b[left] + b[right]);
    next[i + 1] = v[i + 1] + keep * (b[up + 1] + b[down + 1] + b[left + 1] + b[right + 1]);
    next[i + 2] = v[i + 2] + keep * (b[up + 2] + b[down + 2] + b[left + 2] + b[right + 2]);
  }
}

/**
 * The first guess for one image: y is height × width × channels (interleaved), mask height × width;
 * both sides must be multiples of 2^levels.
 */
export function membraneFillImage(
  y: Float32Array,
  mask: Float32Array,
  shape: { height: number; width: number; channels: number },
  levels: number,
  sweeps: number,
): Float32Array {
  const { height, width, channels } = shape;
  const v = new Float32Array(y.length);
  const known = new Float64Array(channels);
  let knownCount = 0;
  for (let cell = 0; cell < height * width; cell++) {
    knownCount += mask[cell];
    for (let ch = 0; ch < channels; ch++) {
      v[cell * channels + ch] = y[cell * channels + ch] * mask[cell];
      known[ch] += v[cell * channels + ch];
    }
  }
  const pyramid: Level[] = [{ height, width, v, w: mask }];
  for (let l = 0; l < levels; l++) pyramid.push(halve(pyramid[l], channels));

  const top = pyramid[levels];
  const mean = new Float32Array(top.height * top.width * channels);
  for (let i = 0; i < mean.length; i++) mean[i] = known[i % channels] / Math.max(knownCount, 1);
  let b = smooth(mean, top, channels, sweeps);
  for (let l = levels - 1; l >= 0; l--) {
    const coarser = pyramid[l + 1];
    b = smooth(upsample(b, coarser.height, coarser.width, channels), pyramid[l], channels, sweeps);
  }
  return b;
}
