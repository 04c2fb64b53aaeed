//! The Rust side of the Node binding's JSON-equality test.
//!
//! Runs the core on the demo account (`examples/data/demo-account.json`) and
//! compares its canonical JSON, timing fields dropped, with
//! `__test__/fixtures/demo-rust.json`. The Node tests (`__test__/json.test.mjs`)
//! compare the addon's plain objects with the same file, so Rust and Node agree
//! by transitivity. After an intended change of the core's output, rewrite it:
//!
//! ```text
//! KMS_ROTATION_UPDATE_FIXTURES=1 cargo test --workspace --test canonical_json
//! ```

use std::path::{Path, PathBuf};

use kms_rotation_core::{CheckOptions, Policy, RemediateOptions, Snapshot, check_account, check_key, remediate};
use serde_json::{Map, Value};

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative)
}

/// The canonical JSON as a value, without the fields that change from run to
/// run: `generated_at`, `stats.duration_ms`, and the next rotation date a
/// snapshot computes from the clock when remediation enables rotation.
/// `__test__/helpers.mjs` drops the same fields.
fn canonical(json: &str) -> Value {
    let mut value: Value = serde_json::from_str(json).expect("canonical JSON parses");
    if let Value::Object(map) = &mut value {
        map.remove("generated_at");
        if let Some(Value::Object(stats)) = map.get_mut("stats") {
            stats.remove("duration_ms");
        }
        if let Some(Value::Array(actions)) = map.get_mut("actions") {
            for action in actions {
                if let Some(Value::Object(after)) = action.get_mut("after") {
                    after.remove("next_rotation_date");
                }
            }
        }
    }
    value
}

async fn outputs() -> kms_rotation_core::Result<Value> {
    let demo = repo_path("examples/data/demo-account.json");
    let mut out = Map::new();

    let snapshot = Snapshot::load(&demo)?;
    let report = check_account(&snapshot.clients(), &CheckOptions::default()).await?;
    out.insert("checkAccount".into(), canonical(&report.to_json()));

    let policy = Policy::default()
        .with_max_rotation_period_days(180)?
        .with_evaluate_disabled_keys(false)
        .with_exemption("tag:rotation-exempt=true")?
        .with_exemption("alias/tmp-migration")?;
    let options = CheckOptions::default()
        .with_policy(policy.clone())
        .with_regions(["us-east-1"])?;
    let narrowed = check_account(&snapshot.clients(), &options).await?;
    out.insert("checkAccountWithPolicy".into(), canonical(&narrowed.to_json()));

    let client = snapshot.client("us-east-1")?;
    for (name, key) in [
        ("checkKeyAlias", "alias/payments-db"),
        (
            "checkKeyArn",
            "arn:aws:kms:us-east-1:111122223333:key/7f26104f-77a7-4e47-b546-cd1ea99b6c99",
        ),
    ] {
        let finding = check_key(
            client.as_ref(),
            key,
            &kms_rotation_core::CheckOptions::default().with_policy(policy.clone()),
        )
        .await?;
        out.insert(
            name.into(),
            serde_json::to_value(&finding).expect("a finding serializes"),
        );
    }

    let plan = remediate(&snapshot.clients(), &report, &RemediateOptions::default()).await?;
    out.insert("remediateDryRun".into(), canonical(&plan.to_json()));

    // Applying changes the snapshot in memory only (the file is not written).
    let applied = remediate(
        &snapshot.clients(),
        &report,
        &RemediateOptions::default()
            .with_dry_run(false)
            .with_rotation_period_days(180)?,
    )
    .await?;
    out.insert("remediateApplied".into(), canonical(&applied.to_json()));
    Ok(Value::Object(out))
}

#[tokio::test]
async fn demo_account_json_matches_the_fixture_the_node_tests_use() {
    let actual = outputs().await.expect("the core runs on the demo account");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("__test__/fixtures/demo-rust.json");
    let text = serde_json::to_string_pretty(&actual).expect("serializes") + "\n";
    if std::env::var_os("KMS_ROTATION_UPDATE_FIXTURES").is_some() {
        std::fs::write(&fixture, text).expect("fixture written");
        return;
    }
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(&fixture).expect("the fixture exists (see this file's header to write it)"),
    )
    .expect("the fixture is JSON");
    assert!(
        actual == expected,
        "the core's JSON for the demo account changed; if intended, rewrite the fixture with \
         KMS_ROTATION_UPDATE_FIXTURES=1 cargo test --workspace --test canonical_json"
    );
}
