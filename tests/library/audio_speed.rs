//! Waveform (or, with `SPOTCHECK_AUDIO_PICTURE=spectrogram`, mel spectrogram) tiles per second, as
//! the GUI's decoder threads make them (`decode_request` at tile size on every core). Ignored by
//! default: `scripts/bench-audio.sh [waveform|spectrogram]` makes 1,000 five-second clips and runs it
//! (`SPOTCHECK_AUDIO_BENCH=DIR cargo test --release --test library audio_speed -- --ignored --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rayon::prelude::*;
use spotcheck::core::media::DEFAULT_MAX_PIXELS;
use spotcheck::ui::workers::decode_pool::{DecodeRequest, Picture, decode_request};

#[test]
#[ignore]
fn waveform_tiles_per_second() {
    let dir =
        std::env::var_os("SPOTCHECK_AUDIO_BENCH").expect("SPOTCHECK_AUDIO_BENCH=folder of clips");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "wav" || e == "flac" || e == "ogg" || e == "mp3")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let picture = match std::env::var("SPOTCHECK_AUDIO_PICTURE").as_deref() {
        Ok("spectrogram") => Picture::Spectrogram,
        Ok("waveform") | Err(_) => Picture::Waveform,
        Ok(other) => panic!("SPOTCHECK_AUDIO_PICTURE={other}: waveform or spectrogram"),
    };
    let mut rates = Vec::new();
    for run in 0..5 {
        let started = std::time::Instant::now();
        let ok = files
            .par_iter()
            .map(|path| {
                let request = DecodeRequest {
                    sample: 0,
                    media: spotcheck::core::data::sample_media::SampleMedia::File(path.clone()),
                    size: 256,
                    picture,
                    epoch: 0,
                };
                decode_request(&request, DEFAULT_MAX_PIXELS).is_ok() as usize
            })
            .sum::<usize>();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(ok, files.len(), "every clip decodes");
        let rate = files.len() as f64 / secs;
        println!(
            "run {run}: {} clips in {secs:.3} s = {rate:.0} clips/s",
            files.len()
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median {:.0} clips/s on {} threads ({picture:?} tiles; the waveform bar: 500)",
        rates[rates.len() / 2],
        rayon::current_num_threads()
    );
}
