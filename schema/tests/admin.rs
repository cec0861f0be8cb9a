//! The seller admin menu's storage on SQLite and PostgreSQL: every write audited, refusals change
//! nothing, optimistic versions refuse the later of two saves (also at the same instant on
//! PostgreSQL), stock duplicates found across the store and additions serialised, deletions never
//! take an item a buyer reserved, wizards durable and expiring.

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::queries::admin::categories::{
    Direction, add_category, category, delete_category, list_categories, move_category,
    rename_category,
};
use autoorder_schema::queries::admin::products::{
    NewProduct, ProductChange, ProductList, archive_product, create_product, delete_product,
    edit_product, list_products, product, restore_product,
};
use autoorder_schema::queries::admin::snk::{set_snk, snk_of};
use autoorder_schema::queries::admin::stock::{
    StockState, add_stock, check_stock, delete_stock, list_unsold, stock_counts,
};
use autoorder_schema::queries::admin::summary::{admin_summary, low_stock_products};
use autoorder_schema::queries::admin::templates::{
    TemplateKey, reset_template, save_template, template_for_edit,
};
use autoorder_schema::queries::admin::vouchers::{
    NewVoucher, VoucherKind, VoucherStatus, create_voucher, list_vouchers, set_voucher_active,
    voucher,
};
use autoorder_schema::queries::admin::wizards::{
    WIZARD_TTL_MS, buyer_mode, clear_wizard, load_wizard, open_wizard_payload,
    purge_expired_wizards, save_wizard, seal_wizard_payload, set_buyer_mode,
};
use autoorder_schema::queries::admin::{
    AdminAction, AdminRefusal, CategoryId, InvalidField, PageRequest, ProductId, SellerId,
    StockItemId, admin_audit_of,
};
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::shop::carts::set_cart_quantity;
use autoorder_schema::queries::shop::checkout::{PayMethod, place_order};
use autoorder_schema::queries::shop::templates::{Template, get_template, set_template};
use autoorder_schema::queries::shop::vouchers::{VoucherProblem, quote_voucher};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::tables::stock_items as s;
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{DbConnection, Pool, PoolOptions, now_ms, open_pool};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const ANA: SellerId = SellerId(9001);
const BAYU: SellerId = SellerId(9002);

fn keys() -> DataKeys {
    DataKeys::new(vec![("t".into(), Secret::new([7u8; 32]))]).unwrap()
}

fn new_product(code: &str) -> NewProduct {
    NewProduct {
        code: code.into(),
        name: format!("Produk {code}"),
        price: 30_000,
        description: "Akun premium.".into(),
        category: None,
        snk: None,
    }
}

fn created(conn: &mut DbConnection, code: &str) -> ProductId {
    create_product(conn, ANA, &new_product(code))
        .unwrap()
        .unwrap()
}

fn version(conn: &mut DbConnection, id: ProductId) -> i64 {
    product(conn, id).unwrap().unwrap().version
}

fn audit_count(conn: &mut DbConnection) -> usize {
    admin_audit_of(conn, None).unwrap().len()
}

fn customer(conn: &mut DbConnection, id: i64) {
    touch_user(
        conn,
        &TelegramProfile {
            id,
            username: None,
            first_name: "Budi",
            language: None,
        },
    )
    .unwrap();
}

/// A QRIS order by `user` for `quantity` of `product`: its items are reserved.
fn order(conn: &mut DbConnection, user: i64, product: ProductId, quantity: i32) -> Option<i64> {
    customer(conn, user);
    set_cart_quantity(conn, user, product.0, quantity).unwrap();
    place_order(conn, user, PayMethod::Qris, 0)
        .unwrap()
        .ok()
        .map(|o| o.order_id)
}

