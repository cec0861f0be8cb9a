//! `autoorder reconcile [--json] [--gateway]` as an operator runs it: exit 0 when clean,
//! 1 naming each discrepancy, 2 when it could not check — never "clean" by default.

mod support;

use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::db::Backend;
use autoorder_schema::queries::shop::balance::adjust_balance;
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::payments::{Confirmed, complete_payment};
use support::{Store, add_users};

fn run(store: &Store, args: &[&str]) -> (i32, String, String) {
    let out = store.cli(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reconcile_exits_by_what_it_found() {
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start();
    let mut store = Store::new(Backend::Sqlite, &telegram);

    // Not migrated yet: it cannot check, and says so.
    let (code, _, err) = run(&store, &["reconcile"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("autoorder migrate"), "{err}");

    assert!(store.cli(&["migrate"]).status.success());
    let (code, out, err) = run(&store, &["reconcile"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("clean"), "{out}");

    // Honest work stays clean: an adjustment and a paid deposit.
    let pool = store.pool();
    add_users(&pool, [501, 502]);
    let gid = {
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        adjust_balance(&mut conn, 501, 7_000, 7001, "transfer")
            .unwrap()
            .unwrap();
        let (_, payment) = create_deposit(&mut conn, 502, 10_000).unwrap();
        let confirmed = Confirmed {
            amount: 10_000,
            completed_at: 0,
        };
        complete_payment(&mut conn, &payment.gateway_order_id, &confirmed, 0).unwrap();
        payment.gateway_order_id
    };
    let (code, out, _) = run(&store, &["reconcile", "--json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["clean"], true);
    assert_eq!(json["checked"]["ledger_rows"], 2);

    // A balance edited by hand: named, exit 1.
    autoorder_schema::testing::execute(
        &pool,
        "UPDATE users SET balance = balance + 500 WHERE id = 501",
    )
    .unwrap();
    let (code, out, _) = run(&store, &["reconcile"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("balance_not_ledger_sum user=501 amount=500"),
        "{out}"
    );
    let (code, out, _) = run(&store, &["reconcile", "--json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["clean"], false);
    assert_eq!(json["discrepancies"][0]["kind"], "balance_not_ledger_sum");
    assert_eq!(json["discrepancies"][0]["user_id"], 501);
    autoorder_schema::testing::execute(
        &pool,
        "UPDATE users SET balance = balance - 500 WHERE id = 501",
    )
    .unwrap();

    // --gateway without Pakasir settings: cannot check.
    let (code, _, err) = run(&store, &["reconcile", "--gateway"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PAKASIR_PROJECT_SLUG"), "{err}");

    // With Pakasir: the deposit completed here is unknown there — named.
    store.set("PAKASIR_PROJECT_SLUG", &pakasir.project());
    store.set("PAKASIR_API_KEY", &pakasir.api_key());
    store.set("PAKASIR_BASE_URL", &pakasir.base_url());
    let (code, out, _) = run(&store, &["reconcile", "--gateway"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("asked Pakasir about 1 payments"), "{out}");
    assert!(
        out.contains(&format!("gateway_disagrees payment={gid}")),
        "{out}"
    );

    // The gateway down: cannot check (not "clean").
    pakasir.stop();
    let (code, _, err) = run(&store, &["reconcile", "--gateway"]);
    assert_eq!(code, 2, "{err}");
}
