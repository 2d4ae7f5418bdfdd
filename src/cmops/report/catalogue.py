"""The site's message catalogue: every word and message the generated pages show, in English
and in French (:class:`cmops.report.labels.Labels` picks one by ``lang``).

The plan and the publisher explain an item's state in English (``"15h30m late, past its
max_delay of 12h: not published"``); :data:`REASONS` matches those sentences and gives each
its words here, so a French site says it in French. A sentence no pattern matches (a
network's own error message) is shown as it came.
"""

from __future__ import annotations

import re

EN: dict[str, str] = {
    "report": "Report", "dashboard": "Dashboard", "calendar": "Calendar",
    "campaigns": "Campaigns", "published": "Published log", "analytics": "Analytics",
    "inbox": "Inbox & listening", "posts": "Posts", "built_for": "Report as of {now} ({tz})",
    "this_week": "This week", "next_week": "Next week", "nothing_this_week": "Nothing planned.",
    "paused": "Publishing is paused", "paused_since": "since {since}", "paused_by": "by {by}",
    "paused_scope_all": "every channel", "paused_scope": "channels: {channels}",
    "no_reason": "no reason given", "attention": "Needs attention",
    "attention_none": "Nothing needs attention: no failure, nothing waiting for a human.",
    "invalid_calendar": "The calendar has {n} validation error(s): what this report shows of "
                        "the files in error may be incomplete. Run cmops validate.",
    "invalid_times": "Not planned (invalid time): {ids}",
    "drafts": "{n} draft(s) in progress (not shown until ready)",
    "kpis": "Campaign goals", "no_active_campaign": "No campaign is running.",
    "goal": "goal", "actual": "actual", "no_metrics": "No metrics collected yet — run cmops "
    "collect.", "scheduled_7d": "Posts scheduled, next 7 days",
    "published_7d": "Posts published, last 7 days",
    "need_attention": "Need attention", "followers": "Followers",
    "month": "Month", "week": "Week {week}", "more": "+{n} more", "legend": "Channels",
    "subscribe": "Subscribe", "ics": "Calendar (iCalendar)", "json": "Data (JSON)",
    "holding": "Holding statements (published on request)", "all_months": "All months",
    "week_view": "Week by week", "from_day": "from {day}", "morning": "Morning",
    "afternoon": "Afternoon",
    "evening": "Evening", "night": "Night", "prev": "Previous month", "next": "Next month",
    "state": "State", "channel": "Channel", "when": "When", "link": "Link", "post": "Post",
    "campaign": "Campaign", "text": "Text", "media": "Media", "alt": "Alt text",
    "alt_missing": "(no alt text)", "media_prepared": "{channels}: {how}",
    "media_not_shown": "{path} (not shown: not an image in "
    "the repository)", "thread_part": "Part {n}",
    "first_comment": "First comment", "labels": "Labels", "lang": "Language",
    "window": "Window", "owner": "Owner", "description": "About", "results": "Results",
    "timeline": "Timeline", "today": "today", "error": "Error", "attempts": "Sends",
    "network": "Network", "no_posts": "No post.", "status_active": "running",
    "status_upcoming": "upcoming", "status_ended": "ended", "status": "Status",
    "goal_engagement_rate": "Engagement rate", "goal_comments": "Comments",
    "goal_shares": "Shares", "goal_dm_replies": "DM replies", "goal_growth_rate": "Growth",
    "no_goals": "No goals set for this campaign.", "filter": "Show", "all": "all",
    "log_empty": "Nothing published, failed or expired yet.", "months": "By month",
    "recent": "Last 30 days", "live": "live", "removed_post": "(no longer in the calendar)",
    "withdrawn_note": "taken down {when}: {reason}", "edited_note": "edited {when}",
    "engagement": "Engagement over time", "engagement_note": "Interactions (likes, comments, "
    "shares) on the posts published each week, at their latest collection.",
    "followers_growth": "Followers", "best_hours": "Best hours",
    "best_hours_note": "Average engagement rate of the posts published in each hour (or "
    "average interactions where reach is unknown); darker is better.",
    "top_posts": "Top posts", "interactions": "Interactions", "impressions": "Reach",
    "likes": "Likes", "comments": "Comments", "shares": "Shares", "clicks": "Clicks",
    "rate": "Rate", "snapshots_read": "{n} snapshot file(s) from {first} to {last}.",
    "bad_files": "Files that could not be read (ignored): {files}",
    "no_inbox": "No inbox data yet — run cmops collect.",
    "unanswered": "Unanswered", "age": "Age", "author": "Author", "kind": "Kind",
    "response_time": "Median first response (last 30 days)", "opinion_leaders":
    "Opinion leaders", "crisis": "Crisis signals", "crisis_spike": "{n} negative messages "
    "in the last 24 h, against {avg} a day over the week before.",
    "crisis_none": "No unusual rise in negative messages.", "mentions": "Mentions",
    "followers_of": "Followers", "none": "—", "on_request": "on request",
    "open_detail": "details", "day": "Day", "hour": "Hour", "count": "Posts",
    "metrics": "Metrics", "in_progress": "in progress", "items": "{n} item(s)",
    "unanswered_none": "Every message has an answer.",
    "private": "Private message (its text is not published on the site)",
    "saved_replies": "Saved replies", "for_kinds": "For", "language": "Language",
    "reply_title": "Reply",
    "answered": "Answered (last 30 days)", "answered_in": "Answered in",
    "reply_link": "the reply", "answered_in_app": "answered in the network's app",
    "reply_drafted": "reply in review",
    "counts": "{published} published · {failed} failed · {expired} expired",
    "counts_campaign": "Posts in the campaign's window",
    "counts_month": "This month", "counts_all_time": "Since the first post",
    "goal_status_met": "met", "goal_status_on track": "on track",
    "goal_status_behind": "behind", "goal_status_unknown": "no data yet",
    "expected_by_now": "expected by now: {value}",
}

