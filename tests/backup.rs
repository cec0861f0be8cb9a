//! `autoorder backup` end to end on both backends: create → destroy → restore → identical;
//! corruption, truncation and wrong keys are caught with one-line errors; public-key mode;
//! S3 (a local moto server started by tests/run.sh) beside a failing target; a full disk in
//! the middle of an archive; a drill that finds a mismatch.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::Backend;
use support::Store;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");
const PASSPHRASE: &str = "correct horse battery staple";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The last non-empty stderr line, which must be the one-line error.
fn error_line(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure, got success:\n{}",
        text(&out.stdout)
    );
    text(&out.stderr)
        .lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line in:\n{}", text(&out.stderr)))
        .to_string()
}

struct Fixture {
    _telegram: TelegramDouble,
    store: Store,
}

impl Fixture {
    fn new(backend: Backend) -> Fixture {
        let telegram = TelegramDouble::start();
        let mut store = Store::new(backend, &telegram);
        let backups = store.dir.path().join("backups");
        store.set("BACKUP_LOCAL_DIR", &backups.display().to_string());
        store.set("BACKUP_ENCRYPTION_PASSWORD", PASSPHRASE);
        ok(
            &store.cli(&["catalog", "import", EXAMPLE]),
            "catalog import",
        );
        Fixture {
            _telegram: telegram,
            store,
        }
    }

    fn backups(&self) -> PathBuf {
        self.store.dir.path().join("backups")
    }

    fn create(&self) -> String {
        let out = ok(
            &self.store.cli(&["backup", "create", "--reason", "test"]),
            "create",
        );
        out.split_whitespace().nth(1).expect("id").to_string()
    }

    fn archive(&self, id: &str) -> PathBuf {
        self.backups().join(format!("autoorder-{id}.tar.zst.age"))
    }

    fn export(&self) -> String {
        ok(
            &self
                .store
                .cli(&["catalog", "export", "--include-stock", "--format", "csv"]),
            "export",
        )
    }
}

fn counts(store: &Store) -> Vec<i64> {
    ["categories", "products", "stock_items", "users", "orders"]
        .iter()
        .map(|t| store.count(t))
        .collect()
}

fn roundtrip(backend: Backend) {
    let f = Fixture::new(backend);
    let before = counts(&f.store);
    let export_before = f.export();
    assert!(before[2] > 0);
    let id = f.create();
    let listed = ok(&f.store.cli(&["backup", "list", "--json"]), "list");
    let json: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(json["backups"][0]["id"], id.as_str(), "{listed}");
    assert_eq!(json["backups"][0]["targets"][0]["state"], "ok", "{listed}");
    ok(&f.store.cli(&["backup", "verify", &id]), "verify");
    ok(
        &f.store.cli(&["backup", "verify", &id, "--deep"]),
        "verify --deep",
    );

    // Destroy.
    autoorder_schema::testing::execute(&f.store.pool(), "DELETE FROM stock_items").unwrap();
    assert_eq!(f.store.count("stock_items"), 0);

    let refused = f.store.cli(&["backup", "restore", &id]);
    assert!(error_line(&refused).contains("--yes"));
    let out = ok(
        &f.store.cli(&["backup", "restore", &id, "--yes"]),
        "restore",
    );
    assert!(out.contains("row counts match"), "{out}");
    assert!(out.contains("safety snapshot"), "{out}");
    assert_eq!(counts(&f.store), before);
    assert_eq!(f.export(), export_before);

    // The safety snapshot holds the destroyed state and is listed.
    let listed = ok(&f.store.cli(&["backup", "list"]), "list");
    assert!(
        listed.contains("safety snapshot before restoring"),
        "{listed}"
    );

    let drill = ok(&f.store.cli(&["backup", "drill", &id]), "drill");
    assert!(drill.contains("passed"), "{drill}");
}

#[test]
fn create_destroy_restore_is_identical_sqlite() {
    roundtrip(Backend::Sqlite);
}

