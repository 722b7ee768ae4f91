;; The pixel shuffle of the SR head at ×2 and its adjoint (parallel/sr-compute.ts shuffleRow / unshuffleRow on
;; planar products), four pixels per instruction. kernels/step-arena.ts owns the memory and calls them.
;;
;; shuffle2, for j in 0..n−1 (f32 at byte addresses): x[2j] = r0[j] + skip[2j], x[2j + 1] = r1[j] + skip[2j + 1]
;; unshuffle2, for j in 0..n−1: d0[j] = x[2j], d1[j] = x[2j + 1]
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "shuffle2") (param $x i32) (param $skip i32) (param $r0 i32) (param $r1 i32) (param $n i32)
    (local $j i32) (local $vecEnd i32) (local $a v128) (local $b v128) (local $o i32)
    (local.set $vecEnd (i32.and (local.get $n) (i32.const -4)))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
        (local.set $a (v128.load (i32.add (local.get $r0) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $b (v128.load (i32.add (local.get $r1) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (v128.store (i32.add (local.get $x) (local.get $o))
          (f32x4.add
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b))
            (v128.load (i32.add (local.get $skip) (local.get $o)))))
        (v128.store (i32.add (local.get $x) (i32.add (local.get $o) (i32.const 16)))
          (f32x4.add
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))
            (v128.load (i32.add (local.get $skip) (i32.add (local.get $o) (i32.const 16))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (f32.store (i32.add (local.get $x) (local.get $o))
          (f32.add
            (f32.load (i32.add (local.get $r0) (i32.shl (local.get $j) (i32.const 2))))
            (f32.load (i32.add (local.get $skip) (local.get $o)))))
        (f32.store (i32.add (local.get $x) (i32.add (local.get $o) (i32.const 4)))
          (f32.add
            (f32.load (i32.add (local.get $r1) (i32.shl (local.get $j) (i32.const 2))))
            (f32.load (i32.add (local.get $skip) (i32.add (local.get $o) (i32.const 4))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail))))
  (func (export "unshuffle2") (param $d0 i32) (param $d1 i32) (param $x i32) (param $n i32)
    (local $j i32) (local $vecEnd i32) (local $lo v128) (local $hi v128) (local $o i32)
    (local.set $vecEnd (i32.and (local.get $n) (i32.const -4)))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (local.set $lo (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $hi (v128.load (i32.add (local.get $x) (i32.add (local.get $o) (i32.const 16)))))
        (v128.store (i32.add (local.get $d0) (i32.shl (local.get $j) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $lo) (local.get $hi)))
        (v128.store (i32.add (local.get $d1) (i32.shl (local.get $j) (i32.const 2)))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $lo) (local.get $hi)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (f32.store (i32.add (local.get $d0) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $x) (local.get $o))))
        (f32.store (i32.add (local.get $d1) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $x) (i32.add (local.get $o) (i32.const 4)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))))
