"""Placeholder API: replaced by the web work."""

from ninja import NinjaAPI

api = NinjaAPI(title="tracearr", version="1")


@api.get("/health", auth=None)
def health(request):
    return {"status": "ok"}
