//! The people formats on real reports: JUnit XML held to Jenkins' JUnit schema
//! (xunit-plugin `junit-10.xsd`: which elements, which attributes, which are
//! required) and consistent with the report; Markdown within GitHub's step
//! summary limit; report text that cannot escape its place in HTML, Markdown or XML.

use std::collections::BTreeMap;

use kms_rotation_core::{
    AccountReport, CheckOptions, Format, Policy, RenderOptions, Snapshot, Status, check_account, render,
};
use serde_json::json;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo-account.json");

/// Text AWS could hand us that tries to break out of every format.
const HOSTILE: &str =
    "</failure>]]><script>alert(1)</script> | `x` *y* \u{1}\u{1b}[31m\u{fffe} \"q\" 'a' & done\nnext line";

fn check(snapshot: Snapshot) -> AccountReport {
    let policy = Policy::default().with_exemption("tag:rotation-exempt=true").unwrap();
    let options = CheckOptions::default().with_policy(policy);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(check_account(&snapshot.clients(), &options))
        .unwrap()
}

fn key(region: &str, n: usize, rotation: Option<bool>, error: Option<&str>) -> serde_json::Value {
    let id = format!("00000000-0000-4000-8000-{n:012x}");
    let mut entry = json!({
        "KeyMetadata": {
            "KeyId": id, "Arn": format!("arn:aws:kms:{region}:111122223333:key/{id}"),
            "KeyManager": "CUSTOMER", "KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS",
        },
        "Aliases": [format!("alias/app-{n}")],
        "Tags": [],
    });
    if let Some(enabled) = rotation {
        entry["RotationStatus"] = json!({"KeyRotationEnabled": enabled, "RotationPeriodInDays": 365});
    }
    if let Some(message) = error {
        entry["Errors"] = json!({"GetKeyRotationStatus": {"Code": "AccessDeniedException", "Message": message}});
    }
    entry
}

/// A report whose AWS error messages are hostile text, with a region that
/// could not be listed.
fn hostile_report() -> AccountReport {
    let snapshot = json!({"account_id": "111122223333", "regions": {
        "us-east-1": {"keys": [key("us-east-1", 1, None, Some(HOSTILE)), key("us-east-1", 2, Some(false), None), key("us-east-1", 3, Some(true), None)]},
        "eu-west-1": {"keys": [], "Errors": {"ListKeys": {"Code": "AccessDeniedException", "Message": HOSTILE}}},
    }});
    check(Snapshot::from_json(&snapshot.to_string()).unwrap())
}

/// One element of the schema: its attributes (closed: no others are allowed),
/// the required ones, and the child elements allowed.
type Element = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// Jenkins' JUnit schema (xunit-plugin junit-10.xsd), as data.
fn schema() -> BTreeMap<&'static str, Element> {
    BTreeMap::from([
        (
            "testsuites",
            (
                &["name", "time", "tests", "failures", "errors"][..],
                &[][..],
                &["testsuite"][..],
            ),
        ),
        (
            "testsuite",
            (
                &[
                    "name",
                    "tests",
                    "failures",
                    "errors",
                    "group",
                    "time",
                    "skipped",
                    "timestamp",
                    "hostname",
                    "id",
                    "package",
                    "file",
                    "log",
                    "url",
                ][..],
                &["name", "tests", "failures", "errors"][..],
                &["testsuite", "properties", "testcase", "system-out", "system-err"][..],
            ),
        ),
        ("properties", (&[][..], &[][..], &["property"][..])),
        ("property", (&["name", "value"][..], &["name", "value"][..], &[][..])),
        (
            "testcase",
            (
                &["name", "time", "classname", "group"][..],
                &["name"][..],
                &["skipped", "error", "failure", "system-out", "system-err"][..],
            ),
        ),
        ("failure", (&["type", "message"][..], &[][..], &[][..])),
        ("error", (&["type", "message"][..], &[][..], &[][..])),
        ("skipped", (&["type", "message"][..], &[][..], &[][..])),
    ])
}

