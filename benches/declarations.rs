//! Declared keys at scale: a Terraform plan of 10,000 keys (modules, `for_each`
//! instances, unknown values, replicas, aliases; the JSON of `terraform show -json`,
//! about 20 MB) and a CloudFormation YAML template of 10,000 keys, each read from a
//! file and judged (parse with positions, facts, the decision table, the report).
//! Prints the median and the fastest of 5 runs; the goal is under a second each.
//!
//! `cargo bench -p benches --bench declarations` (`KEYS=N` for another size).

use std::time::{Duration, Instant};

use kms_rotation_core::{DeclarationOptions, DeclarationSource, check_cloudformation, check_terraform_plan};
use serde_json::{Value, json};

/// A plan of `keys` keys: a tenth in the root module, the rest in 9 modules with
/// `for_each`; a fifth with rotation off, a tenth with a 730-day period, one in 50
/// with rotation unknown until apply, one in 100 an HMAC key, every 200th a replica
/// of the key before it, and an alias for each.
fn plan(keys: usize) -> Value {
    let mut modules: Vec<Vec<Value>> = vec![Vec::new(); 10];
    let mut changes = Vec::new();
    let mut configured: Vec<Vec<Value>> = vec![Vec::new(); 10];
    for i in 0..keys {
        let module = i % 10;
        let prefix = if module == 0 {
            String::new()
        } else {
            format!("module.m{module}.")
        };
        let replica = i % 200 == 199;
        let kind = if replica { "aws_kms_replica_key" } else { "aws_kms_key" };
        let name = if replica { "r" } else { "k" };
        let address = format!("{prefix}{kind}.{name}[\"key-{i}\"]");
        let mut values = json!({
            "customer_master_key_spec": if i % 100 == 7 { "HMAC_256" } else { "SYMMETRIC_DEFAULT" },
            "key_usage": if i % 100 == 7 { "GENERATE_VERIFY_MAC" } else { "ENCRYPT_DECRYPT" },
            "is_enabled": true,
            "enable_key_rotation": i % 5 != 0,
            "rotation_period_in_days": if i % 10 == 3 { 730 } else { 365 },
            "multi_region": i % 200 == 198,
            "description": format!("key {i}"),
            "tags": {"team": format!("team-{}", i % 17)},
        });
        let mut unknown = json!({"arn": true, "id": true, "key_id": true, "tags_all": true});
        if i % 50 == 11 {
            values.as_object_mut().unwrap().remove("enable_key_rotation");
            unknown["enable_key_rotation"] = json!(true);
        }
        if replica {
            values = json!({"enabled": true, "description": format!("replica {i}")});
            unknown["primary_key_arn"] = json!(true);
        }
        modules[module].push(json!({
            "address": address, "mode": "managed", "type": kind, "name": name, "index": format!("key-{i}"),
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": values, "sensitive_values": {}
        }));
        changes.push(json!({
            "address": address, "mode": "managed", "type": kind, "name": name, "index": format!("key-{i}"),
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null, "after": values, "after_unknown": unknown}
        }));
    }
    for (module, resources) in configured.iter_mut().enumerate() {
        let key = if module == 0 {
            "aws".to_owned()
        } else {
            format!("module.m{module}:aws")
        };
        resources.push(
            json!({"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
            "provider_config_key": key,
            "expressions": {"enable_key_rotation": {"references": ["each.value.rotate", "each.value"]}},
            "for_each_expression": {"references": ["var.keys"]}}),
        );
        resources.push(
            json!({"address": "aws_kms_replica_key.r", "mode": "managed", "type": "aws_kms_replica_key",
            "name": "r", "provider_config_key": key,
            "expressions": {"primary_key_arn": {"references": ["aws_kms_key.k", "each.key"]}},
            "for_each_expression": {"references": ["var.replicas"]}}),
        );
    }
    let children: Vec<Value> = (1..10)
        .map(|m| json!({"address": format!("module.m{m}"), "resources": modules[m]}))
        .collect();
    let calls: serde_json::Map<String, Value> = (1..10)
        .map(|m| {
            (
                format!("m{m}"),
                json!({"source": "./kms", "module": {"resources": configured[m]}}),
            )
        })
        .collect();
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": modules[0], "child_modules": children}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}},
            "root_module": {"resources": configured[0], "module_calls": calls}
        }
    })
}

/// A YAML template of `keys` keys, with a parameter, a condition and short-form tags.
fn template(keys: usize) -> String {
    let mut out = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Rotate:\n    Type: String\n    Default: \"true\"\n\
         Conditions:\n  InUsEast1: !Equals [!Ref \"AWS::Region\", us-east-1]\nResources:\n",
    );
    for i in 0..keys {
        let rotation = match i % 5 {
            0 => "false",
            1 => "!Ref Rotate",
            2 => "!If [InUsEast1, true, false]",
            _ => "true",
        };
        out.push_str(&format!(
            "  Key{i}:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: key {i}\n      \
             EnableKeyRotation: {rotation}\n      RotationPeriodInDays: {}\n      Tags:\n        - Key: team\n          \
             Value: team-{}\n",
            if i % 10 == 3 { 730 } else { 365 },
            i % 17
        ));
    }
    out
}

fn measure(what: &str, mut run: impl FnMut() -> usize) {
    let mut times: Vec<Duration> = Vec::new();
    let mut findings = 0;
    for _ in 0..5 {
        let started = Instant::now();
        findings = run();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{what}: {findings} findings, median {:.3} s, fastest {:.3} s",
        times[2].as_secs_f64(),
        times[0].as_secs_f64()
    );
}

fn main() {
    let keys: usize = std::env::var("KEYS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("kms-rotation-bench-declarations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let plan_path = dir.join("plan.json");
    std::fs::write(&plan_path, serde_json::to_string_pretty(&plan(keys)).expect("JSON")).expect("written");
    let template_path = dir.join("keys.yaml");
    std::fs::write(&template_path, template(keys)).expect("written");
    let megabytes = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    println!(
        "plan {:.1} MB, template {:.1} MB, {keys} keys each",
        megabytes(&plan_path),
        megabytes(&template_path)
    );
    let options = DeclarationOptions::default();
    measure("terraform plan", || {
        check_terraform_plan(&DeclarationSource::path(&plan_path), &options)
            .expect("a plan")
            .findings
            .len()
    });
    measure("cloudformation template", || {
        check_cloudformation(&[DeclarationSource::path(&template_path)], &options)
            .expect("a template")
            .findings
            .len()
    });
    let _ = std::fs::remove_dir_all(&dir);
}
