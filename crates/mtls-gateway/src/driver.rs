//! The driver: plans a request, fetching what a [`Plan::Pending`] needs from the network
//! (OCSP responders, CRL distribution points) and planning again with the answers. The plan
//! itself does no IO; this is the only place that waits (on the request's own task: other
//! requests never wait for it).

use mtls_cert::pki_types::UnixTime;

use crate::decision::Answers;
use crate::plan::{Connection, Plan, RequestHead, Respond};
use crate::snapshot::Snapshot;

/// More rounds than the family has authentication plugins means a bug: refuse.
const MAX_ROUNDS: usize = 4;

/// The plan for a request, with every revocation answer it needs fetched (concurrent requests
/// for one certificate share one fetch; answers are cached as the revocation checker caches
/// them).
pub async fn drive(
    snapshot: &Snapshot,
    conn: &Connection<'_>,
    req: &RequestHead<'_>,
    now: UnixTime,
) -> Plan {
    let mut answers = Answers::new();
    for _ in 0..MAX_ROUNDS {
        match snapshot.plan_with(conn, req, &answers, now) {
            Plan::Pending(pending) => {
                let checker = snapshot.decider.revocation();
                for query in pending.needs().revocation() {
                    let outcome = checker.answer(query, now).await;
                    answers.insert_revocation(query, outcome);
                }
            }
            done => return done,
        }
    }
    Plan::Respond(Respond::message(
        500,
        "An unexpected error occurred",
        "the decision kept asking for revocation answers",
    ))
}
