//! Diesel table definitions, shared by both backends.
//!
//! The migrations in `migrations/postgres` and `migrations/sqlite` create the same columns with
//! portable types: BIGINT epoch milliseconds for times, BIGINT Rupiah for money, TEXT for
//! JSON, BYTEA/BLOB for ciphertext. That is what lets one definition serve both.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Nullable<Text>,
        first_name -> Text,
        display_name -> Nullable<Text>,
        whatsapp_enc -> Nullable<Binary>,
        language -> Text,
        balance -> BigInt,
        is_blocked -> Bool,
        is_verified -> Bool,
        unreachable_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_seen_at -> BigInt,
        blocked_reason -> Nullable<Text>,
        blocked_at -> Nullable<BigInt>,
        blocked_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        name -> Text,
        sort_order -> Integer,
        created_at -> BigInt,
        /// Optimistic version: bumped by every admin edit (rename).
        version -> BigInt,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        price -> BigInt,
        category_id -> Nullable<BigInt>,
        snk -> Nullable<Text>,
        is_active -> Bool,
        archived_at -> Nullable<BigInt>,
        sold_count -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        /// Optimistic version of the product's fields (not its SNK): bumped by every admin edit.
        version -> BigInt,
        /// Optimistic version of `snk` alone, so SNK and field edits never refuse each other.
        snk_version -> BigInt,
    }
}