fn lines(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{prefix}-{i}@mail.id:rahasia{i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

both_backends! {
    fn products_are_added_edited_archived_restored_and_deleted_with_audit(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let cat = add_category(&mut conn, ANA, "Streaming").unwrap().unwrap();
        let mut draft = new_product("NF1M");
        draft.category = Some(cat);
        draft.snk = Some("Kirim email.".into());
        let id = create_product(&mut conn, ANA, &draft).unwrap().unwrap();
        let card = product(&mut conn, id).unwrap().unwrap();
        assert_eq!((card.code.as_str(), card.price, card.version), ("NF1M", 30_000, 1));
        assert_eq!(card.category.as_ref().map(|c| c.name.as_str()), Some("Streaming"));
        assert_eq!(card.snk.as_deref(), Some("Kirim email."));
        assert!(!card.is_archived());

        // Refusals change nothing and write no audit row.
        let audited = audit_count(&mut conn);
        assert_eq!(create_product(&mut conn, BAYU, &new_product("NF1M")).unwrap(), Err(AdminRefusal::CodeTaken));
        assert_eq!(create_product(&mut conn, BAYU, &new_product("nf")).unwrap(), Err(AdminRefusal::Invalid(InvalidField::Code)));
        let mut gone = new_product("GONE");
        gone.category = Some(CategoryId(999));
        assert_eq!(create_product(&mut conn, BAYU, &gone).unwrap(), Err(AdminRefusal::CategoryGone));
        let mut free = new_product("FREE");
        free.price = 0;
        assert_eq!(create_product(&mut conn, BAYU, &free).unwrap(), Err(AdminRefusal::Invalid(InvalidField::Price)));
        assert_eq!(audit_count(&mut conn), audited);
        assert_eq!(list_products(&mut conn, ProductList::Active, PageRequest::new(0, 10)).unwrap().total, 1);

        // Edit one field against the version.
        let edited = edit_product(&mut conn, ANA, id, 1, &ProductChange::Price(35_000)).unwrap().unwrap();
        assert_eq!(edited.version, 2);
        let edited = edit_product(&mut conn, ANA, id, 2, &ProductChange::Name("Netflix 1 Bulan".into())).unwrap().unwrap();
        assert_eq!(edited.name, "Netflix 1 Bulan");
        edit_product(&mut conn, ANA, id, 3, &ProductChange::Category(None)).unwrap().unwrap();
        assert_eq!(
            edit_product(&mut conn, ANA, id, 4, &ProductChange::Description("d".repeat(3001))).unwrap(),
            Err(AdminRefusal::Invalid(InvalidField::Description))
        );
        let card = product(&mut conn, id).unwrap().unwrap();
        assert_eq!((card.price, card.name.as_str(), card.category, card.version), (35_000, "Netflix 1 Bulan", None, 4));
        let history = admin_audit_of(&mut conn, Some(&format!("product:{id}"))).unwrap();
        let actions: Vec<_> = history.iter().map(|r| r.action.unwrap()).collect();
        assert_eq!(actions, [AdminAction::ProductCreate, AdminAction::ProductEdit, AdminAction::ProductEdit, AdminAction::ProductEdit]);
        assert_eq!(history[1].before, serde_json::json!({"price": 30_000}));
        assert_eq!(history[1].after, serde_json::json!({"price": 35_000}));
        assert_eq!(history[1].seller, Some(ANA.0));

        // Archive (out of carts too) and restore.
        customer(&mut conn, 1);
        add_stock(&mut conn, &keys(), ANA, id, "a\nb").unwrap().unwrap();
        set_cart_quantity(&mut conn, 1, id.0, 1).unwrap();
        assert_eq!(archive_product(&mut conn, ANA, id, 4).unwrap(), Ok(5));
        assert_eq!(archive_product(&mut conn, ANA, id, 5).unwrap(), Err(AdminRefusal::Archived));
        assert!(autoorder_schema::queries::shop::carts::load_cart(&mut conn, 1).unwrap().lines.is_empty());
        assert_eq!(list_products(&mut conn, ProductList::Active, PageRequest::new(0, 10)).unwrap().total, 0);
        let archived = list_products(&mut conn, ProductList::Archived, PageRequest::new(0, 10)).unwrap();
        assert_eq!(archived.items[0].id, id);
        assert_eq!(archived.items[0].available, 2);
        assert_eq!(add_stock(&mut conn, &keys(), ANA, id, "c").unwrap(), Err(AdminRefusal::Archived));
        assert_eq!(restore_product(&mut conn, ANA, id, 5).unwrap(), Ok(6));
        assert_eq!(restore_product(&mut conn, ANA, id, 6).unwrap(), Err(AdminRefusal::NotArchived));

        // With an order it can only be archived; without, it is deleted with its stock.
        assert!(order(&mut conn, 2, id, 1).is_some());
        assert_eq!(delete_product(&mut conn, ANA, id, 6).unwrap(), Err(AdminRefusal::HasOrders { orders: 1 }));
        assert!(product(&mut conn, id).unwrap().is_some());
        let other = created(&mut conn, "SPOT");
        add_stock(&mut conn, &keys(), ANA, other, "x\ny\nz").unwrap().unwrap();
        set_cart_quantity(&mut conn, 1, other.0, 1).unwrap();
        let deleted = delete_product(&mut conn, ANA, other, 1).unwrap().unwrap();
        assert_eq!((deleted.stock_items, deleted.cart_lines), (3, 1));
        assert_eq!(product(&mut conn, other).unwrap(), None);
        let last = admin_audit_of(&mut conn, Some(&format!("product:{other}"))).unwrap();
        assert_eq!(last.last().unwrap().action, Some(AdminAction::ProductDelete));
        assert_eq!(last.last().unwrap().after, serde_json::Value::Null);
        assert_eq!(delete_product(&mut conn, ANA, other, 1).unwrap(), Err(AdminRefusal::NotFound));
    }
}

both_backends! {
    fn two_sellers_saving_the_same_product_the_later_is_refused(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let id = created(&mut conn, "NF");
        // Both opened the product at version 1.
        let ana = edit_product(&mut conn, ANA, id, 1, &ProductChange::Price(40_000)).unwrap();
        let bayu = edit_product(&mut conn, BAYU, id, 1, &ProductChange::Price(45_000)).unwrap();
        assert!(ana.is_ok());
        match bayu {
            Err(AdminRefusal::ChangedMeanwhile { current_version, last_writer }) => {
                assert_eq!(current_version, 2);
                assert_eq!(last_writer.unwrap().seller, Some(ANA.0), "the refusal says who saved first");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let card = product(&mut conn, id).unwrap().unwrap();
        assert_eq!(card.price, 40_000, "the later save changed nothing");
        // Archive, restore and delete check the version too.
        assert!(matches!(archive_product(&mut conn, BAYU, id, 1).unwrap(), Err(AdminRefusal::ChangedMeanwhile { .. })));
        assert!(matches!(delete_product(&mut conn, BAYU, id, 1).unwrap(), Err(AdminRefusal::ChangedMeanwhile { .. })));
        assert!(product(&mut conn, id).unwrap().is_some());
        // An SNK edit does not move the product's version, and vice versa.
        set_snk(&mut conn, BAYU, id, 1, Some("Syarat")).unwrap().unwrap();
        assert_eq!(version(&mut conn, id), 2);
        assert!(edit_product(&mut conn, BAYU, id, 2, &ProductChange::Price(45_000)).unwrap().is_ok());
        assert_eq!(snk_of(&mut conn, id).unwrap().unwrap().1, 2);
    }
}

/// Two sellers on two pools save the same product (and its SNK, and a template) at the same
/// instant, many times: exactly one save wins each round.
#[test]
fn simultaneous_saves_on_two_postgresql_pools_let_exactly_one_win() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    let id = created(&mut checkout(&pool_a).unwrap(), "NF");
    for round in 0..15i64 {
        let v = version(&mut checkout(&pool_a).unwrap(), id);
        let snk_v = snk_of(&mut checkout(&pool_a).unwrap(), id)
            .unwrap()
            .unwrap()
            .1;
        let tpl_v = template_for_edit(&mut checkout(&pool_a).unwrap(), TemplateKey::Welcome)
            .unwrap()
            .version;
        let barrier = std::sync::Barrier::new(2);
        let run = |pool: &Pool, seller: SellerId, price: i64| {
            let mut conn = checkout(pool).unwrap();
            barrier.wait();
            let p = edit_product(&mut conn, seller, id, v, &ProductChange::Price(price)).unwrap();
            let n = set_snk(&mut conn, seller, id, snk_v, Some(&format!("SNK {price}"))).unwrap();
            let t = save_template(
                &mut conn,
                seller,
                TemplateKey::Welcome,
                tpl_v,
                &Template {
                    body: format!("Halo {price}"),
                    photo: None,
                },
            )
            .unwrap();
            (p.is_ok(), n.is_ok(), t.is_ok())
        };
        let results: Vec<(bool, bool, bool)> = std::thread::scope(|s| {
            let a = s.spawn(|| run(&pool_a, ANA, 1_000 + round));
            let b = s.spawn(|| run(&pool_b, BAYU, 2_000 + round));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(
            results.iter().filter(|r| r.0).count(),
            1,
            "round {round}: product {results:?}"
        );
        assert_eq!(
            results.iter().filter(|r| r.1).count(),
            1,
            "round {round}: snk {results:?}"
        );
        assert_eq!(
            results.iter().filter(|r| r.2).count(),
            1,
            "round {round}: template {results:?}"
        );
    }
    let mut conn = checkout(&pool_a).unwrap();
    assert_eq!(version(&mut conn, id), 16, "one edit per round");
    let edits = admin_audit_of(&mut conn, Some(&format!("product:{id}"))).unwrap();
    assert_eq!(edits.len(), 16, "create + one audited edit per round");
}

both_backends! {
    fn categories_are_added_renamed_reordered_and_deleted_when_empty(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let a = add_category(&mut conn, ANA, "Streaming").unwrap().unwrap();
        let b = add_category(&mut conn, ANA, "Game").unwrap().unwrap();
        let c = add_category(&mut conn, ANA, "Musik").unwrap().unwrap();
        assert_eq!(add_category(&mut conn, ANA, "streaming").unwrap(), Err(AdminRefusal::NameTaken));
        assert_eq!(add_category(&mut conn, ANA, " ").unwrap(), Err(AdminRefusal::Invalid(InvalidField::CategoryName)));
        let names = |conn: &mut DbConnection| list_categories(conn).unwrap().into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(&mut conn), ["Streaming", "Game", "Musik"]);

        assert_eq!(move_category(&mut conn, ANA, c, Direction::Up).unwrap(), Ok(true));
        assert_eq!(names(&mut conn), ["Streaming", "Musik", "Game"]);
        assert_eq!(move_category(&mut conn, ANA, a, Direction::Up).unwrap(), Ok(false), "already first");
        assert_eq!(move_category(&mut conn, ANA, a, Direction::Down).unwrap(), Ok(true));
        assert_eq!(names(&mut conn), ["Musik", "Streaming", "Game"]);
        assert_eq!(move_category(&mut conn, ANA, CategoryId(999), Direction::Down).unwrap(), Err(AdminRefusal::NotFound));

        assert_eq!(rename_category(&mut conn, ANA, b, 1, "Games").unwrap(), Ok(2));
        assert!(matches!(rename_category(&mut conn, BAYU, b, 1, "Gim").unwrap(), Err(AdminRefusal::ChangedMeanwhile { current_version: 2, .. })));
        assert_eq!(rename_category(&mut conn, ANA, b, 2, "MUSIK").unwrap(), Err(AdminRefusal::NameTaken));
        assert_eq!(category(&mut conn, b).unwrap().unwrap().name, "Games");

        let mut draft = new_product("PS");
        draft.category = Some(b);
        let pid = create_product(&mut conn, ANA, &draft).unwrap().unwrap();
        archive_product(&mut conn, ANA, pid, 1).unwrap().unwrap();
        let info = category(&mut conn, b).unwrap().unwrap();
        assert_eq!((info.active_products, info.archived_products), (0, 1));
        assert_eq!(delete_category(&mut conn, ANA, b).unwrap(), Err(AdminRefusal::CategoryNotEmpty { products: 1 }));
        assert_eq!(delete_category(&mut conn, ANA, c).unwrap(), Ok(()));
        assert_eq!(delete_category(&mut conn, ANA, c).unwrap(), Err(AdminRefusal::NotFound));
        assert_eq!(names(&mut conn), ["Streaming", "Games"]);
        let actions: Vec<_> = admin_audit_of(&mut conn, None).unwrap().into_iter().filter_map(|r| r.action).collect();
        for action in [AdminAction::CategoryCreate, AdminAction::CategoryMove, AdminAction::CategoryRename, AdminAction::CategoryDelete] {
            assert!(actions.contains(&action), "{action:?} audited");
        }
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::CategoryMove).count(), 2, "no-op moves are not audited");
    }
}

both_backends! {
    fn stock_uploads_reject_duplicates_by_line_and_stay_encrypted(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let keys = keys();
        let netflix = created(&mut conn, "NF");
        let spotify = created(&mut conn, "SP");
        add_stock(&mut conn, &keys, ANA, spotify, "shared@mail.id:1\nsold@mail.id:2").unwrap().unwrap();
        assert!(order(&mut conn, 5, spotify, 2).is_some(), "both Spotify items reserved");

        let upload = "a@mail.id:1\n\nb@mail.id:2\na@mail.id:1\nshared@mail.id:1\n   \nsold@mail.id:2\nc@mail.id:3\n";
        let checked = check_stock(&mut conn, &keys, netflix, upload).unwrap().unwrap();
        assert_eq!(checked.added, [1, 3, 8]);
        assert_eq!(stock_counts(&mut conn, netflix).unwrap().available, 0, "a check writes nothing");

        let report = add_stock(&mut conn, &keys, ANA, netflix, upload).unwrap().unwrap();
        assert_eq!(report.added, [1, 3, 8]);
        assert_eq!(report.repeated.iter().map(|r| (r.line, r.first_line)).collect::<Vec<_>>(), [(4, 1)]);
        let stored: Vec<_> = report.in_store.iter().map(|d| (d.line, d.product_id, d.product_name.as_str(), d.state)).collect();
        assert_eq!(stored, [(5, spotify, "Produk SP", StockState::Reserved), (7, spotify, "Produk SP", StockState::Reserved)]);
        assert_eq!(report.empty, [2, 6]);
        assert_eq!((report.duplicates(), report.available_after), (3, 3));

        // The same upload again: everything is now a duplicate, nothing is added or audited.
        let audited = audit_count(&mut conn);
        let again = add_stock(&mut conn, &keys, ANA, netflix, upload).unwrap().unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.in_store.len(), 6);
        assert_eq!(audit_count(&mut conn), audited);

        // Encrypted at rest, bound to the row.
        let rows: Vec<(Vec<u8>, String)> = s::table
            .filter(s::product_id.eq(netflix.0))
            .select((s::content_enc, s::content_hash))
            .load(&mut conn)
            .unwrap();
        let mut contents: Vec<String> = rows
            .iter()
            .map(|(enc, hash)| {
                assert!(!enc.windows(4).any(|w| w == b"mail"), "no plain text stored");
                keys.decrypt_str(enc, &stock_aad(netflix.0, hash)).unwrap()
            })
            .collect();
        contents.sort();
        assert_eq!(contents, ["a@mail.id:1", "b@mail.id:2", "c@mail.id:3"]);

        // The audit row has counts, never contents.
        let audit = admin_audit_of(&mut conn, Some(&format!("stock:product:{netflix}"))).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].after["added"], 3);
        assert_eq!(audit[0].after["duplicates"], 3);
        assert!(!audit[0].after.to_string().contains("mail.id"));

        assert_eq!(add_stock(&mut conn, &keys, ANA, ProductId(999), "x").unwrap(), Err(AdminRefusal::NotFound));
    }
}