#[test]
fn create_destroy_restore_is_identical_postgres() {
    roundtrip(Backend::Postgres);
}

fn flip(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = (at as usize).min(bytes.len() - 1);
    bytes[i] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

fn corruption(backend: Backend) {
    let f = Fixture::new(backend);
    let id = f.create();
    let archive = f.archive(&id);
    let pristine = std::fs::read(&archive).unwrap();
    let len = pristine.len() as u64;
    for at in [10, 200, len / 2, len - 20, len - 1] {
        std::fs::write(&archive, &pristine).unwrap();
        flip(&archive, at);
        let e = error_line(&f.store.cli(&["backup", "verify", &id]));
        assert!(
            e.contains("checksum mismatch") && e.contains("segment 0"),
            "at {at}: {e}"
        );
        let e = error_line(&f.store.cli(&["backup", "verify", &id, "--deep"]));
        assert!(e.contains("checksum mismatch"), "deep at {at}: {e}");
    }
    // Truncated.
    std::fs::write(&archive, &pristine[..pristine.len() / 2]).unwrap();
    let e = error_line(&f.store.cli(&["backup", "verify", &id]));
    assert!(e.contains("truncated"), "{e}");
    let e = error_line(&f.store.cli(&["backup", "restore", &id, "--yes"]));
    assert!(e.contains("truncated"), "{e}");

    // Wrong passphrase.
    std::fs::write(&archive, &pristine).unwrap();
    let mut wrong = Fixture {
        _telegram: TelegramDouble::start(),
        store: Store::new(backend, &TelegramDouble::start()),
    };
    wrong.store.env = f.store.env.clone();
    wrong
        .store
        .set("BACKUP_ENCRYPTION_PASSWORD", "not the right passphrase");
    let e = error_line(&wrong.store.cli(&["backup", "verify", &id, "--deep"]));
    assert!(e.contains("wrong passphrase"), "{e}");
    let e = error_line(&wrong.store.cli(&["backup", "drill", &id]));
    assert!(e.contains("wrong passphrase"), "{e}");
    ok(
        &f.store.cli(&["backup", "verify", &id, "--deep"]),
        "pristine again",
    );
}

#[test]
fn corruption_truncation_and_wrong_passphrase_are_caught_sqlite() {
    corruption(Backend::Sqlite);
}

#[test]
fn corruption_truncation_and_wrong_passphrase_are_caught_postgres() {
    corruption(Backend::Postgres);
}

fn public_key(backend: Backend) {
    let f = Fixture::new(backend);
    let identity = f.store.dir.path().join("backup.key");
    let out = ok(
        &f.store
            .cli(&["backup", "keygen", "--output", identity.to_str().unwrap()]),
        "keygen",
    );
    let public = out.trim().to_string();
    assert!(public.starts_with("age1"), "{public}");
    let mut store = f.store;
    store.set("BACKUP_RECIPIENTS", &public);
    let f = Fixture {
        _telegram: f._telegram,
        store,
    };
    let id = f.create();
    // Checksums need no key; decrypting needs the identity, which the bot does not have.
    ok(&f.store.cli(&["backup", "verify", &id]), "verify");
    let e = error_line(&f.store.cli(&["backup", "verify", &id, "--deep"]));
    assert!(e.contains("--identity"), "{e}");
    let other = f.store.dir.path().join("other.key");
    ok(
        &f.store
            .cli(&["backup", "keygen", "--output", other.to_str().unwrap()]),
        "keygen",
    );
    let e = error_line(&f.store.cli(&[
        "backup",
        "verify",
        &id,
        "--deep",
        "--identity",
        other.to_str().unwrap(),
    ]));
    assert!(e.contains("wrong identity"), "{e}");
    ok(
        &f.store.cli(&[
            "backup",
            "verify",
            &id,
            "--deep",
            "--identity",
            identity.to_str().unwrap(),
        ]),
        "verify --deep --identity",
    );
    ok(
        &f.store.cli(&[
            "backup",
            "drill",
            &id,
            "--identity",
            identity.to_str().unwrap(),
        ]),
        "drill",
    );

    // The stock age tool opens it with the identity, when it is installed.
    if std::process::Command::new("age")
        .arg("--version")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "age --decrypt -i '{}' '{}' | zstd -dc | tar -tf -",
                identity.display(),
                f.archive(&id).display()
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("db/autoorder."),
            "{}",
            text(&out.stdout)
        );
    } else {
        eprintln!("note: the stock age tool is not installed; its check was not run");
    }
}

