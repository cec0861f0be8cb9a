//! The Pakasir client against the Pakasir double: what it parses, what it retries, what it
//! never does (create twice, leak the api key).

use std::time::{Duration, Instant};

use autoorder_actors::payment::pakasir::{
    PakasirClient, PakasirConfig, PakasirError, PaymentMethod, TxStatus, estimate_qris_fee,
    parse_time, parse_webhook,
};
use autoorder_doubles::PakasirDouble;
use autoorder_doubles::pakasir::{Endpoint, Failure, TxState};
use autoorder_schema::secret::Secret;
use chrono::{TimeZone, Utc};

/// Recognisable, so a leak shows up in any text.
const KEY: &str = "sk_live-KEY-LEAK-CANARY-7f3a9c";
const PROJECT: &str = "toko-uji";
/// Generous bound for event-driven waits; never slept.
const WAIT: Duration = Duration::from_secs(10);

fn double() -> PakasirDouble {
    PakasirDouble::start_with(PROJECT, KEY)
}

fn client_with(
    double: &PakasirDouble,
    key: &str,
    timeout: Duration,
    attempts: u32,
) -> PakasirClient {
    let mut config = PakasirConfig::new(double.base_url(), PROJECT, Secret::new(key.to_owned()));
    config.timeout = timeout;
    config.max_attempts = attempts;
    PakasirClient::new(config).expect("valid config")
}

fn client(double: &PakasirDouble) -> PakasirClient {
    client_with(double, KEY, Duration::from_secs(5), 3)
}

fn assert_no_key(error: &PakasirError) {
    let shown = format!("{error}");
    let debugged = format!("{error:?}");
    assert!(!shown.contains(KEY), "Display leaks the api key: {shown}");
    assert!(
        !debugged.contains(KEY),
        "Debug leaks the api key: {debugged}"
    );
}

#[tokio::test]
async fn create_reads_the_gateways_fee_total_qr_and_nanosecond_expiry() {
    let double = double();
    let client = client(&double);
    for (order_id, amount, fee) in [("INV-1-1", 99_000, 1_003), ("INV-2-1", 30_000, 520)] {
        let before = Utc::now();
        let created = client
            .create(PaymentMethod::Qris, order_id, amount)
            .await
            .unwrap();
        assert_eq!(estimate_qris_fee(amount), fee);
        assert_eq!(created.order_id, order_id);
        assert_eq!(created.amount, amount);
        assert_eq!(
            created.fee,
            Some(fee),
            "the gateway's fee matches the estimate"
        );
        assert_eq!(created.total_payment, Some(amount + fee));
        assert_eq!(created.payment_method, "qris");
        let qr = created.payment_number.clone().expect("a QRIS payload");
        assert!(qr.starts_with("00020101021226"), "{qr}");
        assert!(
            qr[qr.len() - 4..].chars().all(|c| c.is_ascii_hexdigit()),
            "{qr}"
        );

        let tx = double.transaction(order_id).expect("the double holds it");
        assert_eq!(tx.payment_number, qr);
        let sent = double
            .calls_to(Endpoint::Create)
            .last()
            .unwrap()
            .response
            .clone()
            .unwrap();
        let sent_expiry = sent["payment"]["expired_at"].as_str().unwrap().to_owned();
        let fraction = sent_expiry.split('.').nth(1).unwrap().trim_end_matches('Z');
        assert_eq!(
            fraction.len(),
            9,
            "the double sends nanoseconds: {sent_expiry}"
        );
        // Exactly the gateway's instant, nanoseconds included: never a computed expiry.
        assert_eq!(created.expired_at, Some(tx.expired_at));
        let expiry = created.expired_at.unwrap();
        assert!(expiry >= before + chrono::Duration::minutes(15));
        assert!(expiry <= Utc::now() + chrono::Duration::minutes(15));
    }
}

#[tokio::test]
async fn a_virtual_account_has_its_own_fee_and_number() {
    let double = double();
    let created = client(&double)
        .create(PaymentMethod::from_name("bni_va"), "INV-VA-1", 50_000)
        .await
        .unwrap();
    assert_eq!(created.payment_method, "bni_va");
    assert_eq!(created.fee, Some(4_000));
    assert_eq!(created.total_payment, Some(54_000));
    assert!(
        created
            .payment_number
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
    );
}

