//! At-rest field encryption: what a stolen dump, a copied ciphertext, a lost key or a rotation
//! does to encrypted values.

use autoorder_schema::crypto::{CryptoError, DataKeys};
use autoorder_schema::secret::Secret;

const ROW: &[u8] = b"stock_items:42";

fn key(seed: u8) -> [u8; 32] {
    // Distinct, recognisable but not constant bytes, so a leak would be found by the searches.
    std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7))
}

fn ring(keys: &[(&str, [u8; 32])]) -> DataKeys {
    DataKeys::new(
        keys.iter()
            .map(|(id, k)| (id.to_string(), Secret::new(*k)))
            .collect(),
    )
    .unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn round_trip_bytes_and_text() {
    let keys = ring(&[("k1", key(1))]);
    let plain = b"voucher: ABCD-EFGH-1234\x00\xff";
    let blob = keys.encrypt(plain, ROW);
    assert_eq!(keys.decrypt(&blob, ROW).unwrap(), plain);
    assert_eq!(DataKeys::key_id_of(&blob).unwrap(), "k1");
    assert_eq!(keys.current_id(), "k1");

    let text = "akun: user@example.com / pässwörd ✓";
    let blob = keys.encrypt_str(text, b"snk_answers:order=7:product=3");
    assert_eq!(
        keys.decrypt_str(&blob, b"snk_answers:order=7:product=3")
            .unwrap(),
        text
    );

    // Empty values round-trip too.
    let blob = keys.encrypt(b"", ROW);
    assert_eq!(keys.decrypt(&blob, ROW).unwrap(), b"");
}

#[test]
fn blob_layout_is_self_describing() {
    let keys = ring(&[("key-2026_a", key(1))]);
    let blob = keys.encrypt(b"hello", ROW);
    assert_eq!(blob[0], 1, "version byte");
    assert_eq!(blob[1] as usize, "key-2026_a".len());
    assert_eq!(&blob[2..12], b"key-2026_a");
    assert_eq!(blob.len(), 2 + 10 + 24 + 5 + 16);
}

#[test]
fn same_plaintext_encrypts_differently_and_is_not_visible() {
    let keys = ring(&[("k1", key(1))]);
    let plain = b"62812345678 the whatsapp number of a customer";
    let a = keys.encrypt(plain, ROW);
    let b = keys.encrypt(plain, ROW);
    assert_ne!(a, b, "a random nonce makes every encryption different");
    assert_ne!(a[12..36], b[12..36], "nonces differ");
    for blob in [&a, &b] {
        assert!(!contains(blob, plain));
        assert!(!contains(blob, b"62812345678"));
        assert!(!contains(blob, b"whatsapp"));
    }
    assert_eq!(keys.decrypt(&a, ROW).unwrap(), plain);
    assert_eq!(keys.decrypt(&b, ROW).unwrap(), plain);
}

#[test]
fn ciphertext_moved_to_another_row_does_not_decrypt() {
    let keys = ring(&[("k1", key(1))]);
    let blob = keys.encrypt_str("secret stock", b"stock_items:42");
    assert!(matches!(
        keys.decrypt(&blob, b"stock_items:43"),
        Err(CryptoError::Tampered)
    ));
    assert!(matches!(
        keys.decrypt_str(&blob, b""),
        Err(CryptoError::Tampered)
    ));
    assert!(matches!(
        keys.decrypt(&blob, b"snk_answers:42"),
        Err(CryptoError::Tampered)
    ));
    assert_eq!(
        keys.decrypt_str(&blob, b"stock_items:42").unwrap(),
        "secret stock"
    );
}

#[test]
fn every_flipped_byte_is_detected() {
    // Flipping the low bit of "k1" gives "k0", which is in the ring too: the loop then also
    // covers an id rewritten to another existing key.
    let keys = ring(&[("k1", key(1)), ("k0", key(0))]);
    let blob = keys.encrypt(b"abc", ROW);
    for pos in 0..blob.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = blob.clone();
            bad[pos] ^= bit;
            let result = keys.decrypt(&bad, ROW);
            assert!(
                result.is_err(),
                "flipping bit {bit:#x} of byte {pos} went unnoticed"
            );
        }
    }
    // Rewriting the id "k1" into "k0", a key in the ring, is caught because the key is wrong.
    let mut other = blob.clone();
    other[3] = b'0';
    assert!(matches!(
        keys.decrypt(&other, ROW),
        Err(CryptoError::Tampered)
    ));
    // The unmodified blob still decrypts, so the errors above are due to the flips.
    assert_eq!(keys.decrypt(&blob, ROW).unwrap(), b"abc");
}

