"""The HTML pages: `GET /` (a demo help center with the widget), `GET /faq/{document}` (a corpus
document, an element with id=<anchor> per passage) and `GET /docs` (OpenAPI, Swagger UI)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from faqbot.doors.http.faq_pages import TEMPLATES, catalogue, not_found_page, page_context

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    found = catalogue(request.app)
    documents = list(found.documents.values()) if found else []
    # "Popular": the shortest question of each topic, for a few topics.
    popular = [
        (doc, min((entry.passage for entry in section.questions), key=lambda p: len(p.question or "")))
        for doc in documents
        for section in doc.sections
        if section.title and section.questions
    ][:3]
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        page_context(request, title="Help Center", documents=documents, popular=popular),
    )


@router.get("/faq")
def faq_root() -> Response:
    return RedirectResponse("/faq/", status_code=308)


@router.get("/faq/{document:path}", response_class=HTMLResponse)
def faq_page(document: str, request: Request) -> Response:
    found = catalogue(request.app)
    if found is None:
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            page_context(
                request,
                title="Starting up",
                message="The help center is starting up. Please reload this page in a few seconds.",
            ),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    key = document.strip("/")
    if not key:
        return TEMPLATES.TemplateResponse(
            request,
            "faq_index.html",
            page_context(request, title="All FAQs", documents=list(found.documents.values())),
        )
    if key not in found.documents:
        target = found.aliases.get(key)
        if target is None:
            return not_found_page(request)
        # An included file's path, or "x.md": the page it is shown on (the #fragment survives).
        return RedirectResponse("/faq/" + quote(target), status_code=308)
    doc = found.documents[key]
    return TEMPLATES.TemplateResponse(request, "faq.html", page_context(request, title=doc.title, doc=doc))


@router.get("/docs")
def api_docs(request: Request) -> Response:
    """The OpenAPI page (Swagger UI), from local assets."""
    app = request.app
    return TEMPLATES.TemplateResponse(request, "docs.html", {"title": app.title, "openapi_url": app.openapi_url})
