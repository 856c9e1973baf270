//! NumPy's `.npz`: a zip archive of `.npy` files, one per array, as `numpy.savez` writes it
//! (stored, not compressed). The `.npy` headers and data are written by `npyz` and the archive
//! by `zip` (well-kept crates, not a hand-written format); archives beyond 4 GiB use zip64.

use npyz::WriterBuilder;
use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

/// An `.npz` archive being written.
pub struct Archive<W: Write + Seek> {
    zip: ZipWriter<W>,
}

impl<W: Write + Seek> Archive<W> {
    /// Starts an archive on `out`.
    pub fn new(out: W) -> Self {
        Self {
            zip: ZipWriter::new(out),
        }
    }

    /// Adds `NAME.npy`: a little-endian f64 array of `shape` in C order, from `values`.
    pub fn array(
        &mut self,
        name: &str,
        shape: &[u64],
        values: impl Iterator<Item = f64>,
    ) -> std::io::Result<()> {
        let bytes = shape.iter().product::<u64>().saturating_mul(8);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes >= u64::from(u32::MAX) - 4096);
        self.zip
            .start_file(format!("{name}.npy"), options)
            .map_err(std::io::Error::other)?;
        let mut writer = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut self.zip)
            .begin_nd()?;
        writer.extend(values)?;
        writer.finish()
    }

    /// Writes the central directory.
    pub fn finish(self) -> std::io::Result<()> {
        self.zip.finish().map_err(std::io::Error::other)?;
        Ok(())
    }
}
