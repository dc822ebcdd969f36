//! The open pixel's image.

/// A transparent 1x1 GIF89a: 43 bytes, the smallest image every mail client renders.
/// Header, logical screen 1x1 with a 2-colour global table, a graphic control extension marking
/// colour 0 transparent, one 1x1 image and its LZW data, trailer.
pub const GIF: [u8; 43] = [
    b'G', b'I', b'F', b'8', b'9', b'a', // signature and version
    0x01, 0x00, 0x01, 0x00, // width 1, height 1
    0x80, 0x00, 0x00, // global colour table of 2 entries, background 0, no aspect ratio
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // colour 0 black, colour 1 white
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00,
    0x00, // graphic control: colour 0 is transparent
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image at 0,0, 1x1
    0x02, 0x02, 0x44, 0x01, 0x00, // LZW minimum code size 2, one block of 2 bytes, end
    0x3b, // trailer
];

/// The content type the pixel is served with.
pub const CONTENT_TYPE: &str = "image/gif";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_is_a_transparent_one_by_one_gif89a() {
        assert_eq!(GIF.len(), 43);
        assert_eq!(&GIF[..6], b"GIF89a");
        assert_eq!(u16::from_le_bytes([GIF[6], GIF[7]]), 1, "width");
        assert_eq!(u16::from_le_bytes([GIF[8], GIF[9]]), 1, "height");
        // Global colour table present, 2 entries.
        assert_eq!(GIF[10] & 0x80, 0x80);
        assert_eq!(2usize << (GIF[10] & 0x07), 2);
        // Graphic control extension with the transparency flag, transparent index 0.
        assert_eq!(&GIF[19..22], &[0x21, 0xf9, 0x04]);
        assert_eq!(GIF[22] & 0x01, 0x01);
        assert_eq!(GIF[25], 0);
        // One image descriptor of 1x1, then the trailer.
        assert_eq!(GIF[27], 0x2c);
        assert_eq!(u16::from_le_bytes([GIF[32], GIF[33]]), 1);
        assert_eq!(u16::from_le_bytes([GIF[34], GIF[35]]), 1);
        assert_eq!(GIF[42], 0x3b);
    }
}
