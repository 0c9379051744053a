"""Segments (named filters kept in the profile) and `gomoq audience refresh`.

Gomobile has no automatic segmentation; the guide asks the operator to select the contacts that
match, create or update a static audience, add them, and repeat. Here:

- a **segment** is a name and a filter (`gomoq.filters`), kept in the profile's `[segments]`
  table (`gomoq segment add|list|remove|show`);
- `refresh_plan` compares each segment's contacts (from the cache) with the active members of the
  static audience of the same name, and makes a plan of `audience_sync` actions: create the
  audience when missing, add who joins, remove who leaves. `gomoq apply` sends it in batches,
  journaled and undoable like every plan. A segment whose audience is already right gives no
  action, so a second refresh right after an apply plans nothing;
- `ENGAGEMENT` are the guide's three engagement segments (Active, At Risk, Inactive), named with
  the profile's thresholds (`checks.inactivity`) and set up in one go with `--engagement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from gomoq.checks.settings import CheckSettings
from gomoq.config import Profile, set_segments
from gomoq.errors import UsageError
from gomoq.filters import parse
from gomoq.plan.model import AudienceSyncAction, Plan
from gomoq.services.selection import Selection

NAME_MIN, NAME_MAX = 3, 64  # a segment becomes an audience: the API's name limits (§5)


def engagement_segments(settings: CheckSettings) -> dict[str, str]:
    """The guide's engagement segments, named with the profile's thresholds."""
    cfg = settings.inactivity
    return {
        f"Active (last {cfg.active_days} days)": "band:active",
        f"At Risk ({cfg.at_risk_days}-{cfg.inactive_days} days)": "band:at-risk",
        f"Inactive ({cfg.inactive_days}+ days)": "band:inactive",
    }


# -- segments ---------------------------------------------------------------------------------


def check_segment_name(name: str) -> str:
    """A segment name is the audience's name: 3 to 64 characters, not blank."""
    clean = name.strip()
    if not NAME_MIN <= len(clean) <= NAME_MAX or clean != name:
        raise UsageError(
            f"The segment name {name!r} must be {NAME_MIN} to {NAME_MAX} characters, "
            "without spaces around it (it becomes the audience's name)."
        )
    return name


def add_segment(
    profile: Profile, name: str, text: str, selection: Selection | None = None
) -> Profile:
    """Add segment `name` = `text` to the profile (saved); the filter is checked against the
    cache's names when `selection` is given, else for its syntax."""
    check_segment_name(name)
    if name in profile.segments:
        raise UsageError(
            f"A segment named {name!r} already exists ({profile.segments[name]}): "
            "remove it first or choose another name."
        )
    if selection is not None:
        selection.compile(text)
    else:
        parse(text)
    updated = replace(profile, segments={**profile.segments, name: text})
    set_segments(profile.name, updated.segments)
    return updated


def remove_segment(profile: Profile, name: str) -> Profile:
    """Remove segment `name` from the profile (saved)."""
    segment(profile, name)
    updated = replace(profile, segments={k: v for k, v in profile.segments.items() if k != name})
    set_segments(profile.name, updated.segments)
    return updated


def segment(profile: Profile, name: str) -> str:
    """The filter of segment `name` (UsageError naming the known ones when there is none)."""
    if name not in profile.segments:
        known = ", ".join(repr(n) for n in sorted(profile.segments)) or "none yet"
        raise UsageError(f"There is no segment named {name!r} (known: {known}).")
    return profile.segments[name]


# -- refresh ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceState:
    """One segment beside its audience: who matches, who is in, who joins and who leaves."""

    segment: str
    filter: str
    audience_id: str | None
    audience_type: str | None
    matching: int
    members: int
    joiners: list[str] = field(default_factory=list)
    leavers: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """Membership changes (plus one when the audience must be created)."""
        return len(self.joiners) + len(self.leavers) + (self.audience_id is None)


def audience_state(selection: Selection, name: str, text: str) -> AudienceState:
    """Compare segment `name` (filter `text`) with the cached audience of the same name."""
    chosen = selection.ids(text)
    audiences = selection.tables.audiences.select("id", "name", "type").collect()
    same = audiences.filter(pl.col("name") == name)
    if same.height == 0:
        return AudienceState(
            name, text, None, None, chosen.len(), 0, joiners=chosen.to_list(), leavers=[]
        )
    audience_id, kind = str(same["id"][0]), str(same["type"][0] or "static")
    members = (
        selection.tables.audience_members.filter(
            (pl.col("audience_id") == audience_id)
            & (pl.col("status").is_null() | (pl.col("status") == "active"))
        )
        .select("contact_id")
        .unique()
        .collect()
        .to_series()
    )
    # live contacts only: a membership of a contact no longer in the cache is not ours to touch
    members = members.filter(members.is_in(selection.column("id").implode()))
    joiners = chosen.filter(~chosen.is_in(members.implode()))
    leavers = members.filter(~members.is_in(chosen.implode()))
    return AudienceState(
        name,
        text,
        audience_id,
        kind,
        chosen.len(),
        members.len(),
        joiners=joiners.to_list(),
        leavers=sorted(leavers.to_list()),
    )


def refresh_plan(
    profile: Profile, selection: Selection, names: Sequence[str]
) -> tuple[Plan, list[AudienceState]]:
    """The plan that brings the audiences of segments `names` in line, and each one's state.

    A live audience of a segment's name cannot be set by hand: UsageError."""
    states = [audience_state(selection, n, segment(profile, n)) for n in names]
    for state in states:
        if state.audience_type not in (None, "static"):
            raise UsageError(
                f"The audience {state.segment!r} is a {state.audience_type} audience: Gomobile "
                "decides its members; rename the segment to keep a static audience instead."
            )
    actions = []
    for i, state in enumerate(s for s in states if s.changes):
        actions.append(
            AudienceSyncAction(
                id=f"a{i + 1}",
                name=state.segment,
                audience=state.audience_id,
                add=tuple(state.joiners),
                remove=tuple(state.leavers),
                segment=state.segment,
                filter=state.filter,
            )
        )
    return Plan(profile=profile.name, actions=list(actions)), states


def with_engagement(profile: Profile, settings: CheckSettings) -> tuple[Profile, list[str]]:
    """The profile with the engagement segments added (saved when any was missing), and their
    names. A segment of that name with another filter is the operator's: kept as it is."""
    wanted = engagement_segments(settings)
    missing = {n: f for n, f in wanted.items() if n not in profile.segments}
    if missing:
        profile = replace(profile, segments={**profile.segments, **missing})
        set_segments(profile.name, profile.segments)
    return profile, list(wanted)
