//! The stable cast of a generated tenant: agents, queues and their teams, IVR and bot flows,
//! disposition codes, the tenant's own numbers and addresses, and its customers.
//!
//! Agents, queues and flows are built once from the seed. Customers are too many to keep
//! (a million engagements have 250,000 of them), so each is derived from its index by a
//! hash-seeded generator: drawing customer 1234 twice gives the same person both times.

use crate::dist::{one, pick, push_digits, push_slug, word, SplitMix};
use crate::ids;
use crate::words::*;
use rand::Rng;

/// An agent of the contact center.
pub(crate) struct Agent {
    pub id: String,
    pub first: &'static str,
    pub last: &'static str,
    pub display: String,
    pub email: String,
    pub username: String,
    pub extension: String,
    pub team: usize,
}

/// A routing queue.
pub(crate) struct Queue {
    pub id: String,
    pub name: String,
    pub team: usize,
    /// Agents that serve this queue.
    pub agents: Vec<u32>,
    /// Routing attribute, e.g. `Broadband.billing`.
    pub attribute: String,
    pub priority: u32,
    pub proficiency: (u32, u32),
}

/// A group of queues and the agents that work them.
pub(crate) struct Team {
    pub name: &'static str,
    pub topics: &'static [&'static str],
    pub agents: Vec<u32>,
    pub queues: Vec<u32>,
}

/// Something with a stable id and a name: a flow or a disposition code.
pub(crate) struct Named {
    pub id: String,
    pub name: &'static str,
    pub version: String,
}

/// Everything about the tenant that stays the same from one engagement to the next.
pub(crate) struct Pools {
    pub agents: Vec<Agent>,
    pub queues: Vec<Queue>,
    pub teams: Vec<Team>,
    /// Cumulative queue popularity, for weighted choice.
    queue_cum: Vec<f64>,
    pub ivr_flows: Vec<Named>,
    pub bot_flows: Vec<Named>,
    pub transfer_flows: Vec<Named>,
    pub served_dispositions: Vec<Named>,
    pub unsuccessful_dispositions: Vec<Named>,
    /// The tenant's numbers customers dial.
    pub dids: Vec<String>,
    /// The number outbound calls present.
    pub outbound_cli: String,
    pub sms_short_code: String,
    pub support_email: String,
    pub social_handle: String,
    pub facebook_page: String,
    pub web_chat_url: String,
    /// Partners engagements are sometimes transferred out to.
    pub external_numbers: Vec<String>,
    customer_key: u64,
    customer_count: u64,
}

