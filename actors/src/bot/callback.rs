//! Typed callback data. Telegram gives a button at most 64 bytes of `callback_data`; every
//! button the bot sends is built from [`CallbackData::encode`] and every press is read back with
//! [`CallbackData::parse`], so there is no stringly-typed matching anywhere else.

/// Telegram's limit on `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// What a button press means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackData {
    /// "Penuhi SNK": answer the terms of a product bought in an order.
    SnkFulfil { order_ref: String, product_id: i64 },
}

/// A press whose data the bot did not write (old keyboard, forged press).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised callback data")]
pub struct UnknownCallback;

impl CallbackData {
    /// The wire form. Errors when it would exceed Telegram's 64 bytes.
    pub fn encode(&self) -> Result<String, String> {
        let s = match self {
            CallbackData::SnkFulfil {
                order_ref,
                product_id,
            } => format!("snk:{order_ref}:{product_id}"),
        };
        if s.len() > MAX_CALLBACK_BYTES {
            return Err(format!(
                "callback data of {} bytes exceeds {MAX_CALLBACK_BYTES}",
                s.len()
            ));
        }
        Ok(s)
    }

    /// Reads a press back.
    pub fn parse(data: &str) -> Result<CallbackData, UnknownCallback> {
        if data.len() > MAX_CALLBACK_BYTES {
            return Err(UnknownCallback);
        }
        let mut parts = data.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("snk"), Some(order_ref), Some(product_id), None) if valid_ref(order_ref) => {
                let product_id = product_id.parse().map_err(|_| UnknownCallback)?;
                Ok(CallbackData::SnkFulfil {
                    order_ref: order_ref.to_string(),
                    product_id,
                })
            }
            _ => Err(UnknownCallback),
        }
    }
}

fn valid_ref(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_what_it_did_not_write() {
        let all = [CallbackData::SnkFulfil {
            order_ref: "INV-20261121-000042".into(),
            product_id: 7,
        }];
        for data in all {
            let wire = data.encode().unwrap();
            assert!(wire.len() <= MAX_CALLBACK_BYTES);
            assert_eq!(CallbackData::parse(&wire).unwrap(), data);
        }
        for bad in [
            "",
            "snk",
            "snk:INV:x",
            "snk:INV:1:2",
            "snk::1",
            "snk:IN V:1",
            "other:1",
            &"x".repeat(65),
        ] {
            assert_eq!(CallbackData::parse(bad), Err(UnknownCallback), "{bad}");
        }
        let long = CallbackData::SnkFulfil {
            order_ref: "X".repeat(60),
            product_id: 1,
        };
        assert!(long.encode().is_err());
    }
}
