"""What a racer does with a model from its garage row: enter it in a race, rename it,
delete it. Each answers with a redirect back to the row and a message; another racer's
model (or an archived one) is a 404, like one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from league import access
from league.services import racer_for_user
from racing import selectors as racing_selectors
from racing.garage import ModelBusy, model_delete, model_rename
from racing.models import PolicyModel
from racing.submissions import SubmissionRejected, submission_create

from .forms import ModelEnterForm, service_error_text


def _own_model(request, model_id: int) -> PolicyModel:
    try:
        return racing_selectors.models_of(racer_for_user(request.user)).get(pk=model_id)
    except PolicyModel.DoesNotExist:
        raise Http404("No such model.") from None


def _back_to(model_id: int | None = None):
    return redirect(reverse("garage") + (f"#model-{model_id}" if model_id else "#models"))


@login_required
@require_POST
def model_enter(request, model_id: int):
    """Enter the model in the chosen race; on to the submission's page."""
    model = _own_model(request, model_id)
    form = ModelEnterForm(request.POST)
    race = None
    if form.is_valid():
        race = access.visible_races(request.user).filter(pk=form.cleaned_data["race"]).first()
    if race is None:
        messages.error(request, f"Choose one of the open races to enter “{model.name}” in.")
        return _back_to(model.pk)
    try:
        submission = submission_create(racer=model.owner, model=model, race=race)
    except SubmissionRejected as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
        return _back_to(model.pk)
    messages.success(request, f"“{model.name}” is queued for {race.display_name}. This page follows it to the finish.")
    return redirect("submission", submission_id=submission.pk)


@login_required
@require_POST
def model_rename_view(request, model_id: int):
    model = _own_model(request, model_id)
    old = model.name
    try:
        model_rename(model, request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, f"“{old}” keeps its name: {service_error_text(exc)}")
    else:
        messages.success(request, f"“{old}” is now called “{model.name}”.")
    return _back_to(model.pk)


@login_required
@require_POST
def model_delete_view(request, model_id: int):
    model = _own_model(request, model_id)
    name = model.name
    try:
        outcome = model_delete(model)
    except ModelBusy as exc:
        messages.error(request, str(exc))
        return _back_to(model.pk)
    if outcome == "archived":
        messages.success(
            request,
            f"“{name}” is out of your garage. Its runs stay on the boards, with their replays.",
        )
    else:
        messages.success(request, f"“{name}” is deleted.")
    return _back_to()
