//! `runConformance`: the core's conformance suite against [`JsTransport`], so
//! that every call of the suite crosses the napi boundary twice: into
//! JavaScript (the object `wrap` returns) and back into the snapshot fake.

use std::sync::Arc;

use kms_rotation_core::conformance::{self, CaseOutcome, TransportBackend};
use kms_rotation_core::{Error as CoreError, SnapshotTransport};
use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw, Unknown};
use napi_derive::napi;

use crate::promise;
use crate::snapshot::SnapshotKmsClient;
use crate::transport::JsTransport;

/// How one case of the conformance suite ended.
#[napi(object, object_from_js = false)]
pub struct ConformanceCase {
    /// The case, e.g. `listing_across_pages`.
    pub name: String,
    /// How it ended.
    #[napi(ts_type = "'passed' | 'failed' | 'not_applicable'")]
    pub outcome: String,
    /// What failed, or why the case does not apply.
    pub detail: Option<String>,
}

/// Runs the core's conformance suite (listing across pages, aliases, the
/// decision table's calls, throttling, AccessDenied, a region not enabled,
/// remediation read back) with each region's {@link SnapshotKmsClient} passed
/// to `wrap`, and the client `wrap` returns called as an SDK v3 `KMS` client.
#[napi(
    ts_args_type = "wrap: (fake: SnapshotKmsClient) => KmsClientLike",
    ts_return_type = "Promise<ConformanceCase[]>"
)]
pub fn run_conformance<'env>(
    env: &'env Env,
    wrap: Function<'env, SnapshotKmsClient, Unknown<'static>>,
) -> napi::Result<PromiseRaw<'env, Vec<ConformanceCase>>> {
    let wrap = Arc::new(
        wrap.build_threadsafe_function::<SnapshotKmsClient>()
            .callee_handled::<false>()
            .build()?,
    );
    promise(
        env,
        Ok(move || async move {
            let make = move |transport: SnapshotTransport| -> Result<JsTransport, CoreError> {
                JsTransport::made_by(&wrap, SnapshotKmsClient::new(transport), "wrap")
            };
            let results = conformance::run(&TransportBackend::new("node", make)).await;
            Ok(results
                .into_iter()
                .map(|result| {
                    let (outcome, detail) = match result.outcome {
                        CaseOutcome::Passed => ("passed", None),
                        CaseOutcome::Failed(why) => ("failed", Some(why)),
                        CaseOutcome::NotApplicable(why) => ("not_applicable", Some(why.to_owned())),
                    };
                    ConformanceCase {
                        name: result.name.to_owned(),
                        outcome: outcome.to_owned(),
                        detail,
                    }
                })
                .collect())
        }),
    )
}