impl Pools {
    pub(crate) fn new(
        rng: &mut impl Rng,
        tenant: &str,
        agents: u32,
        queues: u32,
        customers: u64,
        seed: u64,
    ) -> Self {
        let mut slug = String::new();
        push_slug(&mut slug, tenant);
        if slug.is_empty() {
            slug.push_str("acme");
        }
        slug.truncate(40);
        let domain = format!("{slug}.example.com");

        let mut teams: Vec<Team> = TEAMS
            .iter()
            .map(|t| Team {
                name: t.name,
                topics: t.topics,
                agents: Vec::new(),
                queues: Vec::new(),
            })
            .collect();

        // Queue names round-robin across the teams, so a small tenant still has variety.
        let longest = TEAMS.iter().map(|t| t.queues.len()).max().unwrap_or(1);
        let mut names: Vec<(usize, &str)> = Vec::new();
        for i in 0..longest {
            for (ti, t) in TEAMS.iter().enumerate() {
                if let Some(q) = t.queues.get(i) {
                    names.push((ti, q));
                }
            }
        }
        let mut qs = Vec::with_capacity(queues as usize);
        for i in 0..queues as usize {
            let (team, base) = names[i % names.len()];
            let mut name = base.to_owned();
            if i >= names.len() {
                name.push(' ');
                push_digits(&mut name, (i / names.len() + 1) as u64, 1);
            }
            let mut attribute = TEAMS[team].area.to_owned();
            attribute.push('.');
            if rng.gen_bool(0.5) {
                push_slug(&mut attribute, base);
            } else {
                attribute.push_str(word(rng, SKILLS));
            }
            let lo = rng.gen_range(1..=5);
            teams[team].queues.push(i as u32);
            qs.push(Queue {
                id: ids::v4(rng),
                name,
                team,
                agents: Vec::new(),
                attribute,
                priority: pick(rng, &[(1, 5), (2, 3), (3, 2), (5, 1)]),
                proficiency: (lo, rng.gen_range(lo + 3..=10)),
            });
        }

        let mut used = std::collections::HashSet::new();
        let mut ags = Vec::with_capacity(agents as usize);
        for i in 0..agents {
            let first = word(rng, FIRST_NAMES);
            let last = word(rng, LAST_NAMES);
            let mut local = String::new();
            push_slug(&mut local, first);
            local.push('.');
            push_slug(&mut local, last);
            let mut email = local.clone();
            let mut n = 1;
            while !used.insert(email.clone()) {
                n += 1;
                email.clone_from(&local);
                push_digits(&mut email, n, 1);
            }
            email.push('@');
            email.push_str(&domain);
            let mut username = first.to_owned();
            username.push_str(&last[..1]);
            let mut extension = String::from("ext/");
            push_digits(&mut extension, 2000 + u64::from(i), 4);

            // Primary queue by position (so every queue is served when there are enough
            // agents), then one to three more from the same team.
            let primary = (i % queues) as usize;
            let team = qs[primary].team;
            qs[primary].agents.push(i);
            let extra = rng.gen_range(1..=3);
            for _ in 0..extra {
                let q = *one(rng, &teams[team].queues) as usize;
                if !qs[q].agents.contains(&i) {
                    qs[q].agents.push(i);
                }
            }
            teams[team].agents.push(i);
            ags.push(Agent {
                id: ids::v4(rng),
                first,
                last,
                display: format!("{first} {last}"),
                email,
                username,
                extension,
                team,
            });
        }

        // Earlier queues are busier: weight 1/(i+1)^0.7.
        let mut queue_cum = Vec::with_capacity(qs.len());
        let mut total = 0.0;
        for i in 0..qs.len() {
            total += 1.0 / ((i + 1) as f64).powf(0.7);
            queue_cum.push(total);
        }
        for c in &mut queue_cum {
            *c /= total;
        }

        let named = |rng: &mut dyn rand::RngCore, list: &[&'static str]| -> Vec<Named> {
            list.iter()
                .map(|&name| {
                    let mut version = String::new();
                    push_digits(&mut version, rng.gen_range(1..=25), 1);
                    Named {
                        id: ids::v4(rng),
                        name,
                        version,
                    }
                })
                .collect()
        };
        let ivr_flows = named(rng, IVR_FLOWS);
        let bot_flows = named(rng, BOT_FLOWS);
        let transfer_flows = named(rng, TRANSFER_FLOWS);
        let served_dispositions = named(rng, SERVED_DISPOSITIONS);
        let unsuccessful_dispositions = named(rng, UNSUCCESSFUL_DISPOSITIONS);

        let number = |rng: &mut dyn rand::RngCore, prefix: &str, a: usize, b: usize| {
            let mut s = prefix.to_owned();
            push_digits(&mut s, rng.gen_range(0..10u64.pow(a as u32)), a);
            s.push(' ');
            push_digits(&mut s, rng.gen_range(0..10u64.pow(b as u32)), b);
            s
        };
        let dids = vec![
            number(rng, "1800 ", 3, 3),
            number(rng, "1850 ", 3, 3),
            number(rng, "01 ", 3, 4),
            number(rng, "1590 ", 2, 3),
        ];
        let outbound_cli = number(rng, "01 ", 3, 4);
        let external_numbers = vec![
            number(rng, "+353 1 ", 3, 4),
            number(rng, "+44 20 ", 4, 4),
            number(rng, "+353 21 ", 3, 4),
        ];
        let mut sms_short_code = String::from("5");
        push_digits(&mut sms_short_code, rng.gen_range(0..10_000), 4);

        let mut social_handle = String::from("@");
        social_handle.push_str(&slug[..slug.len().min(10)]);
        social_handle.push_str("care");
        let mut facebook_page = String::new();
        let mut chars = slug.chars();
        if let Some(c) = chars.next() {
            facebook_page.push(c.to_ascii_uppercase());
            facebook_page.push_str(chars.as_str());
        }
        facebook_page.push_str(" Support");

        Pools {
            agents: ags,
            queues: qs,
            teams,
            queue_cum,
            ivr_flows,
            bot_flows,
            transfer_flows,
            served_dispositions,
            unsuccessful_dispositions,
            dids,
            outbound_cli,
            sms_short_code,
            support_email: format!("support@{domain}"),
            social_handle,
            facebook_page,
            web_chat_url: format!("https://www.{domain}/help"),
            external_numbers,
            customer_key: seed ^ 0x5EED_C057_0E4E_5EED,
            customer_count: customers,
        }
    }

