"""Secret redaction applied to alert data before anything is written to the site.

Falco alerts quote command lines, environment assignments, HTTP headers and file contents verbatim,
so a published archive would otherwise republish whatever credentials an attacker (or an operator)
typed. Every string of every alert goes through :class:`Redactor` before it reaches a page, the
search index, the raw JSON or an export, which is why this module is built around three promises:

* **Safe by default**: redaction is on unless the config says ``enabled = false``, and the
  built-in rules cover the secrets most often seen in runtime alerts.
* **Stable**: redacting twice changes nothing (the replacement markers never match a rule again),
  and :meth:`Redactor.fingerprint` changes whenever the rules do, so the build can redo every page.
* **Cheap**: a nightly build redacts millions of strings. A combined regex of "trigger" literals
  picks the few built-in rules that can match a string at all, the patterns are written so the
  regex engine can skip ahead on a literal, and results are cached per distinct string
  (container ids, image names, user names repeat endlessly).

All built-in patterns use bounded or unambiguous quantifiers so hostile input cannot make them
backtrack for long (alert fields are attacker-controlled).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as _dt
import decimal
import hashlib
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BUILTIN_RULES",
    "RedactionConfig",
    "RedactionRule",
    "Redactor",
]

logger = logging.getLogger(__name__)

#: Bumped whenever the redaction *algorithm* changes in a way that changes output for the same
#: rules, so that :meth:`Redactor.fingerprint` forces a full rebuild after an upgrade.
_ALGORITHM_VERSION = 2

#: Text of a default replacement marker, e.g. ``[REDACTED:jwt]``. Matches that fall entirely
#: inside such a marker are never replaced again, which keeps redaction idempotent even for user
#: rules whose pattern happens to match a marker (e.g. ``(?i)secret\S*``).
_MARKER_RE = re.compile(r"\[REDACTED(?::[A-Za-z0-9_.-]+)?\]")
_RULE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

#: Passes over a string before giving up on reaching a fixed point (see ``_redact_uncached``).
_MAX_PASSES = 4
#: Strings longer than this are not cached: they are alert outputs, unique per alert.
_CACHE_MAX_LEN = 256
#: Cache entries before the cache is cleared (bounds memory at a few tens of MiB).
_CACHE_MAX_ENTRIES = 100_000
_CLEAN = object()
_UNSTABLE = "unstable"

# Scalars that cannot carry free text and are returned unchanged by Redactor.redact().
_SAFE_SCALARS: tuple[type, ...] = (
    int,
    float,
    bool,
    type(None),
    _dt.datetime,
    _dt.date,
    _dt.time,
    _dt.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


def _identity(text: str) -> str:
    return text


def _default_replacement(name: str) -> str:
    return f"[REDACTED:{name}]"


class RedactionRule(BaseModel):
    """One regular expression whose matches are replaced before publishing.

    ``pattern`` is a Python regular expression (inline flags such as ``(?i)`` work). ``group``
    limits the replacement to one capture group so context stays readable: with
    ``pattern = '(password=)(\\S+)'`` and ``group = 2`` the text ``password=hunter2`` becomes
    ``password=[REDACTED:<name>]``. ``replacement`` is literal text (no back-references).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Short identifier, shown in the marker and the build report.")
    pattern: str = Field(description="Python regular expression.")
    replacement: str = Field(
        default="",
        min_length=1,
        description='Literal replacement text; defaults to "[REDACTED:<name>]".',
    )
    group: int | str | None = Field(
        default=None, description="Capture group (number or name) to replace; whole match if unset."
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_default_replacement(cls, data: Any) -> Any:
        """Default the marker from the name, so the build report and the page agree on it."""
        if isinstance(data, Mapping) and data.get("replacement") is None:
            data = dict(data)
            name = data.get("name")
            data["replacement"] = _default_replacement(name if isinstance(name, str) else "")
        return data

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (validated at load, so this cannot fail)."""
        return re.compile(self.pattern)

    @model_validator(mode="after")
    def _check(self) -> RedactionRule:
        """Fail at config load, naming the rule, instead of mid-build on the first alert."""
        if not _RULE_NAME_RE.fullmatch(self.name):
            raise ValueError(
                f"redaction rule name {self.name!r} must be 1-64 characters of letters, digits, "
                "'_', '.' or '-' and start with a letter or digit"
            )
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(
                f"redaction rule {self.name!r}: invalid regular expression '{self.pattern}': {exc}"
            ) from exc
        if compiled.search("") is not None:
            raise ValueError(
                f"redaction rule {self.name!r}: pattern '{self.pattern}' matches the empty "
                "string, so it would insert markers everywhere"
            )
        group = self.group
        if isinstance(group, bool):
            raise ValueError(f"redaction rule {self.name!r}: group must be a number or a name")
        if isinstance(group, int) and not 0 <= group <= compiled.groups:
            raise ValueError(
                f"redaction rule {self.name!r}: group {group} does not exist "
                f"(the pattern has {compiled.groups} capture group(s))"
            )
        if isinstance(group, str) and group not in compiled.groupindex:
            raise ValueError(f"redaction rule {self.name!r}: the pattern has no group named {group!r}")
        return self


class RedactionConfig(BaseModel):
    """The ``[redaction]`` table of ``falco-archive.toml``.

    ``enabled = false`` turns redaction off entirely (a deliberate choice, e.g. for a private
    archive); ``builtin = false`` keeps only the user ``rules``; ``disable`` lists built-in rule
    names to skip when one of them gives false positives on a particular fleet.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    builtin: bool = True
    #: Also redact the whole value of a field whose *name* names a secret (see :func:`names_secret`).
    keys: bool = True
    disable: list[str] = Field(default_factory=list)
    rules: list[RedactionRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_names(self) -> RedactionConfig:
        """Names key the build report and ``disable``; clashes would make both ambiguous."""
        builtin_names = {rule.name for rule in BUILTIN_RULES}
        unknown = sorted(set(self.disable) - builtin_names)
        if unknown:
            raise ValueError(
                f"redaction.disable names unknown built-in rule(s) {unknown}; "
                f"built-in rules are {sorted(builtin_names)}"
            )
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"redaction rule name {rule.name!r} is used twice")
            if rule.name in builtin_names:
                raise ValueError(
                    f"redaction rule name {rule.name!r} is a built-in rule; pick another name "
                    f'(and add "{rule.name}" to redaction.disable to replace the built-in one)'
                )
            if rule.name == _UNSTABLE:
                raise ValueError(f"redaction rule name {_UNSTABLE!r} is reserved")
            seen.add(rule.name)
        return self


# --------------------------------------------------------------------------------------------
# Redaction by key: a value is a secret because of the name it is stored under
# --------------------------------------------------------------------------------------------

#: Marker name for values redacted because of their field name.
SECRET_KEY_RULE = "secret-key"
#: Substrings that make a field name a secret's name, wherever they appear in it
#: (``DB_PASSWORD``, ``aws_secret_access_key``, ``x-api-key``, ``accessToken``).
_SECRET_NAME_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accountkey",
    "accesskey",
    "sessionid",
    "credential",
    "cookie",
)
#: Whole words (between separators) that name a secret but are too short to find as substrings
#: (``DB_PASS`` yes, ``compass`` no).
_SECRET_NAME_WORDS = frozenset({"pass", "pwd", "pw", "session", "sessid", "auth", "sig"})
_KEY_ARGUMENT = re.compile(r"\[([^\]]*)\]\s*$")
_NAME_WORD = re.compile(r"[a-z0-9]+")
#: ``accesskey`` is a secret but ``access_key_id`` (AWS's public half) is not.
_NOT_SECRET_NAMES = re.compile(
    r"access[_\-.]?key[_\-.]?id|key[_\-.]?id$|token[_\-.]?(?:file|path|type|ttl|expir\w*)$"
)


