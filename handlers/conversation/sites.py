"""Starting a checklist and choosing its site: recent sites, a name search, the
nearest sites to a shared location, and the "checked recently" question."""

from __future__ import annotations

from handlers import payloads
from handlers.checklist import Checklist
from handlers.conversation.base import TurnBase
from handlers.conversation.prompts import EPOCH
from handlers.messages import Choice, Reply
from handlers.question_types import valid_coordinates
from storage import runs, sites
from storage.models import ChecklistRun, Site
from storage.textnorm import fold

# Sites per page of a search: a phone screen of buttons.
PER_PAGE = 8


def site_choice(run: ChecklistRun, site: Site, label: str | None = None) -> Choice:
    return Choice(label or site.name, payloads.PickSite(run.id, site.id).encode())


class Sites(TurnBase):
    async def _start_checklist(self, checklist_id: str, site_id: int | None = None):
        checklist = self.engine.checklists.get(checklist_id)
        if checklist is None or not checklist.allowed_for(
            self.person.role, self.person.department_code
        ):
            return [Reply(self.t("stale_button"))] + await self._menu()
        if await runs.open_run(self.session, self.person.id) is not None:
            return await self._menu()  # finish or discard the open draft first
        run = ChecklistRun(
            person_id=self.person.id,
            checklist_id=checklist.id,
            checklist_version=checklist.version,
            channel=self.inbound.channel,
            phase="site" if checklist.needs_site else "question",
        )
        self.session.add(run)
        await self.session.flush()
        if not checklist.needs_site:
            return await self._advance(run, checklist, after=None)
        if site_id is not None:  # a recent site from the menu
            return await self._pick_site(run, checklist, site_id)
        return await self._site_prompt(run, checklist)

    async def _site_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        recent = await runs.recent_sites(self.session, self.person.id, list(checklist.site_kinds))
        choices = [site_choice(run, site) for site in recent]
        key = "site_prompt_recent" if recent else "site_prompt"
        return [Reply(self.t(key, title=checklist.title_in(self.lang)), choices)]

    async def _find_sites(self, run: ChecklistRun, checklist: Checklist, text: str, page=0):
        if self.inbound.location is not None:
            return await self._sites_near(run, checklist, *self.inbound.location)
        if run.phase == "site_propose":
            return await self._record_proposal(run, checklist, text)
        if len(text) < 2:
            return await self._site_prompt(run, checklist)
        kinds = list(checklist.site_kinds)
        found, total = await sites.search_sites_page(self.session, text, kinds, page, PER_PAGE)
        propose = Choice(self.t("button_propose_site"), payloads.ProposeSite(run.id).encode())
        if not found:
            return [Reply(self.t("site_not_found", query=text), [propose])]
        if total == 1:  # one match: straight to it, with a way back
            return await self._pick_site(run, checklist, found[0].id, single=True)
        choices = [site_choice(run, site) for site in found]
        query = fold(text)[:40].strip()
        if total > (page + 1) * PER_PAGE:
            first, last = page * PER_PAGE + 1, page * PER_PAGE + len(found)
            text_ = self.t("site_matches_more", count=total, query=text, first=first, last=last)
            more = payloads.SitePage(run.id, page + 1, query).encode()
            choices.append(Choice(self.t("button_next_page"), more))
        else:
            text_ = self.t("site_matches", count=total, query=text)
        choices.append(propose)
        return [Reply(text_, choices)]

    async def _propose_prompt(self, run: ChecklistRun) -> list[Reply]:
        self._move(run, "site_propose", None)
        back = Choice(self.t("button_back"), payloads.Back(run.id).encode())
        return [Reply(self.t("propose_prompt"), [back])]

    async def _record_proposal(self, run, checklist: Checklist, text: str) -> list[Reply]:
        if len(text) < 3:
            return [Reply(self.t("propose_too_short"))]
        await runs.propose_site(self.session, self.person.id, checklist.id, text)
        self._move(run, "site", None)
        return [Reply(self.t("propose_recorded", name=text[:200]))] + await self._site_prompt(
            run, checklist
        )

    async def _sites_near(self, run, checklist: Checklist, lat, lon) -> list[Reply]:
        if not valid_coordinates(lat, lon):
            key = "location_out_of_range"
            return [Reply(self.t(key))] + await self._site_prompt(run, checklist)
        kinds = list(checklist.site_kinds)
        found = await sites.nearest_sites(self.session, lat, lon, kinds, limit=5)
        if not found:
            return [Reply(self.t("site_none_near"))] + await self._site_prompt(run, checklist)
        choices = [
            site_choice(run, site, f"{site.name} ({distance:.1f} km)") for site, distance in found
        ]
        return [Reply(self.t("site_nearest"), choices)]

    async def _recent_check(self, checklist: Checklist, site_id: int):
        now = self.engine.now_local()
        period = self.engine.settings.duplicate_period
        if period == "year":
            start = now.replace(month=1, day=1)
        elif period == "quarter":
            start = now.replace(month=(now.month - 1) // 3 * 3 + 1, day=1)
        else:
            start = now.replace(day=1)
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        return await runs.latest_check_since(self.session, checklist.id, site_id, start)

    async def _pick_site(self, run, checklist: Checklist, site_id: int, single=False):
        site = await self.session.get(Site, site_id)
        if site is None or site.kind not in checklist.site_kinds or site.status == "closed":
            return await self._stale(run)
        replies = await self._use_site(run, checklist, site_id, check_recent=True)
        if single:
            not_this = payloads.NotThisSite(run.id).encode()
            replies[-1].choices.append(Choice(self.t("button_not_this_site"), not_this))
        return replies

    async def _not_this_site(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        """Back from the one match a search went straight to (nothing answered yet)."""
        await runs.delete_answers(self.session, run.id, list(await self._answers(run)))
        self._forget_answers()
        self._move(run, "site", None, site_id=None, pending_site_id=None, reused_from_id=None)
        return await self._site_prompt(run, checklist)

    async def _reuse(self, run: ChecklistRun, checklist: Checklist, source_id: int):
        """The answers of the site's last check fill the draft; straight to the review."""
        found = await runs.latest_check_since(self.session, checklist.id, run.site_id, EPOCH)
        if found is None or found[0].id != source_id or await self._answers(run):
            return None
        await runs.copy_answers(self.session, source_id, run)
        self._forget_answers()
        self._move(run, "review", None, reused_from_id=source_id)
        await self.session.flush()
        when = self._local(found[0].submitted_at).strftime("%d/%m/%Y")
        review = await self._review_prompt(run, checklist)
        review[0].text = f"{self.t('reuse_started', when=when)}\n\n{review[0].text}"
        return review

    async def _use_site(self, run, checklist, site_id, check_recent: bool) -> list[Reply]:
        if check_recent and await self._recent_check(checklist, site_id) is not None:
            run.phase = "site_duplicate"
            run.pending_site_id = site_id
            self._touch(run)
            return await self._duplicate_prompt(run, checklist)
        run.site_id = site_id
        run.pending_site_id = None
        site = await self.session.get(Site, site_id)
        replies = await self._advance(run, checklist, after=None)
        # One message, not two: on a slow phone (and under Telegram's rate limit)
        # every extra message is felt.
        replies[0].text = f"{self.t('site_chosen', site=site.name)}\n\n{replies[0].text}"
        return replies

    async def _duplicate_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        found = await self._recent_check(checklist, run.pending_site_id)
        if found is None:  # the earlier check was replaced meanwhile: just go on
            return await self._use_site(run, checklist, run.pending_site_id, check_recent=False)
        earlier, inspector = found
        site = await self.session.get(Site, run.pending_site_id)
        text = self.t(
            "site_checked_recently",
            site=site.name,
            who=inspector.name,
            when=self._local(earlier.submitted_at).strftime("%d/%m/%Y %H:%M"),
        )
        update = payloads.UpdateCheck(run.id).encode()
        new = payloads.NewCheck(run.id).encode()
        buttons = [
            Choice(self.t("button_update_check"), update),
            Choice(self.t("button_new_check"), new),
        ]
        return [Reply(text, buttons)]

    async def _resolve_duplicate(self, run, checklist, update: bool) -> list[Reply]:
        """Update the recent check (its answers copied into this draft, straight to
        the review) or file a new one all the same."""
        found = await self._recent_check(checklist, run.pending_site_id) if update else None
        if found is None:
            return await self._use_site(run, checklist, run.pending_site_id, check_recent=False)
        earlier, _inspector = found
        await runs.copy_answers(self.session, earlier.id, run)
        self._forget_answers()
        run.site_id, run.pending_site_id = run.pending_site_id, None
        run.supersedes_id = earlier.id
        self._move(run, "review", None)
        await self.session.flush()
        return [Reply(self.t("update_started"))] + await self._review_prompt(run, checklist)
