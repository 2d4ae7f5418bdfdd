"""The CSV layouts ``cmops import csv --from FORMAT`` reads, declared as data (pure).

Each format maps header names (compared without case, spaces, ``_`` or ``-``) to the fields
of a post, and says whether the file may have no header row (Hootsuite), whether rows carry
channels, and where its layout is documented.

- ``cmops``: cmops's own layout (``date``, ``time``, ``text``, ``channels``, ``media``,
  ``alt``, ``campaign``, ``link``, ``id``). Dates ``YYYY-MM-DD``, times ``HH:MM``.
- ``hootsuite``: the bulk composer's CSV, as Hootsuite's Help Center article on scheduling
  messages in bulk (help.hootsuite.com, "Bulk schedule messages") describes it: one message
  a row, in columns date and time (one cell, ``dd/mm/yyyy hh:mm`` or ``mm/dd/yyyy hh:mm`` in
  24-hour time, the order chosen at upload), message, then an optional link; no header row;
  at most 350 rows; the social accounts are chosen at upload, so rows have no channels: pass
  ``--channel``. A header row, when a file has one, is recognised and skipped, and columns
  past the third are reported as ignored. Hootsuite's own checks (minutes in steps of 5,
  times at least 10 minutes ahead, no duplicate messages) are not applied.
- ``buffer``: Buffer's bulk upload CSV as its Help Center describes it (support.buffer.com,
  the article on bulk uploading posts with a CSV file): columns ``Text``, ``Image URL``,
  ``Tags``, ``Posting Time`` (``YYYY-MM-DD HH:mm``; an empty time means "add to the queue":
  imported unscheduled, as a draft). Buffer sends to channels chosen at upload: pass
  ``--channel``. Tags have no equivalent in a post file and are reported as ignored.
  ``Date``/``Time``, ``Link`` and ``Alt Text`` columns are also read when present.
- ``later``: Later's Help Center (help.later.com) documents no column list for a CSV of
  posts (its bulk upload takes media files; its exports are analytics), so this format is
  a best reading, not a documented one: ``Caption``, ``Scheduled Date`` and
  ``Scheduled Time`` (or ``Date`` and ``Time``, or one ``Scheduled At``), ``Media URL``,
  ``Link``. Other columns, such as ``Social Profile`` (Later's account names, not cmops
  channels: pass ``--channel``) and ``First Comment``, are reported as ignored.

The tools' pages could not be fetched while this was written: the columns above are those
the articles give as we know them, and each format also accepts the usual aliases, so a
renamed column still reads. Hootsuite's layout is confirmed by users' write-ups of the bulk
composer (kim-iverson-headlee.blogspot.com, 2016-08: 350 messages of "the date and time
stamp, the message, and the link"; jycalcano.blogspot.com, 2015-07: the date format and the
networks chosen at upload); Buffer's and Later's are not confirmed by any page we could read.
- ``generic``: any spreadsheet: every alias below, a date-time in one column or in two.

Aliases of ``generic`` (after normalising case and spacing): text = text, message, content,
post, body, caption, copy, tweet; date = date, day, publish date, post date, scheduled date;
time = time, hour, publish time, post time, scheduled time; when (date and time in one) =
date time, datetime, publish at, scheduled at, scheduled, posting time, post at, send at;
channels = channels, channel, networks, network, profiles, accounts; media = media, image,
images, image url, image urls, media url, media urls, photo, picture (and numbered copies:
image url 2…); alt = alt, alt text, alt texts, description; link = link, url; campaign;
id; and in French: texte, jour, heure, canaux, réseaux, lien, campagne, texte
alternatif. A media cell holds repository paths or http(s) URLs, several separated by ``,``, ``;``
or ``|`` (URLs are downloaded into calendar/media/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

FIELDS = ("when", "date", "time", "text", "channels", "media", "alt", "link", "campaign",
          "id")


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    document: str
    aliases: Mapping[str, str]
    """Normalised header -> field."""
    headerless: tuple[str, ...] = ()
    """Fields by position when the first row is not a header (Hootsuite); empty: a header
    row is required."""
    channels_column: bool = True
    strict: bool = False
    """Dates and times as cmops writes them only (``YYYY-MM-DD``, ``HH:MM``)."""


def _aliases(**groups: str) -> Mapping[str, str]:
    table: dict[str, str] = {}
    for target, names in groups.items():
        for alias in names.split(","):
            table[normalise(alias)] = target
    return MappingProxyType(table)


def normalise(header: str) -> str:
    """``Image_URL `` -> ``image url``."""
    return " ".join(re.sub(r"[_\-]", " ", header.strip().lower()).split())


_NUMBERED = re.compile(r"^(.*\S)\s*\d+$")


def field_of(fmt: Format, header: str) -> str | None:
    """The post field a header names in ``fmt`` (``Image URL 2`` is a second media column),
    or None when ``fmt`` ignores it."""
    key = normalise(header)
    found = fmt.aliases.get(key)
    if found is None:
        numbered = _NUMBERED.match(key)
        if numbered and fmt.aliases.get(numbered[1]) == "media":
            return "media"
    return found


CMOPS = Format(
    "cmops", "cmops's own layout (docs: cmops import csv --help)",
    _aliases(text="text,message,content,post,body", channels="channels,channel,networks,"
             "profiles", media="media,images,image", alt="alt,alt text,alttext",
             date="date,day", time="time,hour", link="link,url", campaign="campaign",
             id="id"),
    strict=True)

GENERIC = Format(
    "generic", "column aliases listed in cmops.imports.formats",
    _aliases(text="text,message,content,post,body,caption,copy,tweet,texte",
             date="date,day,publish date,post date,scheduled date,jour",
             time="time,hour,publish time,post time,scheduled time,heure",
             when="date time,datetime,publish at,scheduled at,scheduled,posting time,"
                  "post at,send at,date and time",
             channels="channels,channel,networks,network,profiles,accounts,canaux,"
                      "réseaux",
             media="media,image,images,image url,image urls,media url,media urls,photo,"
                   "picture",
             alt="alt,alt text,alt texts,alttext,description,texte alternatif",
             link="link,url,lien", campaign="campaign,campagne", id="id"))

HOOTSUITE = Format(
    "hootsuite", "Hootsuite Help Center, \"Schedule messages in bulk\" (bulk composer CSV)",
    _aliases(when="date,date time,datetime,date and time,scheduled,scheduled date",
             text="message,text,post", link="link,url"),
    headerless=("when", "text", "link"), channels_column=False)

BUFFER = Format(
    "buffer", "Buffer Help Center, \"Bulk upload posts with a CSV file\"",
    _aliases(text="text,content,post", media="image url,image,media url,video url",
             when="posting time,scheduled at,due at", date="date", time="time",
             link="link,url", alt="alt text"),
    channels_column=False)

LATER = Format(
    "later", "no published column list; Later's export and template headers (see module)",
    _aliases(text="caption,text,post", date="scheduled date,date,post date",
             time="scheduled time,time,post time", when="scheduled at,date time,datetime",
             media="media url,image url,media,image", link="link,url,link in bio",
             alt="alt text"),
    channels_column=False)

FORMATS: Mapping[str, Format] = MappingProxyType(
    {f.name: f for f in (CMOPS, HOOTSUITE, BUFFER, LATER, GENERIC)})
