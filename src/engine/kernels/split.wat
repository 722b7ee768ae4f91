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
;; sparseForward: each sparse entry on rows r0..r1 (s in from..to) with a > 0 adds a·taps[c][tap][o] to
;;                the output plane o (planes (r1 − r0)·rw apart) at its 3 × 3 neighbours on rows r0..r1.
;; sparseGrads:   grad[s] = Σ_q taps[c][q] · cols[q][pixel − first] for s in from..to (q < nq = 9·T,
;;                planes n values apart): the sparse entries' ∂L/∂a from the adjoint's gathered taps.
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

  (func (export "sparseForward") (param $where i32) (param $aSparse i32) (param $from i32) (param $to i32)
    (param $C i32) (param $rw i32) (param $r0 i32) (param $r1 i32) (param $T i32) (param $taps i32) (param $out i32)
    (local $s i32) (local $av f32) (local $w i32) (local $p i32) (local $c i32) (local $i i32) (local $j i32)
    (local $kh i32) (local $kw i32) (local $oi i32) (local $oj i32) (local $plane i32) (local $q i32)
    (local $o i32) (local $dst i32)
    (local.set $plane (i32.shl (i32.mul (i32.sub (local.get $r1) (local.get $r0)) (local.get $rw)) (i32.const 2)))
    (local.set $s (local.get $from))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (local.set $av (f32.load (i32.add (local.get $aSparse) (i32.shl (local.get $s) (i32.const 2)))))
        (if (f32.gt (local.get $av) (f32.const 0))
          (then
            (local.set $w (i32.load (i32.add (local.get $where) (i32.shl (local.get $s) (i32.const 2)))))
            (local.set $p (i32.div_u (local.get $w) (local.get $C)))
            (local.set $c (i32.sub (local.get $w) (i32.mul (local.get $p) (local.get $C))))
            (local.set $i (i32.div_u (local.get $p) (local.get $rw)))
            (local.set $j (i32.sub (local.get $p) (i32.mul (local.get $i) (local.get $rw))))
            ;; Tap (kh, kw) of the pixel at (i, j) reaches output (i − kh + 1, j − kw + 1).
            (local.set $kh (i32.const 0))
            (loop $rows
              (local.set $oi (i32.add (i32.sub (local.get $i) (local.get $kh)) (i32.const 1)))
              (if (i32.and (i32.ge_s (local.get $oi) (local.get $r0)) (i32.lt_s (local.get $oi) (local.get $r1)))
                (then
                  (local.set $kw (i32.const 0))
                  (loop $cols
                    (local.set $oj (i32.add (i32.sub (local.get $j) (local.get $kw)) (i32.const 1)))
                    (if (i32.and (i32.ge_s (local.get $oj) (i32.const 0)) (i32.lt_s (local.get $oj) (local.get $rw)))
                      (then
                        (local.set $dst
                          (i32.add (local.get $out)
                            (i32.shl
                              (i32.add (i32.mul (i32.sub (local.get $oi) (local.get $r0)) (local.get $rw)) (local.get $oj))
                              (i32.const 2))))
                        (local.set $q
                          (i32.add (local.get $taps)
                            (i32.shl
                              (i32.mul
                                (i32.add (i32.mul (local.get $c) (i32.const 9))
                                  (i32.add (i32.mul (local.get $kh) (i32.const 3)) (local.get $kw)))
                                (local.get $T))
                              (i32.const 2))))
                        (local.set $o (i32.const 0))
                        (loop $outputs
                          (f32.store (local.get $dst)
                            (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $av) (f32.load (local.get $q)))))
                          (local.set $dst (i32.add (local.get $dst) (local.get $plane)))
                          (local.set $q (i32.add (local.get $q) (i32.const 4)))
                          (local.set $o (i32.add (local.get $o) (i32.const 1)))
                          (br_if $outputs (i32.lt_u (local.get $o) (local.get $T))))))
                    (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                    (br_if $cols (i32.lt_u (local.get $kw) (i32.const 3))))))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $kh) (i32.const 3))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $entry))))

  (func (export "sparseGrads") (param $where i32) (param $grad i32) (param $from i32) (param $to i32)
    (param $C i32) (param $first i32) (param $nq i32) (param $taps i32) (param $cols i32) (param $n i32)
    (local $s i32) (local $w i32) (local $p i32) (local $c i32) (local $src i32) (local $q i32) (local $t i32)
    (local $g f32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $s (local.get $from))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $s) (local.get $to)))
        (local.set $w (i32.load (i32.add (local.get $where) (i32.shl (local.get $s) (i32.const 2)))))
        (local.set $p (i32.div_u (local.get $w) (local.get $C)))
        (local.set $c (i32.sub (local.get $w) (i32.mul (local.get $p) (local.get $C))))
        (local.set $src (i32.add (local.get $cols) (i32.shl (i32.sub (local.get $p) (local.get $first)) (i32.const 2))))
        (local.set $q (i32.add (local.get $taps) (i32.shl (i32.mul (local.get $c) (local.get $nq)) (i32.const 2))))
        (local.set $g (f32.const 0))
        (local.set $t (i32.const 0))
        (loop $sum
          (local.set $g (f32.add (local.get $g) (f32.mul (f32.load (local.get $q)) (f32.load (local.get $src)))))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (local.set $src (i32.add (local.get $src) (local.get $stride)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $sum (i32.lt_u (local.get $t) (local.get $nq))))
        (f32.store (i32.add (local.get $grad) (i32.shl (local.get $s) (i32.const 2))) (local.get $g))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $entry)))))
