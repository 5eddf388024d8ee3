//! Identifiers built from the generator's random stream, never from the clock.

use rand::RngCore;
use uuid::{Builder, Uuid};

fn hyphenated(u: Uuid) -> String {
    let mut buf = [0u8; 36];
    u.hyphenated().encode_lower(&mut buf).to_owned()
}

/// A UUIDv7-shaped id whose timestamp is `ms` (so ids sort by start time) and whose other
/// 74 bits come from `rng`.
pub(crate) fn v7<R: RngCore + ?Sized>(rng: &mut R, ms: i64) -> String {
    let mut b = [0u8; 10];
    rng.fill_bytes(&mut b);
    hyphenated(Builder::from_unix_timestamp_millis(ms.max(0) as u64, &b).into_uuid())
}

/// A UUIDv4-shaped id from `rng`.
pub(crate) fn v4<R: RngCore + ?Sized>(rng: &mut R) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    hyphenated(Builder::from_random_bytes(b).into_uuid())
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Appends `n` random base-62 characters.
pub(crate) fn push_base62(rng: &mut impl RngCore, s: &mut String, n: usize) {
    for _ in 0..n {
        s.push(BASE62[(rng.next_u32() % 62) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn v7_ids_carry_the_time_and_sort_by_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = v7(&mut rng, 1_700_000_000_000);
        let b = v7(&mut rng, 1_700_000_000_001);
        assert!(a < b);
        let u = Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 7);
        let (secs, nanos) = u.get_timestamp().unwrap().to_unix();
        assert_eq!(
            secs * 1000 + u64::from(nanos) / 1_000_000,
            1_700_000_000_000
        );
        assert_eq!(Uuid::parse_str(&v4(&mut rng)).unwrap().get_version_num(), 4);
    }
}
