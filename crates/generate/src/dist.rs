//! Random building blocks: weighted choices, log-normal durations, the arrival schedule with
//! its daily and weekly rhythm, and a small hash-seeded generator for stable pool entities.

use interlog_model::Timestamp;
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

pub(crate) const SECOND: i64 = 1_000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// One of `table`'s values, chosen with probability proportional to its weight.
pub(crate) fn pick<T: Copy>(rng: &mut impl Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|&(_, w)| w).sum();
    let mut r = rng.gen_range(0..total.max(1));
    for &(v, w) in table {
        if r < w {
            return v;
        }
        r -= w;
    }
    table[table.len() - 1].0
}

/// A uniformly chosen element of a non-empty slice.
pub(crate) fn one<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// A uniformly chosen word of a non-empty list.
pub(crate) fn word(rng: &mut impl Rng, items: &[&'static str]) -> &'static str {
    items[rng.gen_range(0..items.len())]
}

/// A log-normal duration in milliseconds with the given median and shape, clamped.
pub(crate) fn lognormal(
    rng: &mut impl Rng,
    median_ms: f64,
    sigma: f64,
    min_ms: i64,
    max_ms: i64,
) -> i64 {
    let z: f64 = rng.sample(StandardNormal);
    let v = median_ms * (sigma * z).exp();
    (v as i64).clamp(min_ms, max_ms)
}

/// The instant `ms` milliseconds after the epoch, clamped into the representable range.
pub(crate) fn ts(ms: i64) -> Timestamp {
    let lo = Timestamp::MIN.as_millisecond() + 1;
    let hi = Timestamp::MAX.as_millisecond() - 1;
    Timestamp::from_millisecond(ms.clamp(lo, hi)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits.
pub(crate) fn push_digits(s: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    for &b in &buf[start..] {
        s.push(b as char);
    }
}

/// Appends `s` lower-cased with everything but ASCII letters and digits dropped.
pub(crate) fn push_slug(out: &mut String, s: &str) {
    for c in s.chars().filter(char::is_ascii_alphanumeric) {
        out.push(c.to_ascii_lowercase());
    }
}

/// Appends `s` lower-cased (ASCII).
pub(crate) fn push_lower(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

/// A tiny SplitMix64 generator. Used where an entity (a customer) must be derived from its
/// index alone, identically every time it is drawn, without storing it.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(key: u64, index: u64) -> Self {
        let mut m = SplitMix(key ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        m.0 = m.next_u64();
        m
    }
}

impl RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Relative contact volume by hour of day (UTC), for a weekday.
const HOUR_WEIGHT: [f64; 24] = [
    0.04, 0.03, 0.02, 0.02, 0.02, 0.04, 0.10, 0.30, 0.75, 1.00, 1.00, 0.95, //
    0.80, 0.85, 0.95, 0.90, 0.85, 0.70, 0.45, 0.30, 0.22, 0.15, 0.10, 0.06,
];
/// Relative volume by day of week, Sunday first.
const DAY_WEIGHT: [f64; 7] = [0.25, 1.10, 1.00, 0.95, 0.95, 0.90, 0.45];

/// Start times for `count` engagements spread over `[start, end]`, ordered, following the
/// daily and weekly rhythm (with some day-to-day noise). Engagement `i` of `n` takes the
/// instant where the cumulative volume reaches `(i + U) / n`, so the times are sorted
/// without being generated up front.
pub(crate) struct Schedule {
    edges: Vec<i64>,
    cum: Vec<f64>,
    cursor: usize,
}

impl Schedule {
    pub(crate) fn new(rng: &mut impl Rng, start_ms: i64, end_ms: i64) -> Self {
        let mut edges = vec![start_ms];
        let mut h = (start_ms.div_euclid(HOUR) + 1) * HOUR;
        while h < end_ms {
            edges.push(h);
            h += HOUR;
        }
        edges.push(end_ms.max(start_ms + 1));
        let mut cum = Vec::with_capacity(edges.len() - 1);
        let mut total = 0.0;
        let mut day = i64::MIN;
        let mut noise = 1.0;
        for w in edges.windows(2) {
            let mid = w[0] + (w[1] - w[0]) / 2;
            let d = mid.div_euclid(DAY);
            if d != day {
                day = d;
                noise = rng.gen_range(0.85..1.15);
            }
            let hour = (mid.rem_euclid(DAY) / HOUR) as usize;
            // 1970-01-01 was a Thursday.
            let weekday = (d + 4).rem_euclid(7) as usize;
            let len = (w[1] - w[0]) as f64 / HOUR as f64;
            total += HOUR_WEIGHT[hour] * DAY_WEIGHT[weekday] * noise * len;
            cum.push(total);
        }
        for c in &mut cum {
            *c /= total;
        }
        Schedule {
            edges,
            cum,
            cursor: 0,
        }
    }

    /// The instant at cumulative volume `u` in `[0, 1)`. Calls must not decrease `u`.
    pub(crate) fn at(&mut self, u: f64) -> i64 {
        let last = self.cum.len() - 1;
        while self.cursor < last && self.cum[self.cursor] <= u {
            self.cursor += 1;
        }
        let c = self.cursor;
        let prev = if c == 0 { 0.0 } else { self.cum[c - 1] };
        let w = self.cum[c] - prev;
        let frac = if w > 0.0 {
            ((u - prev) / w).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (a, b) = (self.edges[c], self.edges[c + 1]);
        (a + (frac * (b - a) as f64) as i64).min(b - 1).max(a)
    }
}

/// A customer index in `0..n`, heavily skewed: index `k` is drawn with probability about
/// proportional to `k^-0.375`, so a few customers come back hundreds of times while most
/// appear a handful of times.
pub(crate) fn skewed_index(rng: &mut impl Rng, n: u64) -> u64 {
    let u: f64 = rng.gen();
    ((n as f64 * u.powf(1.6)) as u64).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn digits_are_padded() {
        let mut s = String::new();
        push_digits(&mut s, 42, 5);
        s.push(' ');
        push_digits(&mut s, 1234567, 3);
        s.push(' ');
        push_digits(&mut s, 0, 1);
        assert_eq!(s, "00042 1234567 0");
    }

    #[test]
    fn the_schedule_is_ordered_inside_its_span_and_busier_in_business_hours() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let end = 1_735_689_600_000; // 2025-01-01T00:00:00Z
        let start = end - 28 * DAY;
        let mut s = Schedule::new(&mut rng, start, end);
        let n = 100_000;
        let mut prev = i64::MIN;
        let mut by_hour = [0u32; 24];
        for i in 0..n {
            let t = s.at((i as f64 + rng.gen::<f64>()) / n as f64);
            assert!(t >= prev && t >= start && t < end);
            prev = t;
            by_hour[(t.rem_euclid(DAY) / HOUR) as usize] += 1;
        }
        assert!(by_hour[10] > 10 * by_hour[3], "{by_hour:?}");
    }
}
