use interlog_model::Engagement;

/// An engagement as stored: its canonical JSON, which is also the native API's rendering,
/// so the hot read path can pass it through without parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEngagement {
    pub id: String,
    pub json: String,
}

impl StoredEngagement {
    pub fn new(engagement: &Engagement) -> Self {
        StoredEngagement {
            id: engagement.id.clone(),
            json: serde_json::to_string(engagement).expect("engagements always serialize"),
        }
    }

    /// The engagement itself. Stored JSON was written by [`StoredEngagement::new`], so this
    /// fails only on a corrupted store.
    pub fn engagement(&self) -> Result<Engagement, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    /// Not written: the stored engagement has a newer `updated_at`.
    Stale,
}

impl UpsertOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            UpsertOutcome::Created => "created",
            UpsertOutcome::Updated => "updated",
            UpsertOutcome::Stale => "stale",
        }
    }
}