#[tokio::test]
async fn detail_reports_pending_then_completed() {
    let double = double();
    let client = client(&double);
    client
        .create(PaymentMethod::Qris, "INV-3-1", 99_000)
        .await
        .unwrap();

    let pending = client.detail("INV-3-1", 99_000).await.unwrap();
    assert_eq!(pending.status, TxStatus::Pending);
    assert_eq!(pending.amount, 99_000);
    assert_eq!(pending.project, PROJECT);
    assert_eq!(pending.completed_at, None);

    assert!(double.complete("INV-3-1"));
    let completed = client.detail("INV-3-1", 99_000).await.unwrap();
    assert_eq!(completed.status, TxStatus::Completed);
    assert_eq!(completed.payment_method.as_deref(), Some("qris"));
    assert_eq!(
        completed.completed_at,
        double.transaction("INV-3-1").unwrap().completed_at
    );
    assert!(completed.completed_at.is_some());
}

#[tokio::test]
async fn detail_with_another_amount_or_order_is_not_found() {
    let double = double();
    let client = client(&double);
    client
        .create(PaymentMethod::Qris, "INV-4-1", 99_000)
        .await
        .unwrap();
    assert_eq!(
        client.detail("INV-4-1", 98_000).await,
        Err(PakasirError::NotFound)
    );
    assert_eq!(
        client.detail("INV-4-2", 99_000).await,
        Err(PakasirError::NotFound)
    );
    // Not found is an answer, not a failure: asked once each.
    assert_eq!(double.calls_to(Endpoint::Detail).len(), 2);
}

