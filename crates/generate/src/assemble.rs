//! Assembling one engagement: its timeline (IVR or bot, queue wait, agents, transfers),
//! then everything recorded about it (participants, queues, recordings, dispositions,
//! notes, transcript, topics and data).

use crate::dist::{
    lognormal, one, pick, push_digits, push_lower, skewed_index, ts, word, HOUR, MINUTE, SECOND,
};
use crate::ids;
use crate::pools::{CustomerInfo, Named, Pools, PHONE_STYLES};
use crate::words::*;
use interlog_model::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Served,
    Abandoned,
    Failed,
}

/// Oracle first: text channels choose among the others (`PLATFORMS[1..]`).
const PLATFORMS: &[(SourcePlatform, u32)] = &[
    (SourcePlatform::OracleLx, 15),
    (SourcePlatform::Native, 30),
    (SourcePlatform::ZoomCc, 20),
    (SourcePlatform::AvayaAxp, 20),
    (SourcePlatform::GenesysGws, 15),
];

const CHANNEL_MIX: &[(ChannelType, u32)] = &[
    (ChannelType::Voice, 550),
    (ChannelType::Chat, 140),
    (ChannelType::Email, 100),
    (ChannelType::Sms, 80),
    (ChannelType::Video, 50),
    (ChannelType::Social, 50),
    (ChannelType::Messaging, 30),
];

/// How engagements on one kind of channel behave.
struct Profile {
    channel_id: &'static str,
    directions: &'static [(Direction, u32)],
    wait_median: f64,
    wait_max: i64,
    talk_median: f64,
    talk_sigma: f64,
    talk_max: i64,
    wrap_median: f64,
    /// Customer/agent message pairs per agent in a transcript, when there is one.
    pairs: (u32, u32),
    failures: &'static [(&'static str, u32)],
    abandons: &'static [(&'static str, u32)],
}

const CALL_DIRECTIONS: &[(Direction, u32)] = &[
    (Direction::Inbound, 800),
    (Direction::Outbound, 150),
    (Direction::Internal, 30),
    (Direction::Consult, 20),
];
const MOSTLY_INBOUND: &[(Direction, u32)] = &[(Direction::Inbound, 97), (Direction::Outbound, 3)];

fn profile(kind: ChannelType) -> Profile {
    const TEXT_FAILURES: &[(&str, u32)] = &[
        ("no agent available", 50),
        ("network failure", 25),
        ("session timed out", 25),
    ];
    const TEXT_ABANDONS: &[(&str, u32)] = &[
        ("abandoned in queue", 70),
        ("customer stopped responding", 30),
    ];
    match kind {
        ChannelType::Voice => Profile {
            channel_id: "Voice",
            directions: CALL_DIRECTIONS,
            wait_median: 35.0 * SECOND as f64,
            wait_max: 45 * MINUTE,
            talk_median: 4.0 * MINUTE as f64,
            talk_sigma: 0.85,
            talk_max: 4 * HOUR,
            wrap_median: 30.0 * SECOND as f64,
            pairs: (0, 0),
            failures: &[
                ("no agent available", 40),
                ("network failure", 30),
                ("call dropped", 20),
                ("queue full", 10),
            ],
            abandons: &[("abandoned in queue", 80), ("customer hung up", 20)],
        },
        ChannelType::Video => Profile {
            channel_id: "Video",
            directions: &[(Direction::Inbound, 90), (Direction::Outbound, 10)],
            wait_median: 30.0 * SECOND as f64,
            wait_max: 30 * MINUTE,
            talk_median: 8.0 * MINUTE as f64,
            talk_sigma: 0.7,
            talk_max: 3 * HOUR,
            wrap_median: 40.0 * SECOND as f64,
            pairs: (0, 0),
            failures: &[
                ("no agent available", 35),
                ("network failure", 30),
                ("media negotiation failed", 35),
            ],
            abandons: &[("abandoned in queue", 85), ("customer hung up", 15)],
        },
        ChannelType::Chat => Profile {
            channel_id: "Chat",
            directions: MOSTLY_INBOUND,
            wait_median: 50.0 * SECOND as f64,
            wait_max: 40 * MINUTE,
            talk_median: 9.0 * MINUTE as f64,
            talk_sigma: 0.7,
            talk_max: 3 * HOUR,
            wrap_median: 25.0 * SECOND as f64,
            pairs: (1, 6),
            failures: TEXT_FAILURES,
            abandons: &[("abandoned in queue", 60), ("customer left chat", 40)],
        },
        ChannelType::Sms => Profile {
            channel_id: "SMS",
            directions: &[(Direction::Inbound, 70), (Direction::Outbound, 30)],
            wait_median: 2.0 * MINUTE as f64,
            wait_max: 6 * HOUR,
            talk_median: 18.0 * MINUTE as f64,
            talk_sigma: 0.9,
            talk_max: 24 * HOUR,
            wrap_median: 20.0 * SECOND as f64,
            pairs: (1, 3),
            failures: &[("no agent available", 40), ("delivery failure", 60)],
            abandons: TEXT_ABANDONS,
        },
        ChannelType::Email => Profile {
            channel_id: "Email",
            directions: &[(Direction::Inbound, 85), (Direction::Outbound, 15)],
            wait_median: 3.0 * HOUR as f64,
            wait_max: 72 * HOUR,
            talk_median: 6.0 * MINUTE as f64,
            talk_sigma: 0.7,
            talk_max: 2 * HOUR,
            wrap_median: 45.0 * SECOND as f64,
            pairs: (0, 0),
            failures: &[("delivery failure", 60), ("rejected as spam", 40)],
            abandons: &[("expired in queue", 100)],
        },
        ChannelType::Social => Profile {
            channel_id: "Social",
            directions: MOSTLY_INBOUND,
            wait_median: 6.0 * MINUTE as f64,
            wait_max: 12 * HOUR,
            talk_median: 20.0 * MINUTE as f64,
            talk_sigma: 0.9,
            talk_max: 24 * HOUR,
            wrap_median: 30.0 * SECOND as f64,
            pairs: (1, 3),
            failures: TEXT_FAILURES,
            abandons: TEXT_ABANDONS,
        },
        _ => Profile {
            channel_id: "Messaging",
            directions: MOSTLY_INBOUND,
            wait_median: 3.0 * MINUTE as f64,
            wait_max: 6 * HOUR,
            talk_median: 14.0 * MINUTE as f64,
            talk_sigma: 0.8,
            talk_max: 24 * HOUR,
            wrap_median: 25.0 * SECOND as f64,
            pairs: (1, 4),
            failures: TEXT_FAILURES,
            abandons: TEXT_ABANDONS,
        },
    }
}

/// Where the engagement came in, and the media it carried.
fn channel_source(rng: &mut ChaCha8Rng, kind: ChannelType) -> (&'static str, Media) {
    match kind {
        ChannelType::Voice => (
            pick(rng, &[("pstn", 90), ("in_app_voice", 10)]),
            Media::Audio,
        ),
        ChannelType::Video => {
            let s = pick(
                rng,
                &[("web_video", 50), ("in_app_video", 35), ("kiosk_video", 15)],
            );
            let m = if s != "kiosk_video" && rng.gen_bool(0.15) {
                Media::Video
            } else {
                Media::AudioVideo
            };
            (s, m)
        }
        ChannelType::Chat => (
            pick(rng, &[("web_chat", 65), ("in_app_chat", 35)]),
            Media::Text,
        ),
        ChannelType::Sms => ("sms", Media::Text),
        ChannelType::Email => ("email_address", Media::Text),
        ChannelType::Social => (
            pick(rng, &[("facebook", 55), ("twitter", 35), ("instagram", 10)]),
            Media::Text,
        ),
        _ => (
            pick(
                rng,
                &[
                    ("whatsapp", 60),
                    ("facebook_messenger", 25),
                    ("apple_messages", 15),
                ],
            ),
            Media::Text,
        ),
    }
}

