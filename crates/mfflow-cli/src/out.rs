//! Where the JSON goes: stdout, or `--out FILE` written so that no reader ever sees half of it
//! and nothing but a regular file at `FILE` is ever replaced.
//!
//! The JSON is written to a temporary file created exclusively (`O_CREAT | O_EXCL`, so a
//! pre-planted file or symlink of that name is never written through) with a name unique to
//! this process and moment, in FILE's own directory (so the final `rename` is atomic), synced,
//! and renamed over FILE. Two runs writing the same FILE at once each leave a complete file;
//! the last rename wins. FILE itself is refused when it is a symlink, anything but a regular
//! file (a directory, a device such as `/dev/full`, a FIFO, a socket), or the instance file.

use crate::failure::{bad, failed, Failure};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Checks that `out` may be replaced: called before the work starts (so a refused path fails
/// fast) and again just before the rename.
pub fn check_target(out: &Path, input: &Path) -> Result<(), Failure> {
    let shown = out.display();
    if out.file_name().is_none() {
        return Err(bad(format!("--out {shown}: not a file path")));
    }
    match std::fs::symlink_metadata(out) {
        Ok(meta) => {
            let kind = meta.file_type();
            if kind.is_symlink() {
                return Err(bad(format!(
                    "--out {shown}: is a symbolic link; refusing to write through it or replace it \
                     (give the path of a regular file)"
                )));
            }
            if !kind.is_file() {
                return Err(bad(format!(
                    "--out {shown}: is {}, not a regular file; refusing to replace it",
                    describe(&kind)
                )));
            }
            if same_file(&meta, input) {
                return Err(bad(format!(
                    "--out {shown}: is the instance file itself; refusing to overwrite the input"
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(bad(format!("--out {shown}: cannot inspect it: {e}"))),
    }
}

/// What a non-regular file is, for the refusal message.
fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Whether `meta` (of the output) and `input` are the same file (also through a hard link).
fn same_file(meta: &std::fs::Metadata, input: &Path) -> bool {
    let Ok(input_meta) = std::fs::metadata(input) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.dev() == input_meta.dev() && meta.ino() == input_meta.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (meta, input_meta);
        false
    }
}

/// A temporary file in `dir`, created exclusively under a name no other run uses.
fn create_temp(dir: &Path, name: &str) -> Result<(File, PathBuf), Failure> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last = None;
    for _ in 0..100 {
        let k = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{nanos}-{k}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((file, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(bad(format!(
                    "--out: cannot create a temporary file in {}: {e}",
                    dir.display()
                )))
            }
        }
    }
    Err(failed(format!(
        "--out: no free temporary name in {}: {}",
        dir.display(),
        last.map(|e| e.to_string()).unwrap_or_default()
    )))
}

/// Writes to stdout, or to `out` (see the module documentation); `input` is the instance path.
pub fn write_output(
    out: Option<&Path>,
    input: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let Some(path) = out else {
        let stdout = std::io::stdout();
        let mut w = BufWriter::new(stdout.lock());
        let io = |e: std::io::Error| failed(format!("cannot write to stdout: {e}"));
        write(&mut w).map_err(io)?;
        return w.flush().map_err(io);
    };
    write_file(path, input, |w| write(w))
}

/// Writes the file `path` through a temporary file renamed on success (see the module
/// documentation); the writer is seekable (a zip archive needs it).
pub fn write_file(
    path: &Path,
    input: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    check_target(path, input)?;
    let name = path
        .file_name()
        .expect("checked by check_target")
        .to_string_lossy()
        .to_string();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (file, tmp) = create_temp(dir, &name)?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    let result = result
        .map_err(|e| failed(format!("cannot write {}: {e}", tmp.display())))
        .and_then(|()| check_target(path, input))
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(|e| {
                failed(format!(
                    "cannot rename {} to {}: {e}",
                    tmp.display(),
                    path.display()
                ))
            })
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
