//! The compact form of an engagement's facts in `figures.facts`: unsigned LEB128 varints.
//!
//! ```text
//! team channel_type direction source disposition     each 0 (none) or 1 + number/code
//! flags                                               1 handled, 2 transferred, 4 own row
//! [talk hold wrap_up]                                 when handled
//! [agent]                                             when the engagement has its own row
//! visits, then per visit: queue agent status [wait]   status: 0 waiting, 1 answered,
//!                                                     2 abandoned, + 4 on the visit that
//!                                                     carries the handling; no wait while
//!                                                     waiting
//! ```
//!
//! Keys (queue, agent, team, disposition) are `figure_keys` numbers; channel type,
//! direction and source are the model's codes (`interlog_store::codes`).

use interlog_store::analytics::{Handling, VisitStatus};

const HANDLED: u64 = 1;
const TRANSFERRED: u64 = 2;
const OWN_ROW: u64 = 4;
const CARRIER: u64 = 4;

/// The facts with their keys numbered, ready to encode.
#[derive(Default)]
pub(super) struct Numbered {
    /// Team, channel type, direction, source, disposition: 0 or 1 + number/code.
    pub dims: [u64; 5],
    pub handling: Handling,
    /// The agent of the engagement's own row (0 or 1 + number), when it has one.
    pub own_agent: Option<u64>,
    pub visits: Vec<Visit>,
}

/// A visit, keys as 0 or 1 + number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Visit {
    pub queue: u64,
    pub agent: u64,
    pub status: VisitStatus,
    pub wait_ms: u64,
    pub carrier: bool,
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn encode(n: &Numbered) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 8 * n.visits.len());
    for d in n.dims {
        put(&mut out, d);
    }
    let h = &n.handling;
    let flags = if h.handled { HANDLED } else { 0 }
        | if h.transferred { TRANSFERRED } else { 0 }
        | if n.own_agent.is_some() { OWN_ROW } else { 0 };
    put(&mut out, flags);
    if h.handled {
        put(&mut out, h.talk_ms);
        put(&mut out, h.hold_ms);
        put(&mut out, h.wrap_up_ms);
    }
    if let Some(a) = n.own_agent {
        put(&mut out, a);
    }
    put(&mut out, n.visits.len() as u64);
    for v in &n.visits {
        put(&mut out, v.queue);
        put(&mut out, v.agent);
        let code = v.status.code() as u64;
        put(&mut out, code | if v.carrier { CARRIER } else { 0 });
        if v.status != VisitStatus::Waiting {
            put(&mut out, v.wait_ms);
        }
    }
    out
}

/// Why stored facts could not be read: only a damaged store.
#[derive(Debug)]
pub(super) struct Damaged;

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stored facts are damaged")
    }
}

impl std::error::Error for Damaged {}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<u64, Damaged> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or(Damaged)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(Damaged)
    }
}

/// Decodes `bytes` into `n`, reusing its visit list.
pub(super) fn decode(bytes: &[u8], n: &mut Numbered) -> Result<(), Damaged> {
    let mut r = Reader { bytes, at: 0 };
    for d in &mut n.dims {
        *d = r.next()?;
    }
    let flags = r.next()?;
    let handled = flags & HANDLED != 0;
    n.handling = Handling {
        handled,
        talk_ms: 0,
        hold_ms: 0,
        wrap_up_ms: 0,
        transferred: flags & TRANSFERRED != 0,
    };
    if handled {
        n.handling.talk_ms = r.next()?;
        n.handling.hold_ms = r.next()?;
        n.handling.wrap_up_ms = r.next()?;
    }
    n.own_agent = if flags & OWN_ROW != 0 {
        Some(r.next()?)
    } else {
        None
    };
    let count = r.next()?;
    n.visits.clear();
    for _ in 0..count {
        let queue = r.next()?;
        let agent = r.next()?;
        let code = r.next()?;
        let status = VisitStatus::from_code((code & 3) as i64).ok_or(Damaged)?;
        let wait_ms = if status == VisitStatus::Waiting {
            0
        } else {
            r.next()?
        };
        n.visits.push(Visit {
            queue,
            agent,
            status,
            wait_ms,
            carrier: code & CARRIER != 0,
        });
    }
    if r.at != bytes.len() {
        return Err(Damaged);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip_and_damage_is_an_error() {
        let n = Numbered {
            dims: [3, 1, 0, 2, 700],
            handling: Handling {
                handled: true,
                talk_ms: 240_000,
                hold_ms: 0,
                wrap_up_ms: 31_000,
                transferred: true,
            },
            own_agent: None,
            visits: vec![
                Visit {
                    queue: 1,
                    agent: 0,
                    status: VisitStatus::Abandoned,
                    wait_ms: 12,
                    carrier: false,
                },
                Visit {
                    queue: 2,
                    agent: 9,
                    status: VisitStatus::Answered,
                    wait_ms: 35_000,
                    carrier: true,
                },
            ],
        };
        let bytes = encode(&n);
        assert!(bytes.len() < 32, "{}", bytes.len());
        let mut back = Numbered::default();
        decode(&bytes, &mut back).unwrap();
        assert_eq!(back.dims, n.dims);
        assert_eq!(back.handling, n.handling);
        assert_eq!(back.visits.len(), 2);
        assert!(back.visits[1].carrier && back.visits[1].wait_ms == 35_000);
        assert!(decode(&bytes[..bytes.len() - 1], &mut back).is_err());
        assert!(decode(&[0xff; 12], &mut back).is_err());
    }
}
