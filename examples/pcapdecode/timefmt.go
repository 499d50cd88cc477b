package main

import (
	"slices"
	"time"
)

// clock formats capture times cheaply: the date and the time of day to the
// second are formatted once per second of capture time (with time's own
// formatter, in UTC), the fraction by hand. Rows come in time order, so
// most rows reuse the cached second.
type clock struct {
	sec   int64
	valid bool
	full  []byte // "2006-01-02T15:04:05"
}

func (c *clock) second(t time.Time) {
	if s := t.Unix(); !c.valid || s != c.sec {
		c.sec, c.valid = s, true
		c.full = t.UTC().AppendFormat(c.full[:0], "2006-01-02T15:04:05")
	}
}

// appendRFC3339Nano appends t as time.RFC3339Nano formats it in UTC
// (trailing zeros of the fraction removed).
func (c *clock) appendRFC3339Nano(b []byte, t time.Time) []byte {
	c.second(t)
	return appendNanoZ(append(b, c.full...), uint32(t.Nanosecond()))
}

// stamp writes one field of capture times, as -json does: the field's
// name and the time to the second are one text made once per second of
// capture time, the fraction written after it.
type stamp struct {
	sec   int64
	valid bool
	text  []byte // the key, then "2006-01-02T15:04:05"
}

// append appends key and t as time.RFC3339Nano formats it in UTC.
func (s *stamp) append(b []byte, key string, t time.Time) []byte {
	if sec := t.Unix(); !s.valid || sec != s.sec {
		s.sec, s.valid = sec, true
		s.text = t.UTC().AppendFormat(append(s.text[:0], key...), "2006-01-02T15:04:05")
	}
	return appendNanoZ(append(b, s.text...), uint32(t.Nanosecond()))
}

// digitTriples holds "000" to "999".
var digitTriples = func() (t [3000]byte) {
	for i := range 1000 {
		t[3*i], t[3*i+1], t[3*i+2] = byte('0'+i/100), byte('0'+i/10%10), byte('0'+i%10)
	}
	return t
}()

// appendNanoZ appends ns (< 1e9) as the fraction of a second RFC 3339
// times carry, trailing zeros removed (nothing for 0), and 'Z': the
// digits are written in place three at a time (six for a whole number of
// microseconds, as pcap times are), then the zeros cut.
func appendNanoZ(b []byte, ns uint32) []byte {
	if ns == 0 {
		return append(b, 'Z')
	}
	n := len(b)
	b = slices.Grow(b, 11)[:n+11]
	d := (*[11]byte)(b[n:])
	d[0] = '.'
	t := &digitTriples
	end := 7
	if us := ns / 1000; us*1000 == ns {
		hi, lo := us/1000%1000*3, us%1000*3
		d[1], d[2], d[3] = t[hi], t[hi+1], t[hi+2]
		d[4], d[5], d[6] = t[lo], t[lo+1], t[lo+2]
	} else {
		hi, mid, lo := ns/1e6%1000*3, us%1000*3, ns%1000*3
		d[1], d[2], d[3] = t[hi], t[hi+1], t[hi+2]
		d[4], d[5], d[6] = t[mid], t[mid+1], t[mid+2]
		d[7], d[8], d[9] = t[lo], t[lo+1], t[lo+2]
		end = 10
	}
	for d[end-1] == '0' { // stops at a digit: ns is not 0
		end--
	}
	d[end] = 'Z'
	return b[:n+end+1]
}

// appendTimeOfDay appends t's UTC time of day to the microsecond,
// "15:04:05.000000".
func (c *clock) appendTimeOfDay(b []byte, t time.Time) []byte {
	c.second(t)
	b = append(b, c.full[11:]...)
	return appendFrac(b, uint32(t.Nanosecond())/1000, 6)
}

// date returns t's UTC date, "2006-01-02", valid until the next call.
func (c *clock) date(t time.Time) []byte {
	c.second(t)
	return c.full[:10]
}

// appendFrac appends '.' and v as exactly digits decimal digits
// (v < 10^digits, 1 <= digits <= 9), written in place two at a time.
func appendFrac(b []byte, v uint32, digits int) []byte {
	n := len(b)
	b = slices.Grow(b, 10)[:n+1+digits]
	d := b[n:]
	d[0] = '.'
	i := digits
	for ; i > 1; i -= 2 {
		p := v % 100 * 2
		v /= 100
		d[i-1], d[i] = digitPairs[p], digitPairs[p+1]
	}
	if i == 1 {
		d[1] = byte('0' + v)
	}
	return b
}

// appendLatency appends d rounded to the microsecond: "850µs" below a
// millisecond, "1.234ms" below a second, "2.5s" above (trailing zeros
// dropped), with a sign when negative.
func appendLatency(b []byte, d time.Duration) []byte {
	d = d.Round(time.Microsecond)
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us := int64(d / time.Microsecond)
	switch {
	case us < 1000:
		return append(appendInt(b, us), "µs"...)
	case us < 1000_000:
		return append(appendDecimal(b, us, 3), "ms"...)
	}
	return append(appendDecimal(b, us, 6), 's')
}

// appendDecimal appends v / 10^scale (v >= 0, scale <= 9) with its
// fraction's trailing zeros removed.
func appendDecimal(b []byte, v int64, scale int) []byte {
	p := int64(1)
	for range scale {
		p *= 10
	}
	b = appendInt(b, v/p)
	if f := uint32(v % p); f != 0 {
		for f%10 == 0 {
			f /= 10
			scale--
		}
		b = appendFrac(b, f, scale)
	}
	return b
}

// appendMicros appends d in microseconds as the shortest decimal, as
// strconv.AppendFloat(b, float64(d)/1e3, 'f', -1, 64) writes it for any
// latency a capture holds, without going through a float.
func appendMicros(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us, ns := uint64(d)/1000, uint64(d)%1000 // uint64: -MinInt64 stays negative as an int64
	b = appendUint(b, us)
	if ns == 0 {
		return b
	}
	t := &digitTriples
	ns *= 3
	b = append(b, '.', t[ns], t[ns+1], t[ns+2])
	for b[len(b)-1] == '0' { // stops at a digit: ns is not 0
		b = b[:len(b)-1]
	}
	return b
}