#[tokio::test]
async fn errors_are_classified_by_status_never_by_their_words() {
    let double = double();
    // A wrong project slug: the gateway answers 403 "project not found". Taking that for "no
    // such transaction" closed open payments and cancelled with no alert (finding 8).
    let mut config =
        PakasirConfig::new(double.base_url(), "toko-lain", Secret::new(KEY.to_owned()));
    config.max_attempts = 1;
    let wrong_project = PakasirClient::new(config).unwrap();
    let error = wrong_project.detail("INV-40-1", 10_000).await.unwrap_err();
    assert!(
        matches!(&error, PakasirError::Unauthorized(m) if m.contains("403") && m.contains("not found")),
        "{error:?}"
    );
    assert!(error.is_configuration());
    assert!(matches!(
        wrong_project.cancel("INV-40-1", 10_000).await,
        Err(PakasirError::Unauthorized(_))
    ));
    // Any other 4xx saying "not found" is a refusal, not a missing transaction.
    let client = client(&double);
    double.fail(
        Endpoint::Detail,
        Failure::Error(400, "order_id not found in request".into()),
        Some(1),
    );
    assert!(matches!(
        client.detail("INV-40-2", 10_000).await,
        Err(PakasirError::Rejected(_))
    ));
    // And a 2xx that carries an error instead of a transaction, too.
    double.fail(
        Endpoint::Detail,
        Failure::Raw(200, r#"{"error":"transaction not found"}"#.into()),
        Some(1),
    );
    assert!(matches!(
        client.detail("INV-40-3", 10_000).await,
        Err(PakasirError::Rejected(_))
    ));
    // Only HTTP 404 means the gateway does not know the transaction.
    assert_eq!(
        client.detail("INV-40-4", 10_000).await,
        Err(PakasirError::NotFound)
    );
}

#[tokio::test]
async fn create_answers_carry_the_project_and_amount_to_cross_check() {
    let double = double();
    let created = client(&double)
        .create(PaymentMethod::Qris, "INV-41-1", 30_000)
        .await
        .unwrap();
    assert_eq!(created.project.as_deref(), Some(PROJECT));
    assert_eq!(created.amount, 30_000);
}

#[tokio::test]
async fn an_expired_transaction_reads_expired() {
    let double = double();
    let client = client(&double);
    client
        .create(PaymentMethod::Qris, "INV-5-1", 20_000)
        .await
        .unwrap();
    assert!(double.expire("INV-5-1"));
    assert_eq!(
        client.detail("INV-5-1", 20_000).await.unwrap().status,
        TxStatus::Expired
    );
}

#[tokio::test]
async fn cancel_is_accepted_and_detail_confirms_it() {
    let double = double();
    let client = client(&double);
    client
        .create(PaymentMethod::Qris, "INV-6-1", 45_000)
        .await
        .unwrap();
    client.cancel("INV-6-1", 45_000).await.unwrap();
    assert_eq!(
        double.transaction("INV-6-1").unwrap().status,
        TxState::Cancelled
    );
    assert_eq!(
        client.detail("INV-6-1", 45_000).await.unwrap().status,
        TxStatus::Cancelled
    );
    assert_eq!(
        client.cancel("INV-6-2", 45_000).await,
        Err(PakasirError::NotFound)
    );
}

#[tokio::test]
async fn simulate_pays_and_the_gateway_fires_the_webhook() {
    let double = double();
    let client = client(&double);
    // No receiver is needed to see the webhook leave: the double records the attempt.
    double.set_webhook_url(format!("{}/hook", double.base_url()));
    client
        .create(PaymentMethod::Qris, "INV-7-1", 99_000)
        .await
        .unwrap();
    client.simulate("INV-7-1", 99_000).await.unwrap();
    let hook = double
        .wait_for_webhook(|d| d.order_id == "INV-7-1", WAIT)
        .await
        .expect("the webhook fired");
    let payload = parse_webhook(hook.body.to_string().as_bytes()).unwrap();
    assert_eq!(payload.status, "completed");
    assert_eq!(payload.amount, 99_000);
    assert_eq!(payload.project, PROJECT);
    assert_eq!(
        client.detail("INV-7-1", 99_000).await.unwrap().status,
        TxStatus::Completed
    );

    double.set_sandbox(false);
    client
        .create(PaymentMethod::Qris, "INV-7-2", 99_000)
        .await
        .unwrap();
    let refused = client.simulate("INV-7-2", 99_000).await.unwrap_err();
    assert!(matches!(refused, PakasirError::Rejected(_)), "{refused:?}");
}

#[tokio::test]
async fn a_lost_create_answer_is_found_through_detail_and_never_created_twice() {
    let double = double();
    let client = client(&double);
    double.fail(Endpoint::Create, Failure::LostResponse, Some(1));

    let created = client
        .create(PaymentMethod::Qris, "INV-8-1", 99_000)
        .await
        .unwrap();

    let creates = double.calls_to(Endpoint::Create);
    assert_eq!(creates.len(), 1, "create was sent again: {creates:?}");
    assert!(creates[0].dropped);
    assert_eq!(double.calls_to(Endpoint::Detail).len(), 1);
    assert_eq!(created.order_id, "INV-8-1");
    assert_eq!(created.amount, 99_000);
    assert_eq!(created.payment_method, "qris");
    // Only create knows these; the client does not invent them.
    assert_eq!(created.fee, None);
    assert_eq!(created.total_payment, None);
    assert_eq!(created.payment_number, None);
    assert_eq!(created.expired_at, None);
    assert_eq!(
        double.transaction("INV-8-1").unwrap().status,
        TxState::Pending
    );
}

#[tokio::test]
async fn an_unclear_create_the_gateway_does_not_know_is_sent_again() {
    let double = double();
    let client = client(&double);
    double.fail(Endpoint::Create, Failure::Status(502), Some(1));
    double.fail(
        Endpoint::Create,
        Failure::Raw(200, "<html>upstream</html>".into()),
        Some(1),
    );

    let created = client
        .create(PaymentMethod::Qris, "INV-9-1", 30_000)
        .await
        .unwrap();

    assert_eq!(created.fee, Some(520));
    assert_eq!(double.calls_to(Endpoint::Create).len(), 3);
    // Each unclear failure was followed by a detail that said not found.
    let details = double.calls_to(Endpoint::Detail);
    assert_eq!(details.len(), 2);
    assert!(details.iter().all(|c| c.status == Some(404)));
}

#[tokio::test]
async fn a_create_timeout_asks_detail_before_sending_again() {
    let double = double();
    let client = client_with(&double, KEY, Duration::from_millis(300), 3);
    double.fail(Endpoint::Create, Failure::Timeout, Some(1));

    let created = client
        .create(PaymentMethod::Qris, "INV-10-1", 99_000)
        .await
        .unwrap();

    assert_eq!(created.fee, Some(1_003));
    let calls: Vec<_> = double.calls().iter().map(|c| c.endpoint.unwrap()).collect();
    assert_eq!(
        calls,
        [Endpoint::Create, Endpoint::Detail, Endpoint::Create]
    );
}

#[tokio::test]
async fn create_is_not_sent_again_when_detail_cannot_tell() {
    let double = double();
    let client = client_with(&double, KEY, Duration::from_secs(5), 3);
    double.fail(Endpoint::Create, Failure::Status(500), Some(1));
    double.fail(Endpoint::Detail, Failure::Status(503), None);

    let error = client
        .create(PaymentMethod::Qris, "INV-11-1", 99_000)
        .await
        .unwrap_err();

    assert!(
        matches!(error, PakasirError::Status { status: 500, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(double.calls_to(Endpoint::Create).len(), 1);
    assert_eq!(
        double.calls_to(Endpoint::Detail).len(),
        3,
        "detail retried within max_attempts"
    );
}

#[tokio::test]
async fn create_gives_up_after_max_attempts() {
    let double = double();
    let client = client_with(&double, KEY, Duration::from_secs(5), 2);
    double.fail(Endpoint::Create, Failure::Status(503), None);

    let error = client
        .create(PaymentMethod::Qris, "INV-12-1", 99_000)
        .await
        .unwrap_err();

    assert!(
        matches!(error, PakasirError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(double.calls_to(Endpoint::Create).len(), 2);
    assert_eq!(double.calls_to(Endpoint::Detail).len(), 2);
    assert!(double.transaction("INV-12-1").is_none());
}

#[tokio::test]
async fn a_detail_timeout_is_retried_within_max_attempts_then_surfaces() {
    let double = double();
    double.set_hold(Duration::from_secs(60));
    let client = client_with(&double, KEY, Duration::from_millis(300), 3);
    double.fail(Endpoint::Detail, Failure::Timeout, None);

    let started = Instant::now();
    let error = client.detail("INV-13-1", 99_000).await.unwrap_err();

    assert_eq!(error, PakasirError::Timeout);
    assert_eq!(double.calls_to(Endpoint::Detail).len(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the client waited for the hold"
    );
}

#[tokio::test]
async fn a_clear_refusal_is_not_retried() {
    let double = double();
    let wrong_key = client_with(&double, "not-the-key", Duration::from_secs(5), 3);

    let error = wrong_key
        .create(PaymentMethod::Qris, "INV-14-1", 99_000)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PakasirError::Unauthorized(m) if m.contains("401")),
        "{error:?}"
    );
    assert!(!error.is_transient());
    assert!(
        error.is_configuration(),
        "a wrong key alerts the owners at once"
    );
    assert_eq!(double.calls_to(Endpoint::Create).len(), 1);
    assert!(
        double.calls_to(Endpoint::Detail).is_empty(),
        "a refusal needs no detail"
    );

    let error = wrong_key.detail("INV-14-1", 99_000).await.unwrap_err();
    assert!(
        matches!(error, PakasirError::Unauthorized(_)),
        "a wrong key is not 'not found': {error:?}"
    );
    assert_eq!(double.calls_to(Endpoint::Detail).len(), 1);

    let client = client(&double);
    client
        .create(PaymentMethod::Qris, "INV-14-2", 99_000)
        .await
        .unwrap();
    let duplicate = client
        .create(PaymentMethod::Qris, "INV-14-2", 99_000)
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, PakasirError::Rejected(_)),
        "{duplicate:?}"
    );
    assert_eq!(double.calls_to(Endpoint::Create).len(), 3);

    let unknown = client
        .create(PaymentMethod::from_name("gopay_va"), "INV-14-3", 99_000)
        .await;
    assert!(
        matches!(unknown, Err(PakasirError::Rejected(_))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_request() {
    let double = double();
    let client = client(&double);
    let bad_method = client
        .create(PaymentMethod::Other("../detail".into()), "INV-15-1", 99_000)
        .await;
    assert!(
        matches!(bad_method, Err(PakasirError::InvalidConfig(_))),
        "{bad_method:?}"
    );
    let zero = client.create(PaymentMethod::Qris, "INV-15-1", 0).await;
    assert!(
        matches!(zero, Err(PakasirError::InvalidConfig(_))),
        "{zero:?}"
    );
    let empty = client.detail(" ", 99_000).await;
    assert!(
        matches!(empty, Err(PakasirError::InvalidConfig(_))),
        "{empty:?}"
    );
    assert!(double.calls().is_empty());
}

#[tokio::test]
async fn errors_never_contain_the_api_key() {
    let double = double();
    let client = client_with(&double, KEY, Duration::from_millis(300), 2);
    let mut errors = Vec::new();

    // The gateway echoing the request back must not carry the key into our errors.
    double.fail(
        Endpoint::Detail,
        Failure::Error(500, format!("bad request api_key={KEY}")),
        Some(2),
    );
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    double.fail(
        Endpoint::Detail,
        Failure::Error(400, format!("who is {KEY}?")),
        Some(1),
    );
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    double.fail(
        Endpoint::Detail,
        Failure::Raw(200, format!("<p>{KEY}</p>")),
        Some(2),
    );
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    double.fail(Endpoint::Detail, Failure::Drop, Some(2));
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    double.fail(Endpoint::Detail, Failure::Timeout, Some(2));
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    double.fail(
        Endpoint::Create,
        Failure::Raw(502, format!("{{\"echo\":\"{KEY}\"}}")),
        None,
    );
    errors.push(
        client
            .create(PaymentMethod::Qris, "INV-16-2", 1_000)
            .await
            .unwrap_err(),
    );
    double.clear_failures();
    errors.push(client.detail("INV-16-3", 1_000).await.unwrap_err());

    // Nobody listening: reqwest's own error would name the detail URL, key included.
    double.stop();
    errors.push(client.detail("INV-16-1", 1_000).await.unwrap_err());
    errors.push(
        client
            .create(PaymentMethod::Qris, "INV-16-4", 1_000)
            .await
            .unwrap_err(),
    );

    let kinds: Vec<_> = errors.iter().map(std::mem::discriminant).collect();
    assert!(kinds.contains(&std::mem::discriminant(&PakasirError::Timeout)));
    assert!(kinds.contains(&std::mem::discriminant(&PakasirError::NotFound)));
    assert!(errors.iter().any(|e| matches!(e, PakasirError::Network(_))));
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, PakasirError::Malformed(_)))
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, PakasirError::Status { .. }))
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, PakasirError::Rejected(_)))
    );
    for error in &errors {
        assert_no_key(error);
    }
}