def names_secret(key: str) -> bool:
    """Does this field name say its value is a secret?

    Falco puts the interesting part of a field name in brackets (``proc.env[DB_PASSWORD]``,
    ``ka.uri.param[password]``); otherwise the name's last dotted part counts
    (``k8s.pod.labels.password`` yes, ``password.policy.min_length``... also yes: a false
    positive only hides a value). CamelCase is split (``dbPassword``).
    """
    argument = _KEY_ARGUMENT.search(key)
    name = argument.group(1) if argument else key.rsplit(".", 1)[-1]
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    if name in ("pwd", "oldpwd") or _NOT_SECRET_NAMES.search(name):  # PWD: the working folder
        return False
    if name in ("authorization", "proxy-authorization", "proxy_authorization"):
        return True  # not as a part: ``gcp.authorizationInfo`` is an audit record, not a secret
    squashed = "".join(_NAME_WORD.findall(name))
    if any(part in squashed for part in _SECRET_NAME_PARTS):
        return True
    return any(word in _SECRET_NAME_WORDS for word in _NAME_WORD.findall(name))


# --------------------------------------------------------------------------------------------
# Built-in rules
# --------------------------------------------------------------------------------------------
# How the built-ins stay fast and sound:
#
# * Every built-in runs in ASCII mode ((?a)), so case-insensitive matching only folds ASCII
#   letters. For ASCII text, ``text.lower()`` has the same length and positions as ``text``.
# * A case-insensitive rule is written as a lower-case-only body. Its public pattern is
#   ``(?ai)<body>``; the fast path runs ``(?a)<body>`` (case-sensitive) on ``text.lower()`` and
#   replaces the same spans in the original text. Without the IGNORECASE flag, Python's regex
#   engine can use a literal prefix or a first-character set to skip most positions, which is
#   several times faster. Non-ASCII text uses the public pattern on the original text.
# * Each rule starts with a literal where possible (a leading ``\b`` would disable that
#   optimisation, so word boundaries are written as a look-behind after the literal).
# * Each rule has trigger groups: every group must have one literal present in the lower-cased
#   text for the rule to run, and one combined regex over the first groups of all rules finds
#   the candidate rules. Triggers start with characters that are rare in alert text, since the
#   regex engine pays for every position holding a possible first character. A rule without
#   triggers runs on every string (only where its literal prefix already makes that cheap).
#   tests/test_redact.py checks all of this against a reference path that runs every public
#   pattern on every string.

