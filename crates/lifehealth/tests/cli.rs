//! The command line, run as a user would: the demo city, ledger verification catching a row
//! edited in the database, and backup and restore.

use std::path::Path;
use std::process::{Command, Output};

fn lifehealth(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifehealth"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("LIFEHEALTH_MASTER_KEY")
        .env_remove("LIFEHEALTH_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs one statement on the demo database and returns the number of rows it changed.
async fn sql(data: &Path, statement: &str) -> u64 {
    let url = format!("sqlite://{}", data.join("lifehealth.db").display());
    let db = store::Db::connect(&url, &Default::default())
        .await
        .expect("open");
    let changed = store::sqlx::query(statement)
        .execute(db.pool())
        .await
        .expect(statement)
        .rows_affected();
    db.close().await;
    changed
}

#[tokio::test]
async fn verify_catches_a_row_edited_in_the_database_and_backups_restore() {
    let dir = store::testing::temp_dir();
    let data = dir.path().join("data");

    let demo = lifehealth(&data, &["demo", "--no-serve", "--residents", "30"]);
    assert!(demo.status.success(), "{}", text(&demo));
    assert!(
        text(&demo).contains("admin"),
        "the demo accounts are printed"
    );
    let again = lifehealth(&data, &["demo", "--no-serve"]);
    assert!(
        text(&again).contains("demo data already present"),
        "a second run keeps the city"
    );

    let clean = lifehealth(&data, &["ledger", "verify"]);
    assert!(clean.status.success(), "{}", text(&clean));
    assert!(text(&clean).contains("ledger intact"));

    let backup = dir.path().join("backup.db");
    let made = lifehealth(
        &data,
        &["backup", "--to", backup.to_str().expect("utf-8 path")],
    );
    assert!(made.status.success(), "{}", text(&made));

    // Every entry's canonical JSON carries its format version `"v":1`; rewriting it is an edit
    // of the stored data that leaves the row otherwise plausible.
    let changed = sql(
        &data,
        r#"UPDATE ledger_entries SET data = REPLACE(data, '"v":1', '"v":2') WHERE seq = 7 AND data LIKE '%"v":1%'"#,
    )
    .await;
    assert_eq!(changed, 1, "the tampering statement edits entry 7");
    let tampered = lifehealth(&data, &["ledger", "verify"]);
    assert_eq!(tampered.status.code(), Some(1), "{}", text(&tampered));
    assert!(
        text(&tampered).contains("entry 7 was edited"),
        "the edited entry is named: {}",
        text(&tampered)
    );

    let restored = lifehealth(
        &data,
        &["restore", "--from", backup.to_str().expect("utf-8 path")],
    );
    assert!(restored.status.success(), "{}", text(&restored));
    let after = lifehealth(&data, &["ledger", "verify"]);
    assert!(
        after.status.success(),
        "the backup predates the tampering: {}",
        text(&after)
    );
}

#[tokio::test]
async fn tokens_and_users_are_created_from_the_command_line_with_clear_errors() {
    let dir = store::testing::temp_dir();
    let data = dir.path().join("data");
    assert!(
        lifehealth(&data, &["demo", "--no-serve", "--residents", "5"])
            .status
            .success()
    );

    let token = lifehealth(
        &data,
        &["token", "create", "--user", "doctor", "--expires", "7"],
    );
    assert!(token.status.success(), "{}", text(&token));
    assert!(
        String::from_utf8_lossy(&token.stdout)
            .trim()
            .starts_with("lht_")
    );
    let nobody = lifehealth(&data, &["token", "create", "--user", "nobody"]);
    assert!(!nobody.status.success());
    assert!(text(&nobody).contains("no user named nobody"));
    let too_long = lifehealth(
        &data,
        &["token", "create", "--user", "doctor", "--expires", "9999"],
    );
    assert!(!too_long.status.success());
    assert!(
        text(&too_long).contains("expires_days"),
        "{}",
        text(&too_long)
    );

    let mut add = Command::new(env!("CARGO_BIN_EXE_lifehealth"));
    let added = add
        .args([
            "user",
            "add",
            "--username",
            "ops.li",
            "--name",
            "李运维",
            "--organisation",
            "南京市卫生健康委员会",
            "--role",
            "bureau_official",
            "--data",
        ])
        .arg(&data)
        .env("LIFEHEALTH_NEW_PASSWORD", "Ops-Password-2026")
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(added.status.success(), "{}", text(&added));
    let bad_role = lifehealth(
        &data,
        &[
            "user",
            "add",
            "--username",
            "x.y",
            "--name",
            "某",
            "--organisation",
            "南京市财政局",
            "--role",
            "king",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(
        text(&bad_role).contains("platform_admin"),
        "the allowed roles are listed"
    );
}
