;; The DL-Net steps' a = ReLU(z) and its active set, in place on a copy of z in the module's memory
;; (kernels/step-arena.ts owns the memory, copies z there and calls these; active-adam.ts has the same
;; passes in JS).
;;
;; Each counter is an i32 lane: a region of more than 2³¹ entries per lane is far past the 4 GiB memory.
;;
;; count:     how many of a[0..n−1] are > 0, four entries per instruction.
;; relu:      a[i] = max(a[i], 0) for i in 0..n−1, four entries per instruction.
;; activeSet: the same, and for every i with a[i] > 0 (in order) index[c] = i and active[c] = a[i];
;;            returns the count c. Four entries at a time: the lanes > 0 are packed to the front of a
;;            vector by a byte shuffle looked up from their sign mask in `table` (16 patterns of 16 bytes,
;;            step-arena.ts writes them), and the whole vector is stored at c, so up to 3 entries past
;;            the count in index and active are written (the caller leaves them free).
;;
;; Arguments are byte addresses in the module's memory.
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "count") (param $a i32) (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $simdEnd i32) (local $acc v128) (local $c i32)
    (local.set $p (local.get $a))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $simdEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $simdDone
      (loop $simd
        (br_if $simdDone (i32.ge_u (local.get $p) (local.get $simdEnd)))
        ;; A lane > 0 compares to all ones (−1): subtracting counts it.
        (local.set $acc
          (i32x4.sub (local.get $acc) (f32x4.gt (v128.load (local.get $p)) (v128.const f32x4 0 0 0 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $simd)))
    (local.set $c
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
        (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.add (local.get $c) (f32.gt (f32.load (local.get $p)) (f32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $c))

  (func (export "relu") (param $a i32) (param $n i32)
    (local $p i32) (local $end i32) (local $simdEnd i32)
    (local.set $p (local.get $a))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $simdEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $simdDone
      (loop $simd
        (br_if $simdDone (i32.ge_u (local.get $p) (local.get $simdEnd)))
        (v128.store (local.get $p) (f32x4.max (v128.load (local.get $p)) (v128.const f32x4 0 0 0 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $simd)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p) (f32.max (f32.load (local.get $p)) (f32.const 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail))))

  (func (export "activeSet") (param $a i32) (param $index i32) (param $active i32) (param $n i32) (param $table i32)
    (result i32)
    (local $p i32) (local $end i32) (local $simdEnd i32) (local $c i32) (local $bits i32) (local $i i32)
    (local $v v128) (local $pattern v128) (local $idx v128) (local $s f32) (local $on i32)
    (local.set $p (local.get $a))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $simdEnd (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $idx (v128.const i32x4 0 1 2 3))
    (block $simdDone
      (loop $simd
        (br_if $simdDone (i32.ge_u (local.get $p) (local.get $simdEnd)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $bits (i32x4.bitmask (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (local.set $pattern (v128.load (i32.add (local.get $table) (i32.shl (local.get $bits) (i32.const 4)))))
        (v128.store (i32.add (local.get $active) (i32.shl (local.get $c) (i32.const 2)))
          (i8x16.swizzle (local.get $v) (local.get $pattern)))
        (v128.store (i32.add (local.get $index) (i32.shl (local.get $c) (i32.const 2)))
          (i8x16.swizzle (local.get $idx) (local.get $pattern)))
        (v128.store (local.get $p) (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))
        (local.set $c (i32.add (local.get $c) (i32.popcnt (local.get $bits))))
        (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $simd)))
    (local.set $i (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.load (local.get $p)))
        (local.set $on (f32.gt (local.get $s) (f32.const 0)))
        (i32.store (i32.add (local.get $index) (i32.shl (local.get $c) (i32.const 2))) (local.get $i))
        (f32.store (i32.add (local.get $active) (i32.shl (local.get $c) (i32.const 2))) (local.get $s))
        (f32.store (local.get $p) (f32.max (local.get $s) (f32.const 0)))
        (local.set $c (i32.add (local.get $c) (local.get $on)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $c)))
