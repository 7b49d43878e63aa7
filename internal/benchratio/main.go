// Command benchratio reads `go test -bench` output on stdin and prints, for
// each group of sub-benchmarks measured in the same run, the median time per
// operation of each and its throughput as a ratio of the group's limit: the
// sub-benchmark named "raw" or "copy" (the physical limit) by default.
//
//	go test -run '^$' -bench . -count 6 ./container | go run ./internal/benchratio
//
// A ratio of 0.95 means 95 % of the limit's throughput. With -vs NAME, each
// line also gives its throughput as a ratio of the sibling NAME's (1.5x
// NAME: 1.5 times as fast; for peers, -vs armon). Medians, not means, because
// the machines this runs on are shared and noisy.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)

func main() {
	limits := flag.String("limit", "raw,copy", "comma-separated names of the limit sub-benchmarks")
	vs := flag.String("vs", "", "also compare each sub-benchmark with its sibling of this name")
	flag.Parse()
	isLimit := map[string]bool{}
	for _, n := range strings.Split(*limits, ",") {
		isLimit[n] = true
	}
	samples := map[string][]float64{}
	allocs := map[string]string{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		if _, ok := samples[m[1]]; !ok {
			order = append(order, m[1])
		}
		samples[m[1]] = append(samples[m[1]], ns)
		if f := strings.Fields(m[3]); len(f) >= 2 && f[len(f)-1] == "allocs/op" {
			allocs[m[1]] = f[len(f)-2]
		}
	}
	median := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		if len(s)%2 == 1 {
			return s[len(s)/2]
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	groupLimit := map[string]string{}
	for _, name := range order {
		if i := strings.LastIndex(name, "/"); i >= 0 && isLimit[name[i+1:]] {
			groupLimit[name[:i]] = name
		}
	}
	for _, name := range order {
		med := median(samples[name])
		out := fmt.Sprintf("%-60s %12.0f ns/op  (n=%d, %s allocs/op)", name, med, len(samples[name]), allocs[name])
		if i := strings.LastIndex(name, "/"); i >= 0 {
			if lim, ok := groupLimit[name[:i]]; ok && lim != name {
				out += fmt.Sprintf("  %.3fx %s", median(samples[lim])/med, lim[i+1:])
			}
			if peer := name[:i] + "/" + *vs; *vs != "" && peer != name && len(samples[peer]) > 0 {
				out += fmt.Sprintf("  %.2fx %s", median(samples[peer])/med, *vs)
			}
		}
		fmt.Println(out)
	}
}