#[tokio::test]
async fn debug_output_never_shows_the_key() {
    let double = double();
    let client = client(&double);
    let shown = format!("{client:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains(PROJECT), "{shown}");
    let config = format!("{:?}", client.config());
    assert!(!config.contains(KEY), "{config}");
}

#[test]
fn the_configuration_is_checked_up_front() {
    let key = || Secret::new(KEY.to_owned());
    let with_slash =
        PakasirClient::new(PakasirConfig::new("http://127.0.0.1:9/", PROJECT, key())).unwrap();
    assert_eq!(with_slash.config().base_url, "http://127.0.0.1:9");
    let defaults = PakasirConfig::new("https://app.pakasir.com", PROJECT, key());
    assert_eq!(defaults.timeout, Duration::from_secs(15));
    assert_eq!(defaults.max_attempts, 3);
    for config in [
        PakasirConfig::new("not a url", PROJECT, key()),
        PakasirConfig::new("ftp://example.com", PROJECT, key()),
        PakasirConfig::new("https://app.pakasir.com", " ", key()),
        PakasirConfig::new(
            "https://app.pakasir.com",
            PROJECT,
            Secret::new(String::new()),
        ),
        PakasirConfig {
            max_attempts: 0,
            ..defaults.clone()
        },
        PakasirConfig {
            timeout: Duration::ZERO,
            ..defaults.clone()
        },
    ] {
        let error = PakasirClient::new(config).unwrap_err();
        assert!(matches!(error, PakasirError::InvalidConfig(_)), "{error:?}");
        assert_no_key(&error);
    }
}

#[test]
fn webhooks_are_read_tolerantly() {
    let full = br#"{"amount":99000,"order_id":"INV-1-1","project":"toko-uji","status":"completed",
        "payment_method":"qris","completed_at":"2025-09-19T01:20:00.123456789Z",
        "is_sandbox":true,"extra":{"nested":[1,2]}}"#;
    let payload = parse_webhook(full).unwrap();
    assert_eq!(payload.amount, 99_000);
    assert_eq!(payload.order_id, "INV-1-1");
    assert_eq!(payload.project, "toko-uji");
    assert_eq!(payload.tx_status(), TxStatus::Completed);
    assert_eq!(payload.payment_method.as_deref(), Some("qris"));
    assert_eq!(
        payload
            .completed_at_time()
            .unwrap()
            .timestamp_subsec_nanos(),
        123_456_789
    );

    let strings =
        br#"{"amount":"30000","order_id":"INV-2-1","project":"toko-uji","status":"completed"}"#;
    let payload = parse_webhook(strings).unwrap();
    assert_eq!(payload.amount, 30_000);
    assert_eq!(payload.payment_method, None);
    assert_eq!(payload.completed_at, None);
    let decimal = br#"{"amount":"30000.00","order_id":"X","project":"p","status":"completed","completed_at":null}"#;
    assert_eq!(parse_webhook(decimal).unwrap().amount, 30_000);

    for garbage in [
        &b"not json"[..],
        b"",
        b"[]",
        b"{}",
        br#"{"amount":"abc","order_id":"X","project":"p","status":"completed"}"#,
        br#"{"amount":1.5,"order_id":"X","project":"p","status":"completed"}"#,
        br#"{"amount":100,"order_id":"","project":"p","status":"completed"}"#,
        br#"{"amount":100,"project":"p","status":"completed"}"#,
        br#"{"amount":100,"order_id":{"x":1},"project":"p","status":"completed"}"#,
    ] {
        let error = parse_webhook(garbage).unwrap_err();
        assert!(matches!(error, PakasirError::Malformed(_)), "{error:?}");
    }
}

