;; The SR DL-Net steps' split of z's channels into dense and sparse ones (parallel/channel-split.ts has the
;; same passes in JS and says why), on the steps' work arrays in the module's memory (kernels/step-arena.ts
;; owns it and calls these).
;;
;; The active set's `index` holds pixel·C + channel, ascending; instead of dividing by C, the passes walk
;; the pixels along with it (base = pixel·C), so a pass costs the entries plus the pixels.
;;
;; channelCounts: counts[c] += the entries of channel c.
;; split:         for each entry, a dense channel (roles[c] = its rank r ≥ 0) moves it to the front,
;;                index = pixel·Cd + r, and writes a[pixel·Cd + r] = its z; a sparse one (roles[c] < 0)
;;                appends its pixel·C + c to `where` and its z to `aSparse`. Returns the dense count.
;; sparseForward: each sparse entry on rows r0..r1 (s in from..to) with a > 0 adds a·K[kh][kw][c][o] to
;;                output plane o (planes (r1 − r0)·rw apart) at its 3 × 3 neighbours on rows r0..r1.
;; sparseGrads:   grad[s] = Σ K[kh][kw][c][o] · dr[o][i + 1 − kh][j + 1 − kw] for s in from..to (dr: T planes
;;                `planeStride` apart, region rows, zero outside rows r0..r1 and the region's columns).
;;
;; Both take the kernel as rowTaps: for channel c, kernel row kh and output o, one vector
;; (K[kh][2], K[kh][1], K[kh][0], 0), which lines up with the row's pixels j − 1, j, j + 1, j + 2; so a
;; kernel row is one vector multiply-add on four floats of a plane (the fourth adds or reads 0), where all
;; four lie inside the row, and lane by lane at the region's left and right edges.
;;
;; Arguments are byte addresses in the module's memory, except counts and sizes.
(module
  (import "env" "memory" (memory 1 65536))

  (func (export "channelCounts") (param $index i32) (param $n i32) (param $C i32) (param $counts i32)
    (local $j i32) (local $idx i32) (local $base i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $idx (i32.load (i32.add (local.get $index) (i32.shl (local.get $j) (i32.const 2)))))
        (block $found
          (loop $walk
            (br_if $found (i32.lt_u (local.get $idx) (i32.add (local.get $base) (local.get $C))))
            (local.set $base (i32.add (local.get $base) (local.get $C)))
            (br $walk)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.sub (local.get $idx) (local.get $base)) (i32.const 2))))
        (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  (func (export "split") (param $index i32) (param $z i32) (param $n i32) (param $C i32) (param $roles i32)
    (param $Cd i32) (param $a i32) (param $where i32) (param $aSparse i32) (result i32)
    (local $j i32) (local $idx i32) (local $v f32) (local $base i32) (local $dense i32) (local $role i32)
    (local $nd i32) (local $ns i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $idx (i32.load (i32.add (local.get $index) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $v (f32.load (i32.add (local.get $z) (i32.shl (local.get $j) (i32.const 2)))))
        (block $found
          (loop $walk
            (br_if $found (i32.lt_u (local.get $idx) (i32.add (local.get $base) (local.get $C))))
            (local.set $base (i32.add (local.get $base) (local.get $C)))
            (local.set $dense (i32.add (local.get $dense) (local.get $Cd)))
            (br $walk)))
        (local.set $role
          (i32.load (i32.add (local.get $roles) (i32.shl (i32.sub (local.get $idx) (local.get $base)) (i32.const 2)))))
        (if (i32.ge_s (local.get $role) (i32.const 0))
          (then
            (local.set $at (i32.add (local.get $dense) (local.get $role)))
            (i32.store (i32.add (local.get $index) (i32.shl (local.get $nd) (i32.const 2))) (local.get $at))
            (f32.store (i32.add (local.get $z) (i32.shl (local.get $nd) (i32.const 2))) (local.get $v))
            (f32.store (i32.add (local.get $a) (i32.shl (local.get $at) (i32.const 2))) (local.get $v))
            (local.set $nd (i32.add (local.get $nd) (i32.const 1))))
          (else
            (i32.store (i32.add (local.get $where) (i32.shl (local.get $ns) (i32.const 2))) (local.get $idx))
            (f32.store (i32.add (local.get $aSparse) (i32.shl (local.get $ns) (i32.const 2))) (local.get $v))
            (local.set $ns (i32.add (local.get $ns) (i32.const 1)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (local.get $nd))

;; An entry's pixel from its pixel·C + channel: a shift where C is a power of two (shift ≥ 0).
  (func $pixel (param $w i32) (param $C i32) (param $shift i32) (result i32)
    (if (result i32) (i32.ge_s (local.get $shift) (i32.const 0))
      (then (i32.shr_u (local.get $w) (local.get $shift)))
      (else (i32.div_u (local.get $w) (local.get $C)))))

  (func (export "sparseForward") (param $where i32) (param $aSparse i32) (param $from i32) (param $to i32)
    (param $C i32) (param $shift i32) (param $rw i32) (param $r0 i32) (param $r1 i32) (param $T i32) (param $rowTaps i32)
    (param $out i32)
    (local $rowStart i32) (local $s i32) (local $av f32) (local $w i32) (local $p i32) (local $c i32) (local $i i32) (local $j i32)
    (local $kh i32) (local $oi i32) (local $plane i32) (local $kq i32) (local $o i32) (local $at i32)
    (local $lane i32) (local $jj i32) (local $inside i32) (local $vav v128)
    (local.set $plane (i32.shl (i32.mul (i32.sub (local.get $r1) (local.get $r0)) (local.get $rw)) (i32.const 2)))
    (local.set $s (local.get $from))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (local.set $av (f32.load (i32.add (local.get $aSparse) (i32.shl (local.get $s) (i32.const 2)))))
        (if (f32.gt (local.get $av) (f32.const 0))
          (then
            (local.set $vav (f32x4.splat (local.get $av)))
            (local.set $w (i32.load (i32.add (local.get $where) (i32.shl (local.get $s) (i32.const 2)))))
            (local.set $p (call $pixel (local.get $w) (local.get $C) (local.get $shift)))
            (local.set $c (i32.sub (local.get $w) (i32.mul (local.get $p) (local.get $C))))
            ;; The entries are in pixel order: the row (i, starting at pixel rowStart) moves on, never back.
            (block $found
              (loop $walk
                (br_if $found (i32.lt_u (local.get $p) (i32.add (local.get $rowStart) (local.get $rw))))
                (local.set $rowStart (i32.add (local.get $rowStart) (local.get $rw)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $walk)))
            (local.set $j (i32.sub (local.get $p) (local.get $rowStart)))
            ;; Lanes j − 1 … j + 2 of the output row lie inside it.
            (local.set $inside
              (i32.and (i32.ge_s (local.get $j) (i32.const 1)) (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $rw))))
            (local.set $kh (i32.const 0))
            (loop $rows
              ;; Kernel row kh of the pixel at (i, j) reaches output row i − kh + 1, columns j − 1 … j + 1.
              (local.set $oi (i32.add (i32.sub (local.get $i) (local.get $kh)) (i32.const 1)))
              (if (i32.and (i32.ge_s (local.get $oi) (local.get $r0)) (i32.lt_s (local.get $oi) (local.get $r1)))
                (then
                  (local.set $at
                    (i32.add (local.get $out)
                      (i32.shl
                        (i32.sub (i32.add (i32.mul (i32.sub (local.get $oi) (local.get $r0)) (local.get $rw)) (local.get $j))
                          (i32.const 1))
                        (i32.const 2))))
                  (local.set $kq
                    (i32.add (local.get $rowTaps)
                      (i32.shl
                        (i32.mul (i32.add (i32.mul (local.get $c) (i32.const 3)) (local.get $kh)) (local.get $T))
                        (i32.const 4))))
                  (local.set $o (i32.const 0))
                  (loop $outputs
                    (if (local.get $inside)
                      (then
                        (v128.store (local.get $at)
                          (f32x4.add (v128.load (local.get $at)) (f32x4.mul (local.get $vav) (v128.load (local.get $kq))))))
                      (else
                        (local.set $lane (i32.const 0))
                        (loop $lanes
                          (local.set $jj (i32.add (i32.sub (local.get $j) (i32.const 1)) (local.get $lane)))
                          (if (i32.and (i32.ge_s (local.get $jj) (i32.const 0)) (i32.lt_s (local.get $jj) (local.get $rw)))
                            (then
                              (f32.store (i32.add (local.get $at) (i32.shl (local.get $lane) (i32.const 2)))
                                (f32.add (f32.load (i32.add (local.get $at) (i32.shl (local.get $lane) (i32.const 2))))
                                  (f32.mul (local.get $av)
                                    (f32.load (i32.add (local.get $kq) (i32.shl (local.get $lane) (i32.const 2)))))))))
                          (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                          (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 3))))))
                    (local.set $at (i32.add (local.get $at) (local.get $plane)))
                    (local.set $kq (i32.add (local.get $kq) (i32.const 16)))
                    (local.set $o (i32.add (local.get $o) (i32.const 1)))
                    (br_if $outputs (i32.lt_u (local.get $o) (local.get $T))))))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $kh) (i32.const 3))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $entry))))

  (func (export "sparseGrads") (param $where i32) (param $grad i32) (param $from i32) (param $to i32)
    (param $C i32) (param $shift i32) (param $rw i32) (param $r0 i32) (param $r1 i32) (param $T i32) (param $rowTaps i32)
    (param $dr i32) (param $planeStride i32)
    (local $rowStart i32) (local $s i32) (local $w i32) (local $p i32) (local $c i32) (local $i i32) (local $j i32) (local $kh i32)
    (local $ii i32) (local $kq i32) (local $o i32) (local $at i32) (local $lane i32) (local $jj i32) (local $inside i32)
    (local $plane i32) (local $g f32) (local $acc v128)
    (local.set $plane (i32.shl (local.get $planeStride) (i32.const 2)))
    (local.set $s (local.get $from))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (local.set $w (i32.load (i32.add (local.get $where) (i32.shl (local.get $s) (i32.const 2)))))
        (local.set $p (call $pixel (local.get $w) (local.get $C) (local.get $shift)))
        (local.set $c (i32.sub (local.get $w) (i32.mul (local.get $p) (local.get $C))))
        (block $found
          (loop $walk
            (br_if $found (i32.lt_u (local.get $p) (i32.add (local.get $rowStart) (local.get $rw))))
            (local.set $rowStart (i32.add (local.get $rowStart) (local.get $rw)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $walk)))
        (local.set $j (i32.sub (local.get $p) (local.get $rowStart)))
        (local.set $inside
          (i32.and (i32.ge_s (local.get $j) (i32.const 1)) (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $rw))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $g (f32.const 0))
        (local.set $kh (i32.const 0))
        (loop $rows
          ;; Kernel row kh reads dr's row i + 1 − kh, columns j − 1 … j + 1 (zero outside rows r0..r1).
          (local.set $ii (i32.sub (i32.add (local.get $i) (i32.const 1)) (local.get $kh)))
          (if (i32.and (i32.ge_s (local.get $ii) (local.get $r0)) (i32.lt_s (local.get $ii) (local.get $r1)))
            (then
              (local.set $at
                (i32.add (local.get $dr)
                  (i32.shl
                    (i32.sub (i32.add (i32.mul (local.get $ii) (local.get $rw)) (local.get $j)) (i32.const 1))
                    (i32.const 2))))
              (local.set $kq
                (i32.add (local.get $rowTaps)
                  (i32.shl
                    (i32.mul (i32.add (i32.mul (local.get $c) (i32.const 3)) (local.get $kh)) (local.get $T))
                    (i32.const 4))))
              (local.set $o (i32.const 0))
              (loop $outputs
                (if (local.get $inside)
                  (then
                    (local.set $acc
                      (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $at)) (v128.load (local.get $kq))))))
                  (else
                    (local.set $lane (i32.const 0))
                    (loop $lanes
                      (local.set $jj (i32.add (i32.sub (local.get $j) (i32.const 1)) (local.get $lane)))
                      (if (i32.and (i32.ge_s (local.get $jj) (i32.const 0)) (i32.lt_s (local.get $jj) (local.get $rw)))
                        (then
                          (local.set $g
                            (f32.add (local.get $g)
                              (f32.mul (f32.load (i32.add (local.get $at) (i32.shl (local.get $lane) (i32.const 2))))
                                (f32.load (i32.add (local.get $kq) (i32.shl (local.get $lane) (i32.const 2)))))))))
                      (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                      (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 3))))))
                (local.set $at (i32.add (local.get $at) (local.get $plane)))
                (local.set $kq (i32.add (local.get $kq) (i32.const 16)))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))
                (br_if $outputs (i32.lt_u (local.get $o) (local.get $T))))))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $kh) (i32.const 3))))
        (f32.store (i32.add (local.get $grad) (i32.shl (local.get $s) (i32.const 2)))
          (f32.add (local.get $g)
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
              (f32x4.extract_lane 2 (local.get $acc)))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $entry)))))