# A value that is already a marker is not a secret any more (keeps the rules idempotent).
# Lower case: bodies are matched against lower-cased text (or case-insensitively).
_NOT_MARKER = r"(?!\[redacted[:\]])"
# Optional (possibly JSON-escaped) quote around a key or before a value.
_Q = r"""(?:\\?["'])?"""
# Separator between a key and its value: "key=v", "key: v", "key" : "v".
_SEP = _Q + r"[ \t]*[:=][ \t]*" + _Q
# Value of ``key=value``: the rest of a quoted string, or an unquoted run up to whitespace, a
# quote, a backslash (escaped JSON) or '&' (next URL query parameter).
_ASSIGNED_VALUE = (
    _NOT_MARKER + r"""((?<=")(?:[^"\\\n]|\\(?!"))+|(?<=')(?:[^'\\\n]|\\(?!'))+|(?<!["'])[^\s"'\\&]+)"""
)
# Value of a command line flag: a quoted argument or a bare word not starting with '-'.
_FLAG_VALUE = _NOT_MARKER + r"""("[^"\n]+"|'[^'\n]+'|[^\s"'\-][^\s"']*)"""
# The same for case-sensitive rules, which see the original text (markers are upper case).
_FLAG_VALUE_CS = r"(?!\[REDACTED[:\]])" + _FLAG_VALUE.removeprefix(_NOT_MARKER)


class _Builtin:
    """Definition of one built-in rule (see the comment above for the fields' roles)."""

    __slots__ = ("body", "check", "group", "icase", "name", "triggers")

    def __init__(
        self,
        name: str,
        body: str,
        *,
        icase: bool,
        triggers: tuple[tuple[str, ...], ...],
        group: int | None = None,
        check: Callable[[str], bool] | None = None,
    ) -> None:
        self.name = name
        self.body = body
        self.icase = icase
        self.triggers = triggers
        self.group = group
        self.check = check

    @property
    def pattern(self) -> str:
        return ("(?ai)" if self.icase else "(?a)") + self.body

    @property
    def fast_pattern(self) -> str:
        return "(?a)" + self.body