/// Which optional details the source platform records (each keeps what its API exposes).
#[derive(Clone, Copy)]
struct Detail {
    /// First, last and user names (Genesys `ownerInformation`).
    names: bool,
    /// Channel and dialog ids, extensions, routing proficiency (Avaya AXP).
    devices: bool,
}

impl Detail {
    fn of(source: SourcePlatform) -> Detail {
        match source {
            SourcePlatform::Native => Detail {
                names: true,
                devices: true,
            },
            SourcePlatform::GenesysGws => Detail {
                names: true,
                devices: false,
            },
            SourcePlatform::AvayaAxp => Detail {
                names: false,
                devices: true,
            },
            _ => Detail {
                names: false,
                devices: false,
            },
        }
    }
}

/// Recently completed customer engagements, so that a follow-up can name its parent.
pub(crate) struct Recent {
    items: Vec<(String, u64)>,
    next: usize,
}

impl Recent {
    const CAP: usize = 1024;

    pub(crate) fn new() -> Self {
        Recent {
            items: Vec::with_capacity(Self::CAP),
            next: 0,
        }
    }

    fn push(&mut self, id: &str, customer: u64) {
        if self.items.len() < Self::CAP {
            self.items.push((id.to_owned(), customer));
        } else {
            let slot = &mut self.items[self.next];
            slot.0.clear();
            slot.0.push_str(id);
            slot.1 = customer;
            self.next = (self.next + 1) % Self::CAP;
        }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> Option<(String, u64)> {
        if self.items.is_empty() {
            return None;
        }
        let (id, c) = one(rng, &self.items);
        Some((id.clone(), *c))
    }
}

/// One agent's part in the engagement.
struct Seg {
    agent: u32,
    joined: i64,
    left: Option<i64>,
    /// When this agent stopped handling (a transfer); their messages end there.
    until: Option<i64>,
    /// A consulted agent, who helped while another kept the engagement.
    consult: bool,
}

impl Seg {
    fn new(agent: u32, joined: i64) -> Self {
        Seg {
            agent,
            joined,
            left: None,
            until: None,
            consult: false,
        }
    }
}

/// An automation (IVR, bot, flow) the engagement passed through.
struct Auto<'a> {
    flow: &'a Named,
    kind: AutomationType,
    from: i64,
    to: i64,
}

/// Turns the random stream into engagements.
pub(crate) struct Builder {
    pub rng: ChaCha8Rng,
    pub pools: Pools,
    pub recent: Recent,
}

/// The customer side of one engagement.
struct Cust {
    index: u64,
    info: CustomerInfo,
    number: String,
    style: u8,
}

impl Builder {
    /// The engagement starting at `start` (ms); `active` ones are still in progress.
    ///
    /// Each part below draws from the one random stream in turn: the order of the parts,
    /// and of the draws inside each, is what makes a seed's output what it is.
    pub(crate) fn build(&mut self, start: i64, active: bool) -> Engagement {
        let rng = &mut self.rng;
        let p = &self.pools;
        let (mut e, opening) = open(rng, start);
        if matches!(opening.direction, Direction::Internal | Direction::Consult) {
            internal(rng, p, &mut e, start, active, opening.direction);
            return e;
        }
        let (cust, direction) = choose_customer(rng, p, &self.recent, &mut e, &opening);
        e.direction = Some(direction);
        let course = Course::draw(rng, p, opening, direction, start, active);

        let mut line = Timeline::new(start);
        if course.inbound {
            line.inbound(rng, p, &course);
        } else {
            line.outbound(rng, p, &course);
        }
        line.conversation(rng, p, &course);
        line.settle_owner(course.fate);

        let mut after = outcome_and_times(rng, p, &mut e, &course, &line);
        who_took_part(rng, p, &mut e, &course, &cust, &mut line);
        let topic = what_it_was_about(rng, p, &mut e, &course, &cust);
        after_the_conversation(rng, p, &mut e, &course, &line, &mut after, topic);
        transcript(rng, p, &mut e, &course, &cust, &line, topic);
        e.updated_at = Some(ts(after.updated));
        if line.completed() {
            self.recent.push(&e.id, cust.index);
        }
        customer_identifiers(&mut e, cust);
        e
    }
}

/// What is drawn first, and what everything after depends on: the channel, the platform
/// that recorded the engagement, and which way it went.
struct Opening {
    kind: ChannelType,
    source: SourcePlatform,
    prof: Profile,
    direction: Direction,
    ch_source: &'static str,
    media: Media,
}

/// The engagement's id, channel and platform, and its direction.
fn open(rng: &mut ChaCha8Rng, start: i64) -> (Engagement, Opening) {
    let id = ids::v7(rng, start);
    let kind = pick(rng, CHANNEL_MIX);
    let mut source = pick(rng, PLATFORMS);
    if source == SourcePlatform::OracleLx
        && !matches!(kind, ChannelType::Voice | ChannelType::Video)
    {
        // Oracle Live Experience carries audio and video only.
        source = pick(rng, &PLATFORMS[1..]);
    }
    let prof = profile(kind);
    let direction = pick(rng, prof.directions);
    let (ch_source, media) = channel_source(rng, kind);

    let mut e = Engagement {
        id,
        source: Some(source),
        started_at: ts(start),
        ..Default::default()
    };
    e.channels.push(Channel {
        kind,
        id: Some(prof.channel_id.to_owned()),
        source: Some(ch_source.to_owned()),
        media: Some(media),
    });
    let opening = Opening {
        kind,
        source,
        prof,
        direction,
        ch_source,
        media,
    };
    (e, opening)
}

/// The customer: usually drawn from the skewed population; a follow-up reuses the customer
/// of a recent engagement and names it as its parent (an email follow-up is often the
/// center writing back, so outbound). Also returns the direction, which that may turn.
fn choose_customer(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    recent: &Recent,
    e: &mut Engagement,
    opening: &Opening,
) -> (Cust, Direction) {
    let kind = opening.kind;
    let mut direction = opening.direction;
    let follow_up = if kind == ChannelType::Email {
        0.12
    } else {
        0.015
    };
    let mut chosen = None;
    if rng.gen_bool(follow_up) {
        if let Some((pid, c)) = recent.pick(rng) {
            e.parent_id = Some(pid);
            chosen = Some(c);
            if kind == ChannelType::Email && rng.gen_bool(0.6) {
                direction = Direction::Outbound;
            }
        }
    }
    let index = chosen.unwrap_or_else(|| skewed_index(rng, p.customer_count()));
    let info = p.customer(index);
    let style = if rng.gen_bool(0.75) {
        info.phone_style
    } else {
        rng.gen_range(0..PHONE_STYLES)
    };
    let number = match kind {
        ChannelType::Sms => info.mobile().render(style),
        _ => one(rng, &info.phones).render(style),
    };
    let cust = Cust {
        index,
        info,
        number,
        style,
    };
    (cust, direction)
}

/// How a customer engagement goes, decided before its timeline is drawn.
struct Course {
    start: i64,
    /// Still in progress.
    active: bool,
    kind: ChannelType,
    source: SourcePlatform,
    prof: Profile,
    direction: Direction,
    inbound: bool,
    ch_source: &'static str,
    media: Media,
    fate: Fate,
    /// The queue it is routed to first, and that queue's team.
    q: usize,
    team: usize,
    detail: Detail,
    /// Voice or video.
    call: bool,
    /// The call's dialog id, on a platform that records devices.
    dialog: Option<String>,
}

