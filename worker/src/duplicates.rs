//! "Find duplicates": every contact on the device read once, profiled and grouped by core's
//! rules; the groups listed with their members as the device shows them.

use std::cmp::Reverse;

use minicrm_core::duplicates::{self, Found, FoundGroup, Member, Profile};
use minicrm_core::import::job::Reply;
use minicrm_core::text::fold;
use minicrm_storage::rows::RowScan;
use uuid::Uuid;

use crate::device::{storage, storage_error};
use crate::review::shown_records;

/// Contacts read per slice.
const SLICE: u32 = 5000;
/// Groups listed at most (the strongest first); the rest are counted.
const MOST_GROUPS: usize = 500;

pub async fn find() -> Result<Reply, String> {
    let storage = storage().await?;
    let mut profiles = Vec::new();
    let mut scan = RowScan::new(&storage, "contact", SLICE);
    while let Some(slice) = scan.next().await.map_err(storage_error)? {
        for row in slice.parsed() {
            let row = row.map_err(storage_error)?;
            let Ok(id) = Uuid::parse_str(&row.id) else {
                continue;
            };
            profiles.extend(Profile::of(id, &row.shown()));
        }
    }
    let records = profiles.len() as u32;
    let mut groups = duplicates::find_groups(&profiles);
    drop(profiles);
    let more = groups.len().saturating_sub(MOST_GROUPS) as u32;
    groups.truncate(MOST_GROUPS);
    let ids: Vec<Uuid> = groups.iter().flat_map(|g| g.ids.iter().copied()).collect();
    let shown = shown_records(&ids).await?;
    let mut groups: Vec<FoundGroup> = groups
        .into_iter()
        .map(|group| {
            let mut members: Vec<Member> = group
                .ids
                .iter()
                .filter_map(|id| Some(Member::of(*id, shown.get(id)?)))
                .collect();
            // By name, as a person reads a list (the ids' order is no order to them).
            members.sort_by_cached_key(|member| (fold(&member.name), member.id));
            FoundGroup {
                members,
                reasons: group.reasons,
            }
        })
        .filter(|group| group.members.len() > 1)
        .collect();
    // Among groups of one strength and size, by their first name.
    groups.sort_by_cached_key(|group| {
        let strength = group.reasons.first().map_or(0, |reason| reason.strength());
        let first = group
            .members
            .first()
            .map(|m| fold(&m.name))
            .unwrap_or_default();
        (Reverse(strength), Reverse(group.members.len()), first)
    });
    Ok(Reply::Duplicates(Box::new(Found {
        records,
        groups,
        more,
    })))
}
