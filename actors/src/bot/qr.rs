//! The QRIS invoice image: the gateway's `payment_number` rendered as a QR code in a PNG, with
//! the quiet zone scanners need and modules large enough to scan from a phone screen.

/// Pixels per QR module.
pub const MODULE_PX: usize = 8;
/// Light modules around the code (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// Why an image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the payment string does not fit a QR code: {0}")]
    Encode(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Renders `payload` as a black-on-white 1-bit PNG.
pub fn qr_png(payload: &str) -> Result<Vec<u8>, QrError> {
    let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M)
        .map_err(|e| QrError::Encode(e.to_string()))?;
    let modules = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let side_modules = modules + 2 * QUIET_ZONE;
    let side = side_modules * MODULE_PX;
    let row_bytes = side.div_ceil(8);
    let mut pixels = vec![0u8; row_bytes * side];
    for y in 0..side {
        let my = y / MODULE_PX;
        for x in 0..side {
            let mx = x / MODULE_PX;
            let is_dark = my >= QUIET_ZONE
                && mx >= QUIET_ZONE
                && my < QUIET_ZONE + modules
                && mx < QUIET_ZONE + modules
                && dark[(my - QUIET_ZONE) * modules + (mx - QUIET_ZONE)];
            if !is_dark {
                // Grayscale 1-bit: 1 is white.
                pixels[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder
            .write_header()
            .map_err(|e| QrError::Png(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| QrError::Png(e.to_string()))?;
        writer.finish().map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn renders_a_square_png_with_quiet_zone_and_big_modules() {
        let payload = "00020101021226610016ID.CO.SHOPEE.WWW01189360091800000000000208000000000303UMI51440014ID.CO.QRIS.WWW0215ID10200000000000303UMI5204581253033605405105205802ID5910TOKO UJI6007JAKARTA61051234062070703A0163042F3C";
        let png = qr_png(payload).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let code =
            qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M).unwrap();
        let side = ((code.width() + 2 * QUIET_ZONE) * MODULE_PX) as u32;
        let (w, h, data) = decode(&png);
        assert_eq!((w, h), (side, side));
        let row_bytes = (side as usize).div_ceil(8);
        let pixel = |x: usize, y: usize| data[y * row_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
        // The quiet zone is white all round.
        for i in 0..side as usize {
            for q in 0..QUIET_ZONE * MODULE_PX {
                assert!(pixel(i, q) && pixel(q, i), "quiet zone at {i},{q}");
            }
        }
        // The top-left finder pattern starts dark right after the quiet zone.
        let start = QUIET_ZONE * MODULE_PX;
        assert!(!pixel(start, start));
        assert!(!pixel(start + MODULE_PX - 1, start + MODULE_PX - 1));
    }

    #[test]
    fn refuses_what_cannot_fit() {
        assert!(qr_png(&"9".repeat(10_000)).is_err());
    }
}