#[test]
fn truncated_blob_is_malformed() {
    let keys = ring(&[("k1", key(1))]);
    let blob = keys.encrypt(b"", ROW);
    assert_eq!(blob.len(), 2 + 2 + 24 + 16);
    for len in 0..blob.len() {
        let cut = &blob[..len];
        assert!(
            matches!(keys.decrypt(cut, ROW), Err(CryptoError::Malformed(_))),
            "a blob cut to {len} bytes must be malformed"
        );
        assert!(matches!(
            DataKeys::key_id_of(cut),
            Err(CryptoError::Malformed(_))
        ));
    }
    // A longer value cut inside its ciphertext still has a full frame: authentication fails.
    let blob = keys.encrypt(b"abcdef", ROW);
    assert!(matches!(
        keys.decrypt(&blob[..blob.len() - 1], ROW),
        Err(CryptoError::Tampered)
    ));
    // Not a blob at all: unknown version, bad id.
    let mut bad = blob.clone();
    bad[0] = 2;
    assert!(matches!(
        keys.decrypt(&bad, ROW),
        Err(CryptoError::Malformed("unknown version"))
    ));
    let mut bad = blob.clone();
    bad[2] = b'!';
    assert!(matches!(
        DataKeys::key_id_of(&bad),
        Err(CryptoError::Malformed(_))
    ));
    let mut bad = blob.clone();
    bad[1] = 0;
    assert!(matches!(
        keys.decrypt(&bad, ROW),
        Err(CryptoError::Malformed(_))
    ));
}

