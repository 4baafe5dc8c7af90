//! The background claim's lifecycle in the browser: fetch the next task once the page is live,
//! renew the leases while it stays open, give the claim back when the page is left (a beacon).
//! Also the performance marks browser tests and benchmarks read. The server renders none of this.

use super::desk::Shown;
use crate::review::{RENEW_EVERY_SECS, ReleaseNext, TaskView, claim_next, renew_leases};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use std::time::Duration;

/// Keeps `next` filled while a task is on screen.
pub fn keep(shown: RwSignal<Shown>, next: RwSignal<Option<TaskView>>) {
    let fetch = move || {
        if matches!(shown.get_untracked(), Shown::Task(_)) && next.with_untracked(Option::is_none) {
            spawn_local(async move {
                // A failure only costs the head start: the page then waits on the server.
                if let Ok(Some(t)) = claim_next().await {
                    // A move-on that overtook this request may have made it current already.
                    if shown.with_untracked(Shown::task_id) != Some(t.id) {
                        next.set(Some(t));
                    }
                }
            });
        }
    };
    Effect::new(move |_| {
        fetch();
        let renew = set_interval_with_handle(
            move || {
                spawn_local(async move {
                    if let Ok(held) = renew_leases().await {
                        // The claim lapsed (a sleeping laptop): drop it and claim afresh.
                        if next
                            .with_untracked(|n| n.as_ref().is_some_and(|t| !held.contains(&t.id)))
                        {
                            next.set(None);
                            fetch();
                        }
                    }
                });
            },
            Duration::from_secs(RENEW_EVERY_SECS.into()),
        );
        // Every way off the page is a page load (the pages are server-rendered; only the
        // desk runs in the browser), so `pagehide` covers them all.
        let hide = window_event_listener(leptos::ev::pagehide, move |_| {
            release();
            next.set(None);
        });
        // Back from the back/forward cache: the claim was given back, so take a new one.
        let show = window_event_listener(leptos::ev::pageshow, move |ev| {
            if ev.persisted() {
                fetch();
            }
        });
        on_cleanup(move || {
            if let Ok(renew) = renew {
                renew.clear();
            }
            hide.remove();
            show.remove();
        });
    });
}

/// A beacon survives the page being torn down, which a fetch does not.
fn release() {
    let _ = window().navigator().send_beacon(ReleaseNext::url());
}

pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        let _ = p.mark(name);
    }
}

/// Marks the next frame, when layout for what was just rendered is done.
pub fn mark_when_painted(name: &'static str) {
    request_animation_frame(move || mark(name));
}
