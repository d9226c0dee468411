"""The sign-in page's e-mail form in a real Chromium, in French at a phone's width: axe-core, no echo of the address."""

from __future__ import annotations

from tests.support import mail_directory, messages_to
from tests.web.test_browser import Site, checked, context, site

__all__ = ["site"]  # the module-scoped fixture, built for this module


def test_the_email_form_sends_a_link_and_answers_the_same_page_in_french(site: Site) -> None:
    address = site.marks.email("mentee")
    before = len(messages_to(mail_directory(site.settings), address))
    browser = context(site)
    page = browser.new_page()
    page.goto(f"{site.base}/sign-in")
    page.get_by_label("Votre adresse courriel").fill(address)
    page.get_by_role("button", name="M'envoyer un lien").click()
    page.wait_for_url(f"{site.base}/sign-in/email")
    html = checked(site, page, "sign-in-email-sent-fr")  # the address is not echoed (no marker on the page)
    assert "Si cette adresse appartient à un participant actif, un lien a été envoyé" in html
    assert page.locator("form").first.get_attribute("action") == "/sign-in"
    queue = site.app.state.sign_ins
    assert queue.wait_idle(20.0)
    site.app.state.delivery.deliver_due()
    assert len(messages_to(mail_directory(site.settings), address)) == before + 1
    browser.close()
