//! Name pickers: the search form's queue, agent, team and disposition fields suggest the
//! tenant's names. Each is an HTML `<datalist>` filled when the page is made (the explorer
//! has no script): the browser offers the names as one types, any name or id can still be
//! typed, and the search resolves names to ids as the native listing does
//! ([`interlog_http::names`]). The same names come from `GET /api/v1/tenants/{t}/names`.

use interlog_http::ApiState;
use interlog_store::{KnownName, NameKind, Tenant};

/// Names offered per field: the most mentioned ones. A tenant with more still finds the
/// others by typing them whole.
const PER_FIELD: u32 = 200;

/// One suggestion: the name typed into the field, and the id it stands for (shown beside
/// it; several ids of one name show the first).
pub struct Choice {
    pub name: String,
    pub id: String,
}

/// The suggestions of each name-taking field.
#[derive(Default)]
pub struct Pickers {
    pub queue: Vec<Choice>,
    pub agent: Vec<Choice>,
    pub team: Vec<Choice>,
    pub disposition: Vec<Choice>,
}

impl Pickers {
    /// Each field's list, by the id its input names in `list=`.
    pub fn lists(&self) -> [(&'static str, &[Choice]); 4] {
        [
            ("queue-names", &self.queue),
            ("agent-names", &self.agent),
            ("team-names", &self.team),
            ("disposition-names", &self.disposition),
        ]
    }
}

fn choices(names: Vec<KnownName>) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::with_capacity(names.len());
    for n in names {
        if !out.iter().any(|c| c.name == n.name) {
            out.push(Choice {
                name: n.name,
                id: n.id,
            });
        }
    }
    out
}

/// The tenant's pickers; empty ones when the store cannot say (the form works without).
pub async fn load(state: &ApiState, tenant: &Tenant) -> Pickers {
    let of = |kind| async move {
        match state.store.suggest_names(tenant, kind, "", PER_FIELD).await {
            Ok(names) => choices(names),
            Err(e) => {
                tracing::warn!(error = %interlog_store::error_chain(&e), "names for the search form");
                Vec::new()
            }
        }
    };
    let (queue, agent, team, disposition) = tokio::join!(
        of(NameKind::Queue),
        of(NameKind::Agent),
        of(NameKind::Team),
        of(NameKind::Disposition)
    );
    Pickers {
        queue,
        agent,
        team,
        disposition,
    }
}
