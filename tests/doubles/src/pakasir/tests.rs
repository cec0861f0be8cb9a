//! The Pakasir double spoken to over plain HTTP, the way any client would.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::codes::crc16_ccitt;
use super::*;

const WAIT: Duration = Duration::from_secs(10);

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn body(double: &PakasirDouble, order_id: &str, amount: i64) -> Value {
    json!({
        "project": double.project(),
        "order_id": order_id,
        "amount": amount,
        "api_key": double.api_key(),
    })
}

async fn post(double: &PakasirDouble, path: &str, body: &Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}{path}", double.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn create(double: &PakasirDouble, method: &str, order_id: &str, amount: i64) -> (u16, Value) {
    let path = format!("/api/transactioncreate/{method}");
    post(double, &path, &body(double, order_id, amount)).await
}

async fn detail(double: &PakasirDouble, order_id: &str, amount: i64) -> (u16, Value) {
    let response = http()
        .get(format!("{}/api/transactiondetail", double.base_url()))
        .query(&[
            ("project", double.project()),
            ("amount", amount.to_string()),
            ("order_id", order_id.to_owned()),
            ("api_key", double.api_key()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A webhook receiver: records bodies, answers `status`.
struct Receiver {
    bodies: Arc<Mutex<Vec<Value>>>,
    url: String,
    server: Option<(ServerHandle, JoinHandle<()>)>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let recorded = bodies.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    let recorded = recorded.clone();
                    App::new().default_service(web::to(move |body: web::Json<Value>| {
                        recorded.lock().unwrap().push(body.into_inner());
                        let status = actix_web::http::StatusCode::from_u16(status).unwrap();
                        async move { HttpResponse::build(status).finish() }
                    }))
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(0)
                .bind(("127.0.0.1", 0))
                .unwrap();
                let addr = server.addrs()[0];
                let running = server.run();
                tx.send((addr, running.handle())).unwrap();
                let _ = running.await;
            });
        });
        let (addr, handle) = rx.recv().unwrap();
        Receiver {
            bodies,
            url: format!("http://{addr}/webhooks/pakasir/secret"),
            server: Some((handle, thread)),
        }
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some((handle, thread)) = self.server.take() {
            drop(handle.stop(false));
            let _ = thread.join();
        }
    }
}

#[test]
fn fees_and_payment_numbers_look_real() {
    assert_eq!(qris_fee(99_000), 1_003);
    assert_eq!(qris_fee(30_000), 520);
    // CRC-16/CCITT-FALSE's check value.
    assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
    let qr = codes::qris_payload("INV-1-1", 100_003);
    assert!(qr.starts_with("00020101021226"), "{qr}");
    assert!(qr.contains("5406100003"), "amount in tag 54: {qr}");
    assert!(qris_crc_ok(&qr), "{qr}");
    let mut tampered = qr.clone();
    tampered.replace_range(20..21, "X");
    assert!(!qris_crc_ok(&tampered));
}

#[tokio::test]
async fn create_answers_like_the_gateway() {
    let double = PakasirDouble::start();
    let before = Utc::now();
    let (status, answer) = create(&double, "qris", "INV-1-1", 99_000).await;
    assert_eq!(status, 200, "{answer}");
    let payment = &answer["payment"];
    assert_eq!(payment["project"], DEFAULT_PROJECT);
    assert_eq!(payment["order_id"], "INV-1-1");
    assert_eq!(payment["amount"], 99_000);
    assert_eq!(payment["fee"], 1_003);
    assert_eq!(payment["total_payment"], 100_003);
    assert_eq!(payment["payment_method"], "qris");
    let qr = payment["payment_number"].as_str().unwrap();
    assert!(qr.starts_with("00020101021226") && qris_crc_ok(qr), "{qr}");

    let expired_at = payment["expired_at"].as_str().unwrap();
    let fraction = expired_at.split('.').nth(1).unwrap();
    assert_eq!(fraction.len(), 10, "nine digits and Z: {expired_at}");
    assert!(fraction.ends_with('Z'));
    let expiry: DateTime<Utc> = DateTime::parse_from_rfc3339(expired_at).unwrap().into();
    assert!(expiry >= before + chrono::Duration::minutes(15));
    assert!(expiry <= Utc::now() + chrono::Duration::minutes(15));

    let tx = double.transaction("INV-1-1").unwrap();
    assert_eq!(tx.status, TxState::Pending);
    assert_eq!(
        (tx.amount, tx.fee, tx.total_payment),
        (99_000, 1_003, 100_003)
    );
    assert_eq!(tx.expired_at, expiry);
    assert_eq!(tx.expired_at_text(), expired_at);

    let calls = double.calls_to(Endpoint::Create);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].payment_method(), Some("qris"));
    assert_eq!(calls[0].param_i64("amount"), Some(99_000));
    assert_eq!(calls[0].status, Some(200));
}