impl Course {
    /// Its fate (one in progress is being served), its queue, and what its platform records.
    fn draw(
        rng: &mut ChaCha8Rng,
        p: &Pools,
        opening: Opening,
        direction: Direction,
        start: i64,
        active: bool,
    ) -> Course {
        let fate = if active {
            Fate::Served
        } else {
            let r: f64 = rng.gen();
            if r < 0.08 {
                Fate::Abandoned
            } else if r < 0.11 {
                Fate::Failed
            } else {
                Fate::Served
            }
        };
        let q = p.pick_queue(rng);
        let detail = Detail::of(opening.source);
        let call = matches!(opening.kind, ChannelType::Voice | ChannelType::Video);
        let dialog = (call && detail.devices).then(|| ids::v4(rng));
        Course {
            start,
            active,
            kind: opening.kind,
            source: opening.source,
            prof: opening.prof,
            direction,
            inbound: direction == Direction::Inbound,
            ch_source: opening.ch_source,
            media: opening.media,
            fate,
            q,
            team: p.queues[q].team,
            detail,
            call,
            dialog,
        }
    }

    /// A visit of queue `q` from `queued`; `accepted` says when and by which agent, if it was.
    fn visit(
        &self,
        rng: &mut ChaCha8Rng,
        p: &Pools,
        q: usize,
        queued: i64,
        accepted: Option<(i64, u32)>,
        wait_type: Option<QueueWaitType>,
    ) -> QueueVisit {
        visit(
            rng,
            p,
            q,
            self.source,
            self.prof.channel_id,
            queued,
            accepted.map(|(at, _)| at),
            accepted.map(|(_, agent)| agent),
            wait_type,
        )
    }
}

/// The timeline: automations, queue visits, each agent's part and the transfers, and the
/// instants that bound them. Drawn by [`Timeline::inbound`] or [`Timeline::outbound`],
/// then [`Timeline::conversation`].
struct Timeline<'a> {
    autos: Vec<Auto<'a>>,
    visits: Vec<QueueVisit>,
    segs: Vec<Seg>,
    transfers: Vec<Transfer>,
    /// Why it did not succeed.
    reason: Option<&'static str>,
    /// Time in the first queue.
    wait: Option<i64>,
    cust_joined: Option<i64>,
    /// When an agent and the customer were first connected, if they were.
    talk_start: Option<i64>,
    end: i64,
    /// For one in progress: the instant it is seen at.
    now: Option<i64>,
    /// The segment whose agent owns the engagement.
    owner: Option<usize>,
    talk: i64,
    /// Time waiting in queues after transfers.
    extra_wait: i64,
    /// Time in the flow it was transferred to last.
    tail_flow: i64,
}

impl<'a> Timeline<'a> {
    fn new(start: i64) -> Self {
        Timeline {
            autos: Vec::new(),
            visits: Vec::new(),
            segs: Vec::new(),
            transfers: Vec::new(),
            reason: None,
            wait: None,
            cust_joined: Some(start),
            talk_start: None,
            end: start,
            now: None,
            owner: None,
            talk: 0,
            extra_wait: 0,
            tail_flow: 0,
        }
    }

    /// Inbound: maybe an IVR or a bot first (where some customers give up), then the queue,
    /// where it is abandoned, fails, or an agent accepts it.
    fn inbound(&mut self, rng: &mut ChaCha8Rng, p: &'a Pools, c: &Course) {
        let (start, prof) = (c.start, &c.prof);
        let auto = match c.kind {
            ChannelType::Voice if rng.gen_bool(0.5) => Some((
                one(rng, &p.ivr_flows),
                AutomationType::SelfService,
                40.0,
                0.55,
            )),
            ChannelType::Chat | ChannelType::Messaging if rng.gen_bool(0.35) => {
                Some((one(rng, &p.bot_flows), AutomationType::Chatbot, 60.0, 0.6))
            }
            _ => None,
        };
        let mut queued = start;
        if let Some((flow, akind, median, sigma)) = auto {
            let d = lognormal(rng, median * SECOND as f64, sigma, 5 * SECOND, 15 * MINUTE);
            if c.fate == Fate::Abandoned && rng.gen_bool(0.3) {
                let d = (d as f64 * rng.gen_range(0.2..0.9)) as i64;
                self.end = start + d;
                self.reason = Some(if akind == AutomationType::Chatbot {
                    "customer left during bot conversation"
                } else {
                    "abandoned in IVR"
                });
                self.autos.push(Auto {
                    flow,
                    kind: akind,
                    from: start,
                    to: self.end,
                });
                return;
            }
            queued = start + d;
            self.autos.push(Auto {
                flow,
                kind: akind,
                from: start,
                to: queued,
            });
        }
        let wait_type = (c.kind == ChannelType::Voice).then(|| {
            if rng.gen_bool(0.05) {
                QueueWaitType::Callback
            } else {
                QueueWaitType::LiveWaiting
            }
        });
        match c.fate {
            Fate::Abandoned => {
                let w = lognormal(rng, prof.wait_median * 1.3, 1.0, 2 * SECOND, prof.wait_max);
                self.end = queued + w;
                self.wait = Some(w);
                self.reason = Some(pick(rng, prof.abandons));
                self.visits
                    .push(c.visit(rng, p, c.q, queued, None, wait_type));
            }
            Fate::Failed => {
                let r = pick(rng, prof.failures);
                self.reason = Some(r);
                if matches!(r, "no agent available" | "queue full" | "session timed out") {
                    let w = lognormal(rng, 20.0 * SECOND as f64, 0.8, SECOND, 10 * MINUTE);
                    self.end = queued + w;
                    self.wait = Some(w);
                    self.visits
                        .push(c.visit(rng, p, c.q, queued, None, wait_type));
                } else {
                    self.end = queued + lognormal(rng, 5.0 * SECOND as f64, 0.8, 500, 2 * MINUTE);
                }
            }
            Fate::Served => {
                let w = lognormal(rng, prof.wait_median, 1.0, SECOND, prof.wait_max);
                let accepted = queued + w;
                let a = p.agent_for(rng, c.q);
                self.wait = Some(w);
                self.visits
                    .push(c.visit(rng, p, c.q, queued, Some((accepted, a)), wait_type));
                self.segs.push(Seg::new(a, accepted));
                self.talk_start = Some(accepted);
            }
        }
    }

    /// Outbound: an agent reaches out; there is no queue. The customer answers, or the
    /// attempt ends unanswered or failed.
    fn outbound(&mut self, rng: &mut ChaCha8Rng, p: &Pools, c: &Course) {
        let start = c.start;
        let a = p.agent_for(rng, c.q);
        self.segs.push(Seg::new(a, start));
        if c.fate == Fate::Served {
            let answer = if c.call {
                start + lognormal(rng, 12.0 * SECOND as f64, 0.4, 2 * SECOND, 45 * SECOND)
            } else {
                start
            };
            self.cust_joined = Some(answer);
            self.talk_start = Some(answer);
            return;
        }
        let (r, d) = match (c.call, c.fate) {
            (true, Fate::Abandoned) => match pick(rng, &[(0u8, 60), (1, 15), (2, 25)]) {
                0 => (
                    "no answer",
                    lognormal(rng, 30.0 * SECOND as f64, 0.2, 10 * SECOND, 60 * SECOND),
                ),
                1 => (
                    "busy",
                    lognormal(rng, 3.0 * SECOND as f64, 0.3, SECOND, 10 * SECOND),
                ),
                _ => (
                    "left voicemail",
                    lognormal(rng, 55.0 * SECOND as f64, 0.3, 20 * SECOND, 3 * MINUTE),
                ),
            },
            (true, _) => (
                pick(rng, &[("invalid number", 50), ("network failure", 50)]),
                lognormal(rng, 3.0 * SECOND as f64, 0.5, 500, 20 * SECOND),
            ),
            (false, Fate::Abandoned) => (
                "no response",
                lognormal(rng, 2.0 * SECOND as f64, 0.5, 500, 20 * SECOND),
            ),
            (false, _) => (
                "delivery failure",
                lognormal(rng, 2.0 * SECOND as f64, 0.5, 500, 20 * SECOND),
            ),
        };
        self.reason = Some(r);
        self.end = start + d;
        self.cust_joined = None;
        self.segs[0].left = Some(self.end);
        self.owner = Some(0);
    }