/// The schema's SUREFIRE_TIME, for the plain decimals we write.
fn is_time(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn validate(node: roxmltree::Node, schema: &BTreeMap<&str, Element>) {
    let name = node.tag_name().name();
    let (allowed, required, children) = schema
        .get(name)
        .unwrap_or_else(|| panic!("<{name}> is not in the schema"));
    for attribute in node.attributes() {
        assert!(
            allowed.contains(&attribute.name()),
            "<{name}> may not have {}",
            attribute.name()
        );
        if attribute.name() == "time" {
            assert!(is_time(attribute.value()), "<{name} time={:?}>", attribute.value());
        }
    }
    for attribute in *required {
        assert!(node.attribute(*attribute).is_some(), "<{name}> needs {attribute}");
    }
    for child in node.children().filter(|c| c.is_element()) {
        assert!(
            children.contains(&child.tag_name().name()),
            "<{name}> may not hold <{}>",
            child.tag_name().name()
        );
        validate(child, schema);
    }
}

fn count(node: roxmltree::Node, attribute: &str) -> u64 {
    node.attribute(attribute).unwrap_or("0").parse().unwrap()
}

/// Validates the XML and checks its counts against the report.
fn check_junit(report: &AccountReport) -> String {
    let xml = render(report, Format::Junit, RenderOptions::default());
    let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    validate(root, &schema());
    let suites: Vec<_> = root.children().filter(|c| c.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), report.regions.len(), "one suite per region");
    let mut totals = [0u64; 4];
    for suite in &suites {
        let cases: Vec<_> = suite.children().filter(|c| c.has_tag_name("testcase")).collect();
        let with = |child: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|e| e.has_tag_name(child)))
                .count() as u64
        };
        let found = [cases.len() as u64, with("failure"), with("error"), with("skipped")];
        let declared = [
            count(*suite, "tests"),
            count(*suite, "failures"),
            count(*suite, "errors"),
            count(*suite, "skipped"),
        ];
        assert_eq!(found, declared, "suite {:?}", suite.attribute("name"));
        for case in &cases {
            let outcomes = case
                .children()
                .filter(|e| ["failure", "error", "skipped"].iter().any(|n| e.has_tag_name(*n)))
                .count();
            assert!(outcomes <= 1, "a test case has one outcome");
        }
        for (total, n) in totals.iter_mut().zip(found) {
            *total += n;
        }
    }
    assert_eq!(
        [count(root, "tests"), count(root, "failures"), count(root, "errors")],
        [totals[0], totals[1], totals[2]]
    );
    let s = &report.summary;
    assert_eq!(totals[1], s.count(Status::Fail));
    assert_eq!(totals[2], s.count(Status::Error) + s.regions_not_checked);
    assert_eq!(totals[3], s.count(Status::NotApplicable) + s.count(Status::Exempt));
    assert_eq!(totals[0], s.total + s.regions_not_checked);
    xml
}

#[test]
fn junit_of_the_demo_account_follows_the_schema_and_the_report() {
    let xml = check_junit(&check(Snapshot::load(DEMO).unwrap()));
    assert!(
        xml.contains("<skipped type=\"exempted\""),
        "EXEMPT is skipped with its reason"
    );
}

#[test]
fn junit_keeps_hostile_text_as_text() {
    let report = hostile_report();
    let xml = check_junit(&report);
    let document = roxmltree::Document::parse(&xml).unwrap();
    let error = document
        .descendants()
        .find(|n| n.has_tag_name("error") && n.attribute("type") == Some("AccessDeniedException"))
        .unwrap();
    let text = error.text().unwrap_or_default();
    assert!(text.contains("</failure>]]><script>alert(1)</script>"), "{text}");
    assert!(
        !xml.contains('\u{1}') && !xml.contains('\u{fffe}'),
        "characters XML forbids are dropped"
    );
}

#[test]
fn html_and_markdown_keep_hostile_text_in_its_place() {
    let report = hostile_report();
    let html = render(&report, Format::Html, RenderOptions::default());
    assert!(!html.contains("<script>alert(1)"), "markup from AWS is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own data island and script"
    );
    assert!(html.contains("default-src 'none'"), "the page may make no request");
    let markdown = render(&report, Format::Markdown, RenderOptions::default());
    let error_row = markdown
        .lines()
        .find(|l| l.contains("AccessDeniedException") && l.starts_with("| us-east-1"))
        .unwrap();
    assert_eq!(
        error_row.matches(" | ").count(),
        4,
        "the row keeps its five cells: {error_row}"
    );
    assert!(!markdown.contains("<script>"));
    assert!(markdown.contains("Region eu-west-1 was not checked"));
}