diesel::table! {
    vouchers (id) {
        id -> BigInt,
        code -> Text,
        kind -> Text,
        value -> BigInt,
        max_uses -> Nullable<Integer>,
        used_count -> Integer,
        valid_from -> Nullable<BigInt>,
        valid_until -> Nullable<BigInt>,
        is_active -> Bool,
        created_at -> BigInt,
        reserved_count -> Integer,
        imported_uses -> Integer,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        invoice_no -> Text,
        user_id -> BigInt,
        status -> Text,
        payment_method -> Text,
        subtotal -> BigInt,
        discount -> BigInt,
        fee -> BigInt,
        total -> BigInt,
        voucher_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        paid_at -> Nullable<BigInt>,
        delivered_at -> Nullable<BigInt>,
        closed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_items (id) {
        id -> BigInt,
        order_id -> BigInt,
        product_id -> BigInt,
        product_name -> Text,
        unit_price -> BigInt,
        quantity -> Integer,
    }
}

diesel::table! {
    stock_items (id) {
        id -> BigInt,
        product_id -> BigInt,
        content_enc -> Binary,
        content_hash -> Text,
        state -> Text,
        order_id -> Nullable<BigInt>,
        created_at -> BigInt,
        reserved_at -> Nullable<BigInt>,
        sold_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    carts (user_id) {
        user_id -> BigInt,
        voucher_code -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    cart_items (user_id, product_id) {
        user_id -> BigInt,
        product_id -> BigInt,
        quantity -> Integer,
        added_at -> BigInt,
    }
}

diesel::table! {
    deposits (id) {
        id -> BigInt,
        user_id -> BigInt,
        amount -> BigInt,
        status -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        completed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    payments (id) {
        id -> BigInt,
        gateway_order_id -> Text,
        purpose -> Text,
        order_id -> Nullable<BigInt>,
        deposit_id -> Nullable<BigInt>,
        method -> Text,
        amount -> BigInt,
        fee -> Nullable<BigInt>,
        total_payment -> Nullable<BigInt>,
        payment_number -> Nullable<Text>,
        status -> Text,
        attempt -> Integer,
        expires_at -> Nullable<BigInt>,
        completed_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    payment_checks (payment_id) {
        payment_id -> BigInt,
        review_reason -> Nullable<Text>,
        flagged_at -> Nullable<BigInt>,
        checked_at -> Nullable<BigInt>,
        checks -> Integer,
    }
}

diesel::table! {
    invoice_messages (payment_id) {
        payment_id -> BigInt,
        chat_id -> BigInt,
        message_id -> BigInt,
    }
}

diesel::table! {
    spam_buckets (user_id) {
        user_id -> BigInt,
        tokens_milli -> BigInt,
        refilled_at -> BigInt,
        warned_at -> Nullable<BigInt>,
        sellers_told_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    chat_claims (chat_id) {
        chat_id -> BigInt,
        worker -> Text,
        locked_until -> BigInt,
        claimed_at -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        chat_id -> BigInt,
        lane -> SmallInt,
        payload -> Text,
        update_id -> Nullable<BigInt>,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        expires_at -> BigInt,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    balance_ledger (id) {
        id -> BigInt,
        user_id -> BigInt,
        delta -> BigInt,
        balance_after -> BigInt,
        reason -> Text,
        reference -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        unique_key -> Nullable<Text>,
        state -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> BigInt,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    inbound_updates (update_id) {
        update_id -> BigInt,
        chat_id -> Nullable<BigInt>,
        payload -> Text,
        source -> Text,
        status -> Text,
        attempts -> Integer,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        received_at -> BigInt,
        processed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Text,
        acquired_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_kind -> Text,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Nullable<Text>,
        details -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    templates (key) {
        key -> Text,
        body -> Text,
        photo -> Nullable<Text>,
        updated_by -> Nullable<BigInt>,
        updated_at -> BigInt,
        /// Optimistic version: bumped by every save and reset.
        version -> BigInt,
    }
}

diesel::table! {
    conversation_states (user_id) {
        user_id -> BigInt,
        state -> Text,
        expires_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    broadcasts (id) {
        id -> BigInt,
        text -> Text,
        photo -> Nullable<Binary>,
        photo_name -> Nullable<Text>,
        photo_file_id -> Nullable<Text>,
        state -> Text,
        created_by -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        audience -> Text,
        copy_from_chat_id -> Nullable<BigInt>,
        copy_message_id -> Nullable<BigInt>,
        progress_chat_id -> Nullable<BigInt>,
        progress_message_id -> Nullable<BigInt>,
        progress_edited_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    broadcast_recipients (broadcast_id, user_id) {
        broadcast_id -> BigInt,
        user_id -> BigInt,
        status -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    snk_answers (id) {
        id -> BigInt,
        order_ref -> Text,
        product_id -> BigInt,
        user_id -> BigInt,
        answer_enc -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Which row of the old Python bot became which of ours (`autoorder import-legacy`).
    legacy_ids (kind, legacy_id) {
        kind -> Text,
        legacy_id -> Text,
        new_id -> Nullable<BigInt>,
        voucher_uses -> Nullable<Integer>,
        imported_at -> BigInt,
    }
}

diesel::table! {
    /// One active admin wizard per seller (see `queries::admin::wizards`).
    admin_wizards (seller_id) {
        seller_id -> BigInt,
        state -> Text,
        payload_enc -> Nullable<Binary>,
        expires_at -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Per-seller switches (Mode Pembeli).
    seller_prefs (seller_id) {
        seller_id -> BigInt,
        buyer_mode -> Bool,
        updated_at -> BigInt,
    }
}

diesel::joinable!(products -> categories (category_id));
diesel::joinable!(broadcast_recipients -> broadcasts (broadcast_id));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_items -> products (product_id));
diesel::joinable!(stock_items -> products (product_id));
diesel::joinable!(orders -> users (user_id));
diesel::joinable!(cart_items -> products (product_id));
diesel::joinable!(payments -> orders (order_id));
diesel::joinable!(payments -> deposits (deposit_id));
diesel::joinable!(payment_checks -> payments (payment_id));
diesel::joinable!(broadcast_recipients -> users (user_id));
diesel::joinable!(orders -> vouchers (voucher_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    categories,
    products,
    vouchers,
    orders,
    order_items,
    stock_items,
    carts,
    cart_items,
    deposits,
    payments,
    balance_ledger,
    jobs,
    inbound_updates,
    leases,
    audit_log,
    settings,
    templates,
    conversation_states,
    broadcasts,
    broadcast_recipients,
    snk_answers,
    spam_buckets,
    invoice_messages,
    chat_claims,
    outbox,
    legacy_ids,
    payment_checks,
    admin_wizards,
    seller_prefs,
);

/// Every table, in an order that respects foreign keys (parents first). Backups count rows
/// per table and drills compare them, so the list lives next to the definitions.
pub const ALL_TABLES: [&str; 30] = [
    "users",
    "categories",
    "products",
    "vouchers",
    "orders",
    "order_items",
    "stock_items",
    "carts",
    "cart_items",
    "deposits",
    "payments",
    "balance_ledger",
    "jobs",
    "inbound_updates",
    "leases",
    "audit_log",
    "settings",
    "templates",
    "conversation_states",
    "broadcasts",
    "broadcast_recipients",
    "snk_answers",
    "spam_buckets",
    "invoice_messages",
    "chat_claims",
    "outbox",
    "legacy_ids",
    "payment_checks",
    "admin_wizards",
    "seller_prefs",
];