    /// The conversation with one or more agents, and its transfers: one in progress is seen
    /// part-way through its talk; a finished one may be handed on once or twice.
    fn conversation(&mut self, rng: &mut ChaCha8Rng, p: &'a Pools, c: &Course) {
        let Some(ts0) = self.talk_start else {
            return;
        };
        let prof = &c.prof;
        let total = lognormal(
            rng,
            prof.talk_median,
            prof.talk_sigma,
            5 * SECOND,
            prof.talk_max,
        );
        if c.active {
            self.now = Some(ts0 + (total as f64 * rng.gen_range(0.05..0.95)) as i64);
            self.owner = Some(0);
            return;
        }
        let r: f64 = rng.gen();
        let n_transfers = match c.kind {
            ChannelType::Email | ChannelType::Sms => usize::from(r < 0.06),
            _ if r < 0.015 => 2,
            _ if r < 0.125 => 1,
            _ => 0,
        };
        let mut remaining = total;
        let mut cur = 0usize;
        let mut cur_start = ts0;
        let mut stopped = false;
        for _ in 0..n_transfers {
            let seg_len = (remaining as f64 * rng.gen_range(0.25..0.6)) as i64;
            let t = cur_start + seg_len;
            remaining -= seg_len;
            stopped = self.hand_over(rng, p, c, t, &mut cur, &mut cur_start);
            if stopped {
                break;
            }
        }
        if !stopped {
            self.end = cur_start + remaining;
        }
        let end = self.end;
        for s in &mut self.segs {
            s.left = Some(s.left.unwrap_or(end).min(end));
        }
        self.owner = Some(cur);
        self.talk = (end - ts0 - self.extra_wait - self.tail_flow).max(0);
    }

    /// A transfer at `t` by the agent of segment `*cur`: to another agent, directly or
    /// through a queue; to a queue to consult; outside; or to a flow. Moves `*cur` and
    /// `*cur_start` to whoever handles it next; true when it left the agents for good.
    fn hand_over(
        &mut self,
        rng: &mut ChaCha8Rng,
        p: &'a Pools,
        c: &Course,
        t: i64,
        cur: &mut usize,
        cur_start: &mut i64,
    ) -> bool {
        let tkind = match c.kind {
            ChannelType::Voice => pick(
                rng,
                &[
                    (TransferType::ToAgent, 38),
                    (TransferType::ToQueue, 42),
                    (TransferType::ConsultToQueue, 8),
                    (TransferType::ToExternal, 5),
                    (TransferType::ToFlow, 7),
                ],
            ),
            ChannelType::Email | ChannelType::Sms => TransferType::ToQueue,
            _ => pick(
                rng,
                &[(TransferType::ToAgent, 45), (TransferType::ToQueue, 55)],
            ),
        };
        let from = self.segs[*cur].agent;
        let mut tr = transfer(
            rng,
            p,
            tkind,
            t,
            from,
            c.source,
            c.prof.channel_id,
            &c.dialog,
        );
        let mut stopped = false;
        match tkind {
            TransferType::ToAgent | TransferType::ToQueue | TransferType::ConsultToQueue => {
                let (b, joined) = if tkind == TransferType::ToAgent {
                    let b = p.other_agent(rng, c.team, from);
                    (
                        b,
                        t + lognormal(rng, 6.0 * SECOND as f64, 0.5, SECOND, MINUTE),
                    )
                } else {
                    self.through_another_queue(rng, p, c, t, from, &mut tr)
                };
                let ag = &p.agents[b as usize];
                tr.to_agent_id = Some(ag.id.clone());
                tr.to_agent_name = Some(ag.display.clone());
                tr.to_agent_joined_at = Some(ts(joined));
                if tkind == TransferType::ConsultToQueue {
                    let consult =
                        lognormal(rng, 60.0 * SECOND as f64, 0.6, 10 * SECOND, 15 * MINUTE);
                    self.segs.push(Seg {
                        agent: b,
                        joined,
                        left: Some(joined + consult),
                        until: None,
                        consult: true,
                    });
                    tr.mode = Some(TransferMode::Warm);
                    *cur_start = joined + consult;
                } else {
                    let warm = rng.gen_bool(0.4);
                    tr.mode = Some(if warm {
                        TransferMode::Warm
                    } else {
                        TransferMode::Cold
                    });
                    self.segs[*cur].until = Some(t);
                    self.segs[*cur].left = Some(if warm {
                        joined + lognormal(rng, 40.0 * SECOND as f64, 0.5, 5 * SECOND, 5 * MINUTE)
                    } else {
                        t
                    });
                    if tkind == TransferType::ToQueue {
                        self.extra_wait += joined - t;
                    }
                    self.segs.push(Seg::new(b, joined));
                    *cur = self.segs.len() - 1;
                    *cur_start = joined;
                }
            }
            TransferType::ToExternal => {
                tr.to_number = Some(one(rng, &p.external_numbers).clone());
                tr.mode = Some(TransferMode::Cold);
                self.end = t + 3 * SECOND;
                self.segs[*cur].until = Some(t);
                self.segs[*cur].left = Some(self.end);
                stopped = true;
            }
            TransferType::ToFlow => {
                let flow = one(rng, &p.transfer_flows);
                tr.to_flow_id = Some(flow.id.clone());
                tr.to_flow_name = Some(flow.name.to_owned());
                tr.mode = Some(TransferMode::Cold);
                self.tail_flow = lognormal(rng, 50.0 * SECOND as f64, 0.5, 5 * SECOND, 10 * MINUTE);
                self.end = t + self.tail_flow;
                self.segs[*cur].until = Some(t);
                self.segs[*cur].left = Some(t);
                self.autos.push(Auto {
                    flow,
                    kind: AutomationType::SelfService,
                    from: t,
                    to: self.end,
                });
                stopped = true;
            }
        }
        self.transfers.push(tr);
        stopped
    }

    /// A transfer at `t` from agent `from` through another queue than the first: the visit
    /// there, and the agent who accepts it and when.
    fn through_another_queue(
        &mut self,
        rng: &mut ChaCha8Rng,
        p: &Pools,
        c: &Course,
        t: i64,
        from: u32,
        tr: &mut Transfer,
    ) -> (u32, i64) {
        let mut q2 = p.pick_queue(rng);
        if q2 == c.q && p.queues.len() > 1 {
            q2 = (c.q + 1) % p.queues.len();
        }
        let w2 = lognormal(rng, 30.0 * SECOND as f64, 0.9, SECOND, 20 * MINUTE);
        let mut b = p.agent_for(rng, q2);
        if b == from {
            b = p.other_agent(rng, p.queues[q2].team, from);
        }
        let joined = t + w2;
        let wt = (c.kind == ChannelType::Voice).then_some(QueueWaitType::LiveWaiting);
        self.visits
            .push(c.visit(rng, p, q2, t, Some((joined, b)), wt));
        tr.queue_id = Some(p.queues[q2].id.clone());
        tr.queue_name = Some(p.queues[q2].name.clone());
        if rng.gen_bool(0.3) {
            tr.fallback_queue_id = Some(p.queues[c.q].id.clone());
        }
        (b, joined)
    }

