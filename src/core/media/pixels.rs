//! An 8-bit pixel buffer with 1–4 channels (grey, grey+alpha, RGB, RGBA).

/// Decoded pixels, 8 bits per channel, rows top to bottom with no padding. Kept at the channel count
/// the file had (a JPEG stays RGB) so thumbnails never pay for an alpha channel they do not need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA.
    pub channels: u8,
    /// `width * height * channels` bytes.
    pub data: Vec<u8>,
}

impl Pixels {
    /// Pixels from a buffer, or `None` when its length does not match the size.
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(usize::from(channels))?;
        ((1..=4).contains(&channels) && data.len() == expected).then_some(Self {
            width,
            height,
            channels,
            data,
        })
    }

    /// Bytes held (for caches bounded in bytes).
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// The pixels as RGBA, what textures and the GUI want.
    pub fn to_rgba(&self) -> Vec<u8> {
        let n = self.width as usize * self.height as usize;
        let mut out = Vec::with_capacity(n * 4);
        match self.channels {
            1 => self.data.iter().for_each(|&g| out.extend([g, g, g, 255])),
            2 => self
                .data
                .chunks_exact(2)
                .for_each(|p| out.extend([p[0], p[0], p[0], p[1]])),
            3 => self
                .data
                .chunks_exact(3)
                .for_each(|p| out.extend([p[0], p[1], p[2], 255])),
            _ => out.extend_from_slice(&self.data),
        }
        out
    }

    /// Whether any pixel is not fully opaque (an alpha channel that carries information).
    pub fn has_transparency(&self) -> bool {
        match self.channels {
            2 => self.data.chunks_exact(2).any(|p| p[1] != 255),
            4 => self.data.chunks_exact(4).any(|p| p[3] != 255),
            _ => false,
        }
    }
}