both_backends! {
    fn unsold_items_are_listed_masked_and_deleted_by_choice(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let keys = keys();
        let id = created(&mut conn, "NF");
        add_stock(&mut conn, &keys, ANA, id, &lines("akun", 12)).unwrap().unwrap();
        let first = list_unsold(&mut conn, &keys, id, PageRequest::new(0, 5)).unwrap();
        assert_eq!((first.total, first.pages, first.items.len()), (12, 3, 5));
        let preview = first.items[0].preview.clone().unwrap();
        assert!(preview.starts_with("akun-") && preview.ends_with("•••"), "{preview}");
        assert!(first.items.iter().all(|i| !i.preview.as_deref().unwrap().contains("rahasia")));
        let last = list_unsold(&mut conn, &keys, id, PageRequest::new(9, 5)).unwrap();
        assert_eq!((last.page, last.items.len()), (2, 2), "a page past the end shows the last one");

        // One of the chosen items gets reserved by a buyer first: it is skipped.
        let chosen: Vec<StockItemId> = first.items.iter().map(|i| i.id).collect();
        assert!(order(&mut conn, 7, id, 1).is_some(), "reserves the oldest item");
        let deleted = delete_stock(&mut conn, ANA, id, &chosen).unwrap().unwrap();
        assert_eq!((deleted.deleted, deleted.skipped, deleted.available_after), (4, 1, 7));
        assert_eq!(stock_counts(&mut conn, id).unwrap().reserved, 1, "the reserved item is still there");
        let audit = admin_audit_of(&mut conn, Some(&format!("stock:product:{id}"))).unwrap();
        assert_eq!(audit.last().unwrap().action, Some(AdminAction::StockDelete));
        assert_eq!(audit.last().unwrap().before["items"].as_array().unwrap().len(), 4);
        assert_eq!(delete_stock(&mut conn, ANA, id, &chosen).unwrap().unwrap().deleted, 0);
        assert_eq!(delete_stock(&mut conn, ANA, ProductId(999), &chosen).unwrap(), Err(AdminRefusal::NotFound));
    }
}