    /// One an agent did not serve belongs to its first agent, if it reached one.
    fn settle_owner(&mut self, fate: Fate) {
        if fate != Fate::Served || self.talk_start.is_none() {
            self.owner = self.owner.or((!self.segs.is_empty()).then_some(0));
        }
    }

    /// Whether it has ended (one in progress is seen at `now`).
    fn completed(&self) -> bool {
        self.now.is_none()
    }

    /// The last instant anything happened: its end, or now.
    fn horizon(&self) -> i64 {
        self.now.unwrap_or(self.end)
    }

    /// Whether an agent served the customer.
    fn served(&self, fate: Fate) -> bool {
        fate == Fate::Served && self.talk_start.is_some()
    }
}

/// What follows the end: the agent's wrap-up time, if any, and when the record was last
/// updated.
struct Aftermath {
    wrap: Option<i64>,
    updated: i64,
}

/// Outcome and times: how it ended, its timings, its wrap-up and when it was last updated.
fn outcome_and_times(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    c: &Course,
    line: &Timeline,
) -> Aftermath {
    let (start, end) = (c.start, line.end);
    let completed = line.completed();
    let served = line.served(c.fate);
    e.team = Some(p.teams[c.team].name.to_owned());
    if completed {
        e.ended_at = Some(ts(end));
        e.duration_ms = Some((end - start) as u64);
        e.state = Some(State::Completed);
        e.outcome = Some(if served {
            Outcome::Successful
        } else {
            Outcome::Unsuccessful
        });
        e.release = Some(if served {
            Release::Connected
        } else {
            Release::Attempted
        });
        e.reason = line.reason.map(str::to_owned);
    } else {
        e.state = Some(State::Active);
        e.release = Some(Release::Connected);
    }
    let wrap = (served && completed)
        .then(|| lognormal(rng, c.prof.wrap_median, 0.8, 2 * SECOND, 15 * MINUTE));
    let flow_total: i64 = line.autos.iter().map(|a| a.to - a.from).sum();
    let talk = line.talk;
    // About one call in four puts the customer on hold for a sixth of the conversation;
    // decided from the talk time rather than a draw, so the stream stays as it was.
    let hold = (served && completed && c.call && (talk / SECOND) % 4 == 0).then_some(talk / 6);
    e.timings = Timings {
        wait_ms: line.wait.map(|w| (w + line.extra_wait) as u64),
        talk_ms: (served && completed).then_some((talk - hold.unwrap_or(0)) as u64),
        hold_ms: hold.map(|h| h as u64),
        flow_ms: (flow_total > 0).then_some(flow_total as u64),
        handling_ms: wrap.map(|w| (talk + w) as u64),
        wrap_up_ms: wrap.map(|w| w as u64),
    };
    let updated = match wrap {
        Some(w) => end + w + rng.gen_range(0..5 * SECOND),
        None => line.horizon() + rng.gen_range(0..5 * SECOND),
    };
    Aftermath { wrap, updated }
}

/// Who took part: the customer, the automations, each agent; then the queues it visited,
/// its transfers, and where it came in.
fn who_took_part(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    c: &Course,
    cust: &Cust,
    line: &mut Timeline,
) {
    let (kind, detail, prof) = (c.kind, c.detail, &c.prof);
    e.participants
        .reserve_exact(1 + line.autos.len() + line.segs.len());
    let left = line.completed().then_some(line.end);
    let cp = customer_participant(
        rng,
        p,
        cust,
        kind,
        c.ch_source,
        c.direction,
        detail,
        &c.dialog,
        line.cust_joined,
        left,
    );
    e.participants.push(cp);
    for a in &line.autos {
        e.participants.push(Participant {
            id: Some(a.flow.id.clone()),
            display_name: Some(a.flow.name.to_owned()),
            joined_at: Some(ts(a.from)),
            left_at: Some(ts(a.to)),
            channel_id: detail.devices.then(|| prof.channel_id.to_owned()),
            channel_type: Some(kind),
            automation_type: Some(a.kind),
            ..Participant::new(Role::Automation)
        });
        e.flows.push(Flow {
            id: a.flow.id.clone(),
            name: Some(a.flow.name.to_owned()),
            version: Some(a.flow.version.clone()),
        });
    }
    for (i, s) in line.segs.iter().enumerate() {
        let ag = &p.agents[s.agent as usize];
        e.participants.push(Participant {
            id: Some(ag.id.clone()),
            username: detail.names.then(|| ag.username.clone()),
            email: Some(ag.email.clone()),
            display_name: Some(ag.display.clone()),
            first_name: detail.names.then(|| ag.first.to_owned()),
            last_name: detail.names.then(|| ag.last.to_owned()),
            joined_at: Some(ts(s.joined)),
            left_at: s.left.map(ts),
            extension: c.dialog.as_ref().map(|_| ag.extension.clone()),
            dialog_id: c.dialog.clone(),
            channel_id: detail.devices.then(|| prof.channel_id.to_owned()),
            channel_type: Some(kind),
            owner: line.owner == Some(i),
            ..Participant::new(Role::Agent)
        });
    }
    e.queues = std::mem::take(&mut line.visits);
    e.transfers = std::mem::take(&mut line.transfers);

    let (stype, saddr) = source_of(p, kind, c.ch_source, c.direction);
    e.source_type = stype.map(str::to_owned);
    e.source_address = saddr;
}

/// What it was about: topics, a subject, routing attributes and data. Returns its main
/// topic (for notes and the transcript).
fn what_it_was_about(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    c: &Course,
    cust: &Cust,
) -> &'static str {
    let topics = p.teams[c.team].topics;
    let topic = word(rng, topics);
    if rng.gen_bool(0.8) {
        e.topics.push(topic.to_owned());
        if rng.gen_bool(0.3) {
            let t2 = *one(rng, topics);
            if t2 != topic {
                e.topics.push(t2.to_owned());
            }
        }
    }
    if c.kind == ChannelType::Email {
        let mut s = String::new();
        if e.parent_id.is_some() {
            s.push_str("Re: ");
        }
        if rng.gen_bool(0.5) {
            s.push_str(topic);
        } else {
            s.push_str(word(rng, EMAIL_SUBJECT_LINES));
        }
        e.subject = Some(s);
    } else if rng.gen_bool(0.35) {
        e.subject = Some(if rng.gen_bool(0.3) {
            "Customer support".to_owned()
        } else {
            topic.to_owned()
        });
    }
    if rng.gen_bool(0.75) {
        e.attributes.push(p.queues[c.q].attribute.clone());
    }
    if rng.gen_bool(0.25) {
        e.attributes.push(
            if rng.gen_bool(0.9) {
                "Language.English"
            } else {
                "Language.Irish"
            }
            .to_owned(),
        );
    }
    if cust.info.vip {
        e.attributes.push("Customer.VIP".to_owned());
    }
    if rng.gen_bool(0.85) {
        data(rng, &mut e.data, c.direction);
    }
    topic
}

