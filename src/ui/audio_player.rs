//! Playing one clip at a time with rodio. The device is opened on the first Play; a machine with no
//! sound device (a server, CI) gets a null output instead: a thread that consumes the samples in real
//! time, so play, pause, seek, the playhead and loop behave the same, silently, and the inspector
//! says "no audio output device".

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rodio::Source as _;

/// Consumes a player's output at its own sample rate until dropped.
struct NullPump {
    stop: Arc<AtomicBool>,
}

impl Drop for NullPump {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn null_player() -> (rodio::Player, NullPump) {
    let (player, mut output) = rodio::Player::new();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("null-audio".into())
        .spawn(move || {
            let tick = Duration::from_millis(10);
            while !flag.load(Ordering::Relaxed) {
                let per_tick =
                    (output.sample_rate().get() as usize * output.channels().get() as usize) / 100;
                for _ in 0..per_tick.max(1) {
                    if output.next().is_none() {
                        break;
                    }
                }
                std::thread::sleep(tick);
            }
        })
        .ok();
    (player, NullPump { stop })
}

struct Playing {
    sample: u32,
    path: PathBuf,
    player: rodio::Player,
    _pump: Option<NullPump>,
}

/// The inspector's player: one clip at a time (starting one stops the previous), volume and loop.
pub struct AudioPlayer {
    device: Option<Result<rodio::MixerDeviceSink, String>>,
    current: Option<Playing>,
    /// 0 (mute) to 1.
    pub volume: f32,
    /// Start again at the end.
    pub looping: bool,
    /// The last failure to play (a file the decoder refuses).
    pub error: Option<String>,
}

impl Default for AudioPlayer {
    fn default() -> Self {
        Self {
            device: None,
            current: None,
            volume: 0.8,
            looping: false,
            error: None,
        }
    }
}

impl AudioPlayer {
    /// A player that never opens a device (tests, `SPOTCHECK_AUDIO=null`): the null output only.
    pub fn null() -> Self {
        Self {
            device: Some(Err("no audio output device (null output)".into())),
            ..Self::default()
        }
    }

    /// Why there is no sound, once a device was tried and not found.
    pub fn device_note(&self) -> Option<&str> {
        match &self.device {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    fn open_device(&mut self) {
        if self.device.is_some() {
            return;
        }
        if std::env::var_os("SPOTCHECK_AUDIO").is_some_and(|v| v == "null") {
            self.device = Some(Err("no audio output device (SPOTCHECK_AUDIO=null)".into()));
            return;
        }
        self.device = Some(match rodio::DeviceSinkBuilder::open_default_sink() {
            Ok(mut sink) => {
                sink.log_on_drop(false);
                Ok(sink)
            }
            Err(e) => Err(format!("no audio output device ({e}); playing silently")),
        });
    }

    /// Plays `path` from `start` seconds, as sample `sample`, stopping whatever played before.
    pub fn play(&mut self, sample: u32, path: &Path, start: f64) {
        self.stop();
        self.open_device();
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.error = Some(format!("{}: {e}", path.display()));
                return;
            }
        };
        let decoder = match rodio::Decoder::try_from(file) {
            Ok(d) => d,
            Err(e) => {
                self.error = Some(format!("cannot play {}: {e}", path.display()));
                return;
            }
        };
        let (player, pump) = match &self.device {
            Some(Ok(sink)) => (rodio::Player::connect_new(sink.mixer()), None),
            _ => {
                let (p, pump) = null_player();
                (p, Some(pump))
            }
        };
        player.set_volume(self.volume);
        player.append(decoder);
        if start > 0.0 {
            let _ = player.try_seek(Duration::from_secs_f64(start));
        }
        player.play();
        self.error = None;
        self.current = Some(Playing {
            sample,
            path: path.to_path_buf(),
            player,
            _pump: pump,
        });
    }

