//! Playing one clip at a time with rodio, on an `audio-player` thread: opening the device (on the
//! first Play), the file and its decoder, and seeking all happen there, so no frame waits for them.
//! The UI sends commands and reads the playing clip's state (rodio's atomics) through a shared slot.
//! A machine with no sound device (a server, CI) gets a null output instead: a thread that consumes
//! the samples in real time, so play, pause, seek, the playhead and loop behave the same, silently,
//! and the inspector says "no audio output device".

use crate::core::data::sample_media::SampleMedia;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
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

/// What the UI asks the player thread to do.
enum Command {
    Play {
        sample: u32,
        path: SampleMedia,
        start: f64,
        volume: f32,
        paused: bool,
    },
    Seek {
        sample: u32,
        path: SampleMedia,
        seconds: f64,
        volume: f32,
    },
    Stop,
}

/// The clip the thread is playing: rodio's player is atomics inside, so the UI reads it directly.
#[derive(Clone)]
struct Current {
    sample: u32,
    path: SampleMedia,
    player: Arc<rodio::Player>,
}

/// What the thread publishes for the UI.
#[derive(Default)]
struct Shared {
    current: Option<Current>,
    /// The last failure to play (a file the decoder refuses).
    error: Option<String>,
    /// Why there is no sound, once a device was tried and not found.
    device_note: Option<String>,
    /// Commands done so far (the UI's own guess stands until its last command is done).
    done: u64,
}

/// The inspector's player: one clip at a time (starting one stops the previous), volume and loop.
pub struct AudioPlayer {
    commands: Option<Sender<Command>>,
    shared: Arc<Mutex<Shared>>,
    null_output: bool,
    sent: u64,
    /// What the last command will make true, until the thread has done it: (sample, paused).
    expected: Option<(u32, bool)>,
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
            commands: None,
            shared: Arc::default(),
            null_output: false,
            sent: 0,
            expected: None,
            volume: 0.8,
            looping: false,
            error: None,
        }
    }
}

impl AudioPlayer {
    /// A player that never opens a device (tests, `SPOTCHECK_AUDIO=null`): the null output only.
    pub fn null() -> Self {
        let shared = Shared {
            device_note: Some("no audio output device (null output)".into()),
            ..Shared::default()
        };
        Self {
            null_output: true,
            shared: Arc::new(Mutex::new(shared)),
            ..Self::default()
        }
    }

    /// Why there is no sound, once a device was tried and not found.
    pub fn device_note(&self) -> Option<String> {
        self.shared.lock().ok().and_then(|s| s.device_note.clone())
    }

    fn send(&mut self, command: Command) {
        if self.commands.is_none() {
            let (tx, rx) = std::sync::mpsc::channel();
            let shared = Arc::clone(&self.shared);
            let null_output = self.null_output;
            let spawned = std::thread::Builder::new()
                .name("audio-player".into())
                .spawn(move || PlayerThread::new(null_output, shared).run(&rx));
            match spawned {
                Ok(_) => self.commands = Some(tx),
                Err(e) => {
                    self.error = Some(format!("cannot start the audio player: {e}"));
                    return;
                }
            }
        }
        if self
            .commands
            .as_ref()
            .is_some_and(|c| c.send(command).is_ok())
        {
            self.sent += 1;
        } else {
            self.error = Some("the audio player stopped".into());
        }
    }

    /// The clip the thread plays, when it has done every command sent.
    fn settled(&self) -> Option<Option<Current>> {
        let shared = self.shared.lock().ok()?;
        (shared.done >= self.sent).then(|| shared.current.clone())
    }

    /// The current clip if it is `sample` and has not finished.
    fn live(&self, sample: u32) -> Option<Arc<rodio::Player>> {
        self.settled()
            .flatten()
            .filter(|c| c.sample == sample && !c.player.empty())
            .map(|c| c.player)
    }

    /// Plays `path` from `start` seconds, as sample `sample`, stopping whatever played before.
    pub fn play(&mut self, sample: u32, path: &SampleMedia, start: f64) {
        self.error = None;
        self.expected = Some((sample, false));
        let volume = self.volume;
        self.send(Command::Play {
            sample,
            path: path.clone(),
            start,
            volume,
            paused: false,
        });
    }