def _is_basic_credentials(value: str) -> bool:
    """True if ``value`` decodes to printable ``user:password`` text (RFC 7617).

    Ordinary words after "basic" ("basic settings") are valid base64 by accident but decode to
    binary garbage, so this keeps the rule from eating prose.
    """
    try:
        raw = base64.b64decode(value, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


_KEYWORD_FLAG = r"(?:password|passwd|passphrase|pass|secret|token|api-?key)"

#: Built-ins in the order they run: specific token formats first (so the build report names
#: the kind of secret), generic ``key=value`` rules last.
_BUILTINS: tuple[_Builtin, ...] = (
    # PEM private key blocks, also when newlines became spaces or a literal "\n" (JSON, logs).
    # Requires a base64 body, so `grep -- "-----BEGIN RSA PRIVATE KEY-----" file` stays readable.
    # Without an END line (truncated output) the base64-looking text after the header goes.
    _Builtin(
        "private-key",
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[rn])*"
        r"(?:(?:Proc-Type|DEK-Info):[ \t]*[^\s\\]{1,200}(?:\s|\\[rn])+){0,2}"
        r"[A-Za-z0-9+/=]{16,}(?:(?:\s|\\[rn])+[A-Za-z0-9+/=]+)*"
        r"(?:(?:\s|\\[rn])*-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?",
        icase=False,
        triggers=(("begin",),),
    ),
    # AWS access key ids: long-term AKIA, temporary ASIA, and the other credential prefixes.
    _Builtin(
        "aws-access-key-id",
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)(?<![A-Za-z0-9_]....)[A-Z0-9]{16}\b",
        icase=False,
        triggers=(),  # always runs: the scan for a capital "A" is cheap
    ),
    # Google API keys.
    _Builtin(
        "gcp-api-key",
        r"AIza(?<![A-Za-z0-9_]AIza)[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])",
        icase=False,
        triggers=(("za",),),
    ),
    # GitHub classic tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained ones (github_pat_).
    _Builtin(
        "github-token",
        r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})",
        icase=False,
        triggers=(("hp_", "ho_", "hu_", "hs_", "hr_", "hub_pat_"),),
    ),
    # GitLab personal access tokens.
    _Builtin(
        "gitlab-token",
        r"glpat-(?<![A-Za-z0-9_]glpat-)[A-Za-z0-9_\-]{20,}",
        icase=False,
        triggers=(),  # always runs: literal prefix
    ),
    # Slack tokens (bot, user, app, refresh, legacy); real ones contain digits.
    _Builtin(
        "slack-token",
        r"xox(?<![A-Za-z0-9_]xox)[baprs]-(?=[A-Za-z0-9\-]{0,200}[0-9])[A-Za-z0-9\-]{10,}",
        icase=False,
        triggers=(("xox",),),
    ),
    # JSON Web Tokens: base64url header starting `{"` (eyJ), payload, possibly empty signature.
    _Builtin(
        "jwt",
        r"eyJ(?<![A-Za-z0-9_]eyJ)[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
        icase=False,
        triggers=(("yj",),),
    ),
    # HashiCorp Vault service, batch and recovery tokens (hvs., hvb., hvr.).
    _Builtin(
        "vault-token",
        r"hv(?<![A-Za-z0-9_]hv)[sbr]\.[A-Za-z0-9_\-]{20,}",
        icase=False,
        triggers=(("hvs.", "hvb.", "hvr."),),
    ),
    # Stripe secret and restricted keys (the publishable pk_ keys are public by design).
    _Builtin(
        "stripe-key",
        r"(?:sk|rk)(?<![A-Za-z0-9_]sk)(?<![A-Za-z0-9_]rk)_(?:live|test)_[A-Za-z0-9]{16,}",
        icase=False,
        triggers=(("k_live_", "k_test_"),),
    ),
    # scheme://user:password@host keeps scheme, user and host. The password may contain '@'
    # (the last '@' before the host wins) but not '/', which keeps https://host:8443/ intact.
    # The user part may be a marker (a token redacted earlier) but no other bracket.
    _Builtin(
        "url-credentials",
        r"""://(?<=[a-z0-9+.\-]://)((?:\[redacted(?::[a-z0-9_.\-]+)?\]|[^\s:@/?#"'<>\\\[\]]){0,256}:)"""
        + _NOT_MARKER
        + r"""([^\s/?#"'<>\\]{1,256})(?=@)""",
        icase=True,
        triggers=(("//",), ("@",)),
        group=2,
    ),
    # aws_secret_access_key = <40 characters> (credentials file, env var, JSON).
    _Builtin(
        "aws-secret-access-key",
        r"(aws[_.\-]?secret[_.\-]?(?:access[_.\-]?)?key" + _SEP + ")"
        r"" + _NOT_MARKER + r"([a-z0-9/+]{40})(?![a-z0-9/+])",
        icase=True,
        triggers=(("ws",), ("secret",)),
        group=2,
    ),
    # Authorization (and Proxy-Authorization) headers: any credential, with or without a scheme.
    # The scheme is an atomic group: once "Bearer " is read it is never re-read as the credential.
    _Builtin(
        "authorization-header",
        r"(authorization"
        + _SEP
        + r"(?>(?:[a-z][a-z0-9_\-]{0,30}[ \t]+)?))"
        + _NOT_MARKER
        + r"""([^\s"'\\,]+)""",
        icase=True,
        triggers=(("zation",),),
        group=2,
    ),
    # "bearer <token>" outside a header (curl -H, logs). 16+ characters, so "bearer of bad news"
    # is not a token.
    _Builtin(
        "bearer-token",
        r"(bearer(?<![a-z0-9_]bearer)[ \t]+)" + _NOT_MARKER + r"([a-z0-9\-._~+/]{16,}=*)",
        icase=True,
        triggers=(("bearer",),),
        group=2,
    ),
    # "Basic <base64 of user:password>"; a checker decodes it, so "basic settings" stays.
    _Builtin(
        "basic-auth",
        r"(basic(?<![a-z0-9_]basic)[ \t]+)"
        + _NOT_MARKER
        + r"((?:[a-z0-9+/]{4}){2,256}(?:[a-z0-9+/]{2}==|[a-z0-9+/]{3}=)?)(?![a-z0-9+/=])",
        icase=True,
        triggers=(("basic",),),
        group=2,
        check=_is_basic_credentials,
    ),
    # `docker login -p X` (and podman, nerdctl, buildah, skopeo, oras, helm registry): there -p
    # unambiguously means password. `docker run -p 80:80` and `mysql -pX` (ambiguous) stay.
    # The match starts at the literal "login" (fast to find); the tool is checked behind it.
    _Builtin(
        "login-password-flag",
        "(login(?:"
        + "|".join(
            f"(?<={tool}[ \\t]login)"
            for tool in ("docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "registry")
        )
        + r"|(?<=az[ \t]login)(?<![a-z0-9_\-]az[ \t]login)"
        + r")\b[^\n|;&]{0,300}?[ \t]-p(?:[ \t]+|=)?)"
        + _FLAG_VALUE,
        icase=True,
        triggers=(),  # always runs: literal prefix "login"
        group=2,
    ),
    # `sshpass -p X`.
    _Builtin(
        "sshpass-password",
        r"(sshpass\b[^\n|;&]{0,300}?[ \t]-p(?:[ \t]+|=)?)" + _FLAG_VALUE,
        icase=True,
        triggers=(("hpass",), ("-p",)),
        group=2,
    ),
    # `curl -u user:password` / `--user user:password` (also `-uuser:pw`): the user stays.
    _Builtin(
        "curl-user-password",
        r"""(curl\b[^\n|;&]{0,300}?[ \t](?:-u|--user)(?:[ \t]+|=)?["']?[^\s:"']{1,256}:)"""
        + _NOT_MARKER
        + r"""([^\s"']+)""",
        icase=True,
        triggers=(("curl",), ("-u",)),
        group=2,
    ),
    # `redis-cli -a <password>` (the only tool where -a is unambiguous).
    _Builtin(
        "redis-cli-password",
        r"(redis-cli\b[^\n|;&]{0,300}?[ \t]-a(?:[ \t]+|=)?)" + _FLAG_VALUE,
        icase=True,
        triggers=(("redis-cli",), ("-a",)),
        group=2,
    ),
    # `sqlcmd -P <password>` (also bcp). Case-sensitive: their `-p` is something else.
    _Builtin(
        "sqlcmd-password",
        r"((?:sqlcmd|bcp)\b[^\n|;&]{0,300}?[ \t]-P[ \t]*)" + _FLAG_VALUE_CS,
        icase=False,
        triggers=(("qlcmd", "bcp"), ("-p",)),
        group=2,
    ),
    # `ldapsearch -w <password>` (and the other OpenLDAP tools). Case-sensitive: -W prompts.
    _Builtin(
        "ldap-password",
        r"(ldap[a-z]{2,10}\b[^\n|;&]{0,300}?[ \t]-w[ \t]*)" + _FLAG_VALUE_CS,
        icase=False,
        triggers=(("ldap",), ("-w",)),
        group=2,
    ),
    # Samba's `-U user%password` (smbclient, rpcclient, net, smbmap...): the user stays.
    _Builtin(
        "samba-user-password",
        r"""(-(?<![\w\-]-)(?:u|-user(?:name)?)(?:[ \t]+|=)?["']?[a-z0-9_.\\@$\-]{1,256}%)"""
        + _NOT_MARKER
        + r"""([^\s"']+)""",
        icase=True,
        triggers=(("%",), ("-u",)),
        group=2,
    ),
    # `xfreerdp /p:<password>` (wfreerdp, sdl-freerdp, /password: too).
    _Builtin(
        "rdp-password",
        r"""(/(?<=[ \t]/)(?:p|password):)""" + _NOT_MARKER + r"""("[^"\n]+"|'[^'\n]+'|[^\s"']+)""",
        icase=True,
        triggers=(("/p:", "/password:"),),
        group=2,
    ),
    # URL-encoded `password%3D<value>` (a form body or query string inside another URL).
    _Builtin(
        "urlencoded-password",
        r"""((?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-]?key)%3d)"""
        + _NOT_MARKER
        + r"""((?:(?!%26)[^\s&"'\\])+)""",
        icase=True,
        triggers=(("%3d",),),
        group=2,
    ),
    # `Cookie:` / `Set-Cookie:` headers: every cookie is a potential session. The first cookie's
    # name stays; everything after it (its value, later cookies) goes.
    _Builtin(
        "cookie-header",
        r"""(cookie(?<![a-z0-9_]cookie)"""
        + _SEP
        + r"""[^=;\s"'\\]{1,128}=)"""
        + _NOT_MARKER
        + r"""([^\s"'\\][^\n"'\\]*)""",
        icase=True,
        triggers=(("kie",), ("cookie",), (":", "=")),  # "k" already starts a trigger: cheaper
        group=2,
    ),
    # `session=<id>`, `sessionid=`, `PHPSESSID=`, `JSESSIONID=` (cookies quoted without a header).
    _Builtin(
        "session-assignment",
        r"((?:php|j)?sess(?:ion)?(?:[_\-]?(?:id|token|key))?=)" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("sess",), ("=",)),
        group=2,
    ),
    # Azure storage/service-bus connection strings: `AccountKey=...;`, `SharedAccessKey=...`.
    _Builtin(
        "azure-account-key",
        r"""((?:account|sharedaccess)key""" + _SEP + ")" + _NOT_MARKER + r"""([^\s;"'\\]+)""",
        icase=True,
        triggers=(("ountkey", "accesskey"),),
        group=2,
    ),
    # --password value, --password=value, --db-password x, --token x, --api-key x ...
    # Not --password-stdin or --token-file: the keyword must end the flag's name.
    _Builtin(
        "password-flag",
        r"(-(?<![\w\-]-)-?[\w\-]{0,40}?" + _KEYWORD_FLAG + r"(?:=|[ \t]+))" + _FLAG_VALUE,
        icase=True,
        triggers=(),  # always runs: literal prefix "-"
        group=2,
    ),
    # key=value assignments: password= passwd= pwd= secret= token= api_key= (also
    # "key": "value" in JSON, KEY: value, and prefixed names such as DB_PASSWORD, client_secret or
    # access_token). One rule per keyword family, so each starts with a literal the engine can
    # jump to. pwd= followed by an absolute path is the PWD environment variable, not a password.
    _Builtin(
        "password-assignment",
        r"(pass(?:word|wd|phrase)" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("word", "wd", "hrase"), ("=", ":")),
        group=2,
    ),
    # `DB_PASS=x` (docker run -e, kubectl --from-literal), openssl's `-pass pass:x`; not
    # `bypass=` or `compass:` (a letter or digit before "pass").
    _Builtin(
        "pass-assignment",
        r"(pass(?<![a-z0-9]pass)" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("pass",), ("=", ":")),
        group=2,
    ),
    _Builtin(
        "pwd-assignment",
        r"(pwd(?!" + _SEP + r"[/~])" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("wd",), ("=", ":")),
        group=2,
    ),
    _Builtin(
        "secret-assignment",
        r"(secret(?:[_\-]?(?:access[_\-]?)?key)?" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(),  # always runs: literal prefix "secret"
        group=2,
    ),
    _Builtin(
        "token-assignment",
        r"(token" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("ken",), ("=", ":")),
        group=2,
    ),
    _Builtin(
        "api-key-assignment",
        r"(api[_\-]?key" + _SEP + ")" + _ASSIGNED_VALUE,
        icase=True,
        triggers=(("key",), ("=", ":")),
        group=2,
    ),
)

