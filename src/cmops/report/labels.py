"""The site's words, in the language of ``mkdocs.yml`` (``theme.language``): English and
French, English for any other language. Dates and numbers are formatted here by hand (no
locale module), so the same inputs give the same pages on every machine."""

from __future__ import annotations

from datetime import date, datetime

_EN: dict[str, str] = {
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
    "week_view": "Week by week", "morning": "Morning", "afternoon": "Afternoon",
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
}

_FR: dict[str, str] = {
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
    "all_months": "Tous les mois", "week_view": "Semaine par semaine", "morning": "Matin",
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

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
_SHORT_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}


class Labels:
    """``labels("key", n=3)``: the word for ``key`` in the site's language."""

    def __init__(self, lang: str | None) -> None:
        base = (lang or "en").split("-")[0].split("_")[0].lower()
        self.lang = base if base in ("en", "fr") else "en"
        self._words = _FR if self.lang == "fr" else _EN

    def __call__(self, key: str, **values: object) -> str:
        text = self._words.get(key) or _EN[key]
        return text.format(**values) if values else text

    def state(self, state: str) -> str:
        return STATES[self.lang].get(state, state)

    def month(self, year: int, month: int) -> str:
        name = _MONTHS[self.lang][month - 1]
        return f"{name.capitalize() if self.lang == 'fr' else name} {year}"

    def weekday(self, index: int) -> str:
        return _DAYS[self.lang][index]

    def day(self, day: date) -> str:
        """``Tue 24 Nov`` / ``mar. 24 nov.``"""
        short = _SHORT_MONTHS[self.lang][day.month - 1]
        return f"{self.weekday(day.weekday())} {day.day} {short}"

    def day_long(self, day: date) -> str:
        return f"{self.day(day)} {day.year}"

    def when(self, moment: datetime) -> str:
        """Day and time in the moment's own zone: ``Tue 24 Nov 2026, 08:30``."""
        return f"{self.day_long(moment.date())}, {moment:%H:%M}"

    def number(self, value: float, digits: int = 0) -> str:
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, value: float) -> str:
        return self.number(value, 1) + ("\u202f%" if self.lang == "fr" else "%")

    def duration(self, seconds: float) -> str:
        minutes = int(seconds // 60)
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        unit = "j" if self.lang == "fr" else "d"
        if days:
            return f"{days}{unit} {hours}h"
        return f"{hours}h{mins:02d}" if hours else f"{mins} min"