FR: dict[str, str] = {
    "report": "Rapport", "dashboard": "Tableau de bord", "calendar": "Calendrier",
    "campaigns": "Campagnes", "published": "Journal de publication", "analytics": "Statistiques",
    "inbox": "Messages et veille", "posts": "Publications",
    "built_for": "Rapport au {now} ({tz})", "this_week": "Cette semaine",
    "next_week": "La semaine prochaine", "nothing_this_week": "Rien de prévu.",
    "paused": "Les publications sont suspendues", "paused_since": "depuis le {since}",
    "paused_by": "par {by}", "paused_scope_all": "tous les canaux",
    "paused_scope": "canaux : {channels}", "no_reason": "sans motif indiqué",
    "attention": "À traiter", "attention_none": "Rien à traiter : aucun échec, rien "
    "n'attend d'intervention.",
    "invalid_calendar": "Le calendrier a {n} erreur(s) de validation : ce rapport peut être "
                        "incomplet pour les fichiers en erreur. Lancez cmops validate.",
    "invalid_times": "Non planifiées (heure invalide) : {ids}",
    "drafts": "{n} brouillon(s) en cours (affichés une fois prêts)",
    "kpis": "Objectifs des campagnes", "no_active_campaign": "Aucune campagne en cours.",
    "goal": "objectif", "actual": "réalisé", "no_metrics": "Aucune statistique collectée "
    "pour l'instant — lancez cmops collect.",
    "scheduled_7d": "Publications programmées, 7 prochains jours",
    "published_7d": "Publications parues, 7 derniers jours", "need_attention": "À traiter",
    "followers": "Abonnés", "month": "Mois", "week": "Semaine {week}", "more": "+{n} autres",
    "legend": "Canaux", "subscribe": "S'abonner", "ics": "Agenda (iCalendar)",
    "json": "Données (JSON)", "holding": "Messages d'attente (publiés sur demande)",
    "all_months": "Tous les mois", "week_view": "Semaine par semaine",
    "from_day": "à partir du {day}", "morning": "Matin",
    "afternoon": "Après-midi", "evening": "Soir", "night": "Nuit",
    "prev": "Mois précédent", "next": "Mois suivant", "state": "État", "channel": "Canal",
    "when": "Quand", "link": "Lien", "post": "Publication", "campaign": "Campagne",
    "text": "Texte", "media": "Médias", "alt": "Texte alternatif",
    "alt_missing": "(pas de texte alternatif)",
    "media_prepared": "{channels} : {how}", "media_not_shown": "{path} (non affiché : "
    "pas une image du dépôt)", "thread_part": "Partie {n}",
    "first_comment": "Premier commentaire", "labels": "Étiquettes",
    "lang": "Langue", "window": "Période", "owner": "Responsable", "description": "Objet",
    "results": "Résultats", "timeline": "Chronologie", "today": "aujourd'hui",
    "error": "Erreur", "attempts": "Envois", "network": "Réseau", "no_posts": "Aucune "
    "publication.", "status_active": "en cours", "status_upcoming": "à venir",
    "status_ended": "terminée", "status": "Statut",
    "goal_engagement_rate": "Taux d'engagement", "goal_comments": "Commentaires",
    "goal_shares": "Partages", "goal_dm_replies": "Réponses aux MP",
    "goal_growth_rate": "Croissance", "no_goals": "Aucun objectif pour cette campagne.",
    "filter": "Afficher", "all": "tout", "log_empty": "Rien de publié, d'échoué ou d'expiré "
    "pour l'instant.", "months": "Par mois", "recent": "30 derniers jours", "live": "en ligne",
    "removed_post": "(retirée du calendrier)",
    "withdrawn_note": "retirée {when} : {reason}", "edited_note": "modifiée {when}",
    "engagement": "Engagement dans le temps",
    "engagement_note": "Interactions (j'aime, commentaires, partages) sur les publications "
    "de chaque semaine, à leur dernière collecte.", "followers_growth": "Abonnés",
    "best_hours": "Meilleures heures", "best_hours_note": "Taux d'engagement moyen des "
    "publications de chaque heure (ou interactions moyennes quand la portée est inconnue) ; "
    "plus foncé est meilleur.", "top_posts": "Meilleures publications",
    "interactions": "Interactions", "impressions": "Portée", "likes": "J'aime",
    "comments": "Commentaires", "shares": "Partages", "clicks": "Clics", "rate": "Taux",
    "snapshots_read": "{n} relevé(s) du {first} au {last}.",
    "bad_files": "Fichiers illisibles (ignorés) : {files}",
    "no_inbox": "Pas encore de messages collectés — lancez cmops collect.",
    "unanswered": "Sans réponse", "age": "Âge", "author": "Auteur", "kind": "Type",
    "response_time": "Délai médian de première réponse (30 derniers jours)",
    "opinion_leaders": "Leaders d'opinion", "crisis": "Signaux de crise",
    "crisis_spike": "{n} messages négatifs sur les dernières 24 h, contre {avg} par jour la "
    "semaine précédente.", "crisis_none": "Pas de hausse inhabituelle des messages négatifs.",
    "mentions": "Mentions", "followers_of": "Abonnés", "none": "—",
    "on_request": "sur demande", "open_detail": "détails", "day": "Jour", "hour": "Heure",
    "count": "Publications", "metrics": "Statistiques", "in_progress": "en cours",
    "items": "{n} élément(s)", "unanswered_none": "Tous les messages ont une réponse.",
    "private": "Message privé (son texte n'est pas publié sur le site)",
    "saved_replies": "Réponses types", "for_kinds": "Pour", "language": "Langue",
    "reply_title": "Réponse",
    "answered": "Répondus (30 derniers jours)", "answered_in": "Répondu en",
    "reply_link": "la réponse", "answered_in_app": "répondu dans l'application du réseau",
    "reply_drafted": "réponse en relecture",
    "counts": "{published} publiée(s) · {failed} en échec · {expired} expirée(s)",
    "counts_campaign": "Publications sur la période de la campagne",
    "counts_month": "Ce mois-ci", "counts_all_time": "Depuis la première publication",
    "goal_status_met": "atteint", "goal_status_on track": "en bonne voie",
    "goal_status_behind": "en retard", "goal_status_unknown": "pas encore de données",
    "expected_by_now": "attendu à ce jour : {value}",
}