#[tokio::test]
async fn virtual_accounts_cost_a_flat_fee() {
    let double = PakasirDouble::start();
    let (status, answer) = create(&double, "bni_va", "INV-2-1", 50_000).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["payment"]["fee"], VA_FEE);
    assert_eq!(answer["payment"]["total_payment"], 50_000 + VA_FEE);
    let number = answer["payment"]["payment_number"].as_str().unwrap();
    assert!(
        number.len() == 16 && number.chars().all(|c| c.is_ascii_digit()),
        "{number}"
    );
}

#[tokio::test]
async fn bad_requests_are_refused_like_the_gateway() {
    let double = PakasirDouble::start();
    let path = "/api/transactioncreate/qris";
    let good = body(&double, "INV-3-1", 10_000);
    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        b[key] = value;
        b
    };
    let cases = [
        (with("api_key", json!("wrong")), 401),
        (with("project", json!("someone-else")), 403),
        (with("amount", json!(0)), 400),
        (with("amount", json!(-5)), 400),
        (with("amount", json!("abc")), 400),
        (with("amount", json!(10.5)), 400),
        (with("order_id", json!("")), 400),
    ];
    for (request, expected) in &cases {
        let (status, answer) = post(&double, path, request).await;
        assert_eq!(status, *expected, "{request} → {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let (status, _) = post(&double, "/api/transactioncreate/gopay", &good).await;
    assert_eq!(status, 400);
    assert!(double.transactions().is_empty(), "nothing was created");

    // Numeric strings are accepted, like the gateway.
    let (status, _) = post(&double, path, &with("amount", json!("10000"))).await;
    assert_eq!(status, 200);
    let (status, answer) = post(&double, path, &good).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("already exists"));

    let get = http()
        .get(format!("{}{path}", double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let unknown = http()
        .get(format!("{}/api/nothing", double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(double.calls().len(), cases.len() + 5);
}

#[tokio::test]
async fn detail_follows_the_transaction_and_needs_its_amount() {
    let double = PakasirDouble::start();
    create(&double, "qris", "INV-4-1", 99_000).await;
    let (status, answer) = detail(&double, "INV-4-1", 99_000).await;
    assert_eq!(status, 200);
    let tx = &answer["transaction"];
    assert_eq!(tx["status"], "pending");
    assert_eq!(tx["amount"], 99_000);
    assert_eq!(tx["project"], DEFAULT_PROJECT);
    assert_eq!(tx["payment_method"], "qris");
    assert!(tx["completed_at"].is_null());

    assert_eq!(detail(&double, "INV-4-1", 98_000).await.0, 404);
    assert_eq!(detail(&double, "INV-4-9", 99_000).await.0, 404);

    assert!(double.complete("INV-4-1"));
    assert!(
        !double.complete("INV-4-1"),
        "only a pending transaction completes"
    );
    let (_, answer) = detail(&double, "INV-4-1", 99_000).await;
    assert_eq!(answer["transaction"]["status"], "completed");
    let completed_at = answer["transaction"]["completed_at"].as_str().unwrap();
    assert!(
        DateTime::parse_from_rfc3339(completed_at).is_ok(),
        "{completed_at}"
    );

    create(&double, "qris", "INV-4-2", 10_000).await;
    assert!(double.expire("INV-4-2"));
    assert_eq!(
        detail(&double, "INV-4-2", 10_000).await.1["transaction"]["status"],
        "expired"
    );

    double.set_validity(Duration::ZERO);
    create(&double, "qris", "INV-4-3", 10_000).await;
    assert_eq!(
        detail(&double, "INV-4-3", 10_000).await.1["transaction"]["status"],
        "expired"
    );
    assert_eq!(
        double.transaction("INV-4-3").unwrap().status,
        TxState::Expired
    );
}

#[tokio::test]
async fn cancel_cancels_only_what_is_pending() {
    let double = PakasirDouble::start();
    create(&double, "qris", "INV-5-1", 10_000).await;
    let cancel = body(&double, "INV-5-1", 10_000);
    assert_eq!(
        post(&double, "/api/transactioncancel", &cancel).await.0,
        200
    );
    assert_eq!(
        double.transaction("INV-5-1").unwrap().status,
        TxState::Cancelled
    );
    assert_eq!(
        detail(&double, "INV-5-1", 10_000).await.1["transaction"]["status"],
        "canceled"
    );
    assert_eq!(
        post(&double, "/api/transactioncancel", &cancel).await.0,
        200,
        "idempotent"
    );
    assert!(!double.complete("INV-5-1"));

    create(&double, "qris", "INV-5-2", 10_000).await;
    double.complete("INV-5-2");
    let paid = body(&double, "INV-5-2", 10_000);
    assert_eq!(post(&double, "/api/transactioncancel", &paid).await.0, 400);
    let unknown = body(&double, "INV-5-3", 10_000);
    assert_eq!(
        post(&double, "/api/transactioncancel", &unknown).await.0,
        404
    );
}

#[tokio::test]
async fn webhooks_fire_on_payment_and_can_be_replayed_or_forged() {
    let double = PakasirDouble::start();
    let receiver = Receiver::start(200);
    assert!(!double.fire_forged_webhook("INV-6-1", 1), "no URL yet");
    double.set_webhook_url(receiver.url.clone());

    create(&double, "qris", "INV-6-1", 99_000).await;
    let simulate = body(&double, "INV-6-1", 99_000);
    assert_eq!(
        post(&double, "/api/paymentsimulation", &simulate).await.0,
        200
    );
    let first = double
        .wait_for_webhook(|d| d.order_id == "INV-6-1", WAIT)
        .await
        .unwrap();
    assert!(first.accepted() && !first.forged);
    assert_eq!(first.body["status"], "completed");
    assert_eq!(first.body["amount"], 99_000);
    assert_eq!(first.body["project"], DEFAULT_PROJECT);
    assert_eq!(first.body["payment_method"], "qris");
    assert_eq!(
        double.transaction("INV-6-1").unwrap().status,
        TxState::Completed
    );
    assert_eq!(
        post(&double, "/api/paymentsimulation", &simulate).await.0,
        400
    );

    assert!(double.fire_webhook("INV-6-1"));
    let replay = double
        .wait_for_webhook(|d| d.order_id == "INV-6-1" && d.at > first.at, WAIT)
        .await
        .unwrap();
    assert_eq!(replay.body, first.body, "a replay is the same webhook");

    create(&double, "qris", "INV-6-2", 30_000).await;
    assert!(double.complete("INV-6-2"));
    double
        .wait_for_webhook(|d| d.order_id == "INV-6-2", WAIT)
        .await
        .unwrap();

    create(&double, "qris", "INV-6-3", 30_000).await;
    assert!(double.fire_forged_webhook("INV-6-3", 30_000));
    let forged = double
        .wait_for_webhook(|d| d.order_id == "INV-6-3", WAIT)
        .await
        .unwrap();
    assert!(forged.forged && forged.accepted());
    assert_eq!(forged.body["status"], "completed");
    assert_eq!(
        double.transaction("INV-6-3").unwrap().status,
        TxState::Pending
    );
    assert_eq!(
        detail(&double, "INV-6-3", 30_000).await.1["transaction"]["status"],
        "pending"
    );

    let orders: Vec<_> = receiver
        .bodies()
        .iter()
        .map(|b| b["order_id"].clone())
        .collect();
    assert_eq!(orders, ["INV-6-1", "INV-6-1", "INV-6-2", "INV-6-3"]);
}

#[tokio::test]
async fn a_refusing_receiver_is_recorded_and_production_cannot_simulate() {
    let double = PakasirDouble::start();
    let receiver = Receiver::start(503);
    double.set_webhook_url(receiver.url.clone());
    create(&double, "qris", "INV-7-1", 10_000).await;
    double.complete("INV-7-1");
    let refused = double.wait_for_webhook(|_| true, WAIT).await.unwrap();
    assert_eq!(refused.status, Some(503));
    assert!(!refused.accepted());

    double.set_sandbox(false);
    create(&double, "qris", "INV-7-2", 10_000).await;
    let simulate = body(&double, "INV-7-2", 10_000);
    assert_eq!(
        post(&double, "/api/paymentsimulation", &simulate).await.0,
        403
    );
    assert_eq!(
        double.transaction("INV-7-2").unwrap().status,
        TxState::Pending
    );
}

#[tokio::test]
async fn injected_failures_apply_in_order_then_wear_off() {
    let double = PakasirDouble::start();
    double.fail(Endpoint::Detail, Failure::Status(503), Some(1));
    double.fail(
        Endpoint::Detail,
        Failure::Raw(502, "<html>bad gateway</html>".into()),
        Some(1),
    );
    double.fail(Endpoint::Detail, Failure::Drop, Some(1));
    assert_eq!(
        detail(&double, "X", 1).await,
        (503, json!({"error": "Service Unavailable"}))
    );
    let raw = http()
        .get(format!("{}/api/transactiondetail", double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 502);
    assert_eq!(raw.text().await.unwrap(), "<html>bad gateway</html>");
    let dropped = http()
        .get(format!("{}/api/transactiondetail", double.base_url()))
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(
        detail(&double, "X", 1).await.0,
        404,
        "the failures wore off"
    );
    let calls = double.calls_to(Endpoint::Detail);
    assert_eq!(calls.len(), 4);
    assert!(calls[2].dropped && calls[2].status.is_none());
    assert!(calls.iter().all(Call::finished));
}

#[tokio::test]
async fn a_lost_response_still_creates() {
    let double = PakasirDouble::start();
    double.fail(Endpoint::Create, Failure::LostResponse, Some(1));
    let path = format!("{}/api/transactioncreate/qris", double.base_url());
    let lost = http()
        .post(&path)
        .json(&body(&double, "INV-8-1", 10_000))
        .send()
        .await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(
        double.transaction("INV-8-1").unwrap().status,
        TxState::Pending
    );
    assert!(double.calls_to(Endpoint::Create)[0].dropped);
    assert_eq!(detail(&double, "INV-8-1", 10_000).await.0, 200);
}

#[tokio::test]
async fn a_held_request_outlasts_the_client_and_lets_go_when_stopped() {
    let double = PakasirDouble::start();
    double.set_hold(Duration::from_secs(120));
    double.fail(Endpoint::Create, Failure::Timeout, None);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let path = format!("{}/api/transactioncreate/qris", double.base_url());
    let error = client
        .post(&path)
        .json(&body(&double, "INV-9-1", 10_000))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        double.transaction("INV-9-1").is_none(),
        "a timeout does nothing"
    );
    let held = double
        .wait_for(Endpoint::Create, |c| !c.finished(), WAIT)
        .await;
    assert!(held.is_some(), "the request is still held");

    let stopping = Instant::now();
    double.stop();
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "stop waited for the hold"
    );
}

#[tokio::test]
async fn wait_for_sees_calls_made_later() {
    let double = PakasirDouble::start();
    let waiter = {
        let double = double.clone();
        tokio::spawn(async move {
            double
                .wait_for(Endpoint::Detail, |c| c.status == Some(404), WAIT)
                .await
        })
    };
    detail(&double, "INV-10-1", 10_000).await;
    let call = waiter.await.unwrap().expect("seen");
    assert_eq!(call.param_str("order_id").as_deref(), Some("INV-10-1"));
    assert!(
        double
            .wait_for(Endpoint::Cancel, |_| true, Duration::from_millis(50))
            .await
            .is_none()
    );
}
