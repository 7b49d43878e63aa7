package main

import (
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][2]int{{640, 480}, {1280, 720}} {
		w, h := s[0], s[1]
		img := make([]int, w*h*3)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img[(y*w+x)*3] = x * 255 / w
				img[(y*w+x)*3+1] = y * 255 / h
				img[(y*w+x)*3+2] = (x + y) * 255 / (w + h)
			}
		}
		for i := 0; i < 12; i++ {
			cx, cy, r := rng.IntN(w), rng.IntN(h), 20+rng.IntN(h/4)
			c := [3]int{rng.IntN(256), rng.IntN(256), rng.IntN(256)}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
						copy(img[(y*w+x)*3:], c[:])
					}
				}
			}
		}
		for i := 0; i < 8; i++ {
			x0, y0 := rng.IntN(w-200), rng.IntN(h-120)
			bw, bh := 10+rng.IntN(190), 10+rng.IntN(110)
			c := [3]int{rng.IntN(256), rng.IntN(256), rng.IntN(256)}
			for y := y0; y < y0+bh; y++ {
				for x := x0; x < x0+bw; x++ {
					copy(img[(y*w+x)*3:], c[:])
				}
			}
		}
		out := []byte(fmt.Sprintf("P6\n%d %d\n255\n", w, h))
		for _, v := range img {
			v += rng.IntN(13) - 6
			out = append(out, byte(min(max(v, 0), 255)))
		}
		os.WriteFile(fmt.Sprintf("scene%dx%d.ppm", w, h), out, 0o644)
	}
}
