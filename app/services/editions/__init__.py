"""List editions (清单期次): compile, check, publish, correct, compare, read.

The package, by seam: common (fields, formats, sorts), snapshot (snapshots, meta,
changelog), reading (finding editions, filters, search, pages), compiling (drafts and
readiness), publishing (maker–checker, corrections), files (the stored files, made by a
job), selection (exports of a filtered selection), searches (saved searches and publication
notices, sent by a job). Callers use
the names re-exported here: `editions.publish_edition(...)`.

THE SNAPSHOT CONTRACT (shared with app/services/exports/ and the API)
-----------------------------------------------------------------------
Publishing freezes, for every item, a dict of every displayed field (EditionItem.snapshot).
All values are JSON-serialisable:

    seq (int)                    marker ("new" | "carried")
    need_id, project_id (int)    project_name, project_code, owner_org (organisation name)
    level, category (enum values)        industry_code, industry_name_zh
    district_code, district_name_zh      zone_code, zone_name_zh (or null)
    stage, reserve_substage (enum value or null)
    total_investment, annual_planned_investment, amount, funds_secured
                                 (decimal strings in 万元, e.g. "123456.78")
    instruments (list of Instrument values)      term_months (int)
    cost_ceiling (decimal string, % a year, or null)      use_of_funds
    credit_enhancements (list of CreditEnhancement values)
    planned_start, planned_completion (ISO dates or null)
    description, is_priority (bool)
    contact_name, contact_phone, contact_email   (never shown to the public; exports
                                                  and public API answers leave them out)

The edition's META dict: year, period, revision, title_zh ("2026年第6期（11–12月）"),
months_zh ("11–12月"), published_at (ISO), correction_note (or null), item_count.

Services flush and never commit: publish_edition() writes the snapshots, moves the
needs to listed, supersedes the previous edition and asks for two jobs in the caller's
transaction, so a failure at any step leaves nothing published once the caller rolls back.
The jobs run after the commit (app/services/jobs.py): "edition.files" stores the export
files (files.py; edition.files_ready_at says when), "edition.notify" the notices with each
reader's saved-search matches (searches.py).
"""

from app.services.editions.common import (  # noqa: F401
    COMPARED_FIELDS,
    CONTACT_FIELDS,
    EXPORT_FORMATS,
    LEVEL_ORDER,
    MIME_TYPES,
    SORTS,
)
from app.services.editions.compiling import (  # noqa: F401
    EDITION_KEY,
    EDITION_TAKEN,
    REVISION_TAKEN,
    add_item,
    addable_needs,
    check_readiness,
    justify,
    open_draft,
    preload,
    previous_need_ids,
    proposals,
    red_count,
    remove_item,
    sort_items,
)
from app.services.editions.files import (  # noqa: F401
    edition_file,
    render_files_job,
    request_files,
    store_files,
)
from app.services.editions.publishing import (  # noqa: F401
    awaiting_approval,
    create_correction,
    publish_edition,
    request_publication,
    send_back_publication,
)
from app.services.editions.reading import (  # noqa: F401
    FILTER_LABELS,
    READER_SORTS,
    SORT_LABELS,
    Filters,
    ItemPage,
    contact_of,
    edition_industries,
    filter_words,
    filters_sentence,
    get_edition,
    get_item,
    latest_published,
    latest_with_item_count,
    list_editions,
    page_items,
    parse_key,
    revisions,
    search_items,
)
from app.services.editions.searches import (  # noqa: F401
    count_searches,
    delete_search,
    get_search,
    matching_need_ids,
    notify_readers,
    notify_readers_job,
    request_notices,
    save_search,
    set_search_email,
    user_searches,
)
from app.services.editions.selection import (  # noqa: F401
    CONTACT_FORMATS,
    EXPORT_MAX_ITEMS,
    SELECTION_FORMATS,
    TooManyItems,
    export_selection,
    may_export_contacts,
)
from app.services.editions.snapshot import (  # noqa: F401
    REMOVAL_REASONS,
    build_snapshot,
    changelog,
    denormalise,
    item_data,
    meta,
    public_data,
)
