"""The data of head-to-head races: each race's ladder rules, the racers' ratings, the
matches (two duels with the grid swapped, `simulator.duel`) and the finals' bracket.

Rules live in ladder/ratings.py, pairing.py, rounds.py, matches.py and bracket.py; these
classes only describe the data."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from simulator.duel import STARTS

FINALS_SIZES = (4, 8, 16, 32)
DEFAULT_MATCHES_PER_HOUR = 60
MATCHES_PER_HOUR_RANGE = (1, 3600)


def match_replay_upload_to(instance: "Match", filename: str) -> str:
    return f"matches/{instance.race_id}/{filename}"


class LadderRules(models.Model):
    """A head-to-head race's own settings; a race without a row has the defaults
    (`ladder.selectors.ladder_rules`)."""

    race = models.OneToOneField("league.Race", on_delete=models.CASCADE, related_name="ladder_rules")
    start = models.CharField(max_length=12, choices=[(s, s.replace("_", " ")) for s in STARTS],
                             default=STARTS[0], help_text="The grid of each duel.")
    matches_per_hour = models.PositiveIntegerField(
        default=DEFAULT_MATCHES_PER_HOUR,
        help_text="The match budget: at most this many ladder matches start in any hour.")
    finals_size = models.PositiveSmallIntegerField(
        choices=[(n, f"top {n}") for n in FINALS_SIZES], default=8,
        help_text="How many of the ladder go into the double-elimination finals.")
    # The pairing rounds' own bookkeeping (not settings): when the next round is due, so
    # that a burst of results schedules one round, not one each.
    round_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "ladder rules"

    def __str__(self) -> str:
        return f"ladder rules of race {self.race_id}"


class Rating(models.Model):
    """A racer's rating in a head-to-head race (OpenSkill's mu and sigma), carried by
    their latest valid submission."""

    race = models.ForeignKey("league.Race", on_delete=models.CASCADE, related_name="ratings")
    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="ratings")
    submission = models.ForeignKey("racing.Submission", on_delete=models.CASCADE, related_name="+")
    mu = models.FloatField()
    sigma = models.FloatField()
    score = models.FloatField(db_index=True, help_text="mu - k * sigma, the ladder's order.")
    matches = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    draws = models.PositiveIntegerField(default=0)
    last_match_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["race", "racer"], name="one_rating_per_racer")]
        ordering = ["-score", "id"]

    def __str__(self) -> str:
        return f"{self.racer} in race {self.race_id}: {self.score:.2f}"


class Bracket(models.Model):
    """The finals of a head-to-head race: a double-elimination bracket."""

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"

    race = models.OneToOneField("league.Race", on_delete=models.CASCADE, related_name="bracket")
    size = models.PositiveSmallIntegerField()
    seeds = models.JSONField(help_text="Racer ids by seed, the ladder's order when finals began.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    champion = models.ForeignKey("league.Racer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)


class BracketMatch(models.Model):
    """One place in the bracket: winners' side (W), losers' side (L), grand final (GF) and
    its reset (GF2, raced only if the losers' side champion wins the grand final)."""

    class Stage(models.TextChoices):
        WINNERS = "W", "winners"
        LOSERS = "L", "losers"
        GRAND_FINAL = "GF", "grand final"
        RESET = "GF2", "grand final reset"

    bracket = models.ForeignKey(Bracket, on_delete=models.CASCADE, related_name="slots")
    stage = models.CharField(max_length=3, choices=Stage.choices)
    round = models.PositiveSmallIntegerField()
    index = models.PositiveSmallIntegerField()
    racer_a = models.ForeignKey("league.Racer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    racer_b = models.ForeignKey("league.Racer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    winner = models.ForeignKey("league.Racer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    loser = models.ForeignKey("league.Racer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bracket", "stage", "round", "index"], name="one_bracket_slot")]
        ordering = ["bracket", "stage", "round", "index"]
        verbose_name_plural = "bracket matches"


class Match(models.Model):
    """Two submissions' match: two duels on one seed, the grid swapped. A ladder match
    updates both ratings; a finals match (`bracket_match`) advances the bracket."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        ERROR = "error"  # the platform's fault after every retry; an organiser may re-run it

    class VideoStatus(models.TextChoices):  # of each duel's video; empty: none asked for
        PENDING = "pending"
        RENDERING = "rendering"
        READY = "ready"
        FAILED = "failed"

    race = models.ForeignKey("league.Race", on_delete=models.CASCADE, related_name="matches")
    racer_a = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="+")
    racer_b = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="+")
    submission_a = models.ForeignKey("racing.Submission", on_delete=models.CASCADE, related_name="+")
    submission_b = models.ForeignKey("racing.Submission", on_delete=models.CASCADE, related_name="+")
    seed = models.PositiveIntegerField()
    bracket_match = models.ForeignKey(BracketMatch, null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="matches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    winner = models.CharField(max_length=4, blank=True, help_text="a, b or draw once finished.")
    result = models.JSONField(null=True, blank=True, help_text="`python -m simulator duel --match --json`.")
    rated = models.BooleanField(default=False, help_text="Whether the match moved both ratings.")
    rating_change = models.JSONField(null=True, blank=True, help_text="mu and sigma of both sides, before and after.")
    replay_1 = models.FileField(upload_to=match_replay_upload_to, blank=True)
    replay_2 = models.FileField(upload_to=match_replay_upload_to, blank=True)
    # Each duel's MP4, rendered after the match by the video queue under a lease, like a
    # run's (ladder/videos.py): a video whose worker died is queued again.
    video_1 = models.FileField(upload_to=match_replay_upload_to, blank=True)
    video_2 = models.FileField(upload_to=match_replay_upload_to, blank=True)
    video_status_1 = models.CharField(max_length=10, choices=VideoStatus.choices, blank=True)
    video_status_2 = models.CharField(max_length=10, choices=VideoStatus.choices, blank=True)
    video_lease_1 = models.DateTimeField(null=True, blank=True)
    video_lease_2 = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["race", "status"])]
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"match {self.pk}: {self.racer_a} v {self.racer_b}"

    @property
    def winner_racer_id(self) -> int | None:
        return {"a": self.racer_a_id, "b": self.racer_b_id}.get(self.winner)
