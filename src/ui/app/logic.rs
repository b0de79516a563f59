//! The app's `logic`: what the threads finished (the load, the report, the thumbnail store, decodes)
//! is taken at the start of each frame, decodes under a time box so scrolling stays smooth.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use crate::core::data::load;
use crate::ui::workers::decode_pool::DecodePool;
use crate::ui::workers::thumb_store::ThumbnailStore;

use super::super::browse::Browse;
use super::super::edits::session::EditSession;
use super::super::loaded::Loaded;
use super::App;
use super::loader::LoadEvent;
use super::screens::Screen;
use super::store::StoreState;

/// Longest time per frame spent uploading finished decodes, so scrolling stays smooth.
const DRAIN_BUDGET: Duration = Duration::from_millis(6);

impl App {
    /// Takes what the threads finished: the load, the report, the store, a dialog, decodes.
    pub(super) fn logic(&mut self, ctx: &egui::Context) {
        self.store.poll();
        let event = match &self.screen {
            Screen::Loading(loading) => loading.poll(),
            _ => None,
        };
        match event {
            Some(LoadEvent::Loaded(loaded)) => self.loaded(loaded, ctx),
            Some(LoadEvent::Failed(message)) => {
                if let Screen::Loading(loading) = std::mem::take(&mut self.screen) {
                    self.screen = Screen::Failed {
                        path: loading.path,
                        message,
                    };
                }
            }
            None => {}
        }
        if let (Screen::Browsing(browse), Some(report)) = (&mut self.screen, &self.report)
            && let Some(report) = report.poll()
        {
            browse.loaded.report = Some(report);
            self.report = None;
        }
        // The decoders start once the store has opened (a frame or two at most), so they use it.
        if self.pool.is_none()
            && !self.store.opening()
            && matches!(self.screen, Screen::Browsing(_))
        {
            let waker = ctx.clone();
            // One core stays free for the UI thread (and the renderer), so scrolling stays smooth
            // while thumbnails stream.
            let workers = std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1));
            self.pool = Some(DecodePool::new(
                workers,
                256,
                self.store.ready(),
                Arc::new(move || waker.request_repaint()),
            ));
        }
        // Upload finished decodes, for a few milliseconds at most; the rest wait for the next frame.
        if let Some(pool) = &self.pool {
            let start = Instant::now();
            while let Some(result) = pool.try_recv() {
                self.cache.insert(ctx, result);
                if start.elapsed() > DRAIN_BUDGET {
                    ctx.request_repaint();
                    break;
                }
            }
        }
    }

    /// A dataset arrived: the browse state, its edit session, the recent list.
    fn loaded(&mut self, mut loaded: Box<Loaded>, ctx: &egui::Context) {
        let Screen::Loading(loading) = std::mem::take(&mut self.screen) else {
            return;
        };
        let started = loading.started;
        self.report = Some(loading.into_report());
        self.cache.clear();
        if let Some(pool) = &self.pool {
            pool.next_epoch();
        }
        if let Some(opened) = self.opening.take() {
            self.recent.push(opened);
        }
        let edited = loaded.edited.take();
        let base = Arc::clone(&loaded.base);
        let mut browse = Browse::new(loaded);
        browse.cache_dir = match &self.store {
            StoreState::Ready(store) => store.path().parent().map(std::path::Path::to_path_buf),
            StoreState::Opening(_) => ThumbnailStore::default_dir(),
            StoreState::Off(_) => None,
        };
        if let Some(edited) = edited {
            let waker = ctx.clone();
            let mut session = EditSession::new(base, edited, move || waker.request_repaint());
            if let Some(notice) = self.carry_notice.take() {
                session.notice = Some(notice);
                browse.edits_open = true;
            }
            browse.edits = Some(session);
        }
        browse.start_crowd(ctx);
        browse.opened_at = Some(started);
        self.screen = Screen::Browsing(Box::new(browse));
        load::timing("grid ready (since open)", started);
    }
}