/// After the conversation: recordings, wrap-up codes, notes (a note edited later moves
/// `updated`).
fn after_the_conversation(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    c: &Course,
    line: &Timeline,
    after: &mut Aftermath,
    topic: &str,
) {
    let (kind, end, segs) = (c.kind, line.end, &line.segs);
    let completed = line.completed();
    let served = line.served(c.fate);
    if served && completed {
        if matches!(kind, ChannelType::Voice | ChannelType::Video) && rng.gen_bool(0.9) {
            for s in segs {
                let left = s.left.unwrap_or(end);
                if left > s.joined {
                    e.recordings.push(recording(
                        rng,
                        &p.agents[s.agent as usize].email,
                        kind,
                        c.media,
                        s.joined,
                        left - s.joined,
                    ));
                }
            }
        }
        if rng.gen_bool(0.8) {
            let n = if rng.gen_bool(0.1) { 2 } else { 1 };
            for _ in 0..n {
                let d = one(rng, &p.served_dispositions);
                if !e
                    .dispositions
                    .iter()
                    .any(|x| x.name.as_deref() == Some(d.name))
                {
                    e.dispositions.push(Disposition {
                        id: Some(d.id.clone()),
                        name: Some(d.name.to_owned()),
                    });
                }
            }
        }
    } else if completed && !segs.is_empty() && rng.gen_bool(0.7) {
        let d = one(rng, &p.unsuccessful_dispositions);
        e.dispositions.push(Disposition {
            id: Some(d.id.clone()),
            name: Some(d.name.to_owned()),
        });
    }
    if let (true, Some(w), Some(o)) = (served, after.wrap, line.owner) {
        if rng.gen_bool(0.23) {
            let author = &p.agents[segs[o].agent as usize];
            let created = end + (w as f64 * rng.gen_range(0.2..0.9)) as i64;
            let mut text = String::with_capacity(120);
            text.push_str(word(rng, NOTE_OPENERS));
            push_lower(&mut text, topic);
            text.push_str(". ");
            text.push_str(word(rng, NOTE_ACTIONS));
            let mut note = Note {
                id: Some(ids::v4(rng)),
                author_id: Some(author.id.clone()),
                author_name: Some(author.display.clone()),
                created_at: Some(ts(created)),
                ..Note::new(text)
            };
            if rng.gen_bool(0.15) {
                let later = created + lognormal(rng, 20.0 * MINUTE as f64, 1.0, MINUTE, 48 * HOUR);
                note.updated_at = Some(ts(later));
                note.updated_by_id = note.author_id.clone();
                note.updated_by_name = note.author_name.clone();
                after.updated = after.updated.max(later + SECOND);
            } else {
                note.read_only = rng.gen_bool(0.1);
            }
            e.notes.push(note);
        }
    }
}

/// The transcript of a chat, SMS, social or messaging engagement (Zoom keeps transcripts
/// apart from engagement history, so none there).
fn transcript(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    c: &Course,
    cust: &Cust,
    line: &Timeline,
    topic: &str,
) {
    if !matches!(
        c.kind,
        ChannelType::Chat | ChannelType::Sms | ChannelType::Social | ChannelType::Messaging
    ) || c.source == SourcePlatform::ZoomCc
    {
        return;
    }
    let t = Transcript {
        p,
        cust,
        kind: c.kind,
        ch_source: c.ch_source,
        prof: &c.prof,
        segs: &line.segs,
        autos: &line.autos,
    };
    e.messages = t.messages(
        rng,
        c.start,
        line.completed().then_some(line.end),
        line.horizon(),
        c.inbound,
        c.fate,
        line.reason,
        line.served(c.fate),
        topic,
    );
}

/// The customer's identifiers, written as this engagement's customer wrote their number.
fn customer_identifiers(e: &mut Engagement, cust: Cust) {
    let info = cust.info;
    e.customer.phones = info.phones.iter().map(|ph| ph.render(cust.style)).collect();
    e.customer.contact_id = Some(info.contact_id);
    e.customer.emails = info.emails;
    e.customer.account_ids = info.account_ids;
    if let Some(t) = info.twitter {
        e.customer
            .custom
            .insert("twitterHandles".to_owned(), vec![t]);
    }
    if let Some(l) = info.loyalty_card {
        e.customer.custom.insert("loyaltyCards".to_owned(), vec![l]);
    }
}

#[allow(clippy::too_many_arguments)]
fn customer_participant(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    c: &Cust,
    kind: ChannelType,
    ch_source: &str,
    direction: Direction,
    detail: Detail,
    dialog: &Option<String>,
    joined: Option<i64>,
    left: Option<i64>,
) -> Participant {
    let info = &c.info;
    let mut display = String::with_capacity(info.first.len() + info.last.len() + 1);
    display.push_str(info.first);
    display.push(' ');
    display.push_str(info.last);
    let mut pt = Participant {
        id: Some(info.consumer_id.clone()),
        display_name: Some(display),
        first_name: detail.names.then(|| info.first.to_owned()),
        last_name: detail.names.then(|| info.last.to_owned()),
        joined_at: joined.map(ts),
        left_at: joined.and(left).map(ts),
        dialog_id: dialog.clone(),
        channel_id: detail.devices.then(|| profile(kind).channel_id.to_owned()),
        channel_type: Some(kind),
        ..Participant::new(Role::Customer)
    };
    let inbound = direction == Direction::Inbound;
    match kind {
        ChannelType::Voice => {
            let ours = if inbound {
                one(rng, &p.dids).clone()
            } else {
                p.outbound_cli.clone()
            };
            let theirs = c.number.clone();
            let (from, to) = if inbound {
                (theirs, ours)
            } else {
                (ours, theirs)
            };
            pt.calling_number = Some(from);
            pt.dialled_number = Some(to);
        }
        ChannelType::Sms => {
            let (from, to) = if inbound {
                (c.number.clone(), p.sms_short_code.clone())
            } else {
                (p.sms_short_code.clone(), c.number.clone())
            };
            pt.calling_number = Some(from);
            pt.dialled_number = Some(to);
        }
        ChannelType::Email | ChannelType::Chat | ChannelType::Messaging | ChannelType::Video => {
            pt.email = Some(one(rng, &info.emails).clone());
        }
        _ => {
            let (stype, addr) = match ch_source {
                "facebook" => ("Facebook", None),
                "instagram" => ("Instagram", Some(info.handle())),
                _ => ("Twitter", Some(info.handle())),
            };
            pt.source_type = Some(stype.to_owned());
            pt.source_address = addr;
        }
    }
    pt
}

/// The external system and address the engagement came in through.
fn source_of(
    p: &Pools,
    kind: ChannelType,
    ch_source: &str,
    direction: Direction,
) -> (Option<&'static str>, Option<String>) {
    let inbound = direction == Direction::Inbound;
    match (kind, ch_source) {
        (ChannelType::Voice, "pstn") if inbound => (Some("PSTN"), Some(p.dids[0].clone())),
        (ChannelType::Voice, "pstn") => (Some("PSTN"), Some(p.outbound_cli.clone())),
        (ChannelType::Voice, _) => (Some("App"), None),
        (_, "web_chat" | "web_video") => (Some("Web"), Some(p.web_chat_url.clone())),
        (_, "in_app_chat" | "in_app_video") => (Some("App"), None),
        (_, "kiosk_video") => (Some("Kiosk"), None),
        (ChannelType::Sms, _) => (Some("SMS"), Some(p.sms_short_code.clone())),
        (ChannelType::Email, _) => (Some("Email"), Some(p.support_email.clone())),
        (_, "facebook") => (Some("Facebook"), Some(p.facebook_page.clone())),
        (_, "twitter") => (Some("Twitter"), Some(p.social_handle.clone())),
        (_, "instagram") => (Some("Instagram"), Some(p.social_handle.clone())),
        (_, "whatsapp") => (Some("WhatsApp"), Some(p.dids[0].clone())),
        (_, "facebook_messenger") => (Some("Messenger"), Some(p.facebook_page.clone())),
        _ => (Some("Apple Messages"), None),
    }
}

