//! The clock as deadlines see it: a [`Moment`] that changes only when some open task's
//! classification can change (one falls due, or the local day ends) or the tasks change.
//! The task list, the navigation counts and the records list's marks follow it instead of
//! the 15 s tick, so a tick in which nothing falls due costs one pass over the due times.

use leptos::prelude::*;
use minicrm_core::deadline::Moment;

use super::Replica;
use crate::state::now::Now;

#[derive(Clone, Copy)]
pub struct Deadlines(Memo<(u64, Moment)>);

impl Deadlines {
    /// Now, for classifying deadlines (tracked; changes only when a classification may).
    pub fn moment(&self) -> Moment {
        self.0.get().1
    }
}

pub fn provide_deadlines(replica: Replica, now: Now) -> Deadlines {
    let memo = Memo::new(move |previous: Option<&(u64, Moment)>| {
        let version = replica.task_version.get();
        let fresh = now.moment();
        if let Some((seen, kept)) = previous {
            let same_day = kept.today_ends_ms == fresh.today_ends_ms;
            let nothing_fell_due = || {
                replica.with_untracked(|index| {
                    !index.open_tasks().any(|task| {
                        task.is_open()
                            && task
                                .due_ms
                                .is_some_and(|due| due > kept.now_ms && due <= fresh.now_ms)
                    })
                })
            };
            if *seen == version && same_day && nothing_fell_due() {
                return (*seen, *kept);
            }
        }
        (version, fresh)
    });
    let deadlines = Deadlines(memo);
    provide_context(deadlines);
    deadlines
}

pub fn use_deadlines() -> Deadlines {
    expect_context::<Deadlines>()
}