    /// Play/pause for `sample` (Space): resumes or pauses it when it is the current clip, else starts it.
    pub fn toggle(&mut self, sample: u32, path: &SampleMedia) {
        if let Some(player) = self.live(sample) {
            if player.is_paused() {
                player.play();
            } else {
                player.pause();
            }
            return;
        }
        match self.pending() {
            // Still starting: the thread starts it paused instead.
            Some((s, paused)) if s == sample => {
                self.expected = Some((sample, !paused));
                let volume = self.volume;
                self.send(Command::Play {
                    sample,
                    path: path.clone(),
                    start: 0.0,
                    volume,
                    paused: !paused,
                });
            }
            _ => self.play(sample, path, 0.0),
        }
    }

    /// Moves the playhead of `sample` to `seconds` (starting it when it is not the current clip).
    pub fn seek(&mut self, sample: u32, path: &SampleMedia, seconds: f64) {
        let paused = self.live(sample).is_some_and(|p| p.is_paused());
        self.expected = Some((sample, paused));
        let volume = self.volume;
        self.send(Command::Seek {
            sample,
            path: path.clone(),
            seconds: seconds.max(0.0),
            volume,
        });
    }

    /// Stops playing.
    pub fn stop(&mut self) {
        if self.expected.is_none() && self.settled().flatten().is_none() {
            return;
        }
        self.expected = None;
        self.send(Command::Stop);
    }

    /// The UI's guess while the thread has commands to do.
    fn pending(&self) -> Option<(u32, bool)> {
        let done = self.shared.lock().map_or(u64::MAX, |s| s.done);
        if done >= self.sent {
            None
        } else {
            self.expected
        }
    }

    /// Whether `sample` is playing now (not paused, not finished), or about to.
    pub fn is_playing(&self, sample: u32) -> bool {
        if let Some((s, paused)) = self.pending() {
            return s == sample && !paused;
        }
        self.live(sample).is_some_and(|p| !p.is_paused())
    }

    /// The playhead of `sample`, in seconds, when it is the current clip.
    pub fn position(&self, sample: u32) -> Option<f64> {
        self.live(sample).map(|p| p.get_pos().as_secs_f64())
    }

    /// Once a frame: takes the thread's error, applies the volume, and starts a looping clip again
    /// at its end.
    pub fn tick(&mut self) {
        if let Ok(mut shared) = self.shared.lock()
            && let Some(e) = shared.error.take()
        {
            self.error = Some(e);
        }
        let Some(Some(current)) = self.settled() else {
            return;
        };
        current.player.set_volume(self.volume);
        if current.player.empty() && self.looping {
            self.play(current.sample, &current.path, 0.0);
        }
    }

    /// Whether anything is playing (the UI repaints to move the playhead).
    pub fn active(&self) -> bool {
        if let Some((_, paused)) = self.pending() {
            return !paused;
        }
        self.settled()
            .flatten()
            .is_some_and(|c| !c.player.is_paused() && !c.player.empty())
    }
}

/// The thread's side: the device, the null output's pump, and the clip.
struct PlayerThread {
    device: Option<Result<rodio::MixerDeviceSink, String>>,
    shared: Arc<Mutex<Shared>>,
    current: Option<Current>,
    pump: Option<NullPump>,
}

impl PlayerThread {
    fn new(null_output: bool, shared: Arc<Mutex<Shared>>) -> Self {
        let device = null_output.then(|| Err("no audio output device (null output)".to_string()));
        Self {
            device,
            shared,
            current: None,
            pump: None,
        }
    }

    fn run(mut self, commands: &Receiver<Command>) {
        while let Ok(command) = commands.recv() {
            match command {
                Command::Play {
                    sample,
                    path,
                    start,
                    volume,
                    paused,
                } => self.play(sample, &path, start, volume, paused),
                Command::Seek {
                    sample,
                    path,
                    seconds,
                    volume,
                } => self.seek(sample, &path, seconds, volume),
                Command::Stop => self.stop(),
            }
            if let Ok(mut shared) = self.shared.lock() {
                shared.current = self.current.clone();
                shared.done += 1;
            }
        }
        self.stop();
    }

    fn open_device(&mut self) {
        if self.device.is_some() {
            return;
        }
        if std::env::var_os("SPOTCHECK_AUDIO").is_some_and(|v| v == "null") {
            self.device = Some(Err("no audio output device (SPOTCHECK_AUDIO=null)".into()));
        } else {
            self.device = Some(match rodio::DeviceSinkBuilder::open_default_sink() {
                Ok(mut sink) => {
                    sink.log_on_drop(false);
                    Ok(sink)
                }
                Err(e) => Err(format!("no audio output device ({e}); playing silently")),
            });
        }
        if let (Some(Err(note)), Ok(mut shared)) = (&self.device, self.shared.lock()) {
            shared.device_note = Some(note.clone());
        }
    }