STATES = {
    "en": {"due": "due", "scheduled": "scheduled", "expired": "expired", "skipped": "skipped",
           "paused": "paused", "standby": "standby", "published": "published",
           "failed": "failed", "needs_human": "needs a human", "pending": "in progress",
           "invalid": "held: invalid", "withdraw": "to take down", "withdrawn": "withdrawn",
           "edit": "to edit", "not_applied": "edit not applied"},
    "fr": {"due": "à publier", "scheduled": "programmée", "expired": "expirée",
           "skipped": "sautée", "paused": "suspendue", "standby": "en attente",
           "published": "publiée", "failed": "échec", "needs_human": "à vérifier",
           "pending": "en cours", "invalid": "bloquée : invalide", "withdraw": "à retirer",
           "withdrawn": "retirée", "edit": "à modifier", "not_applied": "modif. non appliquée"},
}

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
SHORT_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}
DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}


TRAFFIC_WORDS = {
    "en": {"traffic": "Website traffic from this campaign", "source": "Source (utm_source)",
           "sessions": "Sessions", "engaged": "Engaged sessions", "key_events": "Key events",
           "total": "Total",
           "note": "Google Analytics 4: visits whose link carried utm_campaign {name}, "
                   "{first} to {last}.",
           "none_collected": "No website traffic collected: configure Google Analytics 4 in "
                             "calendar/analytics.yaml, then run cmops collect.",
           "untagged": "This campaign's links carry no UTM tags (no utm in its file): "
                       "website visits cannot be attributed to it.",
           "empty": "Google Analytics recorded no visit from this campaign's links "
                    "(utm_campaign {name}) from {first} to {last}."},
    "fr": {"traffic": "Trafic du site venu de cette campagne",
           "source": "Source (utm_source)", "sessions": "Sessions",
           "engaged": "Sessions avec engagement", "key_events": "Événements clés",
           "total": "Total",
           "note": "Google Analytics 4 : visites dont le lien portait utm_campaign {name}, "
                   "du {first} au {last}.",
           "none_collected": "Aucun trafic du site collecté : configurez Google Analytics 4 "
                             "dans calendar/analytics.yaml, puis lancez cmops collect.",
           "untagged": "Les liens de cette campagne ne portent pas de paramètres UTM (pas de "
                       "utm dans son fichier) : aucune visite ne peut lui être attribuée.",
           "empty": "Google Analytics n'a enregistré aucune visite venue des liens de cette "
                    "campagne (utm_campaign {name}) du {first} au {last}."},
}
"""The campaign page's website-traffic table."""

REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), key) for pattern, key in (
        (r"(?P<late>\S+) late, past its max_delay of (?P<max>\S+): not published",
         "reason_expired"),
        (r"(?P<late>\S+) late", "reason_late"),
        (r"edit held by the crisis pause: (?P<why>.*)", "reason_edit_paused"),
        (r"paused: (?P<why>.*)", "reason_paused"),
        (r"superseded by occurrence (?P<n>\d+)", "reason_superseded"),
        (r"a reply: goes out with the next publish run", "reason_reply"),
        (r"holding statement: publish with cmops publish --post (?P<id>.+)",
         "reason_holding"),
        (r"an edit a stopped run may have sent is checked against the live text",
         "reason_edit_check"),
        (r"claimed by another run", "reason_claimed"),
    ))
"""(English sentence of the plan or the publisher, catalogue key): the first full match
wins; named groups are the values the message is filled with."""

REASON_WORDS = {
    "en": {"reason_expired": "{late} late, past its max_delay of {max}: not published",
           "reason_late": "{late} late", "reason_edit_paused": "edit held by the crisis "
           "pause: {why}", "reason_paused": "paused: {why}",
           "reason_superseded": "superseded by occurrence {n}",
           "reason_reply": "a reply: goes out with the next publish run",
           "reason_holding": "holding statement: publish with cmops publish --post {id}",
           "reason_edit_check": "an edit a stopped run may have sent is checked against the "
           "live text", "reason_claimed": "claimed by another run",
           "crisis pause": "crisis pause", "paused": "paused"},
    "fr": {"reason_expired": "{late} de retard, au-delà de son délai maximal (max_delay) de "
           "{max} : non publiée", "reason_late": "{late} de retard",
           "reason_edit_paused": "modification retenue par la pause de crise : {why}",
           "reason_paused": "suspendue : {why}",
           "reason_superseded": "remplacée par l'occurrence {n}",
           "reason_reply": "une réponse : part avec la prochaine publication",
           "reason_holding": "message d'attente : à publier avec cmops publish --post {id}",
           "reason_edit_check": "une modification qu'une exécution interrompue a pu envoyer "
           "est vérifiée sur le texte en ligne",
           "reason_claimed": "pris en charge par une autre exécution",
           "crisis pause": "pause de crise", "paused": "suspendue"},
}
"""The words of :data:`REASONS` (and of the plan's default pause reasons)."""

_DURATION = re.compile(r"(\d+)d(?=\d|$)")


def duration_words(text: str, lang: str) -> str:
    """The plan's compact duration (``2d3h``, ``15h30m``) in ``lang`` (``2j3h``)."""
    return _DURATION.sub(r"\1j", text) if lang == "fr" else text


def reason_words(text: str, lang: str) -> str:
    """An English sentence of the plan or the publisher in ``lang``; as it is when no
    pattern of :data:`REASONS` matches."""
    if lang == "en" or not text:
        return text
    words = REASON_WORDS[lang]
    for pattern, key in REASONS:
        found = pattern.fullmatch(text.strip())
        if found is None:
            continue
        values = found.groupdict()
        for name in ("late", "max"):
            if name in values:
                values[name] = duration_words(values[name], lang)
        if "why" in values:
            values["why"] = words.get(values["why"], values["why"])
        return words[key].format(**values)
    return text
