;; One DL-Net Adam step over the active entries of z, four entries per SIMD instruction (see
;; kernels/adam-kernel.ts, which owns the memory and calls it; active-adam.ts has the same step in JS).
;;
;; For j in j0..j1 (i = index[j], an entry of the dense a):
;;   d = z[j] > 0 ? grad[i] : 0             (ReLU′ folded in)
;;   m[j] = β1 m[j] + (1 − β1) d
;;   v[j] = β2 v[j] + (1 − β2) d²
;;   z[j] −= γ c1 m[j] / sqrt(c2 v[j] > 1e−16 ? c2 v[j] : 1e−16)   (c1, c2: step k's bias corrections)
;;   a[i] = z[j] > 0 ? z[j] : 0
;;
;; Arguments are byte addresses in the module's memory; `grad` is the address of grad[0] in entries
;; of a, which may lie before the array's start (a slab of rows holds grad[off …]; i32 arithmetic wraps,
;; the addresses read are in range).
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "adam")
    (param $index i32) (param $z i32) (param $m i32) (param $v i32) (param $grad i32) (param $a i32)
    (param $j0 i32) (param $j1 i32)
    (param $beta1 f32) (param $beta2 f32) (param $gammaC1 f32) (param $c2 f32)
    (local $j i32) (local $at i32) (local $i4 v128) (local $d v128) (local $zv v128) (local $mv v128)
    (local $vv v128) (local $zn v128) (local $b1 v128) (local $b2 v128) (local $ob1 v128) (local $ob2 v128)
    (local $gc v128) (local $cc2 v128) (local $eps v128) (local $zero v128)
    (local $i i32) (local $zs f32) (local $ds f32) (local $ms f32) (local $vs f32) (local $zns f32)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $ob1 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta1))))
    (local.set $ob2 (f32x4.splat (f32.sub (f32.const 1) (local.get $beta2))))
    (local.set $gc (f32x4.splat (local.get $gammaC1)))
    (local.set $cc2 (f32x4.splat (local.get $c2)))
    (local.set $eps (f32x4.splat (f32.const 1e-16)))
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $j (local.get $j0))
    ;; Four at a time while j + 4 ≤ j1.
    (block $simdDone
      (loop $simd
        (br_if $simdDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $j1)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $i4 (i32x4.shl (v128.load (i32.add (local.get $index) (local.get $at))) (i32.const 2)))
        (local.set $zv (v128.load (i32.add (local.get $z) (local.get $at))))
        (local.set $d (f32x4.replace_lane 0 (local.get $zero)
          (f32.load (i32.add (local.get $grad) (i32x4.extract_lane 0 (local.get $i4))))))
        (local.set $d (f32x4.replace_lane 1 (local.get $d)
          (f32.load (i32.add (local.get $grad) (i32x4.extract_lane 1 (local.get $i4))))))
        (local.set $d (f32x4.replace_lane 2 (local.get $d)
          (f32.load (i32.add (local.get $grad) (i32x4.extract_lane 2 (local.get $i4))))))
        (local.set $d (f32x4.replace_lane 3 (local.get $d)
          (f32.load (i32.add (local.get $grad) (i32x4.extract_lane 3 (local.get $i4))))))
        (local.set $d (v128.and (local.get $d) (f32x4.gt (local.get $zv) (local.get $zero))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $b1) (v128.load (i32.add (local.get $m) (local.get $at))))
          (f32x4.mul (local.get $ob1) (local.get $d))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $b2) (v128.load (i32.add (local.get $v) (local.get $at))))
          (f32x4.mul (local.get $ob2) (f32x4.mul (local.get $d) (local.get $d)))))
        (v128.store (i32.add (local.get $m) (local.get $at)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $at)) (local.get $vv))
        (local.set $zn (f32x4.sub (local.get $zv)
          (f32x4.div (f32x4.mul (local.get $gc) (local.get $mv))
            (f32x4.sqrt (f32x4.pmax (local.get $eps) (f32x4.mul (local.get $vv) (local.get $cc2)))))))
        (v128.store (i32.add (local.get $z) (local.get $at)) (local.get $zn))
        ;; pmax(0, zn) = 0 < zn ? zn : 0, as in JS (NaN and −0 give 0).
        (local.set $zn (f32x4.pmax (local.get $zero) (local.get $zn)))
        (f32.store (i32.add (local.get $a) (i32x4.extract_lane 0 (local.get $i4))) (f32x4.extract_lane 0 (local.get $zn)))
        (f32.store (i32.add (local.get $a) (i32x4.extract_lane 1 (local.get $i4))) (f32x4.extract_lane 1 (local.get $zn)))
        (f32.store (i32.add (local.get $a) (i32x4.extract_lane 2 (local.get $i4))) (f32x4.extract_lane 2 (local.get $zn)))
        (f32.store (i32.add (local.get $a) (i32x4.extract_lane 3 (local.get $i4))) (f32x4.extract_lane 3 (local.get $zn)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $simd)))
    ;; The last 0–3 entries one at a time.
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $j) (local.get $j1)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (local.set $i (i32.shl (i32.load (i32.add (local.get $index) (local.get $at))) (i32.const 2)))
        (local.set $zs (f32.load (i32.add (local.get $z) (local.get $at))))
        (local.set $ds (select (f32.load (i32.add (local.get $grad) (local.get $i))) (f32.const 0)
          (f32.gt (local.get $zs) (f32.const 0))))
        (local.set $ms (f32.add (f32.mul (local.get $beta1) (f32.load (i32.add (local.get $m) (local.get $at))))
          (f32.mul (f32.sub (f32.const 1) (local.get $beta1)) (local.get $ds))))
        (local.set $vs (f32.add (f32.mul (local.get $beta2) (f32.load (i32.add (local.get $v) (local.get $at))))
          (f32.mul (f32.sub (f32.const 1) (local.get $beta2)) (f32.mul (local.get $ds) (local.get $ds)))))
        (f32.store (i32.add (local.get $m) (local.get $at)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $at)) (local.get $vs))
        (local.set $zns (f32.sub (local.get $zs)
          (f32.div (f32.mul (local.get $gammaC1) (local.get $ms))
            (f32.sqrt (select (f32.mul (local.get $vs) (local.get $c2)) (f32.const 1e-16)
              (f32.gt (f32.mul (local.get $vs) (local.get $c2)) (f32.const 1e-16)))))))
        (f32.store (i32.add (local.get $z) (local.get $at)) (local.get $zns))
        (f32.store (i32.add (local.get $a) (local.get $i))
          (select (local.get $zns) (f32.const 0) (f32.gt (local.get $zns) (f32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
  )
)
