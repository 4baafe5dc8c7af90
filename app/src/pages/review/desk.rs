//! The desk's state machine: the task on screen, the one claimed behind it, and the moves
//! (a submit or a skip) that swap them before the server has answered.

use super::lease;
use crate::error::AppError;
use crate::review::{TaskView, Upcoming, current_task};
use leptos::prelude::*;

/// What the desk shows.
#[derive(Clone)]
pub enum Shown {
    Task(TaskView),
    /// Moved on with nothing prefetched: waiting for the server's answer.
    Loading,
    Empty,
}

impl Shown {
    fn from_current(task: Option<TaskView>) -> Self {
        task.map_or(Shown::Empty, Shown::Task)
    }

    pub fn task_id(&self) -> Option<uuid::Uuid> {
        match self {
            Shown::Task(t) => Some(t.id),
            _ => None,
        }
    }
}

/// The reviewer's desk: the task on screen plus the next one, claimed in the background.
///
/// Moving on (a valid submit, or a skip) shows the prefetched task at once and sends the
/// review afterwards; the server's answer names the current task (normally the one already on
/// screen) and the new one behind it. Answers can arrive out of order when the reviewer moves on
/// faster than the server answers, so only the answer to the latest move may change what is
/// shown. A review the server refuses after the page moved on is reported in a notice at the
/// top, and the reviewer's lease on that task stays, so it comes back to them.
#[derive(Clone, Copy)]
pub struct Desk {
    pub shown: RwSignal<Shown>,
    pub next: RwSignal<Option<TaskView>>,
    pub notice: RwSignal<Option<String>>,
    /// How many times the reviewer has moved on: the number of the latest move.
    moves: StoredValue<u64>,
}

impl Desk {
    /// A desk showing `first` (the server's current task), with nothing claimed behind it yet.
    pub fn new(first: Option<TaskView>) -> Self {
        Desk {
            shown: RwSignal::new(Shown::from_current(first)),
            next: RwSignal::new(None),
            notice: RwSignal::new(None),
            moves: StoredValue::new(0),
        }
    }

    /// Whether the reviewer has moved on since the page loaded (the task on screen is not the
    /// one the server rendered).
    pub fn has_moved(self) -> bool {
        self.moves.get_value() > 0
    }

    /// Moves on: shows the prefetched task (or a loading line) at once, then settles the desk
    /// with the server's `answer` to the review or skip that moved it.
    pub fn move_on(self, answer: impl Future<Output = Result<Upcoming, AppError>> + 'static) {
        let move_no = self.step();
        self.send(move_no, answer);
    }

    /// Shows the prefetched task (or a loading line) and returns this move's number.
    fn step(self) -> u64 {
        lease::mark("loupe:move-on");
        self.shown.set(match self.next.get_untracked() {
            Some(t) => Shown::Task(t),
            None => Shown::Loading,
        });
        self.next.set(None);
        self.moves.update_value(|n| *n += 1);
        self.moves.get_value()
    }

    /// Waits for the server's answer to move number `move_no` and settles the desk with it.
    fn send(
        self,
        move_no: u64,
        answer: impl Future<Output = Result<Upcoming, AppError>> + 'static,
    ) {
        leptos::task::spawn_local(async move {
            let result = answer.await;
            let latest = self.moves.get_value() == move_no;
            match result {
                // An older answer describes a state a later move has already changed.
                Ok(_) if !latest => {}
                Ok(Upcoming { current, next }) => {
                    let showing = self.shown.with_untracked(Shown::task_id);
                    match current {
                        Some(c) if Some(c.id) == showing => {}
                        current => self.shown.set(Shown::from_current(current)),
                    }
                    self.next.set(next);
                }
                Err(e) => {
                    self.notice
                        .set(Some(format!("Your last review was not saved: {e}")));
                    if latest && matches!(self.shown.get_untracked(), Shown::Loading) {
                        self.reload_current();
                    }
                }
            }
        });
    }

    /// Asks the server for the current task after a failed move-on left nothing on screen.
    fn reload_current(self) {
        leptos::task::spawn_local(async move {
            match current_task().await {
                Ok(task) => self.shown.set(Shown::from_current(task)),
                Err(e) => self.notice.set(Some(e.to_string())),
            }
        });
    }
}
