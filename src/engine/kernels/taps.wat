;; One output row of the DL-Net head's 3×3 conv from its tap planes (parallel/head-taps.ts headForward),
;; four pixels per SIMD instruction; kernels/step-arena.ts owns the memory and calls it.
;;
;; For j in 0..n−1 (n ≥ 2), where the pixels exist:
;;   out[j] += (u0[j − 1] + u1[j]) + u2[j + 1]
;;
;; Arguments are byte addresses of out[0], u0[0], u1[0] and u2[0] in the module's memory.
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "tapRow") (param $out i32) (param $u0 i32) (param $u1 i32) (param $u2 i32) (param $n i32)
    (local $j i32) (local $at i32) (local $last i32)
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    ;; Column 0 has no left neighbour.
    (f32.store (local.get $out)
      (f32.add (f32.load (local.get $out)) (f32.add (f32.load (local.get $u1)) (f32.load offset=4 (local.get $u2)))))
    (local.set $j (i32.const 1))
    ;; Four at a time while j + 4 ≤ last.
    (block $simdDone
      (loop $simd
        (br_if $simdDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $last)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $at))
          (f32x4.add (v128.load (i32.add (local.get $out) (local.get $at)))
            (f32x4.add
              (f32x4.add
                (v128.load (i32.sub (i32.add (local.get $u0) (local.get $at)) (i32.const 4)))
                (v128.load (i32.add (local.get $u1) (local.get $at))))
              (v128.load offset=4 (i32.add (local.get $u2) (local.get $at))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $simd)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_s (local.get $j) (local.get $last)))
        (local.set $at (i32.shl (local.get $j) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32.load (i32.add (local.get $out) (local.get $at)))
            (f32.add
              (f32.add
                (f32.load (i32.sub (i32.add (local.get $u0) (local.get $at)) (i32.const 4)))
                (f32.load (i32.add (local.get $u1) (local.get $at))))
              (f32.load offset=4 (i32.add (local.get $u2) (local.get $at))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
    ;; Column n − 1 has no right neighbour.
    (local.set $at (i32.shl (local.get $last) (i32.const 2)))
    (f32.store (i32.add (local.get $out) (local.get $at))
      (f32.add (f32.load (i32.add (local.get $out) (local.get $at)))
        (f32.add
          (f32.load (i32.sub (i32.add (local.get $u0) (local.get $at)) (i32.const 4)))
          (f32.load (i32.add (local.get $u1) (local.get $at))))))))