/// Two sellers on two pools upload the same lines to two different products at the same instant.
/// The unique index covers one product only; without the advisory lock both uploads pass the
/// duplicate check and the store ends up holding every line twice.
#[test]
fn simultaneous_uploads_on_two_postgresql_pools_never_store_a_line_twice() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    let keys = keys();
    let (one, two) = {
        let mut conn = checkout(&pool_a).unwrap();
        (created(&mut conn, "ONE"), created(&mut conn, "TWO"))
    };
    for round in 0..8 {
        let upload = lines(&format!("r{round}"), 150);
        let barrier = std::sync::Barrier::new(2);
        let run = |pool: &Pool, seller: SellerId, product: ProductId| {
            let mut conn = checkout(pool).unwrap();
            barrier.wait();
            add_stock(&mut conn, &keys, seller, product, &upload)
                .unwrap()
                .unwrap()
                .added
                .len()
        };
        let added: Vec<usize> = std::thread::scope(|s| {
            let a = s.spawn(|| run(&pool_a, ANA, one));
            let b = s.spawn(|| run(&pool_b, BAYU, two));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(
            added.iter().sum::<usize>(),
            150,
            "round {round}: each line stored once, got {added:?}"
        );
    }
    let mut conn = checkout(&pool_a).unwrap();
    let total: i64 = s::table.count().get_result(&mut conn).unwrap();
    assert_eq!(total, 8 * 150);
}

/// Buyers on one pool reserve items while a seller on another deletes every item the list
/// showed: an order never loses an item it reserved. Without the `state = 'available'` guard in
/// the DELETE, reserved items would be deleted from under their orders.
#[test]
fn deleting_stock_while_buyers_reserve_it_on_postgresql_never_takes_a_reserved_item() {
    let (db, _) = TestDatabase::migrated(Backend::Postgres);
    // Every buyer holds a connection while waiting at the barrier.
    let pool_a = open_pool(
        &db.target,
        &PoolOptions {
            max_size: 24,
            ..PoolOptions::default()
        },
    )
    .unwrap();
    let pool_b = db.pool();
    let keys = keys();
    let id = {
        let mut conn = checkout(&pool_a).unwrap();
        let id = created(&mut conn, "NF");
        add_stock(&mut conn, &keys, ANA, id, &lines("item", 40))
            .unwrap()
            .unwrap();
        for user in 100..120 {
            customer(&mut conn, user);
        }
        id
    };
    let shown: Vec<StockItemId> = list_unsold(
        &mut checkout(&pool_b).unwrap(),
        &keys,
        id,
        PageRequest::new(0, 100),
    )
    .unwrap()
    .items
    .into_iter()
    .map(|i| i.id)
    .collect();
    assert_eq!(shown.len(), 40);
    let barrier = std::sync::Barrier::new(21);
    let (orders, deletion) = std::thread::scope(|s| {
        let buyers: Vec<_> = (100..120)
            .map(|user| {
                let (pool, barrier) = (&pool_a, &barrier);
                s.spawn(move || {
                    let mut conn = checkout(pool).unwrap();
                    set_cart_quantity(&mut conn, user, id.0, 2).unwrap();
                    barrier.wait();
                    place_order(&mut conn, user, PayMethod::Qris, 0)
                        .unwrap()
                        .ok()
                        .map(|o| o.order_id)
                })
            })
            .collect();
        let seller = s.spawn(|| {
            let mut conn = checkout(&pool_b).unwrap();
            barrier.wait();
            // Delete once some buyers hold items and others are still on their way, so the
            // deletion meets both committed and in-flight reservations.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while stock_counts(&mut conn, id).unwrap().reserved < 6 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "buyers never reserved"
                );
                std::thread::yield_now();
            }
            delete_stock(&mut conn, ANA, id, &shown).unwrap().unwrap()
        });
        let orders: Vec<i64> = buyers
            .into_iter()
            .filter_map(|b| b.join().unwrap())
            .collect();
        (orders, seller.join().unwrap())
    });
    let mut conn = checkout(&pool_a).unwrap();
    for order_id in &orders {
        let held: i64 = s::table
            .filter(s::order_id.eq(order_id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(held, 2, "order {order_id} keeps both reserved items");
    }
    let counts = stock_counts(&mut conn, id).unwrap();
    assert_eq!(counts.reserved, 2 * orders.len() as i64);
    assert_eq!(
        deletion.deleted + 2 * orders.len(),
        40,
        "every item was either deleted or reserved"
    );
    assert_eq!(counts.available, 0);
    assert!(
        deletion.skipped >= 6,
        "reserved items were chosen and skipped: {deletion:?}"
    );
}

both_backends! {
    fn snk_is_set_and_cleared_with_before_and_after(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let id = created(&mut conn, "NF");
        let set = set_snk(&mut conn, ANA, id, 1, Some("  Kirim screenshot.  ")).unwrap().unwrap();
        assert_eq!((set.before, set.after.as_deref(), set.version, set.changed), (None, Some("Kirim screenshot."), 2, true));
        let same = set_snk(&mut conn, ANA, id, 2, Some("Kirim screenshot.")).unwrap().unwrap();
        assert!(!same.changed);
        assert!(matches!(set_snk(&mut conn, BAYU, id, 1, None).unwrap(), Err(AdminRefusal::ChangedMeanwhile { current_version: 2, .. })));
        assert_eq!(set_snk(&mut conn, ANA, id, 2, Some(&"s".repeat(3001))).unwrap(), Err(AdminRefusal::Invalid(InvalidField::Snk)));
        let cleared = set_snk(&mut conn, BAYU, id, 2, Some("   ")).unwrap().unwrap();
        assert_eq!((cleared.before.as_deref(), cleared.after, cleared.changed), (Some("Kirim screenshot."), None, true));
        assert_eq!(snk_of(&mut conn, id).unwrap(), Some((None, 3)));
        let audit = admin_audit_of(&mut conn, Some(&format!("snk:product:{id}"))).unwrap();
        assert_eq!(audit.iter().map(|r| r.action.unwrap()).collect::<Vec<_>>(), [AdminAction::SnkSet, AdminAction::SnkClear]);
        assert_eq!(audit[1].seller, Some(BAYU.0));
        assert_eq!(audit[1].before["snk"], "Kirim screenshot.");
        assert!(audit[1].after["snk"].is_null());
        assert_eq!(set_snk(&mut conn, ANA, ProductId(999), 1, None).unwrap(), Err(AdminRefusal::NotFound));
    }
}

both_backends! {
    fn vouchers_are_created_listed_and_switched_and_work_at_once(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let now = now_ms();
        let hemat = NewVoucher {
            code: "hemat10".into(),
            kind: VoucherKind::Percent,
            value: 10,
            max_uses: Some(5),
            valid_from: None,
            valid_until: None,
        };
        let id = create_voucher(&mut conn, ANA, &hemat).unwrap().unwrap();
        assert_eq!(quote_voucher(&mut conn, "HEMAT10", 50_000).unwrap().unwrap().discount, 5_000);
        assert_eq!(create_voucher(&mut conn, ANA, &hemat).unwrap(), Err(AdminRefusal::CodeTaken));
        let bad = |f: &dyn Fn(&mut NewVoucher)| {
            let mut v = NewVoucher { code: "X1".into(), ..hemat.clone() };
            f(&mut v);
            v
        };
        for (voucher, field) in [
            (bad(&|v| v.value = 101), InvalidField::VoucherValue),
            (bad(&|v| { v.kind = VoucherKind::Flat; v.value = 0 }), InvalidField::VoucherValue),
            (bad(&|v| v.max_uses = Some(0)), InvalidField::MaxUses),
            (bad(&|v| v.valid_until = Some(now - 1)), InvalidField::VoucherWindow),
            (bad(&|v| { v.valid_from = Some(now + 10_000); v.valid_until = Some(now + 5_000) }), InvalidField::VoucherWindow),
            (bad(&|v| v.code = "A B".into()), InvalidField::Code),
        ] {
            assert_eq!(create_voucher(&mut conn, ANA, &voucher).unwrap(), Err(AdminRefusal::Invalid(field)));
        }
        let later = NewVoucher {
            code: "LATER".into(),
            kind: VoucherKind::Flat,
            value: 5_000,
            max_uses: None,
            valid_from: Some(now + 86_400_000),
            valid_until: Some(now + 2 * 86_400_000),
        };
        create_voucher(&mut conn, ANA, &later).unwrap().unwrap();
        let page = list_vouchers(&mut conn, PageRequest::new(0, 10)).unwrap();
        let listed: Vec<_> = page.items.iter().map(|v| (v.code.as_str(), v.status, v.used, v.max_uses)).collect();
        assert_eq!(listed, [("LATER", VoucherStatus::Scheduled, 0, None), ("HEMAT10", VoucherStatus::Active, 0, Some(5))]);

        assert_eq!(set_voucher_active(&mut conn, BAYU, id, false).unwrap(), Ok(true));
        assert_eq!(set_voucher_active(&mut conn, BAYU, id, false).unwrap(), Ok(false));
        assert_eq!(voucher(&mut conn, id).unwrap().unwrap().status, VoucherStatus::Inactive);
        assert_eq!(quote_voucher(&mut conn, "HEMAT10", 50_000).unwrap(), Err(VoucherProblem::Inactive));
        assert_eq!(set_voucher_active(&mut conn, ANA, id, true).unwrap(), Ok(true));
        assert!(quote_voucher(&mut conn, "hemat10", 50_000).unwrap().is_ok());
        let actions: Vec<_> = admin_audit_of(&mut conn, Some(&format!("voucher:{id}"))).unwrap().into_iter().map(|r| r.action.unwrap()).collect();
        assert_eq!(actions, [AdminAction::VoucherCreate, AdminAction::VoucherDeactivate, AdminAction::VoucherReactivate]);
        assert_eq!(set_voucher_active(&mut conn, ANA, autoorder_schema::queries::admin::VoucherId(999), true).unwrap(), Err(AdminRefusal::NotFound));
    }
}

both_backends! {
    fn templates_save_reset_and_refuse_stale_edits(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let fresh = template_for_edit(&mut conn, TemplateKey::Welcome).unwrap();
        assert_eq!((fresh.current, fresh.version), (None, 0));
        let hello = Template { body: "Halo {nama}!".into(), photo: None };
        assert_eq!(save_template(&mut conn, ANA, TemplateKey::Welcome, 0, &hello).unwrap(), Ok(1));
        assert_eq!(get_template(&mut conn, "welcome").unwrap(), Some(hello.clone()));
        assert!(matches!(
            save_template(&mut conn, BAYU, TemplateKey::Welcome, 0, &hello).unwrap(),
            Err(AdminRefusal::ChangedMeanwhile { current_version: 1, last_writer: Some(w) }) if w.seller == Some(ANA.0)
        ));
        // A photo only for Cara Order, within a caption's length; text never empty.
        let photo = Template { body: "Lihat gambar".into(), photo: Some("AgACphoto".into()) };
        assert_eq!(save_template(&mut conn, ANA, TemplateKey::Welcome, 1, &photo).unwrap(), Err(AdminRefusal::Invalid(InvalidField::TemplateBody)));
        assert_eq!(save_template(&mut conn, ANA, TemplateKey::HowToOrder, 0, &photo).unwrap(), Ok(1));
        let long_caption = Template { body: "c".repeat(901), photo: Some("AgACphoto".into()) };
        assert_eq!(save_template(&mut conn, ANA, TemplateKey::HowToOrder, 1, &long_caption).unwrap(), Err(AdminRefusal::Invalid(InvalidField::TemplateBody)));
        let empty = Template { body: " ".into(), photo: None };
        assert_eq!(save_template(&mut conn, ANA, TemplateKey::PaymentSuccess, 0, &empty).unwrap(), Err(AdminRefusal::Invalid(InvalidField::TemplateBody)));

        // Reset: back to the built-in text, and an edit begun before it is refused.
        assert_eq!(reset_template(&mut conn, BAYU, TemplateKey::Welcome, 1).unwrap(), Ok(2));
        assert_eq!(get_template(&mut conn, "welcome").unwrap(), None);
        assert_eq!(template_for_edit(&mut conn, TemplateKey::Welcome).unwrap().current, None);
        assert!(matches!(save_template(&mut conn, ANA, TemplateKey::Welcome, 1, &hello).unwrap(), Err(AdminRefusal::ChangedMeanwhile { current_version: 2, .. })));
        assert_eq!(reset_template(&mut conn, BAYU, TemplateKey::Welcome, 2).unwrap(), Ok(2), "already the default");
        // Another writer (the legacy import) moves the version too.
        set_template(&mut conn, "welcome", &hello, None).unwrap();
        assert_eq!(template_for_edit(&mut conn, TemplateKey::Welcome).unwrap().version, 3);
        let audit: Vec<_> = admin_audit_of(&mut conn, Some("template:welcome")).unwrap();
        assert_eq!(audit.iter().map(|r| r.action.unwrap()).collect::<Vec<_>>(), [AdminAction::TemplateSave, AdminAction::TemplateReset]);
        assert_eq!(audit[1].before["body"], "Halo {nama}!");
        assert!(audit[1].after.is_null());
    }
}

both_backends! {
    fn wizards_survive_reconnects_expire_and_keep_payloads_sealed(backend) {
        let (db, pool) = TestDatabase::migrated(backend);
        let keys = keys();
        let now = now_ms();
        {
            let mut conn = checkout(&pool).unwrap();
            let sealed = seal_wizard_payload(&keys, ANA, b"line 1\nline 2");
            save_wizard(&mut conn, ANA, r#"{"flow":"stock"}"#, Some(&sealed), now).unwrap();
            save_wizard(&mut conn, BAYU, r#"{"flow":"product"}"#, None, now).unwrap();
        }
        drop(pool);
        // A new pool, as after a restart.
        let pool = db.pool();
        let mut conn = checkout(&pool).unwrap();
        let ana = load_wizard(&mut conn, ANA, now + 1).unwrap().unwrap();
        assert_eq!(ana.state, r#"{"flow":"stock"}"#);
        assert_eq!(ana.expires_at, now + WIZARD_TTL_MS);
        let payload = ana.payload.unwrap();
        assert!(!payload.windows(4).any(|w| w == b"line"), "sealed at rest");
        assert_eq!(open_wizard_payload(&keys, ANA, &payload).unwrap(), b"line 1\nline 2");
        assert!(open_wizard_payload(&keys, BAYU, &payload).is_err(), "bound to its seller");

        // One wizard per seller: a new one replaces it, and each step extends it.
        save_wizard(&mut conn, ANA, r#"{"flow":"voucher"}"#, None, now + 1_000).unwrap();
        let ana = load_wizard(&mut conn, ANA, now + 2_000).unwrap().unwrap();
        assert_eq!((ana.state.as_str(), ana.payload, ana.expires_at), (r#"{"flow":"voucher"}"#, None, now + 1_000 + WIZARD_TTL_MS));
        assert_eq!(load_wizard(&mut conn, ANA, now + 1_000 + WIZARD_TTL_MS).unwrap(), None, "lapsed");
        assert_eq!(purge_expired_wizards(&mut conn, now + 1_000 + WIZARD_TTL_MS).unwrap(), 2);
        assert!(!clear_wizard(&mut conn, ANA).unwrap());
        save_wizard(&mut conn, ANA, "{}", None, now).unwrap();
        assert!(clear_wizard(&mut conn, ANA).unwrap());
        assert_eq!(load_wizard(&mut conn, ANA, now).unwrap(), None);

        assert!(!buyer_mode(&mut conn, ANA).unwrap());
        assert!(set_buyer_mode(&mut conn, ANA, true).unwrap());
        assert!(!set_buyer_mode(&mut conn, ANA, true).unwrap());
        assert!(buyer_mode(&mut conn, ANA).unwrap());
        assert!(!buyer_mode(&mut conn, BAYU).unwrap());
        let audit = admin_audit_of(&mut conn, Some("seller:9001")).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, Some(AdminAction::BuyerMode));
    }
}

both_backends! {
    fn the_summary_counts_users_todays_orders_and_low_stock(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let keys = keys();
        let full = created(&mut conn, "FULL");
        add_stock(&mut conn, &keys, ANA, full, &lines("f", 10)).unwrap().unwrap();
        let low = created(&mut conn, "LOW");
        add_stock(&mut conn, &keys, ANA, low, &lines("l", 3)).unwrap().unwrap();
        let empty = created(&mut conn, "EMPTY");
        let archived = created(&mut conn, "OLD");
        archive_product(&mut conn, ANA, archived, 1).unwrap().unwrap();
        customer(&mut conn, 1);
        customer(&mut conn, 2);
        let today = now_ms() - 1_000;
        let summary = admin_summary(&mut conn, today, 3).unwrap();
        assert_eq!((summary.users, summary.orders_today, summary.low_stock), (2, 0, 2));
        let listed: Vec<_> = low_stock_products(&mut conn, 3).unwrap().into_iter().map(|l| (l.id, l.available)).collect();
        assert_eq!(listed, [(empty, 0), (low, 3)]);
        // A paid order today counts; a pending one does not.
        conn.batch_execute(&format!(
            "INSERT INTO orders (invoice_no, user_id, status, payment_method, subtotal, total, created_at, paid_at) \
             VALUES ('INV-1', 1, 'paid', 'balance', 1, 1, {t}, {t}), ('INV-2', 2, 'pending', 'qris', 1, 1, {t}, NULL), \
             ('INV-3', 2, 'delivered', 'qris', 1, 1, {y}, {y})",
            t = today + 10,
            y = today - 86_400_000,
        ))
        .unwrap();
        assert_eq!(admin_summary(&mut conn, today, 3).unwrap().orders_today, 1);
    }
}