#[test]
fn markdown_stays_under_githubs_step_summary_limit() {
    let keys: Vec<_> = (0..12_000)
        .map(|n| key("us-east-1", n, Some(n % 3 == 0), None))
        .collect();
    let snapshot = json!({"account_id": "111122223333", "regions": {"us-east-1": {"keys": keys}}});
    let report = check(Snapshot::from_json(&snapshot.to_string()).unwrap());
    let markdown = render(&report, Format::Markdown, RenderOptions::default());
    assert!(markdown.len() < 1024 * 1024, "{} bytes", markdown.len());
    assert!(markdown.contains("findings are not shown, to stay under GitHub's 1 MiB summary limit"));
    assert!(
        markdown.contains("| **all regions** |") || markdown.contains("| us-east-1 | 8000 |"),
        "the summary is always whole"
    );
    let small = render(
        &check(Snapshot::load(DEMO).unwrap()),
        Format::Markdown,
        RenderOptions::default(),
    );
    assert!(!small.contains("not shown"));
    assert!(small.contains("<details>"));
    let failing = render(
        &check(Snapshot::load(DEMO).unwrap()),
        Format::Markdown,
        RenderOptions::default().with_only_failing(true),
    );
    assert!(!failing.contains("<details>") && failing.contains("### 9 FAIL"));
}

#[test]
fn the_table_leads_with_what_needs_work_and_says_what_to_run() {
    let report = check(Snapshot::load(DEMO).unwrap());
    let table = render(&report, Format::Table, RenderOptions::default());
    let statuses: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(statuses.len(), report.findings.len());
    let first_other = statuses.iter().position(|s| !["FAIL", "ERROR"].contains(s)).unwrap();
    assert!(statuses[..first_other].iter().all(|s| ["FAIL", "ERROR"].contains(s)));
    assert!(statuses[first_other..].iter().all(|s| !["FAIL", "ERROR"].contains(s)));
    let next = &table[table.rfind("\nnext: ").unwrap()..];
    assert!(next.contains("kms-rotation remediate --report"), "{next}");
    assert!(
        table.lines().all(|l| l.chars().count() <= 80),
        "fits 80 columns:\n{table}"
    );
    let only = render(&report, Format::Table, RenderOptions::default().with_only_failing(true));
    assert_eq!(only.lines().skip(1).take_while(|l| !l.is_empty()).count(), 11);
    assert!(only.contains("36 keys: ") && only.contains("(showing the 11 FAIL and ERROR)"));
    let colored = render(&report, Format::Table, RenderOptions::default().with_color(true));
    assert!(colored.contains("\u{1b}["), "colour when asked");
    assert!(!table.contains('\u{1b}'));
}

/// A template's keys have no Region and no account before deploy: the formats
/// say the keys are declared in code, never "0 regions", an empty cell or a
/// test suite named `kms-rotation.`.
#[test]
fn keys_declared_in_a_template_are_named_as_such_in_every_format() {
    use kms_rotation_core::{DeclarationOptions, DeclarationSource, check_cloudformation};
    let template = DeclarationSource::path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/iac/cloudformation/keys.yaml"
    ));
    let report = check_cloudformation(&[template], &DeclarationOptions::default()).unwrap();
    assert!(report.findings.iter().all(|f| f.region.is_empty()));
    let markdown = render(&report, Format::Markdown, RenderOptions::default());
    assert!(
        markdown.starts_with("## KMS key rotation: keys declared in code\n"),
        "{markdown}"
    );
    let total = report.summary.total;
    assert!(
        markdown.contains(&format!("{total} keys declared in code, checked")),
        "{markdown}"
    );
    assert!(
        !markdown.contains("| |") && !markdown.contains("0 regions"),
        "{markdown}"
    );
    let junit = render(&report, Format::Junit, RenderOptions::default());
    assert!(junit.contains("<testsuite name=\"kms-rotation.declared\""), "{junit}");
    assert!(!junit.contains("\"kms-rotation.\""), "{junit}");
    let table = render(&report, Format::Table, RenderOptions::default());
    let first_row = table.lines().nth(1).unwrap();
    assert!(first_row.split_whitespace().nth(1) == Some("-"), "{table}");
}