    /// Play/pause for `sample` (Space): resumes or pauses it when it is the current clip, else starts it.
    pub fn toggle(&mut self, sample: u32, path: &Path) {
        match &self.current {
            Some(p) if p.sample == sample && !p.player.empty() => {
                if p.player.is_paused() {
                    p.player.play();
                } else {
                    p.player.pause();
                }
            }
            _ => self.play(sample, path, 0.0),
        }
    }

    /// Moves the playhead of `sample` to `seconds` (starting it when it is not the current clip).
    pub fn seek(&mut self, sample: u32, path: &Path, seconds: f64) {
        match &self.current {
            Some(p) if p.sample == sample && !p.player.empty() => {
                if p.player
                    .try_seek(Duration::from_secs_f64(seconds.max(0.0)))
                    .is_err()
                {
                    let paused = p.player.is_paused();
                    self.play(sample, path, seconds);
                    if paused && let Some(p) = &self.current {
                        p.player.pause();
                    }
                }
            }
            _ => self.play(sample, path, seconds),
        }
    }

    /// Stops playing.
    pub fn stop(&mut self) {
        if let Some(p) = self.current.take() {
            p.player.stop();
        }
    }

    /// Whether `sample` is playing now (not paused, not finished).
    pub fn is_playing(&self, sample: u32) -> bool {
        self.current
            .as_ref()
            .is_some_and(|p| p.sample == sample && !p.player.is_paused() && !p.player.empty())
    }

    /// The playhead of `sample`, in seconds, when it is the current clip.
    pub fn position(&self, sample: u32) -> Option<f64> {
        self.current
            .as_ref()
            .filter(|p| p.sample == sample && !p.player.empty())
            .map(|p| p.player.get_pos().as_secs_f64())
    }

    /// Once a frame: applies the volume, and starts a looping clip again at its end.
    pub fn tick(&mut self) {
        let Some(p) = &self.current else { return };
        p.player.set_volume(self.volume);
        if p.player.empty() && self.looping {
            let (sample, path) = (p.sample, p.path.clone());
            self.play(sample, &path, 0.0);
        }
    }

    /// Whether anything is playing (the UI repaints to move the playhead).
    pub fn active(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|p| !p.player.is_paused() && !p.player.empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/tone.wav")
    }

    #[test]
    fn play_pause_seek_and_the_playhead_on_the_null_output() {
        let mut p = AudioPlayer::null();
        assert!(!p.is_playing(0));
        p.toggle(0, &tone());
        assert!(p.is_playing(0), "{:?}", p.error);
        std::thread::sleep(Duration::from_millis(80));
        let at = p.position(0).unwrap_or(0.0);
        assert!(at > 0.02, "the playhead moves in real time: {at}");
        p.toggle(0, &tone());
        assert!(!p.is_playing(0), "Space again pauses");
        let paused_at = p.position(0).unwrap_or(0.0);
        std::thread::sleep(Duration::from_millis(50));
        assert!((p.position(0).unwrap_or(0.0) - paused_at).abs() < 0.011);
        p.seek(0, &tone(), 0.2);
        assert!(p.position(0).unwrap_or(0.0) >= 0.19);
        // Another clip stops the first; the 0.25 s clip then ends by itself.
        p.toggle(1, &tone());
        assert!(!p.is_playing(0) && p.is_playing(1));
        std::thread::sleep(Duration::from_millis(600));
        assert!(!p.is_playing(1), "finished");
        assert_eq!(
            p.device_note(),
            Some("no audio output device (null output)")
        );
    }

    #[test]
    fn a_file_the_decoder_refuses_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("noise.wav");
        std::fs::write(&bad, b"RIFF....WAVEjunkjunkjunk").unwrap();
        let mut p = AudioPlayer::null();
        p.toggle(0, &bad);
        assert!(!p.is_playing(0));
        assert!(
            p.error
                .as_deref()
                .is_some_and(|e| e.contains("cannot play"))
        );
    }
}
