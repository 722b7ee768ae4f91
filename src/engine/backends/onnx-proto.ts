/**
 * A minimal ONNX (protobuf) writer for the graphs the onnxruntime backend builds itself: the
 * availability probe, the bench's 3×3 conv probe (stacks of Conv + Relu) and the DL-Net head's matrix
 * products. The networks' own graphs come from training/export_onnx.py; this only saves shipping
 * such small files. Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */

class Writer {
  private readonly chunks: Uint8Array[] = [];

  private varint(value: number): void {
    const bytes: number[] = [];
    let v = value;
    while (v > 0x7f) {
      bytes.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.chunks.push(Uint8Array.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(data.length);
    this.chunks.push(data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const FLOAT = 1;
const ATTR_INTS = 7;

/** One dimension: a number, or a name (dynamic). */
export type Dim = number | string;

function valueInfo(w: Writer, field: number, name: string, dims: Dim[]): void {
  w.message(field, (v) =>
    v.string(1, name).message(2, (t) =>
      t.message(1, (tt) =>
        tt.int(1, FLOAT).message(2, (shape) => {
          for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }),
      ),
    ),
  );
}

function initializer(w: Writer, name: string, dims: number[], data: Float32Array): void {
  w.message(5, (t) => {
    for (const d of dims) t.int(1, d);
    t.int(2, FLOAT)
      .string(8, name)
      .bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
}

/**
 * A stack of `layers` 3×3 'same' convs (C → C channels, bias, ReLU after each) on NCHW input
 * "x" [n, C, h, w] with dynamic n, h, w; output "y". Weights from `kernel(layer)` (OIHW).
 */
export function convStackModel(channels: number, layers: number, kernel: (layer: number) => Float32Array): Uint8Array {
  return new Writer()
    .int(1, 7) // ir_version 7 (opset 13)
    .string(2, 'dlnet-studio')
    .message(8, (o) => o.string(1, '').int(2, 13))
    .message(7, (g) => {
      g.string(2, 'conv-stack');
      for (let i = 0; i < layers; i++) {
        const input = i === 0 ? 'x' : `r${i - 1}`;
        g.message(1, (n) =>
          n
            .string(1, input)
            .string(1, `w${i}`)
            .string(1, `b${i}`)
            .string(2, `c${i}`)
            .string(3, `conv${i}`)
            .string(4, 'Conv')
            .message(5, (a) => {
              a.string(1, 'kernel_shape').int(20, ATTR_INTS);
              a.int(8, 3).int(8, 3);
            })
            .message(5, (a) => {
              a.string(1, 'pads').int(20, ATTR_INTS);
              for (let k = 0; k < 4; k++) a.int(8, 1);
            }),
        );
        g.message(1, (n) =>
          n
            .string(1, `c${i}`)
            .string(2, i === layers - 1 ? 'y' : `r${i}`)
            .string(3, `relu${i}`)
            .string(4, 'Relu'),
        );
      }
      for (let i = 0; i < layers; i++) {
        initializer(g, `w${i}`, [channels, channels, 3, 3], kernel(i));
        initializer(g, `b${i}`, [channels], new Float32Array(channels));
      }
      valueInfo(g, 11, 'x', ['n', channels, 'h', 'w']);
      valueInfo(g, 12, 'y', ['n', channels, 'h', 'w']);
    })
    .finish();
}

const ATTR_INT = 2;

/**
 * Products in planar (channel-major) layout: with `transposeInput`, y [n, p] = w [n, k] · xᵀ for
 * "x" [p, k]; without, y [p, n] = xᵀ · w for "x" [k, p] and "w" [k, n]. p is dynamic, and so is
 * k or n where it is a name. The DL-Net head's products (onnx-head.ts).
 */
export function gemmModel(k: Dim, n: Dim, transposeInput: boolean): Uint8Array {
  return new Writer()
    .int(1, 7)
    .string(2, 'dlnet-studio')
    .message(8, (o) => o.string(1, '').int(2, 13))
    .message(7, (g) => {
      g.string(2, 'gemm');
      g.message(1, (node) => {
        node
          .string(1, transposeInput ? 'w' : 'x')
          .string(1, transposeInput ? 'x' : 'w')
          .string(2, 'y')
          .string(3, 'gemm')
          .string(4, 'Gemm');
        node.message(5, (a) =>
          a
            .string(1, transposeInput ? 'transB' : 'transA')
            .int(20, ATTR_INT)
            .int(3, 1),
        );
      });
      valueInfo(g, 11, 'w', transposeInput ? [n, k] : [k, n]);
      valueInfo(g, 11, 'x', transposeInput ? ['p', k] : [k, 'p']);
      valueInfo(g, 12, 'y', transposeInput ? [n, 'p'] : ['p', n]);
    })
    .finish();
}
