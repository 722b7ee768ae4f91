;; The row pass of the SR degradation W and of its transpose (parallel/sr-operator.ts weightedRows): a
;; weighted sum of up to four source rows into one destination row, four values per instruction, in single
;; precision (the JS loop sums in doubles: the two differ in the last bits). kernels/step-arena.ts owns the
;; memory and calls it.
;;
;; For p in 0..len−1, with s_i[p] the f32 at byte address s_i + 4p:
;;   n = 1: e = w0·s0[p]
;;   n = 2: e = w0·s0[p] + w1·s1[p]
;;   n = 4: e = ((w0·s0[p] + w1·s1[p]) + w2·s2[p]) + w3·s3[p]
;;   dst[p] = e when fresh, else dst[p] + e
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "rows")
    (param $dst i32) (param $len i32) (param $fresh i32) (param $n i32)
    (param $s0 i32) (param $w0 f32) (param $s1 i32) (param $w1 f32)
    (param $s2 i32) (param $w2 f32) (param $s3 i32) (param $w3 f32)
    (local $p i32) (local $bytes i32) (local $vecEnd i32) (local $e v128) (local $x f32)
    (local $W0 v128) (local $W1 v128) (local $W2 v128) (local $W3 v128)
    (local.set $W0 (f32x4.splat (local.get $w0)))
    (local.set $W1 (f32x4.splat (local.get $w1)))
    (local.set $W2 (f32x4.splat (local.get $w2)))
    (local.set $W3 (f32x4.splat (local.get $w3)))
    (local.set $bytes (i32.shl (local.get $len) (i32.const 2)))
    (local.set $vecEnd (i32.and (local.get $bytes) (i32.const -16)))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (local.set $e (f32x4.mul (v128.load (i32.add (local.get $s0) (local.get $p))) (local.get $W0)))
        (if (i32.ge_u (local.get $n) (i32.const 2))
          (then
            (local.set $e
              (f32x4.add (local.get $e) (f32x4.mul (v128.load (i32.add (local.get $s1) (local.get $p))) (local.get $W1))))))
        (if (i32.eq (local.get $n) (i32.const 4))
          (then
            (local.set $e
              (f32x4.add (local.get $e) (f32x4.mul (v128.load (i32.add (local.get $s2) (local.get $p))) (local.get $W2))))
            (local.set $e
              (f32x4.add (local.get $e) (f32x4.mul (v128.load (i32.add (local.get $s3) (local.get $p))) (local.get $W3))))))
        (if (i32.eqz (local.get $fresh))
          (then (local.set $e (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $p))) (local.get $e)))))
        (v128.store (i32.add (local.get $dst) (local.get $p)) (local.get $e))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    ;; The last len mod 4 values one at a time, the same sums.
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $p) (local.get $bytes)))
        (local.set $x (f32.mul (f32.load (i32.add (local.get $s0) (local.get $p))) (local.get $w0)))
        (if (i32.ge_u (local.get $n) (i32.const 2))
          (then
            (local.set $x (f32.add (local.get $x) (f32.mul (f32.load (i32.add (local.get $s1) (local.get $p))) (local.get $w1))))))
        (if (i32.eq (local.get $n) (i32.const 4))
          (then
            (local.set $x (f32.add (local.get $x) (f32.mul (f32.load (i32.add (local.get $s2) (local.get $p))) (local.get $w2))))
            (local.set $x (f32.add (local.get $x) (f32.mul (f32.load (i32.add (local.get $s3) (local.get $p))) (local.get $w3))))))
        (if (i32.eqz (local.get $fresh))
          (then (local.set $x (f32.add (f32.load (i32.add (local.get $dst) (local.get $p))) (local.get $x)))))
        (f32.store (i32.add (local.get $dst) (local.get $p)) (local.get $x))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))))
