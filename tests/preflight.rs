//! `autoorder preflight`: the go-live checklist against the Telegram and Pakasir doubles — a
//! store that is ready passes with exit 0; a wrong Pakasir key and an owner who never started
//! the owner bot each fail their item, with what to do, and the exit code says so.

mod support;

use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::db::Backend;
use support::{Store, TOKEN};

const PASSPHRASE: &str = "correct horse battery staple";

fn items(out: &std::process::Output) -> Vec<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["items"].as_array().expect("items").clone()
}

fn status_of<'a>(items: &'a [serde_json::Value], name: &str) -> &'a str {
    items
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no item {name}: {items:#?}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn a_ready_store_passes_and_each_broken_dependency_fails_its_item() {
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start_with("toko-uji", "pakasir-key-123456");
    let mut store = Store::new(Backend::Sqlite, &telegram);
    store.set("PAKASIR_PROJECT_SLUG", "toko-uji");
    store.set("PAKASIR_API_KEY", "pakasir-key-123456");
    store.set("PAKASIR_WEBHOOK_SECRET", "pakasir-path-secret");
    store.set("PAKASIR_BASE_URL", &pakasir.base_url());
    store.set("BACKUP_ENCRYPTION_PASSWORD", PASSPHRASE);
    // Host readings must not decide this test.
    store.set("HEALTH_DISK_THRESHOLD", "100");
    store.set("HEALTH_MEMORY_THRESHOLD", "100");

    // Before any backup: the backup items fail, the exit code says so.
    assert!(store.cli(&["migrate"]).status.success());
    let out = store.cli(&["preflight", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let before = items(&out);
    assert_eq!(status_of(&before, "last backup"), "fail");
    assert_eq!(status_of(&before, "restore drill"), "fail");

    let created = store.cli(&["backup", "create"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let id = String::from_utf8_lossy(&created.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let drill = store.cli(&["backup", "drill", &id]);
    assert!(
        drill.status.success(),
        "{}",
        String::from_utf8_lossy(&drill.stderr)
    );

    let out = store.cli(&["preflight", "--json"]);
    let ready = items(&out);
    let failing: Vec<&serde_json::Value> = ready.iter().filter(|i| i["status"] == "fail").collect();
    assert!(failing.is_empty(), "{failing:#?}");
    assert_eq!(out.status.code(), Some(0));
    for name in [
        "config",
        "bot token",
        "webhook",
        "owners",
        "pakasir",
        "database",
        "data keys",
        "last backup",
        "restore drill",
        "backup targets",
        "log dir",
        "clock",
    ] {
        assert_eq!(status_of(&ready, name), "ok", "{name}: {ready:#?}");
    }
    // The host's own headroom may be short (a shared machine): never failing at 100 %.
    for name in ["disk", "memory"] {
        assert_ne!(status_of(&ready, name), "fail", "{name}: {ready:#?}");
    }
    // The owner saw "typing…" from the probe, and the Pakasir probe asked for an unknown order.
    assert!(!telegram.calls_to("sendChatAction").is_empty());

    // A wrong Pakasir key and an owner the bot cannot reach.
    store.set("PAKASIR_API_KEY", "wrong-key-98765432");
    telegram.set_missing_chat(9001);
    let out = store.cli(&["preflight"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL pakasir") && text.contains("unauthorized"),
        "{text}"
    );
    assert!(
        text.contains("FAIL owners") && text.contains("9001"),
        "{text}"
    );
    assert!(text.contains("→ each owner opens"), "{text}");
    for secret in [TOKEN, "wrong-key-98765432", "pakasir-key-123456"] {
        assert!(!text.contains(secret), "secret in the output:\n{text}");
    }
}