#[test]
fn value_written_with_a_key_not_in_the_ring_names_the_key() {
    let writer = ring(&[("old-2025", key(1))]);
    let reader = ring(&[("new-2026", key(2))]);
    let blob = writer.encrypt_str("the plaintext", ROW);
    let err = reader.decrypt(&blob, ROW).unwrap_err();
    match &err {
        CryptoError::UnknownKey(id) => assert_eq!(id, "old-2025"),
        other => panic!("expected UnknownKey, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("old-2025"), "{message}");
    assert!(!message.contains("the plaintext"), "{message}");
}

#[test]
fn same_id_with_a_different_key_is_tampered() {
    let writer = ring(&[("k1", key(1))]);
    let reader = ring(&[("k1", key(2))]);
    let blob = writer.encrypt(b"abc", ROW);
    assert!(matches!(
        reader.decrypt(&blob, ROW),
        Err(CryptoError::Tampered)
    ));
}

#[test]
fn rotation_moves_values_to_the_new_key() {
    let (k1, k2) = (key(1), key(2));
    let before = ring(&[("k1", k1)]);
    let blob = before.encrypt_str("stock line", ROW);
    assert_eq!(DataKeys::key_id_of(&blob).unwrap(), "k1");

    // New key first: it encrypts, the old one still decrypts.
    let during = ring(&[("k2", k2), ("k1", k1)]);
    assert_eq!(during.current_id(), "k2");
    assert_eq!(during.decrypt_str(&blob, ROW).unwrap(), "stock line");
    assert_eq!(
        DataKeys::key_id_of(&during.encrypt(b"x", ROW)).unwrap(),
        "k2"
    );

    let rotated = during.reencrypt(&blob, ROW).unwrap();
    assert_eq!(DataKeys::key_id_of(&rotated).unwrap(), "k2");

    // The old key can now be dropped.
    let after = ring(&[("k2", k2)]);
    assert_eq!(after.decrypt_str(&rotated, ROW).unwrap(), "stock line");
    assert!(matches!(
        after.decrypt(&blob, ROW),
        Err(CryptoError::UnknownKey(id)) if id == "k1"
    ));
    // Re-encryption keeps the row binding.
    assert!(matches!(
        during.reencrypt(&blob, b"stock_items:43"),
        Err(CryptoError::Tampered)
    ));
}

#[test]
fn content_hash_is_keyed_and_deterministic() {
    let keys = ring(&[("k1", key(1))]);
    let h = keys.content_hash(b"ABCD-EFGH-1234");
    assert_eq!(h.len(), 64);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(h, keys.content_hash(b"ABCD-EFGH-1234"));
    assert_ne!(h, keys.content_hash(b"ABCD-EFGH-1235"));
    assert_ne!(h, keys.content_hash(b""));

    // Same key under another id: same hash (the id does not matter, the key does).
    assert_eq!(
        h,
        ring(&[("other", key(1))]).content_hash(b"ABCD-EFGH-1234")
    );
    // Another key: another hash, so without the key nothing can be checked against it.
    assert_ne!(h, ring(&[("k1", key(2))]).content_hash(b"ABCD-EFGH-1234"));
    // Only the current key hashes: rotation changes hashes.
    assert_ne!(
        h,
        ring(&[("k2", key(2)), ("k1", key(1))]).content_hash(b"ABCD-EFGH-1234")
    );
    // It is not a plain (unkeyed) BLAKE3 hash, and not keyed directly with the raw key.
    assert_ne!(h, blake3::hash(b"ABCD-EFGH-1234").to_hex().to_string());
    assert_ne!(
        h,
        blake3::keyed_hash(&key(1), b"ABCD-EFGH-1234")
            .to_hex()
            .to_string()
    );
    // It is the documented derivation.
    let derived = blake3::derive_key("autoorder 2026 content hash", &key(1));
    assert_eq!(
        h,
        blake3::keyed_hash(&derived, b"ABCD-EFGH-1234")
            .to_hex()
            .to_string()
    );
}

#[test]
fn debug_never_shows_key_bytes() {
    let k1 = DataKeys::generate_key();
    let k2 = DataKeys::generate_key();
    let keys = ring(&[("k1", k1), ("k2", k2)]);
    let derived = blake3::derive_key("autoorder 2026 content hash", &k1);
    for shown in [format!("{keys:?}"), format!("{keys:#?}")] {
        assert!(shown.contains("k1") && shown.contains("k2"), "{shown}");
        for k in [k1, k2, derived] {
            let lower: String = k.iter().map(|b| format!("{b:02x}")).collect();
            let upper: String = k.iter().map(|b| format!("{b:02X}")).collect();
            let array = format!("{k:?}");
            let pretty = format!("{k:#?}");
            // Also a shorter run of the array form, in case only part is printed.
            let partial = format!("{:?}", &k[..8]);
            let partial = partial.trim_end_matches(']');
            for needle in [&lower[..16], &upper[..16], &array, &pretty, partial] {
                assert!(!shown.contains(needle), "{shown} contains {needle}");
            }
        }
    }
}

#[test]
fn generated_keys_are_random_and_usable() {
    let a = DataKeys::generate_key();
    let b = DataKeys::generate_key();
    assert_ne!(a, b);
    assert_ne!(a, [0; 32]);
    let keys = ring(&[("gen", a)]);
    let blob = keys.encrypt(b"x", ROW);
    assert_eq!(keys.decrypt(&blob, ROW).unwrap(), b"x");
}

#[test]
fn constructor_rejects_bad_rings() {
    assert!(matches!(DataKeys::new(vec![]), Err(CryptoError::NoKeys)));

    let dup = DataKeys::new(vec![
        ("k1".into(), Secret::new(key(1))),
        ("k2".into(), Secret::new(key(2))),
        ("k1".into(), Secret::new(key(3))),
    ]);
    assert!(matches!(dup, Err(CryptoError::DuplicateKeyId(id)) if id == "k1"));

    let too_long = "a".repeat(17);
    let max = "a".repeat(16);
    for bad in [
        "",
        "has space",
        "dot.ted",
        "slash/",
        "kunci-ü",
        too_long.as_str(),
    ] {
        let result = DataKeys::new(vec![(bad.to_string(), Secret::new(key(1)))]);
        assert!(
            matches!(result, Err(CryptoError::BadKeyId(_))),
            "{bad:?} must be rejected"
        );
    }
    // A bad id later in the ring is rejected too.
    let later = DataKeys::new(vec![
        ("k1".into(), Secret::new(key(1))),
        ("bad id".into(), Secret::new(key(2))),
    ]);
    assert!(matches!(later, Err(CryptoError::BadKeyId(_))));

    for good in ["a", "K_1-z", max.as_str(), "2026-01"] {
        let keys = DataKeys::new(vec![(good.to_string(), Secret::new(key(1)))]).unwrap();
        assert_eq!(keys.current_id(), good);
    }
}

#[test]
fn an_over_long_id_that_looks_like_a_key_is_not_echoed() {
    // A base64 key pasted where the id belongs must not end up in the boot error.
    let pasted = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    let err = DataKeys::new(vec![(pasted.to_string(), Secret::new(key(1)))]).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, CryptoError::BadKeyId(_)));
    assert!(!message.contains(&pasted[..8]), "{message}");
    assert!(message.contains("44"), "{message}");
}