    /// A queue, the first ones more often than the last.
    pub(crate) fn pick_queue(&self, rng: &mut impl Rng) -> usize {
        let u: f64 = rng.gen();
        self.queue_cum
            .partition_point(|&c| c <= u)
            .min(self.queues.len() - 1)
    }

    /// An agent serving `queue` (any agent when nobody serves it).
    pub(crate) fn agent_for(&self, rng: &mut impl Rng, queue: usize) -> u32 {
        let a = &self.queues[queue].agents;
        if a.is_empty() {
            rng.gen_range(0..self.agents.len() as u32)
        } else {
            *one(rng, a)
        }
    }

    /// Another agent than `not`, preferably of `team` (the same one only when it is alone).
    pub(crate) fn other_agent(&self, rng: &mut impl Rng, team: usize, not: u32) -> u32 {
        let mates = &self.teams[team].agents;
        for _ in 0..4 {
            let a = if mates.is_empty() || rng.gen_bool(0.2) {
                rng.gen_range(0..self.agents.len() as u32)
            } else {
                *one(rng, mates)
            };
            if a != not {
                return a;
            }
        }
        not
    }

    /// How many customers there are.
    pub(crate) fn customer_count(&self) -> u64 {
        self.customer_count
    }

    /// Customer number `index`, the same person every time.
    pub(crate) fn customer(&self, index: u64) -> CustomerInfo {
        CustomerInfo::derive(&mut SplitMix::new(self.customer_key, index))
    }
}

/// A phone number: a two-digit area (or mobile) code and a seven-digit local number, in
/// Ireland (+353), so national and international spellings name the same number.
#[derive(Clone, Copy)]
pub(crate) struct Phone {
    area: &'static str,
    local: u32,
}

/// The ways people and systems write a phone number.
pub(crate) const PHONE_STYLES: u8 = 7;

impl Phone {
    /// Writes the number in `style` (0..PHONE_STYLES): `019 718 0171`, `0197180171`,
    /// `019-718-0171`, `(019) 718-0171`, `+353 19 718 0171`, `00353 19 718 0171`, `+353197180171`.
    pub(crate) fn render(&self, style: u8) -> String {
        let mut s = String::with_capacity(18);
        let (hi, lo) = (
            u64::from(self.local / 10_000),
            u64::from(self.local % 10_000),
        );
        let (before, mid, after) = match style {
            0 => ("0", " ", " "),
            1 => ("0", "", ""),
            2 => ("0", "-", "-"),
            3 => ("(0", ") ", "-"),
            4 => ("+353 ", " ", " "),
            5 => ("00353 ", " ", " "),
            _ => ("+353", "", ""),
        };
        s.push_str(before);
        s.push_str(self.area);
        s.push_str(mid);
        push_digits(&mut s, hi, 3);
        s.push_str(after);
        push_digits(&mut s, lo, 4);
        s
    }

    /// Whether this is a mobile number (can send SMS).
    pub(crate) fn is_mobile(&self) -> bool {
        self.area.starts_with('8')
    }
}

const MOBILE_AREAS: &[&str] = &["83", "85", "86", "87", "89"];
const LANDLINE_AREAS: &[&str] = &["19", "21", "61", "91", "51", "41", "71", "42"];

/// A customer, as derived from their index.
pub(crate) struct CustomerInfo {
    pub first: &'static str,
    pub last: &'static str,
    /// The id the platform gives the customer as a participant.
    pub consumer_id: String,
    /// The customer record id (Genesys style: `0000Sa99620J0EM7`).
    pub contact_id: String,
    pub phones: Vec<Phone>,
    /// How this customer's numbers are usually written.
    pub phone_style: u8,
    pub emails: Vec<String>,
    pub account_ids: Vec<String>,
    pub twitter: Option<String>,
    pub loyalty_card: Option<String>,
    pub vip: bool,
}

