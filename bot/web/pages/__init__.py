"""The console's pages, one module each; ``routes()`` is the table app.py mounts:
(path, page name for the role check in bot.web.auth.PAGES, handler, methods)."""

from __future__ import annotations

from bot.web.pages import checks, deadlines, mapview, overview, people, proposals, sites


def routes() -> list[tuple]:
    get, post = ["GET"], ["POST"]
    return [
        ("/overview", "overview", overview.overview_page, get),
        ("/checks", "checks", checks.checks_page, get),
        ("/checks.xlsx", "checks", checks.checks_xlsx, get),
        ("/checks/{run_id:int}", "checks", checks.check_detail, get),
        ("/checks/{run_id:int}/review", "checks", checks.review_check, post),
        ("/checks/{run_id:int}/review", "checks", checks.check_detail, get),
        ("/checks/{run_id:int}/photo/{question_id}", "checks", checks.check_photo, get),
        ("/map", "map", mapview.map_page, get),
        ("/sites", "sites", sites.sites_page, get),
        ("/sites", "sites", sites.add_site, post),
        ("/sites/import", "sites", sites.import_csv, post),
        # A page answering a POST keeps its address: reloading it or switching the
        # language is a GET there, which shows the list again.
        ("/sites/import", "sites", sites.sites_page, get),
        ("/sites/proposals/{proposal_id:int}", "sites", proposals.proposal_page, get),
        ("/sites/proposals/{proposal_id:int}/add", "sites", proposals.add_proposed, post),
        ("/sites/proposals/{proposal_id:int}/add", "sites", proposals.proposal_page, get),
        ("/sites/proposals/{proposal_id:int}/decline", "sites", proposals.decline_proposed, post),
        ("/sites/{code}/edit", "sites", sites.edit_site_page, get),
        ("/sites/{code}/edit", "sites", sites.edit_site, post),
        ("/sites/{code}/close", "sites", sites.close_site, post),
        ("/people", "people", people.people_page, get),
        ("/people/invite", "people", people.create_invite, post),
        ("/people/invite", "people", people.people_page, get),
        ("/people/{person_id:int}/role", "people", people.change_role, post),
        ("/people/{person_id:int}/active", "people", people.set_active, post),
        ("/people/sessions/{id_hash}/revoke", "people", people.revoke, post),
        ("/deadlines", "deadlines", deadlines.deadlines_page, get),
        ("/deadlines/report.docx", "report", deadlines.report_docx, get),
    ]