#[test]
fn times_are_read_tolerantly() {
    let nanos = parse_time("2025-09-19T01:18:49.678622564Z").unwrap();
    assert_eq!(nanos.timestamp_subsec_nanos(), 678_622_564);
    assert_eq!(nanos.format("%F %T").to_string(), "2025-09-19 01:18:49");

    let whole = Utc.with_ymd_and_hms(2025, 9, 19, 1, 18, 49).unwrap();
    assert_eq!(parse_time("2025-09-19T01:18:49Z"), Some(whole));
    assert_eq!(parse_time("2025-09-19T08:18:49+07:00"), Some(whole));
    assert_eq!(parse_time("2025-09-19T08:18:49+0700"), Some(whole));
    assert_eq!(parse_time("2025-09-19 01:18:49Z"), Some(whole));
    assert_eq!(
        parse_time("2025-09-19 01:18:49"),
        Some(whole),
        "no zone: UTC"
    );
    assert_eq!(parse_time(" 2025-09-19t01:18:49z "), Some(whole));
    let millis = parse_time("2025-09-19T08:18:49.5+07:00").unwrap();
    assert_eq!(millis.timestamp_subsec_millis(), 500);
    assert_eq!(millis - chrono::Duration::milliseconds(500), whole);

    for garbage in ["", "yesterday", "2025-13-45T00:00:00Z", "1726708729"] {
        assert_eq!(parse_time(garbage), None, "{garbage}");
    }
}

#[test]
fn statuses_and_methods_read_as_the_gateway_spells_them() {
    assert_eq!(TxStatus::from_wire("cancelled"), TxStatus::Cancelled);
    assert_eq!(TxStatus::from_wire("canceled"), TxStatus::Cancelled);
    assert_eq!(TxStatus::from_wire("COMPLETED"), TxStatus::Completed);
    assert_eq!(
        TxStatus::from_wire("refunded"),
        TxStatus::Unknown("refunded".into())
    );
    assert_eq!(PaymentMethod::from_name("QRIS"), PaymentMethod::Qris);
    assert_eq!(PaymentMethod::Qris.as_str(), "qris");
    assert_eq!(PaymentMethod::from_name("bri_va").as_str(), "bri_va");
}