#[test]
fn public_key_backups_need_the_identity_sqlite() {
    public_key(Backend::Sqlite);
}

#[test]
fn public_key_backups_need_the_identity_postgres() {
    public_key(Backend::Postgres);
}

fn drill_mismatch(backend: Backend) {
    let f = Fixture::new(backend);
    let id = f.create();
    let meta_path = f.backups().join(format!("autoorder-{id}.json"));
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let n = meta["row_counts"]["stock_items"].as_i64().unwrap();
    meta["row_counts"]["stock_items"] = (n + 1).into();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let e = error_line(&f.store.cli(&["backup", "drill", &id]));
    assert!(
        e.contains("FAILED")
            && e.contains(&format!("stock_items: expected {}, restored {n}", n + 1)),
        "{e}"
    );
}

#[test]
fn drill_fails_when_restored_data_does_not_match_sqlite() {
    drill_mismatch(Backend::Sqlite);
}

#[test]
fn drill_fails_when_restored_data_does_not_match_postgres() {
    drill_mismatch(Backend::Postgres);
}

#[test]
fn offsite_directory_and_prune() {
    let mut f = Fixture::new(Backend::Sqlite);
    let offsite = f.store.dir.path().join("offsite");
    std::fs::create_dir_all(&offsite).unwrap();
    f.store.set("BACKUP_OFFSITE_DIR", offsite.to_str().unwrap());
    let out = ok(
        &f.store.cli(&["backup", "create", "--offsite"]),
        "create --offsite",
    );
    let id = out.split_whitespace().nth(1).unwrap().to_string();
    assert!(offsite.join(format!("autoorder-{id}.json")).exists());
    ok(&f.store.cli(&["backup", "verify", &id]), "verify both");

    // Missing offsite directory: the local backup is made, the failure is reported.
    f.store.set(
        "BACKUP_OFFSITE_DIR",
        offsite.join("unmounted").to_str().unwrap(),
    );
    let out = f.store.cli(&["backup", "create", "--offsite"]);
    let e = error_line(&out);
    assert!(e.contains("does not exist"), "{e}");
    assert!(
        text(&out.stdout).contains("ok   local"),
        "{}",
        text(&out.stdout)
    );

    // Prune: an empty policy is refused; keep-last 1 + min 1 keeps only the newest.
    f.store.set("BACKUP_OFFSITE_DIR", offsite.to_str().unwrap());
    for k in ["LAST", "DAILY", "WEEKLY", "MONTHLY"] {
        f.store.set(&format!("BACKUP_KEEP_{k}"), "0");
    }
    let e = error_line(&f.store.cli(&["backup", "prune"]));
    assert!(e.contains("empty retention policy"), "{e}");
    f.store.set("BACKUP_KEEP_LAST", "1");
    f.store.set("BACKUP_KEEP_MIN", "1");
    let dry = ok(&f.store.cli(&["backup", "prune", "--dry-run"]), "dry run");
    assert!(dry.contains("would delete"), "{dry}");
    let before = std::fs::read_dir(f.backups()).unwrap().count();
    ok(&f.store.cli(&["backup", "prune"]), "prune");
    let after = std::fs::read_dir(f.backups()).unwrap().count();
    assert_eq!(
        after, 2,
        "one archive + one metadata file left (was {before})"
    );
}