    fn fail(&self, message: String) {
        if let Ok(mut shared) = self.shared.lock() {
            shared.error = Some(message);
        }
    }

    fn play(&mut self, sample: u32, path: &SampleMedia, start: f64, volume: f32, paused: bool) {
        self.stop();
        self.open_device();
        // A file streams from disk; embedded media is read whole (a clip in a shard is small).
        enum Opened {
            File(rodio::Decoder<std::io::BufReader<std::fs::File>>),
            Bytes(rodio::Decoder<std::io::Cursor<Vec<u8>>>),
        }
        let opened = match path {
            SampleMedia::File(p) => match std::fs::File::open(p) {
                Ok(f) => rodio::Decoder::try_from(f)
                    .map(Opened::File)
                    .map_err(|e| e.to_string()),
                Err(e) => return self.fail(format!("{}: {e}", p.display())),
            },
            other => match other.read() {
                Ok(bytes) => rodio::Decoder::new(std::io::Cursor::new(bytes))
                    .map(Opened::Bytes)
                    .map_err(|e| e.to_string()),
                Err(e) => return self.fail(e.detail),
            },
        };
        let decoder = match opened {
            Ok(d) => d,
            Err(e) => return self.fail(format!("cannot play {}: {e}", path.describe())),
        };
        let (player, pump) = match &self.device {
            Some(Ok(sink)) => (rodio::Player::connect_new(sink.mixer()), None),
            _ => {
                let (p, pump) = null_player();
                (p, Some(pump))
            }
        };
        player.set_volume(volume);
        match decoder {
            Opened::File(d) => player.append(d),
            Opened::Bytes(d) => player.append(d),
        }
        if start > 0.0 {
            let _ = player.try_seek(Duration::from_secs_f64(start));
        }
        if paused {
            player.pause();
        } else {
            player.play();
        }
        self.pump = pump;
        self.current = Some(Current {
            sample,
            path: path.clone(),
            player: Arc::new(player),
        });
    }

    fn seek(&mut self, sample: u32, path: &SampleMedia, seconds: f64, volume: f32) {
        let live = self
            .current
            .as_ref()
            .filter(|c| c.sample == sample && !c.player.empty())
            .map(|c| Arc::clone(&c.player));
        match live {
            Some(player) => {
                if player.try_seek(Duration::from_secs_f64(seconds)).is_err() {
                    let paused = player.is_paused();
                    self.play(sample, path, seconds, volume, paused);
                }
            }
            None => self.play(sample, path, seconds, volume, false),
        }
    }

    fn stop(&mut self) {
        if let Some(c) = self.current.take() {
            c.player.stop();
        }
        self.pump = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone() -> SampleMedia {
        SampleMedia::File(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/tone.wav"),
        )
    }

    /// Waits (at most 5 s) until the player thread has done every command sent.
    fn settle(p: &AudioPlayer) {
        let start = std::time::Instant::now();
        while p.settled().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the player thread hangs"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn play_pause_seek_and_the_playhead_on_the_null_output() {
        let mut p = AudioPlayer::null();
        assert!(!p.is_playing(0));
        p.toggle(0, &tone());
        assert!(
            p.is_playing(0),
            "playing at once, while the thread starts it"
        );
        settle(&p);
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
        settle(&p);
        assert!(p.position(0).unwrap_or(0.0) >= 0.19);
        // Another clip stops the first; the 0.25 s clip then ends by itself.
        p.toggle(1, &tone());
        assert!(!p.is_playing(0) && p.is_playing(1));
        settle(&p);
        assert!(!p.is_playing(0) && p.is_playing(1));
        std::thread::sleep(Duration::from_millis(600));
        assert!(!p.is_playing(1), "finished");
        assert_eq!(
            p.device_note().as_deref(),
            Some("no audio output device (null output)")
        );
    }

    #[test]
    fn a_file_the_decoder_refuses_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("noise.wav");
        std::fs::write(&bad, b"RIFF....WAVEjunkjunkjunk").unwrap();
        let mut p = AudioPlayer::null();
        p.toggle(0, &SampleMedia::File(bad));
        settle(&p);
        p.tick();
        assert!(!p.is_playing(0));
        assert!(
            p.error
                .as_deref()
                .is_some_and(|e| e.contains("cannot play"))
        );
    }
}
