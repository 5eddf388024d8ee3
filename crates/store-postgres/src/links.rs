//! Customer identity links: identifiers grouped into customers. A tenant's links change
//! under a transaction-scoped advisory lock of that tenant, so concurrent links from any
//! instance merge customers correctly.

use crate::error::{db, pool_error};
use crate::schema::lock_until_commit;
use crate::write::retrying;
use deadpool_postgres::Pool;
use interlog_store::terms::customer_key;
use interlog_store::{Identifier, LinkedIdentifier, Result};

async fn customer_of(
    c: &impl deadpool_postgres::GenericClient,
    tenant: i64,
    key: &str,
) -> Result<Option<String>> {
    Ok(c.query_opt(
        "SELECT customer FROM identity_links WHERE tenant_id = $1 AND identifier = $2",
        &[&tenant, &key],
    )
    .await
    .map_err(db("read identity link"))?
    .map(|r| r.get(0)))
}

pub(crate) async fn link(
    pool: &Pool,
    tenant: i64,
    country: Option<&str>,
    identifiers: &[Identifier],
) -> Result<()> {
    let given = interlog_store::keyed(identifiers, country);
    let given = &given;
    retrying(|| async move {
        let mut client = pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        lock_until_commit(&tx, &format!("identity links {tenant}")).await?;
        let mut customers: Vec<String> = Vec::new();
        for (k, _) in given {
            if let Some(c) = customer_of(&tx, tenant, k).await? {
                if !customers.contains(&c) {
                    customers.push(c);
                }
            }
        }
        let target = interlog_store::link_target(&customers);
        let others: Vec<&String> = customers.iter().skip(1).collect();
        if !others.is_empty() {
            tx.execute(
                "UPDATE identity_links SET customer = $3 WHERE tenant_id = $1 AND customer = ANY($2)",
                &[&tenant, &others, &target],
            )
            .await?;
        }
        for (k, i) in given {
            // The first type and spelling stay; a later link only fills in a missing type.
            tx.execute(
                "INSERT INTO identity_links (tenant_id, identifier, customer, kind, spelling)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id, identifier) DO UPDATE SET customer = excluded.customer,
                     kind = coalesce(identity_links.kind, excluded.kind),
                     spelling = coalesce(identity_links.spelling, excluded.spelling)",
                &[&tenant, k, &target, &i.kind, &i.value],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

pub(crate) async fn unlink(
    pool: &Pool,
    tenant: i64,
    country: Option<&str>,
    identifier: &str,
) -> Result<bool> {
    let key = customer_key(identifier, country);
    let client = pool.get().await.map_err(pool_error)?;
    let n = client
        .execute(
            "DELETE FROM identity_links WHERE tenant_id = $1 AND identifier = $2",
            &[&tenant, &key],
        )
        .await
        .map_err(db("delete identity link"))?;
    Ok(n > 0)
}

pub(crate) async fn linked(
    pool: &Pool,
    tenant: i64,
    country: Option<&str>,
    identifier: &str,
) -> Result<Vec<LinkedIdentifier>> {
    let key = customer_key(identifier, country);
    let client = pool.get().await.map_err(pool_error)?;
    let Some(customer) = customer_of(&client, tenant, &key).await? else {
        return Ok(vec![LinkedIdentifier {
            value: key.clone(),
            key,
            kind: None,
        }]);
    };
    let rows = client
        .query(
            "SELECT identifier, kind, spelling FROM identity_links
             WHERE tenant_id = $1 AND customer = $2 ORDER BY identifier",
            &[&tenant, &customer],
        )
        .await
        .map_err(db("read identity links"))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let key: String = r.get(0);
            LinkedIdentifier {
                value: r.get::<_, Option<String>>(2).unwrap_or_else(|| key.clone()),
                kind: r.get(1),
                key,
            }
        })
        .collect())
}