#[test]
fn pg_dump_older_than_the_server_is_refused() {
    let mut f = Fixture::new(Backend::Postgres);
    let bin = f.store.dir.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("pg_dump");
    std::fs::write(&fake, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    f.store.set("PATH", &path);
    let mut cmd = f.store.command(&["backup", "create"]);
    cmd.env("PATH", &path);
    let out = cmd.output().unwrap();
    let e = error_line(&out);
    assert!(
        e.contains("pg_dump 9.6.24 is older than the PostgreSQL"),
        "{e}"
    );
    // Nothing that looks like a backup was left.
    let left: Vec<_> = std::fs::read_dir(f.backups())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    // pg_dump missing altogether.
    let mut cmd = f.store.command(&["backup", "create"]);
    cmd.env("PATH", bin.join("nothing"));
    let e = error_line(&cmd.output().unwrap());
    assert!(e.contains("pg_dump not found"), "{e}");
}

fn s3_endpoint() -> String {
    std::env::var("AUTOORDER_TEST_S3_ENDPOINT").expect(
        "AUTOORDER_TEST_S3_ENDPOINT is not set: run the tests through tests/run.sh, which starts a local moto S3 server",
    )
}

fn s3_bucket(name: &str) {
    use autoorder_actors::backup::s3::{S3Client, S3Settings};
    let client = S3Client::new(S3Settings {
        endpoint: s3_endpoint(),
        bucket: name.to_string(),
        prefix: String::new(),
        region: "us-east-1".into(),
        access_key_id: "testing".to_string().into(),
        secret_access_key: "testing".to_string().into(),
        timeout: S3Settings::DEFAULT_TIMEOUT,
    })
    .unwrap();
    client.create_bucket().unwrap();
}

fn s3_offsite(backend: Backend) {
    let mut f = Fixture::new(backend);
    let bucket = format!("autoorder-test-{}", std::process::id());
    let bucket = format!("{bucket}-{}", backend_name(backend));
    s3_bucket(&bucket);
    f.store.set("BACKUP_S3_ENDPOINT", &s3_endpoint());
    f.store.set("BACKUP_S3_BUCKET", &bucket);
    f.store.set("BACKUP_S3_PREFIX", "store-1");
    f.store.set("BACKUP_S3_REGION", "us-east-1");
    f.store.set("BACKUP_S3_ACCESS_KEY_ID", "testing");
    f.store.set("BACKUP_S3_SECRET_ACCESS_KEY", "testing");
    // The offsite directory is not mounted: it fails, S3 still gets its copy.
    f.store.set(
        "BACKUP_OFFSITE_DIR",
        f.store.dir.path().join("not-mounted").to_str().unwrap(),
    );
    let out = f.store.cli(&["backup", "create", "--offsite"]);
    let e = error_line(&out);
    assert!(e.contains("does not exist"), "{e}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "ok   s3://{bucket}/store-1/: written and verified"
        )),
        "{stdout}"
    );
    let id = stdout.split_whitespace().nth(1).unwrap().to_string();

    // The S3 copy alone restores everything: remove the local one.
    std::fs::remove_file(f.archive(&id)).unwrap();
    std::fs::remove_file(f.backups().join(format!("autoorder-{id}.json"))).unwrap();
    let listed = f.store.cli(&["backup", "list", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let targets = json["backups"][0]["targets"].to_string();
    assert!(
        targets.contains("s3://") && targets.contains("\"ok\""),
        "{json}"
    );
    let here = f.store.dir.path().to_str().unwrap().to_string();
    f.store.set("BACKUP_OFFSITE_DIR", &here);
    ok(
        &f.store.cli(&["backup", "verify", &id, "--deep"]),
        "verify s3",
    );
    ok(&f.store.cli(&["backup", "drill", &id]), "drill from s3");

    // S3 failing (no such bucket) while the offsite directory works.
    let offsite = f.store.dir.path().join("offsite");
    std::fs::create_dir_all(&offsite).unwrap();
    f.store.set("BACKUP_OFFSITE_DIR", offsite.to_str().unwrap());
    f.store.set("BACKUP_S3_BUCKET", "no-such-bucket-here");
    let out = f.store.cli(&["backup", "create", "--offsite"]);
    let e = error_line(&out);
    assert!(
        e.contains("s3://no-such-bucket-here") && e.contains("NoSuchBucket"),
        "{e}"
    );
    let id2 = text(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(offsite.join(format!("autoorder-{id2}.json")).exists());
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "pg",
    }
}

#[test]
fn s3_offsite_with_one_target_failing_sqlite() {
    s3_offsite(Backend::Sqlite);
}

#[test]
fn s3_offsite_with_one_target_failing_postgres() {
    s3_offsite(Backend::Postgres);
}

/// Large archives go up in parts, listing follows every page, and a copy reads back intact
/// (moto keeps S3's 5 MiB minimum part size, so the parts here are 5 MiB).
#[test]
fn s3_multipart_upload_streams_and_listing_follows_pages() {
    use autoorder_actors::backup::s3::{S3Client, S3Settings};
    use std::io::Read;
    let bucket = format!("autoorder-multipart-{}", std::process::id());
    s3_bucket(&bucket);
    let client = S3Client::new(S3Settings {
        endpoint: s3_endpoint(),
        bucket: bucket.clone(),
        prefix: "m/".into(),
        region: "us-east-1".into(),
        access_key_id: "testing".to_string().into(),
        secret_access_key: "testing".to_string().into(),
        timeout: S3Settings::DEFAULT_TIMEOUT,
    })
    .unwrap()
    .with_limits(5 * 1024 * 1024, 2);
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    // 11 MiB of varied bytes: three parts, the last one short.
    let data: Vec<u8> = (0..11 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&big, &data).unwrap();
    client.put_file("big.bin", &big).unwrap();
    let mut back = Vec::new();
    client
        .get("big.bin")
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert!(back == data, "the multipart copy differs");
    for i in 0..4 {
        client.put_bytes(&format!("small-{i}.json"), b"{}").unwrap();
    }
    let mut names: Vec<String> = client.list().unwrap().into_iter().map(|o| o.key).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "big.bin",
            "small-0.json",
            "small-1.json",
            "small-2.json",
            "small-3.json"
        ],
        "five objects over three pages of two"
    );
    let sizes = client.list().unwrap();
    assert_eq!(
        sizes.iter().find(|o| o.key == "big.bin").unwrap().size,
        data.len() as u64
    );
    assert_eq!(client.get_small("none.json").unwrap(), None);
    client.delete("big.bin").unwrap();
    client.delete("big.bin").unwrap();
    assert_eq!(client.list().unwrap().len(), 4);
}

