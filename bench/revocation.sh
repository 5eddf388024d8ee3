#!/usr/bin/env bash
# The cost of the revocation check every authenticated request pays (crates/http/src/auth/
# revocation.rs): the check against an up-to-date copy of the revocations, with 10,000
# revoked subjects, and the refresh once a second (reading the epoch; the list only when it
# moved), timed in process by crates/http/benches/revocation_check.rs (release build). The
# store's own read of the epoch (one indexed row) is not included: it runs once a second per
# instance, not per request.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench -q -p interlog-http --bench revocation_check 2>/dev/null | grep '^FIGURE'