#[allow(clippy::too_many_arguments)]
fn visit(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    q: usize,
    source: SourcePlatform,
    channel_id: &str,
    queued: i64,
    accepted: Option<i64>,
    agent: Option<u32>,
    wait_type: Option<QueueWaitType>,
) -> QueueVisit {
    let queue = &p.queues[q];
    let rank = (source == SourcePlatform::AvayaAxp).then(|| {
        if rng.gen_bool(0.7) {
            2_147_483_647
        } else {
            rng.gen_range(1..=5)
        }
    });
    QueueVisit {
        id: queue.id.clone(),
        name: Some(queue.name.clone()),
        channel_id: Some(channel_id.to_owned()),
        priority: Some(queue.priority),
        rank,
        proficiency_min: Detail::of(source).devices.then_some(queue.proficiency.0),
        proficiency_max: Detail::of(source).devices.then_some(queue.proficiency.1),
        queued_at: Some(ts(queued)),
        accepted_at: accepted.map(ts),
        agent_id: agent.map(|a| p.agents[a as usize].id.clone()),
        wait_type,
    }
}

#[allow(clippy::too_many_arguments)]
fn transfer(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    kind: TransferType,
    at: i64,
    from: u32,
    source: SourcePlatform,
    channel_id: &str,
    dialog: &Option<String>,
) -> Transfer {
    let axp = source == SourcePlatform::AvayaAxp;
    Transfer {
        at: Some(ts(at)),
        from_agent_id: Some(p.agents[from as usize].id.clone()),
        channel_id: Some(channel_id.to_owned()),
        channel_provider_id: axp.then(|| ids::v4(rng)),
        connection_id: Some(ids::v4(rng)),
        dialog_id: dialog.clone(),
        provider_dialog_id: axp.then(|| ids::v4(rng)),
        correlation_id: Some(ids::v4(rng)),
        description: rng
            .gen_bool(0.5)
            .then(|| word(rng, TRANSFER_DESCRIPTIONS).to_owned()),
        ..Transfer::new(kind)
    }
}

fn recording(
    rng: &mut ChaCha8Rng,
    user: &str,
    kind: ChannelType,
    media: Media,
    at: i64,
    duration: i64,
) -> Recording {
    let id = ids::v4(rng);
    let video = kind == ChannelType::Video;
    let mut uri = String::with_capacity(72);
    uri.push_str("https://recordings.example.com/");
    uri.push_str(&id);
    uri.push_str(if video { ".mp4" } else { ".wav" });
    // G.711 audio is 8,000 bytes a second plus a 44-byte WAV header; video about 1.2 Mbit/s.
    let size = if video {
        (duration as f64 * 150.0 * rng.gen_range(0.85..1.15)) as u64
    } else {
        duration as u64 * 8 + 44
    };
    Recording {
        id: Some(id),
        uri: Some(uri),
        user: Some(user.to_owned()),
        created_at: Some(ts(at)),
        duration_ms: Some(duration as u64),
        size_bytes: Some(size),
        media: Some(if video { media } else { Media::Audio }),
    }
}

/// One to three context values, as platforms attach them.
fn data(rng: &mut ChaCha8Rng, d: &mut Data, direction: Direction) {
    use serde_json::Value;
    let n = pick(rng, &[(1usize, 40), (2, 40), (3, 20)]);
    for _ in 0..n {
        let (k, v) = match rng.gen_range(0..7u8) {
            0 => {
                let mut s = String::from("ref-");
                s.push_str(&ids::v4(rng));
                ("referenceNumber", s)
            }
            1 => {
                let mut s = String::from("ORD-");
                push_digits(&mut s, rng.gen_range(0..10_000_000), 7);
                ("orderId", s)
            }
            2 => {
                let mut s = String::from("CS-");
                push_digits(&mut s, rng.gen_range(0..1_000_000), 6);
                ("caseNumber", s)
            }
            3 => ("currentStatus", word(rng, DATA_STATUSES).to_owned()),
            4 => ("preferredLanguage", word(rng, LANGUAGES).to_owned()),
            5 => ("customerTier", word(rng, TIERS).to_owned()),
            _ if direction == Direction::Outbound => ("campaign", word(rng, CAMPAIGNS).to_owned()),
            _ => {
                let mut s = String::from("ref-");
                s.push_str(&ids::v4(rng));
                ("referenceNumber", s)
            }
        };
        if !d.contains_key(k) {
            d.insert(k.to_owned(), Value::String(v));
        }
    }
}

/// An agent-to-agent call (internal) or an agent consulting a queue (consult).
fn internal(
    rng: &mut ChaCha8Rng,
    p: &Pools,
    e: &mut Engagement,
    start: i64,
    active: bool,
    direction: Direction,
) {
    let a = rng.gen_range(0..p.agents.len() as u32);
    let team = p.agents[a as usize].team;
    let failed = !active && rng.gen_bool(0.06);
    e.direction = Some(direction);
    e.team = Some(p.teams[team].name.to_owned());
    let (b, joined) = if direction == Direction::Consult {
        let q = p.pick_queue(rng);
        let w = lognormal(rng, 20.0 * SECOND as f64, 0.9, SECOND, 10 * MINUTE);
        let mut b = p.agent_for(rng, q);
        if b == a {
            b = p.other_agent(rng, team, a);
        }
        let accepted = (!failed).then_some(start + w);
        let wt = Some(QueueWaitType::LiveWaiting);
        e.queues.push(visit(
            rng,
            p,
            q,
            e.source.unwrap_or(SourcePlatform::Native),
            "Voice",
            start,
            accepted,
            accepted.map(|_| b),
            wt,
        ));
        e.timings.wait_ms = Some(w as u64);
        (b, start + w)
    } else {
        let b = p.other_agent(rng, team, a);
        (
            b,
            start + lognormal(rng, 8.0 * SECOND as f64, 0.4, SECOND, 40 * SECOND),
        )
    };
    let median = if direction == Direction::Consult {
        90.0
    } else {
        120.0
    };
    let talk = lognormal(rng, median * SECOND as f64, 0.8, 5 * SECOND, 2 * HOUR);
    let end = if failed { joined } else { joined + talk };
    let now = active.then(|| joined + (talk as f64 * rng.gen_range(0.05..0.95)) as i64);
    e.channels[0].source = Some("sip".to_owned());
    let dialog = Some(ids::v4(rng));
    let (aa, bb) = (&p.agents[a as usize], &p.agents[b as usize]);
    for (ag, is_a) in [(aa, true), (bb, false)] {
        let (j, l) = match (is_a, failed) {
            (true, _) => (Some(start), Some(end)),
            (false, true) => (None, None),
            (false, false) => (Some(joined), Some(end)),
        };
        e.participants.push(Participant {
            id: Some(ag.id.clone()),
            username: Some(ag.username.clone()),
            email: Some(ag.email.clone()),
            display_name: Some(ag.display.clone()),
            first_name: Some(ag.first.to_owned()),
            last_name: Some(ag.last.to_owned()),
            joined_at: j.map(ts),
            left_at: if now.is_some() { None } else { l.map(ts) },
            calling_number: is_a.then(|| aa.extension[4..].to_owned()),
            dialled_number: is_a.then(|| bb.extension[4..].to_owned()),
            extension: Some(ag.extension.clone()),
            dialog_id: dialog.clone(),
            channel_id: Some("Voice".to_owned()),
            channel_type: Some(ChannelType::Voice),
            owner: is_a,
            ..Participant::new(Role::Agent)
        });
    }
    match now {
        Some(n) => {
            e.state = Some(State::Active);
            e.release = Some(Release::Connected);
            e.updated_at = Some(ts(n));
        }
        None => {
            e.ended_at = Some(ts(end));
            e.duration_ms = Some((end - start) as u64);
            e.state = Some(State::Completed);
            e.updated_at = Some(ts(end + rng.gen_range(0..5 * SECOND)));
            if failed {
                e.outcome = Some(Outcome::Unsuccessful);
                e.release = Some(Release::Attempted);
                e.reason = Some(
                    if direction == Direction::Consult {
                        "no agent available"
                    } else {
                        "no answer"
                    }
                    .to_owned(),
                );
            } else {
                e.outcome = Some(Outcome::Successful);
                e.release = Some(Release::Connected);
                e.timings.talk_ms = Some(talk as u64);
                e.timings.handling_ms = Some(talk as u64);
            }
        }
    }
}

