"""Regular expressions that more than one stage must agree on, defined once.

An alert ID accepted by the search indexer but not by the page writer (or a URL pattern that the
playbook loader and the page renderer spell differently) would be a bug that no single module
can see; so the shapes that cross module boundaries live here.
"""

from __future__ import annotations

import re

#: A falcosidekick ``uuid`` that is a real UUID (any case; it is lower-cased into an alert ID).
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

#: Every shape :func:`generator.read.models.alert_id` produces: a content hash, a hashed
#: non-UUID ``uuid`` (``u`` + 16 hex digits) or a lower-case UUID. IDs become path segments.
ALERT_ID = re.compile(
    r"[0-9a-f]{16}|u[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)

#: The docs path of an alert page (:func:`generator.urls.alert_page`): what a redirect of an old
#: alert ID may point from and to (the state's ``aliases.json`` is checked against it).
ALERT_PAGE = re.compile(rf"alerts/[0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}}/(?:{ALERT_ID.pattern})\.md")

#: An external link we print (playbook and guidance references): https only, no quotes,
#: spaces or angle brackets, so it can never become ``javascript:`` or break out of an attribute.
HTTPS_URL_PATTERN = r"https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/%?=&#:+,@-]*)?"
HTTPS_URL = re.compile(HTTPS_URL_PATTERN)

#: A lone UTF-16 surrogate: possible in JSON (``"\ud800"``), impossible in UTF-8 output.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
