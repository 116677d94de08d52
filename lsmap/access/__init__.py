"""The one place that decides who may see what.

Every read of personal data takes the acting user (:class:`Actor`) and goes through a
function of this package. The district filter and the field projection happen in the query,
so that nothing the actor may not see is ever loaded into Python, a map layer, a popup, an
export or a printout. An empty scope returns nothing. Every role decision is made here too
(:data:`ROLE_POLICIES` and the named decisions of :mod:`lsmap.access.policy`); the rest of
lsmap asks, and never compares roles itself.

Roles (:class:`lsmap.vocab.Role`):

- ``admin``: everything.
- ``staff``: records of the assigned districts and the areas nested in them.
- ``meeting``: like staff but read-only; residents whose consent is not 同意 are shown only
  as numbered points, without name, phone or concerns. A household's own details (address,
  type, note, contact log, emergency card) only when at least one live resident consented
  and none is withheld (:func:`details_shareable`); otherwise it is a number only.
- ``watcher``: a 見守り者 linked to one watcher row; only the households of its own links,
  with the field set of :mod:`lsmap.access.my_watch`, on its phone page; nothing else.
- ``planner``: aggregate numbers only; no personal rows at all; small counts suppressed
  (:mod:`lsmap.access.aggregates`).

Modules: ``core`` (actors, permissions, the district tree, the area of a request, the SQL
scope), ``policy`` (named role decisions), ``residents`` (the consent rule), ``map_reads``,
``records`` (the watch record), ``record_work``, ``exports``, ``coverage_inputs``,
``aggregates``, ``audit_log``, ``accounts``, ``meeting_work`` (a 福祉連絡会's proposals, 会議の記録
and 見直し dates), ``my_watch`` (a 見守り者 account's own households, 「わたしの見守り」), and
``views`` (the plain records handed out).
"""

from __future__ import annotations

from lsmap.access import views
from lsmap.access.aggregates import (
    PLANNER_MIN_RADIUS_M,
    SITE_GRID_FACTOR,
    AggregatePolicy,
    aggregate_policy,
)
from lsmap.access.audit_log import audit_entries
from lsmap.access.contact_history import HISTORY_PAGE, HistoryPage, contact_history
from lsmap.access.core import (
    ROLE_POLICIES,
    AccessDenied,
    Action,
    Actor,
    Area,
    DistrictTree,
    RolePolicy,
    area_for,
    area_ids,
    can,
    command_line_actor,
    expand_districts,
    load_actor,
    role_may,
    scoped,
)
from lsmap.access.coverage_inputs import coverage_inputs, coverage_scope
from lsmap.access.exports import (
    EXPORT_LAYERS,
    PERSONAL_LAYERS,
    export_rows,
    import_match_keys,
    may_export,
)
from lsmap.access.follow_up import FollowUpPlan, assignable_users, follow_up_plan
from lsmap.access.map_reads import (
    district_outlines,
    household_counts_by_district,
    household_points,
    resource_points,
    visible_districts,
    watch_link_lines,
    watcher_points,
)
from lsmap.access.meeting_work import (
    MeetingRecordView,
    ProposalView,
    household_names,
    latest_review_dates,
    may_keep_register,
    may_print_names,
    meeting_records,
    proposals,
)
from lsmap.access.my_watch import (
    MY_WATCH_FIELDS,
    MyHousehold,
    may_report_on,
    monthly_activity,
    my_households,
)
from lsmap.access.policy import (
    aggregates_only,
    default_district,
    may_confirm_proposals,
    may_draw,
    may_edit_contact_sheet,
    may_import,
    may_manage_users,
    may_print_map,
    may_propose,
    may_read_audit,
    may_search,
    may_use_meeting_mode,
    meeting_mode_default,
    pages_for_role,
    sees_full_records,
    sees_people,
    sees_whole_town,
    watches_own,
)
from lsmap.access.record_work import (
    EDIT_FIELDS,
    EDIT_MODELS,
    ContactFacts,
    contact_facts,
    deleted_records,
    edit_snapshot,
    editable_districts,
    household_for_edit,
    record_district,
    row_snapshot,
    watchers_with_load,
)
from lsmap.access.records import RECENT_CONTACTS, watch_record
from lsmap.access.residents import (
    MEETING_RESIDENT_FIELDS,
    RESIDENT_FIELDS,
    consent_counts,
    details_shareable,
    resident_fields,
    resident_views,
)
from lsmap.access.search import SearchHit, search_households

__all__ = [
    "MY_WATCH_FIELDS",
    "MyHousehold",
    "may_report_on",
    "monthly_activity",
    "my_households",
    "watches_own",
    "EDIT_FIELDS",
    "EDIT_MODELS",
    "EXPORT_LAYERS",
    "MEETING_RESIDENT_FIELDS",
    "PERSONAL_LAYERS",
    "PLANNER_MIN_RADIUS_M",
    "RECENT_CONTACTS",
    "RESIDENT_FIELDS",
    "ROLE_POLICIES",
    "SITE_GRID_FACTOR",
    "AccessDenied",
    "Action",
    "Actor",
    "AggregatePolicy",
    "MeetingRecordView",
    "ProposalView",
    "Area",
    "ContactFacts",
    "DistrictTree",
    "RolePolicy",
    "aggregate_policy",
    "aggregates_only",
    "area_for",
    "area_ids",
    "audit_entries",
    "can",
    "command_line_actor",
    "consent_counts",
    "contact_facts",
    "coverage_inputs",
    "coverage_scope",
    "default_district",
    "deleted_records",
    "details_shareable",
    "district_outlines",
    "edit_snapshot",
    "editable_districts",
    "expand_districts",
    "export_rows",
    "household_counts_by_district",
    "household_for_edit",
    "household_names",
    "household_points",
    "import_match_keys",
    "latest_review_dates",
    "load_actor",
    "may_confirm_proposals",
    "may_draw",
    "may_edit_contact_sheet",
    "may_export",
    "may_import",
    "may_manage_users",
    "may_keep_register",
    "may_print_map",
    "may_print_names",
    "may_propose",
    "may_read_audit",
    "may_search",
    "search_households",
    "contact_history",
    "FollowUpPlan",
    "assignable_users",
    "follow_up_plan",
    "HistoryPage",
    "HISTORY_PAGE",
    "SearchHit",
    "may_use_meeting_mode",
    "meeting_mode_default",
    "meeting_records",
    "pages_for_role",
    "proposals",
    "record_district",
    "resident_fields",
    "resident_views",
    "resource_points",
    "role_may",
    "row_snapshot",
    "scoped",
    "sees_full_records",
    "sees_people",
    "sees_whole_town",
    "views",
    "visible_districts",
    "watch_link_lines",
    "watch_record",
    "watcher_points",
    "watchers_with_load",
]
