package contactflows

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestTrivialCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"0000", true}, {"7777", true}, {"1234", true}, {"0123", true}, {"9876", true},
		{"3210", true}, {"7890", true}, {"8901", true}, {"9012", true}, {"1098", true},
		{"012", true}, {"90123456", true}, {"1235", false}, {"1212", false}, {"0001", false},
		{"135", false}, {"9870", false}, {"2468", false}, {"1243", false},
	}
	for _, tt := range tests {
		if got := trivialCode(tt.code); got != tt.want {
			t.Errorf("trivialCode(%q): got %v, want %v", tt.code, got, tt.want)
		}
	}
	for length := 3; length <= 5; length++ {
		n := 0
		for v := range int(math.Pow10(length)) {
			if trivialCode(fmt.Sprintf("%0*d", length, v)) {
				n++
			}
		}
		if got, want := n, 30; got != want {
			t.Errorf("trivial codes of %d digits: got %d, want %d", length, got, want)
		}
	}
}

func TestUniformRejectsTheBiasedRange(t *testing.T) {
	// 2^64 mod 1000 is 616: a draw of 5 would favour code 005, so it is
	// drawn again.
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint64(5))
	binary.Write(&b, binary.BigEndian, uint64(1617))
	got, err := uniform(&b, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(617); got != want {
		t.Errorf("uniform: got %d, want %d", got, want)
	}
	if b.Len() != 0 {
		t.Errorf("uniform left %d bytes unread, want 0", b.Len())
	}
	if _, err := uniform(strings.NewReader("short"), 1000); err == nil {
		t.Error("uniform from a reader that runs dry: got nil error, want one")
	}
}

// chiSquare returns Pearson's statistic for counts over cells, each cell
// expected equally often.
func chiSquare(counts map[string]int, cells []string) float64 {
	total := 0
	for _, c := range cells {
		total += counts[c]
	}
	want := float64(total) / float64(len(cells))
	var x float64
	for _, c := range cells {
		d := float64(counts[c]) - want
		x += d * d / want
	}
	return x
}

// chiSquareBound is generous: the mean of the distribution plus six
// standard deviations, which a uniform sample exceeds about once in ten
// million runs.
func chiSquareBound(cells int) float64 {
	df := float64(cells - 1)
	return df + 6*math.Sqrt(2*df)
}

func TestCodesAreUniformAndNeverTrivial(t *testing.T) {
	const draws = 20_000
	var allowed []string
	for v := range 1000 {
		if c := fmt.Sprintf("%03d", v); !trivialCode(c) {
			allowed = append(allowed, c)
		}
	}
	counts := make(map[string]int)
	for range draws {
		code, err := newCode(rand.Reader, 3, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 3 || trivialCode(code) {
			t.Fatalf("newCode: got %q, want 3 digits, not trivial", code)
		}
		counts[code]++
	}
	x, bound := chiSquare(counts, allowed), chiSquareBound(len(allowed))
	if x > bound {
		t.Errorf("chi-square of %d codes over %d cells: got %.0f, want at most %.0f", draws, len(allowed), x, bound)
	}

	// The statistic notices a generator that never draws half the codes.
	half := make(map[string]int)
	for i := range draws {
		half[allowed[i%(len(allowed)/2)]]++
	}
	if x := chiSquare(half, allowed); x <= bound {
		t.Errorf("chi-square of a generator drawing half the codes: got %.0f, want more than %.0f", x, bound)
	}
}

func TestTrivialCodesWhenAllowed(t *testing.T) {
	const draws = 20_000
	trivial := 0
	for range draws {
		code, err := newCode(rand.Reader, 3, true)
		if err != nil {
			t.Fatal(err)
		}
		if trivialCode(code) {
			trivial++
		}
	}
	// 30 codes in 1,000: about 600 draws.
	if trivial < 400 || trivial > 800 {
		t.Errorf("trivial codes in %d draws with AllowTrivial: got %d, want 400 to 800", draws, trivial)
	}
}

func TestChallengeIDs(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id, err := newChallengeID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) != 16 {
			t.Fatalf("id %q: got %d bytes, %v; want 16 bytes of URL-safe base64", id, len(b), err)
		}
		if seen[id] {
			t.Fatalf("id %q drawn twice", id)
		}
		seen[id] = true
	}
}

func TestNormalizeDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1234", "1234"},
		{"1 2 3 4#", "1234"},
		{" 12 34 ", "1234"},
		{"12#34", "12#34"},
		{"*1234", "*1234"},
		{"#", ""},
	}
	for _, tt := range tests {
		if got := normalizeDigits(tt.in); got != tt.want {
			t.Errorf("normalizeDigits(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
