//! Slicer adapters: one command-line slicer each, behind the [`Slicer`] trait.
//!
//! An adapter writes its profile files into the request's scratch
//! directory, runs the slicer there with a deadline and reads the gcode
//! back. The child is killed when the deadline passes or the request is
//! dropped (`kill_on_drop`), and the scratch directory belongs to the
//! caller, which deletes it whatever happens.

pub mod bambu;
pub mod prusa;

use crate::profiles::{Profile, Settings};
use futures::future::BoxFuture;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// What one slice needs.
#[derive(Debug, Clone, Copy)]
pub struct SliceJob<'a> {
    /// The request's scratch directory; the adapter writes only here.
    pub dir: &'a Path,
    /// The checked STL inside `dir`.
    pub model: &'a Path,
    /// The printer.
    pub profile: &'a Profile,
    /// The profile's defaults with the request's overrides.
    pub settings: &'a Settings,
    /// Deadline of the slicer run.
    pub timeout: Duration,
    /// Cancelled when the request is abandoned: the slicer is killed.
    pub cancel: &'a CancellationToken,
}

/// Gcode and what the slicer reported about it.
#[derive(Debug, Clone)]
pub struct Gcode {
    /// The gcode text.
    pub bytes: Vec<u8>,
    /// Estimated print time, if the gcode states it.
    pub estimated_print_seconds: Option<u64>,
    /// Filament weight in grams, if the gcode states it.
    pub filament_grams: Option<f64>,
}

impl Gcode {
    /// Wraps gcode bytes, reading the estimates from its comments.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let (estimated_print_seconds, filament_grams) = read_estimates(&bytes);
        Self {
            bytes,
            estimated_print_seconds,
            filament_grams,
        }
    }
}

/// Why a slice produced no gcode.
#[derive(Debug, thiserror::Error)]
pub enum SliceError {
    /// The slicer refused the model or the settings; `reason` is its own words.
    #[error("the slicer rejected the input: {reason}")]
    Rejected {
        /// Tail of the slicer's output.
        reason: String,
    },
    /// The request was abandoned and the slicer killed.
    #[error("the slice was cancelled")]
    Cancelled,
    /// The slicer ran past the deadline and was killed.
    #[error("the slicer did not finish within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The slicer cannot be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The slicer failed for a reason that is not the caller's input.
    #[error("the slicer failed: {0}")]
    Failed(String),
    /// Reading or writing the scratch files failed.
    #[error("scratch file: {0}")]
    Io(#[from] std::io::Error),
}

/// A command-line slicer.
pub trait Slicer: Send + Sync {
    /// Product name, e.g. `PrusaSlicer`.
    fn name(&self) -> &str;
    /// Version as detected at start-up (`None` when the program could not be run).
    fn version(&self) -> Option<&str>;
    /// Slices `job.model` into gcode.
    fn slice<'a>(&'a self, job: SliceJob<'a>) -> BoxFuture<'a, Result<Gcode, SliceError>>;
    /// `name version`, for `X-Slicer`.
    fn label(&self) -> String {
        match self.version() {
            Some(v) => format!("{} {v}", self.name()),
            None => self.name().to_owned(),
        }
    }
}

/// How a finished slicer run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// Exit status.
    pub status: ExitStatus,
    /// The last lines of stdout and stderr, for error messages.
    pub output_tail: String,
}

/// Runs `command` in `dir` with stdout/stderr going to files there, killing
/// it when `timeout` passes, `cancel` fires or the future is dropped.
pub async fn run_with_deadline(
    mut command: Command,
    dir: &Path,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<RunOutcome, SliceError> {
    let stdout_path = dir.join("slicer.stdout");
    let stderr_path = dir.join("slicer.stderr");
    // Files rather than pipes: a chatty slicer cannot block on a full pipe,
    // and nothing has to be drained concurrently with waiting.
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path)?)
        .stderr(std::fs::File::create(&stderr_path)?)
        .kill_on_drop(true);
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let mut child = command
        .spawn()
        .map_err(|source| SliceError::Spawn { program, source })?;
    let stopped = tokio::select! {
        status = child.wait() => Ok(status?),
        () = tokio::time::sleep(timeout) => Err(SliceError::Timeout(timeout)),
        () = cancel.cancelled() => Err(SliceError::Cancelled),
    };
    let status = match stopped {
        Ok(status) => status,
        Err(e) => {
            // Kill and reap before the caller deletes the directory, so no
            // half-dead slicer writes into it afterwards.
            let _ = child.kill().await;
            return Err(e);
        }
    };
    let mut output_tail = tail(&tokio::fs::read(&stderr_path).await.unwrap_or_default());
    let stdout_tail = tail(&tokio::fs::read(&stdout_path).await.unwrap_or_default());
    if !stdout_tail.is_empty() {
        if !output_tail.is_empty() {
            output_tail.push('\n');
        }
        output_tail.push_str(&stdout_tail);
    }
    Ok(RunOutcome {
        status,
        output_tail,
    })
}