impl CustomerInfo {
    fn derive(r: &mut SplitMix) -> CustomerInfo {
        let first = word(r, FIRST_NAMES);
        let last = word(r, LAST_NAMES);
        let consumer_id = ids::v4(r);
        let mut contact_id = String::with_capacity(16);
        contact_id.push_str("0000");
        ids::push_base62(r, &mut contact_id, 12);

        let n_phones = pick(r, &[(1usize, 60), (2, 30), (3, 10)]);
        let mut phones = Vec::with_capacity(n_phones);
        // The first number is a mobile for most people.
        for i in 0..n_phones {
            let area = if (i == 0 && r.gen_bool(0.85)) || (i > 0 && r.gen_bool(0.3)) {
                word(r, MOBILE_AREAS)
            } else {
                word(r, LANDLINE_AREAS)
            };
            phones.push(Phone {
                area,
                local: r.gen_range(1_000_000..10_000_000),
            });
        }
        let phone_style = pick(
            r,
            &[
                (0u8, 35),
                (1, 15),
                (2, 10),
                (3, 10),
                (4, 20),
                (5, 5),
                (6, 5),
            ],
        );

        let n_emails = pick(r, &[(1usize, 75), (2, 25)]);
        let mut emails = Vec::with_capacity(n_emails);
        for i in 0..n_emails {
            let mut e = String::with_capacity(32);
            match (r.gen_range(0..4u32) + i as u32) % 4 {
                0 => {
                    push_slug(&mut e, first);
                    e.push('.');
                    push_slug(&mut e, last);
                }
                1 => {
                    push_slug(&mut e, &first[..1]);
                    push_slug(&mut e, last);
                }
                2 => {
                    push_slug(&mut e, first);
                    push_digits(&mut e, r.gen_range(1..100), 1);
                }
                _ => {
                    push_slug(&mut e, first);
                    e.push('_');
                    push_slug(&mut e, last);
                    push_digits(&mut e, r.gen_range(1..1000), 1);
                }
            }
            e.push('@');
            e.push_str(word(r, EMAIL_DOMAINS));
            if !emails.contains(&e) {
                emails.push(e);
            }
        }

        let n_accounts = pick(r, &[(0usize, 40), (1, 55), (2, 5)]);
        let mut account_ids = Vec::with_capacity(n_accounts);
        for _ in 0..n_accounts {
            let mut a = String::from("ACC-");
            push_digits(&mut a, r.gen_range(0..100_000_000), 8);
            account_ids.push(a);
        }
        let twitter = r.gen_bool(0.12).then(|| {
            let mut t = String::from("@");
            push_slug(&mut t, first);
            push_slug(&mut t, last);
            if r.gen_bool(0.5) {
                push_digits(&mut t, r.gen_range(1..100), 2);
            }
            t
        });
        let loyalty_card = r.gen_bool(0.08).then(|| {
            let mut t = String::from("LC");
            push_digits(&mut t, r.gen_range(0..10_000_000_000), 10);
            t
        });
        CustomerInfo {
            first,
            last,
            consumer_id,
            contact_id,
            phones,
            phone_style,
            emails,
            account_ids,
            twitter,
            loyalty_card,
            vip: r.gen_bool(0.05),
        }
    }

    /// The customer's mobile number if they have one, else their first number.
    pub(crate) fn mobile(&self) -> Phone {
        self.phones
            .iter()
            .copied()
            .find(Phone::is_mobile)
            .unwrap_or(self.phones[0])
    }

    /// A Twitter handle: the customer's own, or one made from their name.
    pub(crate) fn handle(&self) -> String {
        self.twitter.clone().unwrap_or_else(|| {
            let mut t = String::from("@");
            push_slug(&mut t, self.first);
            push_slug(&mut t, &self.last[..1]);
            t
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interlog_model::phone::normalize;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_phone_style_names_the_same_number() {
        let p = Phone {
            area: "19",
            local: 7_180_171,
        };
        assert_eq!(p.render(0), "019 718 0171");
        assert_eq!(p.render(3), "(019) 718-0171");
        assert_eq!(p.render(4), "+353 19 718 0171");
        let key = normalize(&p.render(0), Some("353"));
        for s in 0..PHONE_STYLES {
            assert_eq!(normalize(&p.render(s), Some("353")), key, "{}", p.render(s));
        }
    }

    #[test]
    fn pools_are_stable_and_every_queue_is_served() {
        let build = || {
            Pools::new(
                &mut ChaCha8Rng::seed_from_u64(9),
                "Premier Tenant",
                300,
                40,
                1000,
                9,
            )
        };
        let (a, b) = (build(), build());
        assert_eq!(a.agents[17].email, b.agents[17].email);
        assert!(a.agents[0].email.ends_with("@premiertenant.example.com"));
        assert_eq!(a.queues[5].id, b.queues[5].id);
        assert!(a.queues.iter().all(|q| !q.agents.is_empty()));
        let emails: std::collections::HashSet<_> = a.agents.iter().map(|x| &x.email).collect();
        assert_eq!(emails.len(), 300);
        assert_eq!(a.customer(77).contact_id, b.customer(77).contact_id);
        assert_ne!(a.customer(77).contact_id, a.customer(78).contact_id);
    }
}