/// Who wrote a transcript entry.
#[derive(Clone, Copy)]
enum Who {
    Customer,
    Bot(usize),
    Agent(u32),
    System,
}

struct Ev {
    at: i64,
    kind: &'static str,
    who: Who,
    text: Option<String>,
}

/// Builds the transcript of a chat, SMS, social or messaging engagement.
struct Transcript<'a> {
    p: &'a Pools,
    cust: &'a Cust,
    kind: ChannelType,
    ch_source: &'a str,
    prof: &'a Profile,
    segs: &'a [Seg],
    autos: &'a [Auto<'a>],
}

impl Transcript<'_> {
    #[allow(clippy::too_many_arguments)]
    fn messages(
        &self,
        rng: &mut ChaCha8Rng,
        start: i64,
        end: Option<i64>,
        horizon: i64,
        inbound: bool,
        fate: Fate,
        reason: Option<&str>,
        served: bool,
        topic: &str,
    ) -> Vec<Message> {
        let mut ev: Vec<Ev> = Vec::with_capacity(24);
        let say = |at: i64, who: Who, text: &str| Ev {
            at,
            kind: "Message",
            who,
            text: Some(text.to_owned()),
        };
        let mark = |at: i64, kind: &'static str, who: Who| Ev {
            at,
            kind,
            who,
            text: None,
        };

        if inbound {
            ev.push(mark(start, "ParticipantJoined", Who::Customer));
            let mut opener_at = start + lognormal(rng, 8.0 * SECOND as f64, 0.5, SECOND, MINUTE);
            if let Some(a) = self
                .autos
                .first()
                .filter(|a| a.kind == AutomationType::Chatbot)
            {
                ev.push(mark(a.from, "ParticipantJoined", Who::Bot(0)));
                ev.push(say(a.from + SECOND, Who::Bot(0), BOT_GREETING));
                opener_at = a.from + 2 * SECOND + (a.to - a.from) / 4;
                if end != Some(a.to) {
                    ev.push(say(
                        (a.to - SECOND).max(opener_at + 1),
                        Who::Bot(0),
                        BOT_HANDOFF,
                    ));
                }
                ev.push(mark(a.to, "ParticipantLeft", Who::Bot(0)));
            }
            let mut text = String::with_capacity(64);
            text.push_str(word(rng, CUSTOMER_OPENERS));
            push_lower(&mut text, topic);
            ev.push(Ev {
                at: opener_at.min(horizon),
                kind: "Message",
                who: Who::Customer,
                text: Some(text),
            });
            if !served {
                if horizon - start > MINUTE && rng.gen_bool(0.5) {
                    ev.push(say(
                        start + (horizon - start) * 2 / 3,
                        Who::Customer,
                        word(rng, CUSTOMER_WAITING),
                    ));
                }
                if fate == Fate::Failed && reason == Some("no agent available") {
                    ev.push(Ev {
                        at: horizon,
                        kind: "Notice",
                        who: Who::System,
                        text: Some(NO_AGENTS_NOTICE.to_owned()),
                    });
                }
            }
        }
        let last = self.segs.len().saturating_sub(1);
        for (i, s) in self.segs.iter().enumerate() {
            let who = Who::Agent(s.agent);
            ev.push(mark(s.joined, "ParticipantJoined", who));
            let stop = s.until.or(s.left).unwrap_or(horizon);
            if s.consult {
                ev.push(say(
                    s.joined + 5 * SECOND,
                    who,
                    "Hi, I've been asked to help with this one.",
                ));
            } else {
                let greet = s.joined + lognormal(rng, 6.0 * SECOND as f64, 0.5, SECOND, MINUTE);
                let greetings = if inbound {
                    AGENT_GREETINGS
                } else {
                    AGENT_OUTBOUND_OPENERS
                };
                ev.push(say(greet, who, word(rng, greetings)));
                if served {
                    let closing = i == last && s.left.is_some();
                    let window_end = if closing { stop - 40 * SECOND } else { stop };
                    let (lo, hi) = self.prof.pairs;
                    let mut n = rng.gen_range(lo..=hi) as i64;
                    let span = window_end - greet;
                    while n > 0 && span / (2 * n + 1) < 2 * SECOND {
                        n -= 1;
                    }
                    let step = if n > 0 { span / (2 * n + 1) } else { 0 };
                    // Lines are drawn without repeating the previous one.
                    let (mut cl, mut al) = (rng.gen_range(0..CUSTOMER_LINES.len()), 0);
                    for j in 0..2 * n {
                        let at = greet + step * (j + 1) + rng.gen_range(0..=step / 2);
                        if j % 2 == 0 {
                            cl = (cl + rng.gen_range(1..CUSTOMER_LINES.len()))
                                % CUSTOMER_LINES.len();
                            ev.push(say(at, Who::Customer, CUSTOMER_LINES[cl]));
                        } else {
                            al = (al + rng.gen_range(1..AGENT_LINES.len())) % AGENT_LINES.len();
                            ev.push(say(at, who, AGENT_LINES[al]));
                        }
                    }
                    if closing {
                        ev.push(say(stop - 30 * SECOND, who, word(rng, AGENT_CLOSINGS)));
                        ev.push(say(
                            stop - 10 * SECOND,
                            Who::Customer,
                            word(rng, CUSTOMER_CLOSINGS),
                        ));
                    }
                }
            }
            if let Some(l) = s.left {
                ev.push(mark(l, "ParticipantLeft", who));
            }
        }
        if let (Some(end), true) = (end, inbound || served) {
            ev.push(mark(end, "ParticipantLeft", Who::Customer));
        }

        ev.retain(|m| m.at <= horizon);
        for m in &mut ev {
            m.at = m.at.clamp(start, horizon);
        }
        ev.sort_by_key(|m| m.at);
        let cust_nick = match self.kind {
            ChannelType::Social if self.ch_source != "facebook" => self.cust.info.handle(),
            _ => self.cust.info.first.to_owned(),
        };
        ev.into_iter()
            .enumerate()
            .map(|(i, m)| {
                let sender = match m.who {
                    Who::Customer => Some(MessageSender {
                        nickname: Some(cust_nick.clone()),
                        role: Some(Role::Customer),
                        participant_id: Some(self.cust.info.consumer_id.clone()),
                    }),
                    Who::Bot(k) => self.autos.get(k).map(|a| MessageSender {
                        nickname: Some(a.flow.name.to_owned()),
                        role: Some(Role::Automation),
                        participant_id: Some(a.flow.id.clone()),
                    }),
                    Who::Agent(a) => {
                        let ag = &self.p.agents[a as usize];
                        Some(MessageSender {
                            nickname: Some(ag.first.to_owned()),
                            role: Some(Role::Agent),
                            participant_id: Some(ag.id.clone()),
                        })
                    }
                    Who::System => None,
                };
                Message {
                    index: i as u32 + 1,
                    at: ts(m.at),
                    kind: m.kind.to_owned(),
                    text: m.text,
                    visibility: Some("All".to_owned()),
                    sender,
                }
            })
            .collect()
    }
}