/// The last lines of a log, without noise lines, at most ~1.5 kB.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("Initializing StaticPrintConfigs"))
        .collect();
    let start = lines.len().saturating_sub(12);
    let mut out = lines[start..].join("\n");
    if out.len() > 1500 {
        let cut = out.len() - 1500;
        let cut = (cut..out.len())
            .find(|&i| out.is_char_boundary(i))
            .unwrap_or(0);
        out = out[cut..].to_owned();
    }
    out
}

/// Runs `program arguments` to read its version line, which command-line
/// slicers print as `Product-1.2.3+build` at the top of `--help`.
pub async fn detect_version(program: &Path, product: &str) -> Result<String, String> {
    let mut command = Command::new(program);
    command
        .arg("--help")
        .stdin(Stdio::null())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .map_err(|_| format!("{} --help did not answer within 30 s", program.display()))?
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    parse_version(&text, product).ok_or_else(|| {
        format!(
            "{} --help printed no {product} version line (exit {})",
            program.display(),
            output.status
        )
    })
}

/// Finds `Product-1.2.3…` in `text` and returns `1.2.3`.
pub fn parse_version(text: &str, product: &str) -> Option<String> {
    let prefix = format!("{product}-");
    text.split_whitespace().find_map(|word| {
        let rest = word.strip_prefix(&prefix)?;
        let version: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let version = version.trim_end_matches('.');
        (!version.is_empty() && version.contains('.')).then(|| version.to_owned())
    })
}

/// Reads the print time and filament weight from gcode comments written by
/// PrusaSlicer (`; estimated printing time (normal mode) = 1h 2m 3s`,
/// `; total filament used [g] = 12.34`) or BambuStudio/OrcaSlicer
/// (`; model printing time: 1h 2m 3s; total estimated time: 1h 5m 0s`,
/// `; total filament weight [g] : 12.34`).
pub fn read_estimates(gcode: &[u8]) -> (Option<u64>, Option<f64>) {
    let mut seconds = None;
    let mut grams = None;
    for line in gcode.split(|&b| b == b'\n') {
        if line.first() != Some(&b';') {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let line = line.trim_start_matches(';').trim();
        if seconds.is_none() {
            if let Some(v) = line.strip_prefix("estimated printing time (normal mode) =") {
                seconds = parse_duration(v);
            } else if let Some((_, v)) = line.split_once("total estimated time:") {
                seconds = parse_duration(v);
            }
        }
        if grams.is_none()
            && let Some(v) = line
                .strip_prefix("total filament used [g] =")
                .or_else(|| line.strip_prefix("total filament weight [g] :"))
                .or_else(|| line.strip_prefix("filament used [g] ="))
        {
            // Several extruders are listed comma-separated; add them up.
            let sum: Option<f64> = v.split(',').map(|p| p.trim().parse::<f64>().ok()).sum();
            grams = sum.filter(|g| g.is_finite());
        }
    }
    (seconds, grams)
}

/// `1d 2h 3m 4s` (any subset, in order) → seconds.
fn parse_duration(text: &str) -> Option<u64> {
    let text = text.split(';').next()?.trim();
    let mut total = 0u64;
    let mut any = false;
    for part in text.split_whitespace() {
        let (number, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit())?);
        let n: u64 = number.parse().ok()?;
        total += n * match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return None,
        };
        any = true;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_help() {
        let help = "[trace] Initializing StaticPrintConfigs\n\
                    PrusaSlicer-2.5.0+UNKNOWN based on Slic3r (with GUI support)\n";
        assert_eq!(parse_version(help, "PrusaSlicer").as_deref(), Some("2.5.0"));
        assert_eq!(
            parse_version("OrcaSlicer-2.3.1-dev: usage", "OrcaSlicer").as_deref(),
            Some("2.3.1")
        );
        assert_eq!(parse_version("usage: prusa-slicer", "PrusaSlicer"), None);
    }

    #[test]
    fn prusa_estimates_are_read() {
        let gcode = b"G1 X1\n; filament used [mm] = 8906.32\n; filament used [g] = 26.55\n\
            ; total filament used [g] = 26.55\n\
            ; estimated printing time (normal mode) = 2h 35m 39s\n; layer_height = 0.2\n";
        let (s, g) = read_estimates(gcode);
        assert_eq!(s, Some(2 * 3600 + 35 * 60 + 39));
        assert_eq!(g, Some(26.55));
    }

    #[test]
    fn bambu_estimates_are_read() {
        let gcode = b"; HEADER_BLOCK_START\n; model printing time: 1h 2m 3s; total estimated time: 1h 10m 0s\n\
            ; total filament weight [g] : 12.5\nG1 X1\n";
        assert_eq!(read_estimates(gcode), (Some(4200), Some(12.5)));
        assert_eq!(read_estimates(b"G1 X1\n"), (None, None));
    }

    #[test]
    fn tail_keeps_last_lines() {
        let log: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let t = tail(log.as_bytes());
        assert!(t.starts_with("line 28"), "{t}");
        assert!(t.ends_with("line 39"));
    }
}
