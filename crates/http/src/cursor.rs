//! Native listing cursors: opaque, sealed for the tenant whose listing made them, and bound
//! to the query that made them.

use crate::auth::Signer;
use crate::error::{ApiError, ApiResult};
use interlog_store::{Filter, Position, Sort};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PURPOSE: &str = "native-cursor";

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// Fingerprint of the filter and sort the cursor belongs to.
    q: String,
    v: i64,
    i: String,
}

/// A short fingerprint of what a listing asked for, so a cursor cannot be replayed against
/// a different query.
pub fn fingerprint(filter: &Filter, sort: &Sort) -> String {
    let digest = Sha256::digest(format!("{filter:?}|{sort:?}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

pub fn encode(
    signer: &Signer,
    tenant: &str,
    filter: &Filter,
    sort: &Sort,
    pos: &Position,
) -> String {
    signer.seal(
        tenant,
        PURPOSE,
        &CursorBody {
            q: fingerprint(filter, sort),
            v: pos.value,
            i: pos.id.clone(),
        },
    )
}

/// The position a cursor of `tenant`'s listing holds; another tenant's cursor is refused as
/// one this server never issued.
pub fn decode(
    signer: &Signer,
    tenant: &str,
    filter: &Filter,
    sort: &Sort,
    cursor: &str,
) -> ApiResult<Position> {
    let body: CursorBody = signer
        .open(tenant, PURPOSE, cursor)
        .map_err(|_| ApiError::parameter("cursor", "is not a cursor this server issued"))?;
    if body.q != fingerprint(filter, sort) {
        return Err(ApiError::parameter(
            "cursor",
            "belongs to a different query; repeat the filters and sort that produced it",
        ));
    }
    Ok(Position {
        value: body.v,
        id: body.i,
    })
}