/// An S3 endpoint that accepts connections and never answers costs a bounded time and is
/// named in the failure; the local copy is still made.
#[test]
fn a_hung_s3_endpoint_times_out_and_the_local_backup_is_kept() {
    let mut f = Fixture::new(Backend::Sqlite);
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", hung.local_addr().unwrap());
    f.store.set("BACKUP_S3_ENDPOINT", &endpoint);
    f.store.set("BACKUP_S3_BUCKET", "hung");
    f.store.set("BACKUP_S3_ACCESS_KEY_ID", "testing");
    f.store.set("BACKUP_S3_SECRET_ACCESS_KEY", "testing");
    f.store.set("BACKUP_S3_TIMEOUT_SECONDS", "1");
    let started = std::time::Instant::now();
    let out = f.store.cli(&["backup", "create", "--offsite"]);
    let took = started.elapsed();
    let e = error_line(&out);
    assert!(e.contains("s3://hung/") && e.contains("timed out"), "{e}");
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    let id = text(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(f.backups().join(format!("autoorder-{id}.json")).exists());
}

/// A restore over a PostgreSQL database a running bot uses is refused; spelled differently,
/// the configured database still gets its safety snapshot; configuration and logs come back
/// into a chosen directory but never over existing files unasked; the first start afterwards
/// tells the owners; every step is in the maintenance log.
#[test]
fn restore_safety_on_postgresql() {
    let f = Fixture::new(Backend::Postgres);
    let id = f.create();
    let bot = f.store.start();
    let e = error_line(&f.store.cli(&["backup", "restore", &id, "--yes"]));
    assert!(e.contains("in use") && e.contains("--force"), "{e}");
    drop(bot);

    let configured = f
        .store
        .env
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .unwrap()
        .1
        .clone();
    let respelled = configured
        .replacen("postgres://", "postgresql://", 1)
        .replace("127.0.0.1", "LOCALHOST");
    assert_ne!(respelled, configured);
    let files = f.store.dir.path().join("restored-files");
    let out = f.store.cli(&[
        "backup",
        "restore",
        &id,
        "--yes",
        "--force",
        "--target-url",
        &respelled,
        "--files-to",
        files.to_str().unwrap(),
    ]);
    let stdout = ok(&out, "restore");
    assert!(
        stdout.contains("safety snapshot of the previous database"),
        "{stdout}"
    );
    assert!(files.join("config").is_dir(), "configuration extracted");
    // Again into the same directory: refused before anything is written.
    let again = f.store.cli(&[
        "backup",
        "restore",
        &id,
        "--yes",
        "--force",
        "--files-to",
        files.to_str().unwrap(),
    ]);
    let e = error_line(&again);
    assert!(
        e.contains("already exist") && e.contains("--overwrite-files"),
        "{e}"
    );

    let maintenance = support::read_all(&f.store.log_dir().join("maintenance"));
    assert!(
        maintenance.contains(&format!("backup: {id} created")),
        "{maintenance}"
    );
    assert!(
        maintenance.contains(&format!("restore: backup {id} restored")),
        "{maintenance}"
    );
    assert!(
        maintenance.contains("restore of") && maintenance.contains("failed"),
        "{maintenance}"
    );

    // The first start on the restored database tells the owner, once.
    let bot = f.store.start();
    let told = support::eventually(std::time::Duration::from_secs(30), || {
        f._telegram
            .calls_to("sendMessage")
            .iter()
            .any(|c| c.param_i64("chat_id") == Some(9001) && support::text_of(c).contains(&id))
    });
    assert!(told, "owner not told of the restore");
    drop(bot);
}

/// The PostgreSQL restore streams the archive into `pg_restore`: an archive damaged near its
/// end is found only after most of the dump went through, and still nothing is committed
/// (the dump's end is held back until every checksum matched).
#[test]
fn a_restore_from_an_archive_damaged_at_its_end_changes_nothing() {
    let f = Fixture::new(Backend::Postgres);
    let id = f.create();
    let stock = f.store.count("stock_items");
    assert!(stock > 0);
    autoorder_schema::testing::execute(&f.store.pool(), "DELETE FROM stock_items").unwrap();
    let archive = f.archive(&id);
    let len = std::fs::metadata(&archive).unwrap().len();
    for at in [len - 20, len / 2] {
        let pristine = std::fs::read(&archive).unwrap();
        flip(&archive, at);
        let e = error_line(&f.store.cli(&["backup", "restore", &id, "--yes", "--force"]));
        assert!(e.contains("nothing was changed"), "at {at}: {e}");
        assert_eq!(
            f.store.count("stock_items"),
            0,
            "at {at}: the restore committed"
        );
        std::fs::write(&archive, pristine).unwrap();
    }
    ok(
        &f.store.cli(&["backup", "restore", &id, "--yes", "--force"]),
        "restore",
    );
    assert_eq!(f.store.count("stock_items"), stock);
}