_BUILTIN_BY_NAME: dict[str, _Builtin] = {b.name: b for b in _BUILTINS}

#: The built-in rules as users see them (``[REDACTED:<name>]`` markers, public patterns).
BUILTIN_RULES: tuple[RedactionRule, ...] = tuple(
    RedactionRule(name=b.name, pattern=b.pattern, group=b.group) for b in _BUILTINS
)


def _trie_regex(words: Iterable[str]) -> str:
    """One regex for a set of literals, factored as a trie.

    Python's regex engine tries alternatives one by one at every position; sharing prefixes
    keeps the work per position small.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if list(node) == [""]:
            return ""
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


def _minimal_triggers(triggers: Iterable[str]) -> list[str]:
    """Drop triggers that contain another trigger: the shorter one already fires."""
    unique = set(triggers)
    return sorted(t for t in unique if not any(o != t and o in t for o in unique))


class _CompiledRule:
    """A rule ready to run: patterns, target group, trigger groups and optional checker."""

    __slots__ = (
        "check",
        "fast",
        "group",
        "name",
        "on_lowered",
        "pattern",
        "replacement",
        "triggers",
    )

    def __init__(self, rule: RedactionRule, builtin: _Builtin | None = None) -> None:
        self.name = rule.name
        self.pattern = re.compile(rule.pattern)
        self.replacement = rule.replacement
        self.group: int | str = 0 if rule.group is None else rule.group
        self.triggers: tuple[tuple[str, ...], ...] = builtin.triggers if builtin else ()
        self.check = builtin.check if builtin else None
        self.fast = re.compile(builtin.fast_pattern) if builtin else self.pattern
        # The fast pattern of a case-insensitive built-in only works on lower-cased text.
        self.on_lowered = bool(builtin and builtin.icase)

    def runs_on(self, lowered: str) -> bool:
        """Cheap necessary condition: each later trigger group has a literal in ``lowered``.

        The first group is found by the combined gate regex in Redactor._apply_once.
        """
        for group in self.triggers[1:]:
            for trigger in group:
                if trigger in lowered:
                    break
            else:
                return False
        return True

    def apply(self, text: str, lowered: str | None, hits: dict[str, int], *, fast: bool = True) -> str:
        """Replace every match (or its group) outside existing markers; count replacements.

        ``lowered`` is ``text.lower()`` when ``text`` is ASCII (same positions), else None.
        ``fast=False`` runs the public pattern on the original text (reference path).
        """
        if not fast:
            scan, pattern = text, self.pattern
        elif self.on_lowered:
            scan, pattern = (lowered, self.fast) if lowered is not None else (text, self.pattern)
        else:
            scan, pattern = text, self.fast
        group = self.group
        replacement = self.replacement
        check = self.check
        first = pattern.search(scan)
        if first is None:  # the common case: one C-level scan, no Python loop
            return text
        has_markers = "[REDACTED" in text
        marker_starts: list[int] | None = None
        marker_ends: list[int] = []
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(scan, first.start()):
            start, end = match.span(group)
            if start >= end:  # empty target or group did not take part: nothing to hide
                continue
            target = text[start:end]
            if target == replacement:
                continue
            if has_markers:
                if marker_starts is None:
                    spans = [m.span() for m in _MARKER_RE.finditer(text)]
                    marker_starts = [a for a, _ in spans]
                    marker_ends = [b for _, b in spans]
                # Inside the last marker that starts at or before the target? (bisect: hostile
                # text can hold thousands of markers)
                index = bisect.bisect_right(marker_starts, start) - 1
                if index >= 0 and end <= marker_ends[index]:
                    continue
            if check is not None and not check(target):
                continue
            pieces.append(text[last:start])
            pieces.append(replacement)
            last = end
        if not pieces:
            return text
        hits[self.name] = hits.get(self.name, 0) + len(pieces) // 2
        pieces.append(text[last:])
        return "".join(pieces)


class Redactor:
    """Applies a :class:`RedactionConfig` to alert data.

    One instance is meant to live for a whole build: it caches per distinct string and keeps
    :attr:`counts` (replacements per rule) for the build report.
    """

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self._config = config if config is not None else RedactionConfig()
        self._enabled = self._config.enabled
        builtins: list[_CompiledRule] = []
        if self._config.builtin:
            disabled = set(self._config.disable)
            builtins = [
                _CompiledRule(rule, _BUILTIN_BY_NAME[rule.name])
                for rule in BUILTIN_RULES
                if rule.name not in disabled
            ]
        self._builtin = builtins
        self._user = [_CompiledRule(rule) for rule in self._config.rules]
        # Rules without triggers run on every string (their own literal prefix makes the scan
        # cheap). The others are found by one regex over the minimal first-group triggers: none
        # contains another, so at most one matches at a position, and restarting the search one
        # character after each hit finds every occurrence.
        self._always = tuple(i for i, rule in enumerate(builtins) if not rule.triggers)
        minimal = _minimal_triggers(t for rule in builtins if rule.triggers for t in rule.triggers[0])
        self._gate = re.compile(_trie_regex(minimal)) if minimal else None
        self._rules_for: dict[str, tuple[int, ...]] = {
            m: tuple(
                i
                for i, rule in enumerate(builtins)
                if rule.triggers and any(m in trigger for trigger in rule.triggers[0])
            )
            for m in minimal
        }
        self._check_replacements()
        self._cache: dict[str, Any] = {}
        self._counts: Counter[str] = Counter()
        self._by_key = self._enabled and self._config.keys
        #: Field name -> names_secret(name): field names repeat in every alert.
        self._secret_names: dict[str, bool] = {}

    def _check_replacements(self) -> None:
        """Refuse a custom replacement that some rule would redact again (no fixed point)."""
        active = self._builtin + self._user
        for rule in active:
            if _MARKER_RE.fullmatch(rule.replacement):
                continue  # markers are protected at run time
            for other in active:
                if other.pattern.search(rule.replacement):
                    raise ValueError(
                        f"replacement {rule.replacement!r} of redaction rule {rule.name!r} "
                        f"matches rule {other.name!r}; use a replacement it does not match, "
                        f'e.g. "[REDACTED:{rule.name}]"'
                    )

    @property
    def enabled(self) -> bool:
        """False when the config turned redaction off: every call is then an identity."""
        return self._enabled

    @property
    def config(self) -> RedactionConfig:
        """The configuration this redactor was built from."""
        return self._config

    @property
    def rule_names(self) -> tuple[str, ...]:
        """Active rules in the order they run (empty when disabled)."""
        if not self._enabled:
            return ()
        return tuple(rule.name for rule in self._builtin + self._user)

    @property
    def counts(self) -> dict[str, int]:
        """Replacements made so far, per rule name (for the build report)."""
        return dict(sorted(self._counts.items()))

    def reset_counts(self) -> None:
        """Start counting afresh (e.g. between two builds sharing one redactor)."""
        self._counts.clear()

    def fingerprint(self) -> str:
        """SHA-256 over everything that decides the output; a change forces a full rebuild.

        It covers the built-in rule definitions too, so upgrading falco-archive to a version with
        new built-in rules re-redacts pages that were published before.
        """
        payload: dict[str, Any] = {"algorithm": _ALGORITHM_VERSION, "enabled": self._enabled}
        if self._enabled:
            payload["builtin"] = self._config.builtin
            payload["keys"] = self._config.keys
            payload["disable"] = sorted(self._config.disable)
            payload["rules"] = [
                {
                    "name": rule.name,
                    "pattern": rule.pattern.pattern,
                    "replacement": rule.replacement,
                    "group": rule.group,
                    "fast": rule.fast.pattern,
                    "triggers": [list(group) for group in rule.triggers],
                    "check": rule.check.__name__ if rule.check else None,
                }
                for rule in self._builtin + self._user
            ]
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(blob).hexdigest()

    # ----------------------------------------------------------------------------------------
    def redact_text(self, text: str) -> str:
        """Return ``text`` with every secret replaced by its rule's marker."""
        if not self._enabled:
            return text
        cached = self._cache.get(text)
        if cached is _CLEAN:
            return text
        if cached is not None:
            known, known_hits = cached
            self._counts.update(known_hits)
            return str(known)
        hits: dict[str, int] = {}
        result = self._redact_uncached(text, hits)
        if len(text) <= _CACHE_MAX_LEN:
            if len(self._cache) >= _CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[text] = _CLEAN if result == text else (result, hits)
        if hits:
            self._counts.update(hits)
        return result

    def redact(self, value: Any) -> Any:
        """Return a new structure with every string redacted, dict keys included.

        Accepts JSON-like data (dict, list, tuple, str, numbers, None; also sets and a few
        text-free scalars such as datetimes). Anything else raises ``TypeError`` rather than
        letting unknown objects, which may carry text, through unredacted.
        """
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.redact_text(value)
        if kind is dict:
            return self._walk_dict(value)
        if kind is list:
            return self._walk_list(value)
        if isinstance(value, _SAFE_SCALARS):
            return value
        if isinstance(value, str):
            return self.redact_text(str(value))
        if isinstance(value, Mapping):
            return self._walk_dict(value)
        if isinstance(value, list):
            return self._walk_list(value)
        if isinstance(value, tuple):
            return tuple(self._walk_list(value))
        if isinstance(value, frozenset):
            return frozenset(self._walk_list(value))
        if isinstance(value, set):
            return set(self._walk_list(value))
        raise TypeError(f"cannot redact a {kind.__name__}: pass JSON-like data (dict, list, str, numbers)")

    # The two walkers below are the hot path (alerts are dicts of short strings and numbers):
    # they inline the "already known clean" cache lookup and skip a call per scalar.
    def _walk_dict(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        text = self.redact_text if self._enabled else _identity
        cache_get = self._cache.get
        by_key = self._by_key
        secret_name = self._secret_names.get
        for raw_key, item in data.items():
            # Keys are redacted too: a secret can be a field name (``ka.uri.param[<token>]``).
            key = raw_key
            if type(raw_key) is str and cache_get(raw_key) is not _CLEAN:
                key = text(raw_key)
                while key != raw_key and key in out:  # two keys redacted alike: keep both values
                    key += " (again)"
            if by_key and type(raw_key) is str:
                flag = secret_name(raw_key)  # inlined cache hit: field names repeat endlessly
                if flag or (flag is None and self._is_secret_name(raw_key)):
                    out[key] = self._blank(item)
                    continue
            kind = type(item)
            if kind is str:
                out[key] = item if cache_get(item) is _CLEAN else text(item)
            elif item is None or kind is int or kind is float or kind is bool:
                out[key] = item
            else:
                out[key] = self._walk(item)
        return out

    def _is_secret_name(self, key: str) -> bool:
        known = self._secret_names.get(key)
        if known is None:
            if len(self._secret_names) >= _CACHE_MAX_ENTRIES:
                self._secret_names.clear()
            known = self._secret_names[key] = names_secret(key)
        return known

    def _blank(self, value: Any) -> Any:
        """The value of a secret-named field: every string and number in it replaced.

        Absent values (``null``, ``""``, ``<NA>``) and booleans say nothing and stay, so the page
        still shows whether the secret was set.
        """
        if value is None or isinstance(value, bool) or value in ("", "<NA>"):
            return value
        if isinstance(value, Mapping):
            return {k: self._blank(v) for k, v in self._walk_dict(value).items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._blank(v) for v in value]
        if isinstance(value, str) and _MARKER_RE.fullmatch(value):
            return value  # already redacted (keeps redaction idempotent)
        self._counts[SECRET_KEY_RULE] += 1
        return _default_replacement(SECRET_KEY_RULE)

    def _walk_list(self, items: Iterable[Any]) -> list[Any]:
        out: list[Any] = []
        append = out.append
        text = self.redact_text if self._enabled else _identity
        cache_get = self._cache.get
        for item in items:
            kind = type(item)
            if kind is str:
                append(item if cache_get(item) is _CLEAN else text(item))
            elif item is None or kind is int or kind is float or kind is bool:
                append(item)
            else:
                append(self._walk(item))
        return out

    def _redact_uncached(self, text: str, hits: dict[str, int]) -> str:
        """Apply all rules until nothing changes, so the result is a fixed point.

        One pass usually suffices; a second pass confirms it. A replacement can in theory expose
        a new match for an earlier rule, which the next pass catches. If no fixed point is
        reached (only possible with odd user rules), the whole string is replaced: publishing
        nothing beats publishing a half-redacted secret.
        """
        current = text
        for _ in range(_MAX_PASSES):
            updated = self._apply_once(current, hits)
            if updated == current:
                return current
            current = updated
        logger.warning(
            "redaction did not reach a fixed point after %d passes; replaced the whole string",
            _MAX_PASSES,
        )
        hits[_UNSTABLE] = hits.get(_UNSTABLE, 0) + 1
        return _default_replacement(_UNSTABLE)

    def _apply_once(self, text: str, hits: dict[str, int]) -> str:
        builtins = self._builtin
        if builtins:
            lowered = text.lower()
            candidates = self._always
            gate = self._gate
            match = gate.search(lowered) if gate is not None else None
            if match is not None:
                assert gate is not None
                found = set(candidates)
                rules_for = self._rules_for
                while match is not None and len(found) < len(builtins):
                    found.update(rules_for[match.group()])
                    match = gate.search(lowered, match.start() + 1)
                candidates = tuple(sorted(found))
            scan = lowered if text.isascii() else None
            for index in candidates:
                rule = builtins[index]
                if rule.triggers and not rule.runs_on(lowered):
                    continue
                # Inlined "no match" test (the usual outcome) to save a call per rule.
                if rule.on_lowered:
                    if scan is not None and rule.fast.search(scan) is None:
                        continue
                elif rule.fast.search(text) is None:
                    continue
                updated = rule.apply(text, scan, hits)
                if updated is not text:
                    # Later rules need fresh lower-cased text (positions moved). Triggers that a
                    # replacement brings in are seen by the next pass (_redact_uncached).
                    text = updated
                    lowered = text.lower()
                    scan = lowered if text.isascii() else None
        for rule in self._user:
            text = rule.apply(text, None, hits)
        return text

    def _redact_without_precheck(self, text: str) -> str:
        """Reference path: every public pattern on every string, no triggers, no lower-casing.

        tests/test_redact.py checks that the fast path gives exactly the same output.
        """
        hits: dict[str, int] = {}
        current = text
        for _ in range(_MAX_PASSES):
            updated = current
            for rule in self._builtin + self._user:
                updated = rule.apply(updated, None, hits, fast=False)
            if updated == current:
                return current
            current = updated
        return _default_replacement(_UNSTABLE)
