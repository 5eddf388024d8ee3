//! Notifications in one process: an embedded store has no other instance to reach, so a
//! payload goes straight to this process's subscribers.

use crate::SqliteStore;
use async_trait::async_trait;
use interlog_store::{Notifications, Result, Subscription, Tenant};

#[async_trait]
impl Notifications for SqliteStore {
    async fn publish(&self, tenant: &Tenant, topic: &str, payload: &str) -> Result<()> {
        self.subscribers.deliver(tenant.id, topic, payload.into());
        Ok(())
    }

    async fn subscribe(&self, tenant: &Tenant, topic: &str) -> Result<Subscription> {
        Ok(self.subscribers.subscribe(tenant.id, topic))
    }
}
